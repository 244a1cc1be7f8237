"""Training runs against hand-computed FLOP and published runs (Llama 3 paper, calibration file)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

import computecap
from computecap.catalog.calibration import load_training_fit
from computecap.core import company_cluster, fixed_cluster
from computecap.errors import InputError
from computecap.training import (
    Workload,
    attention_flop,
    parse_count,
    parse_fraction,
    training_flop_6nd,
    training_run,
    workload_flop,
)
from computecap.uncertainty import Distribution


def test_6nd_hand_computed() -> None:
    # 6 x 405e9 x 15.6e12 = 3.7908e25 FLOP (issue 4's worked example)
    assert training_flop_6nd(405e9, 15.6e12).m_as("FLOP") == pytest.approx(3.7908e25, rel=1e-12)


def test_preset_flop_matches_published_llama_405b() -> None:
    w = Workload.from_preset(computecap.model_preset("llama-3.1-405b"))
    flop, _ = workload_flop(w)
    assert flop.m_as("FLOP") == pytest.approx(3.8e25, rel=0.01)  # Llama 3 paper, Sec 1


def test_moe_uses_active_parameters() -> None:
    w = Workload.from_preset(computecap.model_preset("deepseek-v3"))
    assert workload_flop(w)[0].m_as("FLOP") == pytest.approx(6 * 37e9 * 14.8e12, rel=1e-12)


def test_attention_term_and_recompute() -> None:
    w = Workload.from_preset(computecap.model_preset("llama-3.1-405b"))
    base = workload_flop(w)[0].m_as("FLOP")
    att = attention_flop(126, 16384, 8192, 15.6e12).m_as("FLOP")  # 12 x L x d x T x D
    assert att == pytest.approx(12 * 126 * 16384 * 8192 * 15.6e12)
    assert workload_flop(w, attention=True)[0].m_as("FLOP") == pytest.approx(base + att)
    assert workload_flop(w, recompute=True)[0].m_as("FLOP") == pytest.approx(base * 8 / 6)


def test_fixed_mfu_gives_hand_computed_time() -> None:
    w = Workload.from_numbers(1e11, 2e12)
    r = training_run(w, fixed_cluster(computecap.chip("H200"), 100_000), mfu=Distribution.point(0.4),
                     goodput=Distribution.point(1.0), samples=1000)
    # 1.2e24 / (1e5 x 9.895e14 x 0.4) = 3.03e4 s = 8.4 h (peers.md sanity number)
    assert r.duration.p50 * 24 == pytest.approx(1.2e24 / (1e5 * 9.895e14 * 0.4) / 3600, rel=1e-9)
    assert r.chip_hours.p50 == pytest.approx(1e5 * r.duration.p50 * 24, rel=1e-9)
    assert r.runs_per_year.p50 == pytest.approx(8766 / (r.duration.p50 * 24), rel=1e-9)


def test_fitted_median_matches_hand_computation() -> None:
    # H100 SXM, dense, billed hours: log10 U = a + c x log10(989.5 / 312) (+ the median held-out residual)
    fit = load_training_fit()
    a, c = fit.term("intercept").coefficient, fit.term("log10_peak_ratio").coefficient
    median_resid = float(np.median(fit.residuals))
    u = 10 ** (a + c * math.log10(989.5 / 312) + median_resid)
    w = Workload.from_numbers(405e9, 15.6e12)
    r = training_run(w, fixed_cluster(computecap.chip("H100"), 16_384), samples=20_000, seed=0)
    assert r.utilisation.p50 == pytest.approx(u, rel=0.03)  # the small added spread moves the median < 3%
    hand_hours = 6 * 405e9 * 15.6e12 / (989.5e12 * r.utilisation.p50) / 3600
    assert r.chip_hours.p50 == pytest.approx(hand_hours, rel=0.03)
    # Llama 3.1 405B's published 30.84M H100-hours (U = 0.346) is one of the runs outside the 90% interval:
    # it ran about 1.6x faster than the typical H100 run of the data, just below p5.
    assert 0.6 < 30.84e6 / r.chip_hours.p5 < 1.0


def test_memory_does_not_fit_is_stated() -> None:
    w = Workload.from_preset(computecap.model_preset("llama-3.1-405b"))
    r = training_run(w, fixed_cluster(computecap.chip("H20"), 8), samples=500)
    assert r.memory.fits is False and "DOES NOT FIT" in r.memory.note
    assert r.memory.min_chips == math.ceil(405.85e9 * 16 / 96e9)


def test_fleet_mode_uses_best_chip_capped_by_cluster_size() -> None:
    cat = computecap.default_catalog()
    scen = computecap.load_scenario("china-h200-2026")
    cl = company_cluster(scen, "bytedance", cat, cluster_size=10_000, as_of=dt.date(2026, 12, 1))
    assert cl.chip.id == "h800-sxm"  # ~21k H800 in service; only a few thousand of its H200 delivered yet
    r = training_run(Workload.from_preset(computecap.model_preset("llama-3.1-405b")), cl, samples=2000)
    assert r.chips.p5 == r.chips.p95 == 10_000
    later = company_cluster(scen, "bytedance", cat, cluster_size=10_000, as_of=dt.date(2028, 6, 30))
    assert later.chip.id == "h200-sxm"  # the approved H200 arrive in 2027 (plus up to a year's delay)


@pytest.mark.parametrize("text, value", [("405B", 405e9), ("15.6T", 15.6e12), ("405e9", 405e9), ("16k", 16e3),
                                         ("1,000", 1000.0)])
def test_parse_count(text: str, value: float) -> None:
    assert parse_count(text, "--x") == pytest.approx(value)


@pytest.mark.parametrize("call, message", [
    (lambda: parse_count("-5", "--tokens"), "--tokens: expected a count"),
    (lambda: parse_count("0", "--params"), "--params: expected a positive count"),
    (lambda: parse_fraction("1.2", "--mfu"), r"--mfu: expected a value in \(0, 1\]"),
    (lambda: parse_fraction("0", "--mfu"), r"--mfu: expected a value in \(0, 1\]"),
    (lambda: parse_fraction("0.5..0.3", "--mfu"), "low 0.5 is greater than high 0.3"),
    (lambda: Workload.from_numbers(1e9, 1e12, 2e9), "--active-params: 2e\\+09 exceeds --params"),
    (lambda: training_run(Workload.from_numbers(1e9, 1e12), fixed_cluster(computecap.chip("A100"), 8),
                          precision="fp8"), "a100-80gb has no fp8 peak; it has fp64"),
    (lambda: fixed_cluster(computecap.chip("H100"), 0), "count: expected a whole number"),
        (lambda: fixed_cluster(computecap.chip("H100"), 1.5), "count: expected a whole number"),
])
def test_bad_inputs(call: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()  # type: ignore[operator]


def test_percent_and_interval_fractions() -> None:
    assert parse_fraction("40%", "--mfu").central == pytest.approx(0.4)
    d = parse_fraction("0.3..0.5", "--mfu")
    assert (d.low, d.high, d.dist) == (0.3, 0.5, "lognormal")


def test_rental_cost_is_chip_hours_times_rate() -> None:
    from computecap.units import Q_
    r = training_run(Workload.from_numbers(1e10, 1e12), fixed_cluster(computecap.chip("H100"), 64),
                     mfu=Distribution.point(0.4), goodput=Distribution.point(1.0), chip_hour_price=Q_(2.5, "USD/h"),
                     samples=500)
    assert r.cost.p50 == pytest.approx(r.chip_hours.p50 * 2.5, rel=1e-9)
    assert any(a.name == "cost basis" for a in r.assumptions)


def test_rental_price_needs_a_rate_unit() -> None:
    from computecap.errors import UnitsError
    from computecap.units import Q_
    with pytest.raises(UnitsError, match="chip_hour_price: expected USD/h"):
        training_run(Workload.from_numbers(1e10, 1e12), fixed_cluster(computecap.chip("H100"), 8),
                     chip_hour_price=Q_(2.5, "USD"), samples=100)


def test_training_api_is_reachable_from_the_package() -> None:
    run = computecap.training_run(computecap.Workload.from_numbers(8e9, 15e12),
                                  computecap.fixed_cluster(computecap.chip("H100"), 1024), samples=200)
    assert run.training_flop.m_as("FLOP") == pytest.approx(6 * 8e9 * 15e12)
    assert callable(computecap.serve) and callable(computecap.classify)
    with pytest.raises(AttributeError):
        computecap.no_such_thing  # noqa: B018


def test_given_mfu_with_billed_hours_uses_the_fitted_goodput() -> None:
    # U = MFU x 10^-d, d the fitted step-time term: 0.40 x 10^-0.155 = 0.28 at the median
    d = load_training_fit().term("step_time").coefficient
    r = training_run(Workload.from_numbers(7e10, 2e12), fixed_cluster(computecap.chip("A100"), 1024),
                     mfu=Distribution.point(0.4), samples=20_000)
    assert r.utilisation.p50 == pytest.approx(0.4 * 10 ** -d, rel=0.01)
    steps = training_run(Workload.from_numbers(7e10, 2e12), fixed_cluster(computecap.chip("A100"), 1024),
                         mfu=Distribution.point(0.4), hours="steps", samples=1000)
    assert steps.utilisation.p5 == steps.utilisation.p95 == pytest.approx(0.4)
    assert any(a.name == "utilisation U" and a.user_override for a in steps.assumptions)


def test_chip_without_tdp_or_price_gives_null_with_a_reason(user_catalog: Any) -> None:
    import json

    from computecap.report import dumps
    from tests.conftest import CHIP
    text = CHIP.replace('[tdp]\nvalue = "500 W"\nsource = "s"\n', "").replace(
        '[price]\nvalue = "10000 USD"\nsource = "s"\n', "")
    cat = user_catalog(text=text)
    chip = cat.chip("test-chip")
    assert chip.get("tdp") is None and chip.get("price") is None
    r = training_run(Workload.from_numbers(1e10, 1e12), fixed_cluster(chip, 64), samples=500, catalog=cat)
    d = json.loads(dumps(r), parse_constant=lambda c: 1 / 0)  # no NaN or Infinity
    assert d["energy"] is None and "publishes no TDP" in d["missing"]["energy"]
    assert d["cost"] is None and "no unit price" in d["missing"]["cost"]


def test_reference_times_respect_as_of() -> None:
    import datetime as dt

    from computecap.training import reference_times
    scen = computecap.load_scenario("china-h200-2026")
    preset = computecap.model_preset("llama-3.1-8b")
    now = reference_times(scen, ["ByteDance"], preset, samples=500)
    before = reference_times(scen, ["ByteDance"], preset, samples=500, as_of=dt.date(2000, 1, 1))
    assert now["ByteDance"] is not None and before["ByteDance"] is None  # nothing held in 2000
