"""Published training runs used for calibration (``specs/calibration/training-runs.toml``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from computecap.catalog.values import Source, fail, parse_sources, resolve_sources, table_list

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
    for i, r in enumerate(table_list(raw, "runs", path)):
        where = f"runs[{i}]"
        kind = r.get("hours_kind")
        if kind not in HOURS_KINDS:
            raise fail(path, f"{where}.hours_kind", f"expected one of {', '.join(HOURS_KINDS)}, got {kind!r}")
        for key in ("model", "chip"):
            if not isinstance(r.get(key), str) or not r[key]:
                raise fail(path, f"{where}.{key}", "expected a preset or chip id")
        numbers = {k: _positive(r.get(k), path, f"{where}.{k}") for k in ("chips", "chip_hours")}
        mfu_raw = r.get("reported_mfu")
        if isinstance(mfu_raw, dict):
            lo, hi = (_fraction(mfu_raw.get(k), path, f"{where}.reported_mfu.{k}") for k in ("low", "high"))
            mfu: tuple[float, float] | None = (lo, hi)
        else:
            one = None if mfu_raw is None else _fraction(mfu_raw, path, f"{where}.reported_mfu")
            mfu = None if one is None else (one, one)
        runs.append(CalibrationRun(model=r["model"], chip=r["chip"], chips=numbers["chips"],
                                   chip_hours=numbers["chip_hours"], hours_kind=kind, tier=str(r.get("tier", "")),
                                   precision=str(r.get("precision", "")), reported_mfu=mfu,
                                   sources=resolve_sources(r.get("source"), sources, path, where),
                                   note=str(r.get("note", ""))))
    return runs


def _positive(v: Any, path: str, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise fail(path, where, f"expected a positive number, got {v!r}")
    return float(v)


def _fraction(v: Any, path: str, where: str) -> float:
    x = _positive(v, path, where)
    if x is None or x > 1:
        raise fail(path, where, f"expected a fraction in (0, 1], got {v!r}")
    return x
