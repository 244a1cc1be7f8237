"""Training runs: FLOP, chip-hours, wall-clock, energy, cost and memory fit.

    training FLOP = 6 x N_active x D                      (Kaplan et al. 2020; default)
                  + 12 x layers x d_model x seq_len x D   (attention, PaLM App. B; --attention)
                  x 8/6 with full activation recompute     (hardware FLOP; --recompute)
    chip-hours    = FLOP / (dense BF16 peak x U) / 3,600 s/h
    duration      = chip-hours / chips
    energy        = chip-hours x TDP x server overhead x PUE
    cost          = chip-hours x unit price / (amortisation years x 8,766 h)

U, the end-to-end achieved fraction of the dense BF16 peak, comes from a log-linear model
fitted on published runs (benchmarks/fit_training.py -> specs/calibration/training-fit.toml):
    log10 U = a + b x MoE + c x log10(peak_bf16 / 312 TFLOP/s) + d x [step-time hours]
              + held-out residual                         (leave one model family out)
Lower precisions multiply the BF16-based U by a fitted factor (never divide by their own
peak). Users who know their step-time MFU and goodput may give them instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from computecap.catalog import Catalog, Chip, ModelPreset, Scenario, default_catalog
from computecap.catalog.calibration import TrainingFit, load_training_fit
from computecap.catalog.values import SourcedValue
from computecap.core import (
    DEFAULT_INCLUDE,
    DEFAULT_SAMPLES,
    Assumption,
    Cluster,
    check_sampling,
    company_cluster,
    monte_carlo,
)
from computecap.core.tabular import Tabular
from computecap.errors import InputError
from computecap.precisions import PRECISIONS
from computecap.precisions import precision as check_precision
from computecap.uncertainty import Distribution, Uncertain
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
            raise InputError(f"{preset.id}: {preset.path} does not publish its training tokens; give the "
                             "numbers instead (--params, --active-params, --tokens)")
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


# ---------------------------------------------------------------------------- utilisation model
#: Reference peak of the peak-ratio term: A100 dense BF16 [FLOP/s] (the generation most runs used).
REFERENCE_PEAK = 312e12
#: What the chip-hours count: billed wall-clock (failures, restarts, evaluation included) or step time.
HOURS = ("billed", "steps")
#: Terms of log10 U a fit may use, with what each means (the fit file names them).
TERM_MEANINGS = {
    "intercept": "1",
    "moe": "1 for a mixture-of-experts model, 0 for dense",
    "log10_peak_ratio": "log10(dense BF16 peak / 312 TFLOP/s): faster chips reach a lower fraction of peak",
    "step_time": "1 when the hours count step time only, 0 for billed hours",
    "log10_active_params": "log10(active parameters / 1e10)",
}


def utilisation_terms(names: Sequence[str], *, moe: bool, peak_bf16: float, step_time: bool,
                      active_params: float) -> np.ndarray:
    """The values of the named terms for one run [1]; ``peak_bf16`` [FLOP/s]."""
    values = {"intercept": 1.0, "moe": float(moe), "log10_peak_ratio": math.log10(peak_bf16 / REFERENCE_PEAK),
              "step_time": float(step_time), "log10_active_params": math.log10(active_params / 1e10)
              if math.isfinite(active_params) and active_params > 0 else 0.0}
    unknown = [n for n in names if n not in values]
    if unknown:
        raise InputError(f"training fit: unknown term {unknown[0]!r}; expected one of {', '.join(values)}")
    return np.array([values[n] for n in names])


def coefficient_sd(fit: TrainingFit, x: np.ndarray) -> float:
    """Spread of x'beta beyond what the held-out residuals already hold [log10 units].

    Held-out residuals include the coefficients' error at typical runs (mean leverage);
    a run far from the data (a new chip generation) adds the excess x'Cx - mean.
    """
    cov = np.array(fit.covariance)
    return math.sqrt(max(0.0, float(x @ cov @ x) - fit.mean_leverage))


def vendor_sd(fit: TrainingFit, vendor: str) -> tuple[float, str]:
    """Added spread for a chip vendor the data holds few runs of [log10 units], and why."""
    if vendor in fit.vendor_extra_sd:
        sd, n = fit.vendor_extra_sd[vendor], fit.vendor_runs[vendor]
        return sd, f"{n} fitted run{'s' if n != 1 else ''} on {vendor} chips"
    return fit.unseen_vendor_sd, f"no fitted run on {vendor} chips: the residual spread is counted twice"


def sample_residuals(fit: TrainingFit, u: np.ndarray) -> np.ndarray:
    """Held-out residuals drawn by their empirical quantile function at uniforms ``u`` [log10 units]."""
    res = np.asarray(fit.residuals)
    out: np.ndarray = np.interp(u, np.linspace(0.0, 1.0, len(res)), res)  # numpy's linear quantiles
    return out


def sample_log10_utilisation(fit: TrainingFit, x: np.ndarray, extra_sd: float, rng: np.random.Generator,
                             size: int) -> np.ndarray:
    """``size`` draws of log10 U: x'beta + held-out residual + normal(0, extra_sd) [log10 units]."""
    beta = np.array([t.coefficient for t in fit.terms])
    out: np.ndarray = float(x @ beta) + sample_residuals(fit, rng.random(size)) + extra_sd * rng.standard_normal(size)
    return out


@dataclass(frozen=True)
class PrecisionMultiplier:
    """U at ``precision`` = BF16-based U x this factor; log10-normal, truncated to [low, high] [1]."""

    precision: str
    log10_central: float
    log10_sd: float
    low: float
    high: float
    note: str

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.log10_sd == 0:
            return np.full(size, min(max(10 ** self.log10_central, self.low), self.high))
        out: np.ndarray = np.clip(10 ** (self.log10_central + self.log10_sd * rng.standard_normal(size)),
                                  self.low, self.high)
        return out


def bf16_peak(chip: Chip) -> tuple[str, SourcedValue]:
    """The chip's dense 16-bit peak that U is a fraction of: BF16, or FP16 where it has no BF16."""
    for name in ("bf16", "fp16"):
        if name in chip.peaks:
            return name, chip.peaks[name]
    raise InputError(f"{chip.id} publishes no dense bf16 or fp16 peak: the training model needs one "
                     f"(it has {', '.join(chip.precisions) or 'none'})")


def precision_multiplier(fit: TrainingFit, chip: Chip, precision: str) -> PrecisionMultiplier:
    """How training at ``precision`` changes U on ``chip`` (1 at 16 bits)."""
    check_precision(precision)
    base_name, base = bf16_peak(chip)
    ratio = (chip.peak(precision) / base.central).m_as("")
    bits = PRECISIONS[precision].bits
    if bits == 16:
        return PrecisionMultiplier(precision, 0.0, 0.0, 1.0, 1.0, f"16-bit: U is a fraction of the {base_name} peak")
    if bits > 16:
        return PrecisionMultiplier(precision, math.log10(ratio), 0.0, ratio, ratio,
                                   f"{precision} runs at its own peak, {ratio:.3g} x the {base_name} peak (no "
                                   "fitted run: compute-bound scaling assumed)")
    f = fit.fp8
    note = (f"fitted on {f.runs} FP8 runs as a factor on the BF16-based U, 10^({f.log10_central:+.3f} +- "
            f"{f.log10_standard_error:.3f}), truncated to [{f.low:g}, {ratio:.3g}] (the {precision}/{base_name} "
            f"peak ratio): never a division by the {precision} peak")
    if precision != "fp8":
        note += f"; no published {precision} pre-training run: the FP8 factor is used"
    return PrecisionMultiplier(precision, f.log10_central, f.log10_standard_error, f.low, max(ratio, f.low), note)


@dataclass(frozen=True)
class UtilisationModel:
    """How one run's U is drawn: fitted terms at this run's values, spreads, precision factor, or user figures."""

    fit: TrainingFit
    names: tuple[str, ...]
    x: np.ndarray
    extra_sd: float
    coef_sd: float
    vendor_note: str
    multiplier: PrecisionMultiplier
    hours: str
    mfu: Distribution | None
    goodput: Distribution | None

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws of U, capped at 1 [1]."""
        if self.mfu is not None:
            given: np.ndarray = np.minimum(self.mfu.sample(rng.random(size)), 1.0)
            if self.hours == "billed":
                given = given * (self._fitted_goodput(rng, size) if self.goodput is None
                                 else np.minimum(self.goodput.sample(rng.random(size)), 1.0))
            return given
        log_u = sample_log10_utilisation(self.fit, self.x, self.extra_sd, rng, size)
        u = 10 ** log_u * self.multiplier.sample(rng, size)
        if self.goodput is not None:
            u = u * np.minimum(self.goodput.sample(rng.random(size)), 1.0)
        out: np.ndarray = np.minimum(u, 1.0)
        return out

    def _fitted_goodput(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Billed / step-time throughput from the fitted step-time term: 10^-(d +- se), at most 1 [1]."""
        t = self.fit.term("step_time")
        out: np.ndarray = np.minimum(10 ** -(t.coefficient + t.standard_error * rng.standard_normal(size)), 1.0)
        return out


def utilisation_model(cluster: Cluster, workload: Workload, precision: str, hours: str, mfu: Distribution | None,
                      goodput: Distribution | None, fit: TrainingFit) -> UtilisationModel:
    """Bind the fit to a run: its terms' values, extra spreads and precision factor."""
    if hours not in HOURS:
        raise InputError(f"hours: expected one of {', '.join(HOURS)}, got {hours!r}")
    if goodput is not None and hours == "steps":
        raise InputError("--goodput applies to billed hours; with --hours steps it is 1 by definition")
    chip = cluster.chip
    moe = workload.preset is not None and workload.preset.architecture == "moe" or (
        math.isfinite(workload.params) and workload.active_params < workload.params)
    names = tuple(t.name for t in fit.terms)
    peak = bf16_peak(chip)[1].central.m_as("FLOP/s")
    x = utilisation_terms(names, moe=moe, peak_bf16=peak, step_time=hours == "steps",
                          active_params=workload.active_params)
    vsd, vnote = vendor_sd(fit, chip.vendor)
    csd = coefficient_sd(fit, x)
    return UtilisationModel(fit, names, x, math.sqrt(vsd ** 2 + csd ** 2), csd, vnote,
                            precision_multiplier(fit, chip, precision), hours, mfu, goodput)


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class MemoryFit:
    """Whether the model's training state fits: required vs available bytes [GB]."""

    required: pint.Quantity[Any] | None
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
class TrainingResult(Tabular):
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
    utilisation: Uncertain
    memory: MemoryFit
    assumptions: tuple[Assumption, ...]
    samples: int
    seed: int
    hours: str = "billed"
    hourly_price: float | None = None  # [USD/h] when cost is a rental rate, else amortised capital
    missing: tuple[tuple[str, str], ...] = ()  # (figure, why it is not computed)

    def to_dict(self) -> dict[str, Any]:
        from computecap import __version__
        w = self.workload
        why = dict(self.missing)

        def figure(name: str, u: Uncertain) -> Uncertain | None:
            return None if name in why else u

        return {"model": w.name, "params": None if math.isnan(w.params) else w.params,
                "active_params": None if math.isnan(w.active_params) else w.active_params,
                "tokens": None if math.isnan(w.tokens) else w.tokens,
                "chip": self.cluster.chip.id, "cluster": self.cluster.description, "chips": self.chips,
                "precision": self.precision, "hours": self.hours, "training_flop": self.training_flop,
                "formula": self.formula, "utilisation": self.utilisation, "duration": self.duration,
                "chip_hours": self.chip_hours, "energy": figure("energy", self.energy),
                "cost": figure("cost", self.cost), "missing": why,
                "cost_basis": "rental" if self.hourly_price else "amortised capital",
                "runs_per_year": self.runs_per_year, "memory": self.memory.to_dict(),
                "assumptions": [a.to_dict() for a in self.assumptions], "samples": self.samples, "seed": self.seed,
                "computecap_version": __version__}


def training_run(workload: Workload, cluster: Cluster, *, precision: str = "bf16", hours: str = "billed",
                 mfu: Distribution | None = None, goodput: Distribution | None = None, attention: bool = False,
                 recompute: bool = False, chip_hour_price: pint.Quantity[Any] | None = None,
                 samples: int = DEFAULT_SAMPLES, seed: int = 0, catalog: Catalog | None = None,
                 fit: TrainingFit | None = None) -> TrainingResult:
    """Time, chip-hours, energy and cost of training ``workload`` on ``cluster``, with p5/p50/p95.

    ``hours`` says what chip-hours count: ``"billed"`` wall-clock (failures, restarts and
    evaluation included; model cards and carbon tables) or ``"steps"`` (step time only).
    ``mfu`` [1] is step-time model FLOP/s over the dense BF16 peak and ``goodput`` [1] the
    productive share of billed time; given, they replace the fitted U. Cost is amortised
    capital unless ``chip_hour_price`` [USD/h] is given, e.g. a cloud rental rate.
    """
    check_sampling(samples, seed)
    cat = catalog or default_catalog()
    d = cat.defaults
    chip = cluster.chip
    chip.peak_spec(precision)  # raises, naming the chip's precisions
    flop_q, formula = workload_flop(workload, attention, recompute)
    flop = flop_q.m_as("FLOP")
    if not math.isfinite(flop) or flop <= 0:
        raise InputError(f"training FLOP must be positive and finite, got {flop:g}")
    model = utilisation_model(cluster, workload, precision, hours, mfu, goodput, fit or load_training_fit())
    peak_name, peak_v = bf16_peak(chip)
    peak_d = peak_v.distribution("FLOP/s")
    tdp, price = chip.get("tdp"), chip.get("price")
    tdp_d = None if tdp is None else tdp.distribution("W")
    price_d = None if price is None else price.distribution("USD")
    over_d, pue_d, life_d = (d[k].distribution for k in ("server_overhead", "pue", "amortisation_years"))
    hourly = None if chip_hour_price is None else float(check(chip_hour_price, "USD/h", "chip_hour_price").m_as("USD/h"))
    if hourly is not None and not (math.isfinite(hourly) and hourly > 0):
        raise InputError(f"--chip-hour-price: expected a positive price per chip-hour, got {chip_hour_price}")

    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        """chips, days, chip-hours, MWh, USD, runs per year and U for ``size`` samples."""
        n = cluster.sample(rng, size)
        u = model.sample(rng, size)
        chip_h = flop / (peak_d.sample(rng.random(size)) * u) / 3600.0
        hours_wall = chip_h / n
        watts = (tdp_d.sample(rng.random(size)) if tdp_d else np.full(size, np.nan)) * \
            over_d.sample(rng.random(size)) * pue_d.sample(rng.random(size))
        if hourly is not None:
            cost = chip_h * hourly
        else:
            cost = chip_h * (price_d.sample(rng.random(size)) if price_d else np.full(size, np.nan)) / \
                (life_d.sample(rng.random(size)) * _YEAR_H)
        return np.vstack([n, hours_wall / 24.0, chip_h, chip_h * watts / 1e6, cost, _YEAR_H / hours_wall, u])

    st, _ = monte_carlo(samples, seed, 7, draw)
    u = [Uncertain.from_stats(st[:, i], unit) for i, unit in enumerate(["", "day", "hour", "MWh", "USD", "", ""])]
    per_chip = chip.require("memory").m_as("GB")
    available = Uncertain(u[0].p5 * per_chip, u[0].p50 * per_chip, u[0].p95 * per_chip, u[0].mean * per_chip, "GB")
    if math.isnan(workload.params):
        mem = MemoryFit(None, Q_(per_chip, "GB"), 0, available, None,
                        "not computed: a FLOP-only preset has no parameter count")
    else:
        mem = memory_fit(workload.params, chip, u[0].p5, available)
    missing = []
    if tdp_d is None:
        missing.append(("energy", f"not computed: {chip.id} publishes no TDP"))
    if price_d is None and hourly is None:
        missing.append(("cost", f"not computed: {chip.id} publishes no unit price (give --chip-hour-price)"))
    assumptions = _assumptions(workload, cluster, precision, peak_name, peak_v, formula, flop_q, model, d, hourly,
                               missing)
    return TrainingResult(workload, cluster, precision, flop_q, formula, u[0], u[1], u[2], u[3], u[4], u[5], u[6],
                          mem, assumptions, samples, seed, hours, hourly, tuple(missing))


def _utilisation_assumptions(m: UtilisationModel) -> list[Assumption]:
    fit = m.fit
    src = fit.sources  # the calibration data and the fitting script, cited in the fit file
    if m.mfu is not None:
        good = ("1 (step-time hours)" if m.hours == "steps" else
                m.goodput.describe() + " (given)" if m.goodput is not None else
                f"10^-({fit.term('step_time').coefficient:.3f} +- {fit.term('step_time').standard_error:.3f}), "
                "the fitted billed/step-time ratio")
        return [Assumption("utilisation U", f"MFU {m.mfu.describe()} (given) x goodput {good}",
                           "U = MFU x goodput (of the dense BF16 peak); the fitted model is not used",
                           user_override=True)]
    out = []
    total = 0.0
    for name, xv, t in zip(m.names, m.x, fit.terms):
        total += t.coefficient * xv
        out.append(Assumption(f"fitted term {name}", f"{t.coefficient:+.3f} (s.e. {t.standard_error:.3f}) x "
                              f"{xv:.3g} = {t.coefficient * xv + 0.0:+.3f}", TERM_MEANINGS.get(name, name)))
    res = np.asarray(fit.residuals)
    q5, q50, q95 = np.quantile(res, [0.05, 0.5, 0.95])
    out.append(Assumption("utilisation U (fitted)",
                          f"log10 U = {total:+.3f} + residual -> U = {10 ** (total + q50):.3f} at the median residual",
                          "log10 U = sum of the terms above + a held-out residual; U is a fraction of the dense "
                          "BF16 peak, end to end for the hours counted",
                          src, f"fitted on {fit.runs} published runs from {fit.families} model families "
                               f"({fit.data_file}); residuals are leave-one-family-out: p5 {q5:+.3f}, "
                               f"p50 {q50:+.3f}, p95 {q95:+.3f} log10 (x{10 ** q5:.2f} .. x{10 ** q95:.2f})"))
    vendor = math.sqrt(max(0.0, m.extra_sd ** 2 - m.coef_sd ** 2))
    spread = [f"{m.vendor_note}: spread widened by {vendor:.3f} log10 (sd)"]
    if m.coef_sd > fit.residual_sd / 4:
        spread.append(f"this run lies beyond the fitted data's typical terms: coefficient uncertainty adds "
                      f"{m.coef_sd:.3f} log10 (sd)")
    out.append(Assumption("utilisation spread", f"total added sd {m.extra_sd:.3f} log10 on top of the residuals",
                          note="; ".join(spread)))
    if m.multiplier.low != 1.0 or m.multiplier.high != 1.0:
        out.append(Assumption(f"precision factor ({m.multiplier.precision})", m.multiplier.note, "U = U(bf16) x factor",
                              src))
    if m.goodput is not None:
        out.append(Assumption("goodput", m.goodput.describe() + " (given)", "U = fitted step-time U x goodput",
                              user_override=True))
    return out


def _assumptions(w: Workload, cluster: Cluster, precision: str, peak_name: str, peak_v: SourcedValue, formula: str,
                 flop: pint.Quantity[Any], model: UtilisationModel, d: Any, hourly: float | None,
                 missing: list[tuple[str, str]]) -> tuple[Assumption, ...]:
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
    out.append(Assumption(f"peak {peak_name}", f"{peak_v.central:~P} dense per {cluster.chip.id}"
                          + (f" (range {peak_v.low:~P}..{peak_v.high:~P})" if peak_v.is_range else ""),
                          f"chip-hours = FLOP / ({peak_name} peak x U); training at {precision}",
                          sources=peak_v.sources, note=cluster.chip.path))
    out.append(Assumption("hours counted", model.hours, note="billed: wall-clock x chips, failures, restarts and "
                          "evaluation included (model cards, carbon tables); steps: logged step time only"))
    out.extend(cluster.assumptions)
    out.extend(_utilisation_assumptions(model))
    for name in ("server_overhead", "pue") + (("amortisation_years",) if hourly is None else ()):
        dd = d[name]
        out.append(Assumption(name, dd.distribution.describe(), dd.formula, dd.value.sources, dd.value.note))
    if hourly is not None:
        out.append(Assumption("cost basis", f"{hourly:g} USD per chip-hour (given)", "cost = chip-hours x price per hour"))
    out.extend(Assumption(name, why) for name, why in missing)
    return tuple(out)


def reference_times(scen: Scenario, companies: Sequence[str], preset: ModelPreset, *,
                    include: Sequence[str] = DEFAULT_INCLUDE, precision: str = "bf16", hours: str = "billed",
                    as_of: dt.date | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                    catalog: Catalog | None = None) -> dict[str, Uncertain | None]:
    """Days to train ``preset`` on each company's best cluster held by ``as_of`` (None where it has no usable chips)."""
    cat = catalog or default_catalog()
    w = Workload.from_preset(preset)
    out: dict[str, Uncertain | None] = {}
    for company in companies:
        try:
            cl = company_cluster(scen, company, cat, include=include, precision=precision, as_of=as_of)
        except InputError:
            out[company] = None
            continue
        out[company] = training_run(w, cl, precision=precision, hours=hours, samples=samples, seed=seed,
                                    catalog=cat).duration
    return out
