"""Sensitivity (``computecap.sensitivity``): swings and variance shares against hand-computed ones."""

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
from computecap.errors import InputError, SpecNotFoundError
from computecap.sensitivity import sensitivity
from tests.conftest import CHIP
from tests.test_overrides import SCENARIO

# Beta's chips = U(100, 300) (holdings[1]) + 1000 x S, S ~ Beta(20 x 0.4, 20 x 0.6) (its allocation share).
BETA_A, BETA_B = 8.0, 12.0
VAR_U = 200.0 ** 2 / 12
VAR_S = 1000.0 ** 2 * BETA_A * BETA_B / ((BETA_A + BETA_B) ** 2 * (BETA_A + BETA_B + 1))


@pytest.fixture
def cat(spec_dir: Callable[[str, str, str], Path]) -> Catalog:
    spec_dir("chips", "t.toml", CHIP)
    return Catalog([spec_dir("scenarios", "w.toml", SCENARIO)])


def test_swings_and_variance_shares_hand_computed(cat: Catalog) -> None:
    r = sensitivity("what-if", "beta", metric="chips", samples=8000, seed=1, catalog=cat)
    assert [e.key for e in r.effects] == ["allocations[0].shares.Beta", "holdings[1]"]  # ranked by swing
    assert r.baseline == pytest.approx(200 + 400, rel=1e-4)  # every input at its median, shares at 0.4
    share, count = r.effects
    assert (count.at_low, count.at_high) == (pytest.approx(110 + 400, rel=1e-4), pytest.approx(290 + 400, rel=1e-4))
    q5, q95 = np.percentile(np.random.default_rng(99).beta(BETA_A, BETA_B, 400_000), (5, 95))
    assert share.at_low == pytest.approx(200 + 1000 * q5, rel=0.005)
    assert share.at_high == pytest.approx(200 + 1000 * q95, rel=0.005)
    # independent inputs: shares VAR_S / (VAR_U + VAR_S) = 0.774 and 0.226, summing to 1; undated: no lifetime
    assert share.variance_share == pytest.approx(VAR_S / (VAR_U + VAR_S), rel=0.06)
    assert count.variance_share == pytest.approx(VAR_U / (VAR_U + VAR_S), rel=0.06)
    assert r.unpinned_share == pytest.approx(0, abs=1e-6)


def test_inputs_follow_the_metric(cat: Catalog) -> None:
    r = sensitivity("what-if", "Beta", metric="power", samples=500, catalog=cat)
    assert {e.key for e in r.effects} == {"holdings[1]", "allocations[0].shares.Beta", "server_overhead", "pue"}
    e = next(e for e in r.effects if e.key == "pue")
    # triangular medians: overhead 2.03 - sqrt(0.50 x 0.28 / 2) = 1.7654, PUE 1.56 - sqrt(0.48 x 0.41 / 2) = 1.2463;
    # PUE p5 1.08 + sqrt(0.05 x 0.48 x 0.07) = 1.1210, p95 1.56 - sqrt(0.05 x 0.48 x 0.41) = 1.4608
    assert r.baseline == pytest.approx(600 * 500e-6 * 1.7654 * 1.2463, rel=1e-3)  # [MW]
    assert e.at_low == pytest.approx(600 * 500e-6 * 1.7654 * 1.1210, rel=1e-3)
    assert e.at_high == pytest.approx(600 * 500e-6 * 1.7654 * 1.4608, rel=1e-3)


def test_overrides_first(cat: Catalog) -> None:
    r = sensitivity("what-if", "Beta", metric="chips", overrides={"holdings[1]": "200"}, samples=500, catalog=cat)
    assert [e.key for e in r.effects] == ["allocations[0].shares.Beta"]
    assert r.assumptions[-1].user_override and r.assumptions[-1].name == "user override holdings[1]"


@pytest.mark.parametrize("kw, error, match", [
    ({"company": "Gamma"}, SpecNotFoundError, r"unknown company 'Gamma'"),
    ({"metric": "speed"}, InputError, r"metric: expected one of chips, h100e"),
])
def test_bad_requests(cat: Catalog, kw: dict[str, str], error: type, match: str) -> None:
    args = {"company": "Beta", **kw}
    with pytest.raises(error, match=match):
        sensitivity("what-if", args.pop("company"), samples=100, catalog=cat, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_cli_formats(runner: CliRunner, cat: Catalog, fmt: str) -> None:
    res = runner.invoke(cli, ["--specs", str(cat.user_dirs[0]), "sensitivity", "--scenario", "what-if",
                              "--company", "Beta", "--metric", "chips", "--samples", "2000", "--format", fmt])
    assert res.exit_code == 0, res.output
    if fmt == "json":
        doc = json.loads(res.output)
        assert doc["inputs"][0]["key"] == "allocations[0].shares.Beta" and doc["company"] == "Beta"
        assert doc["output_all_inputs_at_median"] == pytest.approx(600, rel=1e-4)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(res.output)))
        assert [r["key"] for r in rows] == ["allocations[0].shares.Beta", "holdings[1]"]
        assert float(rows[1]["swing"]) == pytest.approx(180, rel=1e-3)
    else:
        assert "holdings[1]" in res.output and "Variance shares sum to" in res.output


def test_cli_plot(runner: CliRunner, cat: Catalog, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "t.png"
    res = runner.invoke(cli, ["--specs", str(cat.user_dirs[0]), "sensitivity", "--scenario", "what-if",
                              "--company", "Beta", "--samples", "300", "--plot", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_days_to_train_follow_the_cluster_cap(cat: Catalog) -> None:
    from computecap.sensitivity import training_sensitivity
    from computecap.uncertainty import from_uniform
    # 200,000 chips: the sourced cap (triangular 16,384..24,576..100,000) always binds, so days = k / cap x 1/U
    r = training_sensitivity("what-if", "Acme", "llama-3.1-8b", overrides={"holdings[0]": "200000"}, samples=1000,
                             catalog=cat)
    cap = next(e for e in r.effects if e.key == "cluster_chips")
    assert r.effects[0] is cap and cap.label == "default cluster_chips (cluster cap)"
    lo, hi = from_uniform(np.array([0.05, 0.95]), 16384, 24576, 100000, "triangular")
    assert cap.at_low / cap.at_high == pytest.approx(hi / lo, rel=1e-4)  # the same U draws at both ends
    assert r.unpinned_share > 0.2  # the fitted utilisation cannot be pinned
    assert r.metric == "days to train llama-3.1-8b" and r.unit == "day"
