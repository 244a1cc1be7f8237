"""Charts render with the Agg backend to valid PNG files; without matplotlib, --plot says how to install it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.cli import cli

PNG = b"\x89PNG\r\n\x1a\n"
pytest.importorskip("matplotlib")


@pytest.mark.parametrize("args", [
    ["chips", "compare", "H20", "H200", "B200", "910B"],
    ["estimate", "--samples", "500", "--include", "all", "--reference-model", "none"],
    ["controls", "H20", "H200", "B200", "910B"],
])
def test_plot_files_are_png(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "chart.png"
    res = runner.invoke(cli, [*args, "--plot", str(out)])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]


def test_plot_into_missing_folder_fails_cleanly(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["chips", "compare", "H20", "H200", "--plot", str(tmp_path / "no" / "x.png")])
    assert res.exit_code == 1 and "does not exist" in res.output and "Traceback" not in res.output


def test_without_matplotlib_plot_says_how_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from computecap.cli import main\n"
            f"sys.argv = ['computecap', 'chips', 'compare', 'H20', 'H200', '--plot', r'{tmp_path / 'x.png'}']\n"
            "main()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 1
    assert "pip install 'computecap[plot]'" in res.stderr and "Traceback" not in res.stderr


def test_compare_tiers_report(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "compare_tiers.py"
    res = subprocess.run([sys.executable, str(script), "--out", str(tmp_path), "--samples", "2000"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    report = (tmp_path / "report.md").read_text()
    assert "6.7x" in report and "$30,000" in report and "1.20x" in report
    for name in ("tiers.png", "roofline.png", "controls.png", "china-h200-2026.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


def test_compare_tiers_unwritable_out(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "compare_tiers.py"
    res = subprocess.run([sys.executable, str(script), "--out", str(blocker / "sub")], capture_output=True, text=True, check=False)
    assert res.returncode == 1 and "--out: cannot write here" in res.stderr and "Traceback" not in res.stderr
