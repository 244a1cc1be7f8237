"""Export-control rule sets as data (``specs/rules/*.toml``): ordered classes of threshold conditions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pint

from computecap.catalog.values import Source, fail, parse_sources, resolve_sources
from computecap.units import parse_quantity

#: metric -> kind of threshold: "number", "bandwidth" (bytes/s) or "bool".
METRICS = {"tpp": "number", "performance_density": "number", "memory_bandwidth": "bandwidth",
           "interconnect_bandwidth": "bandwidth", "datacenter": "bool"}
OPS = (">=", ">", "<=", "<", "==")


@dataclass(frozen=True)
class Condition:
    """``metric op threshold``; a threshold is a number, a bandwidth Quantity or a bool."""

    metric: str
    op: str
    threshold: float | bool | pint.Quantity[Any]

    def describe(self) -> str:
        t = self.threshold
        if isinstance(t, pint.Quantity):
            text = f"{t.magnitude:g} {t.units:~P}"
        else:
            text = str(t).lower() if isinstance(t, bool) else f"{t:g}"
        return f"{self.metric} {self.op} {text}"


@dataclass(frozen=True)
class RuleClass:
    name: str
    effect: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Prerequisite:
    """Apply a rule set only to chips another rule set puts in a class starting with ``class_prefix``."""

    rule: str
    class_prefix: str
    otherwise: str


@dataclass(frozen=True)
class RuleSet:
    """A rule set: classes tried in order, the first whose conditions all hold applies."""

    id: str
    name: str
    aliases: tuple[str, ...]
    citation: str
    effective: str
    until: str
    applies_to: str
    note: str
    default_class: str
    classes: tuple[RuleClass, ...]
    prerequisite: Prerequisite | None
    sources: tuple[Source, ...]
    all_sources: Mapping[str, Source]
    path: str


def _threshold(metric: str, raw: Any, path: str, where: str) -> float | bool | pint.Quantity[Any]:
    kind = METRICS[metric]
    if kind == "bool":
        if not isinstance(raw, bool):
            raise fail(path, where, "expected true or false")
        return raw
    if kind == "bandwidth":
        return parse_quantity(raw, "bytes/s", f"{path}: {where}")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (isinstance(raw, float) and math.isnan(raw)):
        raise fail(path, where, f"expected a number, got {raw!r}")
    return float(raw)


def parse_rule_set(raw: dict[str, Any], path: str) -> RuleSet:
    """Validate one rule-set file and build a ``RuleSet``."""
    sources = parse_sources(raw.get("sources"), path)
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        raise fail(path, "id", "expected a rule-set id")
    classes = []
    raw_classes = raw.get("classes")
    if not isinstance(raw_classes, list) or not raw_classes:
        raise fail(path, "classes", "expected at least one [[classes]] entry")
    for i, c in enumerate(raw_classes):
        where = f"classes[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise fail(path, f"{where}.name", "expected a class name")
        conds = []
        raw_conds = c.get("conditions")
        if not isinstance(raw_conds, list) or not raw_conds:
            raise fail(path, f"{where}.conditions", "expected a list of { metric, op, threshold }")
        for j, cond in enumerate(raw_conds):
            cw = f"{where}.conditions[{j}]"
            if not isinstance(cond, dict):
                raise fail(path, cw, "expected { metric, op, threshold }")
            metric, op = cond.get("metric"), cond.get("op")
            if metric not in METRICS:
                raise fail(path, f"{cw}.metric", f"expected one of {', '.join(METRICS)}, got {metric!r}")
            if op not in OPS:
                raise fail(path, f"{cw}.op", f"expected one of {', '.join(OPS)}, got {op!r}")
            if "threshold" not in cond:
                raise fail(path, f"{cw}.threshold", "missing")
            conds.append(Condition(metric, op, _threshold(metric, cond["threshold"], path, f"{cw}.threshold")))
        classes.append(RuleClass(c["name"], str(c.get("effect", "")), tuple(conds)))

    def date(key: str) -> str:
        v = raw.get(key, "")
        return v.isoformat() if isinstance(v, dt.date) else str(v)

    prereq = None
    if "prerequisite" in raw:
        pr = raw["prerequisite"]
        if not isinstance(pr, dict) or not all(isinstance(pr.get(k), str)
                                               for k in ("rule", "class_prefix", "otherwise")):
            raise fail(path, "prerequisite", "expected { rule, class_prefix, otherwise } (strings)")
        prereq = Prerequisite(pr["rule"], pr["class_prefix"], pr["otherwise"])
    aliases = raw.get("aliases", [])
    return RuleSet(id=rid, name=str(raw.get("name", rid)),
                   aliases=tuple(map(str, aliases)) if isinstance(aliases, list) else (),
                   citation=str(raw.get("citation", "")), effective=date("effective"), until=date("until"),
                   applies_to=str(raw.get("applies_to", "")), note=str(raw.get("note", "")),
                   default_class=str(raw.get("default_class", "not controlled")), classes=tuple(classes),
                   prerequisite=prereq, sources=resolve_sources(raw.get("source"), sources, path, "source"),
                   all_sources=MappingProxyType(sources), path=path)
