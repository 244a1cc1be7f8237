"""Measured serving points and the fitted-efficiency file: they load strictly, predict finitely, and
the fit on disk is what benchmarks/fit_serving.py writes today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from computecap.inference.points import load_points

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("name", "least"), [("serving-calibration.toml", 10), ("serving-validation.toml", 50)])
def test_points_load_with_sources_and_predict_finite_rates(name: str, least: int) -> None:
    points = load_points(name)
    assert len(points) >= least
    for p in points:
        assert p.sources and p.sources[0].url.startswith("https://")
        rate = p.predict(np.array([0.5]), np.array([0.5]))[0]
        assert np.isfinite(rate) and rate > 0, p.id


def test_calibration_and_validation_share_no_point() -> None:
    cal = {(p.model, p.chip, p.tp, p.ep, p.workload, p.concurrency, p.kind) for p in load_points("serving-calibration.toml")}
    val = {(p.model, p.chip, p.tp, p.ep, p.workload, p.concurrency, p.kind) for p in load_points("serving-validation.toml")}
    assert not cal & val


def test_validation_covers_h20_fp4_and_moe() -> None:
    val = load_points("serving-validation.toml")
    assert sum(p.chip == "h20" for p in val) >= 5
    assert sum(p.precision == "fp4" for p in val) >= 5
    assert sum(p.model == "deepseek-v3" for p in val) >= 10


def test_fit_file_matches_a_fresh_fit() -> None:
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fit_serving.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
