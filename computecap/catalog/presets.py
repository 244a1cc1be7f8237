"""Model presets: parameters, tokens and shape of published models (``specs/models/*.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pint

from computecap.catalog.values import Source, SourcedValue, fail, parse_sources, parse_value

ARCHITECTURES = ("dense", "moe", "flop-only")
SHAPE_FIELDS = ("layers", "d_model", "heads", "kv_heads", "head_dim", "kv_cache_dim", "seq_len", "vocab_size")


@dataclass(frozen=True)
class ModelPreset:
    """A published model: total and active parameters [1], tokens [1], shape, sources."""

    id: str
    name: str
    aliases: tuple[str, ...]
    architecture: str
    params: SourcedValue | None
    active_params: SourcedValue | None
    tokens: SourcedValue | None
    training_flop: SourcedValue | None
    shape: Mapping[str, int]
    sources: Mapping[str, Source]
    path: str
    note: str = ""

    @property
    def n_params(self) -> float | None:
        """Total parameters [1]."""
        return float(self.params.central.magnitude) if self.params else None

    @property
    def n_active(self) -> float | None:
        """Parameters active per token [1] (= total for dense models)."""
        src = self.active_params or self.params
        return float(src.central.magnitude) if src else None

    @property
    def n_tokens(self) -> float | None:
        """Training tokens [1]."""
        return float(self.tokens.central.magnitude) if self.tokens else None

    @property
    def published_flop(self) -> pint.Quantity[Any] | None:
        """The training compute the authors (or a named estimate) published [FLOP]."""
        return self.training_flop.central.to("FLOP") if self.training_flop else None


def parse_preset(raw: dict[str, Any], path: str) -> ModelPreset:
    """Validate one model preset file and build a ``ModelPreset``."""
    sources = parse_sources(raw.get("sources"), path)
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid:
        raise fail(path, "id", "expected a preset id like 'llama-3.1-405b'")
    arch = raw.get("architecture", "dense")
    if arch not in ARCHITECTURES:
        raise fail(path, "architecture", f"expected one of {', '.join(ARCHITECTURES)}, got {arch!r}")

    def count(key: str) -> SourcedValue | None:
        if key not in raw:
            return None
        return parse_value(raw[key], "dimensionless", sources, path, key)

    params, active, tokens = count("params"), count("active_params"), count("tokens")
    flop = parse_value(raw["training_flop"], "FLOP", sources, path, "training_flop") if "training_flop" in raw else None
    if arch == "flop-only":
        if flop is None:
            raise fail(path, "training_flop", "a flop-only preset needs training_flop")
    else:
        for key, val in (("params", params), ("tokens", tokens)):
            if val is None:
                raise fail(path, key, f"missing: a {arch} preset needs {key}")
    if arch == "moe" and active is None:
        raise fail(path, "active_params", "missing: a moe preset needs active_params")
    if params and active and active.central > params.central:
        raise fail(path, "active_params", "active parameters exceed total parameters")
    shape: dict[str, int] = {}
    for key in SHAPE_FIELDS:
        if key in raw:
            v = raw[key]["value"] if isinstance(raw[key], dict) and "value" in raw[key] else raw[key]
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise fail(path, key, f"expected a positive integer, got {v!r}")
            shape[key] = v
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list):
        raise fail(path, "aliases", "expected a list of names")
    return ModelPreset(id=pid, name=str(raw.get("name", pid)), aliases=tuple(map(str, aliases)), architecture=arch,
                       params=params, active_params=active, tokens=tokens, training_flop=flop,
                       shape=MappingProxyType(shape), sources=MappingProxyType(sources), path=path,
                       note=str(raw.get("note", "")))
