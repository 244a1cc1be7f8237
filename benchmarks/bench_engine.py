"""Speed of computecap, each figure against a baseline measured in the same run.

1. Start-up: `computecap --version`, `--help` and `estimate` (each a new process) against
   `python -c "import numpy, click, pint"`. Targets: 1.1x, 1.1x, 1.3x.
2. Engine: computecap.estimate (public API, default scenario) against a tight hand-written
   numpy version of the same figures that draws the same random numbers in the same order
   (so the outputs agree to rounding), at 1e5 and 1e6 samples (1e7 with --full). Target: at
   most 1.2x the tight baseline at 1e6. Also the lower bound: the random draws a sample needs
   times this machine's generator rate (target: within 2x), and where the rest of the time goes.
3. Wide scenarios: 1,000 companies x 20 holdings at 10,000 samples, and 200 companies x 30
   chips, each in a fresh process: seconds and peak traced memory (tracemalloc sees numpy's
   buffers), with and without the per-row breakdown.

Usage: python benchmarks/bench_engine.py [--repeat 5] [--full] [--quick]
Measure on an idle machine: every figure is a ratio to a baseline taken in the same run, but a
busy machine makes the ratios noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

import numpy as np

import computecap
from computecap.catalog import Scenario
from computecap.core import HoldingLines
from computecap.fleet import estimate, market_of
from computecap.uncertainty import CHUNK, from_uniform


# ----------------------------------------------------------------------------- 1. start-up
def cold(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def startup(repeat: int) -> None:
    cc = [sys.executable, "-m", "computecap"]
    cmds = {"python -c 'import numpy, click, pint'": [sys.executable, "-c", "import numpy, click, pint"],
            "computecap --version": [*cc, "--version"], "computecap --help": [*cc, "--help"],
            "computecap estimate": [*cc, "estimate"]}
    for cmd in cmds.values():  # warm the caches, as on any second start
        cold(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):  # interleaved, so drift on a busy machine hits every command alike
        for name, cmd in cmds.items():
            times[name].append(cold(cmd))
    base = statistics.median(times["python -c 'import numpy, click, pint'"])
    print(f"1. Start-up (median of {repeat} interleaved new processes, warm caches)")
    targets = {"computecap --version": 1.1, "computecap --help": 1.1, "computecap estimate": 1.3}
    for name, ts in times.items():
        t = statistics.median(ts)
        target = f"   (target <= {targets[name]}x)" if name in targets else "   (baseline)"
        print(f"   {name:<40} {t:6.3f} s  {t / base:5.2f}x{target}")


# ----------------------------------------------------------------------------- 2. engine
def undated(name: str) -> Scenario:
    """The bundled scenario with every holding counted in full (no delivery dates, no retirement):
    the Monte Carlo core the engine shares with every date, without the delivery arithmetic."""
    scen = computecap.load_scenario(name)
    return replace(scen, name=f"{name}-undated",
                   holdings=tuple(replace(h, date=None, delivery=None) for h in scen.holdings),
                   allocations=tuple(replace(a, date=None, delivery=None) for a in scen.allocations))


class Tight:
    """The default estimate written directly: same draws, same order, no bookkeeping."""

    def __init__(self, scenario: Scenario) -> None:
        r = estimate(scenario, samples=1_000, seed=0)  # the engine's own selection, for the same lines
        cat = computecap.default_catalog()
        self.scen = scenario
        self.lines = HoldingLines(self.scen)
        keep = self.lines.select(statuses=r.include)
        companies = [c.name for c in r.companies]
        order = sorted(np.flatnonzero(keep), key=lambda j: (companies.index(self.lines.lines[j].company),
                                                             self.lines.lines[j].status, self.lines.lines[j].chip.id))
        self.order = np.array(order)
        ln = [self.lines.lines[j] for j in order]
        self.chips = list(dict.fromkeys(x.chip for x in ln))
        chip_of = np.array([self.chips.index(x.chip) for x in ln])
        rows = list(dict.fromkeys((x.company, x.status, x.chip.id) for x in ln))
        row_of = np.array([rows.index((x.company, x.status, x.chip.id)) for x in ln])
        self.row_sum = (np.arange(len(rows))[:, None] == row_of[None, :]).astype(float)
        self.row_chip = np.array([self.chips.index(next(x.chip for x in ln if (x.company, x.status, x.chip.id) == k))
                                  for k in rows])
        comp_of_row = np.array([companies.index(k[0]) for k in rows])
        self.comp = (np.arange(len(companies))[:, None] == comp_of_row[None, :]).astype(float)
        self.chip_of = chip_of
        ref = cat.chip(cat.defaults.h100e_reference).peak("bf16").m_as("FLOP/s")
        precs = list(r.total.peak)
        self.peaks = {p: [c.peaks[p].distribution("FLOP/s") if p in c.peaks else None for c in self.chips]
                      for p in precs}
        self.h100e = [None if pk is None else type(pk)(pk.low / ref, pk.central / ref, pk.high / ref, pk.dist)
                      for pk in self.peaks["bf16"]]
        spec = {k: [None if c.get(k) is None else c.get(k).distribution(u) for c in self.chips]  # type: ignore[union-attr]
                for k, u in (("memory", "GB"), ("memory_bandwidth", "TB/s"), ("tdp", "MW"))}
        market = market_of(scenario)
        spec["price"] = [None if (v := c.price_for(market, r.as_of)) is None else v.distribution("USD")
                         for c in self.chips]
        self.columns: dict[str, list[Any]] = {**{f"peak_{p}": v for p, v in self.peaks.items()}, "h100e": self.h100e,
                                              **spec}
        self.shared = [k for k in self.columns if k.startswith("peak") or k == "h100e"]
        d = cat.defaults
        self.util, self.over, self.pue = (d[k].distribution for k in ("utilisation", "server_overhead", "pue"))
        self.precs = precs

    def draw_counts(self, rng: np.random.Generator, size: int) -> np.ndarray:
        scen, out = self.scen, np.empty((len(self.lines), size))
        for j, h in enumerate(scen.holdings):
            c = h.count
            out[j] = from_uniform(rng.random(size), c.low, c.central, c.high, c.dist) if c.is_uncertain else c.central
        j = len(scen.holdings)
        for a in scen.allocations:
            t = a.total
            total = from_uniform(rng.random(size), t.low, t.central, t.high, t.dist) if t.is_uncertain else t.central
            k = len(a.shares)
            if k == 1:
                out[j] = total
            else:
                g = rng.standard_gamma(np.array(list(a.shares.values()))[:, None] * a.concentration, size=(k, size))
                out[j:j + k] = g * (total / g.sum(axis=0))
            j += k
        return out[self.order]

    def run(self, samples: int, seed: int) -> np.ndarray:
        from computecap.core.sampling import monte_carlo
        return monte_carlo(samples, seed, 64, self.chunk)[0]

    def chunk(self, rng: np.random.Generator, size: int) -> np.ndarray:
        rows = self.row_sum @ self.draw_counts(rng, size)
        n = len(self.chips)
        uncertain = {k for k, v in self.columns.items() if any(d is not None and d.is_uncertain for d in v)}
        u = rng.random((n, size)) if any(k in uncertain for k in self.shared) else None
        vals = {}
        for k, dists in self.columns.items():
            v = np.zeros((n, size))
            for i, d in enumerate(dists):
                if d is not None:
                    v[i] = (d.sample(u[i] if (k in self.shared and u is not None) else rng.random(size))
                            if d.is_uncertain else d.central)
            vals[k] = v if k in uncertain else v[:, :1]
        util = self.util.sample(rng.random(size))
        fac = self.over.sample(rng.random(size)) * self.pue.sample(rng.random(size))
        comp = self.comp
        series = []
        for name, col, f in (("chips", None, 1.0), ("effective", "peak_bf16", util), ("h100e", "h100e", 1.0),
                             ("memory", "memory", 1.0), ("memory_bandwidth", "memory_bandwidth", 1.0),
                             ("power", "tdp", fac), ("capex", "price", 1.0),
                             *((f"peak_{p}", f"peak_{p}", 1.0) for p in self.precs)):
            c = comp @ (rows if col is None else rows * vals[col][self.row_chip]) * f
            series += [c, c.sum(axis=0, keepdims=True)]
        series.append(rows)
        for col in ("peak_bf16", "h100e"):
            if col in uncertain:
                series.append(rows * vals[col][self.row_chip])
        return np.concatenate(series)


def best_of(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def draw_rates() -> tuple[float, float]:
    """Seconds per uniform and per gamma variate from this machine's generator."""
    rng = np.random.default_rng(0)
    n = 2_000_000
    t_u = best_of(lambda: rng.random(n), 3) / n
    t_g = best_of(lambda: rng.standard_gamma(np.full((10, n // 10), 8.0)), 3) / n
    return t_u, t_g


def engine(sizes: list[int], repeat: int) -> None:
    scenario = undated("china-h200-2026")
    tight = Tight(scenario)
    estimate(scenario, samples=1_000)  # warm the catalog for both
    r = estimate(scenario, samples=10_000, seed=3)  # one chunk, one block on both sides: the same draws
    ref = tight.run(10_000, 3)
    n_c = len(r.companies)
    names = ("chips", "effective", "h100e", "memory", "memory_bandwidth", "power", "capex")
    worst = 0.0
    for k, name in enumerate(names):  # the tight baseline lists each figure's companies, then its total
        for g, group in enumerate([*r.companies, r.total]):
            u = group.metrics[name]
            if u is not None:
                for q, stat in enumerate((u.p5, u.p50, u.p95, u.mean)):
                    worst = max(worst, abs(stat / ref[q, k * (n_c + 1) + g] - 1))
    print("2. Engine, default scenario counted in full (undated: the Monte Carlo core), every company figure")
    print(f"   same figures: p5/p50/p95/mean of {len(names)} figures x {n_c + 1} groups, engine vs tight baseline "
          f"(10,000 samples): largest relative difference {worst:.1e}")
    uncertain = sum(h.count.is_uncertain for h in tight.scen.holdings) + sum(
        a.total.is_uncertain for a in tight.scen.allocations)
    gammas = sum(len(a.shares) for a in tight.scen.allocations if len(a.shares) > 1)
    chip_u = len(tight.chips) + sum(any(d is not None and d.is_uncertain for d in v)
                                    * sum(d is not None and d.is_uncertain for d in v)
                                    for k, v in tight.columns.items() if k not in tight.shared)
    uniforms = uncertain + chip_u + 3
    t_u, t_g = draw_rates()
    print(f"   draws per sample: {uniforms} uniforms and {gammas} gammas; generator here: "
          f"{t_u * 1e9:.1f} ns per uniform, {t_g * 1e9:.1f} ns per gamma")
    for n in sizes:
        t_api = best_of(lambda n=n: estimate(scenario, samples=n, seed=1), repeat)
        t_tight = best_of(lambda n=n: tight.run(n, 1), repeat)
        bound = n * (uniforms * t_u + gammas * t_g)
        print(f"   {n:>10,} samples: engine {t_api:6.3f} s, tight baseline {t_tight:6.3f} s -> {t_api / t_tight:4.2f}x "
              f"(target <= 1.2x at 1e6); lower bound (draws only) {bound:6.3f} s -> engine {t_api / bound:4.1f}x")
    n = sizes[-1]
    series = np.random.default_rng(0).random((ref.shape[1], min(n, CHUNK)))
    t_sort = best_of(lambda: series.copy().sort(axis=1), repeat) * n / series.shape[1]
    print(f"   where the rest goes at {n:,}: the percentiles alone (sorting {ref.shape[1]} series) take {t_sort:.3f} s "
          f"-> draws + percentiles {bound + t_sort:.3f} s, engine {t_api / (bound + t_sort):.1f}x that")


# ----------------------------------------------------------------------------- 3. wide scenarios
WIDE = """
import time, tracemalloc
import computecap
from computecap.catalog.scenarios import Company, Holding, Scenario
from computecap.uncertainty import Distribution
base = computecap.load_scenario("china-h200-2026")
chips = computecap.chips()[:{n_chips}]
src = base.holdings[0].sources
companies = {{f"C{{i}}": Company(f"C{{i}}") for i in range({n_companies})}}
holdings = tuple(Holding(f"C{{i}}", chips[(i + k) % len(chips)], Distribution(800, 1000, 1300, "triangular"),
                         "installed", None, src) for i in range({n_companies}) for k in range({n_holdings}))
s = Scenario("wide", "wide", "", None, companies, holdings, (), base.sources, "bench")
computecap.estimate(s, samples=1000)
tracemalloc.start()
t = time.perf_counter()
r = computecap.estimate(s, samples={samples}, seed=1)
print(time.perf_counter() - t, tracemalloc.get_traced_memory()[1] / 1e6)
"""


def wide(n_companies: int, n_holdings: int, n_chips: int, samples: int) -> tuple[float, float]:
    code = WIDE.format(n_companies=n_companies, n_holdings=n_holdings, n_chips=n_chips, samples=samples)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def wide_scenarios(full: bool) -> None:
    print("3. Wide scenarios (fresh process each; one holding per company and chip, uncertain counts)")
    cases = [(1_000, 20, 30, 10_000), (200, 30, 30, 10_000)] + ([(1_000, 20, 30, 100_000)] if full else [])
    for n_c, n_h, n_chips, samples in cases:
        secs, mem = wide(n_c, n_h, n_chips, samples)
        print(f"   {n_c:>5,} companies x {n_h} holdings ({n_chips} chip types), {samples:>7,} samples: "
              f"{secs:6.2f} s, peak memory {mem:6.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="also 1e7 samples")
    ap.add_argument("--quick", action="store_true", help="fewer repeats and sizes (a smoke run)")
    args = ap.parse_args()
    repeat = 2 if args.quick else args.repeat
    startup(repeat)
    engine([100_000] if args.quick else [100_000, 1_000_000] + ([10_000_000] if args.full else []),
           max(1, repeat // 2))
    wide_scenarios(args.full)


if __name__ == "__main__":
    main()
