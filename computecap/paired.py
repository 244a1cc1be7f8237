"""Paired comparisons: two scenarios, a scenario and a what-if, or two companies of one run.

Both sides run ``fleet.estimate`` with the same seed and keep their draws, so an input the
two share gets the same random numbers on both sides (common random numbers) and cancels
in the difference: A against A gives a difference of exactly 0 and P(A > B) = 0. The
difference, the ratio and P(A > B) are taken draw by draw, so their intervals are those of
the paired quantity, not of two independent summaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from computecap import __version__
from computecap.catalog import Catalog, Scenario, default_catalog
from computecap.core import DEFAULT_INCLUDE, DEFAULT_SAMPLES, Assumption
from computecap.errors import InputError
from computecap.fleet import METRICS, EstimateResult, estimate
from computecap.overrides import Value, apply, changes
from computecap.report import dumps, fmt_number, render_rows
from computecap.uncertainty import Uncertain
from computecap.units import Q_

#: Display unit of each metric unit in tables and charts.
DISPLAY = {"FLOP/s": "EFLOP/s", "GB": "PB", "TB/s": "PB/s"}


@dataclass(frozen=True)
class PairRow:
    """One company (or the total, or company A against company B): both sides, their paired
    difference (A - B) and ratio (A / B), and P(A > B). A figure that cannot be formed is None
    with the reason in ``note``."""

    name: str
    a: Uncertain | None
    b: Uncertain | None
    difference: Uncertain | None
    ratio: Uncertain | None
    p_greater: float | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        for key in ("a", "b", "difference", "ratio"):
            u = getattr(self, key)
            d[key] = u.to_dict() if u is not None else None
        d["p_a_greater"] = self.p_greater
        if self.note:
            d["note"] = self.note
        return d


@dataclass(frozen=True)
class Comparison:
    """What ``compare`` returns: paired rows for one metric, with how each side was built."""

    metric: str
    unit: str
    label_a: str
    label_b: str
    rows: tuple[PairRow, ...]
    samples: int
    seed: int
    as_of: dt.date | None
    assumptions: tuple[Assumption, ...]
    #: row name -> (draws of A, draws of B) [unit], for charts
    draws: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    def row(self, name: str) -> PairRow:
        for r in self.rows:
            if r.name.lower() == name.lower():
                return r
        raise InputError(f"row {name!r} is not in this comparison; it has {', '.join(r.name for r in self.rows)}")

    def to_dict(self) -> dict[str, Any]:
        unit = f"{Q_(1, self.unit).units:~P}" if self.unit else ""
        return {"metric": self.metric, "unit": unit, "a": self.label_a, "b": self.label_b,
                "paired": "same seed on both sides: inputs both draw in the same order share random numbers",
                "as_of": self.as_of, "rows": [r.to_dict() for r in self.rows],
                "assumptions": [a.to_dict() for a in self.assumptions], "samples": self.samples, "seed": self.seed,
                "computecap_version": __version__}


def summarise(draws: np.ndarray, unit: str) -> Uncertain:
    """p5, p50, p95 and mean of ``draws`` [unit]."""
    p5, p50, p95 = np.percentile(draws, (5.0, 50.0, 95.0))
    return Uncertain(float(p5), float(p50), float(p95), float(draws.mean()), unit)


def pair(name: str, a: np.ndarray, b: np.ndarray, unit: str) -> PairRow:
    """The paired row of draws ``a`` and ``b`` (same samples, same order) [unit]."""
    note = ""
    ratio = None
    if np.all(b > 0):
        ratio = summarise(a / b, "")
    else:
        note = "no ratio: B is zero in some draws"
    return PairRow(name, summarise(a, unit), summarise(b, unit), summarise(a - b, unit), ratio,
                   float(np.mean(a > b)), note)


def _metric(metric: str) -> tuple[str, str]:
    """(draws key, unit) of a metric name or a precision (its dense peak)."""
    units = {m.name: m.unit for m in METRICS}
    if metric in units:
        return metric, units[metric]
    from computecap.precisions import PRECISIONS
    if metric in PRECISIONS:
        return metric, "FLOP/s"
    raise InputError(f"metric: expected one of {', '.join(units)} or a precision "
                     f"({', '.join(PRECISIONS)}), got {metric!r}")


def compare(scenario_a: Scenario | str, scenario_b: Scenario | str | None = None, *,
            overrides_a: Mapping[str, Value] | None = None, overrides_b: Mapping[str, Value] | None = None,
            companies: Iterable[str] = (), company: str | None = None, against: str | None = None,
            metric: str = "h100e", include: str | Iterable[str] = DEFAULT_INCLUDE, as_of: dt.date | None = None,
            retire: bool = True, precision: str = "bf16", h100e_basis: str = "bf16", samples: int = DEFAULT_SAMPLES,
            seed: int = 0, catalog: Catalog | None = None) -> Comparison:
    """Paired comparison of ``metric`` [its unit] between two sides, per company and in total.

    Sides: ``scenario_a`` (with ``overrides_a``) against ``scenario_b`` (default the same
    scenario) with ``overrides_b``; or, with ``company`` and ``against``, two companies of
    ``scenario_a`` in one run. ``metric``: chips, effective, h100e, memory, memory_bandwidth,
    power, energy_per_year, capex, or a precision (its dense peak). Other arguments as
    ``fleet.estimate``.
    """
    cat = catalog or default_catalog()
    companies = list(companies)
    key, unit = _metric(metric)
    opts: dict[str, Any] = {"include": include, "as_of": as_of, "retire": retire, "precision": precision,
                            "h100e_basis": h100e_basis, "samples": samples, "seed": seed, "keep_samples": True}
    scen_a = cat.scenario(scenario_a) if isinstance(scenario_a, str) else scenario_a
    cat_a, new_a = apply(cat, scen_a, overrides_a or {})
    assert new_a is not None
    if company is not None or against is not None:
        if company is None or against is None:
            raise InputError("company and against go together (compare two companies of one scenario)")
        if scenario_b is not None or overrides_b:
            raise InputError("compare either two companies of one scenario (company, against) or two sides "
                             "(scenario_b, overrides_b), not both")
        names = [new_a.company(company), new_a.company(against)]
        if names[0] == names[1]:
            raise InputError(f"company and against are both {names[0]}: choose two companies")
        r = estimate(new_a, companies=names, catalog=cat_a, **opts)
        a, b = r.draws_of(names[0], key), r.draws_of(names[1], key)
        row = pair(f"{names[0]} vs {names[1]}", a, b, unit)
        return Comparison(metric, unit, names[0], names[1], (row,), samples, seed, r.as_of,
                          _assumptions("", cat_a, r), {row.name: (a, b)})
    scen_b = scen_a if scenario_b is None else (cat.scenario(scenario_b) if isinstance(scenario_b, str)
                                                 else scenario_b)
    cat_b, new_b = apply(cat, scen_b, overrides_b or {})
    assert new_b is not None
    ra = estimate(new_a, companies=companies, catalog=cat_a, **opts)
    names_b = _present(companies, new_b)
    if companies and not names_b:
        raise InputError(f"none of {', '.join(companies)} is in scenario {new_b.name} (side B)")
    rb = estimate(new_b, companies=names_b, catalog=cat_b, **opts)
    in_b = {c.name for c in rb.companies}
    rows: list[PairRow] = []
    draws: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in [*(c.name for c in ra.companies), *(n for n in in_b if n not in {c.name for c in ra.companies}),
              "total"]:
        if c != "total" and (c not in in_b or c not in {x.name for x in ra.companies}):
            side, other = ("A", "B") if c not in in_b else ("B", "A")
            rows.append(PairRow(c, None, None, None, None, None, f"only in {side}: {c} holds nothing counted in "
                                f"{other}"))
            continue
        a, b = ra.draws_of(c, key), rb.draws_of(c, key)
        rows.append(pair(c, a, b, unit))
        draws[c] = (a, b)
    label_a = _label(new_a, overrides_a)
    label_b = _label(new_b, overrides_b)
    notes = _assumptions("A: ", cat_a, ra) + _assumptions("B: ", cat_b, rb)
    return Comparison(metric, unit, label_a, label_b, tuple(rows), samples, seed, ra.as_of, notes, draws)


def _present(companies: Iterable[str], scen: Scenario) -> list[str]:
    """The asked-for companies that ``scen`` lists (the other side may have more)."""
    out = []
    for c in companies:
        try:
            out.append(scen.company(c))
        except KeyError:
            continue
    return out


def _label(scen: Scenario, sets: Mapping[str, Value] | None) -> str:
    return scen.name + (" with " + ", ".join(f"{k}={v}" for k, v in sets.items()) if sets else "")


def _assumptions(prefix: str, cat: Catalog, r: EstimateResult) -> tuple[Assumption, ...]:
    """The scenario and every user override of one side, named with its side."""
    scen = next(a for a in r.assumptions if a.name == "scenario")
    out = [Assumption(f"{prefix}scenario", scen.value, note=scen.note)]
    out += [Assumption(f"{prefix}{c.assumption().name}", c.value, note=c.assumption().note, user_override=True)
            for c in changes(cat)]
    return tuple(out)


# ---------------------------------------------------------------------------- rendering
def display_unit(unit: str) -> tuple[str, float]:
    shown = DISPLAY.get(unit, unit)
    return shown, (Q_(1.0, unit).m_as(shown) if unit else 1.0)


def _cell(u: Uncertain | None, factor: float) -> str:
    if u is None:
        return "n/a"
    if u.p5 == u.p95:
        return fmt_number(u.p50 * factor, 3)
    return f"{fmt_number(u.p50 * factor, 3)} [{fmt_number(u.p5 * factor, 3)} to {fmt_number(u.p95 * factor, 3)}]"


def render(result: Comparison, fmt: str) -> str:
    """The comparison as a table, JSON, tidy numeric CSV or Markdown."""
    if fmt == "json":
        return dumps(result.to_dict())
    shown, f = display_unit(result.unit)
    if fmt == "csv":
        head = ["name", "metric", "unit"] + [f"{s}_{q}" for s in ("a", "b", "difference", "ratio")
                                             for q in ("p5", "p50", "p95", "mean")] + ["p_a_greater", "note"]
        rows = []
        for r in result.rows:
            cells: list[Any] = [r.name, result.metric, shown]
            for u, k in ((r.a, f), (r.b, f), (r.difference, f), (r.ratio, 1.0)):
                cells += [None] * 4 if u is None else [repr(x * k) for x in (u.p5, u.p50, u.p95, u.mean)]
            rows.append([*cells, None if r.p_greater is None else repr(r.p_greater), r.note])
        return render_rows(head, rows, "csv")
    unit = f" [{shown}]" if shown else ""
    head = ["", f"A{unit}", f"B{unit}", f"A - B{unit}", "A / B", "P(A > B)"]
    rows = [[r.name, _cell(r.a, f), _cell(r.b, f), _cell(r.difference, f), _cell(r.ratio, 1.0),
             "n/a" if r.p_greater is None else f"{r.p_greater:.1%}"] for r in result.rows]
    title = (f"{result.metric}: A = {result.label_a}; B = {result.label_b}; p50 [p5 to p95] of paired draws, "
             f"{result.samples:,} samples, seed {result.seed}, in service on {result.as_of}")
    out = render_rows(head, rows, fmt, title=title)
    notes = [f"{r.name}: {r.note}" for r in result.rows if r.note]
    return out + "".join(f"\n{n}" for n in notes) + ("\n" if notes else "")
