"""Loading and validating spec files: every bundled file loads; every bad input is one clear line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import computecap
from computecap.catalog import Catalog
from computecap.errors import SpecNotFoundError, SpecValidationError
from tests.conftest import CHIP


def test_every_bundled_file_loads() -> None:
    cat = Catalog()
    assert len(cat.chips()) >= 20
    assert {s.name for s in cat.scenarios()} >= {"china-h200-2026", "us-frontier-2025"}
    assert len(cat.presets()) >= 8
    assert {r.id for r in cat.rule_sets()} >= {"bis-2022-3a090", "bis-2023-3a090", "us-china-2026", "us-tariff-2026"}
    assert cat.defaults["mfu"].value.low.m_as("") == pytest.approx(0.25)


@pytest.mark.parametrize("chip_id", [c.id for c in Catalog().chips()])
def test_every_bundled_value_is_sourced_and_dense(chip_id: str) -> None:
    chip = computecap.chip(chip_id)
    for value in (*chip.peaks.values(), *chip.specs.values()):
        assert value.sources, chip_id
        for s in value.sources:
            assert s.where and s.accessed
    for p in chip.precisions:
        assert chip.peak(p).check("[compute] / [time]")


@pytest.mark.parametrize("name, expected", [
    ("H200", "h200-sxm"), ("h200", "h200-sxm"), ("H100", "h100-sxm"), ("A100-80GB", "a100-80gb"),
    ("910B", "ascend-910b"), ("Ascend 910B", "ascend-910b"), ("GB200", "b200-gb200"), ("B200", "b200"),
    ("ascend_910b", "ascend-910b"),
])
def test_lookup_by_alias_is_case_insensitive(name: str, expected: str) -> None:
    assert computecap.chip(name).id == expected


def test_unknown_chip_suggests() -> None:
    with pytest.raises(SpecNotFoundError, match=r"unknown chip 'H2OO' \(did you mean .*'H200'"):
        computecap.chip("H2OO")


def test_chip_is_frozen() -> None:
    chip = computecap.chip("H200")
    with pytest.raises(AttributeError):
        chip.id = "x"  # type: ignore[misc]


def test_910b_default_is_the_spread_across_variants() -> None:
    v = computecap.chip("910B").peak_spec("fp16")
    assert (v.low.m_as("TFLOP/s"), v.central.m_as("TFLOP/s"), v.high.m_as("TFLOP/s")) == (280, 320, 400)
    assert [computecap.chip(f"910B{i}").peak("fp16").m_as("TFLOP/s") for i in (1, 2, 3, 4)] == [400, 376, 313, 280]


def test_user_chip_goes_through_the_same_loader(user_catalog: Callable[..., Catalog]) -> None:
    cat = user_catalog()
    assert cat.chip("tc1").peak("bf16").m_as("TFLOP/s") == 100
    assert cat.chip("H200").id == "h200-sxm"  # bundled chips are still there


def test_env_var_adds_user_dirs(spec_dir: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    d = spec_dir("chips", "t.toml", CHIP)
    monkeypatch.setenv("COMPUTECAP_SPECS", str(d))
    computecap.set_spec_dirs(())
    assert computecap.chip("test-chip").name == "Test Chip"


BAD_CHIPS = [
    ("[peak_dense.bf16", "malformed TOML"),
    (CHIP.replace('value = "100 TFLOP/s"', 'value = "4.8 TB/s"'), "peak_dense.bf16: expected FLOP/s, got TB/s"),
    (CHIP.replace('value = "100 TFLOP/s"', "value = 100"), "peak_dense.bf16: missing unit"),
    (CHIP.replace('value = "80 GB"', 'value = "-80 GB"'), "memory: expected a positive value"),
    (CHIP.replace('value = "80 GB"', 'value = "0 GB"'), "memory: expected a positive value"),
    (CHIP.replace('value = "80 GB"', 'value = "nan GB"'), "memory"),
    (CHIP.replace('value = "80 GB"', 'value = "inf GB"'), "memory: expected a finite number"),
    (CHIP.replace('value = "80 GB"\nsource = "s"', 'value = "80 GB"'), "memory: no source"),
    (CHIP.replace('value = "80 GB"\nsource = "s"', 'value = "80 GB"\nsource = "nope"'), "unknown source 'nope'"),
    (CHIP.replace('sparsity = "dense"', 'sparsity = "sparse"'), "peak_dense.bf16.sparsity: expected \"dense\""),
    (CHIP.replace('aliases = ["TC1"]', 'aliases = ["H200"]'), "aliases: 'H200' is already used"),
    (CHIP.replace('id = "test-chip"', 'id = "h20"'), "id: 'h20' is already used"),
    (CHIP.replace("[peak_dense.bf16]", "[peak_dense.bf17]"), "peak_dense.bf17: unknown precision"),
    (CHIP.replace('[memory]\nvalue = "80 GB"', '[memory]\nlow = "90 GB"\nhigh = "80 GB"'), "low 90 GB is greater than high"),
    (CHIP.replace('accessed = 2026-11-28', ''), "sources.s.accessed"),
    (CHIP.replace('vendor = "Example"', 'vendour = "Example"'), "vendour: unknown field"),
]


@pytest.mark.parametrize("text, message", BAD_CHIPS)
def test_bad_chip_file_is_one_clear_line(user_catalog: Callable[..., Catalog], text: str, message: str) -> None:
    cat = user_catalog(text=text)
    with pytest.raises(SpecValidationError) as exc:
        cat.chips()
    msg = str(exc.value)
    assert "test.toml" in msg and message in msg and "\n" not in msg
