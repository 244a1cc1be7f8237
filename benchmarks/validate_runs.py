"""Validate `computecap train` against published training runs.

For every calibration run with chip-hours: reported vs predicted chip-hours (p50), their
ratio, and whether the reported value falls in the predicted p5-p95; then the median
absolute log10 error and the 90%-interval coverage, next to a baseline computed in the
same run: a constant 30% utilisation (Epoch's 2022 recommendation for LLMs).

Goodput applies only to billed chip-hours; runs whose hours are logged step time use
goodput 1, and circular runs (hours derived from the FLOP figure) are shown but not scored.

Usage: python benchmarks/validate_runs.py [--samples N]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import computecap
from computecap.core import fixed_cluster
from computecap.training import Workload, training_run
from computecap.uncertainty import Distribution

BASELINE_UTILISATION = 0.30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20_000)
    args = ap.parse_args()
    cat = computecap.default_catalog()
    rows, errs, base_errs, covered = [], [], [], []
    for run in cat.calibration_runs:
        if run.chip_hours is None or run.hours_kind == "none":
            continue
        preset = cat.preset(run.model)
        chip = cat.chip(run.chip)
        precision = run.precision if run.precision in chip.peaks and run.precision in ("bf16", "fp16") else \
            ("bf16" if "bf16" in chip.peaks else "fp16")
        chips = run.chips or 1024  # chip-hours do not depend on the count; only wall-clock would
        goodput = Distribution.point(1.0) if run.hours_kind == "step-time" else None
        res = training_run(Workload.from_preset(preset), fixed_cluster(chip, chips), precision=precision,
                           goodput=goodput, samples=args.samples, seed=0, catalog=cat)
        h = res.chip_hours
        reported = float(run.chip_hours)
        baseline = res.training_flop.m_as("FLOP") / (chip.peak(precision).m_as("FLOP/s") * BASELINE_UTILISATION) / 3600
        inside = h.p5 <= reported <= h.p95
        scored = run.hours_kind != "circular"
        if scored:
            errs.append(abs(math.log10(h.p50 / reported)))
            base_errs.append(abs(math.log10(baseline / reported)))
            covered.append(inside)
        rows.append((run.model, chip.id, run.hours_kind, reported / 1e6, h.p50 / 1e6, h.p5 / 1e6, h.p95 / 1e6,
                     h.p50 / reported, "yes" if inside else "NO", baseline / reported, "" if scored else "(not scored)"))
    head = f"{'run':<22}{'chip':<11}{'hours':<10}{'reported':>10}{'predicted':>10}{'p5':>8}{'p95':>8}" \
           f"{'pred/rep':>10}{'in 90%':>8}{'30% base/rep':>14}"
    print("Chip-hours, millions: reported vs computecap (6 x N_active x D, calibrated MFU x goodput)")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r[0]:<22}{r[1]:<11}{r[2]:<10}{r[3]:>10.3f}{r[4]:>10.3f}{r[5]:>8.3f}{r[6]:>8.3f}"
              f"{r[7]:>10.2f}{r[8]:>8}{r[9]:>14.2f} {r[10]}")
    n = len(errs)
    print()
    print(f"scored runs: {n}")
    print(f"median |log10 error|: computecap {np.median(errs):.3f}   constant 30% baseline {np.median(base_errs):.3f}"
          f"   (ratio {np.median(errs) / np.median(base_errs):.2f})")
    print(f"90% interval coverage: {sum(covered)}/{n} = {sum(covered) / n:.0%} (aim: at least 80%)")


if __name__ == "__main__":
    main()
