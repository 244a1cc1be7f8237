"""Tidy records of results, for spreadsheets, pandas and notebooks.

One record per group x metric, with the figure's unit and its p5/p50/p95/mean as plain
numbers (``value`` = p50). A figure that cannot be computed has empty numbers and a note
saying why. ``to_frame`` needs pandas (``pip install 'computecap[frame]'``), imported only
when called.
"""

from __future__ import annotations

import csv
import html
import importlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from computecap.errors import InputError, OutputError
from computecap.report import csv_number, write_atomic
from computecap.uncertainty import Uncertain
from computecap.units import Q_

#: The numeric columns every tidy table ends with (value = p50).
FIGURE = ("unit", "value", "p5", "p50", "p95", "mean")
NUMBERS = FIGURE[1:]


@dataclass(frozen=True)
class Tidy:
    """A tidy table: ``columns`` in order and one dict per record (numbers as float or None)."""

    columns: tuple[str, ...]
    records: tuple[dict[str, Any], ...]
    title: str


def unit_text(unit: str) -> str:
    """A unit as the JSON output writes it (``FLOP/s``, ``USD``); empty for counts and ratios."""
    return f"{Q_(1, unit).units:~P}" if unit else ""


def figure(u: Uncertain | None, why: str = "") -> dict[str, Any]:
    """The FIGURE columns of one uncertain figure; None numbers (and ``why`` as the note) when missing."""
    if u is None:
        return {"unit": "", "value": None, "p5": None, "p50": None, "p95": None, "mean": None,
                "note": why or "not computed"}
    return {"unit": unit_text(u.unit), "value": u.p50, "p5": u.p5, "p50": u.p50, "p95": u.p95, "mean": u.mean}


def exact(value: float, unit: str) -> dict[str, Any]:
    """The FIGURE columns of a figure without uncertainty (all percentiles equal)."""
    return {"unit": unit_text(unit), "value": value, "p5": value, "p50": value, "p95": value, "mean": value}


# ---------------------------------------------------------------------------- per result type
def _estimate(result: Any, pipeline: Any = None) -> Tidy:
    base = {"scenario": result.scenario, "as_of": str(result.as_of or ""), "seed": result.seed,
            "samples": result.samples}
    records: list[dict[str, Any]] = []

    def group(g: Any, counted: str, status: str, chip: str, basis: str) -> None:
        items = [(k, u) for k, u in g.metrics.items()] + [(f"peak_{p}", u) for p, u in g.peak.items()]
        for name, u in items:
            gaps = g.excludes.get(name, ())
            rec = {**base, "counted": counted, "company": g.name, "status": status, "chip": chip, "metric": name,
                   **figure(u, "not published for any chip here: " + ", ".join(gaps))}
            if u is not None and gaps:
                rec["note"] = "a lower bound: leaves out " + ", ".join(gaps)
            elif name == "h100e" and u is not None:
                rec["note"] = f"basis {basis}"
            records.append(rec)

    for res, counted in ((result, "in service"), (pipeline, "not yet delivered")):
        if res is None:
            continue
        groups = [*res.companies, res.total] if len(res.companies) > 1 else list(res.companies)
        for g in groups:
            group(g, counted, "all", "all", res.h100e_basis)
            for b in g.breakdown if g.name != "total" else ():
                if counted == "in service" or ((n := b.metrics.get("chips")) is not None and n.p95 > 0.5):
                    group(b, counted, b.status, b.chip, res.h100e_basis)
        if res is result and result.time_to_train is not None:
            model, days = result.time_to_train
            for name, d in days.items():
                records.append({**base, "counted": counted, "company": name, "status": "all", "chip": "best",
                                "metric": "days_to_train", **figure(d, "no chip with a usable peak"),
                                **({"note": f"{model} on the largest coherent cluster"} if d else {})})
    cols = ("scenario", "as_of", "seed", "samples", "counted", "company", "status", "chip", "metric", *FIGURE, "note")
    title = f"Scenario {result.scenario} on {result.as_of}: compute per company, status and chip"
    return Tidy(cols, tuple(records), title)


def _timeline(result: Any) -> Tidy:
    records = [{"scenario": result.scenario, "seed": result.seed, "samples": result.samples, "quarter": q,
                "date": d.isoformat(), "company": s.company, "status": s.status or "all", "metric": m,
                **figure(us[t])}
               for s in result.series for m, us in s.metrics.items()
               for t, (q, d) in enumerate(zip(result.quarters, result.dates))]
    cols = ("scenario", "seed", "samples", "quarter", "date", "company", "status", "metric", *FIGURE)
    return Tidy(cols, tuple(records), f"Scenario {result.scenario}: stock in service at each quarter end")


def _training(r: Any) -> Tidy:
    why = dict(r.missing)
    base = {"model": r.workload.name, "chip": r.cluster.chip.id, "cluster": r.cluster.description,
            "precision": r.precision, "hours": r.hours, "seed": r.seed, "samples": r.samples}
    records = [{**base, "metric": "training_flop", **exact(r.training_flop.m_as("FLOP"), "FLOP"), "note": r.formula}]
    for name in ("chips", "utilisation", "duration", "chip_hours", "energy", "cost", "runs_per_year"):
        u = None if name in why else getattr(r, name)
        records.append({**base, "metric": name, **figure(u, why.get(name, ""))})
    cols = ("model", "chip", "cluster", "precision", "hours", "seed", "samples", "metric", *FIGURE, "note")
    return Tidy(cols, tuple(records), f"Training {r.workload.name} on {r.cluster.description}")


def _serving(results: Any) -> Tidy:
    from computecap.inference import SERIES, FleetServingResult
    fleet = results if isinstance(results, FleetServingResult) else None
    per_chip = list(fleet.per_chip) if fleet else list(results)
    where = {"scenario": fleet.scenario, "company": fleet.company} if fleet else {"scenario": "", "company": ""}
    records: list[dict[str, Any]] = []
    for r in per_chip:
        base = {"model": r.model, **where, "chip": r.chip.id,
                "layout": r.deployment.layout.describe() if r.deployment else "", "seed": r.seed,
                "samples": r.samples}
        for key in SERIES:
            records.append({**base, "metric": key, **figure(r.values.get(key), r.missing.get(key, ""))})
    if fleet:
        first = per_chip[0] if per_chip else None
        base = {"model": first.model if first else "", **where, "chip": "all", "layout": "",
                "seed": first.seed if first else "", "samples": first.samples if first else ""}
        records += [{**base, "metric": "output_throughput", **figure(fleet.total_output_throughput)},
                    {**base, "metric": "tokens_per_day", **figure(fleet.total_tokens_per_day)}]
    cols = ("model", "scenario", "company", "chip", "layout", "seed", "samples", "metric", *FIGURE, "note")
    model = per_chip[0].model if per_chip else ""
    return Tidy(cols, tuple(records), f"Serving {model}" + (f" for {fleet.company}" if fleet else ""))


def tidy(result: Any, pipeline: Any = None) -> Tidy:
    """The tidy table of an estimate (with its not-yet-delivered ``pipeline``), timeline, training
    run, or serving results (a FleetServingResult or a list of ServingResult)."""
    from computecap.fleet import EstimateResult
    from computecap.inference import FleetServingResult, ServingResult
    from computecap.timeline import TimelineResult
    from computecap.training import TrainingResult
    if isinstance(result, EstimateResult):
        return _estimate(result, pipeline)
    if isinstance(result, TimelineResult):
        return _timeline(result)
    if isinstance(result, TrainingResult):
        return _training(result)
    if isinstance(result, FleetServingResult):
        return _serving(result)
    if isinstance(result, ServingResult):
        return _serving([result])
    if isinstance(result, (list, tuple)) and result and all(isinstance(r, ServingResult) for r in result):
        return _serving(result)
    raise InputError(f"tidy: expected an estimate, timeline, training or serving result, got {type(result).__name__}")


# ---------------------------------------------------------------------------- outputs
def to_csv(table: Tidy) -> str:
    """CSV text: a header row, then one line per record; plain numbers, empty when missing."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    for rec in table.records:
        w.writerow([csv_number(rec.get(c)) if c in NUMBERS else _text(rec.get(c)) for c in table.columns])
    return buf.getvalue()


def _text(x: Any) -> str:
    return "" if x is None else str(x)


def to_frame(result: Any) -> Any:
    """A tidy pandas DataFrame of ``result`` (one row per group x metric; missing numbers are NaN)."""
    try:
        pd = importlib.import_module("pandas")
    except ImportError:
        raise InputError("to_frame needs pandas: pip install 'computecap[frame]'") from None
    table = tidy(result)
    frame = pd.DataFrame([[rec.get(c) for c in table.columns] for rec in table.records], columns=list(table.columns))
    for c in NUMBERS:
        frame[c] = frame[c].astype(float)
    return frame


def repr_html(result: Any, limit: int = 60) -> str:
    """An HTML table for notebooks: per group and metric, p50 with its p5-p95 (text escaped)."""
    table = tidy(result)
    records = list(table.records)
    if "counted" in table.columns:  # an estimate: company totals first, the rest in to_frame()
        records = [r for r in records if r["status"] == "all"]
    keys = [c for c in table.columns if c not in (*FIGURE, "note", "seed", "samples")
            and len({_text(r.get(c)) for r in records}) > 1]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [*keys, "metric" if "metric" not in keys else "", "unit",
                                                          "p50", "p5", "p95", "note"] if c)
    body = []
    for r in records[:limit]:
        cells = [_text(r.get(c)) for c in keys] + ([] if "metric" in keys else [_text(r.get("metric"))])
        cells += [_text(r.get("unit"))] + [_html_number(r.get(c)) for c in ("p50", "p5", "p95")]
        cells.append(_text(r.get("note")))
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    more = (f"<p>{len(records) - limit} more rows: <code>to_frame()</code> has them all.</p>"
            if len(records) > limit else "")
    return (f"<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{more}")


def _html_number(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


# ---------------------------------------------------------------------------- draws
def draw_columns(result: Any) -> dict[str, tuple[np.ndarray, str]]:
    """Kept draws of an estimate as ``"company/metric" -> (draws, unit)``, in result order."""
    if result.draws is None:
        raise InputError("draws: run estimate(..., keep_samples=True) to keep the Monte Carlo draws")
    units = {m.name: m.unit for m in _metrics()}
    out: dict[str, tuple[np.ndarray, str]] = {}
    for (company, metric), draws in result.draws.items():
        unit = units.get(metric, "FLOP/s" if metric.startswith("peak_") else "")
        out[f"{company}/{metric}"] = (np.asarray(draws, dtype=float), unit_text(unit))
    return out


def _metrics() -> Iterable[Any]:
    from computecap.fleet import METRICS
    return METRICS


def write_draws(result: Any, path: str | Path) -> None:
    """Write an estimate's kept draws to ``path``, atomically: ``.npz`` (one array per
    company/metric, units and provenance in ``__meta__`` as JSON) or ``.csv`` (one column per
    company/metric with its unit in the header, one row per draw)."""
    path = Path(path)
    columns = draw_columns(result)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        meta = {"scenario": result.scenario, "as_of": str(result.as_of or ""), "seed": result.seed,
                "samples": result.samples, "units": {k: u for k, (_, u) in columns.items()}}
        buf = io.BytesIO()
        arrays: dict[str, Any] = {k: v for k, (v, _) in columns.items()}
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez_compressed(buf, **arrays)
        write_atomic(path, buf.getvalue())
    elif suffix == ".csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\n")
        w.writerow([f"{k} [{u}]" if u else k for k, (_, u) in columns.items()])
        stacked = np.column_stack([v for v, _ in columns.values()]) if columns else np.empty((0, 0))
        w.writerows([[repr(float(x)) for x in row] for row in stacked])
        write_atomic(path, text.getvalue().encode("utf-8"))
    else:
        raise OutputError(f"{path}: --samples-out: expected a .npz or .csv file name")
