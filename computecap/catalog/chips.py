"""Accelerator spec sheets: the ``Chip`` record and its loader (``specs/chips/*.toml``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pint

from computecap.catalog.values import (
    VALUE_KEYS,
    Source,
    SourcedValue,
    check_keys,
    fail,
    parse_sources,
    parse_value,
    table_list,
)
from computecap.errors import InputError
from computecap.precisions import NAMES, TPP_BIT_LENGTH
from computecap.units import Q_

#: Precisions a chip may quote a dense peak for, in display order (the one vocabulary).
PRECISIONS = NAMES

#: Scalar spec fields: TOML key -> dimension name (see computecap.units.DIMENSIONS).
FIELDS = {
    "memory": "bytes",
    "memory_bandwidth": "bytes/s",
    "interconnect_bandwidth": "bytes/s",   # scale-up (NVLink-class) per chip, bidirectional aggregate
    "scale_out_bandwidth": "bytes/s",      # network (NIC) bandwidth per chip, one direction
    "node_chips": "dimensionless",         # chips per scale-up domain (8 for HGX, 72 for NVL72)
    "tdp": "W",
    "die_area": "area",
    "price": "USD",
}

#: Where a price quote applies (``market``), and what kind of figure it is (``kind``).
MARKETS = ("US", "China", "Europe", "global")
PRICE_KINDS = ("deal", "list", "estimate")   # tie-break order in Chip.price_for: deals first

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_TEXT_FIELDS = ("form_factor", "memory_type", "process_node", "launch", "note")
_ALTERNATIVE_KEYS = ("value", "low", "high", "source", "note")
_SOURCE_KEYS = ("url", "document", "title", "accessed", "note")
_QUOTE_KEYS = ("value", "low", "central", "high", "dist", "source", "confidence", "note",
               "market", "date", "kind")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class PriceQuote:
    """One dated, sourced unit price in one market: a list price, a reported deal or an estimate."""

    value: SourcedValue
    market: str
    date: dt.date
    date_text: str
    kind: str

    @property
    def label(self) -> str:
        """Where and when, e.g. ``China deal, 2026-01``."""
        return f"{self.market} {self.kind}, {self.date_text}"


@dataclass(frozen=True, eq=False)
class Chip:
    """One accelerator SKU (per package) with sourced, dense specs."""

    id: str
    name: str
    vendor: str
    aliases: tuple[str, ...]
    peaks: Mapping[str, SourcedValue]
    specs: Mapping[str, SourcedValue]
    datacenter: bool
    text: Mapping[str, str]
    price_as_of: str
    sources: Mapping[str, Source]
    path: str
    price_quotes: tuple[PriceQuote, ...] = ()

    @property
    def precisions(self) -> tuple[str, ...]:
        """The precisions with a published dense peak."""
        return tuple(p for p in PRECISIONS if p in self.peaks)

    def peak(self, precision: str) -> pint.Quantity[Any]:
        """Dense peak throughput at ``precision`` [FLOP/s] (central value)."""
        return self.peak_spec(precision).central.to("FLOP/s")

    def peak_spec(self, precision: str) -> SourcedValue:
        """The sourced dense peak at ``precision`` (with its range)."""
        if precision not in self.peaks:
            if precision not in PRECISIONS:
                raise InputError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
            raise InputError(f"{self.id} has no {precision} peak; it has {', '.join(self.precisions)}")
        return self.peaks[precision]

    def get(self, name: str) -> SourcedValue | None:
        """A scalar spec (memory, memory_bandwidth, ...) or None when not published."""
        if name not in FIELDS:
            raise KeyError(name)
        return self.specs.get(name)

    def require(self, name: str) -> pint.Quantity[Any]:
        """A scalar spec's central value; an error naming the chip when not published."""
        value = self.get(name)
        if value is None:
            raise InputError(f"{self.id}: {name} is not published (not in {self.path})")
        return value.central

    def price_for(self, market: str | None = None, as_of: dt.date | None = None) -> SourcedValue | None:
        """The most relevant unit price [USD] for ``market`` (one of MARKETS) on ``as_of``.

        Without market and date: the default ``price``. Otherwise the latest quote in that
        market (any market when None) dated on or before ``as_of`` (any date when None);
        same-date ties go to deals, then list prices, then estimates. No such quote: the
        default ``price``. None when the chip has no public price at all. The returned
        value's note starts with the quote's market, kind and date.
        """
        if market is not None and market not in MARKETS:
            raise InputError(f"market: expected one of {', '.join(MARKETS)}, got {market!r}")
        if as_of is not None and not isinstance(as_of, dt.date):
            raise InputError(f"as_of: expected a date, got {as_of!r}")
        if market is None and as_of is None:
            return self.get("price")
        found = [q for q in self.price_quotes
                 if (market is None or q.market == market) and (as_of is None or q.date <= as_of)]
        if not found:
            return self.get("price")
        best = max(found, key=lambda q: (q.date, -PRICE_KINDS.index(q.kind)))
        note = f"{best.label}: {best.value.note}" if best.value.note else best.label
        return dataclasses.replace(best.value, note=note)

    def tpp_by_precision(self) -> dict[str, float]:
        """TPP each precision alone would give: dense peak [TOPS] x bit length [bit]."""
        return {p: self.peaks[p].central.m_as("TFLOP/s") * bits for p, bits in TPP_BIT_LENGTH.items()
                if p in self.peaks}

    @property
    def tpp(self) -> pint.Quantity[Any]:
        """Total Processing Performance [1]: the maximum over precisions of dense TOPS x bit length
        (BIS, 88 FR 73458, Technical Note to ECCN 3A090)."""
        per = self.tpp_by_precision()
        return Q_(max(per.values()) if per else 0.0, "")

    @property
    def performance_density(self) -> pint.Quantity[Any] | None:
        """TPP per applicable die area [1/mm**2]; None without a die area."""
        area = self.get("die_area")
        if area is None:
            return None
        density: pint.Quantity[Any] = (self.tpp / area.central).to("1/mm**2")
        return density

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


def _string(raw: Mapping[str, Any], key: str, path: str, where: str, required: bool = False) -> str:
    """``raw[key]`` as a string ('' when absent and optional); anything else is an error."""
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise fail(path, where, f"expected {'a non-empty' if required else 'a'} string, got {value!r}")
    return value


def _sourced(raw: Any, dim: str, allowed: tuple[str, ...], sources: Mapping[str, Source], path: str,
             where: str) -> SourcedValue:
    """A sourced value table, with its keys and the types of its text fields checked first."""
    if not isinstance(raw, dict):
        raise fail(path, where, "expected a table with value (or low/high) and source")
    check_keys(raw, allowed, path, where)
    for key in ("note", "quoted", "confidence", "dist"):
        _string(raw, key, path, f"{where}.{key}")
    alternatives = raw.get("alternatives", [])
    if not isinstance(alternatives, list) or not all(isinstance(a, dict) for a in alternatives):
        raise fail(path, f"{where}.alternatives", "expected a list of { value, source, note } tables")
    for i, alt in enumerate(alternatives):
        check_keys(alt, _ALTERNATIVE_KEYS, path, f"{where}.alternatives[{i}]")
    extra = set(allowed) - set(VALUE_KEYS)  # checked above; parse_value reads the value keys only
    return parse_value({k: v for k, v in raw.items() if k not in extra}, dim, sources, path, where)


def _quote_date(raw: Any, path: str, where: str) -> tuple[dt.date, str]:
    """A quote's date: a TOML date, or ``"YYYY-MM"`` / ``"YYYY"`` (read as its first day)."""
    if isinstance(raw, dt.datetime) or not isinstance(raw, (dt.date, str)):
        raise fail(path, where, f"expected a date like 2026-01-15, \"2026-01\" or \"2026\", got {raw!r}")
    if isinstance(raw, dt.date):
        return raw, raw.isoformat()
    match = _DATE.match(raw)
    if not match or not 1 <= int(match.group(2) or 1) <= 12:
        raise fail(path, where, f"expected a date like 2026-01-15, \"2026-01\" or \"2026\", got {raw!r}")
    return dt.date(int(match.group(1)), int(match.group(2) or 1), 1), raw


def _price_quotes(raw: dict[str, Any], sources: Mapping[str, Source], path: str) -> tuple[PriceQuote, ...]:
    quotes = []
    for i, entry in enumerate(table_list(raw, "price_quotes", path)):
        where = f"price_quotes[{i}]"
        value = _sourced(entry, "USD", _QUOTE_KEYS, sources, path, where)
        market = entry.get("market")
        if market not in MARKETS:
            raise fail(path, f"{where}.market", f"expected one of {', '.join(MARKETS)}, got {market!r}")
        kind = entry.get("kind")
        if kind not in PRICE_KINDS:
            raise fail(path, f"{where}.kind", f"expected one of {', '.join(PRICE_KINDS)}, got {kind!r}")
        if "date" not in entry:
            raise fail(path, f"{where}.date", "missing: the date the price was listed or reported")
        date, text = _quote_date(entry["date"], path, f"{where}.date")
        quotes.append(PriceQuote(value=value, market=market, date=date, date_text=text, kind=kind))
    return tuple(quotes)


def parse_chip(raw: dict[str, Any], path: str) -> Chip:
    """Validate one chip file's contents and build a ``Chip``."""
    check_keys(raw, ("id", "name", "vendor", "aliases", "datacenter", "peak_dense", "sources", "price_quotes",
                     *FIELDS, *_TEXT_FIELDS), path)
    sources_raw = raw.get("sources")
    if isinstance(sources_raw, dict):
        for key, entry in sources_raw.items():
            if isinstance(entry, dict):
                check_keys(entry, _SOURCE_KEYS, path, f"sources.{key}")
                _string(entry, "note", path, f"sources.{key}.note")
    sources = parse_sources(sources_raw, path)
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise fail(path, "id", "expected a lower-case id like 'h200-sxm'")
    name = _string(raw, "name", path, "name", required=True)
    vendor = _string(raw, "vendor", path, "vendor", required=True)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise fail(path, "aliases", f"expected a list of names, got {aliases!r}")
    datacenter = raw.get("datacenter", True)
    if not isinstance(datacenter, bool):
        raise fail(path, "datacenter", f"expected true or false, got {datacenter!r}")

    peaks_raw = raw.get("peak_dense")
    if not isinstance(peaks_raw, dict) or not peaks_raw:
        raise fail(path, "peak_dense", "expected at least one [peak_dense.<precision>] table")
    peaks: dict[str, SourcedValue] = {}
    for prec, entry in peaks_raw.items():
        where = f"peak_dense.{prec}"
        if prec not in PRECISIONS:
            raise fail(path, where, f"unknown precision (expected one of {', '.join(PRECISIONS)})")
        if not isinstance(entry, dict) or entry.get("sparsity") != "dense":
            got = entry.get("sparsity") if isinstance(entry, dict) else None
            raise fail(path, f"{where}.sparsity",
                       f"expected \"dense\" (store the dense value; put a sparse datasheet figure in `quoted`), "
                       f"got {got!r}")
        peaks[prec] = _sourced(entry, "FLOP/s", (*VALUE_KEYS, "sparsity"), sources, path, where)

    specs = {}
    for field, dim in FIELDS.items():
        if field in raw:
            allowed = (*VALUE_KEYS, "as_of") if field == "price" else VALUE_KEYS
            specs[field] = _sourced(raw[field], dim, allowed, sources, path, field)
    price_as_of = _string(raw["price"], "as_of", path, "price.as_of") if "price" in specs else ""
    text = {k: _string(raw, k, path, k) for k in _TEXT_FIELDS if k in raw}
    return Chip(id=cid, name=name, vendor=vendor, aliases=tuple(aliases),
                peaks=MappingProxyType(peaks), specs=MappingProxyType(specs), datacenter=datacenter,
                text=MappingProxyType(text), price_as_of=price_as_of, sources=MappingProxyType(sources), path=path,
                price_quotes=_price_quotes(raw, sources, path))
