"""Model presets: parameters, tokens and shape of published models (``specs/models/*.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    resolve_sources,
)

ARCHITECTURES = ("dense", "moe", "flop-only")
#: Attention types: multi-head, grouped-query (kv_heads < heads), multi-head latent (DeepSeek MLA).
ATTENTION_TYPES = ("mha", "gqa", "mla")
#: Integer shape fields. MoE: ``experts`` routed experts of ``moe_d_ff`` SwiGLU width in each of
#: ``moe_layers`` layers, ``experts_per_token`` routed plus ``shared_experts`` always active.
#: MLA: ``kv_lora_rank`` latent, ``qk_rope_head_dim`` / ``qk_nope_head_dim`` / ``v_head_dim`` per head.
SHAPE_FIELDS = ("layers", "d_model", "heads", "kv_heads", "head_dim", "kv_cache_dim", "seq_len", "vocab_size",
                "experts", "experts_per_token", "shared_experts", "moe_layers", "moe_d_ff",
                "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
_MOE_FIELDS = ("experts", "experts_per_token", "moe_layers", "moe_d_ff")
_TOP_KEYS = ("id", "name", "aliases", "architecture", "note", "sources", "params", "active_params", "tokens",
             "training_flop", "attention", *SHAPE_FIELDS)
_SHAPE_KEYS = ("value", "source", "confidence", "note")


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
    attention: str = "mha"
    shape_sources: Mapping[str, tuple[Source, ...]] = field(default_factory=dict)

    @property
    def expert_params(self) -> float | None:
        """Parameters of one routed expert [1]: 3 x d_model x moe_d_ff (SwiGLU), None for dense models."""
        s = self.shape
        return 3.0 * s["d_model"] * s["moe_d_ff"] if "moe_d_ff" in s and "d_model" in s else None

    @property
    def routed_params(self) -> float:
        """All routed-expert parameters [1]: moe_layers x experts x expert_params (0 for dense)."""
        e = self.expert_params
        return 0.0 if e is None else float(self.shape["moe_layers"] * self.shape["experts"]) * e

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
    check_keys(raw, _TOP_KEYS, path)
    for key in ("params", "active_params", "tokens", "training_flop"):
        if isinstance(raw.get(key), dict):
            check_keys(raw[key], VALUE_KEYS, path, key)
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
        if params is None:
            raise fail(path, "params", f"missing: a {arch} preset needs params")
    if arch == "moe" and active is None:
        raise fail(path, "active_params", "missing: a moe preset needs active_params")
    if params and active and active.central > params.central:
        raise fail(path, "active_params", "active parameters exceed total parameters")
    shape: dict[str, int] = {}
    shape_sources: dict[str, tuple[Source, ...]] = {}
    for key in SHAPE_FIELDS:
        if key in raw:
            if not isinstance(raw[key], dict):
                raise fail(path, key, "expected a table with value and source")
            check_keys(raw[key], _SHAPE_KEYS, path, key)
            v = raw[key].get("value")
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise fail(path, key, f"expected a positive integer, got {v!r}")
            shape[key] = v
            shape_sources[key] = resolve_sources(raw[key].get("source"), sources, path, key)
    if arch == "moe" and any(k in shape for k in _MOE_FIELDS):
        missing = [k for k in (*_MOE_FIELDS, "d_model") if k not in shape]
        if missing:
            raise fail(path, missing[0], "missing: MoE shape fields go together (experts, experts_per_token, "
                       "moe_layers, moe_d_ff, d_model)")
        if shape["experts_per_token"] > shape["experts"]:
            raise fail(path, "experts_per_token", "exceeds experts")
    attention = raw.get("attention", "mla" if "kv_lora_rank" in shape else
                        "gqa" if shape.get("kv_heads", shape.get("heads", 0)) < shape.get("heads", 0) else "mha")
    if attention not in ATTENTION_TYPES:
        raise fail(path, "attention", f"expected one of {', '.join(ATTENTION_TYPES)}, got {attention!r}")
    if attention == "mla":
        missing = [k for k in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "heads")
                   if k not in shape]
        if missing:
            raise fail(path, missing[0], "missing: MLA attention needs kv_lora_rank, qk_rope_head_dim, "
                       "qk_nope_head_dim, v_head_dim and heads")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list):
        raise fail(path, "aliases", "expected a list of names")
    return ModelPreset(id=pid, name=str(raw.get("name", pid)), aliases=tuple(map(str, aliases)), architecture=arch,
                       params=params, active_params=active, tokens=tokens, training_flop=flop,
                       shape=MappingProxyType(shape), sources=MappingProxyType(sources), path=path,
                       note=str(raw.get("note", "")), attention=attention,
                       shape_sources=MappingProxyType(shape_sources))
