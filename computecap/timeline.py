"""The timeline engine: quarterly stock of chips in service per company, with p5/p50/p95.

For every sample (vectorised, seeded, chunked) and every quarter end t:
    in service[line, t]   = count x (delivered(t - delay) - delivered(t - delay - lifetime))
    chips[group, t]       = sum of the group's lines
    peak[group, t]        = sum in service x dense BF16 peak of the line's chip (FP16 if no BF16)
    h100e[group, t]       = peak / dense BF16 peak of the H100 SXM
    power[group, t]       = sum in service x TDP x server overhead x PUE
A group is a company (plus the total), or a company's (and the total's) status with ``by="status"``.
All specs of one chip share one uniform stream; the lifetime is one draw per sample.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computecap import __version__
from computecap.catalog import Catalog, Chip, Scenario, default_catalog
from computecap.core import DEFAULT_INCLUDE, Assumption, HoldingLines, check_sampling, monte_carlo, parse_include
from computecap.core.deliveries import quarter_ends, quarter_label
from computecap.core.tabular import Tabular
from computecap.errors import InputError
from computecap.uncertainty import Distribution, Uncertain

#: Metrics per group and quarter, with their units.
METRIC_UNITS = {"chips": "", "h100e": "", "peak": "FLOP/s", "power": "MW"}
#: How a timeline can be grouped.
GROUPINGS = ("company", "status")
#: The precision of ``peak`` and of the H100-equivalent basis (FP16 where a chip lacks BF16).
BASIS = ("bf16", "fp16")


@dataclass(frozen=True)
class Series:
    """One group's metrics at every quarter end: metric -> one Uncertain per quarter."""

    company: str
    status: str
    metrics: dict[str, tuple[Uncertain, ...]]


@dataclass(frozen=True)
class TimelineResult(Tabular):
    """What ``timeline`` returns: per-group quarterly stock with its assumptions."""

    scenario: str
    dates: tuple[dt.date, ...]
    series: tuple[Series, ...]
    include: tuple[str, ...]
    by: str
    retire: bool
    assumptions: tuple[Assumption, ...]
    samples: int
    seed: int
    excludes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    version: str = __version__

    @property
    def quarters(self) -> tuple[str, ...]:
        return tuple(quarter_label(d) for d in self.dates)

    def get(self, company: str, status: str = "") -> Series:
        """The series of ``company`` (or ``"total"``), and of one ``status`` when grouped by status."""
        for s in self.series:
            if s.company.lower() == company.lower() and s.status == status:
                return s
        raise KeyError(f"{company} {status}".strip())

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "from": self.quarters[0], "to": self.quarters[-1],
                "quarters": list(self.quarters), "dates": [d.isoformat() for d in self.dates],
                "include": list(self.include), "by": self.by, "retire": self.retire,
                "h100e_basis": "bf16", "peak_precision": "bf16",
                "series": [{"company": s.company, "status": s.status or None,
                            **{m: [u.to_dict() for u in us] for m, us in s.metrics.items()}}
                           for s in self.series],
                "excludes": {m: list(c) for m, c in self.excludes.items()},
                "assumptions": [a.to_dict() for a in self.assumptions],
                "samples": self.samples, "seed": self.seed, "computecap_version": self.version}


def _basis(chip: Chip) -> Distribution | None:
    """Dense BF16 (else FP16) peak [FLOP/s], or None when the chip publishes neither."""
    for p in BASIS:
        if p in chip.peaks:
            return chip.peaks[p].distribution("FLOP/s")
    return None


def _spec(chip: Chip, name: str, unit: str) -> Distribution | None:
    v = chip.get(name)
    return None if v is None else v.distribution(unit)


def _check(by: str, retire: object, companies: Iterable[str]) -> None:
    if by not in GROUPINGS:
        raise InputError(f"by: expected one of {', '.join(GROUPINGS)}, got {by!r}")
    if not isinstance(retire, bool):
        raise InputError(f"retire: expected True or False, got {retire!r}")
    if isinstance(companies, str):
        raise InputError(f"companies: expected a list of names, got the string {companies!r}")


def timeline(scenario: Scenario | str, *, start: str = "2022Q1", end: str = "2027Q4", companies: Iterable[str] = (),
             include: str | Iterable[str] = DEFAULT_INCLUDE, by: str = "company", retire: bool = True,
             samples: int = 4_000, seed: int = 0, catalog: Catalog | None = None) -> TimelineResult:
    """Quarterly stock of chips in service per company: chips, H100e, peak FLOP/s, power, with p5/p50/p95.

    Parameters
    ----------
    scenario : a Scenario, a bundled scenario name or a path to a TOML file
    start, end : first and last quarter, e.g. ``"2022Q1"``, ``"2027Q4"`` (a year or a date also works)
    companies : names or aliases to report (default: every company with a counted line)
    include : statuses counted (``"installed,approved"``, a list, or ``"all"``)
    by : ``"company"`` (each company plus the total) or ``"status"`` (each status of each company and of the total)
    retire : retire chips after the sourced ``chip_lifetime`` (False: nothing ever leaves service)
    samples, seed : Monte Carlo sample count and seed (same seed, same result)
    """
    cat = catalog or default_catalog()
    _check(by, retire, companies)
    check_sampling(samples, seed)
    scen = cat.scenario(scenario) if isinstance(scenario, str) else scenario
    inc = parse_include(include)
    dates = quarter_ends(start, end, "from/to")
    lines = HoldingLines(scen)
    chosen = list(dict.fromkeys(scen.company(c) for c in companies))
    mask = lines.select(statuses=inc, companies=chosen or None)
    if not mask.any():
        raise InputError(f"no holdings in scenario {scen.name} with status {', '.join(inc)}"
                         + (f" for {', '.join(chosen)}" if chosen else ""))
    sel = np.flatnonzero(mask)
    chosen = chosen or list(dict.fromkeys(lines.lines[j].company for j in sel))
    if by == "status":
        held = {(lines.lines[j].company, lines.lines[j].status) for j in sel}
        keys = [(c, s) for c in [*chosen, "total"] for s in inc if (c, s) in held or c == "total"
                and any(st == s for _, st in held)]
    else:
        keys = [(c, "") for c in chosen] + [("total", "")]
    member = np.zeros((len(keys), len(sel)))
    for col, j in enumerate(sel):
        ln = lines.lines[j]
        for g, (company, status) in enumerate(keys):
            if company in ("total", ln.company) and status in ("", ln.status):
                member[g, col] = 1.0

    chips = list(dict.fromkeys(lines.lines[j].chip for j in sel))
    line_chip = np.array([chips.index(lines.lines[j].chip) for j in sel])
    ref = cat.chip(cat.defaults.h100e_reference)
    ref_peak = ref.peak("bf16").m_as("FLOP/s")
    basis_d, tdp_d = [_basis(c) for c in chips], [_spec(c, "tdp", "W") for c in chips]
    over_d, pue_d = (cat.defaults[k].distribution for k in ("server_overhead", "pue"))
    lifetime = cat.defaults["chip_lifetime"].distribution
    n_d, n_m = len(dates), len(METRIC_UNITS)

    def per_chip(dists: list[Distribution | None], u: np.ndarray) -> np.ndarray:
        out = np.zeros(u.shape)
        for i, d in enumerate(dists):
            if d is not None:
                out[i] = d.sample(u[i])
        return out

    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        """Per group, metric and quarter: (n_groups x n_metrics x n_dates, size)."""
        held = lines.sample_at(rng, size, dates, retire=retire, keep=sel,
                               lifetime=lifetime)  # (n_sel, n_dates, size)
        u = rng.random((len(chips), size))
        peak = per_chip(basis_d, u)[line_chip][:, None, :]
        watts = per_chip(tdp_d, u)[line_chip][:, None, :]
        facility = over_d.sample(rng.random(size)) * pue_d.sample(rng.random(size))
        out = np.empty((len(keys), n_m, n_d, size))
        out[:, 0] = np.einsum("gl,lds->gds", member, held)
        out[:, 2] = np.einsum("gl,lds->gds", member, held * peak)
        out[:, 1] = out[:, 2] / ref_peak
        out[:, 3] = np.einsum("gl,lds->gds", member, held * watts) * facility / 1e6
        return out.reshape(-1, size)

    stats, _ = monte_carlo(samples, seed, len(sel) * n_d * 3 + len(keys) * n_m * n_d, draw)
    stats = stats.reshape(4, len(keys), n_m, n_d)
    series = tuple(Series(c, s, {m: tuple(Uncertain.from_stats(stats[:, g, k, t], unit) for t in range(n_d))
                                 for k, (m, unit) in enumerate(METRIC_UNITS.items())})
                   for g, (c, s) in enumerate(keys))
    excludes = {m: ids for m, ids in (("peak", tuple(c.id for c, d in zip(chips, basis_d) if d is None)),
                                      ("h100e", tuple(c.id for c, d in zip(chips, basis_d) if d is None)),
                                      ("power", tuple(c.id for c, d in zip(chips, tdp_d) if d is None))) if ids}
    return TimelineResult(scen.name, tuple(dates), series, inc, by, retire,
                          _assumptions(scen, lines, sel, chips, cat, ref, retire, inc), samples, seed, excludes)


def _assumptions(scen: Scenario, lines: HoldingLines, sel: np.ndarray, chips: list[Chip], cat: Catalog, ref: Chip,
                 retire: bool, inc: tuple[str, ...]) -> tuple[Assumption, ...]:
    out = [Assumption("scenario", f"{scen.name}: {scen.title}", sources=tuple(scen.sources.values()), note=scen.path),
           Assumption("statuses counted", ", ".join(inc))]
    life = cat.defaults["chip_lifetime"]
    out.append(Assumption("chip_lifetime", life.distribution.describe() + " years" if retire else
                          "off: no chip leaves service", life.formula, life.value.sources if retire else (),
                          life.value.note if retire else "", user_override=not retire))
    seen = set()
    for j in sel:
        ln = lines.lines[j]
        key = (ln.origin, ln.company, ln.chip.id, ln.status)
        if key in seen:
            continue
        seen.add(key)
        d = ln.delivery
        when = "undated: in service at every date, never retired" if d is None else (
            f"delivered {d.text}" + (f", delayed {d.delay.describe()}" if d.delay.is_uncertain or d.delay.central
                                     else ""))
        what = f"{ln.company}: {ln.chip.id} ({ln.status})" + (f", {ln.origin}" if ln.origin != "holding" else "")
        out.append(Assumption(f"holding {what}", when, sources=ln.sources,
                              note=("ASSUMPTION: " + ln.assumption) if ln.assumption else ""))
    for c in chips:
        b = _basis(c)
        out.append(Assumption(f"chip {c.id}", f"dense {next(p for p in BASIS if p in c.peaks)} {b.describe()} FLOP/s"
                              if b else "no BF16/FP16 peak: counted as 0 FLOP/s and 0 H100e",
                              sources=tuple(dict.fromkeys(s for v in (*c.peaks.values(), *c.specs.values())
                                                          for s in v.sources)), note=c.path))
    out.append(Assumption("H100-equivalent basis", f"dense BF16 (FP16 where a chip lacks BF16) / {ref.id} "
                          f"{ref.peak('bf16'):~P}", "h100e = sum in service x peak(chip) / peak(reference)"))
    for name in ("server_overhead", "pue"):
        d = cat.defaults[name]
        out.append(Assumption(name, d.distribution.describe(), d.formula, d.value.sources, d.meaning))
    return tuple(out)
