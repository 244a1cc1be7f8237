"""Chip-to-chip comparison: every catalog metric as a Quantity, and ratios to a baseline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pint

from computecap.catalog.chips import PRECISIONS, Chip
from computecap.controls import performance_density, tpp


def _peak_getter(p: str) -> Callable[[Chip], pint.Quantity[Any] | None]:
    """Getter of the dense ``p`` peak of a chip (None when the chip has no such precision)."""
    def get(c: Chip) -> pint.Quantity[Any] | None:
        return c.peak(p) if p in c.peaks else None
    return get


#: metric key -> (label, display unit, getter). Peaks are dense.
METRICS: dict[str, tuple[str, str, Callable[[Chip], pint.Quantity[Any] | None]]] = {
    **{f"peak_{p}": (f"{p.upper()} dense", "TFLOP/s", _peak_getter(p))
       for p in PRECISIONS},
    "memory": ("memory", "GB", lambda c: _spec(c, "memory")),
    "memory_bandwidth": ("memory bandwidth", "TB/s", lambda c: _spec(c, "memory_bandwidth")),
    "interconnect_bandwidth": ("scale-up interconnect", "GB/s", lambda c: _spec(c, "interconnect_bandwidth")),
    "tdp": ("TDP", "W", lambda c: _spec(c, "tdp")),
    "die_area": ("die area", "mm**2", lambda c: _spec(c, "die_area")),
    "price": ("unit price", "USD", lambda c: _spec(c, "price")),
    "tpp": ("TPP", "", tpp),
    "performance_density": ("performance density", "1/mm**2", performance_density),
    "bf16_per_watt": ("BF16 per watt", "TFLOP/s/W", lambda c: _per(c, "tdp")),
    "bf16_per_dollar": ("BF16 per dollar", "GFLOP/s/USD", lambda c: _per(c, "price")),
}


def _spec(chip: Chip, name: str) -> pint.Quantity[Any] | None:
    v = chip.get(name)
    return None if v is None else v.central


def _bf16(chip: Chip) -> pint.Quantity[Any] | None:
    for p in ("bf16", "fp16"):
        if p in chip.peaks:
            return chip.peak(p)
    return None


def _per(chip: Chip, name: str) -> pint.Quantity[Any] | None:
    num, den = _bf16(chip), _spec(chip, name)
    return None if num is None or den is None else num / den


def chip_metrics(chip: Chip) -> dict[str, pint.Quantity[Any] | None]:
    """Every metric of ``chip`` in its display unit (None when not published)."""
    out: dict[str, pint.Quantity[Any] | None] = {}
    for key, (_, unit, get) in METRICS.items():
        q = get(chip)
        out[key] = None if q is None else q.to(unit)
    return out


@dataclass(frozen=True)
class ComparisonRow:
    """One chip's metrics and their ratios to the baseline chip (None where either is missing)."""

    chip: Chip
    metrics: dict[str, pint.Quantity[Any] | None]
    ratios: dict[str, float | None]


def _ratio(value: pint.Quantity[Any] | None, base: pint.Quantity[Any] | None) -> float | None:
    """``value / base`` as a plain number; None when either is missing or the base is zero."""
    if value is None or base is None or not base.magnitude:
        return None
    return float((value / base).m_as(""))


def compare(chips: list[Chip], baseline: Chip | None = None) -> list[ComparisonRow]:
    """Metrics of ``chips`` with ratios to ``baseline`` (default: the first chip)."""
    base = chip_metrics(baseline or chips[0])
    rows = []
    for c in chips:
        m = chip_metrics(c)
        ratios = {k: _ratio(v, base[k]) for k, v in m.items()}
        rows.append(ComparisonRow(c, m, ratios))
    return rows


def used_metrics(rows: list[ComparisonRow]) -> list[str]:
    """Metrics that at least one chip in ``rows`` publishes, in catalog order."""
    return [k for k in METRICS if any(r.metrics[k] is not None for r in rows)]
