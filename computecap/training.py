"""Training runs: FLOP, chip-hours, wall-clock, energy, cost and memory fit.

    training FLOP = 6 x N_active x D                      (Kaplan et al. 2020; default)
                  + 12 x layers x d_model x seq_len x D   (attention, PaLM App. B; --attention)
                  x 8/6 with full activation recompute     (hardware FLOP; --recompute)
    duration      = FLOP / (chips x dense peak x MFU x goodput)
    chip-hours    = chips x duration                        (billed: includes lost time)
    energy        = chips x TDP x server overhead x PUE x duration
    cost          = chip-hours x unit price / (amortisation years x 8,766 h)
MFU (step-time utilisation) and goodput (productive share of billed time) are separate
distributions calibrated on published runs (specs/defaults.toml, specs/calibration/).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from computecap.catalog import Catalog, Chip, ModelPreset, Scenario, default_catalog
from computecap.core import DEFAULT_INCLUDE, Assumption, Cluster, check_sampling, company_cluster
from computecap.errors import InputError
from computecap.uncertainty import Distribution, Summariser, Uncertain, chunk_sizes
from computecap.units import Q_, check

#: Bytes per parameter for mixed-precision training with Adam: 16-bit weights (2) and
#: gradients (2), fp32 master weights (4) and two fp32 moments (8) (Rajbhandari et al. 2020,
#: ZeRO, Sec 3.1). The same 16 B/param holds for fp32 (4 + 4 + 8) and for fp8 compute, which
#: keeps higher-precision master weights. Activations are not counted: a lower bound.
TRAIN_BYTES_PER_PARAM = 16
_YEAR_H = 365.25 * 24
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}


def parse_count(text: str | float, option: str) -> float:
    """``405e9``, ``405B``, ``15.6T``, ``8k`` -> a positive count [1]."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmMbBgGtTpP]?)\s*",
                         str(text).replace(",", "").replace("_", ""))
        if not m:
            raise InputError(f"{option}: expected a count like 405e9, 405B or 15.6T, got {text!r}")
        value = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{option}: expected a positive count, got {text!r}")
    return value


def parse_fraction(text: str, option: str) -> Distribution:
    """``0.4``, ``40%`` or ``0.3..0.5`` (a 90% interval, lognormal) -> a Distribution in (0, 1]."""
    parts = str(text).split("..")
    if len(parts) > 2:
        raise InputError(f"{option}: expected X or LOW..HIGH, got {text!r}")
    vals = []
    for p in parts:
        p = p.strip()
        try:
            v = float(p[:-1]) / 100 if p.endswith("%") else float(p)
        except ValueError:
            raise InputError(f"{option}: expected a fraction like 0.4, 40% or 0.3..0.5, got {text!r}") from None
        if not 0 < v <= 1 or math.isnan(v):
            raise InputError(f"{option}: expected a value in (0, 1], got {p!r}")
        vals.append(v)
    if len(vals) == 1:
        return Distribution.point(vals[0])
    lo, hi = vals
    if lo > hi:
        raise InputError(f"{option}: low {lo:g} is greater than high {hi:g}")
    return Distribution(lo, math.sqrt(lo * hi), hi, "lognormal" if lo < hi else "fixed")


@dataclass(frozen=True)
class Workload:
    """What to train: total and active parameters [1], tokens [1], optional shape."""

    name: str
    params: float
    active_params: float
    tokens: float
    shape: dict[str, int] = field(default_factory=dict)
    preset: ModelPreset | None = None
    flop_override: float | None = None  # FLOP-only presets [FLOP]

    @classmethod
    def from_preset(cls, preset: ModelPreset) -> Workload:
        # parse_preset guarantees training_flop for flop-only presets, params and tokens otherwise
        if preset.architecture == "flop-only":
            published = preset.published_flop
            if published is None:
                raise InputError(f"{preset.id}: a flop-only preset needs training_flop")
            flop = published.m_as("FLOP")
            return cls(preset.id, math.nan, math.nan, math.nan, dict(preset.shape), preset, flop)
        n_params, n_active, n_tokens = preset.n_params, preset.n_active, preset.n_tokens
        if n_params is None or n_active is None or n_tokens is None:
            raise InputError(f"{preset.id}: a {preset.architecture} preset needs params and tokens")
        return cls(preset.id, n_params, n_active, n_tokens, dict(preset.shape), preset)

    @classmethod
    def from_numbers(cls, params: float, tokens: float, active_params: float | None = None) -> Workload:
        active = params if active_params is None else active_params
        if active > params:
            raise InputError(f"--active-params: {active:.4g} exceeds --params {params:.4g}")
        return cls(f"{params:.3g} params x {tokens:.3g} tokens", params, active, tokens)


def training_flop_6nd(active_params: float, tokens: float) -> pint.Quantity[Any]:
    """Training compute 6 x N_active x D [FLOP] (forward 2N + backward 4N per token)."""
    return Q_(6.0 * active_params * tokens, "FLOP")


def attention_flop(layers: int, d_model: int, seq_len: int, tokens: float) -> pint.Quantity[Any]:
    """Attention score/value FLOP over a run, 12 x L x d_model x seq_len per token [FLOP] (PaLM, no causal 1/2)."""
    return Q_(12.0 * layers * d_model * seq_len * tokens, "FLOP")


def workload_flop(w: Workload, attention: bool = False, recompute: bool = False) -> tuple[pint.Quantity[Any], str]:
    """Training FLOP of a workload and the formula used."""
    if w.flop_override is not None:
        if attention or recompute:
            raise InputError(f"{w.name} is a FLOP-only preset: --attention and --recompute need parameters and shape")
        return Q_(w.flop_override, "FLOP"), f"published training compute of {w.name}"
    flop = training_flop_6nd(w.active_params, w.tokens)
    formula = "6 x N_active x D"
    if attention:
        missing = [k for k in ("layers", "d_model", "seq_len") if k not in w.shape]
        if missing:
            raise InputError(f"--attention needs {', '.join(missing)} for {w.name} (not published in its preset)")
        flop = flop + attention_flop(w.shape["layers"], w.shape["d_model"], w.shape["seq_len"], w.tokens)
        formula += " + 12 x layers x d_model x seq_len x D"
    if recompute:
        flop = flop * (8.0 / 6.0)
        formula = f"({formula}) x 8/6 (full activation recompute: hardware FLOP; MFU then means HFU)"
    return flop, formula


@dataclass(frozen=True)
class MemoryFit:
    """Whether the model's training state fits: required vs available bytes [GB]."""

    required: pint.Quantity[Any]
    per_chip: pint.Quantity[Any]
    min_chips: int
    available: Uncertain | None
    fits: bool | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"required": self.required, "per_chip": self.per_chip, "min_chips": self.min_chips,
                "available": self.available, "fits": self.fits, "note": self.note}


def memory_fit(params: float, chip: Chip, chips_low: float, available: Uncertain | None = None) -> MemoryFit:
    """Training state (16 B/param, ZeRO) against the chips' HBM; ``chips_low`` is the p5 cluster size."""
    per_chip = chip.require("memory").to("GB")
    required = Q_(params * TRAIN_BYTES_PER_PARAM, "B").to("GB")
    min_chips = math.ceil((required / per_chip).m_as(""))
    fits = chips_low >= min_chips
    note = (f"{TRAIN_BYTES_PER_PARAM} bytes/parameter (16-bit weights and gradients, fp32 master weights and two "
            f"Adam moments, fully sharded); activations excluded, so this is a lower bound")
    if not fits:
        note = f"DOES NOT FIT: needs at least {min_chips:,} x {chip.id}; " + note
    return MemoryFit(required, per_chip, min_chips, available, fits, note)


@dataclass(frozen=True)
class TrainingResult:
    """A training run's figures; uncertain ones as Uncertain (p5/p50/p95/mean)."""

    workload: Workload
    cluster: Cluster
    precision: str
    training_flop: pint.Quantity[Any]
    formula: str
    chips: Uncertain
    duration: Uncertain
    chip_hours: Uncertain
    energy: Uncertain
    cost: Uncertain
    runs_per_year: Uncertain
    memory: MemoryFit
    assumptions: tuple[Assumption, ...]
    samples: int
    seed: int
    hourly_price: float | None = None  # [USD/h] when cost is a rental rate, else amortised capital

    def to_dict(self) -> dict[str, Any]:
        from computecap import __version__
        w = self.workload
        return {"model": w.name, "params": None if math.isnan(w.params) else w.params,
                "active_params": None if math.isnan(w.active_params) else w.active_params,
                "tokens": None if math.isnan(w.tokens) else w.tokens,
                "chip": self.cluster.chip.id, "cluster": self.cluster.description, "chips": self.chips,
                "precision": self.precision, "training_flop": self.training_flop, "formula": self.formula,
                "duration": self.duration, "chip_hours": self.chip_hours, "energy": self.energy, "cost": self.cost,
                "cost_basis": "rental" if self.hourly_price else "amortised capital",
                "runs_per_year": self.runs_per_year, "memory": self.memory.to_dict(),
                "assumptions": [a.to_dict() for a in self.assumptions], "samples": self.samples, "seed": self.seed,
                "computecap_version": __version__}


def training_run(workload: Workload, cluster: Cluster, *, precision: str = "bf16", mfu: Distribution | None = None,
                 goodput: Distribution | None = None, attention: bool = False, recompute: bool = False,
                 chip_hour_price: pint.Quantity[Any] | None = None, samples: int = 20_000, seed: int = 0,
                 catalog: Catalog | None = None) -> TrainingResult:
    """Time, chip-hours, energy and cost of training ``workload`` on ``cluster``, with p5/p50/p95.

    Cost is amortised capital (unit price over the depreciation life) unless
    ``chip_hour_price`` [USD/h] is given, e.g. a cloud rental rate.
    """
    check_sampling(samples, seed)
    cat = catalog or default_catalog()
    d = cat.defaults
    chip = cluster.chip
    peak_v = chip.peak_spec(precision)  # raises, naming the chip's precisions
    flop_q, formula = workload_flop(workload, attention, recompute)
    flop = flop_q.m_as("FLOP")
    if not math.isfinite(flop) or flop <= 0:
        raise InputError(f"training FLOP must be positive and finite, got {flop:g}")
    mfu_d = mfu or d["mfu"].distribution
    good_d = goodput or d["goodput"].distribution
    peak_d = peak_v.distribution("FLOP/s")
    tdp, price = chip.get("tdp"), chip.get("price")
    tdp_d = None if tdp is None else tdp.distribution("W")
    price_d = None if price is None else price.distribution("USD")
    over_d, pue_d, life_d = (d[k].distribution for k in ("server_overhead", "pue", "amortisation_years"))
    hourly = None if chip_hour_price is None else float(check(chip_hour_price, "USD/h", "chip_hour_price").m_as("USD/h"))
    if hourly is not None and not (math.isfinite(hourly) and hourly > 0):
        raise InputError(f"--chip-hour-price: expected a positive price per chip-hour, got {chip_hour_price}")

    summ = Summariser()
    for size, child in zip(chunk_sizes(samples), np.random.SeedSequence(seed).spawn(len(chunk_sizes(samples)))):
        rng = np.random.default_rng(child)
        n = cluster.sample(rng, size)
        rate = n * peak_d.sample(rng.random(size)) * np.minimum(mfu_d.sample(rng.random(size)), 1.0) * \
            np.minimum(good_d.sample(rng.random(size)), 1.0)
        seconds = flop / rate
        hours = seconds / 3600.0
        chip_h = n * hours
        watts = (tdp_d.sample(rng.random(size)) if tdp_d else np.full(size, np.nan)) * \
            over_d.sample(rng.random(size)) * pue_d.sample(rng.random(size))
        energy_mwh = chip_h * watts / 1e6
        if hourly is not None:
            cost = chip_h * hourly
        else:
            cost = chip_h * (price_d.sample(rng.random(size)) if price_d else np.full(size, np.nan)) / \
                (life_d.sample(rng.random(size)) * _YEAR_H)
        summ.add(np.vstack([n, hours / 24.0, chip_h, energy_mwh, cost, _YEAR_H / hours]))
    st = summ.result()
    u = [Uncertain.from_stats(st[:, i], unit)
         for i, unit in enumerate(["", "day", "hour", "MWh", "USD", ""])]
    per_chip = chip.require("memory").m_as("GB")
    available = Uncertain(u[0].p5 * per_chip, u[0].p50 * per_chip, u[0].p95 * per_chip, u[0].mean * per_chip, "GB")
    if math.isnan(workload.params):
        mem = MemoryFit(Q_(math.nan, "GB"), Q_(per_chip, "GB"), 0, available, None,
                        "not computed: a FLOP-only preset has no parameter count")
    else:
        mem = memory_fit(workload.params, chip, u[0].p5, available)
    assumptions = _assumptions(workload, cluster, precision, peak_v, formula, flop_q, mfu, goodput, d, tdp_d,
                               price_d, hourly)
    return TrainingResult(workload, cluster, precision, flop_q, formula, u[0], u[1], u[2], u[3], u[4], u[5], mem,
                          assumptions, samples, seed, hourly)


def _assumptions(w: Workload, cluster: Cluster, precision: str, peak_v: Any, formula: str, flop: pint.Quantity[Any],
                 mfu: Distribution | None, goodput: Distribution | None, d: Any, tdp_d: Any,
                 price_d: Any, hourly: float | None) -> tuple[Assumption, ...]:
    out = []
    if w.preset is not None:
        p = w.preset
        srcs = tuple(dict.fromkeys(s for v in (p.params, p.active_params, p.tokens, p.training_flop) if v
                                   for s in v.sources))
        out.append(Assumption("model",
                              f"{p.name}: {w.params:.4g} params, {w.active_params:.4g} active, {w.tokens:.4g} tokens"
                              if p.architecture != "flop-only" else f"{p.name}: {flop:~.3gP} (published estimate)",
                              sources=srcs, note=p.path))
        published, published_sv = p.published_flop, p.training_flop
        if published is not None and published_sv is not None and w.flop_override is None:
            ratio = (flop / published).m_as("")
            out.append(Assumption("published training FLOP", f"{published:~.3gP}; computed / published = {ratio:.3f}",
                                  sources=published_sv.sources))
    out.append(Assumption("training FLOP", f"{flop:~.4gP}", formula))
    out.append(Assumption(f"peak {precision}", f"{peak_v.central:~P} dense per {cluster.chip.id}"
                          + (f" (range {peak_v.low:~P}..{peak_v.high:~P})" if peak_v.is_range else ""),
                          sources=peak_v.sources, note=cluster.chip.path))
    out.extend(cluster.assumptions)
    for name, given in (("mfu", mfu), ("goodput", goodput)):
        dd = d[name]
        if given is None:
            out.append(Assumption(name, dd.distribution.describe(), dd.formula, dd.value.sources, dd.value.note))
        else:
            out.append(Assumption(name, given.describe() + " (given)", dd.formula))
    if precision in ("fp8", "int8", "fp4"):
        out.append(Assumption("MFU at 8-bit and below", "the MFU default is calibrated on 16-bit runs",
                              note="DeepSeek-V3's FP8 run reached 0.17 of the H800 FP8 peak (0.35 of BF16): "
                                   "results at fp8 with the default MFU are optimistic"))
    for name in ("server_overhead", "pue") + (("amortisation_years",) if hourly is None else ()):
        dd = d[name]
        out.append(Assumption(name, dd.distribution.describe(), dd.formula, dd.value.sources, dd.value.note))
    if hourly is not None:
        out.append(Assumption("cost basis", f"{hourly:g} USD per chip-hour (given)", "cost = chip-hours x price per hour"))
    if tdp_d is None:
        out.append(Assumption("energy", f"not computed: {cluster.chip.id} publishes no TDP"))
    if price_d is None and hourly is None:
        out.append(Assumption("cost", f"not computed: {cluster.chip.id} publishes no unit price"))
    return tuple(out)


def reference_times(scen: Scenario, companies: Sequence[str], preset: ModelPreset, *,
                    include: Sequence[str] = DEFAULT_INCLUDE, precision: str = "bf16", samples: int = 20_000,
                    seed: int = 0, catalog: Catalog | None = None) -> dict[str, Uncertain | None]:
    """Days to train ``preset`` on each company's best cluster (None where it has no usable chips)."""
    cat = catalog or default_catalog()
    w = Workload.from_preset(preset)
    out: dict[str, Uncertain | None] = {}
    for company in companies:
        try:
            cl = company_cluster(scen, company, cat, include=include, precision=precision)
        except InputError:
            out[company] = None
            continue
        out[company] = training_run(w, cl, precision=precision, samples=samples, seed=seed, catalog=cat).duration
    return out
