"""Scenarios: who holds which chips, and when they arrive (``specs/scenarios/*.toml``).

A scenario has independent ``holdings`` (company, chip, count, status, delivery) and joint
``allocations`` (one published total split among companies by uncertain shares). Every
table is checked for unknown keys (a typo is an error with a did-you-mean) and types.
The schema, with a worked example, is in ``specs/README.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from computecap.catalog.chips import Chip
from computecap.catalog.files import not_found
from computecap.catalog.values import (
    DISTRIBUTIONS,
    Source,
    as_date,
    check_keys,
    fail,
    parse_count,
    parse_sources,
    resolve_sources,
    table_list,
)
from computecap.errors import ComputecapError, UnitsError
from computecap.uncertainty import Distribution
from computecap.units import parse_quantity

#: What a line's chips are: firm (installed), awaited (approved, pending, ordered) or unofficial (grey).
STATUSES = ("installed", "approved", "pending", "ordered", "grey")
#: How grey chips reached their holder.
GREY_CHANNELS = ("smuggled", "rented-abroad")

_TOP_KEYS = ("name", "title", "description", "as_of", "companies", "sources", "holdings", "allocations")
_COMPANY_KEYS = ("aliases", "country", "owner_type", "note")
_SOURCE_KEYS = ("url", "document", "title", "accessed", "note")
_TIMING_KEYS = ("status", "date", "delivery", "delay", "channel", "tenant", "source", "assumption", "note")
_HOLDING_KEYS = ("company", "chip", "count", *_TIMING_KEYS)
_ALLOCATION_KEYS = ("label", "chip", "total", "shares", "concentration", *_TIMING_KEYS)
_COUNT_KEYS = ("value", "low", "central", "high", "dist")

_PERIOD = re.compile(r"^(\d{4})(?:[qQ]([1-4]))?$")


@dataclass(frozen=True)
class Company:
    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    note: str = ""
    owner_type: str = ""


@dataclass(frozen=True)
class Segment:
    """A share of a line's chips arriving evenly from ``start`` to ``end`` (both days included)."""

    start: dt.date
    end: dt.date
    share: float


@dataclass(frozen=True)
class Delivery:
    """When a line's chips arrive: segments whose shares sum to 1, slipped by an uncertain delay [days]."""

    segments: tuple[Segment, ...]
    delay: Distribution
    text: str

    @property
    def first(self) -> dt.date:
        """The first day a chip can arrive (before any delay)."""
        return min(s.start for s in self.segments)

    @property
    def complete(self) -> dt.date:
        """The day the last chip arrives (before any delay)."""
        return max(s.end for s in self.segments)


@dataclass(frozen=True)
class Holding:
    """Chips of one type held (or awaited) by one company."""

    company: str
    chip: Chip
    count: Distribution
    status: str
    date: dt.date | None
    sources: tuple[Source, ...]
    assumption: str = ""
    note: str = ""
    delivery: Delivery | None = None
    channel: str = ""
    tenant: str = ""


@dataclass(frozen=True)
class Allocation:
    """A published total of one chip split among companies by uncertain shares (Dirichlet)."""

    label: str
    chip: Chip
    total: Distribution
    status: str
    date: dt.date | None
    shares: Mapping[str, float]
    concentration: float
    sources: tuple[Source, ...]
    assumption: str = ""
    note: str = ""
    delivery: Delivery | None = None
    channel: str = ""
    tenant: str = ""


@dataclass(frozen=True)
class Scenario:
    """A named set of holdings and allocations, with sources and assumptions."""

    name: str
    title: str
    description: str
    as_of: dt.date | None
    companies: Mapping[str, Company]
    holdings: tuple[Holding, ...]
    allocations: tuple[Allocation, ...]
    sources: Mapping[str, Source]
    path: str

    def company(self, name: str) -> str:
        """The canonical company name for ``name`` or an alias (case-insensitive)."""
        key = name.strip().lower()
        for company in self.companies.values():
            if key in (company.name.lower(), *(a.lower() for a in company.aliases)):
                return company.name
        names = {n: c.name for c in self.companies.values() for n in (c.name, *c.aliases)}
        raise not_found("company", name, names, f"computecap scenarios show {self.name}", f" in scenario {self.name}")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of ``2026``, ``2026Q3``, ``2026-07-15`` or a range ``A..B`` of those.

    Raises ValueError with the accepted forms.
    """
    parts = text.split("..")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise ValueError(f"expected a date, quarter or year (2026-07-15, 2026Q3, 2026) or a range A..B, got {text!r}")
    first, _ = _one_period(parts[0].strip())
    _, last = _one_period(parts[-1].strip())
    if last < first:
        raise ValueError(f"range {text!r} ends before it starts")
    return first, last


def _one_period(text: str) -> tuple[dt.date, dt.date]:
    m = _PERIOD.match(text)
    if m:
        year, quarter = int(m.group(1)), m.group(2)
        if quarter is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        q = int(quarter)
        end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
        return dt.date(year, 3 * q - 2, 1), end - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date, quarter or year (2026-07-15, 2026Q3, 2026) or a range A..B, "
                         f"got {text!r}") from None
    return day, day


def _date(raw: Any, path: str, fieldname: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return as_date(raw)
    except ValueError:
        raise fail(path, fieldname, f"expected a date like 2026-01-28, got {raw!r}") from None


def _status(raw: Any, path: str, fieldname: str) -> str:
    if raw not in STATUSES:
        raise fail(path, fieldname, f"expected one of {', '.join(STATUSES)}, got {raw!r}")
    return str(raw)


def _chip(raw: Any, lookup: Callable[[str], Chip], path: str, fieldname: str) -> Chip:
    if not isinstance(raw, str):
        raise fail(path, fieldname, "expected a chip id or alias")
    try:
        return lookup(raw)
    except ComputecapError as exc:
        raise fail(path, fieldname, str(exc)) from None


def _text(raw: Mapping[str, Any], key: str, path: str, where: str = "") -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise fail(path, f"{where}.{key}" if where else key, f"expected text, got {value!r}")
    return value


def _count(raw: Any, path: str, fieldname: str) -> Distribution:
    if raw is None:
        raise fail(path, fieldname, "missing: expected an integer or { low, central, high }")
    if isinstance(raw, dict):
        check_keys(raw, _COUNT_KEYS, path, fieldname)
    return Distribution(*parse_count(raw, path, fieldname))


def _delay(raw: Any, path: str, fieldname: str) -> Distribution:
    """``"90 day"`` or ``{ low = "0 day", central = "90 day", high = "1 year", dist = "triangular" }`` [days]."""
    if raw is None:
        return Distribution.point(0.0, "day")

    def days(v: Any, name: str) -> float:
        try:
            d = float(parse_quantity(v, "time", f"{path}: {name}").m_as("day"))
        except UnitsError as exc:
            raise fail(path, name, f"expected a duration like \"90 day\" or \"0.5 year\" ({exc})") from None
        if d < 0:
            raise fail(path, name, f"expected a delay of zero or more, got {v!r}")
        return d

    if not isinstance(raw, dict):
        return Distribution.point(days(raw, fieldname), "day")
    check_keys(raw, ("low", "central", "high", "dist"), path, fieldname)
    if "low" not in raw or "high" not in raw:
        raise fail(path, fieldname, "expected a duration or { low, central, high }")
    lo, hi = days(raw["low"], f"{fieldname}.low"), days(raw["high"], f"{fieldname}.high")
    c = days(raw["central"], f"{fieldname}.central") if "central" in raw else (lo + hi) / 2
    if not lo <= c <= hi:
        raise fail(path, fieldname, "expected low <= central <= high")
    dist = raw.get("dist", "triangular")
    if dist not in DISTRIBUTIONS or dist == "lognormal" and lo == 0:
        raise fail(path, f"{fieldname}.dist", f"expected triangular, uniform or fixed (lognormal needs low > 0), "
                   f"got {dist!r}")
    return Distribution(lo, c, hi, dist if lo < hi else "fixed", "day")


def _segment(key: str, share: float, path: str, fieldname: str) -> Segment:
    try:
        start, end = parse_period(key)
    except ValueError as exc:
        raise fail(path, fieldname, str(exc)) from None
    return Segment(start, end, share)


def _delivery(entry: Mapping[str, Any], path: str, where: str) -> tuple[Delivery | None, dt.date | None]:
    """The delivery of a holding or allocation, and its ``date`` (when the last chip arrives)."""
    date, raw = entry.get("date"), entry.get("delivery")
    if date is not None and raw is not None:
        raise fail(path, f"{where}.delivery", "give either date (all delivered by that day) or delivery, not both")
    if raw is None:
        if date is None:
            if "delay" in entry:
                raise fail(path, f"{where}.delay", "a delay needs a date or delivery to slip")
            return None, None
        day = _date(date, path, f"{where}.date")
        assert day is not None
        return Delivery((Segment(day, day, 1.0),), _delay(entry.get("delay"), path, f"{where}.delay"),
                        day.isoformat()), day
    if isinstance(raw, (dt.date, str)):
        key = raw.isoformat() if isinstance(raw, dt.date) else raw
        segments: tuple[Segment, ...] = (_segment(key, 1.0, path, f"{where}.delivery"),)
        text = key
    elif isinstance(raw, dict) and raw:
        parts = []
        for key, share in raw.items():
            name = f"{where}.delivery.{key}"
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                raise fail(path, name, f"expected a share in (0, 1], got {share!r}")
            parts.append(_segment(str(key), float(share), path, name))
        total = sum(s.share for s in parts)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise fail(path, f"{where}.delivery", f"shares must sum to 1, got {total:g}")
        segments = tuple(sorted(parts, key=lambda s: s.start))
        text = ", ".join(f"{k} {v:.0%}" for k, v in raw.items())
    else:
        raise fail(path, f"{where}.delivery", "expected a period (2026Q1, 2026Q1..2026Q4, 2026-03-31..2026-06-30) "
                   "or a schedule { 2026Q1 = 0.25, ... }")
    delivery = Delivery(segments, _delay(entry.get("delay"), path, f"{where}.delay"), text)
    return delivery, delivery.complete


def _channel(entry: Mapping[str, Any], status: str, path: str, where: str) -> str:
    channel = entry.get("channel")
    if status != "grey":
        if channel is not None:
            raise fail(path, f"{where}.channel", f"only grey lines have a channel (this one is {status})")
        return ""
    if channel not in GREY_CHANNELS:
        raise fail(path, f"{where}.channel", f"a grey line needs a channel: one of {', '.join(GREY_CHANNELS)}, "
                   f"got {channel!r}")
    return str(channel)


def _companies(raw: Any, path: str) -> dict[str, Company]:
    if not isinstance(raw, dict):
        raise fail(path, "companies", "expected [companies.<name>] tables")
    out = {}
    for cname, meta in raw.items():
        where = f"companies.{cname}"
        if not isinstance(meta, dict):
            raise fail(path, where, "expected a table (aliases, country, owner_type, note)")
        check_keys(meta, _COMPANY_KEYS, path, where)
        aliases = meta.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise fail(path, f"{where}.aliases", "expected a list of names")
        out[cname] = Company(cname, tuple(aliases), _text(meta, "country", path, where),
                             _text(meta, "note", path, where), _text(meta, "owner_type", path, where))
    return out


def parse_scenario(raw: dict[str, Any], path: str, chip_lookup: Callable[[str], Chip]) -> Scenario:
    """Validate one scenario file's contents and build a ``Scenario``."""
    check_keys(raw, _TOP_KEYS, path)
    src_raw = raw.get("sources")
    if isinstance(src_raw, dict):
        for key, entry in src_raw.items():
            if isinstance(entry, dict):
                check_keys(entry, _SOURCE_KEYS, path, f"sources.{key}")
    sources = parse_sources(src_raw, path)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise fail(path, "name", "expected a scenario name")
    companies = _companies(raw.get("companies", {}), path)

    def company(raw_name: Any, fieldname: str) -> str:
        if not isinstance(raw_name, str) or raw_name not in companies:
            known = ", ".join(companies) or "none"
            raise fail(path, fieldname, f"company {raw_name!r} is not listed under [companies] (listed: {known})")
        return raw_name

    def timing(entry: dict[str, Any], where: str) -> dict[str, Any]:
        """The fields holdings and allocations share: status, delivery, channel, tenant, sources, texts."""
        status = _status(entry.get("status"), path, f"{where}.status")
        delivery, date = _delivery(entry, path, where)
        return {"status": status, "date": date, "delivery": delivery,
                "channel": _channel(entry, status, path, where), "tenant": _text(entry, "tenant", path, where),
                "sources": resolve_sources(entry.get("source"), sources, path, where),
                "assumption": _text(entry, "assumption", path, where), "note": _text(entry, "note", path, where)}

    holdings = []
    for i, h in enumerate(table_list(raw, "holdings", path)):
        where = f"holdings[{i}]"
        check_keys(h, _HOLDING_KEYS, path, where)
        holdings.append(Holding(company=company(h.get("company"), f"{where}.company"),
                                chip=_chip(h.get("chip"), chip_lookup, path, f"{where}.chip"),
                                count=_count(h.get("count"), path, f"{where}.count"), **timing(h, where)))

    allocations = []
    for i, a in enumerate(table_list(raw, "allocations", path)):
        where = f"allocations[{i}]"
        check_keys(a, _ALLOCATION_KEYS, path, where)
        shares = a.get("shares")
        if not isinstance(shares, dict) or not shares:
            raise fail(path, f"{where}.shares", "expected { Company = share, ... }")
        for cname, s in shares.items():
            company(cname, f"{where}.shares.{cname}")
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s <= 1:
                raise fail(path, f"{where}.shares.{cname}", f"expected a share in (0, 1], got {s!r}")
        total_share = sum(shares.values())
        if not math.isclose(total_share, 1.0, abs_tol=1e-6):
            raise fail(path, f"{where}.shares", f"shares must sum to 1, got {total_share:g}")
        conc = a.get("concentration", 20)
        if isinstance(conc, bool) or not isinstance(conc, (int, float)) or not 0 < conc < 1e6 or math.isnan(conc):
            raise fail(path, f"{where}.concentration", f"expected a positive number, got {conc!r}")
        chip = _chip(a.get("chip"), chip_lookup, path, f"{where}.chip")
        fields = timing(a, where)
        label = _text(a, "label", path, where) or f"{chip.id} {fields['status']} allocation"
        allocations.append(Allocation(label=label, chip=chip, total=_count(a.get("total"), path, f"{where}.total"),
                                      shares=MappingProxyType(dict(shares)), concentration=float(conc), **fields))
    if not holdings and not allocations:
        raise fail(path, "holdings", "a scenario needs at least one [[holdings]] or [[allocations]] entry")
    return Scenario(name=name, title=_text(raw, "title", path), description=_text(raw, "description", path),
                    as_of=_date(raw.get("as_of"), path, "as_of"), companies=MappingProxyType(companies),
                    holdings=tuple(holdings), allocations=tuple(allocations), sources=MappingProxyType(sources),
                    path=path)
