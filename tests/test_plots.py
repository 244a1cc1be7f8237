"""Charts render with the Agg backend to valid PNG files and read well (labels apart, log axes on a 1-2-5
grid); without matplotlib, --plot says how to install it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import computecap
from computecap import plots
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
    assert res.exit_code == 2 and "does not exist" in res.output and "Traceback" not in res.output


def test_without_matplotlib_plot_says_how_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from computecap.cli import main\n"
            f"sys.argv = ['computecap', 'chips', 'compare', 'H20', 'H200', '--plot', r'{tmp_path / 'x.png'}']\n"
            "main()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 2  # a usage error, caught before any work
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


def test_chart_functions_return_png_without_writing(tmp_path: Path) -> None:
    cat = computecap.default_catalog()
    chips = [cat.chip(n) for n in ("H20", "H200", "B200", "910B")]
    data = plots.plot_chip_compare(computecap.compare(chips), chips[0])
    assert data.startswith(PNG) and len(data) > 10_000 and not list(tmp_path.iterdir())


def test_labels_of_chips_at_one_point_merge_and_no_labels_overlap() -> None:
    plt = plots._pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    # H100, H800 and H200 share TPP 15,832 and density 19.45 (same GH100 die and clocks); MI300X sits next to them
    pts = [(15832.0, 19.45, "h100-sxm"), (15832.0, 19.45, "h800-sxm"), (15832.0, 19.45, "h200-sxm"),
           (20917.0, 20.57, "mi300x"), (36000.0, 22.11, "b200"), (2368.0, 2.91, "h20")]
    for x, y, _ in pts:
        ax.scatter(x, y, s=25)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plots._spread_labels(ax, pts)
    fig.canvas.draw()
    texts = [t for t in ax.texts if t.get_text()]
    assert sorted(t.get_text() for t in texts) == ["b200", "h100-sxm, h200-sxm, h800-sxm", "h20", "mi300x"]
    boxes = [t.get_window_extent() for t in texts]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    plt.close(fig)


def test_close_thresholds_share_one_label() -> None:
    # us-china-2026 (TPP 21,000) and us-tariff-2026 (20,800 and 21,100) are within 4%: one label, not three
    groups = plots._thresholds(computecap.rule_sets(), "tpp")
    assert ([20800.0, 21000.0, 21100.0], ["us-china-2026", "us-tariff-2026"]) in \
        [(v, sorted(i)) for v, i in groups]


@pytest.mark.parametrize(("values", "limits"), [
    ([0.4, 15.0, 1.0], (0.2, 20.0)),     # 0.4/1.05 -> step 0.2 below; 15x1.05 -> 20 above
    ([1.0, 6.7], (0.5, 10.0)),           # ratios all above 1 still show the 1x line with room below
    ([0.15, 2.0, 1.0], (0.1, 5.0)),
])
def test_log_limits_on_the_1_2_5_grid(values: list[float], limits: tuple[float, float]) -> None:
    assert plots._log_limits(values) == pytest.approx(limits)
