"""Roofline model: attainable throughput = min(peak, arithmetic intensity x memory bandwidth).

Intensity I is in FLOP per byte moved from memory [FLOP/B]; the ridge point is
peak / bandwidth, the intensity above which a chip is compute-bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint

from computecap.catalog.chips import Chip
from computecap.errors import InputError
from computecap.units import Q_


def _intensity(intensity: float | np.ndarray | pint.Quantity[Any]) -> pint.Quantity[Any]:
    q = intensity if isinstance(intensity, pint.Quantity) else Q_(intensity, "FLOP/byte")
    if not q.check("[compute] / [information]"):
        raise InputError(f"intensity: expected FLOP/byte, got {q.units:~P}")
    if np.any(np.asarray(q.magnitude) <= 0):
        raise InputError(f"intensity: expected a positive arithmetic intensity [FLOP/byte], got {q:~P}")
    return q


def ridge_point(chip: Chip, precision: str) -> pint.Quantity[Any]:
    """Intensity where the chip turns compute-bound at ``precision`` [FLOP/byte]."""
    ridge: pint.Quantity[Any] = (chip.peak(precision) / chip.require("memory_bandwidth")).to("FLOP/byte")
    return ridge


def attainable(chip: Chip, precision: str, intensity: float | np.ndarray | pint.Quantity[Any]) -> pint.Quantity[Any]:
    """Attainable throughput at ``intensity`` [FLOP/s]: min(peak, intensity x bandwidth). Array-friendly."""
    i = _intensity(intensity).m_as("FLOP/byte")
    peak = chip.peak(precision).m_as("FLOP/s")
    bw = chip.require("memory_bandwidth").m_as("byte/s")
    return Q_(np.minimum(peak, np.asarray(i) * bw), "FLOP/s")


def speedup(chip: Chip, other: Chip, precision: str, intensity: float | np.ndarray | pint.Quantity[Any]) -> np.ndarray:
    """Attainable throughput of ``chip`` over ``other`` at each intensity [1]."""
    return np.asarray((attainable(chip, precision, intensity) / attainable(other, precision, intensity)).m_as(""))


def gemm_intensity(m: int, n: int, k: int, bytes_per_value: float = 2.0) -> pint.Quantity[Any]:
    """Arithmetic intensity of an (m x k) @ (k x n) matrix product reading A, B and writing C once
    [FLOP/byte]: 2mnk / (bytes x (mk + kn + mn))."""
    return Q_(2.0 * m * n * k / (bytes_per_value * (m * k + k * n + m * n)), "FLOP/byte")


def typical_intensities() -> dict[str, tuple[pint.Quantity[Any], str]]:
    """Representative intensities of LLM work at 16-bit [FLOP/byte], with their derivation.

    A transformer's weight matmuls do 2 FLOP per parameter per token and read each 2-byte
    weight once per step, so their intensity is about the number of tokens processed per
    weight read (decode: the batch; prefill: batch x prompt length, capped by tiling).
    """
    return {
        "training matmul (8192^3 GEMM)": (gemm_intensity(8192, 8192, 8192), "2mnk / (2 B x (mk + kn + mn)) = 8192/3"),
        "prefill, 4,096-token prompt": (gemm_intensity(4096, 8192, 8192), "GEMM of 4,096 tokens x 8,192^2 weights"),
        "decode, batch 64": (Q_(64.0, "FLOP/byte"), "2 FLOP x 64 tokens per 2-byte weight read"),
        "decode, batch 1": (Q_(1.0, "FLOP/byte"), "2 FLOP per 2-byte weight read"),
    }
