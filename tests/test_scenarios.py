"""Scenario schema: strict keys and types, dated deliveries, and retirement against the lifetime distribution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from computecap.catalog import Catalog, Scenario, default_catalog
from computecap.catalog.scenarios import parse_period
from computecap.core import HoldingLines
from computecap.core.deliveries import (
    DAYS_PER_YEAR,
    delivered_fraction,
    in_service_fraction,
    quarter_ends,
    segment_array,
)
from computecap.errors import InputError, SpecValidationError
from computecap.uncertainty import Distribution
from tests.conftest import CHIP

BASE = """
name = "dated"
title = "Dated deliveries"
as_of = 2026-01-01

[companies.Acme]
owner_type = "cloud"
[companies.Beta]

[[holdings]]
company = "Acme"
chip = "test-chip"
count = 1000
status = "installed"
delivery = { 2026Q1 = 0.5, 2026Q2 = 0.5 }
source = "s"

[[holdings]]
company = "Beta"
chip = "test-chip"
count = 400
status = "installed"
date = 2020-06-30
source = "s"

[[holdings]]
company = "Beta"
chip = "test-chip"
count = 100
status = "grey"
channel = "smuggled"
delivery = "2025"
source = "s"

[[allocations]]
chip = "test-chip"
total = 2000
status = "approved"
delivery = "2026Q3..2026Q4"
delay = { low = "0 day", central = "30 day", high = "180 day" }
shares = { Acme = 0.5, Beta = 0.5 }
concentration = 10
source = "s"

[sources.s]
url = "https://example.org"
title = "Example"
accessed = 2026-12-01
"""


@pytest.fixture
def load(spec_dir: Callable[..., Path]) -> Callable[[str], Scenario]:
    spec_dir("chips", "t.toml", CHIP)

    def make(text: str) -> Scenario:
        d = spec_dir("scenarios", "dated.toml", text)
        return Catalog([d]).scenario("dated")
    return make


def test_periods_are_first_and_last_days() -> None:
    assert parse_period("2026Q1") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert parse_period("2024Q4") == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert parse_period("2025") == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert parse_period("2026Q2..2027Q1") == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert parse_period("2025-07-15..2025Q4") == (dt.date(2025, 7, 15), dt.date(2025, 12, 31))
    for bad in ("2026Q5", "26Q1", "2026Q1..", "2027..2026", "2026-02-30"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_schedule_arithmetic_against_hand_computed_fractions(load: Callable[[str], Scenario]) -> None:
    scen = load(BASE)
    acme = scen.holdings[0]
    assert acme.delivery is not None and acme.date == dt.date(2026, 6, 30)
    seg = segment_array(acme.delivery)
    days = np.array([dt.date(2025, 12, 31), dt.date(2026, 2, 15), dt.date(2026, 3, 31), dt.date(2026, 5, 16),
                     dt.date(2026, 6, 30), dt.date(2030, 1, 1)], dtype="O")
    got = delivered_fraction(seg, np.array([d.toordinal() for d in days], dtype=float))
    # Q1 ramps over the 89 days 1 Jan..31 Mar: 15 Feb is day 45 -> 0.5 x 45/89; Q2 ramps over the 90 days
    # 1 Apr..30 Jun: 16 May is day 45 -> 0.5 + 0.5 x 45/90 = 0.75 (the worked example of specs/README.md).
    np.testing.assert_allclose(got, [0.0, 0.5 * 45 / 89, 0.5, 0.75, 1.0, 1.0], rtol=1e-12)
    # a plain date is a step on that day
    beta = segment_array(scen.holdings[1].delivery)  # type: ignore[arg-type]
    day = dt.date(2020, 6, 30).toordinal()
    np.testing.assert_array_equal(delivered_fraction(beta, np.array([day - 1.0, day, day + 1.0])), [0, 1, 1])


def test_in_service_is_delivered_minus_retired() -> None:
    seg = np.array([[dt.date(2026, 1, 1).toordinal(), dt.date(2026, 3, 31).toordinal(), 0.5],
                    [dt.date(2026, 4, 1).toordinal(), dt.date(2026, 6, 30).toordinal(), 0.5]])
    life = 5.0 * DAYS_PER_YEAR  # 1,826.25 days
    days = np.array([dt.date(2026, 6, 30), dt.date(2031, 4, 1), dt.date(2031, 7, 1)])
    got = in_service_fraction(seg, np.array([d.toordinal() for d in days], dtype=float), 0.0, life)
    np.testing.assert_allclose(got, [1.0, 0.5, 0.0], atol=1e-12)  # the README's worked example
    # a delay of 31 days shifts the ramp: on 31 Mar only (89 - 31) / 89 of the first share has arrived
    late = in_service_fraction(seg, np.array([dt.date(2026, 3, 31).toordinal()], dtype=float), 31.0, None)
    np.testing.assert_allclose(late, [0.5 * (89 - 31) / 89], rtol=1e-12)


def test_quarter_ends() -> None:
    assert quarter_ends("2025Q4", "2026Q2") == [dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30)]
    assert len(quarter_ends("2022Q1", "2027Q4")) == 24
    with pytest.raises(InputError, match="from/to: .*before"):
        quarter_ends("2027Q1", "2026Q1")
    with pytest.raises(InputError, match="from/to: expected a date, quarter or year"):
        quarter_ends("2026Q9", "2027Q1")


def test_sample_at_matches_sample_once_everything_has_arrived(load: Callable[[str], Scenario]) -> None:
    lines = HoldingLines(load(BASE))
    counts = lines.sample(np.random.default_rng(3), 500)
    held = lines.sample_at(np.random.default_rng(3), 500, [dt.date(2027, 12, 31)], retire=False)
    assert held.shape == (len(lines), 1, 500)
    np.testing.assert_array_equal(held[:, 0], counts)


def test_keep_returns_the_same_streams_for_the_kept_lines(load: Callable[[str], Scenario]) -> None:
    lines = HoldingLines(load(BASE))
    dates = [dt.date(2026, 5, 16), dt.date(2031, 4, 1)]
    every = lines.sample_at(np.random.default_rng(5), 300, dates)
    kept = lines.sample_at(np.random.default_rng(5), 300, dates, keep=np.array([4, 0]))
    np.testing.assert_array_equal(kept, every[[4, 0]])


def test_allocation_lines_share_one_delay(load: Callable[[str], Scenario]) -> None:
    lines = HoldingLines(load(BASE))
    held = lines.sample_at(np.random.default_rng(0), 4000, [dt.date(2026, 9, 30)], retire=False)
    alloc = [i for i, ln in enumerate(lines.lines) if ln.status == "approved"]
    frac = held[alloc, 0] / lines.sample(np.random.default_rng(0), 4000)[alloc]
    np.testing.assert_allclose(frac[0], frac[1], rtol=1e-12)
    # 30 Sep with no delay: 91 of the 183 days 1 Jul..31 Dec; the delay (0..30..180 days) can only lower it
    assert frac.max() <= 91 / 183 + 1e-12 and frac.min() < 0.1


def test_retirement_survival_follows_the_lifetime_distribution(load: Callable[[str], Scenario]) -> None:
    life = default_catalog().defaults["chip_lifetime"].distribution
    assert (life.low, life.central, life.high, life.dist) == (3.0, 5.5, 8.0, "triangular")
    lines = HoldingLines(load(BASE))
    beta = next(i for i, ln in enumerate(lines.lines) if ln.company == "Beta" and ln.status == "installed")
    arrived = dt.date(2020, 6, 30)
    ages = (4.0, 5.5, 7.0)
    dates = [arrived + dt.timedelta(days=a * DAYS_PER_YEAR) for a in ages]
    held = lines.sample_at(np.random.default_rng(7), 20_000, dates)[beta]
    # triangular(3, 5.5, 8): P(L > 4) = 1 - 1^2 / (5 x 2.5) = 0.92; P(L > 5.5) = 0.5; P(L > 7) = 1^2 / 12.5 = 0.08
    np.testing.assert_allclose((held == 400).mean(axis=1), [0.92, 0.5, 0.08], atol=0.015)
    assert set(np.unique(held)) <= {0.0, 400.0}
    fixed = lines.sample_at(np.random.default_rng(7), 10, dates, lifetime=Distribution.point(5.0))[beta]
    np.testing.assert_array_equal(fixed[:, 0], [400.0, 0.0, 0.0])


def test_old_files_load_and_date_means_delivered_by_then() -> None:
    from computecap.catalog import default_catalog
    for scen in default_catalog().scenarios():
        for h in scen.holdings:
            if h.date is not None:
                assert h.delivery is not None and h.delivery.complete == h.date


@pytest.mark.parametrize("old, new, match", [
    ("concentration = 10", "concentraton = 10", r"allocations\[0\]\.concentraton: unknown field.*concentration"),
    ('status = "installed"\ndelivery', 'status = "installed"\nstatsu = 1\ndelivery',
     r"holdings\[0\]\.statsu: unknown field.*status"),
    ('title = "Dated deliveries"', 'titel = "x"', r"titel: unknown field.*title"),
    ('owner_type = "cloud"', 'onwer_type = "cloud"', r"companies\.Acme\.onwer_type: unknown field.*owner_type"),
    ("count = 1000", "count = { low = 1, hihg = 2 }", r"holdings\[0\]\.count\.hihg: unknown field.*high"),
    ('accessed = 2026-12-01', 'accessed = 2026-12-01\nurll = "x"', r"sources\.s\.urll: unknown field.*url"),
    ('high = "180 day" }', 'high = "180 day", centre = "1 day" }', r"delay\.centre: unknown field.*central"),
    ('delivery = "2025"', 'delivery = "2025Q5"', r"holdings\[2\]\.delivery: expected a date, quarter or year"),
    ("2026Q2 = 0.5 }", "2026Q2 = 0.4 }", r"holdings\[0\]\.delivery: shares must sum to 1, got 0.9"),
    ('date = 2020-06-30', 'date = 2020-06-30\ndelivery = "2020"', r"holdings\[1\]\.delivery: give either date"),
    ('date = 2020-06-30', 'date = "June 2020"', r"holdings\[1\]\.date: expected a date"),
    ('channel = "smuggled"', 'channel = "boat"', r"holdings\[2\]\.channel: a grey line needs a channel"),
    ('status = "installed"\ndate', 'status = "installed"\nchannel = "smuggled"\ndate',
     r"holdings\[1\]\.channel: only grey lines have a channel"),
    ('high = "180 day" }', 'high = "180 FLOP" }', r"delay\.high: expected a duration"),
    ('central = "30 day"', 'central = "300 day"', r"delay: expected low <= central <= high"),
    ("count = 400", 'count = 400\nassumption = 3', r"holdings\[1\]\.assumption: expected text, got 3"),
    ("status = \"grey\"", "status = \"smuggled\"", r"holdings\[2\]\.status: expected one of .*grey"),
])
def test_strict_keys_and_types(load: Callable[[str], Scenario], old: str, new: str, match: str) -> None:
    assert old in BASE
    with pytest.raises(SpecValidationError, match=match):
        load(BASE.replace(old, new, 1))


def test_delay_without_a_date_is_refused(load: Callable[[str], Scenario]) -> None:
    text = BASE.replace('date = 2020-06-30', 'delay = "30 day"', 1)
    with pytest.raises(SpecValidationError, match=r"holdings\[1\]\.delay: a delay needs a date or delivery"):
        load(text)


def test_grey_and_tenant_fields_are_kept(load: Callable[[str], Scenario]) -> None:
    scen = load(BASE.replace('channel = "smuggled"', 'channel = "smuggled"\ntenant = "Gamma"', 1))
    grey = scen.holdings[2]
    assert (grey.status, grey.channel, grey.tenant) == ("grey", "smuggled", "Gamma")
    assert scen.companies["Acme"].owner_type == "cloud"
    assert scen.allocations[0].delivery is not None and scen.allocations[0].delivery.delay.central == 30.0


def test_china_scenario_matches_the_public_record() -> None:
    """The bundled China scenario against the figures it cites (central values; sources in the file)."""
    from computecap.catalog import default_catalog
    scen = default_catalog().scenario("china-h200-2026")
    lines = HoldingLines(scen)
    central = lines.central()
    by = {(ln.company, ln.chip.id, ln.status): 0.0 for ln in lines.lines}
    for ln, n in zip(lines.lines, central):
        by[(ln.company, ln.chip.id, ln.status)] += float(n)
    # H200 in China by July 2026: under 1% of NVIDIA's $89.0B Data Center revenue, i.e. < 45,000 at $20,000
    shipped = next(a for a in scen.allocations if a.chip.id == "h200-sxm" and a.status == "installed")
    assert shipped.total.high <= 0.01 * 89.0e9 / 20_000 and shipped.delivery is not None
    assert shipped.delivery.complete == dt.date(2026, 7, 26)
    # shipped + still-approved = the approval of 'over 400,000' (Reuters), never double counted
    approved = next(a for a in scen.allocations if a.chip.id == "h200-sxm" and a.status == "approved")
    assert 400_000 <= shipped.total.central + approved.total.central <= 450_000
    assert approved.delivery is not None and approved.delivery.first >= dt.date(2027, 1, 1)
    # ByteDance's 2026 chip purchases within the SCMP's ~RMB100B (~$14B): H200 at the reported $27,000 and
    # the 2026 part of its Ascend order (35% of it) at the catalog's 910C price
    ascend = next(h for h in scen.holdings if h.company == "ByteDance" and h.chip.id == "ascend-910c")
    assert ascend.delivery is not None
    share_2026 = sum(s.share for s in ascend.delivery.segments if s.end.year == 2026)
    h200 = sum(n for (c, chip, _), n in by.items() if c == "ByteDance" and chip == "h200-sxm")
    price = ascend.chip.get("price")
    assert price is not None
    price_910c = price.central.m_as("USD")
    assert h200 * 27_000 + ascend.count.central * share_2026 * price_910c <= 14.0e9
    # the 2026 Ascend deliveries are a modest part of Huawei's planned ~600,000 910C (Bloomberg, Sep 2025)
    assert ascend.count.central * share_2026 <= 0.15 * 600_000
    # no H100 'held overseas' without a source; grey lines are explicit and switchable
    assert all(not (ln.chip.id == "h100-sxm" and ln.status != "grey") for ln in lines.lines)
    assert {(h.channel, h.chip.id) for h in scen.holdings if h.status == "grey"} == {
        ("rented-abroad", "b200-gb200"), ("smuggled", "h100-sxm"), ("smuggled", "b200")}
    assert all(ln.delivery is not None for ln in lines.lines)
