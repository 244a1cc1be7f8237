"""Property-based tests of the public API (hypothesis): invariants any correct engine keeps."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import computecap
from computecap.catalog.chips import parse_chip
from computecap.catalog.scenarios import parse_scenario
from computecap.core import fixed_cluster
from computecap.fleet import estimate
from computecap.training import Workload, training_run
from computecap.uncertainty import Distribution

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOURCES = {"s": {"url": "https://example.org", "title": "t", "accessed": "2026-11-28"}}
CHIPS = ["h20", "h200-sxm", "b200", "ascend-910b", "a800", "mi300x"]  # point and range specs mixed


def scenario(holdings: list[tuple[str, str, float]], name: str = "p", lookup: Any = None) -> Any:
    """A scenario from (company, chip, count) triples, all installed."""
    companies = sorted({c for c, _, _ in holdings})
    raw = {"name": name, "sources": SOURCES, "companies": {c: {} for c in companies},
           "holdings": [{"company": c, "chip": chip, "count": n, "status": "installed", "source": "s"}
                        for c, chip, n in holdings]}
    return parse_scenario(raw, "mem.toml", chip_lookup=lookup or computecap.chip)


counts = st.integers(min_value=1, max_value=2_000_000)
holding = st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(CHIPS), counts)


@SETTINGS
@given(chip=st.sampled_from(CHIPS), n=counts, extra=st.integers(min_value=1, max_value=1_000_000))
def test_more_chips_never_means_less_compute(chip: str, n: int, extra: int) -> None:
    small = estimate(scenario([("A", chip, n)]), samples=400, seed=3)
    big = estimate(scenario([("A", chip, n + extra)]), samples=400, seed=3)
    for key in ("chips", "effective", "h100e", "memory", "memory_bandwidth", "power", "capex"):
        if small.total.metrics[key] is None:  # not published for this chip: not published for more of it
            assert big.total.metrics[key] is None
            continue
        for q in ("p5", "p50", "p95", "mean"):
            assert getattr(big.total.metrics[key], q) >= getattr(small.total.metrics[key], q)
    assert big.total.peak["bf16"].p50 > small.total.peak["bf16"].p50


@SETTINGS
@given(hs=st.lists(holding, min_size=2, max_size=6), seed=st.integers(min_value=0, max_value=2**32))
def test_a_plus_b_equals_a_and_b(hs: list[tuple[str, str, int]], seed: int) -> None:
    if len({c for c, _, _ in hs}) < 2:
        hs = [("A", hs[0][1], hs[0][2]), ("B", hs[1][1], hs[1][2]), *hs[2:]]
    r = estimate(scenario(hs), samples=500, seed=seed)
    for key in ("chips", "effective", "h100e", "memory", "memory_bandwidth", "power", "capex"):
        parts = sum(u.mean for c in r.companies if (u := c.metrics[key]) is not None)
        total = r.total.metrics[key]
        assert (total.mean if total is not None else 0.0) == pytest.approx(parts, rel=1e-9)
    # and the fleet of A alone is exactly A's share of the joint fleet (same streams)
    alone = estimate(scenario(hs), companies=["A"], samples=500, seed=seed)
    assert alone.total.chips.mean == pytest.approx(r.company("A").chips.mean, rel=1e-12)


@SETTINGS
@given(hs=st.lists(holding, min_size=1, max_size=5), seed=st.integers(min_value=0, max_value=2**32))
def test_seed_fixes_output_and_percentiles_are_ordered(hs: list[tuple[str, str, int]], seed: int) -> None:
    a = estimate(scenario(hs), samples=300, seed=seed)
    b = estimate(scenario(hs), samples=300, seed=seed)
    assert a.total.metrics == b.total.metrics and a.total.peak == b.total.peak
    for g in (*a.companies, a.total, *a.total.breakdown):
        for u in (*g.metrics.values(), *g.peak.values()):
            if u is None:  # not published for any chip of the group: named in excludes
                continue
            assert u.p5 <= u.p50 <= u.p95
            assert all(math.isfinite(x) for x in (u.p5, u.p50, u.p95, u.mean))


def _chip(bf16: str, memory: str, bw: str) -> Any:
    raw = {"id": "unit-test", "name": "U", "vendor": "V", "sources": SOURCES,
           "peak_dense": {"bf16": {"value": bf16, "sparsity": "dense", "source": "s"}},
           "memory": {"value": memory, "source": "s"}, "memory_bandwidth": {"value": bw, "source": "s"},
           "tdp": {"value": "500 W", "source": "s"}, "price": {"value": "10000 USD", "source": "s"}}
    return parse_chip(raw, "mem.toml")


@SETTINGS
@given(tflops=st.floats(min_value=1, max_value=1e5), gb=st.floats(min_value=1, max_value=1e4),
       tbs=st.floats(min_value=0.1, max_value=100), n=counts)
def test_results_do_not_depend_on_input_units(tflops: float, gb: float, tbs: float, n: int) -> None:
    a = _chip(f"{tflops!r} TFLOP/s", f"{gb!r} GB", f"{tbs!r} TB/s")
    b = _chip(f"{tflops / 1000!r} PFLOP/s", f"{gb / 1.073741824!r} GiB", f"{tbs * 1000!r} GB/s")
    assert a.peak("bf16").m_as("FLOP/s") == pytest.approx(b.peak("bf16").m_as("FLOP/s"), rel=1e-12)
    ra = estimate(scenario([("A", "unit-test", n)], lookup=lambda _: a), samples=200, seed=1)
    rb = estimate(scenario([("A", "unit-test", n)], lookup=lambda _: b), samples=200, seed=1)
    for key in ("effective", "memory", "memory_bandwidth", "h100e"):
        assert ra.total.metrics[key].p50 == pytest.approx(rb.total.metrics[key].p50, rel=1e-9)


@SETTINGS
@given(n=st.integers(min_value=1, max_value=10_000_000), params=st.floats(min_value=1e6, max_value=1e13),
       tokens=st.floats(min_value=1e6, max_value=1e15))
def test_more_chips_train_faster_and_chip_hours_do_not_depend_on_count(n: int, params: float, tokens: float) -> None:
    w = Workload.from_numbers(params, tokens)
    fixed = {"mfu": Distribution.point(0.4), "goodput": Distribution.point(0.9), "samples": 200, "seed": 0}
    one = training_run(w, fixed_cluster(computecap.chip("H100"), n), **fixed)  # type: ignore[arg-type]
    two = training_run(w, fixed_cluster(computecap.chip("H100"), 2 * n), **fixed)  # type: ignore[arg-type]
    assert two.duration.p50 == pytest.approx(one.duration.p50 / 2, rel=1e-9)
    assert two.chip_hours.p50 == pytest.approx(one.chip_hours.p50, rel=1e-9)
    assert math.isfinite(one.duration.p50) and one.duration.p50 > 0
