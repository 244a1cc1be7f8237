"""Serving inputs that are data: sourced defaults (``specs/calibration/serving-defaults.toml``) and the
fitted efficiencies (``specs/calibration/serving-fit.toml``, written by ``benchmarks/fit_serving.py``)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from computecap.catalog.files import bundled_root, display_path, read_toml
from computecap.catalog.values import (
    Source,
    SourcedValue,
    check_keys,
    fail,
    parse_sources,
    parse_value,
    resolve_sources,
    table_list,
)
from computecap.precisions import precision

#: Serving defaults: name -> dimension of the value.
DEFAULT_FIELDS = {"kv_memory_fraction": "dimensionless", "max_batch": "dimensionless",
                  "prefill_tokens": "dimensionless", "node_chips": "dimensionless", "scale_out_bandwidth": "bytes/s",
                  "link_efficiency": "dimensionless", "collective_latency": "time", "network_collective_latency": "time",
                  "activation_bytes": "dimensionless", "speculative_acceptance": "dimensionless"}
_ENTRY_KEYS = ("meaning", "formula", "value", "low", "central", "high", "dist", "source", "note", "confidence")
FIT_TERMS = ("flop_efficiency", "bandwidth_efficiency")


@dataclass(frozen=True)
class ServingDefault:
    """One serving default: the sourced value, what it means and the formula it enters."""

    name: str
    value: SourcedValue
    meaning: str
    formula: str

    @property
    def central(self) -> float:
        return float(self.value.central.to_base_units().magnitude)


@dataclass(frozen=True)
class FlopFactor:
    """Factor on the fitted FLOP efficiency for matmuls on ``chips`` ("*": any) at ``precision`` [1]."""

    chips: tuple[str, ...]
    precision: str
    value: SourcedValue


@dataclass(frozen=True)
class ServingDefaults:
    """All serving defaults, the FLOP-efficiency factors, the FP4 deployments' KV precision and the file
    they came from."""

    values: Mapping[str, ServingDefault]
    flop_factors: tuple[FlopFactor, ...]
    fp4_kv_precision: str
    fp4_kv_sources: tuple[Source, ...]
    path: str

    def __getitem__(self, name: str) -> ServingDefault:
        return self.values[name]

    def flop_factor(self, chip: str, math_precision: str) -> FlopFactor | None:
        """The factor for ``chip``'s matmuls at ``math_precision``: an entry naming the chip, else one for
        every chip, else None (factor 1)."""
        match = [f for f in self.flop_factors if f.precision == math_precision and (chip in f.chips or "*" in f.chips)]
        return min(match, key=lambda f: "*" in f.chips, default=None)


@dataclass(frozen=True)
class ServingFit:
    """Fitted efficiencies: mean and covariance of their natural logs, residual sigma [ln] and its two parts
    (the model's family-held-out error, the spread across serving stacks), provenance."""

    log_mean: np.ndarray       # (2,) ln flop_efficiency, ln bandwidth_efficiency
    log_cov: np.ndarray        # (2, 2)
    residual_sigma: float      # ln-space sigma sampled on throughput [1]: the two below in quadrature
    fit_sigma: float           # ln-space RMS of leave-one-model-family-out residuals [1]
    stack_sigma: float         # ln-space spread of one deployment's throughput across serving stacks [1]
    points: int
    provenance: Mapping[str, str]
    path: str
    sources: tuple[Source, ...] = ()  # the calibration points and the fitting script

    @property
    def central(self) -> tuple[float, float]:
        """Central (geometric-mean) FLOP and bandwidth efficiencies [1]."""
        return float(math.exp(self.log_mean[0])), float(math.exp(self.log_mean[1]))

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draws of FLOP efficiency, bandwidth efficiency (capped at 1) and a residual factor [1]."""
        z = rng.multivariate_normal(self.log_mean, self.log_cov, size=size, method="cholesky")
        resid = np.exp(self.residual_sigma * rng.standard_normal(size))
        return np.minimum(np.exp(z[:, 0]), 1.0), np.minimum(np.exp(z[:, 1]), 1.0), resid


def _path(name: str) -> tuple[Any, str]:
    root = bundled_root()
    p = root / "calibration" / name
    return p, display_path(p, root)


@functools.cache
def load_serving_defaults() -> ServingDefaults:
    """Read and validate ``specs/calibration/serving-defaults.toml`` (cached)."""
    p, shown = _path("serving-defaults.toml")
    raw = read_toml(p, shown)
    check_keys(raw, (*DEFAULT_FIELDS, "flop_factor", "fp4_kv_precision", "sources"), shown)
    sources = parse_sources(raw.get("sources"), shown)
    values = {}
    for name, dim in DEFAULT_FIELDS.items():
        entry = raw.get(name)
        if not isinstance(entry, dict):
            raise fail(shown, name, "missing: expected a sourced value table")
        check_keys(entry, _ENTRY_KEYS, shown, name)
        values[name] = ServingDefault(name, parse_value(entry, dim, sources, shown, name, extra_keys=("meaning", "formula")),
                                      str(entry.get("meaning", "")), str(entry.get("formula", "")))
    factors = []
    for i, entry in enumerate(table_list(raw, "flop_factor", shown)):
        where = f"flop_factor[{i}]"
        chips, prec = entry.get("chips"), entry.get("precision")
        if not isinstance(chips, list) or not chips or not all(isinstance(c, str) and c for c in chips):
            raise fail(shown, f"{where}.chips", f'expected a list of chip ids (or ["*"]), got {chips!r}')
        value = parse_value(entry, "dimensionless", sources, shown, where, extra_keys=("chips", "precision"))
        if not (0 < value.low.m_as("") and value.high.m_as("") <= 1):
            raise fail(shown, where, "expected a factor in (0, 1]")
        factors.append(FlopFactor(tuple(chips), precision(prec, f"{shown}: {where}.precision").name, value))
    fp4 = raw.get("fp4_kv_precision")
    if not isinstance(fp4, dict):
        raise fail(shown, "fp4_kv_precision", "missing: expected a table with value and source")
    check_keys(fp4, _ENTRY_KEYS, shown, "fp4_kv_precision")
    kv = precision(fp4.get("value"), f"{shown}: fp4_kv_precision.value").name
    return ServingDefaults(MappingProxyType(values), tuple(factors), kv,
                           resolve_sources(fp4.get("source"), sources, shown, "fp4_kv_precision"), shown)


@functools.cache
def load_serving_fit() -> ServingFit:
    """Read and validate ``specs/calibration/serving-fit.toml`` (cached)."""
    p, shown = _path("serving-fit.toml")
    raw = read_toml(p, shown)
    check_keys(raw, ("provenance", *FIT_TERMS, "correlation", "fit_residual_sigma_ln", "stack_sigma_ln", "stack_groups",
                     "residual_sigma_ln", "points", "calibration", "sources"), shown)
    mean, sd = [], []
    for term in FIT_TERMS:
        t = raw.get(term)
        if not isinstance(t, dict):
            raise fail(shown, term, "missing: expected { central, log_sd, low, high }")
        check_keys(t, ("central", "log_sd", "low", "high"), shown, term)
        c, s = t.get("central"), t.get("log_sd")
        if not isinstance(c, float) or not 0 < c <= 1 or not isinstance(s, float) or s < 0:
            raise fail(shown, term, f"expected central in (0, 1] and log_sd >= 0, got {c!r}, {s!r}")
        mean.append(math.log(c))
        sd.append(s)
    rho, sigma, n = raw.get("correlation"), raw.get("residual_sigma_ln"), raw.get("points")
    if not isinstance(rho, float) or not -1 <= rho <= 1:
        raise fail(shown, "correlation", f"expected a number in [-1, 1], got {rho!r}")
    if not isinstance(sigma, float) or sigma < 0:
        raise fail(shown, "residual_sigma_ln", f"expected a non-negative number, got {sigma!r}")
    if not isinstance(n, int) or n < 1:
        raise fail(shown, "points", f"expected a positive integer, got {n!r}")
    parts: list[float] = []
    for key in ("fit_residual_sigma_ln", "stack_sigma_ln"):
        v = raw.get(key)
        if not isinstance(v, float) or v < 0:
            raise fail(shown, key, f"expected a non-negative number, got {v!r}")
        parts.append(v)
    if abs(math.hypot(*parts) - sigma) > 1e-3:
        raise fail(shown, "residual_sigma_ln", f"expected fit_residual_sigma_ln and stack_sigma_ln in quadrature "
                                                 f"({math.hypot(*parts):.4f}), got {sigma}")
    prov = raw.get("provenance")
    if not isinstance(prov, dict):
        raise fail(shown, "provenance", "missing: expected a table (script, data, data_sha256, source)")
    check_keys(prov, ("script", "data", "data_sha256", "stack_data", "stack_data_sha256", "physics_sha256", "method",
                      "source"), shown, "provenance")
    fit_sources = resolve_sources(prov.get("source"), parse_sources(raw.get("sources"), shown), shown, "provenance")
    cov = np.array([[sd[0] ** 2, rho * sd[0] * sd[1]], [rho * sd[0] * sd[1], sd[1] ** 2]])
    return ServingFit(np.array(mean), cov, sigma, parts[0], parts[1], n, MappingProxyType({str(k): str(v) for k, v in prov.items()
                                                                      if k != "source"}), shown, fit_sources)
