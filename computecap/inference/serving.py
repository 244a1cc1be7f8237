"""Serving a model on chips: tokens per second, latency, cost and energy, with p5/p50/p95.

One replica per layout (``computecap.inference.deployment``); ``replicas = floor(chips /
chips per replica)``. Each Monte Carlo draw takes FLOP and bandwidth efficiencies from the fit
(``serving-fit.toml``), a residual factor, the speculative acceptance, chip price and power:
    total output tok/s  = replicas x replica output tok/s x residual
    cost / M tokens     = chips serving x price per chip-hour / (tokens per hour) x 1e6
    energy / M tokens   = chips serving x TDP x server_overhead x PUE / (tokens per second) x 1e6
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from computecap import __version__
from computecap.catalog import Catalog, Chip, ModelPreset, Scenario, default_catalog
from computecap.core import (
    DEFAULT_INCLUDE,
    DEFAULT_SAMPLES,
    Assumption,
    Cluster,
    HoldingLines,
    check_sampling,
    fixed_cluster,
    monte_carlo,
    parse_include,
)
from computecap.core.tabular import Tabular
from computecap.errors import InputError
from computecap.inference.deployment import Deployment, Workload, best_deployment, draw_setup, links_for
from computecap.inference.params import load_serving_defaults, load_serving_fit
from computecap.inference.physics import StepCost, attention_flop_per_token, kv_values_per_token
from computecap.uncertainty import Distribution, Uncertain
from computecap.units import check

_YEAR_H = 8766.0
#: Workload and layout options of ``serve`` with their defaults (shared by ``serve_fleet`` and ``replica_cluster``).
_DEFAULTS: dict[str, Any] = {"input_tokens": 1024, "output_tokens": 1024, "concurrency": None, "tp": None, "ep": None,
                             "precision": "fp8", "kv_precision": None, "speculative": 0, "chip_hour_price": None}
#: Result series: JSON key -> unit.
SERIES = {"output_throughput": "1/s", "output_throughput_per_chip": "1/s", "tokens_per_day": "",
          "time_to_first_token": "s", "time_per_output_token": "s", "cost_per_million_output_tokens": "USD",
          "energy_per_million_output_tokens": "kWh", "output_throughput_per_megawatt": "1/s/MW",
          "replicas": "", "chips": ""}


@dataclass(frozen=True)
class ServingResult(Tabular):
    """Serving one model on one chip type: layout, workload and every rate with p5/p50/p95."""

    model: str
    chip: Chip
    deployment: Deployment | None
    chips_per_replica: int
    values: dict[str, Uncertain | None]
    missing: dict[str, str]
    note: str
    cluster: str
    samples: int
    seed: int
    assumptions: tuple[Assumption, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        dep = self.deployment
        d: dict[str, Any] = {"model": self.model, "chip": self.chip.id, "cluster": self.cluster}
        if dep is not None:
            w = dep.workload
            d.update({"precision": dep.weight_precision, "kv_precision": dep.kv_precision,
                      "math_precision": dep.math_precision, "input_tokens": w.input_tokens,
                      "output_tokens": w.output_tokens, "speculative_tokens": w.speculative,
                      "concurrency_per_replica": dep.concurrency, "kv_capacity_sequences": dep.kv_capacity,
                      "layout": {"chips_per_replica": dep.layout.chips, "tp": dep.layout.tp, "ep": dep.layout.ep,
                                 "attention_dp": dep.layout.dp}})
        d["chips_per_replica"] = self.chips_per_replica
        for key in SERIES:
            v = self.values.get(key)
            d[key] = v.to_dict() if v is not None else None
            if v is None and key in self.missing:
                d[key + "_missing"] = self.missing[key]
        if self.note:
            d["note"] = self.note
        d.update({"samples": self.samples, "seed": self.seed,
                  "assumptions": [a.to_dict() for a in self.assumptions], "computecap_version": __version__})
        return d


@dataclass(frozen=True)
class FleetServingResult(Tabular):
    """Serving on every chip type a company holds: one result per type and the total [tok/s]."""

    company: str
    scenario: str
    per_chip: tuple[ServingResult, ...]
    total_output_throughput: Uncertain
    total_tokens_per_day: Uncertain
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"company": self.company, "scenario": self.scenario, "by_chip": [r.to_dict() for r in self.per_chip],
                "total_output_throughput": self.total_output_throughput.to_dict(),
                "total_tokens_per_day": self.total_tokens_per_day.to_dict(),
                "skipped_chip_types": self.skipped, "computecap_version": __version__}


def _series(plan: _Plan, n: np.ndarray, rng: np.random.Generator, size: int, cat: Catalog) -> np.ndarray:
    """One chunk of every series in SERIES order for ``n`` chips held: (len(SERIES), size)."""
    dep, price, hourly, tdp = plan.dep, plan.price, plan.hourly, plan.tdp
    d, fit = load_serving_defaults(), load_serving_fit()
    fe, be, resid = fit.sample(rng, size)
    acc = d["speculative_acceptance"].value.distribution("").sample(rng.random(size))
    t = dep.timings(fe, be, acc, draw_setup(dep, rng, size))
    replicas = np.floor(n / dep.layout.chips)
    serving = replicas * dep.layout.chips
    per_replica = t["output"] * resid
    total = replicas * per_replica
    defaults = cat.defaults
    watts = (tdp.sample(rng.random(size)) if tdp else np.full(size, np.nan)) * \
        defaults["server_overhead"].distribution.sample(rng.random(size)) * \
        defaults["pue"].distribution.sample(rng.random(size))
    if hourly is not None:
        per_hour = np.full(size, hourly)
    elif price is not None:
        per_hour = price.sample(rng.random(size)) / (defaults["amortisation_years"].distribution.sample(
            rng.random(size)) * _YEAR_H)
    else:
        per_hour = np.full(size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        chip_rate = per_replica / dep.layout.chips
        cost = per_hour / (chip_rate * 3600.0) * 1e6
        energy = watts / chip_rate * 1e6 / 3.6e6
        per_mw = chip_rate / watts * 1e6
    out: np.ndarray = np.vstack([total, chip_rate, total * 86400.0, t["ttft"] / resid, t["tpot"] / resid, cost,
                                 energy, per_mw, replicas, serving])
    return out


def _step_text(dep: Deployment, cost: StepCost, fe: float, be: float) -> str:
    """One step's parts at central efficiencies [ms] and the bytes each chip reads [GB]."""
    mm, weights, attn, kv = (float(np.asarray(x).ravel()[0]) * 1e3
                             for x in dep.kernel_parts(cost, np.array([fe]), np.array([be])))
    return (f"matmuls {max(mm, weights):.3g} ms (compute {mm:.3g}, weights {cost.weight_bytes / 1e9:.3g} GB "
            f"{weights:.3g}), attention {max(attn, kv):.3g} ms (compute {attn:.3g}, KV {cost.kv_bytes / 1e9:.3g} GB "
            f"{kv:.3g}), communication {cost.comm_seconds * 1e3:.3g} ms")


def _assumptions(dep: Deployment, cat: Catalog, fallback: list[str], hourly: float | None,
                 price: Distribution | None, tdp: Distribution | None) -> tuple[Assumption, ...]:
    d, fit = load_serving_defaults(), load_serving_fit()
    p, chip, w, lay = dep.model.preset, dep.chip, dep.workload, dep.layout
    psrc = tuple(dict.fromkeys(s for v in (p.params, p.active_params) if v for s in v.sources))
    ssrc = tuple(dict.fromkeys(s for v in p.shape_sources.values() for s in v))
    csrc = tuple(dict.fromkeys(s for v in (chip.peaks[dep.math_precision], chip.specs["memory_bandwidth"],
                                            chip.specs["memory"]) for s in v.sources))
    fe, be = fit.central
    dec, pre, _, chunk = dep.costs()
    out = [
        Assumption("model", f"{p.name}: {dep.model.n_total:.4g} parameters, {dep.model.n_active:.4g} active"
                   + (f", {p.routed_params:.4g} in routed experts" if p.routed_params else ""),
                   sources=psrc, note=p.path),
        Assumption("model shape", f"{p.attention.upper()} attention; KV cache {kv_values_per_token(p):,.0f} values "
                   f"per token; attention {attention_flop_per_token(p, 1, 'decode'):,.0f} FLOP per token per "
                   "context token (decode)", sources=ssrc),
        Assumption("chip", f"{chip.id}: {chip.peak(dep.math_precision).to('TFLOP/s'):~.5gP} dense "
                   f"{dep.math_precision}, {chip.require('memory_bandwidth'):~P}, {chip.require('memory'):~P}",
                   sources=csrc, note=chip.path),
        Assumption("precisions", f"weights {dep.weight_precision}, KV cache {dep.kv_precision}, math "
                   f"{dep.math_precision}", note="FP4 deployments keep the KV cache in FP8 "
                   "(fp4_kv_precision)" if dep.weight_precision == "fp4" else
                   ("no dense peak at the weights' precision: math runs at the next wider one"
                    if dep.math_precision != dep.weight_precision else ""), sources=d.fp4_kv_sources
                   if dep.weight_precision == "fp4" else ()),
        Assumption("layout", lay.describe(), "non-expert weights / TP + routed experts / chips per chip; "
                   "KV replicated beyond the KV heads (MLA: one latent, so TP copies it)"),
        Assumption("workload", f"{w.input_tokens:,} input, {w.output_tokens:,} output tokens; "
                   f"{dep.concurrency:,} sequences per replica (KV cache holds {dep.kv_capacity:,})"
                   + (f"; {w.speculative} drafted tokens per step" if w.speculative else ""),
                   "auto concurrency = min(max_batch, kv_memory_fraction x (HBM - weights) / KV per sequence)"),
        Assumption("decode step (central efficiencies)", _step_text(dep, dec, fe, be),
                   "max(matmul FLOP / (peak x flop_eff), weight bytes / (bandwidth x bw_eff)) + max(attention "
                   "FLOP / (peak x flop_eff), KV bytes / (bandwidth x bw_eff)) + communication; MoE reads "
                   "E(1-(1-k/E)^T) experts per layer for T tokens"),
        Assumption("prefill step (central efficiencies)", f"{chunk:,.0f} tokens: " + _step_text(dep, pre, fe, be),
                   "output tok/s = O / (prefill per request + O x decode step / (B x accepted per step))"),
        Assumption("efficiencies", f"FLOP {fe:.3f}, bandwidth {be:.3f} (lognormal, jackknife sd "
                   f"{math.sqrt(fit.log_cov[0, 0]):.2f}, {math.sqrt(fit.log_cov[1, 1]):.2f} in ln); residual "
                   f"sigma {fit.residual_sigma:.3f} (ln) = model error {fit.fit_sigma:.3f} (+) spread across serving "
                   f"stacks {fit.stack_sigma:.3f}", "fitted on measured serving points; the stack spread is "
                   "measured on published runs of one deployment under several stacks", fit.sources,
                   note=f"{fit.path}, {fit.provenance.get('script', '')}, {fit.points} points"),
    ]
    for name in ("kv_memory_fraction", "max_batch", "prefill_tokens", "link_efficiency", "collective_latency",
                 "network_collective_latency", "speculative_acceptance"):
        v = d[name]
        rng = f" (range {v.value.low:~.4gP}..{v.value.high:~.4gP})" if v.value.is_range else ""
        out.append(Assumption(name, f"{v.value.central:~.4gP}{rng}", v.formula, v.value.sources, v.value.note))
    ff = d.flop_factor(chip.id, dep.math_precision)
    if ff is not None:
        fv = ff.value
        out.append(Assumption(f"flop_factor ({dep.math_precision} on {chip.id})", f"{fv.central.m_as(''):.2f} (range "
                              f"{fv.low.m_as(''):.2f}..{fv.high.m_as(''):.2f})", "FLOP efficiency of the matmuls = "
                              "flop_efficiency x flop_factor: the chip reaches a smaller share of its peak at this "
                              "precision than the Hopper runs the efficiency is fitted on", fv.sources, fv.note))
    for name in fallback:
        key = name.split(" ")[0]
        if key in d.values:
            v = d[key]
            out.append(Assumption(f"{key} (serving default)", f"{v.value.central:~.4gP}: {chip.id} does not publish it",
                                  v.formula, v.value.sources, v.value.note))
        else:
            out.append(Assumption(key, f"not published for {chip.id}", note=name))
    for name in ("server_overhead", "pue") + (("amortisation_years",) if hourly is None else ()):
        dd = cat.defaults[name]
        out.append(Assumption(name, dd.distribution.describe(), dd.formula, dd.value.sources, dd.value.note))
    if hourly is not None:
        out.append(Assumption("cost basis", f"{hourly:g} USD per chip-hour (given)"))
    return tuple(out)


@dataclass(frozen=True)
class _Plan:
    """Everything a draw needs for one chip type."""

    dep: Deployment
    price: Distribution | None
    tdp: Distribution | None
    hourly: float | None
    fallback: list[str]


def _plan(preset: ModelPreset, chip: Chip, input_tokens: int, output_tokens: int, concurrency: int | None,
          tp: int | None, ep: int | None, precision: str, kv_precision: str | None, speculative: int,
          chip_hour_price: pint.Quantity[Any] | None) -> _Plan:
    if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int)
                                    or concurrency < 1):
        raise InputError(f"--concurrency: expected a whole number >= 1 or auto, got {concurrency!r}")
    for name, v in (("--tp", tp), ("--ep", ep)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise InputError(f"{name}: expected a whole number >= 1, got {v!r}")
    workload = Workload(input_tokens, output_tokens, speculative)
    fe, be = load_serving_fit().central
    dep = best_deployment(preset, chip, workload, precision_name=precision, kv_precision=kv_precision,
                          concurrency=concurrency, tp=tp, ep=ep, flop_eff=fe, bw_eff=be)
    hourly = None if chip_hour_price is None else float(check(chip_hour_price, "USD/h", "chip_hour_price").m_as("USD/h"))
    if hourly is not None and not (math.isfinite(hourly) and hourly > 0):
        raise InputError(f"--chip-hour-price: expected a positive price per chip-hour, got {chip_hour_price}")
    price_v, tdp_v = chip.get("price"), chip.get("tdp")
    _, fallback = links_for(chip, load_serving_defaults())
    return _Plan(dep, None if price_v is None else price_v.distribution("USD"),
                 None if tdp_v is None else tdp_v.distribution("W"), hourly, fallback)


def _result(plan: _Plan, stats: np.ndarray, cluster: Cluster, samples: int, seed: int, cat: Catalog) -> ServingResult:
    """Summarised series (4, len(SERIES)) -> a ServingResult, with nulls and their reasons."""
    dep, chip = plan.dep, plan.dep.chip
    values: dict[str, Uncertain | None] = {k: Uncertain.from_stats(stats[:, i], u)
                                           for i, (k, u) in enumerate(SERIES.items())}
    missing: dict[str, str] = {}
    note = ""
    replicas = stats[:, SERIES_INDEX["replicas"]]
    if replicas[0] < 1:  # p5
        note = (f"fleet smaller than one replica: a replica needs {dep.layout.chips} x {chip.id}" if replicas[2] < 1
                else f"in some draws the fleet is smaller than one replica of {dep.layout.chips} x {chip.id}")
        if replicas[2] < 1:
            for k in ("cost_per_million_output_tokens", "energy_per_million_output_tokens",
                      "output_throughput_per_megawatt", "output_throughput_per_chip", "time_to_first_token",
                      "time_per_output_token"):
                values[k], missing[k] = None, note
    if plan.tdp is None:
        for k in ("energy_per_million_output_tokens", "output_throughput_per_megawatt"):
            values[k], missing[k] = None, f"{chip.id} publishes no TDP"
    if plan.price is None and plan.hourly is None:
        values["cost_per_million_output_tokens"] = None
        missing["cost_per_million_output_tokens"] = f"{chip.id} publishes no unit price (give --chip-hour-price)"
    for k, v in list(values.items()):
        if v is not None and not all(math.isfinite(x) for x in (v.p5, v.p50, v.p95, v.mean)):
            values[k] = None
            missing.setdefault(k, "not finite in some draws")
    assumptions = _assumptions(dep, cat, plan.fallback, plan.hourly, plan.price, plan.tdp) + cluster.assumptions
    return ServingResult(dep.model.preset.id, chip, dep, dep.layout.chips, values, missing, note,
                         cluster.description, samples, seed, assumptions)


def serve(preset: ModelPreset, cluster: Cluster, *, input_tokens: int = 1024, output_tokens: int = 1024,
          concurrency: int | None = None, tp: int | None = None, ep: int | None = None, precision: str = "fp8",
          kv_precision: str | None = None, speculative: int = 0,
          chip_hour_price: pint.Quantity[Any] | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 0,
          catalog: Catalog | None = None) -> ServingResult:
    """Output tokens/s, TTFT, TPOT, cost and energy of serving ``preset`` on ``cluster``.

    ``concurrency`` [sequences per replica], None = what the KV cache holds. ``tp``/``ep`` fix
    the layout; otherwise the layout with the most output tokens/s per chip is used.
    """
    check_sampling(samples, seed)
    cat = catalog or default_catalog()
    plan = _plan(preset, cluster.chip, input_tokens, output_tokens, concurrency, tp, ep, precision, kv_precision,
                 speculative, chip_hour_price)
    stats, _ = monte_carlo(samples, seed, len(SERIES) * 2,
                        lambda rng, size: _series(plan, cluster.sample(rng, size), rng, size, cat))
    return _result(plan, stats, cluster, samples, seed, cat)


SERIES_INDEX = {k: i for i, k in enumerate(SERIES)}


def replica_cluster(preset: ModelPreset, chip: Chip, **options: Any) -> Cluster:
    """Exactly one replica of ``chip`` in the layout ``serve`` would choose (same ``options``)."""
    opts = {**_DEFAULTS, **options}
    return fixed_cluster(chip, _plan(preset, chip, **opts).dep.layout.chips)


def serve_fleet(preset: ModelPreset, scenario: Scenario, company: str, *, include: Any = DEFAULT_INCLUDE,
                as_of: Any = None, samples: int = DEFAULT_SAMPLES, seed: int = 0, catalog: Catalog | None = None,
                **kwargs: Any) -> FleetServingResult:
    """Serve ``preset`` on every chip type ``company`` holds in ``scenario``, each in its best layout;
    holdings are drawn jointly, so the total's interval is that of the sum."""
    check_sampling(samples, seed)
    cat = catalog or default_catalog()
    name = scenario.company(company)
    lines = HoldingLines(scenario)
    idx = np.flatnonzero(lines.select(statuses=parse_include(include), as_of=as_of, companies=[name]))
    if not len(idx):
        raise InputError(f"{name} holds nothing with the chosen statuses in scenario {scenario.name}")
    by_chip: dict[str, list[int]] = {}
    for i in idx:
        by_chip.setdefault(lines.lines[i].chip.id, []).append(int(i))
    central = lines.central()
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"serve_fleet: unexpected argument {min(unknown)!r}")
    opts = {**_DEFAULTS, **kwargs}
    plans, clusters, skipped = [], [], {}
    for cid, rows in by_chip.items():
        chip = lines.lines[rows[0]].chip
        srcs = tuple(dict.fromkeys(s for i in rows for s in lines.lines[i].sources))
        held = float(central[rows].sum())
        try:
            plan = _plan(preset, chip, **opts)
        except InputError as exc:
            skipped[cid] = str(exc)
            continue
        plans.append((plan, np.array(rows)))
        clusters.append(Cluster(chip, Distribution.point(held), f"{name}: all {cid} in {scenario.name}",
                                assumptions=(Assumption("fleet", f"{name}'s {cid}: about {held:,.0f} held "
                                                        f"({', '.join(parse_include(include))})", sources=srcs),)))
    if not plans:
        raise InputError(f"none of {name}'s chips can serve {preset.id}: " + "; ".join(skipped.values()))

    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        held = lines.sample(rng, size)
        blocks = [_series(plan, np.rint(held[sel].sum(axis=0)), rng, size, cat) for plan, sel in plans]
        total = sum(b[0] for b in blocks)
        return np.vstack(blocks + [total, total * 86400.0])

    stats, _ = monte_carlo(samples, seed, (len(SERIES) * len(plans) + 2) * 2, draw)
    k = len(SERIES)
    results = tuple(_result(plan, stats[:, j * k:(j + 1) * k], cl, samples, seed, cat)
                    for j, ((plan, _), cl) in enumerate(zip(plans, clusters)))
    return FleetServingResult(name, scenario.name, results, Uncertain.from_stats(stats[:, -2], "1/s"),
                              Uncertain.from_stats(stats[:, -1], ""), skipped)
