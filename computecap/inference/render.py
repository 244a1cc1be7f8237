"""Tables and JSON for serving results (the CLI's ``serve`` output)."""

from __future__ import annotations

from typing import Any

from computecap.inference.serving import FleetServingResult, ServingResult
from computecap.report import dumps, fmt_number, render_rows
from computecap.uncertainty import Uncertain


def _cell(u: Uncertain | None, factor: float = 1.0) -> str:
    if u is None:
        return "n/a"
    return f"{fmt_number(u.p50 * factor, 3)} [{fmt_number(u.p5 * factor, 2)}-{fmt_number(u.p95 * factor, 2)}]"


def serving_table(results: list[ServingResult] | FleetServingResult, fmt: str) -> str:
    """Render serving results: JSON documents, or one row per chip type with p50 [p5-p95]."""
    fleet = results if isinstance(results, FleetServingResult) else None
    rows_of: list[ServingResult] = list(fleet.per_chip) if fleet else list(results)  # type: ignore[arg-type]
    if fmt == "json":
        doc: Any = fleet.to_dict() if fleet else [r.to_dict() for r in rows_of]
        return dumps(doc)
    rows = []
    for r in rows_of:
        v, dep = r.values, r.deployment
        layout = dep.layout.describe() if dep else "n/a"
        rows.append([r.chip.id, layout, str(dep.concurrency if dep else ""), _cell(v["chips"]),
                     _cell(v["output_throughput"]), _cell(v["output_throughput_per_chip"]),
                     _cell(v["time_to_first_token"], 1e3), _cell(v["time_per_output_token"], 1e3),
                     _cell(v["tokens_per_day"], 1e-9), _cell(v["cost_per_million_output_tokens"]),
                     _cell(v["energy_per_million_output_tokens"])])
    if fleet:
        rows.append(["total", "", "", "", _cell(fleet.total_output_throughput), "", "", "",
                     _cell(fleet.total_tokens_per_day, 1e-9), "", ""])
    base = rows_of[0]
    w = base.deployment.workload if base.deployment else None
    title = (f"Serving {base.model}" + (f", {w.input_tokens:,} in / {w.output_tokens:,} out tokens" if w else "")
             + (f" at {base.deployment.weight_precision}" if base.deployment else "")
             + (f" for {fleet.company} ({fleet.scenario})" if fleet else "")
             + f": p50 [p5-p95] over {base.samples:,} samples, seed {base.seed}")
    out = render_rows(["chip", "replica layout", "seqs/replica", "chips serving", "output [tok/s]",
                       "per chip [tok/s]", "TTFT [ms]", "TPOT [ms]", "bn tok/day", "USD/M out tok",
                       "kWh/M out tok"], rows, fmt, title=title)
    notes = [f"{r.chip.id}: {r.note}" for r in rows_of if r.note]
    if fleet:
        notes += [f"{cid}: skipped ({why})" for cid, why in fleet.skipped.items()]
    if fmt == "table":
        notes.append("Efficiencies fitted on measured benchmarks (docs/serving-model.md); `--explain` lists every "
                     "term and source.")
    return out + "".join(n + "\n" for n in notes)
