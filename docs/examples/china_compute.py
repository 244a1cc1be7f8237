"""Worked analysis: China's AI compute by chip and by company, from the bundled scenario.

    python docs/examples/china_compute.py [--samples N] [--seed S] [--out DIR]

Three questions an analyst asks, answered with the library (not the CLI):
1. What share of China's H100-equivalents in service today are H20s?
2. Is ByteDance ahead of Alibaba, and how sure are we? Paired Monte Carlo draws: both
   companies' figures come from the same draws of shared inputs, so the ratio's interval
   and P(ByteDance > Alibaba) are valid, which percentiles alone cannot give.
3. Give me this as a spreadsheet: the tidy CSV (one row per company x status x chip x
   metric), the per-draw CSV, and a pandas DataFrame when pandas is installed.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from computecap import frames
from computecap.errors import InputError
from computecap.fleet import estimate

SCENARIO = "china-h200-2026"


def h20_share(result: Any) -> tuple[float, float, float]:
    """H20 H100-equivalents, all H100-equivalents (medians) and their ratio, from the tidy table."""
    rows = frames.tidy(result).records
    h20 = sum(r["p50"] for r in rows if r["metric"] == "h100e" and r["chip"] == "h20" and r["company"] != "total")
    total = next(r["p50"] for r in rows if r["metric"] == "h100e" and r["company"] == "total")
    return h20, total, h20 / total


def ahead(result: Any, a: str, b: str, metric: str = "h100e") -> dict[str, float]:
    """P(a > b), and the a/b ratio's p5/p50/p95, from the paired draws of one run."""
    da, db = result.draws_of(a, metric), result.draws_of(b, metric)
    ratio = da / db
    p5, p50, p95 = np.percentile(ratio, [5, 50, 95])
    return {"p_ahead": float(np.mean(da > db)), "ratio_p5": float(p5), "ratio_p50": float(p50),
            "ratio_p95": float(p95)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)

    result = estimate(SCENARIO, samples=args.samples, seed=args.seed, keep_samples=True)
    h20, total, share = h20_share(result)
    print(f"{SCENARIO}, in service on {result.as_of} ({args.samples:,} samples, seed {args.seed})")
    print(f"1. H20s: {h20:,.0f} of {total:,.0f} H100e (BF16 basis; a ratio of medians): {share:.0%} of the total")

    duel = ahead(result, "ByteDance", "Alibaba")
    print(f"2. ByteDance / Alibaba H100e: {duel['ratio_p50']:.2f}x [{duel['ratio_p5']:.2f}-{duel['ratio_p95']:.2f}]; "
          f"P(ByteDance ahead) = {duel['p_ahead']:.1%}")

    tidy_csv = args.out / "china-estimate.csv"
    tidy_csv.write_text(frames.to_csv(frames.tidy(result)))
    draws_csv = args.out / "china-draws.csv"
    frames.write_draws(result, draws_csv)
    rows = list(csv.reader(io.StringIO(tidy_csv.read_text())))
    print(f"3. {tidy_csv} ({len(rows) - 1} tidy rows) and {draws_csv} (one column per company and metric)")
    try:
        frame = frames.to_frame(result)
    except InputError as exc:  # pandas is optional: pip install 'computecap[frame]'
        print(f"   (no DataFrame: {exc})")
    else:
        top = frame[(frame.metric == "h100e") & (frame.status == "all")][["company", "p5", "p50", "p95"]]
        print(top.round(0).to_string(index=False))
    return {"result": result, "h20": h20, "total": total, "share": share, **duel, "tidy_csv": tidy_csv,
            "draws_csv": draws_csv}


if __name__ == "__main__":
    main()
