"""Clusters: the chips one job runs on, a chip type and an (uncertain) whole count."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from computecap.catalog import Catalog, Chip, Scenario
from computecap.core.holdings import DEFAULT_INCLUDE, HoldingLines, parse_include
from computecap.core.records import Assumption
from computecap.errors import InputError
from computecap.uncertainty import Distribution


@dataclass(frozen=True)
class Cluster:
    """The chips a run uses: a chip type and an (uncertain) count [chips]."""

    chip: Chip
    count: Distribution
    description: str
    sampler: Callable[[np.random.Generator, int], np.ndarray] | None = None  # fleet mode
    assumptions: tuple[Assumption, ...] = ()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Whole chip counts for ``size`` samples [chips]."""
        if self.sampler is not None:
            return self.sampler(rng, size)
        counts: np.ndarray = np.rint(self.count.sample(rng.random(size)))
        return counts


def whole_count(count: object, argument: str = "count") -> int:
    """A positive whole number of chips; InputError naming ``argument`` otherwise (1.5 is refused)."""
    if isinstance(count, bool) or not isinstance(count, Real):
        raise InputError(f"{argument}: expected a whole number of chips, got {count!r}")
    value = float(count)
    if not math.isfinite(value) or value < 1 or (not isinstance(count, Integral) and not value.is_integer()):
        raise InputError(f"{argument}: expected a whole number of chips (at least 1), got {count!r}")
    return int(value)


def fixed_cluster(chip: Chip, count: int) -> Cluster:
    """``count`` chips of one type (a whole number, at least 1)."""
    if not isinstance(chip, Chip):
        raise TypeError(f"chip: expected a Chip (computecap.chip('H100')), got {type(chip).__name__}")
    n = whole_count(count)
    return Cluster(chip, Distribution.point(float(n)), f"{n:,} x {chip.id}")


def company_cluster(scen: Scenario, company: str, catalog: Catalog, chip: Chip | None = None,
                    cluster_size: int | None = None, include: str | Iterable[str] = DEFAULT_INCLUDE,
                    precision: str = "bf16", as_of: dt.date | None = None) -> Cluster:
    """One homogeneous cluster from a company's holdings: the chosen chip type (default the one
    whose cluster, held chips up to the cap, has the most dense compute at ``precision``), capped at ``cluster_size`` chips
    (default: the sourced ``cluster_chips`` distribution). ``as_of`` counts only what is held by that date."""
    name = scen.company(company)
    inc = parse_include(include)
    when = as_of or dt.date.today()
    lines = HoldingLines(scen)
    mine = np.flatnonzero(lines.select(statuses=inc, companies=[name]))
    dated = any(ln.delivery is not None for ln in lines.lines)
    lifetime = catalog.defaults["chip_lifetime"].distribution

    def held(rng: np.random.Generator, size: int, keep: np.ndarray) -> np.ndarray:
        """Chips of the kept lines in service on ``when`` [chips], (len(keep), size)."""
        if not dated:
            return lines.sample(rng, size, keep=keep)
        return lines.sample_at(rng, size, [when], keep=keep, lifetime=lifetime)[:, 0]

    typical = held(np.random.default_rng(0), 256, mine).mean(axis=1) if len(mine) else np.zeros(0)
    by_chip: dict[str, float] = {}
    for i, n in zip(mine, typical):
        if n > 0:
            cid = lines.lines[i].chip.id
            by_chip[cid] = by_chip.get(cid, 0.0) + float(n)
    if not by_chip:
        raise InputError(f"{name} holds nothing in service on {when} with status {', '.join(inc)} "
                         f"in scenario {scen.name}")
    d = catalog.defaults["cluster_chips"]
    cap = Distribution.point(float(whole_count(cluster_size, "cluster_size"))) if cluster_size else d.distribution
    if chip is None:  # the fastest cluster: held chips up to the cap, times the dense peak
        usable = {cid: min(n, cap.central) * catalog.chip(cid).peak(precision).m_as("FLOP/s")
                  for cid, n in by_chip.items() if precision in catalog.chip(cid).peaks}
        if not usable:
            raise InputError(f"none of {name}'s chips ({', '.join(by_chip)}) has a published {precision} peak")
        chip = catalog.chip(max(usable, key=lambda k: (usable[k], by_chip[k])))  # ties: the larger holding
    elif chip.id not in by_chip:
        raise InputError(f"{name} holds no {chip.id} in service on {when} with status {', '.join(inc)}; "
                         f"it holds {', '.join(by_chip)}")
    idx = np.array([i for i in mine if lines.lines[i].chip.id == chip.id])

    def sampler(rng: np.random.Generator, size: int) -> np.ndarray:
        """Chips of this type the company holds, capped at the cluster size [chips]."""
        total = held(rng, size, idx).sum(axis=0)
        clipped: np.ndarray = np.maximum(np.rint(np.minimum(total, cap.sample(rng.random(size)))), 1.0)
        return clipped

    cap_text = (f"cluster size {cluster_size:,}" if cluster_size
                else f"cluster_chips default ({d.distribution.describe()})")
    srcs = tuple(dict.fromkeys(s for i in idx for s in lines.lines[i].sources))
    assumptions = (Assumption("cluster", f"{name}'s {chip.id} ({', '.join(inc)}; about {by_chip[chip.id]:,.0f} in "
                              f"service on {when}), "
                              f"capped at {cap_text}", "cluster = min(chips held, cluster cap)",
                              srcs + (() if cluster_size else d.value.sources), "" if cluster_size else d.value.note,
                              user_override=bool(cluster_size)),)
    return Cluster(chip, Distribution.point(by_chip[chip.id]), f"{name}: {chip.id} cluster from {scen.name}",
                   sampler, assumptions)
