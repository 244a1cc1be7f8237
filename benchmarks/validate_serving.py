"""Check the serving model against measured points: calibration (fitted on) and validation (never seen).

Per point: measured, predicted p50 with its 90% interval (fitted efficiencies, residual, speculative
acceptance and link rates sampled as the engine does), ratio, and whether the interval covers the measurement. Per set and per
regime: median |log10(predicted / measured)| and coverage, next to two baselines: the same physics
at efficiency 1 (the old roofline), and the simplest fitted model, one efficiency for FLOP/s and
bandwidth alike (the old --efficiency), fitted on the same calibration points. Then every group of
points with a shared `pair` tag: do the chips rank per GPU as measured?
    python benchmarks/validate_serving.py [--samples 4000] [--seed 0] [--format table|markdown]
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import numpy as np

import computecap
from computecap.inference.deployment import draw_setup
from computecap.inference.params import load_serving_defaults, load_serving_fit
from computecap.inference.points import ServingPoint, load_points
from computecap.report import render_rows

GRID = np.exp(np.linspace(math.log(0.05), 0.0, 241))


@dataclass(frozen=True)
class Row:
    """One point's prediction: p5, p50, p95, efficiency-1 roofline, single-efficiency baseline [1/s]."""

    point: ServingPoint
    p5: float
    p50: float
    p95: float
    roofline: float
    single: float

    @property
    def covered(self) -> bool:
        return self.p5 <= self.point.measured <= self.p95


def regime(p: ServingPoint) -> str:
    """The regime a point tests, for the per-regime summary."""
    chips = max(p.tp, p.ep)
    moe = computecap.model_preset(p.model).routed_params > 0
    if p.precision == "fp4":
        return "MoE, FP4 on B200" if moe else "dense, FP4 on B200"
    if p.ep == 1 and chips > 8:
        return "tensor parallel across nodes"
    if p.chip == "h20":
        return "MoE on H20"
    if p.chip.startswith("mi"):
        return "AMD MI300X/MI325X, FP8/FP16"
    if p.chip.startswith("ascend"):
        return "Ascend 910C, MoE, expert parallel"
    if moe:
        return "MoE, expert parallel" if p.ep > 1 else "MoE, tensor parallel in a node"
    return f"dense, {p.precision.upper()}, TP{p.tp}" if p.tp in (1, 8) else f"dense, {p.precision.upper()}, TP2-4"


def single_efficiency(points: list[ServingPoint]) -> float:
    """One efficiency for FLOP/s and bandwidth, minimising squared log10 error on ``points``."""
    err = np.stack([np.log10(p.predict(GRID, GRID) / p.measured) for p in points])
    return float(GRID[int(np.argmin((err ** 2).sum(axis=0)))])


def evaluate(points: list[ServingPoint], samples: int, seed: int, single: float) -> list[Row]:
    """Predictions for ``points`` with the engine's sampling (seeded per point)."""
    fit = load_serving_fit()
    accept = load_serving_defaults()["speculative_acceptance"].value.distribution("")
    out = []
    for k, p in enumerate(points):
        rng = np.random.default_rng([seed, k])
        fe, be, resid = fit.sample(rng, samples)
        acc = accept.sample(rng.random(samples))
        draws = draw_setup(p.deployment(), rng, samples)
        pred = p.predict(fe, be, acceptance=acc, draws=draws) * resid
        p5, p50, p95 = (float(x) for x in np.percentile(pred, [5, 50, 95]))
        one = np.array([1.0])
        out.append(Row(p, p5, p50, p95, float(p.predict(one, one)[0]),
                       float(p.predict(np.array([single]), np.array([single]))[0])))
    return out


def stats(rows: list[Row]) -> tuple[float, float, float, float]:
    """Median |log10 ratio| of the model, of the roofline and of the single efficiency; coverage."""
    def med(f: str) -> float:
        return float(np.median([abs(math.log10(getattr(r, f) / r.point.measured)) for r in rows]))
    return med("p50"), med("roofline"), med("single"), sum(r.covered for r in rows) / len(rows)


def ranking(rows: list[Row]) -> list[list[str]]:
    """Per pair tag: measured and predicted per-GPU rates of each chip, and whether the order agrees."""
    out = []
    for tag in sorted({r.point.pair for r in rows if r.point.pair}):
        group = [r for r in rows if r.point.pair == tag]
        meas = [r.point.measured / r.point.gpus for r in group]
        pred = [r.p50 / r.point.gpus for r in group]
        agree = list(np.argsort(meas)) == list(np.argsort(pred))
        out.append([tag, ", ".join(f"{r.point.chip} {m:,.0f}" for r, m in zip(group, meas)),
                    ", ".join(f"{r.point.chip} {q:,.0f}" for r, q in zip(group, pred)), "yes" if agree else "NO"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["table", "markdown"], default="table")
    args = ap.parse_args()
    cal = load_points("serving-calibration.toml")
    single = single_efficiency(cal)
    every: list[Row] = []
    for name, label in (("serving-calibration.toml", "calibration (fitted on)"),
                        ("serving-validation.toml", "held out (never fitted on)")):
        rows = evaluate(load_points(name), args.samples, args.seed, single)
        every += rows
        table = [[r.point.id, r.point.chip, f"TP{r.point.tp}" + (f" EP{r.point.ep}" if r.point.ep > 1 else ""),
                  f"{r.point.workload.input_tokens}/{r.point.workload.output_tokens}", f"{r.point.measured:,.1f}",
                  f"{r.p50:,.1f} [{r.p5:,.0f}-{r.p95:,.0f}]", f"{r.p50 / r.point.measured:.2f}x",
                  "yes" if r.covered else "no", f"{r.single / r.point.measured:.2f}x",
                  f"{r.roofline / r.point.measured:.2f}x"] for r in rows]
        print(render_rows(["point", "chip", "layout", "in/out", "measured", "predicted p50 [p5-p95]", "ratio",
                           "covered", f"single eff. {single:.2f}", "roofline x1"], table, args.format,
                          title=f"{label}: {len(rows)} points"))
        med, roof, one, cov = stats(rows)
        print(f"{label}: median |log10 ratio| {med:.3f} ({10 ** med:.2f}x); 90% interval covers {cov:.0%}; "
              f"single efficiency {single:.2f}: {one:.3f} ({10 ** one:.2f}x); roofline at efficiency 1: "
              f"{roof:.3f} ({10 ** roof:.2f}x)\n")
        if name == "serving-validation.toml":
            by = sorted({regime(r.point) for r in rows})
            summary = []
            for g in by:
                sub = [r for r in rows if regime(r.point) == g]
                m, rf, o, c = stats(sub)
                bias = float(np.median([r.p50 / r.point.measured for r in sub]))
                summary.append([g, str(len(sub)), f"{10 ** m:.2f}x", f"{bias:.2f}x", f"{c:.0%}", f"{10 ** o:.2f}x",
                                f"{10 ** rf:.2f}x"])
            print(render_rows(["regime (held out)", "points", "median error", "median predicted/measured",
                               "coverage", "single eff.", "roofline x1"], summary, args.format,
                              title="held-out points by regime"))
            print()
    print(render_rows(["pair", "measured per GPU [1/s]", "predicted p50 per GPU [1/s]", "same order"],
                      ranking(every), args.format, title="chips ranked per GPU within each pair of like workloads"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
