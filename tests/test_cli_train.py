"""`computecap train`, `serve`, `models` and `controls` from the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from computecap.cli import cli


def test_train_done_when_example(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--chip", "H100", "--count", "16384", "--params", "405B", "--tokens", "15.6T",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["training_flop"]["value"] == pytest.approx(3.7908e25, rel=1e-9)
    h = d["chip_hours"]
    assert h["p5"] < 30.84e6 < h["p95"] and h["unit"] == "h"
    for key in ("duration", "energy", "cost", "memory", "assumptions"):
        assert key in d
    assert set(d["memory"]) >= {"required", "available", "fits"}


def test_train_fleet_mode_in_days(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--scenario", "china-h200-2026", "--company", "ByteDance",
                              "--model", "llama-3.1-405b", "--samples", "2000", "--explain"])
    assert res.exit_code == 0, res.output
    assert "days" in res.output and "h200-sxm" in res.output and "formula:" in res.output


def test_serve_h20_and_h200(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "llama-3.1-70b", "--chip", "H20", "--chip", "H200", "--batch", "8"])
    assert res.exit_code == 0, res.output
    assert "memory bandwidth" in res.output and "(1.2x)" in res.output


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


def test_serve_explain_shows_the_roofline_terms(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "deepseek-v3", "--chip", "H20", "--precision", "fp8", "--explain"])
    assert res.exit_code == 0, res.output
    assert "layers x kv_cache_dim x bytes (MLA)" in res.output and "296 TFLOP/s dense fp8" in res.output
    assert "source: " in res.output and "decode step: max(" in res.output
