"""Distributions, seeded vectorised sampling and percentile summaries.

Every uncertain input is (low, central, high, dist). Samples are drawn by inverse CDF
from uniform numbers, so inputs that must move together (all precisions of one chip)
share one uniform stream. No Python loop runs over samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from computecap.units import Q_

#: z-score of the 95th percentile of a standard normal.
Z95 = 1.6448536269514722

#: Largest number of samples processed at once; bigger runs go in chunks (bounded memory).
CHUNK = 1 << 18
#: Budget of array elements per chunk (samples x rows); wide problems get smaller chunks.
CHUNK_ELEMENTS = 1 << 23
#: Smallest chunk: batch means of chunk percentiles are biased by O(1/chunk); at 1,024 samples the
#: p5 of a lognormal moves 0.2%, a third of its own Monte Carlo noise at 10,000 samples.
MIN_CHUNK = 1 << 10


def _norm_ppf(u: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
         -3.066479806614716e01, 2.506628277459239e00)
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
         -1.328068155288572e01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
         4.374664141464968e00, 2.938163982698783e00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    u = np.clip(u, 1e-300, 1 - 1e-16)
    out = np.empty_like(u)
    lo, hi = u < 0.02425, u > 1 - 0.02425
    mid = ~(lo | hi)
    q = u[mid] - 0.5
    r = q * q
    out[mid] = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    for mask, sign in ((lo, 1.0), (hi, -1.0)):
        qq = np.sqrt(-2 * np.log(u[mask] if sign > 0 else 1 - u[mask]))
        out[mask] = sign * (((((c[0] * qq + c[1]) * qq + c[2]) * qq + c[3]) * qq + c[4]) * qq + c[5]) / \
            ((((d[0] * qq + d[1]) * qq + d[2]) * qq + d[3]) * qq + 1)
    return out


def from_uniform(u: np.ndarray, low: float, central: float, high: float, dist: str) -> np.ndarray:
    """Map uniform(0, 1) draws ``u`` through the inverse CDF of the distribution.

    triangular(low, central, high); uniform(low, high); lognormal with low/high its 5th/95th
    percentiles (``central`` unused); fixed -> ``central``.
    """
    if dist == "fixed" or low == high:
        return np.full(u.shape, central, dtype=float)
    return _inverse_cdf(u, low, central, high, dist)


def _inverse_cdf(u: np.ndarray, low: Any, central: Any, high: Any, dist: str) -> np.ndarray:
    """The inverse CDF of an uncertain distribution; parameters are scalars or (n, 1) columns."""
    width = high - low
    if dist == "uniform":
        out: np.ndarray = low + width * u
    elif dist == "triangular":
        left = low + np.sqrt(u * width * (central - low))
        right = high - np.sqrt((1 - u) * width * (high - central))
        out = np.where(u < (central - low) / width, left, right)
    elif dist == "lognormal":
        mu = 0.5 * (np.log(low) + np.log(high))
        sigma = (np.log(high) - np.log(low)) / (2 * Z95)
        out = np.exp(mu + sigma * _norm_ppf(u))
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    return out


class RowSampler:
    """Maps rows of uniforms through one distribution each, one vectorised pass per family.

    ``RowSampler(dists).sample(u)`` gives the same numbers as ``dists[i].sample(u[i])`` row by
    row; the parameters are gathered once, so sampling many chunks costs no Python per row.
    """

    def __init__(self, dists: list[Distribution]):
        self.n = len(dists)
        families: dict[str, list[int]] = {}
        for i, d in enumerate(dists):
            families.setdefault(d.dist if d.is_uncertain else "fixed", []).append(i)
        self.families = []
        for dist, rows in families.items():
            where: slice | np.ndarray = slice(None) if len(rows) == self.n else np.array(rows)
            low, central, high = (np.array([getattr(dists[i], k) for i in rows])[:, None]
                                  for k in ("low", "central", "high"))
            self.families.append((dist, where, low, central, high))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """(n, size) samples from (n, size) uniforms."""
        out = np.empty_like(u)
        for dist, where, low, central, high in self.families:
            out[where] = central if dist == "fixed" else _inverse_cdf(u[where], low, central, high, dist)
        return out


@dataclass(frozen=True)
class Distribution:
    """An uncertain input: ``low <= central <= high`` in ``unit``, sampled by ``dist``."""

    low: float
    central: float
    high: float
    dist: str = "fixed"
    unit: str = ""

    @classmethod
    def point(cls, value: float, unit: str = "") -> Distribution:
        return cls(value, value, value, "fixed", unit)

    @property
    def is_uncertain(self) -> bool:
        """True when sampling can give more than one value."""
        return self.dist != "fixed" and self.low != self.high

    def sample(self, u: np.ndarray) -> np.ndarray:
        return from_uniform(u, self.low, self.central, self.high, self.dist)

    def to_dict(self) -> dict[str, Any]:
        if self.dist == "fixed" or self.low == self.high:
            return {"value": self.central}
        return {"low": self.low, "central": self.central, "high": self.high, "dist": self.dist}

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.dist == "fixed" or self.low == self.high:
            return f"{self.central:g}{unit}"
        if self.dist == "lognormal":
            return f"lognormal, 90% interval {self.low:g}..{self.high:g}{unit}"
        return f"{self.dist} {self.low:g}..{self.central:g}..{self.high:g}{unit}"


@dataclass(frozen=True)
class Uncertain:
    """Summary of a sampled quantity: p5, p50, p95 and mean, all in ``unit``."""

    p5: float
    p50: float
    p95: float
    mean: float
    unit: str

    @classmethod
    def from_stats(cls, stats: np.ndarray, unit: str) -> Uncertain:
        """From one column of ``Summariser.result()``: the four values p5, p50, p95, mean."""
        p5, p50, p95, mean = (float(stats[k]) for k in range(4))
        return cls(p5, p50, p95, mean, unit)

    @property
    def value(self) -> pint.Quantity[Any]:
        """The median as a Quantity."""
        return Q_(self.p50, self.unit)

    def to(self, unit: str) -> Uncertain:
        f = Q_(1.0, self.unit).m_as(unit)
        return Uncertain(self.p5 * f, self.p50 * f, self.p95 * f, self.mean * f, unit)

    def to_dict(self) -> dict[str, Any]:
        unit = f"{Q_(1, self.unit).units:~P}" if self.unit else ""
        return {"value": self.p50, "unit": unit, "p5": self.p5, "p50": self.p50, "p95": self.p95, "mean": self.mean}


class Summariser:
    """Accumulates per-chunk percentiles of many series and merges them.

    Each chunk's p5/p50/p95 are exact for that chunk; across chunks they are averaged
    weighted by chunk size (the batch-means estimator: for chunks of 2**18 samples its
    error is far below the Monte Carlo error itself). The mean is exact.
    """

    def __init__(self) -> None:
        self._weight = 0
        self._acc: np.ndarray | None = None  # (4, n_series): p5, p50, p95, mean

    def add(self, chunk: np.ndarray) -> None:
        """``chunk``: (n_series, n_samples) array; it is sorted in place."""
        n = chunk.shape[1]
        mean = chunk.mean(axis=1)
        stats = np.vstack([percentiles_inplace(chunk, (5.0, 50.0, 95.0)), mean]) * n
        self._acc = stats if self._acc is None else self._acc + stats
        self._weight += n

    def result(self) -> np.ndarray:
        """(4, n_series): p5, p50, p95, mean."""
        assert self._acc is not None
        return self._acc / self._weight


def percentiles_inplace(a: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Percentiles along axis 1 (numpy's default linear method), sorting ``a`` in place.

    Same values as ``np.percentile(a, qs, axis=1)``; one in-place sort is faster here than a
    partition with several cut points, and avoids np.percentile's copy and lazy imports.
    """
    n = a.shape[1]
    a.sort(axis=1)
    out = []
    for q in qs:
        pos = (n - 1) * q / 100.0
        i = int(np.floor(pos))
        j = min(i + 1, n - 1)
        out.append(a[:, i] + (a[:, j] - a[:, i]) * (pos - i))
    return np.array(out)


def chunk_sizes(samples: int, rows: int = 1) -> list[int]:
    """Split ``samples`` into chunks of at most CHUNK, fewer when each sample needs ``rows``
    values, so that a chunk's arrays stay near CHUNK_ELEMENTS (memory bounded by the budget,
    not by the sample count or the number of holdings)."""
    size = max(MIN_CHUNK, min(CHUNK, CHUNK_ELEMENTS // max(rows, 1)))
    full, rest = divmod(samples, size)
    return [size] * full + ([rest] if rest else [])
