"""Serving physics: per-chip FLOP, bytes and communication of one prefill or decode step.

A replica of ``chips`` chips runs attention with tensor parallelism ``tp`` (``chips / tp``
data-parallel attention groups) and spreads routed experts over ``ep`` chips. Per step
and per chip, two kinds of kernel (each its own roofline, run one after the other):
    matmuls    FLOP = tokens x 2 x N_active / chips;
               bytes = non-expert weights / tp + experts touched x expert bytes / ep
    attention  FLOP = tokens x attention FLOP per token at the context / chips; bytes = KV read
    comm   = TP all-reduce (2 per layer) + EP dispatch/combine (per MoE layer), over the
             scale-up link inside a node and the network card beyond it
Experts touched per MoE layer for T tokens in the EP group: E x (1 - (1 - k/E)^T).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from computecap.catalog import ModelPreset
from computecap.errors import InputError


def kv_values_per_token(preset: ModelPreset) -> float:
    """KV-cache values per token [1]: layers x kv_cache_dim (MLA) or 2 x layers x kv_heads x head_dim."""
    s = preset.shape
    if "layers" not in s:
        raise InputError(f"{preset.id}: the KV cache needs `layers`, not published in {preset.path}")
    if "kv_cache_dim" in s:
        return float(s["layers"] * s["kv_cache_dim"])
    if preset.attention == "mla":
        return float(s["layers"] * (s["kv_lora_rank"] + s["qk_rope_head_dim"]))
    if "heads" not in s or ("d_model" not in s and "head_dim" not in s):
        raise InputError(f"{preset.id}: the KV cache needs heads and d_model (or head_dim), "
                         f"not published in {preset.path}")
    return 2.0 * s["layers"] * s.get("kv_heads", s["heads"]) * head_dim(preset)


def head_dim(preset: ModelPreset) -> int:
    """Width of one attention head [1]: head_dim, or d_model / heads."""
    s = preset.shape
    return int(s.get("head_dim", s.get("d_model", 0) // max(s.get("heads", 1), 1)))


def kv_heads(preset: ModelPreset) -> int:
    """Distinct KV heads tensor parallelism can split [1]: 1 for MLA (one shared latent)."""
    s = preset.shape
    return 1 if preset.attention == "mla" else s.get("kv_heads", s.get("heads", 1))


def attention_flop_per_token(preset: ModelPreset, context: float, phase: str) -> float:
    """Attention-score and value FLOP for one token attending over ``context`` tokens [FLOP].

    MHA/GQA: 4 x layers x heads x head_dim x context. MLA decode runs in the absorbed
    (latent) form: 2 x layers x heads x (2 x kv_lora_rank + rope dim) x context; MLA prefill
    runs per head: 2 x layers x heads x (nope + rope + v dims) x context.
    """
    s = preset.shape
    layers, heads = s.get("layers", 0), s.get("heads", 0)
    if preset.attention == "mla":
        if phase == "decode":
            width = 2 * s["kv_lora_rank"] + s["qk_rope_head_dim"]
        else:
            width = s["qk_nope_head_dim"] + s["qk_rope_head_dim"] + s["v_head_dim"]
        return 2.0 * layers * heads * width * context
    return 4.0 * layers * heads * head_dim(preset) * context


def experts_touched(experts: int, per_token: int, tokens: float) -> float:
    """Expected distinct routed experts hit in one MoE layer by ``tokens`` tokens [1] (uniform routing)."""
    if tokens <= 0:
        return 0.0
    return float(experts * (1.0 - (1.0 - per_token / experts) ** tokens))


@dataclass(frozen=True)
class Layout:
    """A replica's parallel layout: chips [1], tensor-parallel and expert-parallel degrees [1]."""

    chips: int
    tp: int
    ep: int

    @property
    def dp(self) -> int:
        """Data-parallel attention groups in the replica [1]."""
        return self.chips // self.tp

    def describe(self) -> str:
        return f"{self.chips} chip(s): TP{self.tp}" + (f", EP{self.ep}" if self.ep > 1 else "") + \
            (f", attention DP{self.dp}" if self.dp > 1 else "")


@dataclass(frozen=True)
class Links:
    """Communication path of a chip: scale-up and scale-out bandwidth [B/s], node size [chips],
    link efficiency [1], latency of a collective inside a node and of one that crosses the network [s],
    activation bytes [B]."""

    scale_up: float
    scale_out: float
    node_chips: int
    efficiency: float
    latency: float
    network_latency: float
    activation_bytes: float


@dataclass(frozen=True)
class Collective:
    """One kind of collective in a step: how many per step [1], bytes each chip sends per collective over
    the scale-up link and over the network [B], and latency terms per collective [1]."""

    count: float
    up_bytes: float
    out_bytes: float
    latencies: int


@dataclass(frozen=True)
class StepCost:
    """One step on one chip: matmul FLOP (weights x activations) and attention FLOP [FLOP], weight and
    KV-cache bytes read from HBM [B], its collectives, the communication time at central link rates [s],
    tokens [1]."""

    matmul_flop: float
    attention_flop: float
    weight_bytes: float
    kv_bytes: float
    collectives: tuple[Collective, ...]
    comm_seconds: float
    tokens: float


@dataclass(frozen=True)
class Model:
    """What the physics needs from a preset, at a weight precision: bytes per weight [B]."""

    preset: ModelPreset
    weight_bytes: float
    kv_bytes: float

    @property
    def n_total(self) -> float:
        return float(self.preset.n_params or 0.0)

    @property
    def n_active(self) -> float:
        return float(self.preset.n_active or 0.0)

    @property
    def routed(self) -> float:
        """Routed-expert parameters [1] (0 for dense models)."""
        return self.preset.routed_params

    def weights_per_chip(self, layout: Layout) -> float:
        """Weight bytes held by each chip [B]: non-expert weights split over TP, routed experts over all chips
        (whole experts under EP, slices of every expert under TP)."""
        return ((self.n_total - self.routed) / layout.tp + self.routed / layout.chips) * self.weight_bytes

    def kv_per_token_per_chip(self, layout: Layout) -> float:
        """KV bytes one token costs on each chip of its attention group [B] (replicated beyond the KV heads)."""
        return kv_values_per_token(self.preset) * self.kv_bytes / min(layout.tp, kv_heads(self.preset))

    def expert_bytes_read(self, tokens: float) -> float:
        """Routed-expert bytes read in one step by ``tokens`` tokens, whole replica [B]."""
        s, e = self.preset.shape, self.preset.expert_params
        if e is None:
            return 0.0
        return s["moe_layers"] * experts_touched(s["experts"], s["experts_per_token"], tokens) * e * self.weight_bytes


def step_cost(model: Model, layout: Layout, links: Links, sequences: float, new_tokens: float,
              context: float, phase: str) -> StepCost:
    """Per-chip cost of one step in which ``sequences`` sequences each process ``new_tokens`` tokens
    attending over ``context`` tokens (replica totals; phase 'decode' or 'prefill')."""
    tokens = sequences * new_tokens
    matmul = tokens * 2.0 * model.n_active / layout.chips
    attn = tokens * attention_flop_per_token(model.preset, context, phase) / layout.chips
    weights = (model.n_total - model.routed) * model.weight_bytes / layout.tp + \
        model.expert_bytes_read(tokens) / layout.chips
    kv_read = (sequences / layout.dp) * context * model.kv_per_token_per_chip(layout) if phase == "decode" else \
        (sequences / layout.dp) * new_tokens * model.kv_per_token_per_chip(layout)
    colls = collectives(model, layout, links, tokens, phase)
    comm = comm_time(colls, links.scale_up, links.scale_out, links.efficiency, links.latency, links.network_latency)
    return StepCost(matmul, attn, weights, kv_read, colls, float(comm), tokens)


def _collective(bytes_per_chip: float, group: int, node_chips: int, count: float, latencies: int) -> Collective:
    """A ``group``-chip collective: traffic beyond the scale-up domain goes over the network."""
    if group <= node_chips:
        return Collective(count, bytes_per_chip, 0.0, latencies)
    inside = (node_chips - 1) / (group - 1)
    return Collective(count, bytes_per_chip * inside, bytes_per_chip * (1 - inside), latencies)


def collectives(model: Model, layout: Layout, links: Links, tokens: float, phase: str) -> tuple[Collective, ...]:
    """The collectives of one step over ``tokens`` replica tokens: TP ring all-reduce, 2 per layer (1 per
    layer when EP takes the MoE layers); EP dispatch (FP8) and combine (activation bytes) per MoE layer.

    Decode dispatch (DeepEP low-latency kernels) sends each of a token's k expert copies to its chip.
    Prefill dispatch across nodes (DeepEP normal kernels) sends a token once to each remote node that
    holds one of its experts, then forwards it over the scale-up link: (n - 1) x (1 - (1 - 1/n)^k)
    remote nodes per token for an EP group of n nodes, under uniform routing."""
    s = model.preset.shape
    d, layers = s.get("d_model", 0), s.get("layers", 0)
    out = []
    if layout.tp > 1:
        msg = tokens / layout.dp * d * links.activation_bytes
        n = 2 * layers if layout.ep == 1 else layers + (layers - s.get("moe_layers", 0))
        out.append(_collective(2.0 * (layout.tp - 1) / layout.tp * msg, layout.tp, links.node_chips, n, 1))
    if layout.ep > 1 and "moe_layers" in s:
        k = s["experts_per_token"]
        copy = tokens / layout.chips * d * (1.0 + links.activation_bytes)  # one token out and back [B]
        nodes = layout.ep / links.node_chips
        if phase == "prefill" and nodes > 1:
            remote = (nodes - 1) * (1.0 - (1.0 - 1.0 / nodes) ** k)
            forward = k * (links.node_chips - 1) / links.node_chips
            out.append(Collective(s["moe_layers"], copy * forward, copy * remote, 2))
        else:
            out.append(_collective(copy * k * (layout.ep - 1) / layout.ep, layout.ep, links.node_chips,
                                   s["moe_layers"], 2))
    return tuple(out)


def comm_time(colls: tuple[Collective, ...], scale_up: Any, scale_out: Any, efficiency: Any,
              latency: Any, network_latency: Any) -> Any:
    """Communication time of one step [s], not overlapped with compute; rates [B/s], efficiency [1] and
    latencies [s] (inside a node; crossing the network) may be arrays of draws."""
    total: Any = 0.0
    for c in colls:
        lat = network_latency if c.out_bytes > 0 else latency
        total = total + c.count * (np.maximum(c.up_bytes / (scale_up * efficiency),
                                              c.out_bytes / (scale_out * efficiency)) + c.latencies * lat)
    return total


def accepted_per_step(draft: int, acceptance: Any) -> Any:
    """Tokens emitted per decode step with ``draft`` drafted tokens at per-token acceptance [1]:
    1 + a + ... + a^K (acceptance may be an array of draws)."""
    a = np.asarray(acceptance, dtype=float)
    return sum(a ** i for i in range(draft + 1))
