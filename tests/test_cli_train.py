"""`computecap train`, `serve`, `models` and `controls` from the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from computecap.catalog.calibration import load_training_fit
from computecap.cli import cli


def _no_nan(text: str) -> dict:  # type: ignore[type-arg]
    def refuse(name: str) -> None:
        raise AssertionError(f"JSON holds {name}")
    return json.loads(text, parse_constant=refuse)  # type: ignore[no-any-return]


def test_train_done_when_example(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--chip", "H100", "--count", "16384", "--params", "405B", "--tokens", "15.6T",
                              "--samples", "5000", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = _no_nan(res.output)
    assert d["training_flop"]["value"] == pytest.approx(3.7908e25, rel=1e-9)
    h, u = d["chip_hours"], d["utilisation"]
    assert h["unit"] == "h" and d["hours"] == "billed"
    # chip-hours = FLOP / (989.5 TFLOP/s x U) / 3600 at every percentile (U's p5 gives the p95 hours)
    assert h["p95"] == pytest.approx(3.7908e25 / (989.5e12 * u["p5"]) / 3600, rel=1e-6)
    assert h["p5"] < 48e6 < h["p95"]  # the fitted median for H100 dense billed runs is about 0.22 of peak
    for key in ("duration", "energy", "cost", "memory", "assumptions"):
        assert key in d
    assert set(d["memory"]) >= {"required", "available", "fits"}


def test_train_hours_steps_and_explain(runner: CliRunner) -> None:
    base = ["train", "--chip", "A100", "--count", "2048", "--model", "llama-65b", "--samples", "4000", "--format",
            "json"]
    billed = _no_nan(runner.invoke(cli, base).output)["chip_hours"]["p50"]
    steps = _no_nan(runner.invoke(cli, base + ["--hours", "steps"]).output)["chip_hours"]["p50"]
    d = load_training_fit().term("step_time")
    assert billed / steps == pytest.approx(10 ** d.coefficient, rel=0.03)  # the fitted billed/step-time ratio
    res = runner.invoke(cli, ["train", "--chip", "910B", "--count", "8192", "--model", "llama-65b", "--samples",
                              "2000", "--explain"])
    assert res.exit_code == 0, res.output
    for text in ("fitted term log10_peak_ratio", "fitted term moe", "leave-one-family-out",
                 "fitted on 69 published runs", "2 fitted runs on Huawei chips", "hours counted: billed"):
        assert text in res.output


def test_train_flop_only_preset_json_has_no_nan(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--chip", "H100", "--count", "1000", "--model", "gpt-4-scale", "--samples",
                              "1000", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = _no_nan(res.output)
    assert d["params"] is None and d["memory"]["required"] is None and d["memory"]["fits"] is None


def test_train_fleet_mode_in_days(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--scenario", "china-h200-2026", "--company", "ByteDance",
                              "--model", "llama-3.1-405b", "--samples", "2000", "--explain"])
    assert res.exit_code == 0, res.output
    assert "days" in res.output and "h800-sxm" in res.output and "formula:" in res.output


def test_estimate_has_time_to_train_column(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["estimate", "--samples", "1000", "--format", "json"])
    d = json.loads(res.output)
    days = d["time_to_train"]["companies"]["ByteDance"]
    assert d["time_to_train"]["model"] == "llama-3.1-405b" and days["unit"] == "d" and days["p5"] < days["p95"]


def test_controls_table_and_margin(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["controls", "H20", "H200", "B200", "910B"])
    assert res.exit_code == 0
    assert "tpp >= 2400: 2,368 (-1.3%)" in res.output and "3A090.a.1" in res.output
    res = runner.invoke(cli, ["controls", "H20", "--rule", "bis-2023-3a090", "--format", "json"])
    d = json.loads(res.output)
    assert d[0]["classes"][0]["class"] == "not controlled" and d[0]["tpp"]["value"] == 2368


def test_models_commands(runner: CliRunner) -> None:
    assert "deepseek-v3" in runner.invoke(cli, ["models", "list"]).output
    d = json.loads(runner.invoke(cli, ["models", "show", "deepseek-v3", "--format", "json"]).output)
    assert d["active_params"]["value"] == 37e9 and d["sources"]


@pytest.mark.parametrize("args, code, message", [
    (["train", "--params", "0", "--tokens", "1T", "--chip", "H100", "--count", "8"], 1, "--params: expected a positive"),
    (["train", "--params", "1B", "--active-params", "2B", "--tokens", "1T", "--chip", "H100"], 1, "exceeds --params"),
    (["train", "--model", "llama-3.1-8b", "--chip", "A100", "--count", "8", "--precision", "fp8"], 1,
     "a100-80gb has no fp8 peak; it has"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--mfu", "1.5"], 1, "--mfu: expected a value in (0, 1]"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--count", "1.5"], 1,
     "--count: expected a whole number of chips"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--hours", "steps", "--goodput", "0.8"], 1,
     "--goodput applies to billed hours"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--hours", "wall"], 2, "'wall' is not one of"),
    (["train", "--model", "lama-3.1-8b", "--chip", "H100"], 1, "did you mean 'llama-3.1-8b'"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--scenario", "china-h200-2026"], 2, "go together"),
    (["train", "--model", "llama-3.1-8b", "--chip", "H100", "--count", "8", "--scenario", "china-h200-2026",
      "--company", "ByteDance"], 2, "--count goes with --chip"),
    (["train", "--model", "llama-3.1-8b", "--scenario", "china-h200-2026", "--company", "Bytdance"], 1,
     "did you mean 'ByteDance'"),
    (["train", "--params", "1B"], 2, "give --model PRESET, or --params N and --tokens N"),
    (["serve", "--model", "llama-3.1-8b"], 2, "give --chip"),
    (["controls", "H2"], 1, "unknown chip 'H2'"),
    (["controls", "H20", "--rule", "bis-2025"], 1, "unknown rule set 'bis-2025'"),
])
def test_bad_input_is_one_line(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    res = runner.invoke(cli, args)
    assert res.exit_code == code, res.output
    assert message in res.output and "Traceback" not in res.output
