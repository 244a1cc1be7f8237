"""Paired comparisons (``computecap.paired``): common random numbers, hand-computed pairs, formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from computecap.catalog import Catalog
from computecap.cli import cli
from computecap.errors import InputError
from computecap.paired import compare, pair, render
from tests.conftest import CHIP
from tests.test_overrides import SCENARIO

ONLY_ACME = """
name = "acme-only"
title = "Acme alone"
[companies.Acme]
[[holdings]]
company = "Acme"
chip = "test-chip"
count = 1500
status = "installed"
source = "s"
[sources.s]
url = "https://example.org"
title = "Example"
accessed = 2026-12-01
"""


@pytest.fixture
def cat(spec_dir: Callable[[str, str, str], Path]) -> Catalog:
    spec_dir("chips", "t.toml", CHIP)
    spec_dir("scenarios", "a.toml", ONLY_ACME)
    return Catalog([spec_dir("scenarios", "w.toml", SCENARIO)])


def test_a_against_itself_is_exactly_zero() -> None:
    r = compare("china-h200-2026", samples=2000, seed=4)
    for row in r.rows:
        assert row.difference is not None and row.ratio is not None
        assert (row.difference.p5, row.difference.p50, row.difference.p95) == (0.0, 0.0, 0.0)
        assert row.p_greater == 0.0 and row.ratio.p5 == row.ratio.p95 == 1.0


def test_two_companies_hand_computed(cat: Catalog) -> None:
    # Concentration 1e9 pins the shares at 0.6/0.4: Acme = 1000 + 600, Beta = U(100, 300) + 400.
    r = compare("what-if", company="acme", against="Beta", overrides_a={"allocations[0].concentration": "1e9"},
                samples=8000, seed=2, metric="chips", catalog=cat)
    row = r.row("Acme vs Beta")
    assert row.difference is not None and row.ratio is not None
    assert row.difference.p50 == pytest.approx(1200 - 200, rel=0.01)
    assert row.difference.p5 == pytest.approx(1200 - 290, rel=0.01)
    assert row.difference.p95 == pytest.approx(1200 - 110, rel=0.01)
    assert row.ratio.p50 == pytest.approx(1600 / 600, rel=0.01)
    assert row.ratio.p5 == pytest.approx(1600 / 690, rel=0.01) and row.ratio.p95 == pytest.approx(1600 / 510, rel=0.01)
    assert row.p_greater == 1.0


def test_shared_inputs_cancel_in_a_what_if(cat: Catalog) -> None:
    # B pins Beta's uniform 100..300 holding at 200; Acme's allocation share, drawn after it, pairs exactly.
    r = compare("what-if", overrides_b={"Beta.test-chip.installed": "200"}, samples=8000, seed=1, metric="chips",
                catalog=cat)
    acme, beta = r.row("Acme"), r.row("Beta")
    assert acme.difference is not None and beta.difference is not None
    assert acme.difference.p5 == acme.difference.p95 == 0.0 and acme.p_greater == 0.0
    assert beta.difference.p50 == pytest.approx(0, abs=3)  # U(100, 300) - 200
    assert beta.difference.p5 == pytest.approx(-90, abs=3) and beta.difference.p95 == pytest.approx(90, abs=3)
    assert beta.p_greater == pytest.approx(0.5, abs=0.02)


def test_company_only_on_one_side(cat: Catalog) -> None:
    r = compare("what-if", "acme-only", samples=500, metric="chips", include="installed", catalog=cat)
    assert r.row("Beta").difference is None and r.row("Beta").note == \
        "only in A: Beta holds nothing counted in B"
    acme = r.row("Acme").difference
    assert acme is not None and acme.p50 == pytest.approx(1000 - 1500)


def test_no_ratio_when_b_is_zero() -> None:
    row = pair("x", np.array([1.0, 2.0]), np.array([0.0, 1.0]), "")
    assert row.ratio is None and row.note == "no ratio: B is zero in some draws" and row.p_greater == 1.0
    assert json.loads(json.dumps(row.to_dict()))["ratio"] is None


@pytest.mark.parametrize("kw, match", [
    ({"company": "Acme"}, r"company and against go together"),
    ({"company": "Acme", "against": "acme"}, r"company and against are both Acme"),
    ({"metric": "flops"}, r"metric: expected one of chips, effective, h100e"),
    ({"company": "Acme", "against": "Beta", "overrides_b": {"pue": "1.2"}}, r"compare either two companies"),
    ({"scenario_b": "acme-only", "companies": ["Beta"]}, r"none of Beta is in scenario acme-only \(side B\)"),
])
def test_bad_requests(cat: Catalog, kw: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        compare("what-if", samples=100, catalog=cat, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_cli_formats(runner: CliRunner, cat: Catalog, fmt: str) -> None:
    res = runner.invoke(cli, ["--specs", str(cat.user_dirs[0]), "compare", "--scenario", "what-if", "--company",
                              "Acme", "--against", "Beta", "--set", "allocations[0].concentration=1e9",
                              "--metric", "chips", "--samples", "4000", "--format", fmt])
    assert res.exit_code == 0, res.output
    if fmt == "json":
        row = json.loads(res.output)["rows"][0]
        assert row["name"] == "Acme vs Beta" and row["p_a_greater"] == 1.0
        assert row["difference"]["p50"] == pytest.approx(1000, rel=0.01)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(res.output)))
        assert float(rows[0]["difference_p50"]) == pytest.approx(1000, rel=0.01) and rows[0]["unit"] == ""
    elif fmt == "markdown":
        assert "| Acme vs Beta |" in res.output and "P(A > B)" in res.output
    else:
        assert "Acme vs Beta" in res.output and "100.0%" in res.output


def test_render_lists_notes(cat: Catalog) -> None:
    r = compare("what-if", "acme-only", samples=200, metric="chips", include="installed", catalog=cat)
    assert render(r, "table").rstrip().endswith("Beta: only in A: Beta holds nothing counted in B")


def test_cli_plot(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "c.png"
    res = runner.invoke(cli, ["compare", "--company", "Alibaba", "--against", "Tencent", "--samples", "500",
                              "--plot", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
