"""Export-control rule sets as data (``specs/rules/*.toml``): ordered classes of threshold conditions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pint

from computecap.catalog.values import Source, check_keys, fail, parse_sources, resolve_sources, text_field
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
    check_keys(raw, ("id", "name", "aliases", "citation", "effective", "until", "applies_to", "note", "source",
                     "sources", "default_class", "prerequisite", "classes"), path)
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
        check_keys(c, ("name", "effect", "conditions"), path, where)
        conds = []
        raw_conds = c.get("conditions")
        if not isinstance(raw_conds, list) or not raw_conds:
            raise fail(path, f"{where}.conditions", "expected a list of { metric, op, threshold }")
        for j, cond in enumerate(raw_conds):
            cw = f"{where}.conditions[{j}]"
            if not isinstance(cond, dict):
                raise fail(path, cw, "expected { metric, op, threshold }")
            check_keys(cond, ("metric", "op", "threshold"), path, cw)
            metric, op = cond.get("metric"), cond.get("op")
            if metric not in METRICS:
                raise fail(path, f"{cw}.metric", f"expected one of {', '.join(METRICS)}, got {metric!r}")
            if op not in OPS:
                raise fail(path, f"{cw}.op", f"expected one of {', '.join(OPS)}, got {op!r}")
            if "threshold" not in cond:
                raise fail(path, f"{cw}.threshold", "missing")
            conds.append(Condition(metric, op, _threshold(metric, cond["threshold"], path, f"{cw}.threshold")))
        classes.append(RuleClass(c["name"], text_field(c, "effect", path, where), tuple(conds)))

    def date(key: str) -> str:
        v = raw.get(key, "")
        if isinstance(v, dt.date):
            return v.isoformat()
        if v != "":
            raise fail(path, key, f"expected a date like 2026-01-15, got {v!r}")
        return ""

    prereq = None
    if "prerequisite" in raw:
        pr = raw["prerequisite"]
        if not isinstance(pr, dict) or not all(isinstance(pr.get(k), str)
                                               for k in ("rule", "class_prefix", "otherwise")):
            raise fail(path, "prerequisite", "expected { rule, class_prefix, otherwise } (strings)")
        check_keys(pr, ("rule", "class_prefix", "otherwise"), path, "prerequisite")
        prereq = Prerequisite(pr["rule"], pr["class_prefix"], pr["otherwise"])
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise fail(path, "aliases", f"expected a list of names, got {aliases!r}")
    return RuleSet(id=rid, name=text_field(raw, "name", path, "") or rid, aliases=tuple(aliases),
                   citation=text_field(raw, "citation", path, ""), effective=date("effective"), until=date("until"),
                   applies_to=text_field(raw, "applies_to", path, ""), note=text_field(raw, "note", path, ""),
                   default_class=text_field(raw, "default_class", path, "") or "not controlled", classes=tuple(classes),
                   prerequisite=prereq, sources=resolve_sources(raw.get("source"), sources, path, "source"),
                   all_sources=MappingProxyType(sources), path=path)
