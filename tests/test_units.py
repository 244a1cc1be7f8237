"""The unit registry pins the traps named in DESIGN.md."""

from __future__ import annotations

import pytest

from computecap.errors import UnitsError
from computecap.units import Q_, parse_quantity, ureg


def test_tflops_is_a_rate() -> None:
    q = parse_quantity("989 TFLOPS", "FLOP/s", "x")
    assert q.m_as("FLOP/s") == pytest.approx(9.89e14, rel=1e-12)


def test_pflop_is_an_amount_not_a_rate() -> None:
    q = parse_quantity("1 PFLOP", "FLOP", "x")
    assert q.m_as("FLOP") == pytest.approx(1e15)
    with pytest.raises(UnitsError, match="x: expected FLOP/s, got PFLOP"):
        parse_quantity("1 PFLOP", "FLOP/s", "x")


@pytest.mark.parametrize("text", ["1 PFLOPS", "1 PFLOP/s", "1e15 FLOP/s", "0.001 EFLOP/s", "1000 TFLOP/s"])
def test_rate_spellings_agree(text: str) -> None:
    assert parse_quantity(text, "FLOP/s", "x").m_as("FLOP/s") == pytest.approx(1e15)


def test_ambiguous_flops_is_refused() -> None:
    with pytest.raises(UnitsError, match="'FLOPs' is ambiguous"):
        parse_quantity("1 petaFLOPs", "FLOP/s", "x")


def test_bandwidth_is_rejected_where_compute_is_expected() -> None:
    with pytest.raises(UnitsError, match=r"specs/chips/h20.toml: peak_dense.bf16: expected FLOP/s, got TB/s"):
        parse_quantity("4.8 TB/s", "FLOP/s", "specs/chips/h20.toml: peak_dense.bf16")


def test_integer_ops_compare_with_flops() -> None:
    assert Q_("296 TOPS") == Q_("296 TFLOP/s")


def test_gb_and_gib_differ_by_7_4_percent() -> None:
    ratio = Q_("1 GiB").m_as("GB")
    assert ratio == pytest.approx(1.073741824, rel=1e-12)
    assert (ratio - 1) == pytest.approx(0.0737, abs=5e-5)


def test_bytes_are_not_dimensionless() -> None:
    assert not Q_("1 TB").dimensionless
    assert not Q_("1 TB").check("[compute]")


def test_power_energy_money() -> None:
    assert Q_("1 MW * 1 h").m_as("MWh") == pytest.approx(1.0)
    assert Q_("700 W").m_as("kW") == pytest.approx(0.7)
    assert parse_quantity("27,000 USD", "USD", "x").magnitude == 27000


def test_petaflop_day_is_exact() -> None:
    # 1e15 FLOP/s x 86,400 s; Epoch's 2022 post rounds this to 1e20 (peers.md P11)
    assert Q_("1 petaflop_day").m_as("FLOP") == pytest.approx(8.64e19, rel=1e-12)


@pytest.mark.parametrize("raw, message", [
    (989, "missing unit"), ("nan TFLOP/s", "finite"), ("989 furlongs", "cannot read"), (True, "boolean"),
])
def test_bad_quantities(raw: object, message: str) -> None:
    with pytest.raises(UnitsError, match=message):
        parse_quantity(raw, "FLOP/s", "f")  # type: ignore[arg-type]


def test_single_registry() -> None:
    import computecap
    assert computecap.ureg is ureg
    assert computecap.chip("H200").peak("bf16")._REGISTRY is ureg
