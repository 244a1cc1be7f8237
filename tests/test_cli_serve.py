"""`computecap serve` from the command line: workloads in, intervals out, strict JSON, clear errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from computecap.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_serve_tf32_does_not_crash(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "llama-3.1-8b", "--chip", "H20", "--precision", "tf32",
                              "--samples", "200"])
    assert res.exit_code == 0, res.output
    assert "tf32" in res.output


def test_serve_json_has_quantities_with_intervals_and_no_nan(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "deepseek-v3", "--chip", "H200", "--input-tokens", "2048",
                              "--output-tokens", "256", "--samples", "300", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "NaN" not in res.output and "Infinity" not in res.output
    doc = json.loads(res.output)[0]
    q = doc["output_throughput"]
    assert q["unit"] == "1/s" and q["p5"] < q["p50"] < q["p95"]
    assert doc["input_tokens"] == 2048 and doc["layout"]["chips_per_replica"] >= 8


def test_serve_explain_lists_terms_with_sources(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "deepseek-v3", "--chip", "H20", "--samples", "200", "--explain"])
    assert res.exit_code == 0, res.output
    for term in ("decode step", "prefill step", "efficiencies", "kv_memory_fraction", "MLA attention"):
        assert term in res.output


def test_serve_small_fleet_says_so(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["serve", "--model", "llama-3.1-405b", "--chip", "H20", "--count", "1",
                              "--samples", "100"])
    assert res.exit_code == 0, res.output
    assert "fleet smaller than one replica" in res.output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--concurrency", "lots"], 2, "--concurrency"),
    (["--ep", "4"], 1, "has no routed experts"),
    (["--scenario", "china-h200-2026"], 2, "--scenario and --company go together"),
])
def test_serve_errors(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    res = runner.invoke(cli, ["serve", "--model", "llama-3.1-70b", "--chip", "H200", "--samples", "10", *args])
    assert res.exit_code == code
    assert message in res.output


def test_a_command_group_without_a_command_prints_its_help() -> None:
    import subprocess
    import sys
    res = subprocess.run([sys.executable, "-m", "computecap", "models"], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "list" in res.stdout and "show" in res.stdout and not res.stderr
