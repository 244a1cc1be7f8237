"""The estimate engine: per-company compute, memory, power and cost from a scenario.

For every sample (vectorised, seeded, chunked):
    count[line]            holdings sampled independently; an allocation's total times
                           Dirichlet shares (one joint draw, so shares sum to the total)
    peak[company, p]       = sum_lines count x dense peak of the line's chip at precision p
    effective[company]     = peak[company, precision] x utilisation
    h100e[company]         = sum_lines count x basis(chip) / basis(reference chip)
    memory, bandwidth      = sum_lines count x chip value
    power[company]         = sum_lines count x TDP x server overhead x PUE
    energy per year        = power x 1 year (at that draw, all year)
    capex[company]         = sum_lines count x unit price
All precisions of one chip share one uniform stream (its uncertainty is one of SKU/clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computecap import __version__
from computecap.catalog import Catalog, Chip, Scenario, default_catalog
from computecap.catalog.chips import PRECISIONS
from computecap.catalog.scenarios import STATUSES
from computecap.catalog.values import Source, SourcedValue
from computecap.controls import TPP_BIT_LENGTH
from computecap.core import Assumption, check_sampling
from computecap.errors import InputError
from computecap.uncertainty import Distribution, Summariser, Uncertain, chunk_sizes

H100E_BASES = ("bf16", "fp8", "tpp")
#: Precisions whose peaks an estimate reports (plus the one asked for).
REPORTED_PRECISIONS = ("tf32", "bf16", "fp16", "fp8", "int8", "fp4")
DEFAULT_INCLUDE = ("installed", "approved")
#: Metrics reported per company, with their units.
METRIC_UNITS = {"chips": "", "effective": "FLOP/s", "h100e": "", "memory": "GB", "memory_bandwidth": "TB/s",
                "power": "MW", "energy_per_year": "GWh", "capex": "USD"}
_YEAR_HOURS = 365.25 * 24


@dataclass(frozen=True)
class Line:
    """One sampled count stream: a holding, or one company's share of an allocation."""

    company: str
    chip: Chip
    status: str
    date: dt.date | None
    sources: tuple[Source, ...]
    assumption: str
    origin: str


@dataclass(frozen=True)
class GroupEstimate:
    """Estimates for one company (or the total, or one status/chip row of a company)."""

    name: str
    metrics: dict[str, Uncertain]
    peak: dict[str, Uncertain]
    status: str = ""
    chip: str = ""
    breakdown: tuple[GroupEstimate, ...] = ()
    #: metric -> chip ids left out of it for lack of data (no price for capex, no TDP for power)
    excludes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Uncertain:
        metrics: dict[str, Uncertain] = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class EstimateResult:
    """What ``estimate`` returns: per-company and total estimates with their assumptions."""

    scenario: str
    companies: tuple[GroupEstimate, ...]
    total: GroupEstimate
    assumptions: tuple[Assumption, ...]
    samples: int
    seed: int
    precision: str
    h100e_basis: str
    include: tuple[str, ...]
    as_of: dt.date | None
    version: str = __version__
    extras: dict[str, Any] = field(default_factory=dict)

    def company(self, name: str) -> GroupEstimate:
        for c in self.companies:
            if c.name.lower() == name.lower():
                return c
        raise KeyError(name)


def _basis_peak(chip: Chip, basis: str) -> tuple[str, SourcedValue]:
    """The precision used for ``chip`` under an H100e basis, with its peak."""
    order = {"bf16": ("bf16", "fp16"), "fp8": ("fp8", "int8", "bf16", "fp16")}[basis]
    for p in order:
        if p in chip.peaks:
            return p, chip.peaks[p]
    raise InputError(f"{chip.id} has no {' or '.join(order)} peak, needed for the {basis} H100e basis")


def expand_lines(scenario: Scenario) -> tuple[list[Line], list[tuple[Distribution, list[int], np.ndarray, float]]]:
    """Lines for every holding and allocation share; allocations as (total, line indices, shares, concentration)."""
    lines: list[Line] = []
    for h in scenario.holdings:
        lines.append(Line(h.company, h.chip, h.status, h.date, h.sources, h.assumption, "holding"))
    allocs = []
    for a in scenario.allocations:
        idx = []
        for company in a.shares:
            idx.append(len(lines))
            lines.append(Line(company, a.chip, a.status, a.date, a.sources, a.assumption, a.label))
        allocs.append((a.total, idx, np.array(list(a.shares.values()), dtype=float), a.concentration))
    return lines, allocs


def sample_counts(scen: Scenario, allocs: list[tuple[Distribution, list[int], np.ndarray, float]],
                  rng: np.random.Generator, size: int) -> np.ndarray:
    """Chip counts per line (rows as ``expand_lines``) for ``size`` samples: (n_lines, size)."""
    counts = np.empty((len(scen.holdings) + sum(len(a[1]) for a in allocs), size))
    for j, h in enumerate(scen.holdings):
        counts[j] = h.count.sample(rng.random(size))
    for total, idx, shares, conc in allocs:
        tot = total.sample(rng.random(size))
        split = rng.dirichlet(shares * conc, size=size).T if len(idx) > 1 else np.ones((1, size))
        counts[idx] = split * tot
    return counts


def _check_args(samples: int, seed: int, precision: str, h100e_basis: str, include: Sequence[str]) -> None:
    check_sampling(samples, seed)
    if precision not in PRECISIONS:
        raise InputError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    if h100e_basis not in H100E_BASES:
        raise InputError(f"h100e_basis: expected one of {', '.join(H100E_BASES)}, got {h100e_basis!r}")
    bad = [s for s in include if s not in STATUSES]
    if bad:
        raise InputError(f"include: unknown status {bad[0]!r}; expected any of {', '.join(STATUSES)} or 'all'")


def estimate(scenario: Scenario | str, *, companies: Iterable[str] = (), include: Iterable[str] = DEFAULT_INCLUDE,
             as_of: dt.date | None = None, precision: str = "bf16", samples: int = 20_000, seed: int = 0,
             h100e_basis: str = "bf16", catalog: Catalog | None = None,
             progress: Callable[[int], None] | None = None) -> EstimateResult:
    """Per-company compute, memory, power and capital cost of a scenario, with p5/p50/p95.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario object, a bundled scenario name, or a path to a TOML file.
    companies : names to report (default all); aliases and any case accepted.
    include : statuses counted (default installed and approved; ``"all"`` for every status).
    as_of : only holdings dated on or before this date (undated ones always count).
    precision : precision of the ``effective`` figure [bf16, fp8, ...].
    samples, seed : Monte Carlo sample count and seed (same seed, same result).
    h100e_basis : ``bf16`` (dense BF16 vs H100 SXM), ``fp8`` (8-bit dense, Epoch's basis) or ``tpp``.
    """
    cat = catalog or default_catalog()
    scen = cat.scenario(scenario) if isinstance(scenario, str) else scenario
    inc = tuple(STATUSES) if "all" in include else tuple(include)
    _check_args(samples, seed, precision, h100e_basis, inc)
    defaults = cat.defaults
    ref = cat.chip(defaults.h100e_reference)
    lines, allocs = expand_lines(scen)
    counted = [ln.status in inc and (as_of is None or ln.date is None or ln.date <= as_of) for ln in lines]
    if companies:
        chosen = list(dict.fromkeys(scen.company(c) for c in companies))
    else:  # every company that holds something under these filters
        chosen = [c for c in scen.companies if any(ok and ln.company == c for ln, ok in zip(lines, counted))]
    chips = list(dict.fromkeys(line.chip for line in lines))
    chip_ix = {c.id: i for i, c in enumerate(chips)}
    line_chip = np.array([chip_ix[line.chip.id] for line in lines])
    selected = np.array([ok and ln.company in chosen for ln, ok in zip(lines, counted)])
    if not selected.any():
        raise InputError(f"no holdings in scenario {scen.name} match companies={chosen}, include={list(inc)}"
                         + (f", as_of={as_of}" if as_of else ""))
    precs = [p for p in PRECISIONS if any(p in c.peaks for c in chips) and (p in REPORTED_PRECISIONS or p == precision)]
    if precision not in precs:
        have = sorted({p for c in chips for p in c.peaks}, key=PRECISIONS.index)
        raise InputError(f"precision {precision!r}: no chip in scenario {scen.name} has it; "
                         f"chips have {', '.join(have)}")

    # Only selected lines enter the sums (all lines are still sampled, so every filter sees the
    # same random streams). Rows of `mc`: companies, then the total; rows of `mb`: (company,
    # status, chip) breakdown rows.
    sel = np.flatnonzero(selected)
    lc = line_chip[sel]
    breakdown_keys = list(dict.fromkeys((lines[j].company, lines[j].status, lines[j].chip.id) for j in sel))
    mc = np.zeros((len(chosen) + 1, len(sel)))
    mb = np.zeros((len(breakdown_keys), len(sel)))
    for col, j in enumerate(sel):
        ln = lines[j]
        mc[chosen.index(ln.company), col] = mc[len(chosen), col] = 1
        mb[breakdown_keys.index((ln.company, ln.status, ln.chip.id)), col] = 1

    # Per-chip spec distributions [FLOP/s, GB, TB/s, W, USD].
    peak_d = {p: [(c.peaks[p].distribution("FLOP/s") if p in c.peaks else None) for c in chips] for p in precs}
    basis_info = {c.id: (_basis_peak(c, h100e_basis) if h100e_basis != "tpp" else ("tpp", None)) for c in chips}
    basis_d = [None if h100e_basis == "tpp" else _basis_peak(c, h100e_basis)[1].distribution("FLOP/s") for c in chips]
    tpp_d = {p: [(c.peaks[p].distribution("TFLOP/s") if p in c.peaks else None) for c in chips] for p in TPP_BIT_LENGTH}
    ref_basis = (ref.tpp.m_as("") if h100e_basis == "tpp" else _basis_peak(ref, h100e_basis)[1].central.m_as("FLOP/s"))

    def spec(c: Chip, name: str, unit: str) -> Distribution | None:
        v = c.get(name)
        return None if v is None else v.distribution(unit)

    mem_d = [spec(c, "memory", "GB") for c in chips]
    bw_d = [spec(c, "memory_bandwidth", "TB/s") for c in chips]
    tdp_d = [spec(c, "tdp", "W") for c in chips]
    price_d = [spec(c, "price", "USD") for c in chips]
    util_d, over_d, pue_d = (defaults[k].distribution for k in ("utilisation", "server_overhead", "pue"))

    metric_names = list(METRIC_UNITS)
    n_company = len(metric_names) + len(precs)
    ip = len(metric_names) + precs.index(precision)
    summ = Summariser()
    sizes = chunk_sizes(samples, rows=len(lines) + (len(chosen) + 1) * n_company + 3 * len(breakdown_keys))

    def per_chip(dists: list[Distribution | None], u: np.ndarray, size: int) -> np.ndarray:
        out = np.zeros((len(chips), size))
        for i, d in enumerate(dists):
            if d is not None:
                out[i] = d.sample(u[i])
        return out

    def total(dists: list[Distribution | None], counts: np.ndarray, rng: np.random.Generator, size: int,
              u: np.ndarray | None = None) -> np.ndarray:
        """counts x per-chip value, per selected line: (n_sel, size)."""
        out: np.ndarray = counts * per_chip(dists, rng.random((len(chips), size)) if u is None else u, size)[lc]
        return out

    for size, child in zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes))):
        rng = np.random.default_rng(child)
        counts = sample_counts(scen, allocs, rng, size)[sel]
        u_chip = rng.random((len(chips), size))

        if h100e_basis == "tpp":
            basis = np.max([per_chip(tpp_d[p], u_chip, size) * bits for p, bits in TPP_BIT_LENGTH.items()], axis=0)
        else:
            basis = per_chip(basis_d, u_chip, size)
        util = util_d.sample(rng.random(size))
        facility = over_d.sample(rng.random(size)) * pue_d.sample(rng.random(size))

        at_prec = {p: total(peak_d[p], counts, rng, size, u_chip) for p in precs}
        h100e = (total(basis_d, counts, rng, size, u_chip) / ref_basis if h100e_basis != "tpp"
                 else counts * basis[lc] / ref_basis)
        cs = np.empty((len(chosen) + 1, n_company, size))
        cs[:, 0] = mc @ counts
        for k, p in enumerate(precs):
            cs[:, len(metric_names) + k] = mc @ at_prec[p]
        cs[:, 1] = cs[:, ip] * util
        cs[:, 2] = mc @ h100e
        cs[:, 3] = mc @ total(mem_d, counts, rng, size)
        cs[:, 4] = mc @ total(bw_d, counts, rng, size)
        cs[:, 5] = mc @ total(tdp_d, counts, rng, size) * facility / 1e6
        cs[:, 6] = cs[:, 5] * _YEAR_HOURS / 1e3
        cs[:, 7] = mc @ total(price_d, counts, rng, size)
        bs = np.stack([mb @ counts, mb @ at_prec[precision], mb @ h100e], axis=1)
        summ.add(np.concatenate([cs.reshape(-1, size), bs.reshape(-1, size)]))
        if progress is not None:
            progress(size)
    stats = summ.result()
    n_c = (len(chosen) + 1) * n_company
    company_stats = stats[:, :n_c].reshape(4, len(chosen) + 1, n_company)
    row_stats = stats[:, n_c:].reshape(4, len(breakdown_keys), 3)
    units = [METRIC_UNITS[m] for m in metric_names] + ["FLOP/s"] * len(precs)

    def unc(block: np.ndarray, g: int, s: int, unit: str) -> Uncertain:
        return Uncertain.from_stats(block[:, g, s], unit)

    def gaps(rows_of: tuple[GroupEstimate, ...]) -> dict[str, tuple[str, ...]]:
        held = list(dict.fromkeys(r.chip for r in rows_of))
        out = {metric: tuple(c for c in held if chip_by_id[c].get(spec) is None)
               for metric, spec in (("capex", "price"), ("power", "tdp"), ("energy_per_year", "tdp"))}
        return {k: v for k, v in out.items() if v}

    def group(g: int, name: str, breakdown: tuple[GroupEstimate, ...]) -> GroupEstimate:
        vals = [unc(company_stats, g, s, units[s]) for s in range(n_company)]
        return GroupEstimate(name, dict(zip(metric_names, vals[:len(metric_names)])),
                             dict(zip(precs, vals[len(metric_names):])), breakdown=breakdown,
                             excludes=gaps(breakdown))

    chip_by_id = {c.id: c for c in chips}

    rows = [GroupEstimate(k[0], {"chips": unc(row_stats, i, 0, ""), "h100e": unc(row_stats, i, 2, "")},
                          {precision: unc(row_stats, i, 1, "FLOP/s")}, k[1], k[2])
            for i, k in enumerate(breakdown_keys)]
    comps = tuple(group(i, c, tuple(r for r in rows if r.name == c)) for i, c in enumerate(chosen))
    total_row = group(len(chosen), "total", tuple(rows))
    assumptions = _assumptions(scen, lines, selected, chips, defaults, ref, h100e_basis, basis_info, precision,
                               inc, as_of, price_d, tdp_d)
    return EstimateResult(scen.name, comps, total_row, tuple(assumptions), samples, seed, precision, h100e_basis, inc,
                          as_of)


def _assumptions(scen: Scenario, lines: list[Line], selected: np.ndarray, chips: list[Chip], defaults: Any,
                 ref: Chip, basis: str, basis_info: dict[str, Any], precision: str, inc: tuple[str, ...],
                 as_of: dt.date | None, price_d: list[Any], tdp_d: list[Any]) -> list[Assumption]:
    out = [Assumption("scenario", f"{scen.name}: {scen.title}", sources=tuple(scen.sources.values()), note=scen.path),
           Assumption("statuses counted", ", ".join(inc) + (f"; dated on or before {as_of}" if as_of else ""))]
    seen: set[tuple[str, str]] = set()
    for ln, s in zip(lines, selected):
        if not s or (ln.company, ln.origin + ln.chip.id + ln.status) in seen:
            continue
        seen.add((ln.company, ln.origin + ln.chip.id + ln.status))
        what = f"{ln.company}: {ln.chip.id} ({ln.status})" + (f", {ln.origin}" if ln.origin != "holding" else "")
        out.append(Assumption(f"holding {what}", "count sampled from the scenario", sources=ln.sources,
                              note=("ASSUMPTION: " + ln.assumption) if ln.assumption else ""))
    for a in scen.allocations:
        if any(ln.origin == a.label and s for ln, s in zip(lines, selected)):
            shares = ", ".join(f"{k} {v:.0%}" for k, v in a.shares.items())
            out.append(Assumption(f"allocation {a.label}",
                                  f"total {a.total.low:,.0f}..{a.total.high:,.0f}; expected shares {shares}; "
                                  f"Dirichlet concentration {a.concentration:g}",
                                  "count[company] = total x share[company], "
                                  "shares ~ Dirichlet(concentration x expected)",
                                  a.sources, ("ASSUMPTION: " + a.assumption) if a.assumption else ""))
    for c in chips:
        srcs = tuple(dict.fromkeys(s for v in (*c.peaks.values(), *c.specs.values()) for s in v.sources))
        p = c.peaks.get(precision)
        desc = f"{p.central:~P} dense {precision}" + (f" (range {p.low:~P}..{p.high:~P})" if p.is_range else "") \
            if p else f"no {precision} peak: counted as 0 FLOP/s at {precision}"
        out.append(Assumption(f"chip {c.id}", desc, sources=srcs, note=c.path))
    for name in ("utilisation", "server_overhead", "pue"):
        d = defaults[name]
        out.append(Assumption(name, d.distribution.describe(), d.formula, d.value.sources, d.meaning))
    bdesc = {"bf16": f"dense BF16 (FP16 where a chip lacks BF16) / {ref.id} {ref.peak('bf16'):~P}",
             "fp8": f"dense 8-bit (FP8, else INT8, else 16-bit) / {ref.id} {ref.peak('fp8'):~P}",
             "tpp": f"TPP / {ref.id} TPP {ref.tpp.m_as(''):,.0f}"}[basis]
    fallbacks = [f"{cid} uses {p}" for cid, (p, _) in basis_info.items() if basis != "tpp" and p != basis]
    out.append(Assumption("H100-equivalent basis", bdesc, "h100e = sum count x basis(chip) / basis(reference)",
                          note="; ".join(fallbacks)))
    missing_price = [c.id for c, d in zip(chips, price_d) if d is None]
    missing_tdp = [c.id for c, d in zip(chips, tdp_d) if d is None]
    if missing_price:
        out.append(Assumption("capex gaps", "no published price: counted as 0 USD", note=", ".join(missing_price)))
    if missing_tdp:
        out.append(Assumption("power gaps", "no published TDP: counted as 0 W", note=", ".join(missing_tdp)))
    out.append(Assumption("energy per year", "power x 8,766 h", "energy = power x 1 year (full draw all year)"))
    return out
