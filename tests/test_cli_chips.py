"""The chips commands: every format, the JSON contract, and one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.cli import cli
from computecap.units import Q_
from tests.conftest import CHIP


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    res = runner.invoke(cli, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def test_show_json_contract(runner: CliRunner) -> None:
    code, out = run(runner, "chips", "show", "H200", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["peak_dense"]["bf16"]["value"] == pytest.approx(989.5)
    assert Q_(1, d["peak_dense"]["bf16"]["unit"]).check("[compute]/[time]")
    assert d["memory"]["value"] == 141 and d["memory"]["unit"] == "GB"
    assert d["memory_bandwidth"]["value"] == pytest.approx(4.8)
    assert d["tpp"]["value"] == pytest.approx(15_832)
    assert d["export_control"]["bis-2023-3a090"]["class"] == "3A090.a.1"
    for key in ("interconnect_bandwidth", "tdp", "die_area", "price", "performance_density", "sources"):
        assert d[key]
    keys = {s["key"] for s in d["sources"]}
    assert set(d["peak_dense"]["bf16"]["sources"]) <= keys


def test_compare_baseline_ratios(runner: CliRunner) -> None:
    code, out = run(runner, "chips", "compare", "H20", "H200", "--baseline", "H20", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    h200 = next(r for r in rows if r["chip"] == "h200-sxm")
    assert h200["peak_bf16"]["ratio"] == pytest.approx(6.69, abs=0.01)
    assert h200["memory_bandwidth"]["ratio"] == pytest.approx(1.2, abs=1e-9)
    code, table = run(runner, "chips", "compare", "H20", "H200", "--baseline", "H20")
    assert "(6.7x)" in table and "(1.2x)" in table


@pytest.mark.parametrize("fmt, marker", [("table", "BF16 dense"), ("csv", "metric,h20,"), ("markdown", "| metric |")])
def test_compare_formats(runner: CliRunner, fmt: str, marker: str) -> None:
    code, out = run(runner, "chips", "compare", "H20", "H200", "B200", "910B", "--format", fmt)
    assert code == 0 and marker in out


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_list_formats(runner: CliRunner, fmt: str) -> None:
    code, out = run(runner, "chips", "list", "--format", fmt)
    assert code == 0 and "h200-sxm" in out


def test_output_file_is_written(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "h200.json"
    code, out = run(runner, "chips", "show", "H200", "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["id"] == "h200-sxm"
    assert [p.name for p in tmp_path.iterdir()] == ["h200.json"]  # no temporary file left


def test_user_specs_option(runner: CliRunner, spec_dir: Callable[..., Path]) -> None:
    d = spec_dir("chips", "mine.toml", CHIP)
    code, out = run(runner, "--specs", str(d), "chips", "show", "TC1", "--format", "json")
    assert code == 0 and json.loads(out)["tpp"]["value"] == pytest.approx(1600)


@pytest.mark.parametrize("args, code, message", [
    (["chips", "show", "H2OO"], 1, "unknown chip 'H2OO' (did you mean"),
    (["chips", "compare", "H20", "nope-chip"], 1, "unknown chip 'nope-chip'"),
    (["chips", "compare", "H20", "H200", "--intensity", "0"], 2, "--intensity"),
    (["chips", "show", "H200", "--format", "yaml"], 2, "'yaml' is not one of"),
    (["chips", "show", "H200", "--output", "/nonexistent-dir/x.json"], 2, "directory '/nonexistent-dir' does not exist"),
])
def test_bad_input_is_one_line(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    res = runner.invoke(cli, args)
    assert res.exit_code == code
    assert message in res.output
    assert "Traceback" not in res.output


def test_bad_user_chip_file(runner: CliRunner, spec_dir: Callable[..., Path]) -> None:
    d = spec_dir("chips", "h20.toml", CHIP.replace('value = "100 TFLOP/s"', 'value = "4.8 TB/s"'))
    res = runner.invoke(cli, ["--specs", str(d), "chips", "list"])
    assert res.exit_code == 1
    assert res.output.strip().endswith("h20.toml: peak_dense.bf16: expected FLOP/s, got TB/s (bytes/s)")
    assert res.output.count("\n") == 1


def test_show_network_fields_price_quotes_and_sources(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out = run(runner, "chips", "show", "H200")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines() if line.strip()}
    assert rows["scale_out_bandwidth"] == ["50", "GB/s"]  # 400 Gb/s NIC per GPU (MLCommons H200 system)
    assert rows["node_chips"][0] == "8"  # HGX H200: 8 GPUs per NVSwitch domain
    assert "China   deal  2026-01          27,000" in out  # Reuters via lowyat, Jan 2026
    assert "https://" not in out and "`--explain` or `--format json` for the URLs" in out
    code, explained = run(runner, "chips", "show", "H200", "--explain")
    assert "https://www.nvidia.com/en-us/data-center/h200/" in explained
    d = json.loads(run(runner, "chips", "show", "H200", "--format", "json")[1])
    assert d["node_chips"]["value"] == 8 and d["scale_out_bandwidth"]["unit"] == "GB/s"
    assert {"market": "China", "kind": "deal", "date": "2026-01"}.items() <= d["price_quotes"][-1].items()
    assert d["price_quotes"][-1]["value"] == 27_000
