"""Sensitivity: which uncertain input drives a company's figure, built on overrides.

For one company and one ``fleet.estimate`` metric, every uncertain input that can move it
(holding counts, allocation totals, each allocation's Dirichlet shares, delivery delays,
chip values and defaults) is pinned through ``computecap.overrides`` keys:

- swing: the output median with the input at its p5 and at its p95, every other input at
  its median (allocation shares at their expected values);
- variance share: the variance of the output when only that input varies (the others at
  their medians) less the variance left when every input is pinned, over the variance when
  every input varies; all runs on one seed.

What varies with every input pinned (for estimates, Monte Carlo noise only; for training, the
fitted utilisation) is reported apart. Shares summing to about 1 mean the inputs act
additively; a shortfall is interaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from computecap import __version__
from computecap.catalog import Catalog, Chip, Scenario, default_catalog
from computecap.core import DEFAULT_INCLUDE, Assumption, HoldingLines, parse_include
from computecap.errors import InputError
from computecap.fleet import basis_precision, estimate, market_of
from computecap.overrides import Value, apply, changes, varies
from computecap.paired import display_unit
from computecap.report import dumps, fmt_number, render_rows, wrap_text
from computecap.uncertainty import Z95, Distribution, Uncertain, from_uniform
from computecap.units import Q_

#: Default Monte Carlo samples per run (a sensitivity runs 2 + 3 x inputs estimates).
SAMPLES = 4000
#: Dirichlet concentration that pins an allocation's shares at their expected values.
PINNED = 1e9
#: What a sensitivity cannot pin, by engine (its variance share is reported apart).
UNPINNED = {"estimate": "nothing but Monte Carlo noise",
            "train": "the fitted utilisation (coefficients and residual)"}
#: Metric -> the chip value and the defaults it reads.
READS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "chips": (None, ("chip_lifetime",)), "h100e": ("basis", ("chip_lifetime",)),
    "effective": ("peak", ("utilisation", "chip_lifetime")), "memory": ("memory", ("chip_lifetime",)),
    "memory_bandwidth": ("memory_bandwidth", ("chip_lifetime",)),
    "power": ("tdp", ("server_overhead", "pue", "chip_lifetime")),
    "energy_per_year": ("tdp", ("server_overhead", "pue", "chip_lifetime")), "capex": ("price", ("chip_lifetime",))}


@dataclass(frozen=True)
class Input:
    """An uncertain input: the override key that pins it, its p5/p50/p95 as override values,
    and the extra keys that pin it (a Dirichlet needs its concentration)."""

    key: str
    label: str
    kind: str
    values: tuple[str, str, str]
    shown: tuple[str, str]
    pin: Mapping[str, str]


@dataclass(frozen=True)
class Effect:
    """How one input moves the output [output unit]."""

    key: str
    label: str
    kind: str
    low: str
    high: str
    at_low: float
    at_high: float
    variance_share: float

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "input": self.label, "kind": self.kind, "input_p5": self.low,
                "input_p95": self.high, "output_at_input_p5": self.at_low, "output_at_input_p95": self.at_high,
                "swing": self.swing, "variance_share": self.variance_share}


@dataclass(frozen=True)
class Sensitivity:
    """What ``sensitivity`` returns: effects ranked by swing, with the full and all-median runs."""

    scenario: str
    company: str
    metric: str
    unit: str
    full: Uncertain
    baseline: float
    effects: tuple[Effect, ...]
    #: variance share left with every input pinned [1], and what it is
    unpinned_share: float
    #: Monte Carlo noise of a variance share: the all-pinned share on seed and seed + 1 [1]
    noise: float
    samples: int
    seed: int
    as_of: dt.date | None
    assumptions: tuple[Assumption, ...]

    @property
    def unpinned(self) -> str:
        return next(a.note.removeprefix("not pinned: ") for a in self.assumptions if a.name == "method")

    @property
    def explained(self) -> float:
        """Sum of the variance shares [1]."""
        return float(sum(e.variance_share for e in self.effects))

    def to_dict(self) -> dict[str, Any]:
        unit = f"{Q_(1, self.unit).units:~P}" if self.unit else ""
        return {"scenario": self.scenario, "company": self.company, "metric": self.metric, "unit": unit,
                "output": self.full.to_dict(), "output_all_inputs_at_median": self.baseline,
                "inputs": [e.to_dict() for e in self.effects], "variance_shares_sum": self.explained,
                "not_pinned": {"inputs": self.unpinned, "variance_share": self.unpinned_share},
                "variance_share_noise": self.noise,
                "as_of": self.as_of,
                "samples": self.samples, "seed": self.seed,
                "assumptions": [a.to_dict() for a in self.assumptions], "computecap_version": __version__}


def _quantiles(d: Distribution) -> tuple[float, float, float]:
    p5, p50, p95 = (float(x) for x in from_uniform(np.array([0.05, 0.5, 0.95]), d.low, d.central, d.high, d.dist))
    return p5, p50, p95


def _numeric(d: Distribution, unit: str, label: str, key: str, kind: str,
             fmt: str = "{:,.0f}") -> Input | None:
    if not varies(d):
        return None
    q = _quantiles(d)
    suffix = f" {unit}" if unit else ""
    return Input(key, label, kind, tuple(f"{x!r}{suffix}" for x in q),  # type: ignore[arg-type]
                 (fmt.format(q[0]) + suffix, fmt.format(q[2]) + suffix), {})


def inputs(scen: Scenario, company: str, metric: str, *, include: str | Iterable[str] = DEFAULT_INCLUDE,
           as_of: dt.date | None = None, h100e_basis: str = "bf16", precision: str = "bf16",
           catalog: Catalog | None = None, seed: int = 0) -> list[Input]:
    """Every uncertain input that can move ``company``'s ``metric``, as override keys."""
    cat = catalog or default_catalog()
    if metric not in READS:
        raise InputError(f"metric: expected one of {', '.join(READS)}, got {metric!r}")
    name = scen.company(company)
    inc = set(parse_include(include))
    out: list[Input | None] = []
    chips: dict[str, Chip] = {}
    dated = any(ln.delivery is not None for ln in HoldingLines(scen).lines)
    for i, h in enumerate(scen.holdings):
        if h.company != name or h.status not in inc:
            continue
        chips[h.chip.id] = h.chip
        what = f"{h.company} {h.chip.id} ({h.status})"
        out.append(_numeric(h.count, "", f"{what} chips", f"holdings[{i}]", "count"))
        if dated and h.delivery is not None:
            out.append(_numeric(h.delivery.delay, "day", f"{what} delivery delay", f"holdings[{i}].delay", "delay"))
    for i, a in enumerate(scen.allocations):
        if name not in a.shares or a.status not in inc:
            continue
        chips[a.chip.id] = a.chip
        what = f"{a.chip.id} ({a.status}) allocation"
        out.append(_numeric(a.total, "", f"{what} total", f"allocations[{i}].total", "allocation total"))
        if len(a.shares) > 1:
            s = a.shares[name]
            draws = np.random.default_rng(seed).beta(a.concentration * s, a.concentration * (1 - s), 100_000)
            q5, q95 = (float(x) for x in np.percentile(draws, (5.0, 95.0)))
            pin = {f"allocations[{i}].concentration": f"{PINNED:g}"}
            out.append(Input(f"allocations[{i}].shares.{name}", f"{name}'s share of the {what}", "shares",
                             (repr(q5), repr(s), repr(q95)), (f"{q5:.1%}", f"{q95:.1%}"), pin))
        if dated and a.delivery is not None:
            out.append(_numeric(a.delivery.delay, "day", f"{what} delivery delay", f"allocations[{i}].delay", "delay"))
    field, defaults = READS[metric]
    market = market_of(scen)
    for chip in chips.values():
        f = _chip_field(chip, field, h100e_basis, precision)
        if f is None:
            continue
        if f == "price":
            value = chip.price_for(market, as_of or dt.date.today())
            key = f"price.{chip.id}"
        else:
            value = chip.peaks.get(f) if f in chip.peaks else chip.get(f)
            key = f"chip.{chip.id}.{f}"
        if value is None:
            continue
        unit = f"{value.central.units:~P}"
        d = value.distribution(unit)
        out.append(_numeric(d, unit, f"{chip.id} {f}", key, "chip", "{:,.4g}"))
    dated = any(h.delivery is not None for h in scen.holdings) or any(a.delivery is not None for a in scen.allocations)
    for dname in defaults:
        if dname == "chip_lifetime" and not dated:
            continue  # undated holdings never retire: the lifetime cannot move anything
        out.append(_numeric(cat.defaults[dname].distribution, "", f"default {dname}", dname, "default", "{:.3g}"))
    return [x for x in out if x is not None]


def _chip_field(chip: Chip, field: str | None, basis: str, precision: str) -> str | None:
    if field == "basis":
        if basis == "tpp":
            return max((p for p in chip.peaks), key=lambda p: chip.tpp_by_precision().get(p, 0.0), default=None)
        return basis_precision(chip, basis)
    if field == "peak":
        return precision if precision in chip.peaks else None
    return field


#: A run with some inputs pinned, on a seed -> (output summary, its variance) [unit, unit**2 or (log unit)**2].
Runner = Callable[[Mapping[str, str], int], tuple[Uncertain, float]]


def _analyse(found: list[Input], run: Runner, seed: int) -> tuple[Uncertain, float, list[Effect], float, float]:
    """Full run, all-median run, each input's swing and variance share (ranked by swing), the share left
    with every input pinned, and the Monte Carlo noise of a share (the all-pinned share on two seeds)."""
    medians: dict[str, str] = {}
    for inp in found:
        medians.update({inp.key: inp.values[1], **inp.pin})
    full, var_full = run({}, seed)
    pinned, var_pinned = run(medians, seed)
    scale = 1 / var_full if var_full > 0 else 0.0
    noise = abs(run(medians, seed + 1)[1] - var_pinned) * scale
    effects = []
    for inp in found:
        rest = {k: v for k, v in medians.items() if k != inp.key and k not in inp.pin}
        lo, hi = (run({**rest, **inp.pin, inp.key: v}, seed)[0].p50 for v in (inp.values[0], inp.values[2]))
        share = max(0.0, run(rest, seed)[1] - var_pinned) * scale
        effects.append(Effect(inp.key, inp.label, inp.kind, inp.shown[0], inp.shown[1], lo, hi, share))
    effects.sort(key=lambda e: (-e.swing, -e.variance_share))
    return full, pinned.p50, effects, var_pinned * scale, noise


def _notes(scen: Scenario, cat: Catalog, variance: str, unpinned: str) -> tuple[Assumption, ...]:
    out = [Assumption("scenario", scen.name, note=scen.path), Assumption(
        "method", "swing: output median at input p5 and p95, other inputs at their medians (shares at their "
        f"expected values); variance share: [{variance} when only this input varies - when all are pinned] / "
        f"{variance} when all vary", note=f"not pinned: {unpinned}")]
    return tuple(out + [c.assumption() for c in changes(cat)])


def _prepare(scenario: Scenario | str, company: str, overrides: Mapping[str, Value] | None,
             catalog: Catalog | None) -> tuple[Catalog, Scenario, str]:
    base_cat = catalog or default_catalog()
    scen0 = base_cat.scenario(scenario) if isinstance(scenario, str) else scenario
    cat, scen = apply(base_cat, scen0, overrides or {})
    assert scen is not None
    return cat, scen, scen.company(company)


def sensitivity(scenario: Scenario | str, company: str, *, metric: str = "h100e",
                overrides: Mapping[str, Value] | None = None, include: str | Iterable[str] = DEFAULT_INCLUDE,
                as_of: dt.date | None = None, retire: bool = True, precision: str = "bf16",
                h100e_basis: str = "bf16", samples: int = SAMPLES, seed: int = 0,
                catalog: Catalog | None = None) -> Sensitivity:
    """Swing and variance share of every uncertain input of ``company``'s ``metric``, ranked by swing.

    ``overrides`` are applied first (a what-if's sensitivity). Runs ``2 + 3 x inputs``
    estimates of ``samples`` draws each, for this company only.
    """
    cat, scen, name = _prepare(scenario, company, overrides, catalog)
    when = as_of or dt.date.today()
    found = inputs(scen, name, metric, include=include, as_of=when, h100e_basis=h100e_basis, precision=precision,
                   catalog=cat, seed=seed)
    unit = {"chips": "", "h100e": ""}.get(metric, _unit(metric))
    opts: dict[str, Any] = {"companies": [name], "include": include, "as_of": when, "retire": retire,
                            "precision": precision, "h100e_basis": h100e_basis, "samples": samples,
                            "keep_samples": True}

    def run(pins: Mapping[str, str], seed: int) -> tuple[Uncertain, float]:
        c2, s2 = apply(cat, scen, pins)
        draws = estimate(s2, catalog=c2, seed=seed, **opts).draws_of(name, metric)  # type: ignore[arg-type]
        return _summary(draws, unit), float(draws.var())

    full, baseline, effects, unpinned, noise = _analyse(found, run, seed)
    return Sensitivity(scen.name, name, metric, unit, full, baseline, tuple(effects), unpinned, noise, samples, seed,
                       when, _notes(scen, cat, "Var(output)", UNPINNED["estimate"]))


def training_sensitivity(scenario: Scenario | str, company: str, model: str, *,
                         overrides: Mapping[str, Value] | None = None,
                         include: str | Iterable[str] = DEFAULT_INCLUDE, as_of: dt.date | None = None,
                         precision: str = "bf16", hours: str = "billed", samples: int = SAMPLES, seed: int = 0,
                         catalog: Catalog | None = None) -> Sensitivity:
    """Days to train preset ``model`` on ``company``'s best cluster: each input's swing and variance share.

    Inputs: the company's counts, shares and delays, each chip's dense BF16 peak and the
    ``cluster_chips`` cap. The training engine keeps no draws, so variances are of log(days),
    read from each run's p5-p95 width ((ln p95 - ln p5) / 3.29)**2 (exact for a lognormal).
    The fitted utilisation (coefficients and residual) cannot be pinned: its share is reported apart.
    """
    from computecap.core import company_cluster
    from computecap.training import Workload, training_run
    cat, scen, name = _prepare(scenario, company, overrides, catalog)
    when = as_of or dt.date.today()
    work = Workload.from_preset(cat.preset(model))
    found = inputs(scen, name, "chips", include=include, as_of=when, catalog=cat, seed=seed)
    held = {c.id: c for c in (*(h.chip for h in scen.holdings if h.company == name),
                              *(a.chip for a in scen.allocations if name in a.shares))}
    for chip in held.values():
        p = "bf16" if "bf16" in chip.peaks else ("fp16" if "fp16" in chip.peaks else None)
        if p is not None:
            v = chip.peaks[p]
            unit = f"{v.central.units:~P}"
            found.append(_numeric(v.distribution(unit), unit, f"{chip.id} {p}", f"chip.{chip.id}.{p}", "chip",
                                  "{:,.4g}"))  # type: ignore[arg-type]
    found.append(_numeric(cat.defaults["cluster_chips"].distribution, "", "default cluster_chips (cluster cap)",
                          "cluster_chips", "default"))  # type: ignore[arg-type]
    found = [f for f in found if f is not None]

    def run(pins: Mapping[str, str], seed: int) -> tuple[Uncertain, float]:
        c2, s2 = apply(cat, scen, pins)
        assert s2 is not None
        cl = company_cluster(s2, name, c2, include=include, precision=precision, as_of=when)
        days = training_run(work, cl, precision=precision, hours=hours, samples=samples, seed=seed,
                            catalog=c2).duration
        return days, float((np.log(days.p95) - np.log(days.p5)) / (2 * Z95)) ** 2

    full, baseline, effects, unpinned, noise = _analyse(found, run, seed)
    return Sensitivity(scen.name, name, f"days to train {work.name}", "day", full, baseline, tuple(effects),
                       unpinned, noise, samples, seed, when, _notes(scen, cat, "Var(log days)", UNPINNED["train"]))


def _unit(metric: str) -> str:
    from computecap.fleet import METRICS
    return next(m.unit for m in METRICS if m.name == metric)


def _summary(draws: np.ndarray, unit: str) -> Uncertain:
    p5, p50, p95 = np.percentile(draws, (5.0, 50.0, 95.0))
    return Uncertain(float(p5), float(p50), float(p95), float(draws.mean()), unit)


# ---------------------------------------------------------------------------- rendering
def render(result: Sensitivity, fmt: str, top: int | None = None) -> str:
    """Ranked inputs as a table, JSON, numeric CSV or Markdown (``top``: the first N in table/markdown)."""
    if fmt == "json":
        return dumps(result.to_dict())
    shown, f = display_unit(result.unit)
    if fmt == "csv":
        head = ["rank", "key", "input", "kind", "input_p5", "input_p95", "unit", "output_at_input_p5",
                "output_at_input_p95", "swing", "variance_share"]
        rows = [[k + 1, e.key, e.label, e.kind, e.low, e.high, shown, repr(e.at_low * f), repr(e.at_high * f),
                 repr(e.swing * f), repr(e.variance_share)] for k, e in enumerate(result.effects)]
        return render_rows(head, rows, "csv")
    effects = result.effects[:top] if top else result.effects
    unit = f" [{shown}]" if shown else ""
    head = ["#", "input", "--set key", "p5 .. p95", f"output at p5 .. p95{unit}", f"swing{unit}", "var. share"]
    rows = [[str(k + 1), e.label, e.key, f"{e.low} .. {e.high}",
             f"{fmt_number(e.at_low * f, 3)} .. {fmt_number(e.at_high * f, 3)}", fmt_number(e.swing * f, 3),
             f"{e.variance_share:.0%}"] for k, e in enumerate(effects)]
    u = result.full
    title = (f"What drives {result.company}'s {result.metric} in {result.scenario} on {result.as_of}: "
             f"{fmt_number(u.p50 * f, 3)} [{fmt_number(u.p5 * f, 3)} to {fmt_number(u.p95 * f, 3)}]{unit}; "
             f"{fmt_number(result.baseline * f, 3)} with every input at its median; {result.samples:,} samples "
             f"per run, seed {result.seed}")
    foot = (f"\nVariance shares sum to {result.explained:.0%}; what cannot be pinned ({result.unpinned}) holds "
            f"{result.unpinned_share:.0%}; {1 - result.explained - result.unpinned_share:+.0%} is interaction and "
            f"noise. Shares move by about {result.noise:.0%} "
            "between seeds (Monte Carlo noise; more --samples narrow it)." + (f" {len(result.effects) - len(effects)} smaller inputs not shown (--top)."
                            if len(effects) < len(result.effects) else "") + "\n")
    if fmt == "table":
        foot = "\n" + wrap_text(foot.strip()) + "\n"
    return render_rows(head, rows, fmt, title=title) + foot
