"""computecap: how much AI compute does an organisation have, and what can it train with it?

Public API (all quantities are pint Quantities from ``computecap.units.ureg``)::

    import computecap
    h200 = computecap.chip("H200")          # a frozen Chip
    h200.peak("bf16")                       # 989.5 TFLOP/s (dense)
    computecap.estimate("china-h200-2026", samples=20_000, seed=0)
    run = computecap.training_run(computecap.Workload.from_numbers(405e9, 15.6e12),
                                  computecap.fixed_cluster(computecap.chip("H100"), 16_384))

Training, serving, export-control and roofline functions are importable from here too;
their modules load on first use, so ``import computecap`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
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

#: Names re-exported from modules that are imported only when first used.
_LAZY = {
    "Workload": "computecap.training", "fixed_cluster": "computecap.core",
    "company_cluster": "computecap.core", "training_run": "computecap.training",
    "serve": "computecap.inference", "classify": "computecap.controls", "tpp": "computecap.controls",
    "performance_density": "computecap.controls", "compare": "computecap.comparison",
    "attainable": "computecap.roofline", "ridge_point": "computecap.roofline",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'computecap' has no attribute {name!r}")

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
    # imported on first use (see _LAZY)
    "Workload",
    "__version__",
    "attainable",
    "chip",
    "chips",
    "classify",
    "company_cluster",
    "compare",
    "default_catalog",
    "estimate",
    "fixed_cluster",
    "load_scenario",
    "model_preset",
    "model_presets",
    "performance_density",
    "ridge_point",
    "rule_set",
    "rule_sets",
    "scenarios",
    "serve",
    "set_spec_dirs",
    "tpp",
    "training_run",
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
