"""The bundled US scenario (us-frontier-2025) against the figures it was built from and public statements.

Reference values, by where they come from:
- Epoch AI, AI Chip Owners data (github.com/epoch-research/ai-chip-counts, commit d1b1bc3): the sum of the
  H100e medians, rows "<Owner> <chip> cumulative through Q4 2025" of owners_csv_export/*_cumulative_by_chip.csv,
  over the chip classes the scenario includes (it leaves out MI350X, Trainium1 and TPU v4i, which have no
  catalog chip). The scenario is built from these rows, so this checks the chip mapping and the sampling, not
  the data; the company statements below are the independent checks.
- Company statements cited in the scenario file (Zuckerberg, Musk via Epoch's compilation, AWS, Microsoft).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import computecap
from computecap.catalog.scenarios import Holding, Scenario

END_2025 = dt.date(2025, 12, 31)
SAMPLES = 2000

# Epoch AI H100e medians at end-2025, summed over the included chip classes (see the module docstring).
EPOCH_H100E = {
    # A100 71,586 + H100/H200 1,093,460 + B200 1,160,893 + B300 818,295 + MI300X 164,927 + MI325X 28,117
    # + MI355X 28,852
    "Microsoft": 3_366_130,
    # 37,505 + 594,470 + 703,618 + 504,337 + MI300X 275,352 + MI325X 51,836 + MI355X 53,666
    "Meta": 2_220_784,
    # 9,113 + 284,484 + 424,452 + 311,577 + MI300X 68,714 + MI325X 12,641 + MI355X 12,763
    "Oracle": 1_123_744,
    # H100/H200 301,187 + B200 262,506 + B300 267,637 (Epoch's CoreWeave model)
    "CoreWeave": 831_330,
    # "Colossus 1+2 2025" row of data_inputs/named_other_owners_cumulative_totals.csv
    "xAI": 553_714,
    # NVIDIA 27,260 + 423,372 + 467,026 + 312,694; TPU v4 36,407 + v5e 474,983 + v5p 311,807 + v6e 2,290,602
    # + v7 686,694
    "Google": 5_030_845,
    # NVIDIA 27,246 + 451,830 + 566,887 + 376,781; Trainium2 919,135 (Epoch counts it at ~650 TFLOP/s, the
    # catalog at AWS's 667: +3% on that line)
    "Amazon": 2_341_879,
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return computecap.load_scenario("us-frontier-2025")


@pytest.fixture(scope="module")
def end_2025() -> dict[str, Any]:
    result = computecap.estimate("us-frontier-2025", include="installed", as_of=END_2025, samples=SAMPLES, seed=1)
    return {c["company"]: c for c in result.to_dict()["companies"]}


def delivered(h: Holding, day: dt.date) -> float:
    """Central count of a line in service by ``day`` (each delivery segment arrives evenly; no retirement)."""
    assert h.delivery is not None
    done = 0.0
    for s in h.delivery.segments:
        span = (s.end - s.start).days + 1
        done += s.share * min(max((day - s.start).days + 1, 0), span) / span
    return h.count.central * done


@pytest.mark.parametrize("company", sorted(EPOCH_H100E))
def test_h100e_matches_epoch_owner_estimates(end_2025: dict[str, Any], company: str) -> None:
    # Sum of medians vs the median of a sum of lognormal lines: agree within 10%.
    assert end_2025[company]["h100e"]["p50"] == pytest.approx(EPOCH_H100E[company], rel=0.10)


def test_meta_gpu_count_agrees_with_zuckerberg(end_2025: dict[str, Any]) -> None:
    # Zuckerberg (24 Jan 2025): "end the year with more than 1.3 million GPUs". Epoch's classes (with the 32k
    # MI350X left out here) give ~1.46M; the p50 must exceed 1.3M and stay within +25% of it.
    chips = end_2025["Meta"]["chips"]["p50"]
    assert 1.3e6 < chips < 1.3e6 * 1.25


@pytest.mark.parametrize(("day", "gpus"), [
    (dt.date(2024, 9, 2), 100_000),     # Musk: "Colossus 100K H100 training cluster online"
    (dt.date(2025, 2, 17), 200_000),    # 150k H100 + 50k H200 online (company disclosure, per Epoch)
    (dt.date(2025, 7, 31), 230_000),    # + 30k GB200 at Colossus 1 (22 Jul 2025)
    (dt.date(2025, 9, 30), 340_000),    # + 110k GB200 delivered to Colossus 2 by September 2025
])
def test_xai_deliveries_follow_its_statements(scenario: Scenario, day: dt.date, gpus: int) -> None:
    lines = [h for h in scenario.holdings if h.company == "xAI" and h.status == "installed"]
    assert sum(delivered(h, day) for h in lines) == pytest.approx(gpus, rel=0.02)


def test_xai_colossus2_gb200_is_delivered_in_2025_not_ordered(scenario: Scenario) -> None:
    gb200 = [h for h in scenario.holdings if h.company == "xAI" and h.chip.id == "b200-gb200"]
    in_2025 = sum(h.count.central for h in gb200 if h.status == "installed" and h.date and h.date <= END_2025)
    assert in_2025 == 140_000


def test_coreweave_end_2024_agrees_with_its_prospectus(scenario: Scenario) -> None:
    # Prospectus: more than 250,000 GPUs at end-2024, all kinds (A100s and older included); Epoch's Hopper
    # deliveries to then are ~239k, so the modelled Hopper stock must lie within 20% of 250k.
    lines = [h for h in scenario.holdings if h.company == "CoreWeave"]
    assert sum(delivered(h, dt.date(2024, 12, 31)) for h in lines) == pytest.approx(250_000, rel=0.20)


def test_owners_not_tenants_hold_the_chips(scenario: Scenario) -> None:
    # OpenAI owned no accelerators at end-2025: its capacity is counted once, under its landlords.
    assert not [h for h in scenario.holdings if h.company == "OpenAI"]
    tenants = {(h.company, h.tenant) for h in scenario.holdings if h.tenant}
    assert {("Microsoft", "OpenAI"), ("Oracle", "OpenAI"), ("Amazon", "OpenAI"), ("Amazon", "Anthropic")} <= tenants
    assert all(owner != tenant for owner, tenant in tenants)
    azure = [h for h in scenario.holdings if h.tenant == "OpenAI" and h.company == "Microsoft"]
    assert [(h.chip.id, h.count.central) for h in azure] == [("gb300", 4608)]   # Azure's first GB300 cluster


def test_every_line_is_dated_and_sourced(scenario: Scenario) -> None:
    for h in scenario.holdings:
        assert h.delivery is not None, (h.company, h.chip.id)
        assert h.sources and all(s.url and s.accessed for s in h.sources), (h.company, h.chip.id)
        if h.status == "installed":
            assert h.delivery.complete <= END_2025, (h.company, h.chip.id)
        else:
            assert h.status == "ordered" and h.delivery.first >= dt.date(2026, 1, 1), (h.company, h.chip.id)


def test_ordered_lines_are_counted_only_when_asked(end_2025: dict[str, Any]) -> None:
    everything = computecap.estimate("us-frontier-2025", include="all", companies=["xAI"], samples=SAMPLES, seed=1)
    xai_all = everything.to_dict()["companies"][0]["chips"]["p50"]
    # Colossus 2's 2026 remainder (~110k GB200 + ~330k GB300, Epoch's split of Musk's 550k) comes on top.
    assert xai_all - end_2025["xAI"]["chips"]["p50"] == pytest.approx(440_000, rel=0.10)


def test_amazon_trainium2_matches_aws_and_epoch(scenario: Scenario) -> None:
    trn2 = [h for h in scenario.holdings if h.company == "Amazon" and h.chip.id == "aws-trainium2"]
    # Epoch: 1.40M Trainium2 owned by Amazon at end-2025; AWS: Anthropic on "more than one million" by end-2025.
    assert sum(h.count.central for h in trn2) == pytest.approx(1_400_000, rel=0.01)
    assert [h.count.central for h in trn2 if h.tenant == "Anthropic"] == [1_000_000]


def test_google_tpus_dominate_its_compute(end_2025: dict[str, Any]) -> None:
    # Epoch: Google holds ~5M H100e, "primarily from its own custom TPU chips" (~75%); its NVIDIA part is
    # 1.23M H100e (see EPOCH_H100E), so TPUs must be at least 70% of the total.
    google = end_2025["Google"]["h100e"]["p50"]
    assert (google - 1_230_352) / google > 0.70


def test_anthropic_owns_only_its_2026_tpu_order(scenario: Scenario) -> None:
    owned = [h for h in scenario.holdings if h.company == "Anthropic"]
    assert [(h.chip.id, h.status) for h in owned] == [("google-tpu7x", "ordered")]
    # $21B of Ironwood racks at ~$25k-50k per chip: 420k-840k chips.
    assert (owned[0].count.low, owned[0].count.high) == (420_000, 840_000)
