"""Views and tidy outputs: tables fit the terminal, CSV is tidy and numeric, frames and HTML for notebooks."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from computecap import frames, views
from computecap.cli import cli
from computecap.errors import InputError
from computecap.fleet import estimate
from computecap.report import fmt_compact, render_rows, render_stacked
from computecap.timeline import timeline

#: Every table-producing command, as a newcomer would first run it.
TABLE_COMMANDS = [
    ["chips", "list"],
    ["chips", "show", "H200"],
    ["chips", "show", "B200"],
    ["chips", "show", "910B"],
    ["chips", "compare", "H20", "H200", "B200", "910B"],
    ["scenarios", "list"],
    ["scenarios", "show"],
    ["scenarios", "show", "us-frontier-2025"],
    ["estimate", "--samples", "500"],
    ["estimate", "--samples", "500", "--include", "all"],
    ["estimate", "--samples", "500", "--scenario", "us-frontier-2025", "--explain"],
    ["models", "list"],
    ["models", "show", "deepseek-v3"],
    ["train", "--model", "llama-3.1-405b", "--chip", "H100", "--count", "16384", "--samples", "300"],
    ["serve", "--model", "llama-3.1-70b", "--chip", "H20", "--chip", "H200", "--samples", "300"],
    ["serve", "--model", "deepseek-v3", "--scenario", "china-h200-2026", "--company", "Tencent", "--samples", "300"],
    ["controls"],
    ["compare", "--company", "Alibaba", "--against", "Tencent", "--samples", "300"],
]


@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=[" ".join(a[:3]) for a in TABLE_COMMANDS])
def test_every_table_fits_100_columns(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    long = [line for line in res.output.splitlines() if len(line) > 100 and not _reference(line)]
    assert not long, long[:3]


def _reference(line: str) -> bool:
    """A URL or file reference longer than the terminal, alone on its line (kept whole, to be copied)."""
    return " " not in line.strip() and any(mark in line for mark in ("://", "/"))


def test_timeline_table_fits_100_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    r = timeline("china-h200-2026", start="2026Q1", end="2026Q4", by="status", samples=300)
    text = views.timeline_table(r, "table")
    assert max(len(line) for line in text.splitlines()) <= 100 and "2026Q4" in text


def test_narrow_terminal_names_the_columns_it_leaves_out(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    res = runner.invoke(cli, ["estimate", "--samples", "300", "--no-breakdown"])
    assert res.exit_code == 0
    assert max(len(line) for line in res.output.splitlines()) <= 60
    assert "Left out to fit 60 columns: capex [USD bn], days to train" in " ".join(res.output.split())


def test_render_rows_wraps_text_to_width() -> None:
    words = "nvidia-h200-datasheet, klockwood-h100-h200, mi300x-vs-h200-repo, geektopia-h200-2023"
    text = render_rows(["field", "value", "source"], [["memory", "141", words]], "table", width=40)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert " ".join(line[13:].strip() for line in lines[2:]) == words  # every word kept, in order
    assert render_rows(["a"], [["x" * 80]], "table", width=0).splitlines()[2] == "x" * 80  # 0: never wrapped


def test_render_stacked_aligns_and_drops_from_the_right() -> None:
    text, dropped = render_stacked([("name",), ("n",), ("wide column",)], [["a", ("10", "5-20"), "x"]], width=12)
    assert dropped == [2]
    assert text.splitlines() == ["name     n", "----  ----", "a       10", "      5-20"]


@pytest.mark.parametrize("x, text", [(33.84, "33.8"), (1480, "1,480"), (12_345, "12.3k"), (432_000, "432k"),
                                     (1_210_000, "1.21M"), (3.4e9, "3.4B"), (0.0714, "0.0714")])
def test_fmt_compact(x: float, text: str) -> None:
    assert fmt_compact(x) == text


# ---------------------------------------------------------------------------- tidy CSV
def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def china() -> tuple[object, object]:
    r = estimate("china-h200-2026", samples=1000, seed=3, keep_samples=True)
    pipe = estimate("china-h200-2026", include="all", undelivered=True, samples=1000, seed=3, as_of=r.as_of)
    return r, pipe


def test_estimate_csv_is_tidy_and_numeric(china: tuple[object, object]) -> None:
    r, pipe = china
    rows = _csv(views.estimate_table(r, "csv", pipeline=pipe))
    assert list(rows[0]) == ["scenario", "as_of", "seed", "samples", "counted", "company", "status", "chip", "metric",
                             "unit", "value", "p5", "p50", "p95", "mean", "note"]
    byte = {x["metric"]: x for x in rows if x["company"] == "ByteDance" and x["status"] == "all"
            and x["counted"] == "in service"}
    # the same numbers as the library's result, to the last digit (shortest round-trip floats)
    assert float(byte["chips"]["p50"]) == r.company("ByteDance").chips.p50  # type: ignore[attr-defined]
    assert byte["effective"]["unit"] == "FLOP/s" and byte["power"]["unit"] == "MW"
    for x in rows:
        assert x["value"] == x["p50"] and x["scenario"] == "china-h200-2026" and x["seed"] == "3"
        if x["value"]:
            assert "," not in x["value"] and float(x["p5"]) <= float(x["p50"]) <= float(x["p95"])
    # a breakdown row of a fixed-peak chip: H100e = chips x 148 / 989.5 TFLOP/s dense BF16 (H20 over H100 SXM)
    h20 = {x["metric"]: float(x["p50"]) for x in rows if x["company"] == "ByteDance" and x["chip"] == "h20"
           and x["counted"] == "in service"}
    assert h20["h100e"] == pytest.approx(h20["chips"] * 148 / 989.5, rel=1e-12)
    assert any(x["counted"] == "not yet delivered" and x["chip"] == "h200-sxm" for x in rows)
    capex = next(x for x in rows if x["company"] == "Alibaba" and x["metric"] == "capex" and x["status"] == "all")
    assert capex["note"].startswith("a lower bound: leaves out") and "alibaba-t-head-ppu" in capex["note"]


def test_train_and_serve_csv(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--params", "8B", "--tokens", "15T", "--chip", "H100", "--count", "64",
                              "--samples", "300", "--format", "csv"])
    rows = {x["metric"]: x for x in _csv(res.output)}
    assert float(rows["training_flop"]["value"]) == pytest.approx(6 * 8e9 * 15e12, rel=1e-12)  # 6ND
    assert rows["duration"]["unit"] == "d" and float(rows["duration"]["p5"]) < float(rows["duration"]["p95"])
    res = runner.invoke(cli, ["serve", "--model", "deepseek-v3", "--scenario", "china-h200-2026", "--company",
                              "Tencent", "--samples", "300", "--format", "csv"])
    rows2 = _csv(res.output)
    per_chip = [float(x["p50"]) for x in rows2 if x["metric"] == "output_throughput" and x["chip"] != "all"]
    total = next(x for x in rows2 if x["metric"] == "output_throughput" and x["chip"] == "all")
    assert len(per_chip) == 4 and total["unit"] == "1/s"
    assert float(total["p5"]) < sum(per_chip) < float(total["p95"])  # medians add up inside the total's interval


def test_timeline_csv_is_tidy() -> None:
    r = timeline("china-h200-2026", start="2026Q1", end="2026Q2", samples=300)
    rows = _csv(views.timeline_table(r, "csv"))
    assert {x["metric"] for x in rows} == {"chips", "h100e", "peak", "power"}
    assert len(rows) == len(r.series) * 2 * 4
    peak = next(x for x in rows if x["metric"] == "peak" and x["company"] == "total" and x["quarter"] == "2026Q2")
    assert peak["unit"] == "FLOP/s" and float(peak["value"]) == r.get("total").metrics["peak"][1].p50


# ---------------------------------------------------------------------------- frames, HTML, draws
def test_to_frame_matches_the_tidy_records(china: tuple[object, object]) -> None:
    pytest.importorskip("pandas")
    r, _ = china
    frame = frames.to_frame(r)
    table = frames.tidy(r)
    assert list(frame.columns) == list(table.columns) and len(frame) == len(table.records)
    row = frame[(frame.company == "Tencent") & (frame.metric == "power") & (frame.status == "all")].iloc[0]
    assert row.p50 == r.company("Tencent").power.p50  # type: ignore[attr-defined]
    assert frame["p50"].dtype == float


def test_to_frame_without_pandas_names_the_extra(china: tuple[object, object],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(InputError, match=r"pip install 'computecap\[frame\]'"):
        frames.to_frame(china[0])


def test_repr_html_escapes_names(china: tuple[object, object]) -> None:
    r = china[0]
    odd = replace(r.companies[0], name="<b>A&B</b>")  # type: ignore[attr-defined]
    text = frames.repr_html(replace(r, companies=(odd, *r.companies[1:])))  # type: ignore[attr-defined]
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in text and "<b>A" not in text
    assert text.startswith("<table><caption>") and "<th>p50</th>" in text


@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_samples_out(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"draws{suffix}"
    res = runner.invoke(cli, ["estimate", "--samples", "400", "--seed", "5", "--format", "json",
                              "--samples-out", str(path)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    if suffix == ".npz":
        with np.load(path) as data:
            draws = data["ByteDance/chips"]
            meta = json.loads(str(data["__meta__"]))
        assert meta["units"]["ByteDance/effective"] == "FLOP/s" and meta["seed"] == 5
    else:
        rows = list(csv.reader(io.StringIO(path.read_text())))
        assert "ByteDance/effective [FLOP/s]" in rows[0] and len(rows) == 401
        draws = np.array([float(x[rows[0].index("ByteDance/chips")]) for x in rows[1:]])
    assert draws.shape == (400,)
    # one chunk of 400: its median is the reported p50 (numpy's linear percentile)
    assert float(np.percentile(draws, 50)) == pytest.approx(doc["companies"][0]["chips"]["p50"], rel=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # written atomically, nothing left over


def test_samples_out_needs_a_known_extension(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["estimate", "--samples", "100", "--samples-out", str(tmp_path / "d.parquet")])
    assert res.exit_code == 2 and "--samples-out" in res.output and "expected a .npz or .csv" in res.output


# ---------------------------------------------------------------------------- content of the views
def test_train_table_shows_the_fitted_utilisation(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["train", "--model", "llama-3.1-8b", "--chip", "H100", "--count", "64",
                              "--samples", "300"])
    assert "FLOP / (chips x BF16 peak x U)" in res.output
    assert "utilisation U" in res.output and "of BF16 peak" in res.output


def test_scenario_show_deliveries_channels_tenants_and_sources(runner: CliRunner,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = runner.invoke(cli, ["scenarios", "show"]).output
    assert "2024Q2..2024Q4" in out and "rented-abroad" in out and "smuggled" in out
    assert "2026Q2..2028, 3 steps" in out and "https://" not in out
    explained = runner.invoke(cli, ["scenarios", "show", "--explain"]).output
    assert "2026Q2..2026Q4 35%, 2027" in explained and "https://" in explained
    us = runner.invoke(cli, ["scenarios", "show", "us-frontier-2025", "--format", "json"]).output
    tenants = {h["tenant"] for h in json.loads(us)["holdings"]}
    assert {"OpenAI", "Anthropic"} <= tenants
    assert "for OpenAI" in runner.invoke(cli, ["scenarios", "show", "us-frontier-2025"]).output
