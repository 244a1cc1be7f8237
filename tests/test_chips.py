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


# New 2026 chips: load-bearing values against the pages cited in their files (read 2026-12-01).
@pytest.mark.parametrize("chip, field, unit, expected", [
    ("Trillium", "bf16", "TFLOP/s", 918),            # Cloud TPU v6e table
    ("TPU v5e", "bf16", "TFLOP/s", 197),             # Cloud TPU v5e table
    ("TPU v5p", "bf16", "TFLOP/s", 459),             # Cloud TPU v5p table
    ("Ironwood", "fp8", "TFLOP/s", 4614),            # Cloud TPU7x table
    ("Ironwood", "bf16", "TFLOP/s", 2307),
    ("Trn2", "bf16", "TFLOP/s", 667),                # Neuron docs, Trainium2
    ("Trn2", "fp8", "TFLOP/s", 1299),
    ("Trn3", "fp8", "TFLOP/s", 2517),                # Neuron docs, Trainium3
    ("MI355X", "fp4", "TFLOP/s", 10_050),            # 20.1 PFLOPS sparse / 2
    ("950DT", "fp8", "TFLOP/s", 1000),               # Huawei Connect 2025 roadmap
    ("H20 141GB", "bf16", "TFLOP/s", 148),           # same compute as the 96 GB H20
])
def test_new_chip_peaks(chip: str, field: str, unit: str, expected: float) -> None:
    assert computecap.chip(chip).peak(field).m_as(unit) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("chip, field, unit, expected", [
    ("TPU v6e", "memory_bandwidth", "GB/s", 1638),
    ("TPU v5p", "memory_bandwidth", "GB/s", 2765),
    ("TPU v5p", "scale_out_bandwidth", "Gbit/s", 50),      # DCN 50 Gbps per chip
    ("TPU v5e", "scale_out_bandwidth", "Gbit/s", 25),      # 2 x 100 Gbps per 8-chip host
    ("Ironwood", "memory", "GiB", 192),
    ("Ironwood", "node_chips", "", 9216),
    ("Trn3", "memory_bandwidth", "TB/s", 4.9),
    ("MI355X", "memory", "GB", 288),
    ("MI355X", "tdp", "W", 1400),
    ("950PR", "memory_bandwidth", "TB/s", 1.6),
    ("950DT", "memory_bandwidth", "TB/s", 4.0),
    ("950DT", "node_chips", "", 8192),                     # Atlas 950 SuperPoD
    ("T-Head PPU", "memory", "GB", 96),                    # CCTV on-screen specs
    ("RTX Pro 6000D", "memory", "GB", 84),                 # 28 x 3 GB GDDR7
    ("H200", "scale_out_bandwidth", "Gbit/s", 400),        # one 400G NIC per GPU
    ("GB200", "node_chips", "", 72),
    ("GB300", "scale_out_bandwidth", "Gbit/s", 800),       # ConnectX-8 per GPU
    ("910C", "node_chips", "", 384),                       # CloudMatrix 384
])
def test_new_chip_fields(chip: str, field: str, unit: str, expected: float) -> None:
    assert computecap.chip(chip).require(field).m_as(unit) == pytest.approx(expected, rel=1e-6)


def test_t_head_ppu_peak_is_derived_from_the_unicom_total() -> None:
    v = computecap.chip("T-Head PPU").peak_spec("fp16")
    assert v.central.m_as("TFLOP/s") == pytest.approx(1945e3 / 16_384, rel=3e-3)  # 1,945 P over 16,384 cards
    assert v.confidence == "low" and v.high.m_as("TFLOP/s") == 148                # H20 parity as the upper end


def test_910b_bandwidth_pairs_with_its_memory() -> None:
    c = computecap.chip("910B")
    assert c.require("memory").m_as("GB") == 64
    assert c.require("memory_bandwidth").m_as("TB/s") == pytest.approx(1.6)  # the 64 GB SKUs' bandwidth
    assert c.get("memory_bandwidth").low.m_as("TB/s") == pytest.approx(0.8)  # 910B4 (32 GB)


def test_tpu_v4_power_is_a_measured_range() -> None:
    tdp = computecap.chip("TPU v4").get("tdp")
    assert (tdp.low.m_as("W"), tdp.high.m_as("W")) == (170, 192) and "measured" in tdp.note


def test_lacking_precision_stays_absent() -> None:
    c = computecap.chip("Ironwood")
    assert "fp4" not in c.precisions and "int8" not in c.precisions
    with pytest.raises(InputError, match="google-tpu7x has no fp4 peak"):
        c.peak("fp4")


@pytest.mark.parametrize("chip, expected", [
    ("nvidia-h20-141gb", "not controlled"), ("amd-mi355x", "3A090.a.1"), ("google-tpu7x", "3A090.a.1"),
    ("huawei-ascend-950dt", "3A090.a.1"), ("nvidia-b30a", "3A090.a.1"),
])
def test_new_chip_classes_under_the_2023_rule(chip: str, expected: str) -> None:
    assert classify(computecap.chip(chip), computecap.rule_set("bis-2023-3a090")).name.startswith(expected)
