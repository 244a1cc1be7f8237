"""Roofline: ridge points and attainable throughput against hand arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import computecap
from computecap.errors import InputError
from computecap.roofline import attainable, gemm_intensity, ridge_point, speedup, typical_intensities


def test_ridge_points() -> None:
    # H200: 989.5e12 FLOP/s / 4.8e12 B/s = 206.1 FLOP/B; H20: 148 / 4.0 = 37
    assert ridge_point(computecap.chip("H200"), "bf16").m_as("FLOP/byte") == pytest.approx(989.5 / 4.8)
    assert ridge_point(computecap.chip("H20"), "bf16").m_as("FLOP/byte") == pytest.approx(37.0)


def test_attainable_is_min_of_peak_and_bandwidth_times_intensity() -> None:
    h200 = computecap.chip("H200")
    got = attainable(h200, "bf16", np.array([1.0, 100.0, 1e4])).m_as("TFLOP/s")
    assert got == pytest.approx([4.8, 480.0, 989.5])


def test_h200_over_h20_depends_on_intensity() -> None:
    h200, h20 = computecap.chip("H200"), computecap.chip("H20")
    s = speedup(h200, h20, "bf16", np.array([1.0, 1e4]))
    assert s == pytest.approx([1.2, 989.5 / 148])


def test_gemm_intensity() -> None:
    assert gemm_intensity(8192, 8192, 8192).m_as("FLOP/byte") == pytest.approx(8192 / 3)
    assert set(typical_intensities()) >= {"decode, batch 1", "decode, batch 64"}


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_intensity_is_refused(bad: float) -> None:
    with pytest.raises(InputError, match="positive arithmetic intensity"):
        attainable(computecap.chip("H200"), "bf16", bad)


def test_cli_intensity(runner: CliRunner) -> None:
    from computecap.cli import cli
    res = runner.invoke(cli, ["chips", "compare", "H20", "H200", "--intensity", "1", "--format", "json"])
    assert json.loads(res.output)[1]["attainable"]["ratio"] == pytest.approx(1.2)
