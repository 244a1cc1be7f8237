"""Scenarios: who holds which chips (``specs/scenarios/*.toml``).

A scenario has independent ``holdings`` (company, chip, count, status) and joint
``allocations`` (one published total split among companies by uncertain shares).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from computecap.catalog.chips import Chip
from computecap.catalog.files import not_found
from computecap.catalog.values import Source, fail, parse_count, parse_sources, resolve_sources, table_list
from computecap.errors import ComputecapError
from computecap.uncertainty import Distribution

STATUSES = ("installed", "approved", "pending", "ordered")


@dataclass(frozen=True)
class Company:
    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    note: str = ""


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


def _date(raw: Any, path: str, fieldname: str) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    raise fail(path, fieldname, f"expected a date like 2026-01-28, got {raw!r}")


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


def _text(raw: dict[str, Any], key: str) -> str:
    return str(raw.get(key, ""))


def parse_scenario(raw: dict[str, Any], path: str, chip_lookup: Callable[[str], Chip]) -> Scenario:
    """Validate one scenario file's contents and build a ``Scenario``."""
    sources = parse_sources(raw.get("sources"), path)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise fail(path, "name", "expected a scenario name")
    companies: dict[str, Company] = {}
    comp_raw = raw.get("companies", {})
    if not isinstance(comp_raw, dict):
        raise fail(path, "companies", "expected [companies.<name>] tables")
    for cname, meta in comp_raw.items():
        meta = meta if isinstance(meta, dict) else {}
        aliases = meta.get("aliases", [])
        if not isinstance(aliases, list):
            raise fail(path, f"companies.{cname}.aliases", "expected a list of names")
        companies[cname] = Company(cname, tuple(map(str, aliases)), _text(meta, "country"), _text(meta, "note"))

    def company(raw_name: Any, fieldname: str) -> str:
        if not isinstance(raw_name, str) or raw_name not in companies:
            known = ", ".join(companies) or "none"
            raise fail(path, fieldname, f"company {raw_name!r} is not listed under [companies] (listed: {known})")
        return raw_name

    holdings = []
    for i, h in enumerate(table_list(raw, "holdings", path)):
        where = f"holdings[{i}]"
        if not isinstance(h, dict):
            raise fail(path, where, "expected a [[holdings]] table")
        if "count" not in h:
            raise fail(path, f"{where}.count", "missing: expected an integer or { low, central, high }")
        holdings.append(Holding(
            company=company(h.get("company"), f"{where}.company"),
            chip=_chip(h.get("chip"), chip_lookup, path, f"{where}.chip"),
            count=Distribution(*parse_count(h["count"], path, f"{where}.count")),
            status=_status(h.get("status"), path, f"{where}.status"),
            date=_date(h.get("date"), path, f"{where}.date"),
            sources=resolve_sources(h.get("source"), sources, path, where),
            assumption=_text(h, "assumption"), note=_text(h, "note")))

    allocations = []
    for i, a in enumerate(table_list(raw, "allocations", path)):
        where = f"allocations[{i}]"
        if not isinstance(a, dict):
            raise fail(path, where, "expected an [[allocations]] table")
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
        if "total" not in a:
            raise fail(path, f"{where}.total", "missing: expected an integer or { low, central, high }")
        chip = _chip(a.get("chip"), chip_lookup, path, f"{where}.chip")
        status = _status(a.get("status"), path, f"{where}.status")
        allocations.append(Allocation(
            label=str(a.get("label", f"{chip.id} {status} allocation")), chip=chip,
            total=Distribution(*parse_count(a["total"], path, f"{where}.total")), status=status,
            date=_date(a.get("date"), path, f"{where}.date"), shares=MappingProxyType(dict(shares)),
            concentration=float(conc), sources=resolve_sources(a.get("source"), sources, path, where),
            assumption=_text(a, "assumption"), note=_text(a, "note")))
    if not holdings and not allocations:
        raise fail(path, "holdings", "a scenario needs at least one [[holdings]] or [[allocations]] entry")
    return Scenario(name=name, title=_text(raw, "title"), description=_text(raw, "description"),
                    as_of=_date(raw.get("as_of"), path, "as_of"), companies=MappingProxyType(companies),
                    holdings=tuple(holdings), allocations=tuple(allocations), sources=MappingProxyType(sources),
                    path=path)
