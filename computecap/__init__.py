"""computecap: how much AI compute does an organisation have, and what can it train with it?

Public API (all quantities are pint Quantities from ``computecap.units.ureg``)::

    import computecap
    h200 = computecap.chip("H200")          # a frozen Chip
    h200.peak("bf16")                       # 989.5 TFLOP/s (dense)
    computecap.estimate("china-h200-2026", samples=20_000, seed=0)
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from computecap.catalog import Catalog, Chip, ModelPreset, RuleSet, Scenario, default_catalog, set_spec_dirs
from computecap.errors import (
    ComputecapError,
    InputError,
    OutputError,
    SpecNotFoundError,
    SpecValidationError,
    UnitsError,
)
from computecap.units import Q_, ureg

if TYPE_CHECKING:
    from computecap.fleet import EstimateResult

__all__ = [
    "Q_",
    "Catalog",
    "Chip",
    "ComputecapError",
    "InputError",
    "ModelPreset",
    "OutputError",
    "RuleSet",
    "Scenario",
    "SpecNotFoundError",
    "SpecValidationError",
    "UnitsError",
    "__version__",
    "chip",
    "chips",
    "default_catalog",
    "estimate",
    "load_scenario",
    "model_preset",
    "model_presets",
    "rule_set",
    "rule_sets",
    "scenarios",
    "set_spec_dirs",
    "ureg",
]


def chip(name: str) -> Chip:
    """A chip by id or alias, case-insensitive (``"H200"`` -> H200 SXM)."""
    return default_catalog().chip(name)


def chips() -> list[Chip]:
    """Every chip in the catalog (bundled plus user spec directories)."""
    return default_catalog().chips()


def load_scenario(name: str) -> Scenario:
    """A bundled scenario by name, or a scenario TOML file by path."""
    return default_catalog().scenario(name)


def scenarios() -> list[Scenario]:
    return default_catalog().scenarios()


def model_preset(name: str) -> ModelPreset:
    return default_catalog().preset(name)


def model_presets() -> list[ModelPreset]:
    return default_catalog().presets()


def rule_set(name: str) -> RuleSet:
    return default_catalog().rule_set(name)


def rule_sets() -> list[RuleSet]:
    return default_catalog().rule_sets()


def estimate(scenario: Scenario | str = "china-h200-2026", **kwargs: Any) -> EstimateResult:
    """Per-company compute of a scenario with p5/p50/p95; see ``computecap.fleet.estimate``."""
    from computecap.fleet import estimate as _estimate
    return _estimate(scenario, **kwargs)
