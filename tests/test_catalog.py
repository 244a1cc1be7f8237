"""Loading and validating spec files: every bundled file loads; every bad input is one clear line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

import computecap
from computecap.catalog import Catalog
from computecap.errors import InputError, SpecNotFoundError, SpecValidationError
from tests.conftest import CHIP


def test_every_bundled_file_loads() -> None:
    cat = Catalog()
    assert len(cat.chips()) >= 36  # 23 before issue 12, plus 13 chips added for 2026
    assert {s.name for s in cat.scenarios()} >= {"china-h200-2026", "us-frontier-2025"}
    assert len(cat.presets()) >= 8
    assert {r.id for r in cat.rule_sets()} >= {"bis-2022-3a090", "bis-2023-3a090", "us-china-2026", "us-tariff-2026"}
    assert cat.defaults["mfu"].value.low.m_as("") == pytest.approx(0.25)


@pytest.mark.parametrize("chip_id", [c.id for c in Catalog().chips()])
def test_every_bundled_value_is_sourced_and_dense(chip_id: str) -> None:
    chip = computecap.chip(chip_id)
    for value in (*chip.peaks.values(), *chip.specs.values()):
        assert value.sources, chip_id
        for s in value.sources:
            assert s.where and s.accessed
    for p in chip.precisions:
        assert chip.peak(p).check("[compute] / [time]")


@pytest.mark.parametrize("name, expected", [
    ("H200", "h200-sxm"), ("h200", "h200-sxm"), ("H100", "h100-sxm"), ("A100-80GB", "a100-80gb"),
    ("910B", "ascend-910b"), ("Ascend 910B", "ascend-910b"), ("GB200", "b200-gb200"), ("B200", "b200"),
    ("ascend_910b", "ascend-910b"),
])
def test_lookup_by_alias_is_case_insensitive(name: str, expected: str) -> None:
    assert computecap.chip(name).id == expected


def test_unknown_chip_suggests() -> None:
    with pytest.raises(SpecNotFoundError, match=r"unknown chip 'H2OO' \(did you mean .*'H200'"):
        computecap.chip("H2OO")


def test_chip_is_frozen() -> None:
    chip = computecap.chip("H200")
    with pytest.raises(AttributeError):
        chip.id = "x"  # type: ignore[misc]


def test_910b_default_is_the_spread_across_variants() -> None:
    v = computecap.chip("910B").peak_spec("fp16")
    assert (v.low.m_as("TFLOP/s"), v.central.m_as("TFLOP/s"), v.high.m_as("TFLOP/s")) == (280, 320, 400)
    assert [computecap.chip(f"910B{i}").peak("fp16").m_as("TFLOP/s") for i in (1, 2, 3, 4)] == [400, 376, 313, 280]


def test_user_chip_goes_through_the_same_loader(user_catalog: Callable[..., Catalog]) -> None:
    cat = user_catalog()
    assert cat.chip("tc1").peak("bf16").m_as("TFLOP/s") == 100
    assert cat.chip("H200").id == "h200-sxm"  # bundled chips are still there


def test_env_var_adds_user_dirs(spec_dir: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    d = spec_dir("chips", "t.toml", CHIP)
    monkeypatch.setenv("COMPUTECAP_SPECS", str(d))
    computecap.set_spec_dirs(())
    assert computecap.chip("test-chip").name == "Test Chip"


QUOTE = """
[[price_quotes]]
value = "27000 USD"
market = "China"
date = 2026-01-15
kind = "deal"
source = "s"
"""

BAD_CHIPS = [
    ("[peak_dense.bf16", "malformed TOML"),
    (CHIP.replace('value = "100 TFLOP/s"', 'value = "4.8 TB/s"'), "peak_dense.bf16: expected FLOP/s, got TB/s"),
    (CHIP.replace('value = "100 TFLOP/s"', "value = 100"), "peak_dense.bf16: missing unit"),
    (CHIP.replace('value = "80 GB"', 'value = "-80 GB"'), "memory: expected a positive value"),
    (CHIP.replace('value = "80 GB"', 'value = "0 GB"'), "memory: expected a positive value"),
    (CHIP.replace('value = "80 GB"', 'value = "nan GB"'), "memory"),
    (CHIP.replace('value = "80 GB"', 'value = "inf GB"'), "memory: expected a finite number"),
    (CHIP.replace('value = "80 GB"\nsource = "s"', 'value = "80 GB"'), "memory: no source"),
    (CHIP.replace('value = "80 GB"\nsource = "s"', 'value = "80 GB"\nsource = "nope"'), "unknown source 'nope'"),
    (CHIP.replace('sparsity = "dense"', 'sparsity = "sparse"'), "peak_dense.bf16.sparsity: expected \"dense\""),
    (CHIP.replace('aliases = ["TC1"]', 'aliases = ["H200"]'), "aliases: 'H200' is already used"),
    (CHIP.replace('id = "test-chip"', 'id = "h20"'), "id: 'h20' is already used"),
    (CHIP.replace("[peak_dense.bf16]", "[peak_dense.bf17]"), "peak_dense.bf17: unknown precision"),
    (CHIP.replace('[memory]\nvalue = "80 GB"', '[memory]\nlow = "90 GB"\nhigh = "80 GB"'), "low 90 GB is greater than high"),
    (CHIP.replace('accessed = 2026-11-28', ''), "sources.s.accessed"),
    (CHIP.replace('vendor = "Example"', 'vendour = "Example"'), "vendour: unknown field"),
    # strict at every nesting level, with a did-you-mean
    (CHIP.replace('value = "80 GB"', 'value = "80 GB"\nconfidance = "high"'), "memory.confidance: unknown field (did you mean 'confidence'"),
    (CHIP.replace('sparsity = "dense"', 'sparsity = "dense"\nqouted = "x"'), "peak_dense.bf16.qouted: unknown field"),
    (CHIP.replace('title = "Example datasheet"', 'title = "Example datasheet"\nurll = "x"'), "sources.s.urll: unknown field"),
    (CHIP.replace('value = "80 GB"', 'value = "80 GB"\nalternatives = [{ value = "81 GB", source = "s", nte = "x" }]'),
     "memory.alternatives[0].nte: unknown field"),
    (CHIP.replace('value = "10000 USD"', 'value = "10000 USD"\nasof = "2024"'), "price.asof: unknown field (did you mean 'as_of'"),
    # types checked, never coerced
    (CHIP.replace('aliases = ["TC1"]', 'aliases = 3'), "aliases: expected a list of names, got 3"),
    (CHIP.replace('vendor = "Example"', 'vendor = "Example"\nlaunch = 2024'), "launch: expected a string, got 2024"),
    (CHIP.replace('value = "80 GB"', 'value = "80 GB"\nnote = 5'), "memory.note: expected a string, got 5"),
    (CHIP.replace('vendor = "Example"', 'vendor = "Example"\ndatacenter = "yes"'), "datacenter: expected true or false, got 'yes'"),
    # a precision the chip lacks is absent, never 0
    (CHIP.replace('value = "100 TFLOP/s"', 'value = "0 TFLOP/s"'), "peak_dense.bf16: expected a positive value"),
    # price quotes
    (CHIP + QUOTE.replace('market = "China"', 'market = "Mars"'), "price_quotes[0].market: expected one of US, China, Europe, global, got 'Mars'"),
    (CHIP + QUOTE.replace('kind = "deal"', 'kind = "rumour"'), "price_quotes[0].kind: expected one of deal, list, estimate"),
    (CHIP + QUOTE.replace('date = 2026-01-15', 'date = "Jan 2026"'), "price_quotes[0].date: expected a date like 2026-01-15"),
    (CHIP + QUOTE.replace('date = 2026-01-15', 'date = "2026-13"'), "price_quotes[0].date"),
    (CHIP + QUOTE.replace('date = 2026-01-15\n', ''), "price_quotes[0].date: missing"),
    (CHIP + QUOTE.replace('value = "27000 USD"', 'value = "27000 TB/s"'), "price_quotes[0]: expected USD"),
    (CHIP + QUOTE.replace('kind = "deal"', 'kind = "deal"\nsorce = "s"'), "price_quotes[0].sorce: unknown field (did you mean 'source'"),
]


@pytest.mark.parametrize("text, message", BAD_CHIPS)
def test_bad_chip_file_is_one_clear_line(user_catalog: Callable[..., Catalog], text: str, message: str) -> None:
    cat = user_catalog(text=text)
    with pytest.raises(SpecValidationError) as exc:
        cat.chips()
    msg = str(exc.value)
    assert "test.toml" in msg and message in msg and "\n" not in msg


QUOTES = QUOTE + """
[[price_quotes]]
value = "33000 USD"
market = "US"
date = "2024-03"
kind = "list"
source = "s"

[[price_quotes]]
value = "39000 USD"
market = "US"
date = 2025-01-31
kind = "list"
source = "s"

[[price_quotes]]
low = "30000 USD"
high = "40000 USD"
market = "US"
date = 2025-01-31
kind = "estimate"
source = "s"

[[price_quotes]]
value = "20000 USD"
market = "China"
date = 2026-01-15
kind = "estimate"
source = "s"
"""


@pytest.mark.parametrize("market, as_of, expected, label", [
    (None, None, 10_000, ""),                                  # the default `price`
    ("China", None, 27_000, "China deal, 2026-01-15"),         # latest China quote; same-date deal beats estimate
    ("US", None, 39_000, "US list, 2025-01-31"),               # latest US quote; same-date list beats estimate
    ("US", dt.date(2024, 12, 31), 33_000, "US list, 2024-03"),  # latest on or before as_of ("2024-03" = 1 March)
    ("US", dt.date(2024, 3, 1), 33_000, "US list, 2024-03"),
    ("US", dt.date(2024, 2, 29), 10_000, ""),                  # nothing that early: the default
    ("Europe", None, 10_000, ""),                              # no quote in that market: the default
    (None, dt.date(2025, 6, 1), 39_000, "US list, 2025-01-31"),  # any market, latest by date
])
def test_price_for_picks_the_most_relevant_quote(user_catalog: Callable[..., Catalog], market: str | None,
                                                 as_of: dt.date | None, expected: float, label: str) -> None:
    chip = user_catalog(text=CHIP + QUOTES).chip("test-chip")
    price = chip.price_for(market, as_of)
    assert price is not None and price.central.m_as("USD") == expected
    assert price.note.startswith(label)


def test_price_for_without_any_price_is_none(user_catalog: Callable[..., Catalog]) -> None:
    text = CHIP.replace('[price]\nvalue = "10000 USD"\nsource = "s"\n', "")
    chip = user_catalog(text=text).chip("test-chip")
    assert chip.price_for() is None and chip.price_for("US", dt.date(2026, 1, 1)) is None


def test_price_for_checks_its_arguments() -> None:
    h200 = computecap.chip("H200")
    with pytest.raises(InputError, match="market: expected one of US, China, Europe, global, got 'CN'"):
        h200.price_for("CN")
    with pytest.raises(InputError, match="as_of: expected a date"):
        h200.price_for("US", "2026-01-01")  # type: ignore[arg-type]


def test_bundled_h200_prices_by_market_and_date() -> None:
    h200 = computecap.chip("H200")  # Reuters via lowyat (China, Jan 2026); Epoch price data (US listings)
    assert h200.price_for("China", dt.date(2026, 3, 1)).central.m_as("USD") == 27_000
    assert h200.price_for("US", dt.date(2024, 12, 31)).central.m_as("USD") == 33_821
    assert h200.price_for("China", dt.date(2025, 12, 31)) == h200.get("price")  # no China quote yet: the default


def test_every_bundled_chip_with_a_price_quote_cites_it() -> None:
    for chip in Catalog().chips():
        for q in chip.price_quotes:
            assert q.value.sources and q.kind in ("deal", "list", "estimate"), chip.id
