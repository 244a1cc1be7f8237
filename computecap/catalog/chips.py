"""Accelerator spec sheets: the ``Chip`` record and its loader (``specs/chips/*.toml``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pint

from computecap.catalog.values import Source, SourcedValue, fail, parse_sources, parse_value
from computecap.errors import InputError

#: Precisions a chip may quote a dense peak for, in display order.
PRECISIONS = ("fp64", "fp64_tensor", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")

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

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_TEXT_FIELDS = ("form_factor", "memory_type", "process_node", "launch", "note")


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

    @property
    def tpp(self) -> pint.Quantity[Any]:
        """Total Processing Performance (dense TOPS x bit length, max over precisions) [1]."""
        from computecap.controls import tpp
        return tpp(self)

    @property
    def performance_density(self) -> pint.Quantity[Any] | None:
        """TPP per applicable die area [1/mm**2]; None without a die area."""
        from computecap.controls import performance_density
        return performance_density(self)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


def parse_chip(raw: dict[str, Any], path: str) -> Chip:
    """Validate one chip file's contents and build a ``Chip``."""
    known = {"id", "name", "vendor", "aliases", "datacenter", "peak_dense", "sources",
             *FIELDS, *_TEXT_FIELDS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise fail(path, unknown[0], f"unknown field (expected one of {', '.join(sorted(known))})")
    sources = parse_sources(raw.get("sources"), path)
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise fail(path, "id", "expected a lower-case id like 'h200-sxm'")
    for key in ("name", "vendor"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise fail(path, key, "expected a non-empty string")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise fail(path, "aliases", "expected a list of names")
    datacenter = raw.get("datacenter", True)
    if not isinstance(datacenter, bool):
        raise fail(path, "datacenter", "expected true or false")

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
        peaks[prec] = parse_value(entry, "FLOP/s", sources, path, where)

    specs = {name: parse_value(raw[name], dim, sources, path, name) for name, dim in FIELDS.items() if name in raw}
    price_as_of = ""
    if "price" in raw and isinstance(raw["price"], dict):
        price_as_of = str(raw["price"].get("as_of", ""))
    text = {k: str(raw[k]) for k in _TEXT_FIELDS if k in raw}
    return Chip(id=cid, name=raw["name"], vendor=raw["vendor"], aliases=tuple(aliases),
                peaks=MappingProxyType(peaks), specs=MappingProxyType(specs), datacenter=datacenter,
                text=MappingProxyType(text), price_as_of=price_as_of, sources=MappingProxyType(sources), path=path)
