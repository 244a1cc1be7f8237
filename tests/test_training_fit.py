"""The training-utilisation fit: its data, its reproducibility, its strict loaders and how it is sampled."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import computecap
from computecap.catalog.calibration import (
    load_calibration_runs,
    load_training_fit,
    parse_fit,
    parse_runs,
)
from computecap.catalog.files import read_toml
from computecap.core import fixed_cluster
from computecap.errors import SpecValidationError
from computecap.training import Workload, sample_log10_utilisation, training_run

ROOT = Path(__file__).resolve().parents[1]
CALIB = ROOT / "specs" / "calibration"


def _fit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_training", ROOT / "benchmarks" / "fit_training.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_training"] = module
    spec.loader.exec_module(module)
    return module


def test_rerunning_the_fit_reproduces_the_spec_file() -> None:
    text = _fit_script().render()
    assert text == (CALIB / "training-fit.toml").read_text(), "rerun: python benchmarks/fit_training.py"


def test_fit_provenance_names_its_data_and_script() -> None:
    import hashlib
    fit = load_training_fit()
    assert fit.data_sha256 == hashlib.sha256((CALIB / "training-runs.toml").read_bytes()).hexdigest()
    assert fit.script == "benchmarks/fit_training.py" and fit.runs == 69 and fit.families == 38
    assert [t.name for t in fit.terms] == ["intercept", "moe", "log10_peak_ratio", "step_time"]
    # the Done-when bar, measured leave-one-family-out (nested) by the script that wrote the file
    v = fit.validation
    assert v["median_abs_log10_error"] <= 0.10 and 0.85 <= v["coverage_90"] <= 0.95
    assert v["median_abs_log10_error"] < v["constant_30pct_median_abs_log10_error"]


def test_calibration_runs_are_sourced_and_gpt3_is_never_scored() -> None:
    runs = load_calibration_runs()
    cat = computecap.default_catalog()
    assert len(runs) == 70 and len({r.family for r in runs}) == 39
    for r in runs:
        assert r.sources and r.quote
        assert r.peak_bf16 is not None or cat.chip(r.chip).id == r.chip  # a catalog id, or its own sourced peak
    gpt3 = next(r for r in runs if r.model == "GPT-3 175B")
    assert not gpt3.scored and gpt3.model not in {r.model for r in _fit_script().load_data().runs}
    recalled = {"LLaMA-13B", "LLaMA-33B", "Llama 2 13B", "Falcon-7B", "Falcon2-11B"}
    assert {r.model: r.verification for r in runs if r.model in recalled} == dict.fromkeys(recalled, "V")


def test_hand_computed_u_of_llama_405b() -> None:
    r = next(r for r in load_calibration_runs() if r.model == "Llama 3.1 405B")
    assert r.flop is not None and r.chip_hours is not None
    # 6 x N x D / (30.84e6 h x 3600 s/h x 989.5e12 FLOP/s) = 0.346 (specs/calibration/README.md)
    assert r.flop / (r.chip_hours * 3600 * 989.5e12) == pytest.approx(0.346, abs=0.002)


def test_holdout_runs_are_not_in_the_fitted_data() -> None:
    fitted = {r.model for r in load_calibration_runs()}
    holdout = load_calibration_runs("training-runs-holdout.toml")
    assert len(holdout) == 7 and not fitted & {r.model for r in holdout}
    assert load_training_fit().data_file == "specs/calibration/training-runs.toml"


@pytest.mark.parametrize("edit, message", [
    (lambda r: r.update(coefficent=1), r"runs\[0\]\.coefficent: unknown field"),
    (lambda r: r.update(basis="wall"), r"runs\[0\]\.basis: expected one of billed"),
    (lambda r: r.update(chip_hours=-5), r"runs\[0\]\.chip_hours: expected a positive number"),
    (lambda r: r.pop("chip_hours"), "basis 'circular' needs chip_hours and tokens"),
    (lambda r: r.update(active_params=1e15), "exceeds params"),
    (lambda r: r.update(source="nope"), "unknown source 'nope'"),
])
def test_runs_loader_is_strict(edit: object, message: str) -> None:
    raw = read_toml(CALIB / "training-runs.toml", "training-runs.toml")
    edit(raw["runs"][0])  # type: ignore[operator]
    with pytest.raises(SpecValidationError, match=message):
        parse_runs(raw, "training-runs.toml")


@pytest.mark.parametrize("edit, message", [
    (lambda f: f["terms"][0].update(coeficient=1.0), r"terms\[0\]\.coeficient: unknown field \(did you mean 'coef"),
    (lambda f: f.update(extra={}), "extra: unknown field"),
    (lambda f: f["residuals"].update(sorted=[0.3, 0.1, 0.2, 0.0, 0.5]), "ascending order"),
    (lambda f: f["model"].update(covariance=[[1.0]]), "model.covariance: expected a 4 x 4"),
])
def test_fit_loader_is_strict(edit: object, message: str) -> None:
    raw = read_toml(CALIB / "training-fit.toml", "training-fit.toml")
    edit(raw)  # type: ignore[operator]
    with pytest.raises(SpecValidationError, match=message):
        parse_fit(raw, "training-fit.toml")


def test_sampled_u_reproduces_the_residual_quantiles() -> None:
    # with no extra spread, log10 U - x'beta is drawn from the held-out residuals: same p5, p50, p95
    fit = load_training_fit()
    x = np.array([1.0, 0.0, 0.5, 0.0])
    beta = np.array([t.coefficient for t in fit.terms])
    draws = sample_log10_utilisation(fit, x, 0.0, np.random.default_rng(1), 200_000) - x @ beta
    res = np.asarray(fit.residuals)
    for q in (5, 50, 95):
        assert np.percentile(draws, q) == pytest.approx(np.percentile(res, q), abs=0.01)
    # and the interval the engine reports covers the residual interval around the prediction
    inside = np.mean((draws >= np.percentile(res, 5)) & (draws <= np.percentile(res, 95)))
    assert inside == pytest.approx(0.90, abs=0.01)


def test_fp8_run_is_never_faster_than_its_bf16_twin_beyond_the_bound() -> None:
    fit = load_training_fit()
    chip = computecap.chip("H100")
    bound = chip.peak("fp8").m_as("FLOP/s") / chip.peak("bf16").m_as("FLOP/s")  # 2: the factor's upper bound
    w = Workload.from_numbers(70e9, 15e12)
    runs = {p: training_run(w, fixed_cluster(chip, 4096), precision=p, samples=20_000, seed=3) for p in ("bf16", "fp8")}
    for q in ("p5", "p50", "p95"):
        ratio = getattr(runs["bf16"].chip_hours, q) / getattr(runs["fp8"].chip_hours, q)
        assert 1.0 <= ratio <= bound + 1e-9
    assert fit.fp8.low == 1.0 and fit.fp8.runs == 3
    # same seed, same draws: the factor is never applied as a division by the FP8 peak (that would be exactly 2x
    # the BF16 chip-hours at the same U)
    assert runs["fp8"].utilisation.p50 > runs["bf16"].utilisation.p50


def test_vendor_with_few_runs_gets_a_wider_interval() -> None:
    w = Workload.from_numbers(70e9, 15e12)
    width = {}
    for name in ("A100", "910B", "MI300X"):
        r = training_run(w, fixed_cluster(computecap.chip(name), 4096), samples=20_000, seed=0)
        width[name] = math.log10(r.chip_hours.p95 / r.chip_hours.p5)
    assert width["A100"] < width["910B"] < width["MI300X"]  # 31 NVIDIA A100-class runs, 2 Ascend runs, no AMD run
