"""Published training runs used for calibration (``specs/calibration/training-runs.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from computecap.catalog.values import Source, fail, parse_sources, resolve_sources

HOURS_KINDS = ("billed", "step-time", "circular", "none")


@dataclass(frozen=True)
class CalibrationRun:
    """One published run: model, chips, chip-hours [h] and what those hours count."""

    model: str
    chip: str
    chips: float | None
    chip_hours: float | None
    hours_kind: str
    tier: str
    precision: str
    reported_mfu: tuple[float, float] | None
    sources: tuple[Source, ...]
    note: str


def parse_runs(raw: dict[str, Any], path: str) -> list[CalibrationRun]:
    """Validate the calibration file."""
    sources = parse_sources(raw.get("sources"), path)
    runs = []
    for i, r in enumerate(raw.get("runs", [])):
        where = f"runs[{i}]"
        kind = r.get("hours_kind")
        if kind not in HOURS_KINDS:
            raise fail(path, f"{where}.hours_kind", f"expected one of {', '.join(HOURS_KINDS)}, got {kind!r}")
        mfu = r.get("reported_mfu")
        if isinstance(mfu, dict):
            mfu = (float(mfu["low"]), float(mfu["high"]))
        elif isinstance(mfu, (int, float)):
            mfu = (float(mfu), float(mfu))
        runs.append(CalibrationRun(model=str(r["model"]), chip=str(r["chip"]), chips=r.get("chips"),
                                   chip_hours=r.get("chip_hours"), hours_kind=kind, tier=str(r.get("tier", "")),
                                   precision=str(r.get("precision", "")), reported_mfu=mfu,
                                   sources=resolve_sources(r.get("source"), sources, path, where),
                                   note=str(r.get("note", ""))))
    return runs
