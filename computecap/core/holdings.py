"""Holding lines: every count stream of a scenario, and the one sampler that draws them.

A line is a holding, or one company's share of an allocation. Allocation shares are drawn
jointly from one Dirichlet (gamma variates normalised), so they always sum to the drawn
total. Only uncertain inputs consume random numbers: a fixed count draws nothing, so every
filter on the same scenario and seed sees the same streams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from computecap.catalog import Chip, Scenario, default_catalog
from computecap.catalog.scenarios import STATUSES, Delivery
from computecap.catalog.values import Source
from computecap.core.deliveries import DAYS_PER_YEAR, day_numbers, in_service_fraction, segment_array
from computecap.errors import InputError
from computecap.uncertainty import Distribution, RowSampler

#: Statuses counted unless the caller says otherwise.
DEFAULT_INCLUDE = ("installed", "approved")


@dataclass(frozen=True)
class Line:
    """One sampled count stream: a holding, or one company's share of an allocation."""

    company: str
    chip: Chip
    status: str
    date: dt.date | None
    sources: tuple[Source, ...]
    assumption: str
    origin: str
    delivery: Delivery | None = None  # when the chips arrive; None = undated (always in service)


@dataclass(frozen=True)
class _Group:
    """An allocation: its total, the lines of its shares, and the Dirichlet parameters."""

    total: Distribution
    index: np.ndarray  # line indices [1]
    alpha: np.ndarray  # expected share x concentration [1]


class HoldingLines:
    """The lines of a scenario in a fixed order, with their joint count sampler."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        lines: list[Line] = [Line(h.company, h.chip, h.status, h.date, h.sources, h.assumption, "holding",
                                  h.delivery) for h in scenario.holdings]
        self._counts = [h.count for h in scenario.holdings]
        self._uncertain_mask = np.array([d.is_uncertain for d in self._counts], dtype=bool)
        self._uncertain = np.flatnonzero(self._uncertain_mask)
        self._uncertain_sampler = RowSampler([self._counts[j] for j in self._uncertain])
        self._centrals = np.array([d.central for d in self._counts], dtype=float)
        groups = []
        for a in scenario.allocations:
            idx = np.arange(len(lines), len(lines) + len(a.shares))
            lines += [Line(c, a.chip, a.status, a.date, a.sources, a.assumption, a.label, a.delivery)
                      for c in a.shares]
            groups.append(_Group(a.total, idx, np.array(list(a.shares.values()), dtype=float) * a.concentration))
        self.lines: tuple[Line, ...] = tuple(lines)
        self._groups = tuple(groups)

    def __len__(self) -> int:
        return len(self.lines)

    def central(self) -> np.ndarray:
        """Central count of every line [chips]: holdings' central values, totals x expected shares."""
        out = np.array([c.central for c in self._counts] + [0.0] * (len(self.lines) - len(self._counts)))
        for g in self._groups:
            out[g.index] = g.total.central * g.alpha / g.alpha.sum()
        return out

    def sample(self, rng: np.random.Generator, size: int, keep: np.ndarray | None = None) -> np.ndarray:
        """Counts for ``size`` samples: (n_lines, size) [chips], or only the lines ``keep`` (indices,
        in that order). Every line's random numbers are drawn either way, so a filter never
        shifts another line's stream."""
        rows = np.arange(len(self.lines)) if keep is None else np.asarray(keep)
        slot = np.full(len(self.lines), -1)
        slot[rows] = np.arange(len(rows))
        out = np.empty((len(rows), size))
        n_hold = len(self._counts)
        mine = slot[:n_hold]
        kept_fixed = np.flatnonzero((mine >= 0) & ~self._uncertain_mask)
        out[mine[kept_fixed]] = self._centrals[kept_fixed, None]
        if len(self._uncertain):  # one block of uniforms: the same stream as one draw per holding
            values = self._uncertain_sampler.sample(rng.random((len(self._uncertain), size)))
            kept = mine[self._uncertain] >= 0
            out[mine[self._uncertain][kept]] = values[kept]
        for g in self._groups:
            total = g.total.sample(rng.random(size)) if g.total.is_uncertain else g.total.central
            mine = slot[g.index]
            if len(g.index) == 1:
                if mine[0] >= 0:
                    out[mine[0]] = total
                continue
            gam = rng.standard_gamma(g.alpha[:, None], size=(len(g.index), size))
            scale = total / gam.sum(axis=0)
            for k in np.flatnonzero(mine >= 0):
                out[mine[k]] = gam[k] * scale
        return out

    def sample_at(self, rng: np.random.Generator, size: int, dates: Iterable[dt.date], *, retire: bool = True,
                  lifetime: Distribution | None = None, keep: np.ndarray | None = None) -> np.ndarray:
        """Chips in service on each of ``dates``: delivered (after any delay) minus retired [chips].

        Returns (n_lines, n_dates, size), or only the lines ``keep`` (indices, in that order).
        Counts are drawn first, exactly as ``sample`` draws them; then one delay per uncertain
        delivery (shared by an allocation's lines) and one lifetime per sample for the whole
        scenario (``lifetime`` [years], default the sourced ``chip_lifetime``). Every delay and the
        lifetime are drawn whatever ``keep`` and ``retire`` say, so neither changes another stream.
        Undated lines are in service on every date and never retire.
        """
        days = day_numbers(dates)[:, None]
        rows = np.arange(len(self.lines)) if keep is None else np.asarray(keep)
        counts = self.sample(rng, size, rows)
        delays: dict[int, np.ndarray | float] = {}
        for ln in self.lines:
            d = ln.delivery
            if d is not None and id(d) not in delays:
                delays[id(d)] = d.delay.sample(rng.random(size)) if d.delay.is_uncertain else d.delay.central
        life: np.ndarray | float | None = None
        if delays:  # drawn even when not retiring, so the switch leaves every other stream unchanged
            dist = lifetime or default_catalog().defaults["chip_lifetime"].distribution
            drawn = (dist.sample(rng.random(size)) if dist.is_uncertain else dist.central) * DAYS_PER_YEAR
            life = drawn if retire else None
        out = np.repeat(counts[:, None, :], len(days), axis=1)
        for k, j in enumerate(rows):
            d = self.lines[j].delivery
            if d is not None:
                out[k] *= in_service_fraction(segment_array(d), days, delays[id(d)], life)
        return out

    def select(self, *, statuses: Iterable[str], as_of: dt.date | None = None,
               companies: Iterable[str] | None = None) -> np.ndarray:
        """Boolean mask of the lines counted under these filters (undated lines always count)."""
        inc, names = set(statuses), None if companies is None else set(companies)
        return np.array([ln.status in inc and (as_of is None or ln.date is None or ln.date <= as_of)
                         and (names is None or ln.company in names) for ln in self.lines], dtype=bool)


def parse_include(include: str | Iterable[str], argument: str = "include") -> tuple[str, ...]:
    """Statuses to count from ``"installed,approved"``, a list of names, or ``"all"``.

    A bare string is split on commas (never iterated character by character).
    """
    items = include.split(",") if isinstance(include, str) else include
    try:
        names = [s.strip() for s in items]
    except (TypeError, AttributeError):
        raise InputError(f"{argument}: expected status names ({', '.join(STATUSES)} or all), "
                         f"got {include!r}") from None
    if not names or any(not n for n in names):
        raise InputError(f"{argument}: expected a comma-separated list of {', '.join(STATUSES)} or all, "
                         f"got {include!r}")
    if "all" in names:
        if len(names) > 1:
            raise InputError(f"{argument}: 'all' cannot be combined with other statuses, got {include!r}")
        return STATUSES
    bad = [n for n in names if n not in STATUSES]
    if bad:
        raise InputError(f"{argument}: unknown status {bad[0]!r}; expected any of {', '.join(STATUSES)} or all")
    return tuple(dict.fromkeys(names))
