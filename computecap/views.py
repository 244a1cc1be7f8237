"""Views: turn library results into the CLI's tables and JSON documents."""

from __future__ import annotations

from typing import Any

import pint

from computecap import __version__
from computecap.catalog import Chip, RuleSet, SourcedValue
from computecap.comparison import METRICS, ComparisonRow, chip_metrics, used_metrics
from computecap.controls import Classification, classify_all, performance_density, tpp
from computecap.report import dumps, fmt_count, fmt_number, fmt_uncertain, quantity_json, render_rows

#: Display unit per chip field.
CHIP_UNITS = {"memory": "GB", "memory_bandwidth": "TB/s", "interconnect_bandwidth": "GB/s", "tdp": "W",
              "die_area": "mm**2", "price": "USD"}


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


def chip_show(chip: Chip, rule_sets: list[RuleSet], fmt: str) -> str:
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
    classes = [[c.rule_set.id, c.name, "" if c.nearest is None else c.nearest.describe()]
               for c in classify_all(chip, rule_sets)]
    out += "\n" + render_rows(["rule set", "class", "nearest threshold (margin)"], classes, fmt,
                              title=f"Export-control class (computed; `computecap controls {chip.id}`)")
    if fmt == "table":
        out += "\nSources:\n" + "".join(f"  {s.key}: {s.title}. {s.where} (read {s.accessed})\n"
                                        for s in chip.sources.values())
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
    return "\n" + render_rows(["company", "status", "chip", "chips", f"H100e ({pipeline.h100e_basis})"], rows, fmt,
                              title=title)


def estimate_table(result: Any, fmt: str, breakdown: bool = True, pipeline: Any = None) -> str:
    if fmt == "json":
        doc = result.to_dict()
        if pipeline is not None:
            doc["not_yet_delivered"] = [
                {"company": b.name, "status": b.status, "chip": b.chip, "chips": b.metrics["chips"],
                 "h100e": b.metrics.get("h100e")} for b in pipeline_rows(pipeline)]
        return dumps(doc)
    cols = ESTIMATE_COLUMNS
    headers = ["company"] + [h.format(precision=result.precision, basis=result.h100e_basis) for _, h, _, _ in cols]
    rows = []
    groups = [*result.companies, result.total] if len(result.companies) > 1 else list(result.companies)
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
    out = render_rows(headers, rows, fmt, title=title)
    gaps = sorted({c for g in groups for ids in g.excludes.values() for c in ids})
    if fmt == "table":
        out += ("effective = peak x utilisation; H100e basis: " + result.h100e_basis
                + "; power = TDP x server overhead x PUE. `--explain` shows every formula, input and source.\n")
    if gaps and fmt in ("table", "markdown"):
        out += (f"+ a lower bound: leaves out {', '.join(gaps)} (no published value; see "
                "`computecap chips show`).\n")
    if pipeline is not None and fmt in ("table", "markdown"):
        out += pipeline_table(pipeline, fmt)
    return out


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
    return "\n".join(lines) + "\n"


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
    return f"{fmt_number(c.central)} [{fmt_number(c.low)}-{fmt_number(c.high)}]"


def scenario_show(s: Any, fmt: str) -> str:
    if fmt == "json":
        return dumps({
            "name": s.name, "title": s.title, "description": s.description, "as_of": s.as_of, "file": s.path,
            "companies": {k: {"aliases": list(c.aliases), "country": c.country} for k, c in s.companies.items()},
            "holdings": [{"company": h.company, "chip": h.chip.id, "count": h.count.to_dict(), "status": h.status,
                          "date": h.date, "sources": [x.key for x in h.sources], "assumption": h.assumption or None}
                         for h in s.holdings],
            "allocations": [{"label": a.label, "chip": a.chip.id, "total": a.total.to_dict(), "status": a.status,
                             "date": a.date, "shares": dict(a.shares), "concentration": a.concentration,
                             "sources": [x.key for x in a.sources], "assumption": a.assumption or None}
                            for a in s.allocations],
            "sources": [x.to_dict() for x in s.sources.values()]})
    rows = [[h.company, h.chip.id, h.status, str(h.date or ""), _count(h.count),
             "assumption" if h.assumption else "", ", ".join(x.key for x in h.sources)] for h in s.holdings]
    for a in s.allocations:
        shares = " / ".join(f"{k} {v:.0%}" for k, v in a.shares.items())
        rows.append([f"joint split ({len(a.shares)} companies)", a.chip.id, a.status, str(a.date or ""),
                     _count(a.total), "assumption" if a.assumption else "", ", ".join(x.key for x in a.sources)])
        rows.append([f"  {shares}", "", "", "", "", "", ""])
    out = render_rows(["company", "chip", "status", "date", "count", "", "sources"], rows, fmt,
                      title=f"{s.name}: {s.title} (as of {s.as_of}; {s.path})")
    if fmt in ("table", "markdown"):
        out += "\n" + s.description.strip() + "\n\nAssumptions:\n"
        for h in s.holdings:
            if h.assumption:
                out += f"- {h.company} {h.chip.id} ({h.status}): {h.assumption.strip()}\n"
        for a in s.allocations:
            if a.assumption:
                out += f"- {a.label}: {a.assumption.strip()}\n"
        out += "\nSources:\n" + "".join(f"- {x.key}: {x.title}. {x.where} (read {x.accessed})\n"
                                       for x in s.sources.values())
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


def model_show(p: Any, fmt: str) -> str:
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
        out += (p.note + "\n" if p.note else "") + "Sources:\n" + "".join(
            f"  {s.key}: {s.title}. {s.where} (read {s.accessed})\n" for s in p.sources.values())
    return out


# ---------------------------------------------------------------------------- train
def train_table(r: Any, fmt: str) -> str:
    from computecap.report import fmt_uncertain
    if fmt == "json":
        return dumps(r.to_dict())
    m = r.memory
    rows = [
        ["training FLOP", fmt_number(r.training_flop.m_as("FLOP")), "FLOP", r.formula],
        ["chips in the cluster", fmt_uncertain(r.chips), r.cluster.chip.id, r.cluster.description],
        ["wall-clock duration", fmt_uncertain(r.duration), "days", "FLOP / (chips x peak x MFU x goodput)"],
        ["chip-hours", fmt_uncertain(r.chip_hours, 1e-6), "million h", "billed: includes time lost to failures"],
        ["energy", fmt_uncertain(r.energy, 1e-3), "GWh", "chips x TDP x server overhead x PUE x duration"],
        ["cost (" + ("rental" if r.hourly_price else "amortised capital") + ")", fmt_uncertain(r.cost, 1e-6),
         "million USD", "chip-hours x price per chip-hour" if r.hourly_price else
         "chip-hours x unit price / (amortisation years x 8,766 h)"],
        ["runs per year", fmt_uncertain(r.runs_per_year), "", "back to back on this cluster"],
        ["memory: training state", fmt_number(m.required.m_as("GB")), "GB",
         f"at least {m.min_chips:,} x {m.per_chip:~P}" if m.min_chips else m.note],
        ["memory: fits", {True: "yes", False: "NO", None: "n/a"}[m.fits], "", m.note if m.min_chips else ""],
    ]
    title = (f"Training {r.workload.name} on {r.cluster.description} at {r.precision}; "
             f"p50 [p5-p95] over {r.samples:,} samples, seed {r.seed}")
    return render_rows(["quantity", "value", "unit", "how"], rows, fmt, title=title)


# ---------------------------------------------------------------------------- serve
def serve_table(results: list[Any], fmt: str) -> str:
    from computecap.report import fmt_uncertain
    if fmt == "json":
        return dumps([r.to_dict() for r in results])
    base = results[0]
    rows = []
    for r in results:
        ratio = "" if r is base else f" ({r.decode_per_chip.m_as('1/s') / base.decode_per_chip.m_as('1/s'):.2g}x)"
        rows.append([r.chip.id, str(r.replica_chips), fmt_number(r.weights.m_as("GB") + r.kv_cache.m_as("GB")),
                     fmt_number(r.decode_per_chip.m_as("1/s")) + ratio, r.decode_bound,
                     fmt_number(r.prefill_per_chip.m_as("1/s")), r.prefill_bound,
                     fmt_uncertain(r.fleet_chips), fmt_uncertain(r.fleet_tokens_per_day, 1e-9)])
    title = (f"Serving {base.model} at {base.precision}, batch {base.batch}, context {base.context:,}: "
             f"roofline {'upper bound' if base.efficiency == 1 else f'x {base.efficiency:g}'}")
    out = render_rows(["chip", "chips/replica", "weights+KV [GB]", "decode [tok/s/chip]", "decode bound",
                       "prefill [tok/s/chip]", "prefill bound", "fleet chips", "fleet decode [bn tok/day]"],
                      rows, fmt, title=title)
    if fmt == "table":
        out += ("Decode re-reads the weights and KV cache every step, so at small batches memory bandwidth, not "
                "FLOP/s, sets the pace.\n")
    return out


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
    rows = []
    for per_chip in results:
        for c in per_chip:
            nearest = c.nearest
            pd = performance_density(c.chip)
            rows.append([c.chip.id, fmt_number(tpp(c.chip).m_as("")),
                         fmt_number(None if pd is None else pd.m_as("1/mm**2")), c.rule_set.id, c.name,
                         nearest.describe() if nearest else ""])
    return render_rows(["chip", "TPP", "PD [TPP/mm²]", "rule set", "class", "nearest threshold (margin)"], rows, fmt,
                       title="Export-control classification (computed from dense peaks and die area)")
