"""Compare chip tiers and check the claims of the seed article with numbers.

Writes ``report.md`` and PNG charts into ``--out`` and prints the summary table.
Claims checked (shared/reference/seed-article.txt, January 2026):
  1. "the H200 delivers roughly six times the performance of the H20"
  2. "at list prices, 400,000 H200 chips would be worth roughly $12 billion"
  3. "[the H200 is] extremely capable: second only to Nvidia's B200"
  4. 400,000 approved out of "more than two million" ordered, in H100-equivalents

Every figure comes from the public API (specs/ with their sources), measured in this run.
Usage: python benchmarks/compare_tiers.py --out report/ [--baseline H20] [--samples N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

import computecap
from computecap.comparison import METRICS, compare, used_metrics
from computecap.errors import ComputecapError
from computecap.inference import Layout, Workload, deploy
from computecap.inference.deployment import draw_setup
from computecap.inference.params import load_serving_defaults, load_serving_fit
from computecap.report import fmt_number, fmt_uncertain, render_rows, write_atomic
from computecap.roofline import attainable, ridge_point, typical_intensities
from computecap.views import unit_label

TIERS = ["H20", "H200", "B200", "910B", "H100", "H800", "910C", "MI300X"]
SERVE_MODEL = "llama-3.1-70b"
#: Serving regimes for the H200/H20 ratio: label, model, workload, layout, concurrency (None = KV fit), rate.
REGIMES = [
    ("prefill, Llama 3.1 70B FP8, 4,096-token prompts, TP8", "llama-3.1-70b", Workload(4096, 1), Layout(8, 8, 1),
     None, "prefill"),
    ("decode, small batch: Llama 3.1 70B FP8, 8 sequences, TP8", "llama-3.1-70b", Workload(1024, 1024),
     Layout(8, 8, 1), 8, "decode"),
    ("decode, large batch: Llama 3.1 70B FP8, KV-cache full, TP8", "llama-3.1-70b", Workload(1024, 1024),
     Layout(8, 8, 1), None, "decode"),
    ("MoE end to end: DeepSeek-V3 FP8, 1k/1k, 8 sequences, TP8", "deepseek-v3", Workload(1024, 1024),
     Layout(8, 8, 1), 8, "output"),
    ("MoE end to end: DeepSeek-V3 FP8, 1k/1k, KV-cache full, EP16", "deepseek-v3", Workload(1024, 1024),
     Layout(16, 1, 16), None, "output"),
]


def serving_ratios(h20: computecap.Chip, h200: computecap.Chip, samples: int) -> list[list[str]]:
    """H200 / H20 serving rate per regime, p50 [p5-p95]: both chips share each efficiency and link draw
    (the same software stack and network); the ratio's spread is the physics' sensitivity to them."""
    fit, acc = load_serving_fit(), load_serving_defaults()["speculative_acceptance"].central
    fe, be, _ = fit.sample(np.random.default_rng(0), samples)
    rows = []
    for label, model, work, layout, conc, rate in REGIMES:
        preset = computecap.model_preset(model)
        deps = [deploy(preset, c, work, layout, concurrency=conc) for c in (h20, h200)]
        r20, r200 = (dep.timings(fe, be, acc, draw_setup(dep, np.random.default_rng(1), samples))[rate]
                     for dep in deps)
        p5, p50, p95 = np.percentile(r200 / r20, [5, 50, 95])
        rows.append([label, f"{p50:.2f}x [{p5:.2f}-{p95:.2f}]"])
    return rows


def table(rows: list[list[str]], headers: list[str]) -> str:
    return render_rows(headers, rows, "markdown")


def claim_six_fold(h20: computecap.Chip, h200: computecap.Chip) -> tuple[str, list[list[str]]]:
    rows = []
    for key in ("peak_bf16", "peak_fp8", "tpp", "memory_bandwidth", "memory", "interconnect_bandwidth"):
        r = compare([h20, h200])[1].ratios[key]
        rows.append([METRICS[key][0], f"{r:.2f}x"])
    serving = serving_ratios(h20, h200, 2000)
    rows += serving
    for name, (i, _) in typical_intensities().items():
        ratio = (attainable(h200, "bf16", i) / attainable(h20, "bf16", i)).m_as("")
        rows.append([f"roofline at {name} ({i.m_as('FLOP/byte'):,.0f} FLOP/B)", f"{float(ratio):.2f}x"])
    r = compare([h20, h200])[1].ratios
    decode = serving[1][1].split("x")[0]
    verdict = (f"Holds for compute-bound work: dense BF16 {r['peak_bf16']:.1f}x, FP8 {r['peak_fp8']:.1f}x, TPP "
               f"{r['tpp']:.1f}x (training, prefill). Fails for memory-bound work: small-batch decode runs {decode}x as fast, "
               f"the ratio of HBM bandwidth ({h200.require('memory_bandwidth'):~P} vs "
               f"{h20.require('memory_bandwidth'):~P}: {r['memory_bandwidth']:.2f}x).")
    return verdict, rows


def claim_value(h200: computecap.Chip) -> tuple[str, list[list[str]]]:
    price = h200.get("price")
    assert price is not None
    implied = 12e9 / 400_000
    rows = [["implied unit price behind '$12 billion'", f"${implied:,.0f}"]]
    for label, q in (("low", price.low), ("central", price.central), ("high", price.high)):
        usd = q.m_as("USD")
        rows.append([f"sourced H200 price, {label}: ${usd:,.0f}", f"400,000 x = ${400_000 * usd / 1e9:.1f} bn"])
    srcs = "; ".join(f"{s.title} ({s.where})" for s in price.sources)
    inside = price.low.m_as("USD") <= implied <= price.high.m_as("USD")
    verdict = (f"$12 bn implies ${implied:,.0f} per H200, {'inside' if inside else 'outside'} the sourced range "
               f"${price.low.m_as('USD'):,.0f}-${price.high.m_as('USD'):,.0f} (as of {h200.price_as_of}); at the "
               f"~$27,000 reported for China sales the batch is about $10.8 bn. Sources: {srcs}.")
    return verdict, rows


def claim_second(h200: computecap.Chip) -> tuple[str, list[list[str]]]:
    rows = []
    chips = computecap.chips()
    above_bf16: list[computecap.Chip] = []
    for key in ("peak_bf16", "peak_fp8", "memory", "memory_bandwidth", "tpp"):
        get = METRICS[key][2]
        mine = get(h200)
        above = sorted((c for c in chips if get(c) is not None and mine is not None and get(c) > mine),
                       key=lambda c: -float(get(c).magnitude))  # type: ignore[union-attr]
        above_bf16 = above if key == "peak_bf16" else above_bf16
        rows.append([METRICS[key][0], str(len(above) + 1), ", ".join(c.id for c in above) or "none"])
    nvidia = [c.id for c in above_bf16 if c.vendor == "NVIDIA"]
    others = [c.id for c in above_bf16 if c.vendor != "NVIDIA"]
    verdict = (f"In dense BF16 the H200 ranks {len(above_bf16) + 1} of {len(chips)} catalog chips: above it are NVIDIA's "
               f"{', '.join(nvidia)} (all Blackwell){' and ' + ', '.join(others) if others else ''}. 'Second only to "
               "the B200' holds only if the Blackwell family counts as one and non-NVIDIA parts are left out; the H200 "
               "ties the H100/H800 in compute and leads every Hopper part in memory.")
    return verdict, rows


def claim_orders(samples: int) -> tuple[str, list[list[str]]]:
    rows = []
    results = {}
    today = dt.date.today()
    for inc, label in ((("installed",), "installed fleets"), (("approved",), "first approved batch"),
                       (("pending",), "rest of the 2026 orders (pending)")):
        for basis in ("bf16", "fp8"):
            # installed: in service today; orders: counted in full (all still to come on 2026-01-01)
            when = {"as_of": today} if inc == ("installed",) else {"as_of": dt.date(2026, 1, 1), "undelivered": True}
            r = computecap.estimate("china-h200-2026", include=inc, samples=samples, seed=0, h100e_basis=basis,
                                    companies=(), **when)
            results[(label, basis)] = r.total
            rows.append([label, basis, fmt_uncertain(r.total.chips), fmt_uncertain(r.total.h100e)])
    inst, appr = results[("installed fleets", "bf16")].h100e.p50, results[("first approved batch", "bf16")].h100e.p50
    pend = results[("rest of the 2026 orders (pending)", "bf16")].h100e.p50
    verdict = (f"400,000 H200 are about {appr / 1e3:,.0f}k H100-equivalents on either basis (H200 = H100 in dense "
               f"compute), {appr / inst:.0%} of the installed Chinese fleets in this scenario ({inst / 1e3:,.0f}k "
               f"H100e, much of it H20 at 0.15 H100e each); the pending remainder would add {pend / 1e3:,.0f}k more.")
    return verdict, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="folder for report.md and the charts")
    ap.add_argument("--baseline", default="H20")
    ap.add_argument("--samples", type=int, default=20_000)
    args = ap.parse_args()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        probe = args.out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        print(f"Error: {args.out}: --out: cannot write here ({exc.strerror})", file=sys.stderr)
        return 1
    try:
        return build(args)
    except ComputecapError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def build(args: argparse.Namespace) -> int:
    from computecap import plots
    chips = [computecap.chip(n) for n in TIERS]
    base = computecap.chip(args.baseline)
    rows = compare(chips, base)
    keys = used_metrics(rows)
    summary = [[f"{METRICS[k][0]} [{unit_label(METRICS[k][1]) or '1'}]"] +
               [("n/p" if r.metrics[k] is None else fmt_number(r.metrics[k].magnitude)) +  # type: ignore[union-attr]
                ("" if r.ratios[k] is None else f" ({r.ratios[k]:.2g}x)") for r in rows] for k in keys]
    headers = ["metric"] + [r.chip.id for r in rows]
    print(render_rows(headers, summary, "table", title=f"Chip tiers, ratios to {base.id} (dense peaks)"))

    h20, h200 = computecap.chip("H20"), computecap.chip("H200")
    claims = [("1. \"The H200 delivers roughly six times the performance of the H20\"", *claim_six_fold(h20, h200),
               ["measure", "H200 / H20"]),
              ("2. \"400,000 H200 chips would be worth roughly $12 billion\"", *claim_value(h200), ["figure", "value"]),
              ("3. \"Second only to Nvidia's B200\"", *claim_second(h200), ["metric", "H200 rank", "chips above it"]),
              ("4. 400,000 approved out of more than 2 million ordered, in H100-equivalents",
               *claim_orders(args.samples), ["holdings", "H100e basis", "chips", "H100e p50 [p5-p95]"])]
    ridge = [[c.id] + [fmt_number(ridge_point(c, p).m_as("FLOP/byte")) if p in c.peaks and c.get("memory_bandwidth")
                       else "n/p" for p in ("bf16", "fp8")] for c in chips]
    charts = {"tiers.png": lambda p: plots.plot_chip_compare(rows, base, p),
              "roofline.png": lambda p: plots.plot_roofline(chips, "bf16", p, {k: v.m_as("FLOP/byte")
                                                                               for k, (v, _) in typical_intensities().items()}),
              "controls.png": lambda p: plots.plot_controls(chips, [computecap.rule_set("bis-2023-3a090")], p),
              "china-h200-2026.png": lambda p: plots.plot_estimate(
                  computecap.estimate("china-h200-2026", include=("all",), samples=args.samples, seed=0), p)}
    for name, draw in charts.items():
        draw(args.out / name)

    md = ["# Chip tiers and the claims of the January 2026 H200 story", "",
          (f"Generated by `benchmarks/compare_tiers.py` with computecap {computecap.__version__}. Dense peaks; every "
          "spec is sourced in `specs/chips/` (`computecap chips show ID`)."), "",
          f"## Tiers (ratios to {base.id})", "", table(summary, headers), "![tiers](tiers.png)", ""]
    for title, verdict, crow, cheaders in claims:
        md += [f"## {title}", "", f"**Verdict.** {verdict}", "", table(crow, cheaders)]
    md += ["## Roofline", "", "Ridge points (FLOP per byte above which each chip is compute-bound):", "",
           table(ridge, ["chip", "BF16 ridge [FLOP/B]", "FP8 ridge [FLOP/B]"]),
           "Typical intensities: " + "; ".join(f"{k} ~{v.m_as('FLOP/byte'):,.0f} FLOP/B ({how})"
                                               for k, (v, how) in typical_intensities().items()) + ".", "",
           "![roofline](roofline.png)", "", "## Export-control position", "", "![controls](controls.png)", "",
           "## The default scenario by company", "", "![china-h200-2026](china-h200-2026.png)", ""]
    write_atomic(args.out / "report.md", "\n".join(md).encode())
    print("\n".join(f"{t}\n  {v}" for t, v, _, _ in claims))
    print(f"\nWrote {args.out / 'report.md'} and {len(charts)} charts.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
