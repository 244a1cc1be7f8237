"""Check the serving model against measured points: calibration (fitted on) and validation (never seen).

Per point: measured, predicted p50 with its 90% interval (fitted efficiencies and residual sampled
as the engine does), ratio, and whether the interval covers the measurement. Per set: median
|log10(predicted / measured)| and coverage; the baseline is the old roofline at efficiency 1.
    python benchmarks/validate_serving.py [--samples 4000] [--seed 0] [--format table|markdown]
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from computecap.inference.params import load_serving_fit
from computecap.inference.points import ServingPoint, load_points
from computecap.report import render_rows


def evaluate(points: list[ServingPoint], samples: int, seed: int) -> list[tuple[ServingPoint, float, float, float,
                                                                                 float]]:
    """(point, p5, p50, p95, roofline at efficiency 1) per point."""
    fit = load_serving_fit()
    out = []
    for k, p in enumerate(points):
        rng = np.random.default_rng([seed, k])
        fe, be, resid = fit.sample(rng, samples)
        pred = p.predict(fe, be) * resid
        p5, p50, p95 = (float(x) for x in np.percentile(pred, [5, 50, 95]))
        out.append((p, p5, p50, p95, float(p.predict(np.array([1.0]), np.array([1.0]))[0])))
    return out


def summary(rows: list[tuple[ServingPoint, float, float, float, float]]) -> tuple[float, float, float]:
    """Median |log10 ratio| of the model and of the baseline, and 90% interval coverage."""
    err = [abs(math.log10(p50 / p.measured)) for p, _, p50, _, _ in rows]
    base = [abs(math.log10(r1 / p.measured)) for p, _, _, _, r1 in rows]
    cover = [p5 <= p.measured <= p95 for p, p5, _, p95, _ in rows]
    return float(np.median(err)), float(np.median(base)), sum(cover) / len(cover)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["table", "markdown"], default="table")
    args = ap.parse_args()
    for name, label in (("serving-calibration.toml", "calibration (fitted on)"),
                        ("serving-validation.toml", "held out (never fitted on)")):
        rows = evaluate(load_points(name), args.samples, args.seed)
        table = [[p.id, p.chip, f"TP{p.tp}" + (f" EP{p.ep}" if p.ep > 1 else ""),
                  f"{p.workload.input_tokens}/{p.workload.output_tokens}", f"{p.measured:,.1f}",
                  f"{p50:,.1f} [{p5:,.0f}-{p95:,.0f}]", f"{p50 / p.measured:.2f}x", "yes" if p5 <= p.measured <= p95
                  else "no", f"{r1 / p.measured:.2f}x"] for p, p5, p50, p95, r1 in rows]
        med, base, cov = summary(rows)
        print(render_rows(["point", "chip", "layout", "in/out", "measured", "predicted p50 [p5-p95]", "ratio",
                           "covered", "roofline x1"], table, args.format, title=f"{label}: {len(rows)} points"))
        print(f"{label}: median |log10 ratio| {med:.3f} ({10 ** med:.2f}x); 90% interval covers {cov:.0%}; "
              f"baseline roofline at efficiency 1: {base:.3f} ({10 ** base:.2f}x)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
