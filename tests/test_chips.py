"""Chip figures against datasheets, and export-control metrics against hand-worked values.

Reference values: NVIDIA H200/H100 datasheets (dense = sparse / 2), the H20 distributor
table (dense), and the hand-worked table in specs/rules/README.md.
"""

from __future__ import annotations

import pytest

import computecap
from computecap.comparison import compare
from computecap.controls import classify, classify_all, tpp
from computecap.errors import InputError


def test_h200_headline_figures() -> None:
    h200 = computecap.chip("H200")
    assert h200.peak("bf16").m_as("TFLOP/s") == pytest.approx(989.5)
    assert h200.require("memory").m_as("GB") == pytest.approx(141)
    assert h200.require("memory_bandwidth").m_as("TB/s") == pytest.approx(4.8)
    assert h200.tpp.m_as("") == pytest.approx(15_832)  # 1,979 x 8


@pytest.mark.parametrize("chip, expected_tpp, expected_pd", [
    ("H20", 2_368, 2.909), ("H200", 15_832, 19.45), ("B200", 36_000, 22.11), ("910B", 5_120, 7.69),
    ("A100", 4_992, 6.04), ("MI300X", 20_919.2, 20.57), ("V100", 2_000, 2.454),
])
def test_tpp_and_performance_density(chip: str, expected_tpp: float, expected_pd: float) -> None:
    c = computecap.chip(chip)
    assert tpp(c).m_as("") == pytest.approx(expected_tpp, rel=1e-6)
    assert c.performance_density.m_as("1/mm**2") == pytest.approx(expected_pd, rel=2e-3)


def test_precision_the_chip_lacks_names_what_it_has() -> None:
    with pytest.raises(InputError, match="a100-80gb has no fp8 peak; it has fp64, fp64_tensor, fp32, tf32, bf16, fp16, int8"):
        computecap.chip("A100").peak("fp8")


def test_h200_over_h20_ratios() -> None:
    rows = compare([computecap.chip("H20"), computecap.chip("H200")])
    r = rows[1].ratios
    assert r["peak_bf16"] == pytest.approx(989.5 / 148, rel=1e-9)  # 6.69x compute
    assert r["peak_fp8"] == pytest.approx(1979 / 296, rel=1e-9)
    assert r["memory_bandwidth"] == pytest.approx(1.2, rel=1e-9)    # 4.8 / 4.0


# Expected classes worked by hand in specs/rules/README.md.
@pytest.mark.parametrize("chip, rule, expected", [
    ("H20", "bis-2023-3a090", "not controlled"),
    ("H200", "bis-2023-3a090", "3A090.a.1"),
    ("B200", "bis-2023-3a090", "3A090.a.1"),
    ("910B", "bis-2023-3a090", "3A090.a.1"),
    ("910B4", "bis-2023-3a090", "3A090.a.2"),
    ("H20", "bis-2022-3a090", "not controlled"),
    ("H200", "bis-2022-3a090", "3A090.a"),
    ("H200", "us-tariff-2026", "band 1 (H200-class)"),
    ("MI325X", "us-tariff-2026", "band 2 (MI325X-class)"),
    ("B200", "us-tariff-2026", "not covered"),
])
def test_classification(chip: str, rule: str, expected: str) -> None:
    assert classify(computecap.chip(chip), computecap.rule_set(rule)).name.startswith(expected)


def test_overlay_applies_only_to_3a090_items() -> None:
    rules = computecap.rule_sets()
    by_rule = {c.rule_set.id: c for c in classify_all(computecap.chip("H20"), rules)}
    assert by_rule["us-china-2026"].name.startswith("not applicable")
    by_rule = {c.rule_set.id: c for c in classify_all(computecap.chip("H200"), rules)}
    assert by_rule["us-china-2026"].name == "case-by-case review"
    by_rule = {c.rule_set.id: c for c in classify_all(computecap.chip("B200"), rules)}
    assert by_rule["us-china-2026"].name == "presumption of denial"


def test_h20_margin_to_2400_is_minus_1_3_percent() -> None:
    c = classify(computecap.chip("H20"), computecap.rule_set("bis-2023-3a090"))
    m = next(m for m in c.margins if m.condition.metric == "tpp" and m.condition.threshold == 2400)
    assert m.relative == pytest.approx((2368 - 2400) / 2400, rel=1e-9)
    assert m.holds is False
