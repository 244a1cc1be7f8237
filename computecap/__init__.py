"""computecap: how much AI compute does an organisation have, and what can it train with it?

Public API (all quantities are pint Quantities from ``computecap.units.ureg``)::

    import computecap
    h200 = computecap.chip("H200")          # a frozen Chip
    h200.peak("bf16")                       # 989.5 TFLOP/s (dense), as FLOP/s
    computecap.estimate("china-h200-2026", samples=10_000, seed=0)
    run = computecap.training_run(computecap.Workload.from_numbers(405e9, 15.6e12),
                                  computecap.fixed_cluster(computecap.chip("H100"), 16_384))

Every name is loaded on first use, so ``import computecap`` (and ``computecap --help``)
stays cheap and changes no global state of the host program.
"""

from __future__ import annotations

__version__ = "0.2.0"

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from computecap.catalog import Catalog, Chip, ModelPreset, RuleSet, Scenario, default_catalog, set_spec_dirs
    from computecap.controls import classify, performance_density, tpp
    from computecap.core import Cluster, company_cluster, fixed_cluster
    from computecap.errors import (
        ComputecapError,
        InputError,
        OutputError,
        SpecNotFoundError,
        SpecValidationError,
        UnitsError,
    )
    from computecap.fleet import EstimateResult
    from computecap.inference import serve
    from computecap.roofline import attainable, ridge_point
    from computecap.training import Workload, training_run
    from computecap.units import Q_, ureg

#: Public names and the module each is loaded from on first use.
_LAZY = {
    **dict.fromkeys(("Catalog", "Chip", "ModelPreset", "RuleSet", "Scenario", "default_catalog", "set_spec_dirs"),
                    "computecap.catalog"),
    **dict.fromkeys(("ComputecapError", "InputError", "OutputError", "SpecNotFoundError", "SpecValidationError",
                     "UnitsError"), "computecap.errors"),
    **dict.fromkeys(("Q_", "ureg"), "computecap.units"),
    **dict.fromkeys(("Cluster", "fixed_cluster", "company_cluster"), "computecap.core"),
    **dict.fromkeys(("Workload", "training_run"), "computecap.training"),
    "EstimateResult": "computecap.fleet",
    "serve": "computecap.inference",
    **dict.fromkeys(("classify", "tpp", "performance_density"), "computecap.controls"),
    **dict.fromkeys(("attainable", "ridge_point"), "computecap.roofline"),
    "compare": "computecap.comparison",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'computecap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Q_",
    "Catalog",
    "Chip",
    "Cluster",
    "ComputecapError",
    "EstimateResult",
    "InputError",
    "ModelPreset",
    "OutputError",
    "RuleSet",
    "Scenario",
    "SpecNotFoundError",
    "SpecValidationError",
    "UnitsError",
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


def _catalog() -> Catalog:
    from computecap.catalog import default_catalog as _default
    return _default()


def _name(value: object, argument: str) -> str:
    if not isinstance(value, str):
        from computecap.errors import InputError as _InputError
        raise _InputError(f"{argument}: expected a name (a string), got {type(value).__name__}")
    return value


def chip(name: str) -> Chip:
    """A chip by id or alias, case-insensitive (``"H200"`` -> H200 SXM)."""
    return _catalog().chip(_name(name, "chip"))


def chips() -> list[Chip]:
    """Every chip in the catalog (bundled plus user spec directories)."""
    return _catalog().chips()


def load_scenario(name: str) -> Scenario:
    """A bundled scenario by name, or a scenario TOML file by path."""
    return _catalog().scenario(_name(name, "scenario"))


def scenarios() -> list[Scenario]:
    """Every bundled and user scenario."""
    return _catalog().scenarios()


def model_preset(name: str) -> ModelPreset:
    """A model preset by id or alias."""
    return _catalog().preset(_name(name, "model"))


def model_presets() -> list[ModelPreset]:
    """Every model preset."""
    return _catalog().presets()


def rule_set(name: str) -> RuleSet:
    """An export-control rule set by id or alias."""
    return _catalog().rule_set(_name(name, "rule set"))


def rule_sets() -> list[RuleSet]:
    """Every export-control rule set."""
    return _catalog().rule_sets()


def estimate(scenario: Scenario | str = "china-h200-2026", **kwargs: Any) -> EstimateResult:
    """Per-company compute of a scenario with p5/p50/p95; see ``computecap.fleet.estimate``."""
    from computecap.fleet import estimate as _estimate
    return _estimate(scenario, **kwargs)
