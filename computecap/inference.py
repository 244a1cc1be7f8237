"""Serving throughput from a roofline: prefill and decode tokens per second, memory fit.

Per model replica of ``r`` chips (the fewest that hold weights plus KV cache):
    decode step   = max(FLOP / (r x peak), bytes / (r x bandwidth))
        FLOP      = batch x (2 x N_active + 4 x layers x context x d_attn)
        bytes     = active weights + batch x context x KV bytes per token
    prefill       = max(FLOP / (r x peak), weight bytes / (r x bandwidth)) for batch x context tokens
Decode re-reads the weights and the KV cache every step, so at small batches it is bound by
memory bandwidth, not FLOP/s: that is why the H20 (148 dense BF16 TFLOP/s, but 4.0 TB/s)
serves nearly as fast as the H200 (989.5 TFLOP/s, 4.8 TB/s). These are roofline upper bounds
(no kernel or scheduling losses) unless an efficiency is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from computecap import __version__
from computecap.catalog import Chip, ModelPreset
from computecap.core import Assumption, Cluster, check_sampling
from computecap.errors import InputError
from computecap.uncertainty import Summariser, Uncertain, chunk_sizes
from computecap.units import Q_

#: Bytes per weight (and per cached K/V value) at each serving precision.
BYTES_PER_VALUE = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5}


def kv_bytes_per_token(preset: ModelPreset, bytes_per_value: float) -> pint.Quantity[Any]:
    """KV-cache bytes per token [B]: 2 x layers x kv_heads x head_dim x bytes (or layers x MLA latent dim)."""
    s = preset.shape
    if "layers" not in s:
        raise InputError(f"{preset.id}: the KV cache needs `layers`, not published in {preset.path}")
    if "kv_cache_dim" in s:
        return Q_(s["layers"] * s["kv_cache_dim"] * bytes_per_value, "B")
    if "heads" not in s or ("d_model" not in s and "head_dim" not in s):
        raise InputError(f"{preset.id}: the KV cache needs heads and d_model (or head_dim), "
                         f"not published in {preset.path}")
    head_dim = s.get("head_dim", s.get("d_model", 0) // s["heads"])
    kv_heads = s.get("kv_heads", s["heads"])
    return Q_(2 * s["layers"] * kv_heads * head_dim * bytes_per_value, "B")


def _attn_width(preset: ModelPreset) -> float:
    s = preset.shape
    if "heads" in s:
        return float(s["heads"] * s.get("head_dim", s.get("d_model", 0) // s["heads"]))
    return float(s.get("d_model", 0))


@dataclass(frozen=True)
class ServingResult:
    """Per-chip roofline throughput and the fleet's tokens per day for one chip type."""

    model: str
    chip: Chip
    precision: str
    batch: int
    context: int
    replica_chips: int
    weights: pint.Quantity[Any]
    kv_cache: pint.Quantity[Any]
    memory_per_replica: pint.Quantity[Any]
    decode_per_chip: pint.Quantity[Any]
    decode_bound: str
    prefill_per_chip: pint.Quantity[Any]
    prefill_bound: str
    efficiency: float
    fleet_chips: Uncertain
    fleet_tokens_per_day: Uncertain
    cluster: str
    assumptions: tuple[Assumption, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "chip": self.chip.id, "precision": self.precision, "batch": self.batch,
                "context": self.context, "replica_chips": self.replica_chips,
                "memory": {"weights": self.weights, "kv_cache": self.kv_cache,
                           "required_per_replica": self.weights + self.kv_cache,
                           "available_per_replica": self.memory_per_replica, "fits": True},
                "decode_tokens_per_second_per_chip": self.decode_per_chip, "decode_bound": self.decode_bound,
                "prefill_tokens_per_second_per_chip": self.prefill_per_chip, "prefill_bound": self.prefill_bound,
                "efficiency": self.efficiency, "fleet_chips": self.fleet_chips,
                "fleet_tokens_per_day": self.fleet_tokens_per_day, "cluster": self.cluster,
                "assumptions": [a.to_dict() for a in self.assumptions], "computecap_version": __version__}


def serve(preset: ModelPreset, cluster: Cluster, *, precision: str = "bf16", batch: int = 32, context: int = 4096,
          efficiency: float = 1.0, samples: int = 20_000, seed: int = 0) -> ServingResult:
    """Roofline serving throughput of ``preset`` on ``cluster`` (see module docstring)."""
    n_total, n_active = preset.n_params, preset.n_active
    if preset.architecture == "flop-only" or n_total is None or n_active is None:
        raise InputError(f"{preset.id} is a FLOP-only preset: serving needs parameter counts")
    if batch < 1 or context < 1:
        raise InputError(f"--batch and --context: expected positive integers, got {batch} and {context}")
    check_sampling(samples, seed)
    if not 0 < efficiency <= 1:
        raise InputError(f"--efficiency: expected a value in (0, 1], got {efficiency}")
    chip = cluster.chip
    peak = chip.peak(precision).m_as("FLOP/s") * efficiency
    bw = chip.require("memory_bandwidth").m_as("B/s") * efficiency
    mem = chip.require("memory").m_as("B")
    bpv = BYTES_PER_VALUE[precision]
    weights = n_total * bpv
    kv = kv_bytes_per_token(preset, bpv).m_as("B") * batch * context
    replica = max(1, math.ceil((weights + kv) / mem))
    layers = preset.shape.get("layers", 0)
    width = _attn_width(preset)
    # decode: one token for each of `batch` sequences
    d_flop = batch * (2 * n_active + 4 * layers * context * width)
    d_bytes = n_active * bpv + kv
    t_c, t_m = d_flop / (replica * peak), d_bytes / (replica * bw)
    decode = batch / max(t_c, t_m) / replica
    # prefill: batch x context prompt tokens
    p_tokens = batch * context
    p_flop = 2 * n_active * p_tokens + 2 * layers * context * context * width * batch
    p_c, p_m = p_flop / (replica * peak), (weights + kv) / (replica * bw)
    prefill = p_tokens / max(p_c, p_m) / replica

    summ = Summariser()
    for size, child in zip(chunk_sizes(samples), np.random.SeedSequence(seed).spawn(len(chunk_sizes(samples)))):
        n = cluster.sample(np.random.default_rng(child), size)
        summ.add(np.vstack([n, n * decode * 86400.0]))
    st = summ.result()
    srcs = tuple(dict.fromkeys(src for v in (preset.params, preset.active_params) if v for src in v.sources))
    spec_srcs = tuple(dict.fromkeys(src for v in (chip.peaks[precision], chip.specs["memory_bandwidth"],
                                                  chip.specs["memory"]) for src in v.sources))
    kv_tok = kv_bytes_per_token(preset, bpv)
    assumptions = (
        Assumption("model", f"{preset.name}: {n_total:.4g} parameters, {n_active:.4g} active per token",
                   sources=srcs, note=preset.path),
        Assumption("chip", f"{chip.id}: {chip.peak(precision).to('TFLOP/s'):~.5gP} dense {precision}, "
                   f"{chip.require('memory_bandwidth'):~P}, {chip.require('memory'):~P}", sources=spec_srcs,
                   note=chip.path),
        Assumption("bytes per value", f"{bpv:g} B ({precision} weights and KV cache)"),
        Assumption("KV cache per token", f"{kv_tok.to('kB'):~.4gP}",
                   "layers x kv_cache_dim x bytes (MLA)" if "kv_cache_dim" in preset.shape else
                   "2 x layers x kv_heads x head_dim x bytes"),
        Assumption("replica", f"{replica} chip(s)", "ceil((weights + batch x context x KV per token) / HBM per chip)",
                   note="runtime buffers and activations not counted"),
        Assumption("decode step", f"max({t_c * 1e3:.3g} ms compute, {t_m * 1e3:.3g} ms memory)",
                   "max(batch x (2 N_active + 4 layers x context x d_attn) / (replica x peak), "
                   "(N_active x bytes + KV) / (replica x bandwidth))",
                   note="MoE: only active weights are read per step (a lower bound on traffic at large batch)"),
        Assumption("prefill", f"max({p_c * 1e3:.3g} ms compute, {p_m * 1e3:.3g} ms memory) per batch of prompts",
                   "2 N_active x tokens + 2 x layers x context^2 x d_attn x batch FLOP; weights + KV bytes"),
        Assumption("efficiency", f"{efficiency:g}", "peak and bandwidth x efficiency",
                   note="1 = roofline upper bound: no kernel, scheduling or communication losses"),
        *cluster.assumptions,
    )
    return ServingResult(preset.id, chip, precision, batch, context, replica, Q_(weights, "B").to("GB"),
                         Q_(kv, "B").to("GB"), Q_(replica * mem, "B").to("GB"), Q_(decode, "1/s"),
                         "compute" if t_c >= t_m else "memory bandwidth", Q_(prefill, "1/s"),
                         "compute" if p_c >= p_m else "memory bandwidth", efficiency,
                         Uncertain.from_stats(st[:, 0], ""),
                         Uncertain.from_stats(st[:, 1], ""), cluster.description, assumptions)
