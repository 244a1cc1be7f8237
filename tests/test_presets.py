"""Model preset loader: strict keys, sourced shape fields, MoE and MLA field sets."""

from __future__ import annotations

from typing import Any

import pytest

from computecap.catalog.presets import parse_preset
from computecap.errors import SpecValidationError

SRC = {"s": {"url": "https://example.org", "title": "t", "accessed": "2026-12-01"}}


def base(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": "m", "architecture": "moe", "params": {"value": 100e9, "source": "s"},
                           "active_params": {"value": 10e9, "source": "s"}, "tokens": {"value": 1e12, "source": "s"},
                           "sources": SRC}
    raw.update(extra)
    return raw


def test_unknown_top_level_key_gets_a_did_you_mean() -> None:
    with pytest.raises(SpecValidationError, match=r"m.toml: expert: unknown field \(did you mean 'experts'"):
        parse_preset(base(expert={"value": 8, "source": "s"}), "m.toml")


def test_shape_field_needs_a_source() -> None:
    with pytest.raises(SpecValidationError, match="layers: no source"):
        parse_preset(base(layers={"value": 8}), "m.toml")


def test_shape_field_refuses_unknown_keys() -> None:
    with pytest.raises(SpecValidationError, match="layers.sorce: unknown field"):
        parse_preset(base(layers={"value": 8, "source": "s", "sorce": "s"}), "m.toml")


def test_moe_fields_go_together() -> None:
    with pytest.raises(SpecValidationError, match="MoE shape fields go together"):
        parse_preset(base(experts={"value": 8, "source": "s"}), "m.toml")


def test_mla_needs_its_dimensions() -> None:
    with pytest.raises(SpecValidationError, match="MLA attention needs"):
        parse_preset(base(attention="mla", heads={"value": 8, "source": "s"}), "m.toml")


def test_attention_type_is_inferred() -> None:
    p = parse_preset(base(heads={"value": 64, "source": "s"}, kv_heads={"value": 8, "source": "s"}), "m.toml")
    assert p.attention == "gqa"
    q = parse_preset(base(heads={"value": 64, "source": "s"}), "m.toml")
    assert q.attention == "mha"
