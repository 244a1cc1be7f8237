"""Sourced values: a quantity (a point or a range) with the sources that support it.

The TOML shapes are documented in ``specs/README.md``. Everything here validates as it
parses and raises ``SpecValidationError`` naming ``<file>: <field>``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pint

from computecap.errors import SpecValidationError
from computecap.uncertainty import Distribution
from computecap.units import Q_, parse_quantity, show, unit

DISTRIBUTIONS = ("triangular", "uniform", "lognormal", "fixed")
#: Keys of a sourced value table; loaders add their own (``sparsity``, ``meaning``, ...).
VALUE_KEYS = ("value", "low", "central", "high", "dist", "source", "confidence", "note", "quoted", "alternatives")
#: Keys of a ``[sources.<key>]`` table.
SOURCE_KEYS = ("url", "document", "title", "accessed", "note")
CONFIDENCE = ("high", "medium", "low", "derived")


@dataclass(frozen=True)
class Source:
    """A citation: where a value was read, and when."""

    key: str
    title: str
    url: str = ""
    document: str = ""
    accessed: str = ""
    note: str = ""

    @property
    def where(self) -> str:
        """The URL or the document reference."""
        return self.url or self.document

    def to_dict(self) -> dict[str, str]:
        d = {"key": self.key, "title": self.title, "url": self.url, "document": self.document,
             "accessed": self.accessed, "note": self.note}
        return {k: v for k, v in d.items() if v}


@dataclass(frozen=True)
class SourcedValue:
    """A quantity with its provenance. ``low == central == high`` for a point value."""

    central: pint.Quantity[Any]
    low: pint.Quantity[Any]
    high: pint.Quantity[Any]
    sources: tuple[Source, ...]
    dist: str = "fixed"
    note: str = ""
    confidence: str = ""
    quoted: str = ""
    alternatives: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    @property
    def is_range(self) -> bool:
        return bool(self.low != self.high)

    def distribution(self, unit_text: str = "") -> Distribution:
        """The value as a Distribution of magnitudes in ``unit_text`` (for sampling)."""
        u = unit(unit_text)
        return Distribution(float(self.low.m_as(u)), float(self.central.m_as(u)), float(self.high.m_as(u)),
                            self.dist if self.is_range else "fixed")

    def to_dict(self) -> dict[str, Any]:
        unit = f"{self.central.units:~P}" or ""
        d: dict[str, Any] = {"value": float(self.central.magnitude), "unit": unit}
        if self.is_range:
            d.update(low=float(self.low.to(self.central.units).magnitude),
                     high=float(self.high.to(self.central.units).magnitude), dist=self.dist)
        for name in ("note", "confidence", "quoted"):
            if getattr(self, name):
                d[name] = getattr(self, name)
        d["sources"] = [s.key for s in self.sources]
        if self.alternatives:
            d["alternatives"] = [dict(a) for a in self.alternatives]
        return d


def as_date(value: object) -> dt.date:
    """A date from a ``datetime.date``, a ``datetime`` (its day) or ISO text; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"not a date: {value!r}")


def fail(path: str, fieldname: str, message: str) -> SpecValidationError:
    """Build the one-line error for a field of a spec file."""
    prefix = f"{path}: {fieldname}" if fieldname else path
    return SpecValidationError(f"{prefix}: {message}")


def check_keys(raw: Mapping[str, Any], allowed: Iterable[str], path: str, where: str = "") -> None:
    """Refuse any key of ``raw`` not in ``allowed``, naming it with a did-you-mean (typos never pass silently)."""
    known = list(allowed)
    for key in raw:
        if key not in known:
            from computecap.catalog.files import did_you_mean
            hint = did_you_mean(str(key), known) or f" (expected one of {', '.join(sorted(known))})"
            raise fail(path, f"{where}.{key}" if where else str(key), f"unknown field{hint}")


def table_list(raw: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    """``[[key]]`` entries of a file: a list of tables (absent = empty)."""
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise fail(path, key, f"expected [[{key}]] tables")
    return items


def parse_sources(raw: Any, path: str) -> dict[str, Source]:
    """Read the ``[sources.<key>]`` tables of a file."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail(path, "sources", "expected a table of [sources.<key>] entries")
    out: dict[str, Source] = {}
    for key, entry in raw.items():
        where = f"sources.{key}"
        if not isinstance(entry, dict):
            raise fail(path, where, "expected a table with url or document, title and accessed")
        check_keys(entry, SOURCE_KEYS, path, where)
        url, document = entry.get("url", ""), entry.get("document", "")
        if not (isinstance(url, str) and isinstance(document, str)) or not (url or document):
            raise fail(path, where, "expected a url or a document reference")
        title = entry.get("title", "")
        if not isinstance(title, str) or not title:
            raise fail(path, f"{where}.title", "expected a non-empty title")
        accessed = entry.get("accessed", "")
        if isinstance(accessed, dt.date):
            accessed = accessed.isoformat()
        if not isinstance(accessed, str) or not accessed:
            raise fail(path, f"{where}.accessed", "expected the date the source was read (e.g. 2026-11-28)")
        out[key] = Source(key=key, title=title, url=url, document=document, accessed=accessed,
                          note=text_field(entry, "note", path, where))
    return out


def resolve_sources(raw: Any, sources: Mapping[str, Source], path: str, fieldname: str) -> tuple[Source, ...]:
    """Turn ``source = "key"`` or ``["a", "b"]`` into Source objects; every value needs one."""
    if raw is None or raw == "" or raw == []:
        raise fail(path, fieldname, "no source: every value must cite a [sources.<key>] entry")
    keys = [raw] if isinstance(raw, str) else raw
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise fail(path, f"{fieldname}.source", "expected a source key or a list of keys")
    missing = [k for k in keys if k not in sources]
    if missing:
        known = ", ".join(sorted(sources)) or "none"
        raise fail(path, f"{fieldname}.source", f"unknown source {missing[0]!r} (defined: {known})")
    return tuple(sources[k] for k in keys)


def _check_positive(q: pint.Quantity[Any], path: str, fieldname: str, allow_zero: bool = False) -> None:
    m = float(q.magnitude)
    if math.isnan(m) or math.isinf(m):
        raise fail(path, fieldname, f"expected a finite number, got {m}")
    if m < 0 or (m == 0 and not allow_zero):
        raise fail(path, fieldname, f"expected a positive value, got {show(q)}")


def text_field(raw: Mapping[str, Any], key: str, path: str, where: str) -> str:
    """An optional text field (``""`` when absent); anything but a string is an error naming it."""
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise fail(path, f"{where}.{key}" if where else key, f"expected text, got {type(value).__name__} {value!r}")
    return value


def parse_value(raw: Any, expected: str, sources: Mapping[str, Source], path: str, fieldname: str,
                allow_zero: bool = False, extra_keys: Iterable[str] = ()) -> SourcedValue:
    """Parse one sourced value table (point or range) of dimension ``expected``.

    Keys beyond ``VALUE_KEYS`` and ``extra_keys`` are refused with a did-you-mean.
    """
    if not isinstance(raw, dict):
        raise fail(path, fieldname, "expected a table with value (or low/high) and source")
    check_keys(raw, (*VALUE_KEYS, *extra_keys), path, fieldname)
    srcs = resolve_sources(raw.get("source"), sources, path, fieldname)
    if "value" in raw:
        if any(k in raw for k in ("low", "high", "central")):
            raise fail(path, fieldname, "give either value or low/central/high, not both")
        central = parse_quantity(raw["value"], expected, f"{path}: {fieldname}")
        low = high = central
        dist = "fixed"
    elif "low" in raw and "high" in raw:
        low = parse_quantity(raw["low"], expected, f"{path}: {fieldname}.low")
        high = parse_quantity(raw["high"], expected, f"{path}: {fieldname}.high")
        if "central" in raw:
            central = parse_quantity(raw["central"], expected, f"{path}: {fieldname}.central")
        else:
            central = (low + high.to(low.units)) / 2
        dist = raw.get("dist", "triangular")
        if dist not in DISTRIBUTIONS:
            raise fail(path, f"{fieldname}.dist", f"expected one of {', '.join(DISTRIBUTIONS)}, got {dist!r}")
        if low > high:
            raise fail(path, fieldname, f"low {show(low)} is greater than high {show(high)}")
        if not (low <= central <= high):
            raise fail(path, f"{fieldname}.central", f"{show(central)} is outside low..high")
    else:
        raise fail(path, fieldname, "expected value, or low and high")
    for name, q in (("", central), (".low", low)):
        _check_positive(q, path, fieldname + name, allow_zero)
    confidence = text_field(raw, "confidence", path, fieldname)
    if confidence and confidence not in CONFIDENCE:
        raise fail(path, f"{fieldname}.confidence", f"expected one of {', '.join(CONFIDENCE)}, got {confidence!r}")
    alts = raw.get("alternatives", [])
    if not isinstance(alts, list) or not all(isinstance(a, dict) for a in alts):
        raise fail(path, f"{fieldname}.alternatives", "expected a list of { value, source, note } tables")
    return SourcedValue(central=central, low=low.to(central.units), high=high.to(central.units), sources=srcs,
                        dist=dist, note=text_field(raw, "note", path, fieldname), confidence=confidence,
                        quoted=text_field(raw, "quoted", path, fieldname),
                        alternatives=tuple({str(k): str(v) for k, v in a.items()} for a in alts))


def parse_count(raw: Any, path: str, fieldname: str, allow_zero: bool = False) -> tuple[float, float, float, str]:
    """Parse a count: an integer, or ``{low, central, high, dist}``. Returns (low, central, high, dist)."""
    def num(v: Any, name: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise fail(path, name, f"expected a number, got {v!r}")
        x = float(v)
        if not math.isfinite(x):
            raise fail(path, name, f"expected a finite number, got {v!r}")
        if x < 0 or (x == 0 and not allow_zero):
            raise fail(path, name, f"expected a positive count, got {v!r}")
        return x

    if isinstance(raw, dict):
        if "value" in raw:
            x = num(raw["value"], fieldname)
            return x, x, x, "fixed"
        if "low" not in raw or "high" not in raw:
            raise fail(path, fieldname, "expected an integer or { low, central, high }")
        lo, hi = num(raw["low"], f"{fieldname}.low"), num(raw["high"], f"{fieldname}.high")
        if lo > hi:
            raise fail(path, fieldname, f"low {raw['low']} is greater than high {raw['high']}")
        c = num(raw["central"], f"{fieldname}.central") if "central" in raw else (lo + hi) / 2
        if not lo <= c <= hi:
            raise fail(path, f"{fieldname}.central", f"{raw['central']} is outside low..high")
        dist = raw.get("dist", "triangular")
        if dist not in DISTRIBUTIONS:
            raise fail(path, f"{fieldname}.dist", f"expected one of {', '.join(DISTRIBUTIONS)}, got {dist!r}")
        return lo, c, hi, dist if lo < hi else "fixed"
    x = num(raw, fieldname)
    return x, x, x, "fixed"


def point(q: pint.Quantity[Any] | float, sources: tuple[Source, ...] = (), note: str = "") -> SourcedValue:
    """A point SourcedValue from a quantity (for user-given inputs)."""
    qq = q if isinstance(q, pint.Quantity) else Q_(q, "")
    return SourcedValue(central=qq, low=qq, high=qq, sources=sources, note=note)
