"""The timeline engine against a hand-computed fleet, its monotonicity, formats, chart and errors."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.catalog import Catalog
from computecap.cli import cli
from computecap.errors import InputError, SpecNotFoundError
from computecap.timeline import timeline
from computecap.views import timeline_table
from tests.conftest import CHIP
from tests.test_scenarios import BASE


@pytest.fixture
def cat(spec_dir: Callable[..., Path]) -> Catalog:
    spec_dir("chips", "t.toml", CHIP)
    return Catalog([spec_dir("scenarios", "dated.toml", BASE)])


def p50(result: object, company: str, metric: str, status: str = "") -> list[float]:
    return [u.p50 for u in result.get(company, status).metrics[metric]]  # type: ignore[attr-defined]


def test_hand_computed_stock(cat: Catalog) -> None:
    r = timeline("dated", start="2025Q4", end="2026Q2", include="installed", samples=500, catalog=cat)
    assert r.quarters == ("2025Q4", "2026Q1", "2026Q2")
    assert r.dates[-1] == dt.date(2026, 6, 30)
    # Acme: 1,000 chips, half in 2026Q1 and half in 2026Q2; Beta's 400 (mid-2020) are 5.5-8.5 years old
    assert p50(r, "Acme", "chips") == [0.0, 500.0, 1000.0]
    # test-chip: 100 TFLOP/s dense BF16 vs the H100 SXM's 989.5 TFLOP/s
    assert p50(r, "Acme", "h100e") == pytest.approx([0.0, 50.0 / 0.9895, 100.0 / 0.9895], rel=1e-9)
    assert p50(r, "Acme", "peak")[2] == pytest.approx(1000 * 100e12, rel=1e-12)
    # power: 1,000 x 500 W x server overhead (1.53..2.03) x PUE (1.08..1.56) [MW]
    power = r.get("Acme").metrics["power"][2]
    assert 0.5 * 1.53 * 1.08 <= power.p5 < power.p50 < power.p95 <= 0.5 * 2.03 * 1.56
    # Beta's 400 chips of 30 Jun 2020 are 6.0 years old on 30 Jun 2026: triangular(3, 5.5, 8) lifetimes exceed
    # that with probability (8 - 6)^2 / (5 x 2.5) = 0.32, so the mean is 128 (Monte Carlo sd ~8 at 500 samples)
    beta = r.get("Beta").metrics["chips"][2]
    assert beta.p5 == 0 and beta.p95 == 400 and beta.mean == pytest.approx(128, abs=30)
    assert p50(r, "total", "chips") == [a + b for a, b in zip(p50(r, "Acme", "chips"), p50(r, "Beta", "chips"))]


def test_retire_switch_and_monotonicity(cat: Catalog) -> None:
    kept = timeline("dated", start="2019Q1", end="2031Q4", include="all", retire=False, samples=400, seed=2,
                    catalog=cat)
    gone = timeline("dated", start="2019Q1", end="2031Q4", include="all", retire=True, samples=400, seed=2,
                    catalog=cat)
    for company in ("Acme", "Beta", "total"):
        k, g = p50(kept, company, "chips"), p50(gone, company, "chips")
        assert all(b >= a for a, b in itertools.pairwise(k)), "without retirement the stock never falls"
        assert all(x <= y + 1e-9 for x, y in zip(g, k)), "retirement only removes chips"
    # with retirement, Beta's 400 chips of mid-2020 are all gone by 2028Q3 (8.25 years > the longest lifetime, 8)
    status = timeline("dated", start="2027Q2", end="2028Q3", by="status", samples=400, seed=2, catalog=cat)
    chips = status.get("Beta", "installed").metrics["chips"]
    assert (chips[0].p95, chips[-1].p95) == (400, 0)  # 7.0 years: 8% survive; 8.25 years: none
    assert gone.assumptions[2].name == "chip_lifetime" and not gone.assumptions[2].user_override
    assert kept.assumptions[2].user_override


def test_by_status_splits_each_company(cat: Catalog) -> None:
    r = timeline("dated", start="2027Q2", end="2027Q2", include="all", by="status", samples=400, catalog=cat)
    assert {(s.company, s.status) for s in r.series} == {("Acme", "installed"), ("Acme", "approved"),
                                                          ("Beta", "installed"), ("Beta", "approved"),
                                                          ("Beta", "grey"), ("total", "installed"),
                                                          ("total", "approved"), ("total", "grey")}
    # by mid-2027 the approved 2,000 (split by a Dirichlet around 50/50) have all arrived
    assert r.get("Acme", "approved").metrics["chips"][0].mean + r.get("Beta", "approved").metrics["chips"][0].mean \
        == pytest.approx(2000, rel=1e-9)
    assert r.get("Beta", "grey").metrics["chips"][0].p50 == 100
    assert r.get("total", "approved").metrics["chips"][0].p50 == pytest.approx(2000, rel=1e-9)


def test_bundled_scenarios_rise_with_deliveries_and_fall_with_retirements() -> None:
    for name in ("china-h200-2026", "us-frontier-2025"):
        kept = timeline(name, include="all", retire=False, samples=300)
        gone = timeline(name, include="all", samples=300)
        k, g = p50(kept, "total", "h100e"), p50(gone, "total", "h100e")
        assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(k)) and k[-1] > k[0]
        assert all(x <= y * (1 + 1e-9) for x, y in zip(g, k))


def test_json_is_strict_and_complete(cat: Catalog) -> None:
    r = timeline("dated", start="2026Q1", end="2026Q2", samples=200, catalog=cat)
    doc = json.loads(timeline_table(r, "json"), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert doc["quarters"] == ["2026Q1", "2026Q2"] and doc["retire"] is True and doc["h100e_basis"] == "bf16"
    acme = next(s for s in doc["series"] if s["company"] == "Acme")
    assert acme["chips"][0] == {"value": 500.0, "unit": "", "p5": 500.0, "p50": 500.0, "p95": 500.0, "mean": 500.0}
    assert acme["peak"][1]["unit"] == "FLOP/s" and acme["power"][1]["unit"] == "MW"
    assert any(a["name"] == "chip_lifetime" and a["sources"] for a in doc["assumptions"])
    assert r.to_dict()["computecap_version"]


@pytest.mark.parametrize("fmt, head", [("table", "quarter"), ("csv", "scenario,seed,samples,quarter,date,company"),
                                       ("markdown", "| quarter | company |"), ("json", '"scenario": "dated"')])
def test_cli_formats(runner: CliRunner, spec_dir: Callable[..., Path], fmt: str, head: str) -> None:
    spec_dir("chips", "t.toml", CHIP)
    d = spec_dir("scenarios", "dated.toml", BASE)
    res = runner.invoke(cli, ["--specs", str(d), "timeline", "--scenario", "dated", "--from", "2026Q1", "--to",
                              "2026Q2", "--samples", "200", "--format", fmt])
    assert res.exit_code == 0, res.output
    assert head in res.output
    if fmt == "csv":  # tidy: one row per quarter x company x metric, plain numbers
        assert "2026Q1,2026-03-31,Acme,all,chips,,500,500,500,500,500" in res.output


def test_cli_plot_and_explain(runner: CliRunner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "t.png"
    res = runner.invoke(cli, ["timeline", "--by", "status", "--include", "all", "--samples", "200", "--explain",
                              "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "- chip_lifetime: triangular 3..5.5..8 years" in res.output


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"start": "2026Q5"}, InputError, "from/to: expected a date, quarter or year"),
    ({"start": "2027Q1", "end": "2026Q1"}, InputError, "from/to: .*before"),
    ({"by": "chip"}, InputError, "by: expected one of company, status"),
    ({"retire": "no"}, InputError, "retire: expected True or False"),
    ({"companies": "Acme"}, InputError, "companies: expected a list of names"),
    ({"companies": ["Gamma"]}, SpecNotFoundError, "Gamma"),
    ({"include": "pending"}, InputError, "no holdings in scenario dated with status pending"),
    ({"samples": 0}, InputError, "samples: expected a positive integer"),
])
def test_bad_arguments(cat: Catalog, kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        timeline("dated", catalog=cat, **kwargs)  # type: ignore[arg-type]


def test_cli_errors_are_one_line(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["timeline", "--from", "22Q1"])
    assert res.exit_code == 1 and res.output.startswith("Error: from/to:") and "Traceback" not in res.output
