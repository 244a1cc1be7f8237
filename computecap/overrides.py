"""What-ifs: change any scenario count, allocation, default or chip value for one run.

``apply(catalog, scenario, overrides)`` returns modified copies (frozen dataclasses are
replaced, never mutated) that every engine already accepts through ``catalog=`` and its
scenario argument. Keys (names case-insensitive, chips by id or alias):

    COMPANY.CHIP[.STATUS]        chips COMPANY holds of CHIP; STATUS when it holds several (a new
                                 STATUS line is added, undated); a share of an allocation leaves it
    holdings[N][.count|.delay]   the N-th [[holdings]] of the scenario file (from 0)
    allocations[N].total | .concentration | .delay | .shares.COMPANY | .count.COMPANY
    price.CHIP                   unit price in every market [USD]
    chip.CHIP.FIELD              a dense peak (bf16, fp8, ...) or spec (tdp, memory, ...)
    utilisation, server_overhead, pue, cluster_chips, amortisation_years   defaults

A value is a number or quantity with its unit (``25000 USD``, ``700 W``, ``600k``), or
``LOW..HIGH``: a 90% interval, sampled lognormal (uniform over the range when LOW is 0), as
``--mfu`` is. Taking a company out of an allocation keeps the others' expected counts: the
total shrinks by its expected share, the rest renormalise and the Dirichlet concentration
scales with them (the aggregation property). An uncertain input set to a point still draws
its random numbers, so the other inputs of a paired run keep their draws (common random
numbers). A fixed input made uncertain adds a stream, and a change to an allocation's shares,
concentration or companies re-draws its Dirichlet (gamma variates consume a varying number of
random values): inputs drawn after it then no longer pair, and a paired comparison is as wide
as one of independent draws for them (still valid, less sharp).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, TypeVar

from computecap.catalog import Catalog, Chip, Scenario
from computecap.catalog.chips import FIELDS, PRECISIONS
from computecap.catalog.defaults import REQUIRED, Defaults
from computecap.catalog.files import did_you_mean
from computecap.catalog.scenarios import STATUSES, Allocation, Holding
from computecap.catalog.values import SourcedValue
from computecap.core.records import Assumption
from computecap.errors import ComputecapError, InputError
from computecap.uncertainty import Distribution
from computecap.units import DIMENSIONS, Q_, parse_quantity

#: Defaults each command reads (an override of another is refused: it would change nothing).
USED_DEFAULTS = {
    "estimate": ("utilisation", "server_overhead", "pue", "cluster_chips", "chip_lifetime"),
    "timeline": ("server_overhead", "pue", "chip_lifetime"),
    "train": ("server_overhead", "pue", "cluster_chips", "amortisation_years", "chip_lifetime"),
    "serve": ("server_overhead", "pue", "amortisation_years", "chip_lifetime"),
}
_COUNT_DEFAULTS = ("cluster_chips",)
_YEAR_DEFAULTS = ("amortisation_years", "chip_lifetime")
_HOLDING = re.compile(r"^holdings\[(\d+)\](?:\.(count|delay))?$", re.IGNORECASE)
_ALLOCATION = re.compile(r"^allocations\[(\d+)\]\.(total|concentration|delay|shares\.(.+)|count\.(.+))$", re.IGNORECASE)
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6}
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmM]?)\s*$")
_FORMS = ("COMPANY.CHIP[.STATUS], holdings[N][.count|.delay], allocations[N].total|concentration|delay|"
          "shares.COMPANY|count.COMPANY, price.CHIP, chip.CHIP.FIELD, or a default (" + ", ".join(REQUIRED) + ")")

Value = str | int | float | Distribution
R = TypeVar("R")


@dataclass(frozen=True)
class Change:
    """One applied override: the key as given, what it changed, its new and its old value."""

    key: str
    target: str
    value: str
    was: str

    def assumption(self) -> Assumption:
        return Assumption(f"user override {self.key}", self.value, note=f"{self.target} (was {self.was})",
                          user_override=True)

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "target": self.target, "value": self.value, "was": self.was}


def parse_sets(texts: Iterable[str], option: str = "--set") -> dict[str, str]:
    """``["pue=1.2", "price.h200=25000 USD"]`` -> ``{key: value text}``; a key given twice is an error."""
    out: dict[str, str] = {}
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"{option}: expected KEY=VALUE (e.g. pue=1.2 or ByteDance.h200-sxm.installed=600000), "
                             f"got {text!r}")
        if key.strip().lower() in (k.lower() for k in out):
            raise InputError(f"{option}: {key.strip()} is set twice")
        out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------------------- values
def _interval(lo: float, hi: float, unit: str, key: str) -> Distribution:
    """A 90% interval LOW..HIGH: lognormal, or uniform over it when LOW is 0."""
    if lo > hi:
        raise InputError(f"--set {key}: low {lo:g} is greater than high {hi:g}")
    if lo == hi:
        return Distribution.point(lo, unit)
    if lo == 0:
        return Distribution(lo, hi / 2, hi, "uniform", unit)
    return Distribution(lo, math.sqrt(lo * hi), hi, "lognormal", unit)


def _parts(value: Value, key: str) -> list[str]:
    parts = str(value).split("..")
    if len(parts) > 2 or not all(p.strip() for p in parts):
        raise InputError(f"--set {key}: expected a value or LOW..HIGH, got {value!r}")
    return [p.strip() for p in parts]


def _count(value: Value, key: str, zero: bool = True) -> Distribution:
    """Chips: ``600000``, ``600k``, ``1.2M`` or ``500k..700k`` [chips]."""
    if isinstance(value, Distribution):
        return value
    vals = []
    for p in _parts(value, key):
        m = _COUNT.match(p.replace(",", "").replace("_", ""))
        if not m:
            raise InputError(f"--set {key}: expected a count like 600000, 600k or 500k..700k, got {value!r}")
        x = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
        if not math.isfinite(x) or x < 0 or (x == 0 and not zero):
            raise InputError(f"--set {key}: expected a {'non-negative' if zero else 'positive'} count, got {p!r}")
        vals.append(x)
    return _interval(vals[0], vals[-1], "", key)


def _quantity(value: Value, dimension: str, unit: str, key: str) -> Distribution:
    """A quantity of ``dimension`` (or a range of them) in ``unit``; a bare number only when dimensionless."""
    if isinstance(value, Distribution):
        return value
    vals = []
    for p in _parts(value, key):
        q = parse_quantity(p if dimension != "dimensionless" else _number_or_text(p), dimension, f"--set {key}")
        x = float(q.m_as(unit))
        if x < 0:
            raise InputError(f"--set {key}: expected a non-negative value, got {p!r}")
        vals.append(x)
    return _interval(vals[0], vals[-1], unit, key)


def _number_or_text(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


def _years(value: Value, key: str) -> Distribution:
    """Years: a bare number (as in specs/defaults.toml) or a duration (``5 year``, ``60 month``)."""
    if isinstance(value, Distribution):
        return value
    parts = _parts(value, key)
    if all(isinstance(_number_or_text(p), float) for p in parts):
        return _quantity(value, "dimensionless", "", key)
    return _quantity(value, "time", "year", key)


def _fraction(value: Value, key: str, what: str, upper: float | None) -> float:
    if isinstance(value, Distribution):
        if value.is_uncertain:
            raise InputError(f"--set {key}: a {what} is one number, not a range")
        value = value.central
    try:
        x = float(str(value).strip().removesuffix("%")) / (100 if str(value).strip().endswith("%") else 1)
    except ValueError:
        raise InputError(f"--set {key}: expected one number (a {what}), got {value!r}") from None
    if not (math.isfinite(x) and x > 0 and (upper is None or x < upper)):
        bound = f" and below {upper:g}" if upper is not None else ""
        raise InputError(f"--set {key}: expected a {what} above 0{bound}, got {value!r}")
    return x


def _keep_stream(old: Distribution, new: Distribution) -> Distribution:
    """``new``, drawing random numbers whenever ``old`` did: a point replacing an uncertain input
    becomes a one-ulp uniform, so the inputs sampled after it keep their draws."""
    if old.is_uncertain and not new.is_uncertain:
        v = new.central
        return Distribution(v, v, math.nextafter(v, math.inf), "uniform", new.unit)
    return new


def varies(d: Distribution) -> bool:
    """True when ``d`` is uncertain and not an input pinned to a point (``_keep_stream``)."""
    return d.is_uncertain and not (d.dist == "uniform" and d.high == math.nextafter(d.low, math.inf))


def _sourced(old: SourcedValue, new: Distribution, note: str) -> SourcedValue:
    """A user value in the units of the value it replaces (``new`` is in ``new.unit``)."""
    u = old.central.units
    lo, c, hi = (Q_(x, new.unit).to(u) for x in (new.low, new.central, new.high))
    return SourcedValue(central=c, low=lo, high=hi, sources=(), dist=new.dist if new.low != new.high else "fixed",
                        note=note)


def _describe(d: Distribution) -> str:
    if d.is_uncertain and not varies(d):
        return Distribution.point(d.central, d.unit).describe()
    if d.dist == "lognormal":
        return f"{d.low:g}..{d.high:g}{' ' + d.unit if d.unit else ''} (90% interval, lognormal)"
    return d.describe()


# ---------------------------------------------------------------------------- catalog
class OverrideCatalog(Catalog):
    """A catalog with user overrides: changed defaults and chips, and the changed scenario
    returned for its name. ``changes`` lists every override applied (with the base's)."""

    def __init__(self, base: Catalog, defaults: Defaults, chips: Mapping[str, Chip], scenario: Scenario | None,
                 changes: Iterable[Change]):
        super().__init__(base.user_dirs)
        self.base, self._chip_map, self._scenario = base, dict(chips), scenario
        self.changes: tuple[Change, ...] = (*getattr(base, "changes", ()), *changes)
        self.__dict__["defaults"] = defaults
        self.__dict__["calibration_runs"] = base.calibration_runs

    def chip(self, name: str) -> Chip:
        c = self.base.chip(name)
        return self._chip_map.get(c.id, c)

    def chips(self) -> list[Chip]:
        return [self._chip_map.get(c.id, c) for c in self.base.chips()]

    def scenario(self, name: str) -> Scenario:
        s = self.base.scenario(name)
        if self._scenario is not None and s.name == self._scenario.name and s.path == self._scenario.path:
            return self._scenario
        return _swap_chips(s, self._chip_map)

    def scenarios(self) -> list[Scenario]:
        return [self.scenario(s.name) for s in self.base.scenarios()]

    def preset(self, name: str) -> Any:
        return self.base.preset(name)

    def presets(self) -> list[Any]:
        return self.base.presets()

    def rule_set(self, name: str) -> Any:
        return self.base.rule_set(name)

    def rule_sets(self) -> list[Any]:
        return self.base.rule_sets()


def _swap_chips(scen: Scenario, chips: Mapping[str, Chip]) -> Scenario:
    """``scen`` with every holding and allocation of a changed chip pointing at its new record."""
    if not chips:
        return scen
    return replace(scen, holdings=tuple(replace(h, chip=chips.get(h.chip.id, h.chip)) for h in scen.holdings),
                   allocations=tuple(replace(a, chip=chips.get(a.chip.id, a.chip)) for a in scen.allocations))


# ---------------------------------------------------------------------------- apply
def apply(catalog: Catalog, scenario: Scenario | None, overrides: Mapping[str, Value], *,
          engine: str | None = None) -> tuple[OverrideCatalog, Scenario | None]:
    """Copies of ``catalog`` and ``scenario`` with ``overrides`` ({key: value}) applied.

    ``engine`` (estimate, timeline, train, serve) refuses defaults it does not read. The
    returned catalog lists the changes (``changes(catalog)``) and returns the changed
    scenario for its name. Raises InputError naming the key, with a did-you-mean.
    """
    defaults = catalog.defaults
    chip_new: dict[str, Chip] = {}
    done: list[Change] = []
    scen_ops: list[tuple[str, Value]] = []
    for key, value in overrides.items():
        k = key.strip()
        low = k.lower()
        if low in REQUIRED or low in ("mfu", "goodput"):
            defaults = _set_default(defaults, low, value, k, engine, done)
        elif low.startswith("price."):
            chip = catalog.chip(k[6:])
            chip_new[chip.id] = _set_chip(chip_new.get(chip.id, chip), "price", value, k, done)
        elif low.startswith("chip."):
            name, _, field = k[5:].rpartition(".")
            if not name:
                raise InputError(f"--set {k}: expected chip.CHIP.FIELD (e.g. chip.h200-sxm.tdp=700 W)")
            chip = catalog.chip(name)
            chip_new[chip.id] = _set_chip(chip_new.get(chip.id, chip), field.lower(), value, k, done)
        else:
            if scenario is None:
                raise InputError(f"--set {k}: {_unknown(k, catalog, None)}; scenario keys need --scenario")
            scen_ops.append((k, value))
    new_scen = None if scenario is None else _swap_chips(scenario, chip_new)
    if new_scen is not None and scen_ops:
        new_scen = _apply_scenario(new_scen, scen_ops, catalog, done)
    return OverrideCatalog(catalog, defaults, chip_new, new_scen, done), new_scen


def changes(catalog: Catalog) -> tuple[Change, ...]:
    """Every override in effect in ``catalog``: ``--set`` values and user ``defaults.toml`` entries."""
    out = list(getattr(catalog, "changes", ()))
    for name, path in catalog.defaults.overridden.items():
        d = catalog.defaults[name]
        out.insert(0, Change(f"{name} ({path})", f"default {name}", d.distribution.describe(), "the bundled value"))
    return tuple(out)


def annotate(result: R, catalog: Catalog) -> R:
    """``result`` with each override in its assumptions (``user_override``), first; engine
    assumptions of an overridden default are flagged too. Results without overrides are unchanged."""
    extra = changes(catalog)
    if not extra:
        return result
    if hasattr(result, "per_chip"):
        return replace(result, per_chip=tuple(annotate(r, catalog) for r in result.per_chip))  # type: ignore
    names = {c.target.removeprefix("default ") for c in extra if c.target.startswith("default ")}
    own = tuple(replace(a, user_override=True) if a.name in names else a
                for a in result.assumptions)  # type: ignore[attr-defined]
    return replace(result, assumptions=tuple(c.assumption() for c in extra) + own)  # type: ignore


def _set_default(defaults: Defaults, name: str, value: Value, key: str, engine: str | None,
                 done: list[Change]) -> Defaults:
    if name not in REQUIRED:
        raise InputError(f"--set {key}: cannot be overridden (train takes --mfu and --goodput; estimate reads "
                         f"utilisation)")
    if engine is not None and name not in USED_DEFAULTS[engine]:
        raise InputError(f"--set {key}: `{engine}` does not read {name}; it reads "
                         f"{', '.join(USED_DEFAULTS[engine])}")
    old = defaults[name]
    if name in _COUNT_DEFAULTS:
        new = _count(value, key, zero=False)
    elif name in _YEAR_DEFAULTS:
        new = _years(value, key)
    else:
        new = _quantity(value, "dimensionless", "", key)
    if new.low <= 0:
        raise InputError(f"--set {key}: expected a positive value, got {value!r}")
    new = replace(_keep_stream(old.distribution, new), unit="")
    sv = _sourced(old.value, new, f"user override (--set {key})")
    done.append(Change(key, f"default {name}", _describe(new), old.distribution.describe()))
    return replace(defaults, values=MappingProxyType({**defaults.values, name: replace(old, value=sv)}))


def _set_chip(chip: Chip, field: str, value: Value, key: str, done: list[Change]) -> Chip:
    if field in PRECISIONS:
        old = chip.peaks.get(field)
        dimension, unit = "FLOP/s", "FLOP/s"
    elif field in FIELDS:
        old = chip.specs.get(field)
        dimension = FIELDS[field]
        unit = f"{old.central.units}" if old is not None else DIMENSIONS[dimension][1]
    else:
        hint = did_you_mean(field, [*PRECISIONS, *FIELDS]) or f" (expected one of {', '.join([*PRECISIONS, *FIELDS])})"
        raise InputError(f"--set {key}: unknown chip field {field!r}{hint}")
    if old is None:
        raise InputError(f"--set {key}: {chip.id} publishes no {field}, so there is nothing to change")
    new = _quantity(value, dimension, unit, key)
    if new.low <= 0:
        raise InputError(f"--set {key}: expected a positive value, got {value!r}")
    new = _keep_stream(old.distribution(unit), replace(new, unit=unit))
    sv = _sourced(old, new, f"user override (--set {key})")
    done.append(Change(key, f"{chip.id} {field}" + (" (every market; price quotes dropped)" if field == "price" else ""),
                       _describe(new), f"{old.central:~P}" + (f" ({old.low:~P}..{old.high:~P})" if old.is_range else "")))
    if field in PRECISIONS:
        return replace(chip, peaks=MappingProxyType({**chip.peaks, field: sv}))
    quotes = () if field == "price" else chip.price_quotes
    return replace(chip, specs=MappingProxyType({**chip.specs, field: sv}), price_quotes=quotes)


# ---------------------------------------------------------------------------- scenario keys
def scenario_keys(scen: Scenario) -> list[str]:
    """Every scenario key ``apply`` accepts for ``scen`` (for did-you-mean and listings)."""
    keys = [f"holdings[{i}]" for i in range(len(scen.holdings))]
    keys += [f"{h.company}.{h.chip.id}.{h.status}" for h in scen.holdings]
    for i, a in enumerate(scen.allocations):
        keys += [f"allocations[{i}].{f}" for f in ("total", "concentration")]
        keys += [f"allocations[{i}].shares.{c}" for c in a.shares]
        keys += [f"{c}.{a.chip.id}.{a.status}" for c in a.shares]
    return list(dict.fromkeys(keys))


def _unknown(key: str, catalog: Catalog, scen: Scenario | None) -> str:
    known = [*REQUIRED, *(scenario_keys(scen) if scen is not None else [])]
    return f"unknown key{did_you_mean(key, known)}; expected {_FORMS}"


def _apply_scenario(scen: Scenario, ops: list[tuple[str, Value]], catalog: Catalog, done: list[Change]) -> Scenario:
    """Apply scenario keys in order; indices refer to the scenario file as given."""
    holdings: list[Holding | None] = list(scen.holdings)
    allocs: list[Allocation | None] = list(scen.allocations)
    added: list[Holding] = []
    for key, value in ops:
        m = _HOLDING.match(key)
        a = _ALLOCATION.match(key)
        if m:
            i = _index(int(m.group(1)), holdings, "holdings", key, scen)
            h = holdings[i]
            assert h is not None
            holdings[i] = _holding(h, (m.group(2) or "count").lower(), value, key, done)
        elif a:
            i = _index(int(a.group(1)), allocs, "allocations", key, scen)
            al = allocs[i]
            assert al is not None
            field = a.group(2).lower()
            if a.group(4):  # count.COMPANY: take the company out of the allocation
                allocs[i], h = _extract(al, _member(al, a.group(4), scen, key), _count(value, key), key, done)
                added.append(h)
            elif a.group(3):
                allocs[i] = _share(al, _member(al, a.group(3), scen, key), value, key, done)
            else:
                allocs[i] = _allocation(al, field, value, key, done)
        else:
            _company_key(scen, holdings, allocs, added, key, value, catalog, done)
    return replace(scen, holdings=tuple(h for h in holdings if h is not None) + tuple(added),
                   allocations=tuple(al for al in allocs if al is not None))


def _index(i: int, items: list[Any], kind: str, key: str, scen: Scenario) -> int:
    if i >= len(items):
        raise InputError(f"--set {key}: scenario {scen.name} has {len(items)} {kind} (0..{len(items) - 1})")
    if items[i] is None:
        raise InputError(f"--set {key}: {kind}[{i}] was taken apart by an earlier --set")
    return i


def _member(al: Allocation, name: str, scen: Scenario, key: str) -> str:
    try:
        company = scen.company(name)
    except ComputecapError as exc:
        raise InputError(f"--set {key}: {exc}") from None
    if company not in al.shares:
        raise InputError(f"--set {key}: {company} has no share in {al.label!r} (shares: {', '.join(al.shares)})")
    return company


def _holding(h: Holding, field: str, value: Value, key: str, done: list[Change]) -> Holding:
    what = f"{h.company} {h.chip.id} ({h.status})"
    if field == "delay":
        if h.delivery is None:
            raise InputError(f"--set {key}: {what} has no delivery date to delay")
        d = _keep_stream(h.delivery.delay, replace(_quantity(value, "time", "day", key), unit="day"))
        done.append(Change(key, f"{what} delivery delay", _describe(d), h.delivery.delay.describe()))
        return replace(h, delivery=replace(h.delivery, delay=d))
    c = _keep_stream(h.count, _count(value, key))
    done.append(Change(key, f"{what} chips", _describe(c), h.count.describe()))
    return replace(h, count=c)


def _allocation(al: Allocation, field: str, value: Value, key: str, done: list[Change]) -> Allocation:
    if field == "total":
        t = _keep_stream(al.total, _count(value, key))
        done.append(Change(key, f"total of {al.label!r}", _describe(t), al.total.describe()))
        return replace(al, total=t)
    if field == "concentration":
        c = _fraction(value, key, "Dirichlet concentration", None)
        done.append(Change(key, f"Dirichlet concentration of {al.label!r}", f"{c:g}", f"{al.concentration:g}"))
        return replace(al, concentration=c)
    if al.delivery is None:
        raise InputError(f"--set {key}: {al.label!r} has no delivery date to delay")
    d = _keep_stream(al.delivery.delay, replace(_quantity(value, "time", "day", key), unit="day"))
    done.append(Change(key, f"delivery delay of {al.label!r}", _describe(d), al.delivery.delay.describe()))
    return replace(al, delivery=replace(al.delivery, delay=d))


def _share(al: Allocation, company: str, value: Value, key: str, done: list[Change]) -> Allocation:
    if len(al.shares) == 1:
        raise InputError(f"--set {key}: {company} is the only company of {al.label!r}; its share is 1")
    x = _fraction(value, key, "share", 1.0)
    old = al.shares[company]
    k = (1 - x) / (1 - old)
    shares = {c: (x if c == company else s * k) for c, s in al.shares.items()}
    done.append(Change(key, f"{company}'s expected share of {al.label!r} (others rescaled to sum to 1)",
                       f"{x:g}", f"{old:g}"))
    return replace(al, shares=MappingProxyType(shares))


def _extract(al: Allocation, company: str, count: Distribution, key: str,
             done: list[Change]) -> tuple[Allocation | None, Holding]:
    """Take ``company`` out of ``al`` with ``count`` chips; the others keep their expected counts."""
    s = al.shares[company]
    h = Holding(company, al.chip, count, al.status, al.date, al.sources, assumption=f"user override (--set {key})",
                note=al.note, delivery=al.delivery, channel=al.channel, tenant=al.tenant)
    rest = {c: v / (1 - s) for c, v in al.shares.items() if c != company}
    was = f"{s:.0%} share of {al.total.describe()}"
    done.append(Change(key, f"{company} {al.chip.id} ({al.status}) chips, taken out of {al.label!r}; the others "
                       f"keep their expected counts (total x {1 - s:.2f})", _describe(count), was))
    if not rest:
        return None, h
    k = 1 - s
    total = replace(al.total, low=al.total.low * k, central=al.total.central * k, high=al.total.high * k)
    return replace(al, total=total, shares=MappingProxyType(rest), concentration=al.concentration * k), h


def _company_key(scen: Scenario, holdings: list[Holding | None], allocs: list[Allocation | None],
                 added: list[Holding], key: str, value: Value, catalog: Catalog, done: list[Change]) -> None:
    """``COMPANY.CHIP[.STATUS]``: set, scale, take out of an allocation, or add a line."""
    company_text, _, rest = key.partition(".")
    status = None
    head, _, tail = rest.rpartition(".")
    if head and tail.lower() in STATUSES:
        rest, status = head, tail.lower()
    try:
        company = scen.company(company_text)
    except ComputecapError:
        raise InputError(f"--set {key}: {_unknown(key, catalog, scen)}") from None
    if not rest:
        raise InputError(f"--set {key}: expected COMPANY.CHIP[.STATUS] (e.g. {company}.h200-sxm.installed=600000)")
    try:
        chip = catalog.chip(rest)
    except ComputecapError as exc:
        raise InputError(f"--set {key}: {exc}") from None
    hs = [i for i, h in enumerate(holdings) if h is not None and h.company == company and h.chip.id == chip.id
          and status in (None, h.status)]
    al = [i for i, a in enumerate(allocs) if a is not None and company in a.shares and a.chip.id == chip.id
          and status in (None, a.status)]
    statuses = sorted({holdings[i].status for i in hs} | {allocs[i].status for i in al})  # type: ignore[union-attr]
    if status is None and len(statuses) > 1:
        raise InputError(f"--set {key}: {company} holds {chip.id} as {', '.join(statuses)}; add the status, e.g. "
                         f"{company}.{chip.id}.{statuses[0]}")
    if not hs and not al:
        if status is None:
            raise InputError(f"--set {key}: {company} holds no {chip.id} in scenario {scen.name}; add a status "
                             f"({', '.join(STATUSES)}) to add a holding")
        count = _count(value, key)
        added.append(Holding(company, chip, count, status, None, (), assumption=f"user override (--set {key})"))
        done.append(Change(key, f"{company} {chip.id} ({status}) chips, a new undated holding", _describe(count),
                           "none"))
        return
    if hs and al:
        keys = [f"holdings[{i}]" for i in hs] + [f"allocations[{i}].count.{company}" for i in al]
        raise InputError(f"--set {key}: {company}'s {chip.id} ({statuses[0]}) is both a holding and a share of "
                         f"an allocation; set one: {', '.join(keys)}")
    if al:
        if len(al) > 1:
            raise InputError(f"--set {key}: matches several allocations; use "
                             + ", ".join(f"allocations[{i}].count.{company}" for i in al))
        i = al[0]
        a = allocs[i]
        assert a is not None
        allocs[i], h = _extract(a, company, _count(value, key), key, done)
        added.append(h)
        return
    if len(hs) == 1:
        h0 = holdings[hs[0]]
        assert h0 is not None
        holdings[hs[0]] = _holding(h0, "count", value, key, done)
        return
    target = _count(value, key)
    if target.is_uncertain:
        raise InputError(f"--set {key}: matches {len(hs)} holdings; give one count (split in proportion to their "
                         f"central counts) or set each: {', '.join(f'holdings[{i}]' for i in hs)}")
    old = [holdings[i].count for i in hs]  # type: ignore[union-attr]
    whole = sum(d.central for d in old)
    for i, d in zip(hs, old):
        k = target.central / whole
        h1 = holdings[i]
        assert h1 is not None
        holdings[i] = replace(h1, count=_keep_stream(d, Distribution.point(d.central * k)))
    done.append(Change(key, f"{company} {chip.id} ({statuses[0]}) chips over {len(hs)} holdings, split in "
                       f"proportion to their central counts", _describe(target), f"{whole:,.0f} central"))
