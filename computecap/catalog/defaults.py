"""Default assumptions (``specs/defaults.toml``): utilisation, overheads, reference chip.

Each default is a sourced, possibly uncertain, dimensionless value with the formula it
enters; the engines read them here and never hard-code a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from computecap.catalog.values import Source, SourcedValue, fail, parse_sources, parse_value
from computecap.uncertainty import Distribution

REQUIRED = ("utilisation", "mfu", "goodput", "server_overhead", "pue", "cluster_chips", "amortisation_years")


@dataclass(frozen=True)
class Default:
    """A named default: its value (with range), what it means and where it enters."""

    name: str
    value: SourcedValue
    meaning: str
    formula: str

    @property
    def distribution(self) -> Distribution:
        return self.value.distribution("")


@dataclass(frozen=True)
class Defaults:
    values: Mapping[str, Default]
    h100e_reference: str
    sources: Mapping[str, Source]
    path: str

    def __getitem__(self, name: str) -> Default:
        return self.values[name]


def parse_defaults(raw: dict[str, Any], path: str) -> Defaults:
    """Validate ``specs/defaults.toml``."""
    sources = parse_sources(raw.get("sources"), path)
    values = {}
    for name in REQUIRED:
        entry = raw.get(name)
        if not isinstance(entry, dict):
            raise fail(path, name, "missing: expected a sourced value table")
        val = parse_value(entry, "dimensionless", sources, path, name)
        values[name] = Default(name, val, str(entry.get("meaning", "")), str(entry.get("formula", "")))
    ref = raw.get("h100e_reference")
    if not isinstance(ref, str):
        raise fail(path, "h100e_reference", "expected a chip id")
    return Defaults(MappingProxyType(values), ref, MappingProxyType(sources), path)
