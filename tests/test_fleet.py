"""The estimate engine against hand-computed fleets, and its sampling, filters and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest

import computecap
from computecap.catalog import Catalog
from computecap.errors import InputError, SpecNotFoundError, SpecValidationError
from computecap.fleet import estimate
from tests.conftest import CHIP

SCENARIO = """
name = "hand"
title = "Hand-computed fleet"
as_of = 2026-01-01

[companies.Acme]
aliases = ["ACME Corp"]
[companies.Beta]

[[holdings]]
company = "Acme"
chip = "h200"
count = 1000
status = "installed"
date = 2025-06-30
source = "s"

[[holdings]]
company = "Acme"
chip = "h20"
count = 500
status = "installed"
date = 2024-12-31
source = "s"

[[holdings]]
company = "Beta"
chip = "test-chip"
count = { low = 100, central = 200, high = 300, dist = "uniform" }
status = "pending"
date = 2026-06-30
source = "s"

[[allocations]]
chip = "test-chip"
total = 400000
status = "approved"
date = 2026-01-28
shares = { Acme = 0.5, Beta = 0.5 }
concentration = 10
source = "s"
assumption = "an even split, sampled"

[sources.s]
url = "https://example.org"
title = "Example"
accessed = 2026-11-28
"""


@pytest.fixture
def cat(spec_dir: Callable[..., object]) -> Catalog:
    spec_dir("chips", "t.toml", CHIP)
    d = spec_dir("scenarios", "hand.toml", SCENARIO)
    return Catalog([d])  # type: ignore[list-item]


def test_fixed_counts_match_hand_arithmetic(cat: Catalog) -> None:
    r = estimate("hand", include=("installed",), samples=2000, seed=1, catalog=cat)
    acme = r.company("Acme")
    # 1000 x 989.5 + 500 x 148 TFLOP/s
    assert acme.peak["bf16"].p50 == pytest.approx(1000 * 989.5e12 + 500 * 148e12, rel=1e-12)
    assert acme.peak["bf16"].p5 == acme.peak["bf16"].p95
    # H100e on the BF16 basis: 1000 + 500 x 148 / 989.5
    assert acme.h100e.p50 == pytest.approx(1000 + 500 * 148 / 989.5, rel=1e-12)
    assert acme.memory.p50 == pytest.approx(1000 * 141 + 500 * 96, rel=1e-12)           # GB
    assert acme.memory_bandwidth.p50 == pytest.approx(1000 * 4.8 + 500 * 4.0, rel=1e-12)  # TB/s
    assert acme.chips.p50 == 1500
    assert [c.name for c in r.companies] == ["Acme"]  # Beta holds nothing installed


def test_power_is_tdp_times_overhead_times_pue(cat: Catalog) -> None:
    r = estimate("hand", include=("installed",), samples=200_000, seed=2, catalog=cat)
    tdp_w = 1000 * 700 + 500 * 400
    # independent triangular factors: E[overhead] x E[PUE] (specs/defaults.toml)
    mean_factor = (1.53 + 1.75 + 2.03) / 3 * (1.08 + 1.15 + 1.56) / 3
    assert r.company("Acme").power.mean == pytest.approx(tdp_w * mean_factor / 1e6, rel=5e-3)
    assert r.company("Acme").energy_per_year.mean == pytest.approx(r.company("Acme").power.mean * 8766 / 1e3, rel=1e-9)


def test_effective_is_peak_times_utilisation(cat: Catalog) -> None:
    r = estimate("hand", include=("installed",), samples=100_000, seed=3, catalog=cat)
    acme = r.company("Acme")
    # utilisation default: lognormal with 90% interval 0.19..0.41 -> median sqrt(0.19 x 0.41)
    assert acme.effective.p50 / acme.peak["bf16"].p50 == pytest.approx(np.sqrt(0.19 * 0.41), rel=0.01)
    assert acme.effective.p5 / acme.peak["bf16"].p50 == pytest.approx(0.19, rel=0.02)


def test_allocation_split_sums_to_total(cat: Catalog) -> None:
    r = estimate("hand", include=("approved",), samples=5000, seed=4, catalog=cat)
    assert r.total.chips.p5 == pytest.approx(400_000) and r.total.chips.p95 == pytest.approx(400_000)
    a, b = r.company("Acme").chips, r.company("Beta").chips
    assert a.mean + b.mean == pytest.approx(400_000, rel=1e-9)
    assert a.p5 < 200_000 < a.p95   # the split is uncertain ...
    assert a.mean == pytest.approx(200_000, rel=0.01)  # ... around the expected share
    # capex at the fixed 10,000 USD price of the test chip
    assert r.total.capex.p50 == pytest.approx(400_000 * 10_000, rel=1e-9)


def test_uniform_count_percentiles(cat: Catalog) -> None:
    r = estimate("hand", include=("pending",), samples=100_000, seed=5, catalog=cat)
    c = r.company("Beta").chips
    assert (c.p5, c.p50, c.p95) == pytest.approx((110, 200, 290), rel=0.01)


def test_same_seed_same_result(cat: Catalog) -> None:
    a = estimate("hand", include=("all",), samples=3000, seed=7, catalog=cat)
    b = estimate("hand", include=("all",), samples=3000, seed=7, catalog=cat)
    c = estimate("hand", include=("all",), samples=3000, seed=8, catalog=cat)
    assert a.total.metrics == b.total.metrics
    assert a.total.metrics != c.total.metrics


def test_chunked_run_agrees_with_single_chunk(cat: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    import computecap.uncertainty as unc
    monkeypatch.setattr(unc, "CHUNK", 4_096)  # small chunks, so the test stays fast
    small = estimate("hand", include=("all",), samples=unc.CHUNK, seed=9, catalog=cat)
    big = estimate("hand", include=("all",), samples=3 * unc.CHUNK + 17, seed=9, catalog=cat)
    for key in ("chips", "power", "capex"):
        s, b = small.total.metrics[key], big.total.metrics[key]
        assert b.p50 == pytest.approx(s.p50, rel=0.01) and b.p95 == pytest.approx(s.p95, rel=0.01)


def test_filters(cat: Catalog) -> None:
    base = estimate("hand", samples=1000, catalog=cat)
    assert base.include == ("installed", "approved")
    everything = estimate("hand", include=("all",), samples=1000, catalog=cat)
    assert everything.total.chips.p50 > base.total.chips.p50
    early = estimate("hand", include=("all",), as_of=dt.date(2025, 1, 1), samples=1000, catalog=cat)
    assert early.total.chips.p50 == 500  # only the H20 dated 2024-12-31
    only = estimate("hand", companies=["acme corp"], samples=1000, catalog=cat)
    assert [c.name for c in only.companies] == ["Acme"]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"samples": 0}, InputError, "samples: expected a positive integer"),
    ({"seed": -1}, InputError, "seed"),
    ({"include": ("shipped",)}, InputError, "unknown status 'shipped'"),
    ({"precision": "fp99"}, InputError, "precision"),
    ({"h100e_basis": "watts"}, InputError, "h100e_basis"),
    ({"companies": ["Acne"]}, SpecNotFoundError, "did you mean 'Acme'"),
    ({"precision": "fp4"}, InputError, "no chip in scenario hand has it"),
])
def test_bad_arguments(cat: Catalog, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        estimate("hand", catalog=cat, **kwargs)


BAD_SCENARIOS = [
    (SCENARIO.replace("count = 1000", "count = -5"), "holdings[0].count: expected a positive count"),
    (SCENARIO.replace("count = 1000", "count = 10.5e"), "malformed TOML"),
    (SCENARIO.replace("low = 100, central = 200, high = 300", "low = 300, high = 100"), "low 300 is greater than high 100"),
    (SCENARIO.replace("Acme = 0.5, Beta = 0.5", "Acme = 0.5, Beta = 0.6"), "shares must sum to 1"),
    (SCENARIO.replace("date = 2025-06-30", 'date = "June 2025"'), "holdings[0].date: expected a date"),
    (SCENARIO.replace('chip = "h20"', 'chip = "h2O"'), "holdings[1].chip: unknown chip 'h2O'"),
    (SCENARIO.replace('status = "installed"', 'status = "shipped"', 1), "holdings[0].status: expected one of"),
    (SCENARIO.replace('company = "Acme"', 'company = "Gamma"', 1), "company 'Gamma' is not listed"),
    (SCENARIO.replace('source = "s"', "", 1), "holdings[0]: no source"),
]


@pytest.mark.parametrize("text, message", BAD_SCENARIOS)
def test_bad_scenario_files(spec_dir: Callable[..., object], text: str, message: str) -> None:
    spec_dir("chips", "t.toml", CHIP)
    d = spec_dir("scenarios", "bad.toml", text)
    with pytest.raises(SpecValidationError) as exc:
        Catalog([d]).scenario("hand")  # type: ignore[list-item]
    assert message in str(exc.value) and "bad.toml" in str(exc.value)


def test_default_scenario_first_batch_is_about_400k() -> None:
    """The approved H200 counted equal the scenario's approved totals (the seed article's ~400k)."""
    scen = computecap.load_scenario("china-h200-2026")
    approved = [a for a in scen.allocations if a.status == "approved"] + [
        h for h in scen.holdings if h.status == "approved"]
    low = sum(getattr(x, "total", getattr(x, "count", None)).low for x in approved)
    high = sum(getattr(x, "total", getattr(x, "count", None)).high for x in approved)
    r = computecap.estimate(include=("approved",), samples=20_000, seed=0, as_of=dt.date(2026, 1, 1),
                            undelivered=True)  # none of it delivered then: all still to come
    h200 = r.total.chips
    assert {c.name for c in r.companies} == {"ByteDance", "Alibaba", "Tencent"}
    assert 350_000 <= low and high <= 450_000  # "about 400,000" (seed article)
    assert low <= h200.p5 and h200.p95 <= high
    assert r.total.h100e.p50 == pytest.approx(h200.p50, rel=1e-9)  # H200 = H100 in dense BF16


def test_unpublished_values_are_left_out_and_named_never_zero(spec_dir: Callable[[str, str, str], object]) -> None:
    """A chip with no price, TDP or FP8 peak: capex, power and fp8 leave it out, say so, and are
    null where no chip of the group publishes the value."""
    bare = CHIP.replace('id = "test-chip"', 'id = "bare-chip"').replace('aliases = ["TC1"]', "aliases = []")
    bare = bare.replace('[tdp]\nvalue = "500 W"\nsource = "s"\n', "").replace(
        '[price]\nvalue = "10000 USD"\nsource = "s"\n', "")
    spec_dir("chips", "bare.toml", bare)
    root = spec_dir("scenarios", "s.toml", """
        name = "gaps"
        [companies.A]
        [companies.B]
        [[holdings]]
        company = "A"
        chip = "bare-chip"
        count = 10
        status = "installed"
        source = "s"
        [[holdings]]
        company = "B"
        chip = "h100"
        count = 10
        status = "installed"
        source = "s"
        [sources.s]
        url = "https://example.org"
        title = "t"
        accessed = 2026-11-28
        """)
    r = estimate("gaps", samples=200, catalog=Catalog([root]), precision="bf16")
    a, total = r.company("A"), r.total
    assert a.metrics["capex"] is None and a.metrics["power"] is None and a.peak["fp8"] is None
    assert a.excludes["capex"] == ("bare-chip",) and a.excludes["peak_fp8"] == ("bare-chip",)
    # the total counts the H100 SXM alone: 10 x its dense FP8 peak
    assert total.peak["fp8"].p50 == pytest.approx(10 * computecap.chip("h100").peak("fp8").m_as("FLOP/s"))
    assert total.excludes["capex"] == ("bare-chip",)
    doc = r.to_dict()
    assert doc["companies"][0]["capex"] == {"value": None, "reason": "not published for any chip here: bare-chip"}
    assert doc["total"]["capex"]["excludes"] == ["bare-chip"]



def test_rows_by_country_owner_type_and_chip_group() -> None:
    """Grouped rows sum exactly the holdings of their members (same seed, same draws)."""
    by_company = computecap.estimate("us-frontier-2025", samples=400, seed=3, keep_samples=True)
    by_owner = computecap.estimate("us-frontier-2025", samples=400, seed=3, by="owner-type", keep_samples=True)
    scen = computecap.load_scenario("us-frontier-2025")
    hyperscalers = [c.name for c in by_company.companies if scen.companies[c.name].owner_type == "hyperscaler"]
    summed = sum(by_company.draws_of(c, "h100e") for c in hyperscalers)
    assert np.allclose(by_owner.draws_of("hyperscaler", "h100e"), summed, rtol=1e-9)
    country = computecap.estimate("us-frontier-2025", samples=400, seed=3, by="country")
    assert [c.name for c in country.companies] == ["US"]
    a, b = country.total.metrics["chips"], by_company.total.metrics["chips"]
    assert a is not None and b is not None and a.p5 == pytest.approx(b.p5, rel=1e-12)  # summation order only
    groups = {"h20": "H20 class"}
    china = computecap.estimate(samples=400, seed=3, by="chip-group", chip_groups=groups)
    assert {c.name for c in china.companies} == {"H20 class", "unknown"}
    with pytest.raises(InputError, match="chip_groups"):
        computecap.estimate(samples=100, by="chip-group")
    with pytest.raises(InputError, match="by: expected one of company, country"):
        computecap.estimate(samples=100, by="continent")
