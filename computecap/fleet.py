"""The estimate engine: per-company compute, memory, power and cost from a scenario.

``estimate`` is a short pipeline: select lines -> per-chip value table -> sample chunks
(counts, chip values, shared factors) -> sum by index -> summarise -> assemble. Each
reported figure is one entry of ``METRICS``:
    metric[group] = factor x sum over the group's lines of count x chip value
A chip that does not publish a value (no price, no TDP, no peak at a precision) is left
out of that metric and named in ``excludes``: the figure is then a lower bound, never a
silent zero. All precisions of one chip share one uniform stream (their uncertainty is one
of SKU and clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from computecap import __version__
from computecap.catalog import Catalog, Chip, Scenario, default_catalog
from computecap.catalog.defaults import Defaults
from computecap.catalog.values import SourcedValue, as_date
from computecap.core import DEFAULT_INCLUDE, DEFAULT_SAMPLES, Assumption, HoldingLines, Line, monte_carlo, parse_include
from computecap.core.sampling import check_sampling
from computecap.core.tabular import Tabular
from computecap.errors import InputError
from computecap.precisions import NAMES, TPP_BIT_LENGTH
from computecap.precisions import precision as check_precision
from computecap.uncertainty import Distribution, Uncertain

H100E_BASES = ("bf16", "fp8", "tpp")
#: Precisions whose peaks an estimate reports (plus the one asked for).
REPORTED_PRECISIONS = ("tf32", "bf16", "fp16", "fp8", "int8", "fp4")
#: The precisions an H100e basis reads, in order of preference (each one is the same bit length).
BASIS_PRECISIONS = {"bf16": ("bf16", "fp16"), "fp8": ("fp8", "int8")}
_YEAR_HOURS = 365.25 * 24


@dataclass(frozen=True)
class Metric:
    """A reported figure: ``factor x sum(count x chip value)`` in ``unit``.

    ``chip_value`` names a column of the per-chip table ("count", "peak", "h100e" or a chip
    spec field); ``factor`` a per-sample draw shared by all lines ("", "utilisation",
    "facility"); ``scale`` a constant.
    """

    name: str
    unit: str
    chip_value: str
    chip_unit: str = ""
    factor: str = ""
    scale: float = 1.0
    formula: str = ""


METRICS: tuple[Metric, ...] = (
    Metric("chips", "", "count", formula="sum of chips counted"),
    Metric("effective", "FLOP/s", "peak", "FLOP/s", "utilisation", formula="peak at the precision x utilisation"),
    Metric("h100e", "", "h100e", formula="sum count x basis(chip) / basis(reference chip)"),
    Metric("memory", "GB", "memory", "GB", formula="sum count x HBM capacity"),
    Metric("memory_bandwidth", "TB/s", "memory_bandwidth", "TB/s", formula="sum count x HBM bandwidth"),
    Metric("power", "MW", "tdp", "MW", "facility", formula="sum count x TDP x server overhead x PUE"),
    Metric("energy_per_year", "GWh", "tdp", "MW", "facility", _YEAR_HOURS / 1e3,
           formula="power x 8,766 h (full draw all year)"),
    Metric("capex", "USD", "price", "USD", formula="sum count x unit price"),
)
#: Figures also reported per (status, chip) row of a company ("peak" = peak at the precision asked for).
BREAKDOWN_METRICS = ("chips", "peak", "h100e")
#: Largest companies x rows matrix used for company sums (a dense product); above it, row sums.
SMALL_MATRIX = 1 << 14
#: What a row of an estimate can be.
GROUPINGS = ("company", "country", "owner-type", "chip-group")
#: A date after every delivery: counts on it are the full holdings.
FAR_FUTURE = dt.date(2200, 1, 1)


@dataclass(frozen=True)
class GroupEstimate:
    """Estimates for one company (or the total, or one status/chip row of a company).

    A metric or peak is None when no chip of the group publishes the value it needs.
    """

    name: str
    metrics: dict[str, Uncertain | None]
    peak: dict[str, Uncertain | None]
    status: str = ""
    chip: str = ""
    breakdown: tuple[GroupEstimate, ...] = ()
    #: metric -> chip ids left out of it for lack of a published value (the figure is a lower bound)
    excludes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Uncertain | None:
        metrics: dict[str, Uncertain | None] = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(name)

    def to_dict(self, precision: str) -> dict[str, Any]:
        """JSON form: every metric as an uncertain quantity, null with a reason when not published."""
        d: dict[str, Any] = {"company": self.name}
        if self.status:
            d.update(status=self.status, chip=self.chip)
        d["peak"] = {p: _figure(u, self.excludes.get(f"peak_{p}", ())) for p, u in self.peak.items()}
        for name, u in self.metrics.items():
            d[name] = _figure(u, self.excludes.get(name, ()))
        if self.breakdown:
            d["holdings"] = [b.to_dict(precision) for b in self.breakdown]
        return d


def _figure(u: Uncertain | None, excluded: tuple[str, ...]) -> dict[str, Any] | None:
    if u is None:
        return {"value": None, "reason": "not published for any chip here: " + ", ".join(excluded)}
    d = u.to_dict()
    if excluded:
        d["excludes"] = list(excluded)
        d["note"] = "a lower bound: these chips publish no value for it"
    return d


@dataclass(frozen=True)
class EstimateResult(Tabular):
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
    retire: bool = True
    undelivered: bool = False
    #: what a row of ``companies`` is: a company, a country, an owner type or a chip group
    by: str = "company"
    #: (company or "total", metric) -> draws [the metric's unit], when estimate(keep_samples=True)
    draws: dict[tuple[str, str], np.ndarray] | None = field(default=None, repr=False, compare=False)
    version: str = __version__
    #: days to train a reference model per company (``with_time_to_train``): preset id, company -> Uncertain
    time_to_train: tuple[str, dict[str, Uncertain | None]] | None = None

    def company(self, name: str) -> GroupEstimate:
        for c in self.companies:
            if c.name.lower() == name.lower():
                return c
        raise InputError(f"company {name!r} is not in this result; it has {', '.join(c.name for c in self.companies)}")

    def draws_of(self, company: str, metric: str) -> np.ndarray:
        """The Monte Carlo draws of one company's (or ``"total"``'s) metric [its unit]; needs keep_samples."""
        if self.draws is None:
            raise InputError("draws: run estimate(..., keep_samples=True) to keep the Monte Carlo draws")
        name = "total" if company.lower() == "total" else self.company(company).name
        key = (name, metric if metric in {m.name for m in METRICS} else f"peak_{metric}")
        if key not in self.draws:
            raise InputError(f"metric: expected one of {', '.join(m.name for m in METRICS)} or a precision, "
                             f"got {metric!r}")
        return self.draws[key]

    def with_time_to_train(self, model: str, days: dict[str, Uncertain | None]) -> EstimateResult:
        """This result with a days-to-train figure per company (None where it has no usable chips)."""
        return replace(self, time_to_train=(model, dict(days)))

    def to_dict(self) -> dict[str, Any]:
        """The ``estimate --format json`` document (docs/design.md contract)."""
        out: dict[str, Any] = {
            "scenario": self.scenario, "precision": self.precision, "h100e_basis": self.h100e_basis,
            "include": list(self.include), "as_of": self.as_of, "retire": self.retire,
            "counts": "not yet delivered by as_of" if self.undelivered else "delivered by as_of and in service",
            "companies": [c.to_dict(self.precision) for c in self.companies],
            "total": self.total.to_dict(self.precision),
            "assumptions": [a.to_dict() for a in self.assumptions],
            "samples": self.samples, "seed": self.seed, "computecap_version": self.version}
        if self.time_to_train is not None:
            model, days = self.time_to_train
            out["time_to_train"] = {
                "model": model, "basis": "best chip type, largest coherent cluster",
                "companies": {k: (v.to_dict() if v else {"value": None, "reason": "no chip with a usable peak"})
                              for k, v in days.items()}}
        return out


def estimate(scenario: Scenario | str, *, companies: Iterable[str] = (),
             include: str | Iterable[str] = DEFAULT_INCLUDE, as_of: dt.date | None = None, retire: bool = True,
             undelivered: bool = False, precision: str = "bf16", samples: int = DEFAULT_SAMPLES, seed: int = 0,
             h100e_basis: str = "bf16", keep_samples: bool = False, by: str = "company",
             chip_groups: Mapping[str, str] | None = None, catalog: Catalog | None = None,
             progress: Callable[[int], None] | None = None) -> EstimateResult:
    """Per-company compute, memory, power and capital cost of a scenario, with p5/p50/p95.

    Parameters
    ----------
    scenario : a Scenario, a bundled scenario name, or a path to a TOML file.
    companies : names to report (default all); aliases and any case accepted.
    include : statuses counted, as names or one comma-separated string; ``"all"`` for every status.
    as_of : count the chips delivered by this date and still in service [datetime.date]; default today.
        Undated holdings always count.
    retire : chips leave service after the sourced ``chip_lifetime`` (False: never).
    undelivered : count instead what is not yet delivered by ``as_of`` (the pipeline: approved,
        pending and ordered chips still to come; retirement does not apply).
    precision : precision of the ``effective`` figure (bf16, fp8, ...).
    samples, seed : Monte Carlo sample count and seed (same seed, same result).
    h100e_basis : ``bf16`` (dense 16-bit vs H100 SXM), ``fp8`` (dense 8-bit, Epoch's basis) or ``tpp``.
    by : rows per ``company`` (default), ``country`` or ``owner-type`` of the companies, or
        ``chip-group``: the group ``chip_groups`` maps each chip id to (e.g. its export-control class).
    keep_samples : keep each company figure's draws (``result.draws_of(company, metric)``), for
        paired comparisons with common random numbers.
    """
    cat = catalog or default_catalog()
    scen = _scenario(scenario, cat)
    inc = parse_include(include)
    check_precision(precision)
    if h100e_basis not in H100E_BASES:
        raise InputError(f"h100e_basis: expected one of {', '.join(H100E_BASES)}, got {h100e_basis!r}")
    check_sampling(samples, seed)
    when = _date(as_of) or dt.date.today()
    for name, flag in (("retire", retire), ("undelivered", undelivered), ("keep_samples", keep_samples)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: expected True or False, got {flag!r}")
    names = _companies(companies)
    if by not in GROUPINGS:
        raise InputError(f"by: expected one of {', '.join(GROUPINGS)}, got {by!r}")
    if (by == "chip-group") != (chip_groups is not None):
        raise InputError("chip_groups: give a chip id -> group mapping exactly when by='chip-group'")

    lines = HoldingLines(scen)
    group = _grouping(scen, by, chip_groups)
    plan = _Plan(scen, lines, cat, inc, when, names, precision, h100e_basis, retire, undelivered, group)
    keep = np.arange(plan.n_group_series) if keep_samples else None
    stats, kept = monte_carlo(samples, seed, plan.rows_per_sample, plan.draw, progress, keep)
    comps, total = plan.assemble(stats)
    draws = None if kept is None else plan.draws(kept)
    assumptions = tuple(plan.assumptions())
    if by != "company":
        assumptions += (Assumption("rows", f"grouped by {by}", note="rows sum the companies' (or chips') holdings "
                                   "that share the group; 'unknown' where a company or chip has none"),)
    return EstimateResult(scen.name, comps, total, assumptions, samples, seed, precision, h100e_basis,
                          inc, when, retire=retire, undelivered=undelivered, draws=draws, by=by)


def _grouping(scen: Scenario, by: str, chip_groups: Mapping[str, str] | None) -> Callable[[Line], str]:
    """The row label of a holding line under a grouping."""
    if by == "country":
        return lambda ln: scen.companies[ln.company].country or "unknown"
    if by == "owner-type":
        return lambda ln: scen.companies[ln.company].owner_type or "unknown"
    if by == "chip-group":
        groups = dict(chip_groups or {})
        return lambda ln: groups.get(ln.chip.id, "unknown")
    return lambda ln: ln.company


def _scenario(scenario: object, cat: Catalog) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str):
        return cat.scenario(scenario)
    raise TypeError(f"scenario: expected a Scenario or a name, got {type(scenario).__name__}")


def _date(value: object) -> dt.date | None:
    if value is None:
        return None
    try:
        return as_date(value)
    except ValueError:
        raise InputError(f"as_of: expected a date like 2026-06-30, got {value!r}") from None


def _companies(companies: object) -> list[str]:
    items = [companies] if isinstance(companies, str) else companies
    try:
        names = list(items)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"companies: expected company names, got {type(companies).__name__}") from None
    if not all(isinstance(n, str) for n in names):
        raise TypeError("companies: expected company names (strings)")
    return [str(n) for n in names]


def basis_precision(chip: Chip, basis: str) -> str | None:
    """The precision ``chip`` is counted at under an H100e basis; None when it publishes none of them."""
    return next((p for p in BASIS_PRECISIONS[basis] if p in chip.peaks), None)


class _Plan:
    """Everything fixed before sampling: the lines counted, their order, and per-chip values."""

    def __init__(self, scen: Scenario, lines: HoldingLines, cat: Catalog, inc: tuple[str, ...],
                 as_of: dt.date, names: list[str], precision: str, basis: str, retire: bool,
                 undelivered: bool, group: Callable[[Line], str]) -> None:
        self.columns: dict[str, list[Distribution | None]] = {}
        self.scen, self.lines, self.defaults, self.inc, self.as_of = scen, lines, cat.defaults, inc, as_of
        self.precision, self.basis, self.retire, self.undelivered = precision, basis, retire, undelivered
        self.dated = any(ln.delivery is not None for ln in lines.lines)
        self.lifetime = cat.defaults["chip_lifetime"].distribution
        counted = lines.select(statuses=inc)
        if names:
            chosen = list(dict.fromkeys(scen.company(c) for c in names))
        else:  # every company that holds something under these filters
            held = {ln.company for ln, ok in zip(lines.lines, counted) if ok}
            chosen = [c for c in scen.companies if c in held]
        sel = [j for j in np.flatnonzero(counted) if lines.lines[j].company in chosen]
        if not sel:
            raise InputError(f"no holdings in scenario {scen.name} match companies={chosen or names}, "
                             f"include={list(inc)}")
        # Rows are groups: companies, or what the grouping maps their lines to.
        label = {j: group(lines.lines[j]) for j in sel}
        self.chosen = list(dict.fromkeys(label[j] for j in sorted(sel, key=lambda j: chosen.index(
            lines.lines[j].company))))
        # Order the lines by (group, status, chip) so sums by row and by group are contiguous slices.
        company_ix = {c: i for i, c in enumerate(self.chosen)}
        key = {j: (company_ix[label[j]], lines.lines[j].status, lines.lines[j].chip.id) for j in sel}
        sel.sort(key=lambda j: key[j])
        self.sel = np.array(sel)
        self.row_keys = list(dict.fromkeys(key[j] for j in sel))
        row_ix = {k: i for i, k in enumerate(self.row_keys)}
        self.line_row = np.array([row_ix[key[j]] for j in sel])
        self.row_starts = np.flatnonzero(np.r_[True, np.diff(self.line_row) != 0])
        row_company = np.array([k[0] for k in self.row_keys])
        self.company_starts = np.flatnonzero(np.r_[True, np.diff(row_company) != 0])
        self.chips = list(dict.fromkeys(lines.lines[j].chip for j in sel))
        chip_ix = {c.id: i for i, c in enumerate(self.chips)}
        self.line_chip = np.array([chip_ix[lines.lines[j].chip.id] for j in sel])
        self.row_chip = self.line_chip[self.row_starts]
        self.precisions = [p for p in NAMES if (p in REPORTED_PRECISIONS or p == precision)
                           and any(p in c.peaks for c in self.chips)]
        if precision not in self.precisions:
            have = sorted({p for c in self.chips for p in c.peaks}, key=NAMES.index)
            raise InputError(f"precision {precision!r}: no chip in scenario {scen.name} has it; "
                             f"chips have {', '.join(have)}")
        self._chip_columns(cat)
        #: group series: (name, per-chip column, factor, scale)
        self.series = [(m.name, m.chip_value, m.factor, m.scale) for m in METRICS]
        self.series += [(f"peak_{p}", f"peak_{p}", "", 1.0) for p in self.precisions]
        d = self.defaults
        self.factors = {"utilisation": d["utilisation"].distribution, "overhead": d["server_overhead"].distribution,
                        "pue": d["pue"].distribution}
        self._sum_plan()
        self.one_line_per_row = len(self.row_starts) == len(sel)
        self.shared_uncertain = any(dist is not None and dist.is_uncertain for k in self.shared_stream
                                    for dist in self.columns[k])
        n_rows = len(self.row_keys)
        self.n_series = (len(chosen) + 1) * len(self.primary) + sum(len(v) for v in self.row_sampled.values())
        # widest step: the kept counts, row counts, one column's row values and the output series
        self.rows_per_sample = len(sel) + 2 * n_rows + self.n_series

    def _counts(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Chips per kept line: in service on as_of, or (undelivered) still to come after it."""
        if not self.dated:
            counts: np.ndarray = self.lines.sample(rng, size, keep=self.sel) * (0.0 if self.undelivered else 1.0)
            return counts
        if self.undelivered:
            both = self.lines.sample_at(rng, size, [self.as_of, FAR_FUTURE], retire=False, keep=self.sel,
                                        lifetime=self.lifetime)
            counts = both[:, 1] - both[:, 0]
            return counts
        counts = self.lines.sample_at(rng, size, [self.as_of], retire=self.retire, keep=self.sel,
                                      lifetime=self.lifetime)[:, 0]
        return counts

    @property
    def n_group_series(self) -> int:
        """The company and total series come first in every chunk (before the breakdown rows)."""
        return (len(self.chosen) + 1) * len(self.primary)

    def draws(self, kept: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
        """Kept draws by (company or "total", metric), derived series included."""
        groups = [*self.chosen, "total"]
        out: dict[tuple[str, str], np.ndarray] = {}
        for k, (name, *_rest) in enumerate(self.primary):
            for g, label in enumerate(groups):
                out[(label, name)] = kept[k * len(groups) + g]
        for name, (src, ratio) in self.derived.items():
            for label in groups:
                out[(label, name)] = out[(label, src)] * ratio
        return out

    def _sum_plan(self) -> None:
        """How company sums are taken.

        Each column's per-row value is fixed (its chip's value has no range) or uncertain. Fixed
        values are weights: one matrix product per company (or one for all, when the companies x
        rows matrix is small) gives every fixed column's sum. Only rows of chips with a range are
        multiplied sample by sample.
        """
        n_c, n_r = len(self.chosen), len(self.row_keys)
        used = {col for _n, col, *_ in self.series}
        self.breakdown_columns = ("count", f"peak_{self.precision}", "h100e")
        cols = ["count", *(c for c in self.columns if c != "peak" and (c in used or c in self.breakdown_columns))]
        self.sum_columns = cols
        self.weights = np.zeros((len(cols), n_r))
        self.uncertain_rows: dict[str, np.ndarray] = {}
        for k, col in enumerate(cols):
            if col == "count":
                self.weights[k] = 1.0
                continue
            dists = [self.columns[col][i] for i in self.row_chip]
            self.weights[k] = [0.0 if d is None or d.is_uncertain else d.central for d in dists]
            rows = np.array([r for r, d in enumerate(dists) if d is not None and d.is_uncertain], dtype=int)
            if len(rows):
                self.uncertain_rows[col] = rows
        self.uncertain_columns = tuple(self.uncertain_rows)
        row_company = np.repeat(np.arange(n_c), np.diff(np.r_[self.company_starts, n_r]))
        #: per uncertain column: where each company's run of uncertain rows starts, and that company
        self.uncertain_starts = {}
        for col, rows in self.uncertain_rows.items():
            firsts = np.flatnonzero(np.r_[True, np.diff(row_company[rows]) != 0])
            self.uncertain_starts[col] = (firsts, row_company[rows][firsts])
        self.row_company = row_company
        self.company_bounds = list(zip(self.company_starts, np.r_[self.company_starts[1:], n_r]))
        self.all_weights: np.ndarray | None = None
        self.padded: tuple[np.ndarray, np.ndarray] | None = None
        widest = max(hi - lo for lo, hi in self.company_bounds)
        if n_c * n_r <= SMALL_MATRIX:  # every fixed column of every company in one product
            member = (np.arange(n_c)[:, None] == row_company[None, :]).astype(float)
            self.all_weights = np.concatenate([member * w[None, :] for w in self.weights])
        elif n_c * widest <= 4 * n_r:  # companies of similar size: one batched product over padded rows
            index = np.full((n_c, widest), n_r)  # n_r: a zero row appended for the padding
            for c, (lo, hi) in enumerate(self.company_bounds):
                index[c, :hi - lo] = np.arange(lo, hi)
            padded_w = np.concatenate([self.weights, np.zeros((len(cols), 1))], axis=1)[:, index]
            self.padded = (index, np.ascontiguousarray(padded_w.transpose(1, 0, 2)))  # (companies, columns, rows)
        # Series that are a fixed multiple of another are not sampled: their percentiles are that
        # multiple of the other's (energy = power x 1 year; a row of fixed-value chips = its count x value).
        first: dict[tuple[str, str], tuple[str, float]] = {}
        self.derived: dict[str, tuple[str, float]] = {}
        for name, col, fac, scale in self.series:
            if (col, fac) in first:
                src, src_scale = first[(col, fac)]
                self.derived[name] = (src, scale / src_scale)
            else:
                first[(col, fac)] = (name, scale)
        self.primary = [entry for entry in self.series if entry[0] not in self.derived]
        self.row_sampled = {c: (np.arange(n_r) if c == "count" else self.uncertain_rows.get(c, np.arange(0)))
                            for c in self.breakdown_columns}

    def _chip_columns(self, cat: Catalog) -> None:
        """Per-chip distributions of every value a metric reads (None = not published)."""
        ref = cat.chip(self.defaults.h100e_reference)
        self.reference = ref
        for p in self.precisions:
            self.columns[f"peak_{p}"] = [c.peaks[p].distribution("FLOP/s") if p in c.peaks else None
                                         for c in self.chips]
        self.columns["peak"] = self.columns[f"peak_{self.precision}"]
        if self.basis == "tpp":
            ref_value = ref.tpp.m_as("")
            self.columns["h100e"] = [None if c.tpp.m_as("") == 0 else
                                     _scaled(_tpp_distribution(c), 1 / ref_value) for c in self.chips]
        else:
            rp = basis_precision(ref, self.basis)
            assert rp is not None  # the reference chip (H100 SXM) publishes both bases
            ref_value = ref.peaks[rp].central.m_as("FLOP/s")
            self.columns["h100e"] = [None if (bp := basis_precision(c, self.basis)) is None else
                                     _scaled(c.peaks[bp].distribution("FLOP/s"), 1 / ref_value) for c in self.chips]
        market = market_of(self.scen)
        self.market = market
        for m in METRICS:
            if m.chip_value == "price":
                self.columns["price"] = [_spec(c.price_for(market, self.as_of), "USD") for c in self.chips]
            elif m.chip_value not in self.columns and m.chip_value != "count":
                self.columns[m.chip_value] = [_spec(c.get(m.chip_value), m.chip_unit) for c in self.chips]
        # precisions of one chip share one uniform stream: the peaks, and the h100e basis built from them
        self.shared_stream = {k for k in self.columns if k.startswith("peak") or (k == "h100e")}

    # ------------------------------------------------------------------ sampling
    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """One chunk: every reported series, (n_series, size).

        Lines are sorted by (company, status, chip), so a row's lines share one chip: a row's
        value is its chip count x the chip's value, and a company's is a sum of its rows. Columns
        whose chip values are all fixed fold them into one (columns x companies, rows) weight
        matrix: a single matrix product gives every company sum. Large scenarios (where that
        matrix would be big) sum contiguous rows instead.
        """
        counts = self._counts(rng, size)
        by_row = counts if self.one_line_per_row else np.add.reduceat(counts, self.row_starts, axis=0)
        del counts
        u_chip = rng.random((len(self.chips), size)) if self.shared_uncertain else None
        values = {key: _chip_values(self.columns[key], u_chip if key in self.shared_stream else None, rng, size)
                  for key in self.uncertain_columns}
        factor: dict[str, np.ndarray | float] = {"": 1.0, "utilisation": _draw(self.factors["utilisation"], rng, size)}
        factor["facility"] = _draw(self.factors["overhead"], rng, size) * _draw(self.factors["pue"], rng, size)

        n_c, n_cols = len(self.chosen), len(self.sum_columns)
        if self.all_weights is not None:
            sums = (self.all_weights @ by_row).reshape(n_cols, n_c, size)
        elif self.padded is not None:
            index, weights = self.padded
            rows_padded = np.concatenate([by_row, np.zeros((1, size))])[index]  # (companies, rows, size)
            sums = np.matmul(weights, rows_padded).transpose(1, 0, 2)
        else:
            sums = np.empty((n_cols, n_c, size))
            for c, (lo, hi) in enumerate(self.company_bounds):
                np.matmul(self.weights[:, lo:hi], by_row[lo:hi], out=sums[:, c])
        by_company = {col: sums[k] for k, col in enumerate(self.sum_columns)}
        row_values = {"count": by_row}
        for col, rows in self.uncertain_rows.items():
            part = by_row[rows] * values[col][self.row_chip[rows]]
            firsts, companies = self.uncertain_starts[col]
            by_company[col][companies] += np.add.reduceat(part, firsts, axis=0)
            if col in self.breakdown_columns:
                row_values[col] = part
        by_company["peak"] = by_company[f"peak_{self.precision}"]

        out = np.empty((self.n_series, size))
        pos = 0
        for _name, column, fac, scale in self.primary:
            block = out[pos:pos + n_c]
            f = factor[fac]
            if isinstance(f, float) and f * scale == 1.0:
                block[:] = by_company[column]
            else:
                np.multiply(by_company[column], f * scale, out=block)
            out[pos + n_c] = block.sum(axis=0)
            pos += n_c + 1
        for column in self.breakdown_columns:
            idx = self.row_sampled[column]
            if len(idx):
                out[pos:pos + len(idx)] = row_values[column]
                pos += len(idx)
        return out

    # ------------------------------------------------------------------ assembling
    def assemble(self, stats: np.ndarray) -> tuple[tuple[GroupEstimate, ...], GroupEstimate]:
        n_c = len(self.chosen)
        names = [name for name, *_ in self.series]
        units = {m.name: m.unit for m in METRICS} | {f"peak_{p}": "FLOP/s" for p in self.precisions}
        column = {name: col for name, col, *_ in self.series}
        pos = 0
        group_stats: dict[str, np.ndarray] = {}
        for name, *_ in self.primary:
            group_stats[name] = stats[:, pos:pos + n_c + 1]
            pos += n_c + 1
        for name, (src, ratio) in self.derived.items():
            group_stats[name] = group_stats[src] * ratio
        row_names = ["chips", f"peak_{self.precision}", "h100e"]
        row_stats: dict[str, np.ndarray] = {}
        for name, col in zip(row_names, self.breakdown_columns):
            idx = self.row_sampled[col]
            if col == "count":
                row_stats[name] = stats[:, pos:pos + len(idx)]
            else:  # rows of fixed-value chips: the row's count x value; the rest were sampled
                row_stats[name] = row_stats["chips"] * self.weights[self.sum_columns.index(col)][None, :]
                row_stats[name][:, idx] = stats[:, pos:pos + len(idx)]
            pos += len(idx)

        def missing(name: str, chip_ix: Iterable[int]) -> tuple[str, ...]:
            dists = self.columns.get(column[name])
            return () if dists is None else tuple(self.chips[i].id for i in dict.fromkeys(chip_ix) if dists[i] is None)

        def build(name: str, st: np.ndarray, g: int, chip_ix: list[int]) -> tuple[Uncertain | None, tuple[str, ...]]:
            gaps = missing(name, chip_ix)
            if len(gaps) == len(set(chip_ix)):
                return None, gaps
            return Uncertain.from_stats(st[:, g], units[name]), gaps

        def group(label: str, g: int, chip_ix: list[int], breakdown: tuple[GroupEstimate, ...],
                  status: str = "", chip: str = "", stat_of: dict[str, np.ndarray] | None = None,
                  metric_names: Sequence[str] = names) -> GroupEstimate:
            metrics: dict[str, Uncertain | None] = {}
            peak: dict[str, Uncertain | None] = {}
            excludes: dict[str, tuple[str, ...]] = {}
            for name in metric_names:
                u, gaps = build(name, (stat_of or group_stats)[name], g, chip_ix)
                (peak.__setitem__(name[5:], u) if name.startswith("peak_") else metrics.__setitem__(name, u))
                if gaps:
                    excludes[name] = gaps
            return GroupEstimate(label, metrics, peak, status, chip, breakdown, excludes)

        comps = []
        for c, name in enumerate(self.chosen):
            rows = range(*self.company_bounds[c])
            breakdown = tuple(group(name, r, [int(self.row_chip[r])], (), self.row_keys[r][1], self.row_keys[r][2],
                                    row_stats, row_names) for r in rows)
            comps.append(group(name, c, [int(self.row_chip[r]) for r in rows], breakdown))
        total = group("total", n_c, [int(i) for i in self.row_chip], tuple(b for c in comps for b in c.breakdown))
        return tuple(comps), total

    def assumptions(self) -> list[Assumption]:
        out = _assumptions(self.scen, self.lines, self.sel, self.chips, self.defaults, self.reference, self.basis,
                           self.precision, self.inc, self.as_of, self.columns)
        if self.undelivered:
            what = f"chips not yet delivered on {self.as_of} (total minus delivered; retirement does not apply)"
        elif not self.dated:
            what = "every holding in full (the scenario dates no deliveries)"
        else:
            what = f"chips delivered by {self.as_of} and still in service"
        out.insert(2, Assumption("counted", what, "count = total x delivered fraction(as_of) x survival(age)",
                                 note="undated holdings always count in full"))
        if self.dated and self.retire and not self.undelivered and "chip_lifetime" in self.defaults:
            d = self.defaults["chip_lifetime"]
            out.insert(3, Assumption("chip_lifetime", d.distribution.describe() + " years", d.formula,
                                     d.value.sources, d.meaning))
        out.append(Assumption("price market", self.market or "default price of each chip file",
                              "unit price = the chip's latest quote in this market on or before as_of",
                              note="from the companies' shared country; else each chip's default price"))
        return out


#: Scenario country codes -> price markets (catalog.chips.MARKETS).
_MARKET_OF_COUNTRY = {"CN": "China", "China": "China", "US": "US", "USA": "US"}


def market_of(scen: Scenario) -> str | None:
    """The price market of a scenario whose companies share a country (None: the default price)."""
    countries = {c.country for c in scen.companies.values()}
    return _MARKET_OF_COUNTRY.get(countries.pop()) if len(countries) == 1 else None


def _spec(value: SourcedValue | None, unit: str) -> Distribution | None:
    return None if value is None else value.distribution(unit)


def _scaled(d: Distribution, k: float) -> Distribution:
    return Distribution(d.low * k, d.central * k, d.high * k, d.dist, d.unit)


def _tpp_distribution(chip: Chip) -> Distribution:
    """TPP [1] as the distribution of the precision that sets it (dense TOPS x bit length)."""
    best = max((p for p in TPP_BIT_LENGTH if p in chip.peaks),
               key=lambda p: chip.peaks[p].central.m_as("TFLOP/s") * TPP_BIT_LENGTH[p])
    return _scaled(chip.peaks[best].distribution("TFLOP/s"), TPP_BIT_LENGTH[best])


def _draw(d: Distribution, rng: np.random.Generator, size: int) -> np.ndarray | float:
    """Samples of ``d``; a fixed value draws no random numbers."""
    return d.sample(rng.random(size)) if d.is_uncertain else d.central


def _chip_values(dists: list[Distribution | None], u_shared: np.ndarray | None, rng: np.random.Generator,
                 size: int) -> np.ndarray:
    """Per-chip samples (n_chips, size); a fixed value is broadcast, a missing one is 0 (and excluded)."""
    out = np.zeros((len(dists), size))
    for i, d in enumerate(dists):
        if d is None:
            continue
        if d.is_uncertain:
            out[i] = d.sample(u_shared[i] if u_shared is not None else rng.random(size))
        else:
            out[i] = d.central
    return out


def _assumptions(scen: Scenario, lines: HoldingLines, sel: np.ndarray, chips: list[Chip], defaults: Defaults,
                 ref: Chip, basis: str, precision: str, inc: tuple[str, ...], as_of: dt.date | None,
                 columns: dict[str, list[Distribution | None]]) -> list[Assumption]:
    out = [Assumption("scenario", f"{scen.name}: {scen.title}", sources=tuple(scen.sources.values()), note=scen.path),
           Assumption("statuses counted", ", ".join(inc))]
    seen: set[tuple[str, str]] = set()
    for j in sel:
        ln = lines.lines[j]
        if (ln.company, ln.origin + ln.chip.id + ln.status) in seen:
            continue
        seen.add((ln.company, ln.origin + ln.chip.id + ln.status))
        what = f"{ln.company}: {ln.chip.id} ({ln.status})" + (f", {ln.origin}" if ln.origin != "holding" else "")
        out.append(Assumption(f"holding {what}", "count sampled from the scenario", sources=ln.sources,
                              note=("ASSUMPTION: " + ln.assumption) if ln.assumption else ""))
    origins = {lines.lines[j].origin for j in sel}
    for a in scen.allocations:
        if a.label in origins:
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
        desc = (f"{p.central:~P} dense {precision}" + (f" (range {p.low:~P}..{p.high:~P})" if p.is_range else "")
                if p else f"{precision} peak not published: left out of peak and effective {precision}")
        out.append(Assumption(f"chip {c.id}", desc, sources=srcs, note=c.path))
    for name in ("utilisation", "server_overhead", "pue"):
        d = defaults[name]
        out.append(Assumption(name, d.distribution.describe(), d.formula, d.value.sources, d.meaning))
    if basis == "tpp":
        bdesc = f"TPP / {ref.id} TPP {ref.tpp.m_as(''):,.0f}"
    else:
        rp = basis_precision(ref, basis)
        bdesc = (f"dense {' or '.join(BASIS_PRECISIONS[basis])} (the first a chip publishes) / "
                 f"{ref.id} {ref.peak(rp or basis):~P}")
    used = [f"{c.id} at {bp}" for c in chips if basis != "tpp" and (bp := basis_precision(c, basis)) not in (basis, None)]
    out.append(Assumption("H100-equivalent basis", bdesc, "h100e = sum count x basis(chip) / basis(reference)",
                          note="; ".join(used)))
    for metric, key in (("capex", "price"), ("power", "tdp"), ("h100e", "h100e")):
        gaps = [c.id for c, d in zip(chips, columns[key]) if d is None]
        if gaps:
            out.append(Assumption(f"{metric} gaps", "not published: left out, so the figure is a lower bound",
                                  note=", ".join(gaps)))
    out.append(Assumption("energy per year", "power x 8,766 h", "energy = power x 1 year (full draw all year)"))
    return out
