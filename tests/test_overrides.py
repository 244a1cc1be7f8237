"""What-ifs (``computecap.overrides``): every kind of key against hand-computed fleets, and its errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import computecap
from computecap import overrides
from computecap.catalog import Catalog
from computecap.cli import cli
from computecap.errors import InputError, SpecValidationError, UnitsError
from computecap.fleet import estimate
from tests.conftest import CHIP, SOURCE

# test-chip: 100 TFLOP/s dense bf16, 500 W, 10,000 USD (tests/conftest.py).
SCENARIO = """
name = "what-if"
title = "Two companies, one allocation"

[companies.Acme]
[companies.Beta]

[[holdings]]
company = "Acme"
chip = "test-chip"
count = 1000
status = "installed"
source = "s"

[[holdings]]
company = "Beta"
chip = "test-chip"
count = { low = 100, central = 200, high = 300, dist = "uniform" }
status = "installed"
source = "s"

[[allocations]]
chip = "test-chip"
total = 1000
status = "approved"
shares = { Acme = 0.6, Beta = 0.4 }
concentration = 20
source = "s"
""" + SOURCE


@pytest.fixture
def cat(spec_dir: Callable[[str, str, str], Path]) -> Catalog:
    spec_dir("chips", "t.toml", CHIP)
    return Catalog([spec_dir("scenarios", "w.toml", SCENARIO)])


def run(cat: Catalog, sets: dict[str, str], **kw: object) -> object:
    c2, s2 = overrides.apply(cat, cat.scenario("what-if"), sets)
    return estimate(s2, samples=4000, seed=3, catalog=c2, **kw)  # type: ignore[arg-type]


def test_company_taken_out_of_an_allocation_leaves_the_others_their_expected_count(cat: Catalog) -> None:
    r = run(cat, {"Acme.test-chip.approved": "600"})
    acme, beta = r.company("Acme").chips, r.company("Beta").chips  # type: ignore[attr-defined]
    assert acme.p5 == acme.p95 == pytest.approx(1000 + 600, rel=1e-12)
    # Beta: its own uniform 100..300 plus the whole remaining allocation, 1000 x 0.4 = 400 exactly
    assert beta.p50 == pytest.approx(400 + 200, rel=0.01)
    assert beta.p5 == pytest.approx(400 + 110, rel=0.01) and beta.p95 == pytest.approx(400 + 290, rel=0.01)


def test_point_on_an_uncertain_input_keeps_the_other_draws(cat: Catalog) -> None:
    base = estimate(cat.scenario("what-if"), samples=3000, seed=5, keep_samples=True, catalog=cat)
    c2, s2 = overrides.apply(cat, cat.scenario("what-if"), {"Beta.test-chip.installed": "200"})
    pinned = estimate(s2, samples=3000, seed=5, keep_samples=True, catalog=c2)
    # Acme's allocation share is drawn after Beta's count: it pairs draw for draw
    assert np.array_equal(base.draws_of("Acme", "chips"), pinned.draws_of("Acme", "chips"))
    # Beta = 200 + (1000 - Acme's share), Acme = 1000 + its share: Beta = 2200 - Acme in every draw
    assert np.allclose(pinned.draws_of("Beta", "chips"), 2200 - pinned.draws_of("Acme", "chips"), rtol=1e-12)


def test_defaults_prices_and_chip_values(cat: Catalog) -> None:
    r = run(cat, {"pue": "1.2", "server_overhead": "1.5", "price.test-chip": "20000 USD",
                  "chip.TC1.bf16": "200 TFLOP/s"}, include="installed")
    acme = r.company("Acme")  # type: ignore[attr-defined]
    assert acme.power.p5 == pytest.approx(1000 * 500 * 1.5 * 1.2 / 1e6, rel=1e-9)  # MW
    assert acme.power.p95 == pytest.approx(acme.power.p5, rel=1e-9)
    assert acme.capex.p50 == pytest.approx(1000 * 20000, rel=1e-12)
    assert acme.peak["bf16"].p50 == pytest.approx(1000 * 200e12, rel=1e-12)
    # copies: the catalog and scenario the overrides started from are unchanged
    assert cat.chip("test-chip").get("price").central.m_as("USD") == 10000  # type: ignore[union-attr]
    assert cat.defaults["pue"].value.central.m_as("") == pytest.approx(1.15)


def test_range_is_a_90_percent_interval(cat: Catalog) -> None:
    r = run(cat, {"utilisation": "0.3..0.5"}, include="installed")
    eff = r.company("Acme").effective  # type: ignore[attr-defined]
    peak = 1000 * 100e12
    assert eff.p5 == pytest.approx(0.3 * peak, rel=0.03) and eff.p95 == pytest.approx(0.5 * peak, rel=0.03)
    assert eff.p50 == pytest.approx((0.15 ** 0.5) * peak, rel=0.02)  # lognormal: the geometric mean


def test_allocation_keys_and_new_lines(cat: Catalog) -> None:
    _, s = overrides.apply(cat, cat.scenario("what-if"), {
        "allocations[0].total": "2000", "allocations[0].shares.acme": "0.5", "allocations[0].concentration": "50",
        "Beta.h100-sxm.installed": "10", "holdings[0]": "1.5k"})
    assert s is not None
    a = s.allocations[0]
    assert (a.total.central, dict(a.shares), a.concentration) == (2000, {"Acme": 0.5, "Beta": 0.5}, 50)
    assert s.holdings[0].count.central == 1500
    assert (s.holdings[-1].company, s.holdings[-1].chip.id, s.holdings[-1].count.central) == ("Beta", "h100-sxm", 10)


def test_overrides_show_as_user_assumptions(cat: Catalog) -> None:
    c2, s2 = overrides.apply(cat, cat.scenario("what-if"), {"pue": "1.3"})
    r = overrides.annotate(estimate(s2, samples=500, catalog=c2), c2)
    first = r.assumptions[0].to_dict()
    assert first["name"] == "user override pue" and first["user_override"] is True and first["value"] == "1.3"
    assert next(a for a in r.assumptions if a.name == "pue").user_override


@pytest.mark.parametrize("key, value, error, match", [
    ("Acme.tst-chip", "5", InputError, r"unknown chip 'tst-chip'.*did you mean 'test-chip'"),
    ("Acm.test-chip", "5", InputError, r"unknown key \(did you mean 'Acme.test-chip.approved', 'Acme.test-chip.installed'"),
    ("Beta.test-chip", "5", InputError, r"holds test-chip as approved, installed; add the status"),
    ("price.test-chip", "20000", UnitsError, r"--set price.test-chip: missing unit: expected USD"),
    ("chip.test-chip.tdp", "3 TB/s", UnitsError, r"--set chip.test-chip.tdp: expected W"),
    ("chip.test-chip.bf61", "1 TFLOP/s", InputError, r"unknown chip field 'bf61' \(did you mean 'bf16'"),
    ("utilisation", "0.5..0.3", InputError, r"--set utilisation: low 0.5 is greater than high 0.3"),
    ("holdings[7]", "5", InputError, r"scenario what-if has 2 holdings \(0..1\)"),
    ("allocations[0].shares.Acme", "0.2..0.4", InputError, r"shares.Acme: expected one number \(a share\), got '0.2..0.4'"),
    ("allocations[0].shares.Gamma", "0.5", InputError, r"unknown company 'Gamma'"),
    ("chip_lifetime", "0", InputError, r"chip_lifetime"),
    ("Acme.test-chip.installed", "many", InputError, r"expected a count like 600000"),
])
def test_bad_keys_and_values_name_the_key(cat: Catalog, key: str, value: str, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        overrides.apply(cat, cat.scenario("what-if"), {key: value})


def test_engine_refuses_a_default_it_does_not_read(cat: Catalog) -> None:
    with pytest.raises(InputError, match=r"`timeline` does not read utilisation; it reads server_overhead, pue"):
        overrides.apply(cat, None, {"utilisation": "0.3"}, engine="timeline")


def test_parse_sets() -> None:
    assert overrides.parse_sets(["pue=1.2", " price.h200 = 25000 USD"]) == {"pue": "1.2", "price.h200": "25000 USD"}
    with pytest.raises(InputError, match=r"--set: expected KEY=VALUE"):
        overrides.parse_sets(["pue"])
    with pytest.raises(InputError, match=r"--set: PUE is set twice"):
        overrides.parse_sets(["pue=1.2", "PUE=1.3"])


USER_DEFAULTS = """
[pue]
value = 1.3
source = "own"
note = "our own facility"

[sources.own]
url = "https://example.org/pue"
title = "Our facility report"
accessed = 2026-12-01
"""


def test_user_defaults_file_replaces_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "defaults.toml").write_text(USER_DEFAULTS)
    d = Catalog([tmp_path]).defaults
    assert d["pue"].value.central.m_as("") == 1.3 and d["pue"].formula.startswith("power =")
    assert d["server_overhead"].value.central.m_as("") == pytest.approx(1.75)  # bundled, untouched
    assert dict(d.overridden) == {"pue": str(tmp_path / "defaults.toml")}
    assert overrides.changes(Catalog([tmp_path]))[0].target == "default pue"


@pytest.mark.parametrize("text, match", [
    ("[peu]\nvalue = 1.3\nsource = 'own'\n", r"defaults.toml: peu: unknown field \(did you mean 'pue'"),
    ("[pue]\nvalue = 1.3\n", r"defaults.toml: pue: no source"),
    ("[chip_lifetime]\nvalue = 4\nsorce = 'own'\n", r"chip_lifetime.sorce: unknown field"),
])
def test_user_defaults_file_is_strict(tmp_path: Path, text: str, match: str) -> None:
    (tmp_path / "defaults.toml").write_text(text + "[sources.own]\nurl = 'https://e.org'\ntitle = 't'\n"
                                            "accessed = 2026-12-01\n")
    with pytest.raises(SpecValidationError, match=match):
        _ = Catalog([tmp_path]).defaults


def test_cli_set_on_estimate(runner: CliRunner, cat: Catalog) -> None:
    specs = str(cat.user_dirs[0])
    res = runner.invoke(cli, ["--specs", specs, "estimate", "--scenario", "what-if", "--include", "installed",
                              "--reference-model", "none", "--samples", "500", "--format", "json",
                              "--set", "pue=1.2", "--set", "server_overhead=1.5"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    acme = next(c for c in doc["companies"] if c["company"] == "Acme")
    assert acme["power"]["p50"] == pytest.approx(0.9, rel=1e-9)  # 1000 x 500 W x 1.5 x 1.2 [MW]
    assert [a["name"] for a in doc["assumptions"] if a.get("user_override")][:2] == \
        ["user override pue", "user override server_overhead"]
    bad = runner.invoke(cli, ["--specs", specs, "estimate", "--scenario", "what-if", "--set", "pu=1.2"])
    assert bad.exit_code == 1 and "--set pu: unknown key (did you mean 'pue'" in bad.output


def test_cli_user_defaults_show_as_overrides(runner: CliRunner, cat: Catalog) -> None:
    specs = cat.user_dirs[0]
    (specs / "defaults.toml").write_text(USER_DEFAULTS)
    res = runner.invoke(cli, ["--specs", str(specs), "estimate", "--scenario", "what-if", "--include", "installed",
                              "--reference-model", "none", "--samples", "200", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    first = doc["assumptions"][0]
    assert first["name"] == f"user override pue ({specs / 'defaults.toml'})" and first["user_override"] is True
    acme = next(c for c in doc["companies"] if c["company"] == "Acme")
    # 1000 x 500 W x server overhead (bundled triangular 1.53..1.75..2.03) x 1.3 [MW]: the median overhead 1.7654
    assert acme["power"]["p50"] == pytest.approx(0.5 * 1.7654 * 1.3, rel=0.01)


def test_chip_lifetime_what_if_shortens_the_fleet() -> None:
    """A shorter chip life retires old fleets sooner: ByteDance's 2022-23 chips count less at end-2027."""
    cat = computecap.default_catalog()
    base = computecap.estimate("china-h200-2026", companies=["ByteDance"], as_of=dt.date(2027, 12, 31),
                               samples=1000, catalog=cat)
    short, _ = overrides.apply(cat, None, {"chip_lifetime": "3"})
    assert short.defaults["chip_lifetime"].value.central.m_as("") == 3
    less = computecap.estimate("china-h200-2026", companies=["ByteDance"], as_of=dt.date(2027, 12, 31),
                               samples=1000, catalog=short)
    assert less.company("ByteDance").metrics["chips"].p50 < 0.8 * base.company("ByteDance").metrics["chips"].p50
