"""A deployment: model x chip x parallel layout x workload, and its step times at given efficiencies.

Per replica, with continuous batching of ``B`` sequences of ``I`` input and ``O`` output tokens:
    step time     = max(matmul FLOP / (peak x flop_eff), weight bytes / (bandwidth x bw_eff))
                    + max(attention FLOP / (peak x flop_eff), KV bytes / (bandwidth x bw_eff)) + communication
    prefill/req   = step(prefill of P = max(I, prefill_tokens) x attention groups tokens) x I / P
    decode step   = step(B sequences, 1 + K tokens each, context I + O/2)
    output tok/s  = O / (prefill/req + O x decode step / (B x accepted per step))
Concurrency ``auto`` fills the KV budget (kv_memory_fraction x memory left after weights)
with sequences at their average context I + O/2, up to the runtime's max batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from computecap.catalog import Chip, ModelPreset
from computecap.errors import InputError
from computecap.inference.params import ServingDefaults, load_serving_defaults
from computecap.inference.physics import Layout, Links, Model, StepCost, accepted_per_step, comm_time, step_cost
from computecap.precisions import PRECISIONS, precision

#: Math precisions tried, narrowest first, when a chip has no peak at the weights' precision.
_MATH_ORDER = ("fp4", "fp8", "int8", "bf16", "fp16", "tf32", "fp32")


@dataclass(frozen=True)
class Workload:
    """Requests: input and output tokens each [1], drafted tokens per step (speculative decoding) [1]."""

    input_tokens: int
    output_tokens: int
    speculative: int = 0

    def __post_init__(self) -> None:
        for name, v, lo in (("input_tokens", self.input_tokens, 1), ("output_tokens", self.output_tokens, 1),
                            ("speculative", self.speculative, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise InputError(f"--{name.replace('_', '-')}: expected a whole number >= {lo}, got {v!r}")

    @property
    def mean_context(self) -> float:
        """Average tokens in a sequence's KV cache while it decodes [1]."""
        return self.input_tokens + self.output_tokens / 2


@dataclass(frozen=True)
class SetupDraws:
    """Sampled deployment inputs beyond the fitted efficiencies: network bandwidth per chip [B/s], link
    efficiency [1], collective latency inside a node and across the network [s], and the factor on the
    FLOP efficiency of the chip's matmuls at their precision [1] (serving defaults' flop_factor, else 1)."""

    scale_out: np.ndarray
    efficiency: np.ndarray
    latency: np.ndarray
    network_latency: np.ndarray
    flop_factor: np.ndarray


@dataclass(frozen=True)
class Deployment:
    """One replica's setup: model, chip, layout, concurrency [sequences], precisions and hardware rates."""

    model: Model
    chip: Chip
    layout: Layout
    links: Links
    workload: Workload
    concurrency: int
    weight_precision: str
    kv_precision: str
    math_precision: str
    peak: float           # [FLOP/s] per chip, dense, at math_precision
    attention_peak: float  # [FLOP/s] per chip, dense, at the KV cache's precision (or the next wider one)
    flop_factor: float    # [1] central factor on the FLOP efficiency of matmuls at math_precision
    bandwidth: float      # [B/s] per chip
    memory: float         # [B] per chip
    kv_capacity: int      # sequences the KV budget holds [1]

    def costs(self) -> tuple[StepCost, StepCost, StepCost, float]:
        """Per-chip costs of a decode step, a throughput prefill step, a lone prefill, and prefill
        tokens per throughput prefill step [1]."""
        w, d = self.workload, load_serving_defaults()
        chunk = max(float(w.input_tokens), d["prefill_tokens"].central) * self.layout.dp
        dec = step_cost(self.model, self.layout, self.links, self.concurrency, 1 + w.speculative, w.mean_context,
                        "decode")
        pre = step_cost(self.model, self.layout, self.links, chunk / w.input_tokens, w.input_tokens,
                        w.input_tokens / 2, "prefill")
        one = step_cost(self.model, self.layout, self.links, 1, w.input_tokens, w.input_tokens / 2, "prefill")
        return dec, pre, one, chunk

    def kernel_parts(self, cost: StepCost, flop_eff: np.ndarray, bw_eff: np.ndarray,
                     flop_factor: np.ndarray | float | None = None) -> tuple[np.ndarray, ...]:
        """Matmul compute, weight reads, attention compute and KV reads of one step [s]: matmuls at
        math_precision (FLOP efficiency x ``flop_factor``, central if None), attention at the KV cache's
        precision."""
        factor = self.flop_factor if flop_factor is None else flop_factor
        return (cost.matmul_flop / (self.peak * flop_eff * factor), cost.weight_bytes / (self.bandwidth * bw_eff),
                cost.attention_flop / (self.attention_peak * flop_eff), cost.kv_bytes / (self.bandwidth * bw_eff))

    def kernel_seconds(self, cost: StepCost, flop_eff: np.ndarray, bw_eff: np.ndarray,
                       flop_factor: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Matmul and attention time of one step [s], each the slower of its compute and its HBM traffic."""
        mm, weights, attn, kv = self.kernel_parts(cost, flop_eff, bw_eff, flop_factor)
        return np.maximum(mm, weights), np.maximum(attn, kv)

    def step_seconds(self, cost: StepCost, flop_eff: np.ndarray, bw_eff: np.ndarray,
                     draws: SetupDraws | None = None) -> np.ndarray:
        """Step time [s]: matmuls, then attention (each its own roofline), plus communication (at central
        link rates and factors, or at ``draws``)."""
        matmul, attention = self.kernel_seconds(cost, flop_eff, bw_eff, None if draws is None else draws.flop_factor)
        comm = cost.comm_seconds if draws is None else comm_time(
            cost.collectives, self.links.scale_up, draws.scale_out, draws.efficiency, draws.latency,
            draws.network_latency)
        return np.asarray(matmul + attention + comm)

    def timings(self, flop_eff: np.ndarray, bw_eff: np.ndarray, acceptance: np.ndarray | float,
                draws: SetupDraws | None = None) -> dict[str, np.ndarray]:
        """Per replica: output tokens/s, prefill input tokens/s, decode tokens/s [1/s]; TTFT, TPOT [s]."""
        w = self.workload
        dec, pre, one, chunk = self.costs()
        t_dec = self.step_seconds(dec, flop_eff, bw_eff, draws)
        t_pre = self.step_seconds(pre, flop_eff, bw_eff, draws) * w.input_tokens / chunk
        ttft = self.step_seconds(one, flop_eff, bw_eff, draws)
        a = accepted_per_step(w.speculative, acceptance)
        per_request = t_pre + w.output_tokens * t_dec / (self.concurrency * a)
        output = w.output_tokens / per_request
        latency = self.concurrency * per_request  # Little's law: time a request spends in the replica
        tpot = np.maximum(latency - ttft, 0.0) / w.output_tokens
        return {"output": output, "prefill": w.input_tokens / t_pre, "decode": self.concurrency * a / t_dec,
                "ttft": ttft, "tpot": tpot}


def draw_setup(dep: Deployment, rng: np.random.Generator, size: int) -> SetupDraws:
    """Draws of the deployment's network bandwidth (its chip's own, else the serving default), link
    efficiency, collective latencies and the chip's flop_factor at the matmuls' precision."""
    d = load_serving_defaults()
    out = dep.chip.get("scale_out_bandwidth") or d["scale_out_bandwidth"].value
    ff = d.flop_factor(dep.chip.id, dep.math_precision)

    def draw(name: str, unit: str) -> np.ndarray:
        return d[name].value.distribution(unit).sample(rng.random(size))

    return SetupDraws(out.distribution("B/s").sample(rng.random(size)), draw("link_efficiency", ""),
                      draw("collective_latency", "s"), draw("network_collective_latency", "s"),
                      ff.value.distribution("").sample(rng.random(size)) if ff is not None else np.ones(size))


def _math_precision(chip: Chip, weights: str) -> str:
    if weights in chip.peaks:
        return weights
    wider = [p for p in _MATH_ORDER if p in chip.peaks and PRECISIONS[p].bits >= PRECISIONS[weights].bits]
    if not wider:
        raise InputError(f"--precision {weights}: {chip.id} has no dense peak at {weights} or wider; "
                         f"it has {', '.join(chip.precisions)}")
    return min(wider, key=lambda p: PRECISIONS[p].bits)


def links_for(chip: Chip, defaults: ServingDefaults) -> tuple[Links, list[str]]:
    """Communication path of ``chip``; the names of fields taken from serving defaults."""
    fallback = []
    up = chip.get("interconnect_bandwidth")
    out = chip.get("scale_out_bandwidth")
    node = chip.get("node_chips")
    if out is None:
        fallback.append("scale_out_bandwidth")
    if node is None:
        fallback.append("node_chips")
    up_bps = up.central.m_as("B/s") / 2 if up is not None else (out.central.m_as("B/s") if out is not None
                                                                  else defaults["scale_out_bandwidth"].central)
    if up is None:
        fallback.append("interconnect_bandwidth (no scale-up link: the network is used)")
    links = Links(scale_up=up_bps,
                  scale_out=out.central.m_as("B/s") if out is not None else defaults["scale_out_bandwidth"].central,
                  node_chips=int(node.central.m_as("")) if node is not None else int(defaults["node_chips"].central),
                  efficiency=defaults["link_efficiency"].central, latency=defaults["collective_latency"].central,
                  network_latency=defaults["network_collective_latency"].central,
                  activation_bytes=defaults["activation_bytes"].central)
    return links, fallback


def deploy(preset: ModelPreset, chip: Chip, workload: Workload, layout: Layout, *, precision_name: str = "fp8",
           kv_precision: str | None = None, concurrency: int | None = None) -> Deployment:
    """Set up one replica; ``concurrency`` None = auto (what the KV budget holds, up to max_batch)."""
    if preset.architecture == "flop-only" or preset.n_params is None:
        raise InputError(f"{preset.id} is a FLOP-only preset: serving needs parameter counts")
    d = load_serving_defaults()
    weights = precision(precision_name, "--precision").name
    kv = kv_precision or (d.fp4_kv_precision if weights == "fp4" else weights)
    kv = precision(kv, "--kv-precision").name
    model = Model(preset, PRECISIONS[weights].bytes_per_value, PRECISIONS[kv].bytes_per_value)
    if layout.chips % layout.tp or layout.ep not in (1, layout.chips) or (layout.ep == 1 and layout.dp > 1):
        raise InputError(f"--tp {layout.tp} --ep {layout.ep}: expected TP dividing the {layout.chips} chips per "
                         "replica, and EP either 1 (then TP = chips) or all of them")
    if layout.ep > 1 and model.routed == 0:
        raise InputError(f"--ep {layout.ep}: {preset.id} has no routed experts (dense, or MoE shape not published)")
    mem = chip.require("memory").m_as("B")
    free = d["kv_memory_fraction"].central * (mem - model.weights_per_chip(layout))
    per_seq = workload.mean_context * model.kv_per_token_per_chip(layout) * layout.tp
    capacity = math.floor(free * layout.chips / per_seq) if free > 0 else 0
    if capacity < 1:
        raise InputError(f"{preset.id} at {weights} does not fit on {layout.describe()} of {chip.id} "
                         f"({mem / 1e9:.0f} GB each) with {workload.mean_context:,.0f}-token sequences")
    max_batch = int(d["max_batch"].central)
    conc = min(capacity, max_batch) if concurrency is None else concurrency
    if conc > capacity:
        raise InputError(f"--concurrency {conc}: the KV cache of {layout.describe()} of {chip.id} holds "
                         f"{capacity:,} sequences of {workload.mean_context:,.0f} tokens")
    links, _ = links_for(chip, d)
    math_p = _math_precision(chip, weights)
    ff = d.flop_factor(chip.id, math_p)
    factor = float(ff.value.central.m_as("")) if ff is not None else 1.0
    return Deployment(model, chip, layout, links, workload, conc, weights, kv, math_p, chip.peak(math_p).m_as("FLOP/s"),
                      chip.peak(_math_precision(chip, kv)).m_as("FLOP/s"), factor,
                      chip.require("memory_bandwidth").m_as("B/s"), mem, capacity)


def candidate_layouts(preset: ModelPreset, node_chips: int, most_chips: int | None) -> list[Layout]:
    """Layouts worth trying: TP 1..node for every model; for MoE also expert parallelism with
    data-parallel attention over 2..64 chips (at most ``most_chips``)."""
    out = []
    c = 1
    while c <= max(node_chips, 1) * 8:
        if most_chips is None or c <= most_chips:
            if c <= node_chips or preset.routed_params == 0:
                out.append(Layout(c, c, 1))
            if preset.routed_params > 0 and c > 1:
                out.append(Layout(c, 1, c))
        c *= 2
    return out


def best_deployment(preset: ModelPreset, chip: Chip, workload: Workload, *, precision_name: str = "fp8",
                    kv_precision: str | None = None, concurrency: int | None = None, tp: int | None = None,
                    ep: int | None = None, most_chips: int | None = None,
                    flop_eff: float = 0.5, bw_eff: float = 0.5) -> Deployment:
    """The layout with the most output tokens/s per chip at central efficiencies (``tp``/``ep`` fix it)."""
    d = load_serving_defaults()
    links, _ = links_for(chip, d)
    if tp is not None or ep is not None:
        t = tp or 1
        e = ep or 1
        chips = max(t, e)
        return deploy(preset, chip, workload, Layout(chips, t, e), precision_name=precision_name,
                      kv_precision=kv_precision, concurrency=concurrency)
    best: tuple[float, Deployment] | None = None
    errors = []
    for layout in candidate_layouts(preset, links.node_chips, most_chips):
        try:
            dep = deploy(preset, chip, workload, layout, precision_name=precision_name, kv_precision=kv_precision,
                         concurrency=concurrency)
        except InputError as exc:
            errors.append(str(exc))
            continue
        rate = float(dep.timings(np.array([flop_eff]), np.array([bw_eff]), d["speculative_acceptance"].central)
                     ["output"][0]) / layout.chips
        if best is None or rate > best[0] * 1.02:
            best = (rate, dep)
    if best is None:
        raise InputError(errors[-1] if errors else f"no layout of {chip.id} serves {preset.id}")
    return best[1]
