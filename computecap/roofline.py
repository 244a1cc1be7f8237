"""Roofline model: attainable throughput = min(peak, arithmetic intensity x memory bandwidth).

Intensity I is in FLOP per byte moved from memory [FLOP/B]; the ridge point is
peak / bandwidth, the intensity above which a chip is compute-bound.
"""

from __future__ import annotations

import numpy as np
import pint

from computecap.catalog.chips import Chip
from computecap.errors import InputError
from computecap.units import Q_


def _intensity(intensity: float | pint.Quantity) -> pint.Quantity:
    q = intensity if isinstance(intensity, pint.Quantity) else Q_(intensity, "FLOP/byte")
    if not q.check("[compute] / [information]"):
        raise InputError(f"intensity: expected FLOP/byte, got {q.units:~P}")
    if np.any(np.asarray(q.magnitude) <= 0):
        raise InputError(f"intensity: expected a positive arithmetic intensity [FLOP/byte], got {q:~P}")
    return q


def ridge_point(chip: Chip, precision: str) -> pint.Quantity:
    """Intensity where the chip turns compute-bound at ``precision`` [FLOP/byte]."""
    return (chip.peak(precision) / chip.require("memory_bandwidth")).to("FLOP/byte")


def attainable(chip: Chip, precision: str, intensity: float | pint.Quantity) -> pint.Quantity:
    """Attainable throughput at ``intensity`` [FLOP/s]: min(peak, intensity x bandwidth). Array-friendly."""
    i = _intensity(intensity).m_as("FLOP/byte")
    peak = chip.peak(precision).m_as("FLOP/s")
    bw = chip.require("memory_bandwidth").m_as("byte/s")
    return Q_(np.minimum(peak, np.asarray(i) * bw), "FLOP/s")


def speedup(chip: Chip, other: Chip, precision: str, intensity: float | pint.Quantity) -> np.ndarray:
    """Attainable throughput of ``chip`` over ``other`` at each intensity [1]."""
    return np.asarray((attainable(chip, precision, intensity) / attainable(other, precision, intensity)).m_as(""))
