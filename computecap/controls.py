"""Export-control metrics: Total Processing Performance, performance density, classification.

TPP = 2 x MacTOPS x bit length = dense TOPS x bit length of the multiply inputs, the
maximum over the chip's matrix precisions (BIS, 88 FR 73458, Technical Note to 3A090).
Vector FP32/FP64 and TF32 are not counted (see specs/rules/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pint

from computecap.catalog import default_catalog
from computecap.catalog.chips import Chip
from computecap.catalog.rules import Condition, RuleSet
from computecap.errors import InputError


def tpp_by_precision(chip: Chip) -> dict[str, float]:
    """TPP each precision alone would give: dense peak [TOPS] x bit length [bit]."""
    return chip.tpp_by_precision()


def tpp(chip: Chip) -> pint.Quantity[Any]:
    """Total Processing Performance [1]: the maximum over precisions of dense TOPS x bit length."""
    return chip.tpp


def performance_density(chip: Chip) -> pint.Quantity[Any] | None:
    """TPP per applicable die area [1/mm**2]; None when the die area is not published."""
    return chip.performance_density


def metric_value(chip: Chip, metric: str) -> float | bool | pint.Quantity[Any] | None:
    """The chip's value of a rule metric, in the unit the rule thresholds use."""
    if metric == "tpp":
        return float(tpp(chip).magnitude)
    if metric == "performance_density":
        pd = performance_density(chip)
        return None if pd is None else pd.m_as("1/mm**2")
    if metric == "datacenter":
        return chip.datacenter
    spec = chip.get(metric)
    return None if spec is None else spec.central


def _holds(value: float | bool | pint.Quantity[Any], cond: Condition) -> bool:
    v, t = value, cond.threshold
    if isinstance(t, pint.Quantity) and isinstance(v, pint.Quantity):
        v, t = v.m_as("GB/s"), t.m_as("GB/s")
    return {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t, "==": v == t}[cond.op]


@dataclass(frozen=True)
class Margin:
    """How far a chip sits from one threshold: (value - threshold) / threshold."""

    condition: Condition
    value: float | bool | pint.Quantity[Any] | None
    holds: bool | None
    relative: float | None

    def describe(self) -> str:
        if self.value is None:
            return f"{self.condition.describe()}: not published"
        v = f"{self.value:~.4gP}" if isinstance(self.value, pint.Quantity) else (
            str(self.value).lower() if isinstance(self.value, bool) else
            f"{self.value:,.0f}" if abs(self.value) >= 1000 else f"{self.value:.4g}")
        rel = "" if self.relative is None else f" ({self.relative:+.1%})"
        return f"{self.condition.describe()}: {v}{rel} {'yes' if self.holds else 'no'}"


@dataclass(frozen=True)
class Classification:
    """The class a chip falls in under one rule set, with every threshold margin."""

    chip: Chip
    rule_set: RuleSet
    name: str
    effect: str
    indeterminate: bool
    margins: tuple[Margin, ...]
    decisive: tuple[Margin, ...] = ()

    @property
    def nearest(self) -> Margin | None:
        """The margin that best explains the class: the matched class's closest condition,
        or, when no class matched, the failed condition closest to flipping."""
        pool = [m for m in self.decisive if m.relative is not None]
        return min(pool, key=lambda m: abs(m.relative or 0.0)) if pool else None


def margin(chip: Chip, cond: Condition) -> Margin:
    value = metric_value(chip, cond.metric)
    if value is None:
        return Margin(cond, None, None, None)
    rel = None
    if not isinstance(cond.threshold, bool):
        t = cond.threshold.m_as("GB/s") if isinstance(cond.threshold, pint.Quantity) else cond.threshold
        v = value.m_as("GB/s") if isinstance(value, pint.Quantity) else float(value)
        rel = (v - t) / t if t else None
    return Margin(cond, value, _holds(value, cond), rel)


def classify(chip: Chip, rule_set: RuleSet, prerequisite: RuleSet | None = None) -> Classification:
    """The first class of ``rule_set`` whose conditions all hold for ``chip``.

    A class whose conditions need a value the chip does not publish (e.g. die area for
    performance density) cannot be ruled out; if it is reached, the result is
    indeterminate and says which value is missing. A rule set with a prerequisite (an
    overlay such as the 2026 China review policy) applies only when ``prerequisite``
    classifies the chip in the named class family.
    """
    if rule_set.prerequisite is not None:
        if prerequisite is None or prerequisite.id != rule_set.prerequisite.rule:
            raise InputError(f"rule set {rule_set.id} is an overlay on {rule_set.prerequisite.rule}: "
                             f"pass that rule set as prerequisite")
        base = classify(chip, prerequisite)
        if not base.name.startswith(rule_set.prerequisite.class_prefix):
            return Classification(chip, rule_set, rule_set.prerequisite.otherwise, f"{prerequisite.id}: {base.name}",
                                  base.indeterminate, ())
    margins: list[Margin] = []
    for cls in rule_set.classes:
        ms = [margin(chip, c) for c in cls.conditions]
        margins += ms
        if any(m.holds is False for m in ms):
            continue
        if any(m.holds is None for m in ms):
            missing = ", ".join(sorted({m.condition.metric for m in ms if m.holds is None}))
            return Classification(chip, rule_set, f"indeterminate ({missing} not published)",
                                  f"could be {cls.name}", True, tuple(margins))
        return Classification(chip, rule_set, cls.name, cls.effect, False, tuple(margins), tuple(ms))
    failed = tuple(m for m in margins if m.holds is False)
    return Classification(chip, rule_set, rule_set.default_class, "", False, tuple(margins), failed)


def classify_all(chip: Chip, rule_sets: list[RuleSet],
                 lookup: Callable[[str], RuleSet] | None = None) -> list[Classification]:
    """Classify ``chip`` under every rule set; an overlay's prerequisite comes from the list or
    from ``lookup`` (default: the catalog), so an overlay can be asked for alone."""
    by_id = {r.id: r for r in rule_sets}
    find = lookup or default_catalog().rule_set
    out = []
    for r in rule_sets:
        pre = (by_id.get(r.prerequisite.rule) or find(r.prerequisite.rule)) if r.prerequisite else None
        out.append(classify(chip, r, pre))
    return out


#: Vendors whose chips are designed and sold in China: outside US export controls on the vendor's side.
DOMESTIC_VENDORS = ("huawei", "alibaba", "cambricon", "hygon", "kunlunxin", "biren", "moore threads", "enflame")


def control_classes(chips: list[Chip], rule_set: RuleSet,
                    lookup: Callable[[str], RuleSet] | None = None) -> dict[str, str]:
    """Chip id -> its class under ``rule_set``, or "domestic (Chinese vendor)" for chips of
    Chinese vendors, for grouping a fleet by control class (``estimate --by control-class``)."""
    out = {}
    for chip in chips:
        if any(chip.vendor.lower().startswith(v) for v in DOMESTIC_VENDORS):
            out[chip.id] = "domestic (Chinese vendor)"
        else:
            out[chip.id] = f"{rule_set.id}: {classify_all(chip, [rule_set], lookup)[-1].name}"
    return out
