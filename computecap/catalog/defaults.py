"""Default assumptions (``specs/defaults.toml``): utilisation, overheads, reference chip.

Each default is a sourced, possibly uncertain, dimensionless value with the formula it
enters; the engines read them here and never hard-code a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from computecap.catalog.values import Source, SourcedValue, check_keys, fail, parse_sources, parse_value, text_field
from computecap.errors import SpecNotFoundError
from computecap.uncertainty import Distribution

#: Defaults every engine may rely on.
REQUIRED = ("utilisation", "server_overhead", "pue", "cluster_chips", "amortisation_years", "chip_lifetime")
#: Defaults a file may also set (an engine that reads them says what it does without them).
OPTIONAL = ("mfu", "goodput")


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
    #: defaults a user ``defaults.toml`` (``--specs DIR``) replaced: name -> that file
    overridden: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, name: str) -> Default:
        if name not in self.values:
            raise SpecNotFoundError(f"{self.path}: no default {name!r} (it has {', '.join(self.values)})")
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values


def parse_defaults(raw: dict[str, Any], path: str) -> Defaults:
    """Validate ``specs/defaults.toml``."""
    check_keys(raw, ("sources", "h100e_reference", *REQUIRED, *OPTIONAL), path)
    sources = parse_sources(raw.get("sources"), path)
    values = {}
    for name in (*REQUIRED, *OPTIONAL):
        entry = raw.get(name)
        if entry is None and name in OPTIONAL:
            continue
        if not isinstance(entry, dict):
            raise fail(path, name, "missing: expected a sourced value table")
        val = parse_value(entry, "dimensionless", sources, path, name, extra_keys=("meaning", "formula"))
        values[name] = Default(name, val, text_field(entry, "meaning", path, name),
                               text_field(entry, "formula", path, name))
    ref = raw.get("h100e_reference")
    if not isinstance(ref, str):
        raise fail(path, "h100e_reference", "expected a chip id")
    return Defaults(MappingProxyType(values), ref, MappingProxyType(sources), path)


def merge_defaults(base: Defaults, raw: dict[str, Any], path: str) -> Defaults:
    """``base`` with the entries a user ``defaults.toml`` (``--specs DIR``) names replaced.

    Each entry is a full sourced value table citing the file's own ``[sources]``; ``meaning``
    and ``formula`` may be left out (the bundled ones stay).
    """
    allowed = ("sources", *REQUIRED, *OPTIONAL)
    check_keys(raw, allowed, path)
    sources = parse_sources(raw.get("sources"), path)
    values = dict(base.values)
    changed = dict(base.overridden)
    for name in allowed[1:]:
        entry = raw.get(name)
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise fail(path, name, "expected a sourced value table (value or low/central/high, and source)")
        val = parse_value(entry, "dimensionless", sources, path, name, extra_keys=("meaning", "formula"))
        old = values.get(name)
        values[name] = Default(name, val, text_field(entry, "meaning", path, name) or (old.meaning if old else ""),
                               text_field(entry, "formula", path, name) or (old.formula if old else ""))
        changed[name] = path
    return Defaults(MappingProxyType(values), base.h100e_reference, MappingProxyType({**base.sources, **sources}),
                    base.path, MappingProxyType(changed))
