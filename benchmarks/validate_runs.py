"""Validate the training model against published runs, holding out whole model families.

Prints, for every run of specs/calibration/training-runs.toml: the reported U (and chip-hours
where the tokens are published) against the prediction of a model fitted WITHOUT the run's
family (nested: the residual distribution is refitted too), with its 90% interval. Then, side by
side, for the fitted model, the previous MFU x goodput model (MFU lognormal 0.25-0.50, goodput
triangular 0.60/0.85/0.95 on billed hours, FP8 runs divided by the FP8 peak) and the constant
30%-of-BF16-peak rule: median and mean |log10 error| of chip-hours, share within 2x and 90%
coverage, overall, for dense, MoE and FP8 runs and by chip generation. Last, the runs of
training-runs-holdout.toml, which the fit never reads, predicted through the public API.

Usage: python benchmarks/validate_runs.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit_training import CHECK_SEED, load_data, nested_lofo, select_terms

import computecap
from computecap.catalog.calibration import load_calibration_runs
from computecap.core import fixed_cluster
from computecap.training import Workload, training_run

CONSTANT_U = 0.30
LOG2 = math.log10(2.0)


def previous_model(data: object, cat: computecap.Catalog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, p5, p95 of log10 U under the previous MFU x goodput defaults, for every run."""
    d = cat.defaults
    mfu, good = d["mfu"].distribution, d["goodput"].distribution
    rng = np.random.default_rng(CHECK_SEED)
    out = []
    for i, r in enumerate(data.runs):  # type: ignore[attr-defined]
        u = mfu.sample(rng.random(20_000)) * (1.0 if r.step_time else good.sample(rng.random(20_000)))
        if r.fp8:
            u = u * data.fp8_ratio[i]  # type: ignore[attr-defined]  # it divided by the FP8 peak
        out.append(np.quantile(np.log10(np.minimum(u, 1.0)), [0.5, 0.05, 0.95]))
    a = np.array(out)
    return a[:, 0], a[:, 1], a[:, 2]


def metrics(err: np.ndarray, inside: np.ndarray | None) -> str:
    cov = "    -" if inside is None else f"{inside.mean():5.0%}"
    return (f"{np.median(err):7.3f} (x{10 ** np.median(err):.2f}) {np.mean(err):6.3f} {np.mean(err < LOG2):7.0%} "
            f"{cov}")


def generation(peak: float) -> str:
    return ("V100 / TPU v3" if peak < 2e14 else "A100 / TPU v4 / 910B" if peak < 4e14 else
            "H100 / TPU v5p" if peak < 1.5e15 else "B200")


def main() -> None:
    cat = computecap.default_catalog()
    data = load_data()
    names, _ = select_terms(data)
    med, lo, hi = nested_lofo(data, names)
    pmed, plo, phi = previous_model(data, cat)
    y = data.y
    print("Held out by family: each run predicted by a fit made without its family "
          "(U = fraction of the dense BF16 peak; chip-hours in millions)")
    head = (f"{'run':<28}{'basis':<9}{'U rep':>7}{'U pred [p5-p95]':>22}{'h rep':>9}{'h pred':>9}{'pred/rep':>9}"
            f"{'in 90%':>7}")
    print(head + "\n" + "-" * len(head))
    for i, r in enumerate(data.runs):
        hrep = "" if r.chip_hours is None else f"{r.chip_hours / 1e6:9.3f}"
        flop = r.flop
        hpred = "" if flop is None else f"{flop / (data.peak[i] * 10 ** med[i]) / 3600 / 1e6:9.3f}"
        inside = lo[i] <= y[i] <= hi[i]
        print(f"{r.model[:27]:<28}{r.basis:<9}{10 ** y[i]:7.3f}{10 ** med[i]:8.3f} [{10 ** lo[i]:.3f}-{10 ** hi[i]:.3f}]"
              f"{hrep:>9}{hpred:>9}{10 ** (y[i] - med[i]):9.2f}{'yes' if inside else 'NO':>7}")
    err_fit, in_fit = np.abs(med - y), (y >= lo) & (y <= hi)
    err_prev, in_prev = np.abs(pmed - y), (y >= plo) & (y <= phi)
    err_const = np.abs(math.log10(CONSTANT_U) - y)
    groups = [("all scored runs", np.ones(len(y), dtype=bool)),
              ("dense", np.array([not r.moe for r in data.runs])),
              ("MoE", np.array([r.moe for r in data.runs])),
              ("FP8", data.fp8.astype(bool)),
              ("billed hours", np.array([not r.step_time for r in data.runs])),
              ("step-time hours / MFU", np.array([r.step_time for r in data.runs]))]
    groups += [(f"chips: {g}", np.array([generation(p) == g for p in data.peak]))
               for g in ("V100 / TPU v3", "A100 / TPU v4 / 910B", "H100 / TPU v5p", "B200")]
    groups += [(f"vendor: {v}", data.vendor == v) for v in sorted(set(data.vendor))]
    print("\nLeave-one-family-out: |log10 error| of chip-hours (median, mean), share within 2x, 90% coverage")
    sub = f"{'median':>16} {'mean':>6} {'in 2x':>7} {'cov90':>5}"
    print(f"{'group':<26}{'n':>4}  {'fitted model':<38}{'previous MFU x goodput':<38}{'constant 30%':<38}")
    print(f"{'':<30}" + (sub + "  ") * 3)
    for label, m in groups:
        if not m.any():
            continue
        print(f"{label:<26}{m.sum():>4}  {metrics(err_fit[m], in_fit[m])}  {metrics(err_prev[m], in_prev[m])}  "
              f"{metrics(err_const[m], None)}")
    print(f"\nterms: {', '.join(names)}; runs {len(y)} from {len(set(data.family))} families; "
          "GPT-3 (circular hours) not scored")

    print("\nRuns the fit never read (training-runs-holdout.toml), through computecap.training_run:")
    head = f"{'run':<18}{'chip':<11}{'prec':<6}{'h rep':>8}{'h pred [p5-p95]':>26}{'pred/rep':>9}{'in 90%':>7}"
    print(head + "\n" + "-" * len(head))
    errs, covered, errs_const = [], [], []
    for r in load_calibration_runs("training-runs-holdout.toml"):
        chip = cat.chip(r.chip)
        prec = "fp8" if r.fp8 else "bf16"
        w = Workload(r.model, r.params, r.active_params, r.tokens or math.nan)
        res = training_run(w, fixed_cluster(chip, int(r.chips or 1024)), precision=prec,
                           hours="steps" if r.step_time else "billed", samples=20_000, seed=0, catalog=cat)
        h, rep = res.chip_hours, float(r.chip_hours or math.nan)
        const = (r.flop or math.nan) / (chip.peak("bf16").m_as("FLOP/s") * CONSTANT_U) / 3600
        errs.append(abs(math.log10(h.p50 / rep)))
        errs_const.append(abs(math.log10(const / rep)))
        covered.append(h.p5 <= rep <= h.p95)
        print(f"{r.model:<18}{chip.id:<11}{prec:<6}{rep / 1e6:8.3f}{h.p50 / 1e6:9.3f} [{h.p5 / 1e6:.3f}-{h.p95 / 1e6:.3f}]"
              f"{h.p50 / rep:>9.2f}{'yes' if covered[-1] else 'NO':>7}")
    print(f"holdout: median |log10 error| {np.median(errs):.3f} (constant 30%: {np.median(errs_const):.3f}), "
          f"mean {np.mean(errs):.3f}, within 2x {np.mean(np.array(errs) < LOG2):.0%}, "
          f"90% coverage {sum(covered)}/{len(covered)}")


if __name__ == "__main__":
    main()
