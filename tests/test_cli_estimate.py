"""`computecap estimate` and `computecap scenarios`: formats, JSON contract, reproducibility, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.cli import cli
from computecap.units import Q_


def test_default_run_prints_per_company_table(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    res = runner.invoke(cli, ["estimate", "--samples", "2000"])
    assert res.exit_code == 0, res.output
    for name in ("ByteDance", "Alibaba", "Tencent", "total", "  installed\n    a800", "[EFLOP/s]", "capex",
                 "days to", "p5-p95 under it", "Not yet delivered on", "approved  h200-sxm"):
        assert name in res.output
    assert max(len(line) for line in res.output.splitlines()) <= 100


def test_wide_table_has_every_column_on_one_line(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    res = runner.invoke(cli, ["estimate", "--samples", "500", "--wide"])
    assert res.exit_code == 0
    header = next(line for line in res.output.splitlines() if line.startswith("company"))
    for col in ("peak bf16 [EFLOP/s]", "HBM [PB]", "HBM bandwidth [PB/s]", "capex [USD bn]",
                "days to train llama-3.1-405b"):
        assert col in header
    assert len(header) > 200  # --wide ignores the terminal width, as documented


def test_json_contract_and_seed(runner: CliRunner) -> None:
    args = ["estimate", "--samples", "3000", "--seed", "11", "--format", "json"]
    a, b = runner.invoke(cli, args), runner.invoke(cli, args)
    assert a.exit_code == 0 and a.output == b.output
    d = json.loads(a.output)
    assert d["samples"] == 3000 and d["seed"] == 11 and d["scenario"] == "china-h200-2026"
    company = d["companies"][0]
    for key in ("company", "holdings", "peak", "effective", "h100e", "memory", "memory_bandwidth", "power", "capex"):
        assert key in company
    eff = company["effective"]
    assert eff["value"] == eff["p50"] and eff["p5"] <= eff["p50"] <= eff["p95"]
    assert Q_(1, eff["unit"]).check("[compute]/[time]")
    assert Q_(1, company["power"]["unit"]).check("[mass]*[length]**2/[time]**3")
    assert d["total"]["company"] == "total"
    assert any(a["name"] == "utilisation" and a["sources"] for a in d["assumptions"])


def test_explain_names_formulas_and_sources(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["estimate", "--samples", "500", "--company", "bytedance", "--explain"])
    assert res.exit_code == 0
    assert "formula: power = count x TDP x server_overhead x PUE" in res.output
    assert "ASSUMPTION:" in res.output and "source:" in res.output


@pytest.mark.parametrize("fmt, marker", [("csv", "counted,company,status,chip,metric,unit,value,p5,p50,p95,mean"),
                                         ("markdown", "| company |")])
def test_formats(runner: CliRunner, fmt: str, marker: str) -> None:
    res = runner.invoke(cli, ["estimate", "--samples", "500", "--format", fmt, "--include", "all"])
    assert res.exit_code == 0 and marker in res.output and "Other Chinese buyers" in res.output


def test_scenarios_commands(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["scenarios", "list"])
    assert res.exit_code == 0 and "us-frontier-2025" in res.output
    res = runner.invoke(cli, ["scenarios", "show", "china-h200-2026", "--format", "json"])
    d = json.loads(res.output)
    assert any(a["status"] == "approved" and a["chip"] == "h200-sxm" for a in d["allocations"])
    assert all(h["sources"] for h in d["holdings"])


@pytest.mark.parametrize("args, code, message", [
    (["estimate", "--samples", "0"], 2, "expected a whole number from 1 to 100,000,000, got 0"),
    (["estimate", "--include", "shipped"], 2, "unknown status 'shipped'"),
    (["estimate", "--company", "Bytedanse"], 1, "did you mean 'ByteDance'"),
    (["estimate", "--as-of", "2026-13-01"], 2, "expected a date"),
    (["estimate", "--scenario", "nope.toml"], 1, "nope.toml: --scenario: no such file"),
    (["estimate", "--scenario", "chna-h200-2026"], 1, "did you mean 'china-h200-2026'"),
])
def test_bad_input_is_one_line(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    res = runner.invoke(cli, args)
    assert res.exit_code == code and message in res.output and "Traceback" not in res.output


def test_unreadable_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_bytes(b"\xff\xfe not toml")
    res = runner.invoke(cli, ["estimate", "--scenario", str(f)])
    assert res.exit_code == 1 and "s.toml: " in res.output and res.output.count("\n") == 1


def _units(obj: object) -> list[str]:
    if isinstance(obj, dict):
        own = [obj["unit"]] if isinstance(obj.get("unit"), str) and "value" in obj else []
        return own + [u for v in obj.values() for u in _units(v)]
    if isinstance(obj, list):
        return [u for v in obj for u in _units(v)]
    return []


@pytest.mark.parametrize("args", [
    ["estimate", "--samples", "300", "--format", "json"],
    ["chips", "show", "B200", "--format", "json"],
    ["chips", "compare", "H20", "H200", "--format", "json"],
    ["train", "--model", "llama-3.1-8b", "--chip", "H100", "--count", "64", "--samples", "300", "--format", "json"],
    ["serve", "--model", "llama-3.1-8b", "--chip", "H20", "--samples", "300", "--format", "json"],
])
def test_every_json_unit_parses(runner: CliRunner, args: list[str]) -> None:
    units = _units(json.loads(runner.invoke(cli, args).output))
    assert len(units) > 5
    for u in units:
        Q_(1, u)  # DESIGN.md: the unit string parses with computecap.units
    assert "US_dollar" not in units
