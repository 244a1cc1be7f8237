"""Views: turn library results into the CLI's tables and JSON documents."""

from __future__ import annotations

from typing import Any

import pint

from computecap import __version__
from computecap.catalog import Chip, RuleSet, SourcedValue
from computecap.comparison import METRICS, ComparisonRow, chip_metrics, used_metrics
from computecap.controls import Classification, classify_all, performance_density, tpp
from computecap.core.tabular import quantity_json
from computecap.frames import tidy, to_csv
from computecap.report import (
    Cell,
    dumps,
    fmt_compact,
    fmt_count,
    fmt_number,
    fmt_range,
    fmt_uncertain,
    render_rows,
    render_stacked,
    terminal_width,
    wrap_text,
)
from computecap.uncertainty import Uncertain

#: Display unit per chip field.
CHIP_UNITS = {"memory": "GB", "memory_bandwidth": "TB/s", "interconnect_bandwidth": "GB/s",
              "scale_out_bandwidth": "GB/s", "node_chips": "", "tdp": "W", "die_area": "mm**2", "price": "USD"}


def sources_text(sources: Any, explain: bool, width: int | None = None, hint: str = "`--explain` or ") -> str:
    """A "Sources:" list: key, title, document reference and date read; URLs only with ``explain``."""
    lines = ["Sources:" + ("" if explain else f" ({hint}`--format json` for the URLs)")]
    for s in sources:
        where = f" {s.url}" if explain and s.url else (f" {s.document}" if s.document else "")
        lines.append(wrap_text(f"  {s.key}: {s.title}.{where} (read {s.accessed})", width, indent="    "))
    return "\n".join(lines) + "\n"


def unit_label(unit: str) -> str:
    return {"mm**2": "mm²", "1/mm**2": "TPP/mm²", "": ""}.get(unit, unit)


def sourced_json(value: SourcedValue, unit: str) -> dict[str, Any]:
    """A sourced value converted to ``unit``, with range and source keys."""
    d = value.to_dict()
    d["value"] = float(value.central.m_as(unit))
    d["unit"] = unit
    if value.is_range:
        d["low"], d["high"] = float(value.low.m_as(unit)), float(value.high.m_as(unit))
    return d


def classification_json(c: Classification) -> dict[str, Any]:
    r = c.rule_set
    return {"rule": r.id, "citation": r.citation, "effective": r.effective or None, "until": r.until or None,
            "applies_to": r.applies_to or None, "sources": [s.to_dict() for s in r.all_sources.values()],
            "class": c.name, "effect": c.effect,
            "nearest": None if c.nearest is None else c.nearest.describe(),
            "margins": [{"condition": m.condition.describe(), "holds": m.holds, "relative": m.relative}
                        for m in c.margins]}


def chip_json(chip: Chip, rule_sets: list[RuleSet]) -> dict[str, Any]:
    """The ``chips show --format json`` document (DESIGN.md contract)."""
    pd = performance_density(chip)
    return {
        "id": chip.id, "name": chip.name, "vendor": chip.vendor, "aliases": list(chip.aliases),
        "datacenter": chip.datacenter, **dict(chip.text),
        "peak_dense": {p: sourced_json(chip.peaks[p], "TFLOP/s") for p in chip.precisions},
        **{k: (sourced_json(chip.specs[k], u) if k in chip.specs else None) for k, u in CHIP_UNITS.items()},
        "price_as_of": chip.price_as_of or None,
        "price_quotes": [{"market": q.market, "kind": q.kind, "date": q.date_text, **sourced_json(q.value, "USD")}
                         for q in chip.price_quotes],
        "tpp": quantity_json(tpp(chip)),
        "performance_density": quantity_json(pd),
        "export_control": {c.rule_set.id: classification_json(c) for c in classify_all(chip, rule_sets)},
        "sources": [s.to_dict() for s in chip.sources.values()],
        "file": chip.path, "computecap_version": __version__,
    }


def chips_list(chips: list[Chip], fmt: str) -> str:
    if fmt == "json":
        return dumps([{"id": c.id, "name": c.name, "vendor": c.vendor, "aliases": list(c.aliases),
                       **{k: quantity_json(v) for k, v in chip_metrics(c).items()
                          if k in ("peak_bf16", "peak_fp8", "memory", "memory_bandwidth", "tdp", "tpp")}}
                      for c in chips])
    headers = ["id", "name", "BF16 [TFLOP/s]", "FP8 [TFLOP/s]", "memory [GB]", "bandwidth [TB/s]", "TDP [W]", "TPP"]
    rows = []
    for c in chips:
        m = chip_metrics(c)
        rows.append([c.id, c.name] + [fmt_number(None if (q := m[k]) is None else q.magnitude)
                                      for k in ("peak_bf16", "peak_fp8", "memory", "memory_bandwidth", "tdp", "tpp")])
    return render_rows(headers, rows, fmt, title="Chips (dense peaks; `computecap chips show ID` for sources)")


def chip_show(chip: Chip, rule_sets: list[RuleSet], fmt: str, explain: bool = False) -> str:
    """Every spec of one chip with its source keys, its dated price quotes and export-control class."""
    if fmt == "json":
        return dumps(chip_json(chip, rule_sets))
    rows: list[list[Any]] = []
    for p in chip.precisions:
        v = chip.peaks[p]
        rng = f"{v.low.m_as('TFLOP/s'):g}..{v.high.m_as('TFLOP/s'):g}" if v.is_range else ""
        rows.append([f"peak {p} (dense)", fmt_number(v.central.m_as("TFLOP/s")), "TFLOP/s", rng,
                     ", ".join(s.key for s in v.sources)])
    for k, unit in CHIP_UNITS.items():
        spec = chip.get(k)
        if spec is None:
            rows.append([k, "n/p", unit_label(unit), "", "not published"])
            continue
        rng = f"{spec.low.m_as(unit):g}..{spec.high.m_as(unit):g}" if spec.is_range else ""
        rows.append([k, fmt_number(spec.central.m_as(unit)), unit_label(unit), rng,
                     ", ".join(s.key for s in spec.sources)
                     + (f" (as of {chip.price_as_of})" if k == "price" and chip.price_as_of else "")])
    rows.append(["TPP", fmt_number(tpp(chip).m_as("")), "", "", "computed: max dense TOPS x bit length"])
    pd = performance_density(chip)
    rows.append(["performance density", fmt_number(None if pd is None else pd.m_as("1/mm**2")), "TPP/mm²", "",
                 "computed: TPP / die area"])
    out = render_rows(["field", "value", "unit", "range", "source"], rows, fmt,
                      title=f"{chip.name} ({chip.id}; {chip.path})")
    if chip.price_quotes:
        quotes = [[q.market, q.kind, q.date_text, fmt_number(q.value.central.m_as("USD")),
                   f"{q.value.low.m_as('USD'):,.0f}..{q.value.high.m_as('USD'):,.0f}" if q.value.is_range else "",
                   ", ".join(s.key for s in q.value.sources)] for q in chip.price_quotes]
        out += "\n" + render_rows(["market", "kind", "date", "price [USD]", "range", "source"], quotes, fmt,
                                  title="Price quotes (an estimate uses the latest in its market on or before its date)")
    classes = [[c.rule_set.id, c.name, "" if c.nearest is None else c.nearest.describe()]
               for c in classify_all(chip, rule_sets)]
    out += "\n" + render_rows(["rule set", "class", "nearest threshold (margin)"], classes, fmt,
                              title=f"Export-control class (computed; `computecap controls {chip.id}`)")
    if fmt == "table":
        out += "\n" + sources_text(chip.sources.values(), explain)
    return out


def chips_compare(rows: list[ComparisonRow], baseline: Chip, fmt: str, intensity: float | None = None,
                  precision: str = "bf16") -> str:
    from computecap.roofline import attainable
    keys = used_metrics(rows)
    extra: dict[str, tuple[pint.Quantity[Any] | None, float | None]] = {}
    if intensity is not None:
        base_att = attainable(baseline, precision, intensity)
        for r in rows:
            a = attainable(r.chip, precision, intensity) if precision in r.chip.peaks else None
            extra[r.chip.id] = (a, None if a is None or base_att is None else float((a / base_att).m_as("")))
    if fmt == "json":
        out = []
        for r in rows:
            d: dict[str, Any] = {"chip": r.chip.id, "name": r.chip.name, "baseline": baseline.id}
            for k in keys:
                q = r.metrics[k]
                d[k] = None if q is None else {**(quantity_json(q) or {}), "ratio": r.ratios[k]}
            if intensity is not None:
                a, ratio = extra[r.chip.id]
                d["attainable"] = None if a is None else {**(quantity_json(a.to("TFLOP/s")) or {}), "ratio": ratio,
                                                          "intensity": {"value": intensity, "unit": "FLOP/B"},
                                                          "precision": precision}
            out.append(d)
        return dumps(out)
    headers = ["metric"] + [r.chip.id for r in rows]
    table = []
    for k in keys:
        label, unit, _ = METRICS[k]
        cells = [f"{label} [{unit_label(unit)}]" if unit else label]
        for r in rows:
            q, ratio = r.metrics[k], r.ratios[k]
            cells.append("n/p" if q is None else fmt_number(q.magnitude) +
                         ("" if ratio is None or r.chip is baseline else f" ({ratio:.2g}x)"))
        table.append(cells)
    if intensity is not None:
        cells = [f"attainable {precision} at {intensity:g} FLOP/B [TFLOP/s]"]
        for r in rows:
            a, ratio = extra[r.chip.id]
            cells.append("n/p" if a is None else fmt_number(a.m_as("TFLOP/s")) +
                         ("" if ratio is None or r.chip is baseline else f" ({ratio:.2g}x)"))
        table.append(cells)
    return render_rows(headers, table, fmt, title=f"Chip comparison (ratios to {baseline.id}; dense peaks)")


# ---------------------------------------------------------------------------- estimate
#: Columns of the estimate table: metric key, header, display unit, scale factor from the metric's unit.
ESTIMATE_COLUMNS = (
    ("chips", "chips", "", 1.0),
    ("peak", "peak {precision} [EFLOP/s]", "EFLOP/s", 1e-18),
    ("effective", "effective {precision} [EFLOP/s]", "EFLOP/s", 1e-18),
    ("h100e", "H100e ({basis})", "", 1.0),
    ("memory", "HBM [PB]", "PB", 1e-6),
    ("memory_bandwidth", "HBM bandwidth [PB/s]", "PB/s", 1e-3),
    ("power", "power [MW]", "MW", 1.0),
    ("capex", "capex [USD bn]", "USD", 1e-9),
)


def _estimate_cell(group: Any, key: str, precision: str) -> Any:
    return group.peak.get(precision) if key == "peak" else group.metrics.get(key)


def _row_label(result: Any) -> str:
    """The header of an estimate's first column: what a row is."""
    by = str(getattr(result, "by", "company"))
    return {"chip-group": "group"}.get(by, by)


def pipeline_rows(pipeline: Any) -> list[Any]:
    """Breakdown rows of an ``undelivered`` estimate with chips still to come (p95 above zero)."""
    return [b for c in pipeline.companies for b in c.breakdown
            if (u := b.metrics.get("chips")) is not None and u.p95 > 0.5]


def pipeline_table(pipeline: Any, fmt: str) -> str:
    """Chips not yet delivered on the estimate's date, by company, status and chip."""
    rows = [[b.name, b.status, b.chip, fmt_uncertain(b.metrics["chips"]),
             fmt_uncertain(b.metrics["h100e"]) if b.metrics.get("h100e") else "n/p"]
            for b in pipeline_rows(pipeline)]
    if not rows:
        return ""
    title = (f"Not yet delivered on {pipeline.as_of} (not counted above; p50 [p5-p95], "
             f"{pipeline.samples:,} samples)")
    return "\n" + render_rows([_row_label(pipeline), "status", "chip", "chips", f"H100e ({pipeline.h100e_basis})"],
                              rows, fmt,
                              title=title)


def estimate_table(result: Any, fmt: str, breakdown: bool = True, pipeline: Any = None, wide: bool = False) -> str:
    """An estimate as JSON, tidy CSV, Markdown, or a text table: by default the compact one that
    fits the terminal (``compact_estimate``); ``wide`` gives every column on one line per row."""
    if fmt == "json":
        doc = result.to_dict()
        if pipeline is not None:
            doc["not_yet_delivered"] = [
                {"company": b.name, "status": b.status, "chip": b.chip, "chips": b.metrics["chips"],
                 "h100e": b.metrics.get("h100e")} for b in pipeline_rows(pipeline)]
        return dumps(doc)
    if fmt == "csv":
        return to_csv(tidy(result, pipeline))
    groups = [*result.companies, result.total] if len(result.companies) > 1 else list(result.companies)
    gaps = sorted({c for g in groups for ids in g.excludes.values() for c in ids})
    if fmt == "table" and not wide:
        out = compact_estimate(result, breakdown)
    else:
        out = _wide_estimate(result, groups, fmt, breakdown)
        if fmt == "table":
            out += ("effective = peak x utilisation; H100e basis: " + result.h100e_basis
                    + "; power = TDP x server overhead x PUE. `--explain` shows every formula, input and source.\n")
    if gaps:
        out += wrap_text(f"+ a lower bound: leaves out {', '.join(gaps)} (no published value; see "
                         "`computecap chips show`).", 0 if wide else None) + "\n"
    if pipeline is not None:
        out += pipeline_table(pipeline, fmt)
    return out


def _wide_estimate(result: Any, groups: list[Any], fmt: str, breakdown: bool) -> str:
    """Every column, one line per row (``--wide`` and Markdown)."""
    cols = ESTIMATE_COLUMNS
    headers = [_row_label(result)] + [h.format(precision=result.precision, basis=result.h100e_basis)
                                      for _, h, _, _ in cols]
    rows = []
    for g in groups:
        rows.append([g.name] + [_cell(g, k, result.precision, f) for k, _, _, f in cols])
        if breakdown and fmt == "table" and g.name != "total":
            for b in g.breakdown:
                if (n := b.metrics.get("chips")) is not None and n.p95 < 0.5:
                    continue  # nothing of it in service on this date (see the not-yet-delivered table)
                rows.append([f"  {b.status} {b.chip}"]
                            + [_cell(b, k, result.precision, f) if k in ("chips", "peak", "h100e") else ""
                               for k, _, _, f in cols])
    if result.time_to_train is not None:
        model, days = result.time_to_train
        headers.append(f"days to train {model}")
        for r in rows:
            d = days.get(r[0])
            r.append(fmt_uncertain(d) if d else ("n/a" if r[0] in days else ""))
    title = (f"Scenario {result.scenario}: {', '.join(result.include)} chips in service on {result.as_of}"
             + f"; p50 [p5-p95] over {result.samples:,} samples, seed {result.seed}")
    return render_rows(headers, rows, fmt, title=title, width=0)


#: Columns of the compact estimate table: metric key, header lines, scale factor from the metric's unit.
COMPACT_COLUMNS = (
    ("chips", ("chips",), 1.0),
    ("h100e", ("H100e", "({basis})"), 1.0),
    ("effective", ("effective", "{precision}", "[EFLOP/s]"), 1e-18),
    ("power", ("power", "[MW]"), 1.0),
    ("capex", ("capex", "[USD bn]"), 1e-9),
)


def _stacked(u: Uncertain | None, factor: float = 1.0, excluded: bool = False, missing: str = "n/p") -> Cell:
    """A median over its p5-p95 (one line when the figure has no spread)."""
    if u is None:
        return missing
    mark = " +" if excluded else ""
    if u.p5 == u.p95:
        return fmt_number(u.p50 * factor, 4) + mark
    p50 = u.p50 * factor  # millions and up in the compact form the range line uses: 27.2M over 12.7M-51.1M
    return ((fmt_compact(p50) if abs(p50) >= 1e6 else fmt_number(p50, 3)) + mark,
            fmt_range(u, factor) + ("  " if mark else ""))


def _median(u: Uncertain | None, excluded: bool = False) -> str:
    return "n/p" if u is None else fmt_number(u.p50, 3) + (" +" if excluded else "")


def compact_estimate(result: Any, breakdown: bool = True, width: int | None = None) -> str:
    """The default estimate table: company, chips, H100e, effective FLOP/s, power, capex and days
    to train, each median over its p5-p95; columns that do not fit ``width`` are named below it."""
    width = terminal_width() if width is None else width
    p, basis = result.precision, result.h100e_basis
    headers: list[tuple[str, ...]] = [(_row_label(result),)] + [tuple(h.format(precision=p, basis=basis) for h in lines)
                                                        for _, lines, _ in COMPACT_COLUMNS]
    days: dict[str, Uncertain | None] = {}
    if result.time_to_train is not None:
        days = result.time_to_train[1]
        headers.append(("days to", "train*"))
    groups = [*result.companies, result.total] if len(result.companies) > 1 else list(result.companies)
    rows: list[list[Cell]] = []
    for g in groups:
        if rows:
            rows.append([])
        cells: list[Cell] = [g.name]
        for key, _, factor in COMPACT_COLUMNS:
            cells.append(_stacked(g.metrics.get(key), factor, key in g.excludes))
        if days:
            cells.append(_stacked(days.get(g.name), missing="n/a" if g.name in days else ""))
        rows.append(cells)
        if not breakdown or g.name == "total":
            continue
        status = ""
        for b in g.breakdown:
            if (n := b.metrics.get("chips")) is not None and n.p95 < 0.5:
                continue  # nothing of it in service on this date (see the not-yet-delivered table)
            if b.status != status:
                status = b.status
                rows.append([f"  {status}"])
            rows.append([f"    {b.chip}", _median(b.metrics.get("chips")),
                         _median(b.metrics.get("h100e"), "h100e" in b.excludes)])
    rows = [r + [""] * (len(headers) - len(r)) if r else r for r in rows]
    title = (f"Scenario {result.scenario}: {', '.join(result.include)} chips in service on {result.as_of}. "
             f"Each figure: p50, with p5-p95 under it ({result.samples:,} samples, seed {result.seed})")
    text, dropped = render_stacked(headers, rows, title, width)
    notes = [(f"effective = peak x utilisation; H100e = dense {basis} relative to H100 SXM; "
              "power = TDP x server overhead x PUE.")]
    if days and result.time_to_train is not None and len(headers) - 1 not in dropped:
        notes.append(f"* days to train {result.time_to_train[0]} on the company's best chip type and "
                     "largest coherent cluster.")
    if dropped:
        names = [" ".join(headers[i]).replace("*", "") for i in dropped]
        notes.append(f"Left out to fit {width} columns: {', '.join(names)} (widen the terminal, or use "
                     "--wide or --format csv).")
    if breakdown:
        notes.append("Rows by status and chip show medians; `--wide` gives their intervals and adds peak, HBM and "
                     "bandwidth. `--explain` shows every formula, input and source.")
    else:
        notes.append("`--wide` adds peak, HBM and bandwidth; `--explain` shows every formula, input and source.")
    return text + "".join(wrap_text(n, width) + "\n" for n in notes)


def _cell(group: Any, key: str, precision: str, factor: float) -> str:
    value = _estimate_cell(group, key, precision)
    if value is None:
        return "n/p"
    text = fmt_uncertain(value, factor)
    excluded = key in group.excludes or (key == "peak" and f"peak_{precision}" in group.excludes)
    return text + " +" if excluded else text


def explain(assumptions: Any) -> str:
    """Every assumption: value, formula, note and its sources, for ``--explain``."""
    lines = ["", "How these figures were computed:"]
    for a in assumptions:
        lines.append(f"- {a.name}: {a.value}")
        if a.formula:
            lines.append(f"    formula: {a.formula}")
        if a.note:
            lines.append(f"    note: {a.note}")
        for s in a.sources:
            lines.append(f"    source: {s.title}. {s.where} (read {s.accessed})")
    return "\n".join(wrap_text(line, indent="  ") for line in lines) + "\n"


# ---------------------------------------------------------------------------- timeline
#: Columns of the timeline table: metric, header lines, scale from the metric's unit.
TIMELINE_COLUMNS = (("chips", ("chips",), 1.0), ("h100e", ("H100e", "(bf16)"), 1.0),
                    ("peak", ("peak bf16", "[EFLOP/s]"), 1e-18), ("power", ("power", "[MW]"), 1.0))


def timeline_table(result: Any, fmt: str) -> str:
    """A timeline as JSON, tidy CSV, Markdown, or a text table (each figure its p50 over its p5-p95)."""
    if fmt == "json":
        return dumps(result.to_dict())
    if fmt == "csv":
        return to_csv(tidy(result))
    by_status = result.by == "status"
    title = (f"Scenario {result.scenario}: chips in service at each quarter end, statuses {', '.join(result.include)}, "
             f"{'retired after the sourced lifetime' if result.retire else 'no retirement'}")
    width = terminal_width() if fmt == "table" else 0
    if fmt == "markdown":
        rows = [[q, s.company, *([s.status] if by_status else [])]
                + [fmt_uncertain(s.metrics[m][t], f) for m, _, f in TIMELINE_COLUMNS]
                for s in result.series for t, q in enumerate(result.quarters)]
        headers = ["quarter", "company", *(["status"] if by_status else [])]
        headers += [" ".join(h) for _, h, _ in TIMELINE_COLUMNS]
        out = render_rows(headers, rows, fmt, title=title + f"; p50 [p5-p95] over {result.samples:,} samples")
    else:
        lead = [("quarter",), ("company",)] + ([("status",)] if by_status else [])
        cells: list[list[Cell]] = []
        for s in result.series:
            for t, q in enumerate(result.quarters):
                cells.append([q, s.company, *([s.status] if by_status else [])]
                             + [_stacked(s.metrics[m][t], f) for m, _, f in TIMELINE_COLUMNS])
        title += f". Each figure: p50, with p5-p95 under it ({result.samples:,} samples, seed {result.seed})"
        out, _ = render_stacked(lead + [h for _, h, _ in TIMELINE_COLUMNS], cells, title, width, left=len(lead))
    notes = []
    if result.excludes:
        gaps = sorted({c for ids in result.excludes.values() for c in ids})
        notes.append(f"Leaves out {', '.join(gaps)} where a figure is not published (see `computecap chips show`).")
    if fmt == "table":
        notes.append("in service = delivered minus retired; power = TDP x server overhead x PUE. `--explain` shows "
                     "every delivery, lifetime and source.")
    return out + "".join(wrap_text(n, width) + "\n" for n in notes)


# ---------------------------------------------------------------------------- scenarios
def scenarios_list(scenarios: list[Any], fmt: str) -> str:
    if fmt == "json":
        return dumps([{"name": s.name, "title": s.title, "as_of": s.as_of, "companies": list(s.companies),
                       "file": s.path} for s in scenarios])
    rows = [[s.name, s.title, str(s.as_of or ""), ", ".join(s.companies)] for s in scenarios]
    return render_rows(["name", "title", "as of", "companies"], rows, fmt, title="Scenarios")


def _count(c: Any) -> str:
    if c.dist == "fixed":
        return fmt_number(c.central)
    return f"{fmt_number(c.central)} [{fmt_compact(c.low)}-{fmt_compact(c.high)}]"


#: Longest delivery schedule printed in full in a table (longer ones show their span; --explain all).
DELIVERY_CHARS = 24


def _delivery(line: Any, explain: bool) -> str:
    """When a line's chips arrive: its schedule, or first..last step when long (all with ``explain``)."""
    if line.delivery is None:
        return f"by {line.date}" if line.date else ""
    text = line.delivery.text
    if explain or len(text) <= DELIVERY_CHARS:
        return f"in {text}" if text.isdigit() else text  # a bare year reads as a number
    steps = [x.split(" ")[0] for x in text.split(", ")]
    return f"{steps[0].split('..')[0]}..{steps[-1].split('..')[-1]}, {len(steps)} steps"


def _via(line: Any) -> str:
    return ", ".join(x for x in (line.channel, f"for {line.tenant}" if line.tenant else "") if x)


def _holding_json(h: Any) -> dict[str, Any]:
    return {"delivery": h.delivery.text if h.delivery else None, "channel": h.channel or None,
            "tenant": h.tenant or None}


def scenario_show(s: Any, fmt: str, explain: bool = False) -> str:
    """A scenario's holdings and joint allocations: chip, status, count, delivery, channel and tenant,
    with source keys under each line (titles below; URLs with ``explain`` or in JSON)."""
    if fmt == "json":
        return dumps({
            "name": s.name, "title": s.title, "description": s.description, "as_of": s.as_of, "file": s.path,
            "companies": {k: {"aliases": list(c.aliases), "country": c.country} for k, c in s.companies.items()},
            "holdings": [{"company": h.company, "chip": h.chip.id, "count": h.count.to_dict(), "status": h.status,
                          "date": h.date, **_holding_json(h), "sources": [x.key for x in h.sources],
                          "assumption": h.assumption or None} for h in s.holdings],
            "allocations": [{"label": a.label, "chip": a.chip.id, "total": a.total.to_dict(), "status": a.status,
                             "date": a.date, **_holding_json(a), "shares": dict(a.shares),
                             "concentration": a.concentration, "sources": [x.key for x in a.sources],
                             "assumption": a.assumption or None}
                            for a in s.allocations],
            "sources": [x.to_dict() for x in s.sources.values()]})
    headers = ["holding", "status", "count", "delivery", "channel, tenant"]
    rows: list[list[str]] = []
    notes: list[str] = []
    flat = fmt != "table"
    for company in dict.fromkeys(h.company for h in s.holdings):
        if not flat:
            rows.append([company, "", "", "", ""])
            notes.append("")
        for h in (h for h in s.holdings if h.company == company):
            rows.append([f"{company}: {h.chip.id}" if flat else f"  {h.chip.id}", h.status, _count(h.count),
                         _delivery(h, explain or flat), _via(h)])
            notes.append(("assumption; " if h.assumption else "") + "sources: " + ", ".join(x.key for x in h.sources))
    if s.allocations and not flat:
        rows.append(["Split between companies", "", "", "", ""])
        notes.append("")
    for a in s.allocations:
        shares = " / ".join(f"{k} {v:.0%}" for k, v in a.shares.items())
        rows.append([f"split: {a.chip.id}" if flat else f"  {a.chip.id}", a.status, _count(a.total),
                     _delivery(a, explain or flat), _via(a)])
        notes.append(f"{a.label}. Shares {shares}; " + ("assumption; " if a.assumption else "")
                     + "sources: " + ", ".join(x.key for x in a.sources))
    if flat:
        headers.append("sources")
        rows = [r + [n] for r, n in zip(rows, notes)]
    out = render_rows(headers, rows, fmt, title=f"{s.name}: {s.title} (as of {s.as_of}; {s.path})",
                      notes=() if flat else notes)
    if fmt in ("table", "markdown"):
        width = terminal_width() if fmt == "table" else 0
        out += "\n" + wrap_text(s.description.strip(), width) + "\n\nAssumptions:\n"
        for h in s.holdings:
            if h.assumption:
                out += wrap_text(f"- {h.company} {h.chip.id} ({h.status}): {h.assumption.strip()}", width,
                                 indent="  ") + "\n"
        for a in s.allocations:
            if a.assumption:
                out += wrap_text(f"- {a.label}: {a.assumption.strip()}", width, indent="  ") + "\n"
        out += "\n" + sources_text(s.sources.values(), explain or fmt == "markdown", width)
    return out


# ---------------------------------------------------------------------------- models
def models_list(presets: list[Any], fmt: str) -> str:
    if fmt == "json":
        return dumps([{"id": p.id, "name": p.name, "architecture": p.architecture, "params": p.n_params,
                       "active_params": p.n_active, "tokens": p.n_tokens, "training_flop": p.published_flop}
                      for p in presets])
    rows = [[p.id, p.name, p.architecture, fmt_count(p.n_params), fmt_count(p.n_active), fmt_count(p.n_tokens),
             fmt_number(None if p.published_flop is None else p.published_flop.m_as("FLOP"))] for p in presets]
    return render_rows(["id", "name", "architecture", "params", "active params", "tokens", "published FLOP"],
                       rows, fmt, title="Model presets (`computecap models show ID` for sources)")


def model_show(p: Any, fmt: str, explain: bool = False) -> str:
    fields = {"params": p.params, "active_params": p.active_params, "tokens": p.tokens,
              "training_flop": p.training_flop}
    if fmt == "json":
        return dumps({"id": p.id, "name": p.name, "aliases": list(p.aliases), "architecture": p.architecture,
                      **{k: (v.to_dict() if v else None) for k, v in fields.items()}, "shape": dict(p.shape),
                      "note": p.note, "file": p.path, "sources": [s.to_dict() for s in p.sources.values()]})
    rows = [[k, fmt_count(float(v.central.magnitude)) if v.central.dimensionless else
             fmt_number(float(v.central.magnitude)), f"{v.central.units:~P}", ", ".join(s.key for s in v.sources)]
            for k, v in fields.items() if v]
    rows += [[k, str(v), "", ""] for k, v in p.shape.items()]
    out = render_rows(["field", "value", "unit", "source"], rows, fmt, title=f"{p.name} ({p.id}; {p.path})")
    if fmt == "table":
        out += (wrap_text(p.note) + "\n" if p.note else "") + sources_text(p.sources.values(), explain, hint="")
    return out


# ---------------------------------------------------------------------------- train
def train_table(r: Any, fmt: str) -> str:
    """A training run: one row per figure with its unit and how it is computed (CSV: tidy)."""
    if fmt == "json":
        return dumps(r.to_dict())
    if fmt == "csv":
        return to_csv(tidy(r))
    m = r.memory
    u_how = ("your MFU x goodput (--mfu, --goodput)" if any(a.name == "utilisation U" for a in r.assumptions)
             else "fitted on published runs (docs/training-model.md)")
    hours = "billed: includes time lost to failures" if r.hours == "billed" else "step time only"
    rows = [
        ["training FLOP", fmt_number(r.training_flop.m_as("FLOP")), "FLOP", r.formula],
        ["chips in the cluster", fmt_uncertain(r.chips), r.cluster.chip.id, r.cluster.description],
        ["utilisation U", fmt_uncertain(r.utilisation), "of BF16 peak", u_how],
        ["wall-clock duration", fmt_uncertain(r.duration), "days", "FLOP / (chips x BF16 peak x U)"],
        ["chip-hours", fmt_uncertain(r.chip_hours, 1e-6), "million h", hours],
        ["energy", fmt_uncertain(r.energy, 1e-3), "GWh", "chips x TDP x server overhead x PUE x duration"],
        ["cost (" + ("rental" if r.hourly_price else "amortised capital") + ")", fmt_uncertain(r.cost, 1e-6),
         "million USD", "chip-hours x price per chip-hour" if r.hourly_price else
         "chip-hours x unit price / (amortisation years x 8,766 h)"],
        ["runs per year", fmt_uncertain(r.runs_per_year), "", "back to back on this cluster"],
        ["memory: training state", fmt_number(m.required.m_as("GB")) if m.required is not None else "n/p", "GB",
         f"at least {m.min_chips:,} x {m.per_chip:~P}" if m.min_chips else m.note],
        ["memory: fits", {True: "yes", False: "NO", None: "n/a"}[m.fits], "", m.note if m.min_chips else ""],
    ]
    why = dict(r.missing)
    for row in rows:
        if (key := {"energy": "energy", "cost": "cost"}.get(row[0].split(" ")[0])) in why:
            row[1], row[3] = "n/p", why[key]
    title = (f"Training {r.workload.name} on {r.cluster.description} at {r.precision}; "
             f"p50 [p5-p95] over {r.samples:,} samples, seed {r.seed}")
    return render_rows(["quantity", "value", "unit", "how"], rows, fmt, title=title)


# ---------------------------------------------------------------------------- serve
#: Rows of the serving table: result key, label [display unit], scale from the key's unit.
SERVE_ROWS = (
    ("chips", "chips serving", 1.0),
    ("output_throughput", "output [tok/s]", 1.0),
    ("output_throughput_per_chip", "per chip [tok/s]", 1.0),
    ("time_to_first_token", "TTFT [ms]", 1e3),
    ("time_per_output_token", "TPOT [ms]", 1e3),
    ("tokens_per_day", "output [bn tok/day]", 1e-9),
    ("cost_per_million_output_tokens", "cost [USD/M out tok]", 1.0),
    ("energy_per_million_output_tokens", "energy [kWh/M out tok]", 1.0),
)


def _layout(dep: Any) -> Cell:
    """A replica layout on two lines: chips, then the parallel degrees above 1."""
    if dep is None:
        return "n/a"
    lay = dep.layout
    degrees = [f"TP{lay.tp}"] + [f"{k}{v}" for k, v in (("EP", lay.ep), ("DP", lay.dp)) if v > 1]
    return (f"{lay.chips} chip" + ("s" if lay.chips > 1 else ""), " ".join(degrees))


def serve_table(results: Any, fmt: str) -> str:
    """Serving results (a list of ServingResult, or a FleetServingResult): JSON, tidy CSV, or a
    table with one column per chip type, each figure its p50 over its p5-p95."""
    from computecap.inference import FleetServingResult
    fleet = results if isinstance(results, FleetServingResult) else None
    per_chip = list(fleet.per_chip) if fleet else list(results)
    if fmt == "json":
        return dumps(fleet.to_dict() if fleet else [r.to_dict() for r in per_chip])
    if fmt == "csv":
        return to_csv(tidy(results))
    base = per_chip[0]
    w = base.deployment.workload if base.deployment else None
    title = (f"Serving {base.model}" + (f", {w.input_tokens:,} in / {w.output_tokens:,} out tokens" if w else "")
             + (f" at {base.deployment.weight_precision}" if base.deployment else "")
             + (f" for {fleet.company} ({fleet.scenario})" if fleet else ""))
    totals = {"output_throughput": fleet.total_output_throughput,
              "tokens_per_day": fleet.total_tokens_per_day} if fleet else {}
    if fmt == "markdown":
        table = [[r.chip.id, r.deployment.layout.describe() if r.deployment else "n/a",
                  str(r.deployment.concurrency) if r.deployment else ""]
                 + [fmt_uncertain(v, f) if (v := r.values.get(k)) is not None else "n/a" for k, _, f in SERVE_ROWS]
                 for r in per_chip]
        if fleet:
            table.append(["total", "", ""] + [fmt_uncertain(totals[k], f) if k in totals else ""
                                              for k, _, f in SERVE_ROWS])
        return render_rows(["chip", "replica layout", "seqs/replica"] + [label for _, label, _ in SERVE_ROWS], table,
                           fmt, title=title + f" (p50 [p5-p95], {base.samples:,} samples)")
    headers: list[tuple[str, ...]] = [("",)] + [(r.chip.id,) for r in per_chip] + ([("total",)] if fleet else [])
    extra: list[Cell] = [""] if fleet else []
    rows: list[list[Cell]] = [
        ["replica layout", *(_layout(r.deployment) for r in per_chip), *extra],
        ["seqs per replica", *(str(r.deployment.concurrency) if r.deployment else "n/a" for r in per_chip), *extra]]
    for key, label, factor in SERVE_ROWS:
        row: list[Cell] = [label, *(_stacked(r.values.get(key), factor, missing="n/a") for r in per_chip)]
        if fleet:
            row.append(_stacked(totals[key], factor) if key in totals else "")
        rows.append(row)
    title += f". Each figure: p50, with p5-p95 under it ({base.samples:,} samples, seed {base.seed})"
    width = terminal_width()
    text, dropped = render_stacked(headers, rows, title, width)
    notes = [f"{r.chip.id}: {r.note}" for r in per_chip if r.note]
    shown = {k for k, _, _ in SERVE_ROWS}
    notes += [f"{r.chip.id}: {k.replace('_', ' ')}: {why}" for r in per_chip for k, why in r.missing.items()
              if k in shown and why != r.note]
    if fleet:
        notes += [f"{cid}: skipped ({why})" for cid, why in fleet.skipped.items()]
    if dropped:
        notes.append(f"Left out to fit {width} columns: {', '.join(headers[i][0] for i in dropped)} "
                     "(widen the terminal, or use --format csv or json).")
    notes.append("Efficiencies fitted on measured benchmarks (docs/serving-model.md); `--explain` lists every "
                 "term and source.")
    return text + "".join(wrap_text(n, width) + "\n" for n in dict.fromkeys(notes))


# ---------------------------------------------------------------------------- controls
def controls_table(results: list[list[Classification]], fmt: str) -> str:
    if fmt == "json":
        out = []
        for per_chip in results:
            chip = per_chip[0].chip if per_chip else None
            if chip is None:
                continue
            pd = performance_density(chip)
            out.append({"chip": chip.id, "tpp": quantity_json(tpp(chip)), "performance_density": quantity_json(pd),
                        "classes": [classification_json(c) for c in per_chip]})
        return dumps(out)
    title = "Export-control classification (computed from dense peaks and die area)"
    if fmt != "table":
        rows = []
        for per_chip in results:
            for c in per_chip:
                nearest = c.nearest
                pd = performance_density(c.chip)
                rows.append([c.chip.id, fmt_number(tpp(c.chip).m_as("")),
                             fmt_number(None if pd is None else pd.m_as("1/mm**2")), c.rule_set.id, c.name,
                             nearest.describe() if nearest else ""])
        return render_rows(["chip", "TPP", "PD [TPP/mm²]", "rule set", "class", "nearest threshold (margin)"], rows,
                           fmt, title=title)
    rows = []
    for per_chip in results:
        if not per_chip:
            continue
        chip = per_chip[0].chip
        pd = performance_density(chip)
        rows.append([chip.id, f"TPP {fmt_number(tpp(chip).m_as(''))}, PD "
                     + (f"{fmt_number(pd.m_as('1/mm**2'))} TPP/mm²" if pd is not None else "n/p"), ""])
        rows += [[f"  {c.rule_set.id}", c.name, c.nearest.describe() if c.nearest else ""] for c in per_chip]
    return render_rows(["chip / rule set", "class", "nearest threshold (margin)"], rows, fmt, title=title)
