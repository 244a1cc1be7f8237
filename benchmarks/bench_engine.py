"""Speed of the estimate engine, measured against baselines taken in the same run.

1. Monte Carlo: computecap.estimate (public API) on the default scenario versus a
   hand-written plain-numpy computation of the same figures (counts, Dirichlet split,
   peak, effective, H100e, HBM, bandwidth, power, capex, and their percentiles).
   Target: within 1.5x.
2. Cold start: wall time of `computecap estimate` and `computecap chips show H200` (each a
   new process) versus `python -c "import numpy, click, pint"`. Target: within 1.5x.
3. Scaling: samples per second and peak memory (max RSS of a child process) at 1e5, 1e6
   (and 1e7 with --full) samples, and time against the number of holdings.

Usage: python benchmarks/bench_engine.py [--samples 1000000] [--repeat 5] [--full]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

import computecap
from computecap.fleet import expand_lines
from computecap.uncertainty import CHUNK, chunk_sizes


def handwritten(scen, samples: int, seed: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The figures estimate() reports, written directly in numpy: per company and total, chips,
    peak at each reported precision, effective, H100e, HBM, bandwidth, power, energy, capex;
    per (company, status, chip) row, chips, peak and H100e; p5/p50/p95/mean of each."""
    cat = computecap.default_catalog()
    d = cat.defaults
    ref = cat.chip(d.h100e_reference).peak("bf16").m_as("FLOP/s")
    lines, allocs = expand_lines(scen)
    keep = [j for j, ln in enumerate(lines) if ln.status in ("installed", "approved")]
    companies = list(dict.fromkeys(lines[j].company for j in keep))
    rows = list(dict.fromkeys((lines[j].company, lines[j].status, lines[j].chip.id) for j in keep))
    chips = list(dict.fromkeys(ln.chip.id for ln in lines))
    cix = np.array([chips.index(lines[j].chip.id) for j in keep])
    precs = ["tf32", "bf16", "fp16", "fp8", "int8"]

    def tri(v, unit):  # type: ignore[no-untyped-def]
        return None if v is None else (v.low.m_as(unit), v.central.m_as(unit), v.high.m_as(unit))

    objs = [cat.chip(c) for c in chips]
    peaks = {p: [tri(c.peaks.get(p), "FLOP/s") for c in objs] for p in precs}
    basis = [tri(c.peaks.get("bf16") or c.peaks.get("fp16"), "FLOP/s") for c in objs]
    other = {k: [tri(c.get(k), u) for c in objs] for k, u in
             (("memory", "GB"), ("memory_bandwidth", "TB/s"), ("tdp", "W"), ("price", "USD"))}
    results = []
    for size, child in zip(chunk_sizes(samples), np.random.SeedSequence(seed).spawn(len(chunk_sizes(samples)))):
        rng = np.random.default_rng(child)
        counts = np.empty((len(lines), size))
        for j, h in enumerate(scen.holdings):
            c = h.count
            counts[j] = rng.triangular(c.low, c.central, c.high, size) if c.low < c.high else c.central
        for total, idx, shares, conc in allocs:
            tot = rng.triangular(total.low, total.central, total.high, size) if total.low < total.high else total.central
            counts[idx] = rng.dirichlet(shares * conc, size).T * tot
        counts = counts[keep]

        def draw(specs, u=None, rng=rng, size=size, counts=counts):  # type: ignore[no-untyped-def]
            u = rng.random((len(chips), size)) if u is None else u
            out = np.zeros((len(chips), size))
            for i, v in enumerate(specs):
                if v is not None:
                    lo, c, hi = v
                    if lo < hi:
                        f = (c - lo) / (hi - lo)
                        out[i] = np.where(u[i] < f, lo + np.sqrt(u[i] * (hi - lo) * (c - lo)),
                                          hi - np.sqrt((1 - u[i]) * (hi - lo) * (hi - c)))
                    else:
                        out[i] = c
            return out[cix] * counts

        u_chip = rng.random((len(chips), size))
        per_prec = {p: draw(peaks[p], u_chip) for p in precs}
        h100e = draw(basis, u_chip) / ref
        mem, bw, tdp, price = (draw(other[k]) for k in ("memory", "memory_bandwidth", "tdp", "price"))
        ud = d["utilisation"].distribution
        util = np.exp(rng.normal(0.5 * np.log(ud.low * ud.high), np.log(ud.high / ud.low) / 3.29, size))
        o, pu = d["server_overhead"].distribution, d["pue"].distribution
        facility = rng.triangular(o.low, o.central, o.high, size) * rng.triangular(pu.low, pu.central, pu.high, size)
        series = []
        for name in [*companies, None]:
            m = np.array([name is None or lines[j].company == name for j in keep])
            power = tdp[m].sum(0) * facility / 1e6
            series += [counts[m].sum(0), per_prec["bf16"][m].sum(0) * util, h100e[m].sum(0), mem[m].sum(0),
                       bw[m].sum(0), power, power * 8.766, price[m].sum(0)] + [per_prec[p][m].sum(0) for p in precs]
        for company, status, chip in rows:
            m = np.array([(lines[j].company, lines[j].status, lines[j].chip.id) == (company, status, chip) for j in keep])
            series += [counts[m].sum(0), per_prec["bf16"][m].sum(0), h100e[m].sum(0)]
        flat = np.array(series)
        mean = flat.mean(1)
        results.append(np.vstack([np.percentile(flat, [5, 50, 95], axis=1, overwrite_input=True), mean]))
    return np.mean(results, axis=0)


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def cold(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def child_run(samples: int, n_holdings_factor: int = 1) -> tuple[float, float]:
    """(seconds, peak traced memory in MB) of one estimate in a fresh process.

    tracemalloc sees numpy's buffers; max RSS would not do, as Linux carries it across exec."""
    code = (
        "import time, tracemalloc, computecap\n"
        "from computecap.catalog.scenarios import Scenario\n"
        "s = computecap.load_scenario('china-h200-2026')\n"
        f"s = Scenario(s.name, s.title, s.description, s.as_of, s.companies, s.holdings * {n_holdings_factor}, "
        "s.allocations, s.sources, s.path)\n"
        "tracemalloc.start()\n"
        "t = time.perf_counter()\n"
        f"computecap.estimate(s, samples={samples}, seed=1)\n"
        "print(time.perf_counter() - t, tracemalloc.get_traced_memory()[1] / 1e6)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="also run 1e7 samples")
    args = ap.parse_args()
    scen = computecap.load_scenario("china-h200-2026")

    computecap.estimate(scen, samples=1000)  # warm caches (catalog load) for both sides
    api = computecap.estimate(scen, samples=200_000, seed=1).total
    ref = handwritten(scen, 200_000, 1)
    n_c = len(api.metrics) + len(api.peak)  # the total is the last company-level group in both
    print(f"0. Same figures: total chips p50 {api.chips.p50:,.0f} (API) vs {ref[1][3 * n_c]:,.0f} (hand-written)")
    t_api = best_of(lambda: computecap.estimate(scen, samples=args.samples, seed=1), max(1, args.repeat // 2))
    t_np = best_of(lambda: handwritten(scen, args.samples, 1), max(1, args.repeat // 2))
    print(f"1. Monte Carlo, {args.samples:,} samples of the default scenario (chunked, at most {CHUNK:,} a chunk):")
    print(f"   computecap.estimate {t_api:.3f} s   hand-written numpy {t_np:.3f} s   "
          f"ratio {t_api / t_np:.2f}x (target <= 1.5x)")

    exe = shutil.which("computecap")
    base_cmd = [sys.executable, "-c", "import numpy, click, pint"]
    cmds = [["estimate"], ["estimate", "--reference-model", "none"], ["chips", "show", "H200"]]
    full = [[exe, *c] if exe else [sys.executable, "-m", "computecap", *c] for c in cmds]
    times: dict[int, list[float]] = {i: [] for i in range(len(cmds) + 1)}
    for _ in range(args.repeat):  # interleaved, so drift on a busy machine hits all commands alike
        for i, cmd in enumerate([base_cmd, *full]):
            times[i].append(cold(cmd, 1))
    base = statistics.median(times[0])
    print("2. Cold start (median of", args.repeat, "interleaved new processes; caches warm, as on any second start):")
    print(f"   python -c 'import numpy, click, pint'  {base:.3f} s")
    for i, cmd in enumerate(cmds, start=1):
        t = statistics.median(times[i])
        print(f"   computecap {' '.join(cmd):<48} {t:.3f} s   ratio {t / base:.2f}x (target <= 1.5x)")

    print("3. Scaling (each in a fresh process):")
    sizes = [100_000, 1_000_000] + ([10_000_000] if args.full else [])
    for n in sizes:
        secs, rss = child_run(n)
        print(f"   {n:>12,} samples  {secs:7.2f} s  {n / secs / 1e6:6.2f} M samples/s  peak memory {rss:7.0f} MB")
    for factor in (1, 4, 16):
        secs, rss = child_run(200_000, factor)
        print(f"   holdings x{factor:<3} ({factor * len(scen.holdings) + sum(len(a.shares) for a in scen.allocations):>4} lines)"
              f"  200,000 samples  {secs:6.2f} s  peak memory {rss:6.0f} MB")


if __name__ == "__main__":
    main()
