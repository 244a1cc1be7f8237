"""The catalog: load, validate and look up every kind of spec file.

``Catalog`` reads bundled ``specs/`` plus user directories lazily, once, and answers
lookups by id or alias (case-insensitive) with did-you-mean errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

from computecap.cache import ParsedCache, cache_dir
from computecap.catalog.calibration import CalibrationRun, parse_runs
from computecap.catalog.chips import Chip, parse_chip
from computecap.catalog.defaults import Defaults, merge_defaults, parse_defaults
from computecap.catalog.files import (
    bundled_root,
    display_path,
    env_dirs,
    not_found,
    parse_toml,
    read_spec_bytes,
    read_toml,
    spec_files,
)
from computecap.catalog.presets import ModelPreset, parse_preset
from computecap.catalog.rules import RuleSet, parse_rule_set
from computecap.catalog.scenarios import Scenario, parse_scenario
from computecap.catalog.values import Source, SourcedValue
from computecap.errors import SpecValidationError

__all__ = ["Catalog", "Chip", "Defaults", "ModelPreset", "RuleSet", "Scenario", "Source", "SourcedValue",
           "default_catalog", "set_spec_dirs", "use_catalog"]

T = TypeVar("T")


class _Index(Generic[T]):
    """Items of one kind keyed by lower-cased id and aliases, each parsed when first asked for.

    Ids and aliases are read from the raw files up front (so a clash is found at once); a file whose
    id or aliases are malformed is parsed at once, to give its own error.
    """

    def __init__(self, kind: str, listing: str, raws: list[tuple[dict[str, Any], str]],
                 parse: Callable[[dict[str, Any], str], T], ident: Callable[[T], tuple[str, tuple[str, ...]]]):
        self.kind, self.listing, self._parse, self._ident = kind, listing, parse, ident
        self._parsed: dict[str, T] = {}
        self._raw: dict[str, dict[str, Any]] = {}  # path -> raw file
        self.names: dict[str, str] = {}  # normalised id or alias -> path
        self.shown: list[str] = []
        self._order: list[str] = []
        for raw, path in raws:
            rid, aliases = raw.get("id"), raw.get("aliases", [])
            if not isinstance(rid, str) or not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                item = parse(raw, path)  # raises its own, precise error
                self._parsed[path] = item
                rid, aliases = ident(item)[0], list(ident(item)[1])
            self._raw[path] = raw
            self._order.append(path)
            for name in (rid, *aliases):
                key = _norm(name)
                if self.names.get(key) == path:  # an alias that only restates this item's own id
                    continue
                if key in self.names:
                    raise SpecValidationError(
                        f"{path}: {'id' if name == rid else 'aliases'}: {name!r} is already used by {self.names[key]}")
                self.names[key] = path
            self.shown += [rid, *aliases]

    def _item(self, path: str) -> T:
        if path not in self._parsed:
            self._parsed[path] = self._parse(self._raw[path], path)
        return self._parsed[path]

    def get(self, name: str) -> T:
        path = self.names.get(_norm(name))
        if path is None:
            raise not_found(self.kind, name, self.shown, self.listing)
        return self._item(path)

    @property
    def items(self) -> dict[str, T]:
        """Every item by id, in file order (parses them all)."""
        return {self._ident(item)[0]: item for item in map(self._item, self._order)}


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


class Catalog:
    """Bundled specs plus the user's own directories, loaded lazily and validated once."""

    def __init__(self, user_dirs: Iterable[str | Path] = ()):
        self.user_dirs = tuple(Path(d) for d in user_dirs)
        self.cache = ParsedCache(cache_dir())

    def read(self, path: Path, shown: str) -> dict[str, Any]:
        """A spec file's parsed TOML (cached across starts while the file is unchanged)."""
        return self.cache.get(path, read_spec_bytes(path, shown), lambda data: parse_toml(data, shown))

    def _load(self, kind: str, parse: Callable[..., Any], ident: Callable[[Any], tuple[str, tuple[str, ...]]],
              listing: str, **extra: Any) -> _Index[Any]:
        raws = [(self.read(path, shown), shown) for path, shown in spec_files(kind, self.user_dirs)]
        self.cache.save()
        return _Index(kind.rstrip("s") if kind != "rules" else "rule set", listing, raws,
                      lambda raw, shown: parse(raw, shown, **extra), ident)

    @functools.cached_property
    def _chips(self) -> _Index[Chip]:
        return self._load("chips", parse_chip, lambda c: (c.id, c.aliases), "computecap chips list")

    @functools.cached_property
    def _scenarios(self) -> _Index[Scenario]:
        return self._load("scenarios", parse_scenario, lambda s: (s.name, ()), "computecap scenarios list",
                          chip_lookup=self.chip)

    @functools.cached_property
    def _presets(self) -> _Index[ModelPreset]:
        return self._load("models", parse_preset, lambda m: (m.id, m.aliases), "computecap models list")

    @functools.cached_property
    def _rules(self) -> _Index[RuleSet]:
        return self._load("rules", parse_rule_set, lambda r: (r.id, r.aliases), "computecap controls --help")

    @functools.cached_property
    def defaults(self) -> Defaults:
        """The default assumptions: bundled ``specs/defaults.toml``, then each user directory's
        ``defaults.toml`` replacing the entries it names (strictly validated, sourced)."""
        path = bundled_root() / "defaults.toml"
        shown = display_path(path, bundled_root())
        out = parse_defaults(self.read(path, shown), shown)
        for d in self.user_dirs:
            user = d / "defaults.toml"
            if user.is_file():
                out = merge_defaults(out, self.read(user, str(user)), str(user))
        return out

    @functools.cached_property
    def calibration_runs(self) -> list[CalibrationRun]:
        """Published training runs (bundled ``specs/calibration/training-runs.toml``)."""
        path = bundled_root() / "calibration" / "training-runs.toml"
        shown = display_path(path, bundled_root())
        return parse_runs(self.read(path, shown), shown)

    def chip(self, name: str) -> Chip:
        """A chip by id or alias (case-insensitive)."""
        return self._chips.get(name)

    def chips(self) -> list[Chip]:
        """Every chip, in file order."""
        return list(self._chips.items.values())

    def scenario(self, name: str) -> Scenario:
        """A bundled or user scenario by name, or a path to a scenario TOML file."""
        if name.endswith(".toml") or "/" in name or "\\" in name:
            path = Path(name)
            if not path.is_file():
                raise SpecValidationError(f"{name}: --scenario: no such file")
            return parse_scenario(read_toml(path, name), name, chip_lookup=self.chip)
        if "_scenarios" not in self.__dict__:  # parse only the file named after it, when there is one
            for path, shown in spec_files("scenarios", self.user_dirs):
                if _norm(path.stem) == _norm(name):
                    found = parse_scenario(self.read(path, shown), shown, chip_lookup=self.chip)
                    if _norm(found.name) == _norm(name):
                        self.cache.save()
                        return found
        return self._scenarios.get(name)

    def scenarios(self) -> list[Scenario]:
        return list(self._scenarios.items.values())

    def preset(self, name: str) -> ModelPreset:
        """A model preset by id or alias."""
        return self._presets.get(name)

    def presets(self) -> list[ModelPreset]:
        return list(self._presets.items.values())

    def rule_set(self, name: str) -> RuleSet:
        """An export-control rule set by id."""
        return self._rules.get(name)

    def rule_sets(self) -> list[RuleSet]:
        return list(self._rules.items.values())


_state: dict[str, Catalog] = {}


def set_spec_dirs(dirs: Iterable[str | Path]) -> Catalog:
    """Use bundled specs plus ``dirs`` (and ``$COMPUTECAP_SPECS``) from now on."""
    cat = Catalog((*env_dirs(), *(Path(d) for d in dirs)))
    _state["default"] = cat
    return cat


def use_catalog(catalog: Catalog) -> Catalog:
    """Use ``catalog`` (e.g. one with ``computecap.overrides`` applied) as the default from now on."""
    _state["default"] = catalog
    return catalog


def default_catalog() -> Catalog:
    """The catalog in use: bundled specs plus ``$COMPUTECAP_SPECS`` unless set otherwise."""
    if "default" not in _state:
        set_spec_dirs(())
    return _state["default"]
