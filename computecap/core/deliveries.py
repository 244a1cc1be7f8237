"""Deliveries and retirement: the share of a line's chips in service on a given day.

A line's delivery is a set of segments (start, end, share): each share arrives evenly from
its first to its last day (all at once when they are the same day). Chips retire a lifetime
after they arrive, so the retirement curve is the delivery curve shifted by the lifetime:

    in service(t) = delivered(t - delay) - delivered(t - delay - lifetime)

Days are proleptic Gregorian ordinals (``date.toordinal()``); lifetimes are in years of
365.25 days (the year of ``computecap/units.txt``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np

from computecap.catalog.scenarios import Delivery, parse_period
from computecap.errors import InputError

#: Days in a year of service life [day/year] (the julian year, as in computecap/units.txt).
DAYS_PER_YEAR = 365.25


def segment_array(delivery: Delivery) -> np.ndarray:
    """A delivery's segments as rows (first day, last day, share) [day ordinal, day ordinal, 1]."""
    return np.array([(s.start.toordinal(), s.end.toordinal(), s.share) for s in delivery.segments], dtype=float)


def delivered_fraction(segments: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Share of a line's chips that has arrived by each of ``days`` [1].

    Parameters
    ----------
    segments : rows (first day, last day, share) from ``segment_array`` [day ordinal, day ordinal, 1]
    days : any shape [day ordinal, may be fractional]
    """
    out = np.zeros(np.shape(days))
    for start, end, share in segments:
        if end > start:
            out += share * np.clip((days - start) / (end - start), 0.0, 1.0)
        else:
            out += share * (days >= start)
    return out


def in_service_fraction(segments: np.ndarray, days: np.ndarray, delay: np.ndarray | float = 0.0,
                        lifetime: np.ndarray | float | None = None) -> np.ndarray:
    """Share of a line's chips in service on ``days``: arrived (after ``delay``) and not yet retired [1].

    Parameters
    ----------
    segments : rows (first day, last day, share) [day ordinal, day ordinal, 1]
    days : days to evaluate, broadcast against ``delay`` and ``lifetime`` [day ordinal]
    delay : slip of the whole delivery [day]
    lifetime : service life of each chip [day]; None = never retired
    """
    arrived = delivered_fraction(segments, days - delay)
    if lifetime is None:
        return arrived
    out: np.ndarray = arrived - delivered_fraction(segments, days - delay - lifetime)
    return out


def quarter_ends(start: str, end: str, argument: str = "from/to") -> list[dt.date]:
    """Last day of every quarter from the quarter (or year, or date) ``start`` to ``end``, inclusive."""
    try:
        first, _ = parse_period(start)
        _, last = parse_period(end)
    except ValueError as exc:
        raise InputError(f"{argument}: {exc}") from None
    if last < first:
        raise InputError(f"{argument}: {end!r} is before {start!r}")
    out = []
    year, q = first.year, (first.month - 1) // 3 + 1
    while True:
        _, q_end = parse_period(f"{year}Q{q}")
        out.append(q_end)
        if q_end >= last:
            return out
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def quarter_label(day: dt.date) -> str:
    """``2026Q3`` for a day in that quarter."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def day_numbers(dates: Iterable[dt.date], argument: str = "dates") -> np.ndarray:
    """Dates as day ordinals [day]; InputError naming ``argument`` for anything that is not a date."""
    items: Sequence[object] = list(dates)
    if not items or not all(isinstance(d, dt.date) for d in items):
        raise InputError(f"{argument}: expected one or more datetime.date values, got {items!r}")
    return np.array([d.toordinal() for d in items if isinstance(d, dt.date)], dtype=float)


