"""Fuzzing every loader: random and mutated TOML gives a clean error or a valid object, never a traceback.

Mutations start from the bundled files (so they reach deep into each validator): delete a
line, replace a value with a hostile one, duplicate a line, or cut the file short.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import computecap
from computecap.catalog.calibration import parse_runs
from computecap.catalog.chips import parse_chip
from computecap.catalog.defaults import parse_defaults
from computecap.catalog.files import bundled_root
from computecap.catalog.presets import parse_preset
from computecap.catalog.rules import parse_rule_set
from computecap.catalog.scenarios import parse_scenario
from computecap.errors import ComputecapError

ROOT = bundled_root()
LOADERS: dict[str, tuple[list[Path], Callable[[dict[str, Any], str], Any]]] = {
    "chip": (sorted((ROOT / "chips").glob("*.toml")), parse_chip),
    "scenario": (sorted((ROOT / "scenarios").glob("*.toml")),
                 lambda raw, path: parse_scenario(raw, path, chip_lookup=computecap.chip)),
    "model": (sorted((ROOT / "models").glob("*.toml")), parse_preset),
    "rule set": (sorted((ROOT / "rules").glob("*.toml")), parse_rule_set),
    "defaults": ([ROOT / "defaults.toml"], parse_defaults),
    "calibration": ([ROOT / "calibration" / "training-runs.toml"], parse_runs),
}
HOSTILE = ['-1', '0', 'nan', 'inf', '"nan TFLOP/s"', '"-5 GB"', '"4.8 TB/s"', '"1 petaFLOPs"', 'true', '[]', '{}',
           '"1e999 W"', '""', '"abc"', '2026-13-01', '1e400', '{ low = 5, high = 1 }', '"12 furlongs"', '[1, "a"]',
           '{ value = "1 GB" }', '-0.0', '"0 W"', '{ low = "1 W", high = "2 GB" }']
# COMPUTECAP_FUZZ_EXAMPLES=5000 for a deep run (the default keeps CI fast)
SETTINGS = settings(max_examples=int(os.environ.get("COMPUTECAP_FUZZ_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def load(kind: str, text: str) -> Any:
    """Parse ``text`` like the catalog does: TOML errors and validation errors are ComputecapError."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None  # read_toml turns this into SpecValidationError (tested in test_catalog)
    return LOADERS[kind][1](raw, f"fuzz-{kind}.toml")


def mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines()
    i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    op = data.draw(st.sampled_from(["delete", "replace", "duplicate", "truncate"]))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "truncate":
        return text[: data.draw(st.integers(min_value=0, max_value=len(text)))]
    elif "=" in lines[i]:
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {data.draw(st.sampled_from(HOSTILE))}"
    elif lines[i].startswith("["):  # a table header becomes a scalar of the same name
        name = lines[i].strip("[] ").split(".")[0]
        lines[i] = f"{name} = {data.draw(st.sampled_from(HOSTILE))}"
    return "\n".join(lines) + "\n"


def check_valid(obj: Any) -> None:
    """If a mutated file still loads, what it holds must still be sane (no silent garbage)."""
    peaks = getattr(obj, "peaks", {})
    for v in (*peaks.values(), *getattr(obj, "specs", {}).values()):
        assert v.sources and math.isfinite(float(v.central.magnitude)) and v.central.magnitude > 0
        assert v.low <= v.central <= v.high
    for h in getattr(obj, "holdings", ()):
        assert h.sources and 0 < h.count.low <= h.count.central <= h.count.high


@pytest.mark.parametrize("kind", list(LOADERS))
@SETTINGS
@given(data=st.data())
def test_mutated_bundled_files(kind: str, data: st.DataObject) -> None:
    files = LOADERS[kind][0]
    path = files[data.draw(st.integers(min_value=0, max_value=len(files) - 1))]
    text = mutate(path.read_text(), data)
    try:
        obj = load(kind, text)
    except ComputecapError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"fuzz-{kind}.toml")
        return
    if obj is not None:
        check_valid(obj)


@pytest.mark.parametrize("kind", list(LOADERS))
@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(kind: str, text: str) -> None:
    try:
        load(kind, text)
    except ComputecapError:
        pass


@pytest.mark.parametrize("kind", list(LOADERS))
@settings(max_examples=40, deadline=None)
@given(raw=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                    max_size=5), max_leaves=20))
def test_random_structures(kind: str, raw: Any) -> None:
    if not isinstance(raw, dict):
        raw = {"value": raw}
    try:
        LOADERS[kind][1](raw, f"fuzz-{kind}.toml")
    except ComputecapError:
        pass


@pytest.mark.parametrize("kind, text", [
    ("scenario", 'name = "x"\nholdings = 5\n'),
    ("scenario", 'name = "x"\nholdings = [1]\n'),
    ("scenario", 'name = "x"\n[companies]\nA = 1\n[[holdings]]\ncompany = "A"\n'),
    ("scenario", 'name = "x"\nallocations = "none"\n'),
    ("calibration", "[[runs]]\nchip = 1\n"),
    ("calibration", "runs = 3\n"),
    ("rule set", 'id = "r"\nclasses = [1]\n'),
    ("rule set", 'id = "r"\naliases = 3\n[[classes]]\nname = "c"\nconditions = [{ metric = "tpp", op = ">", threshold = 1 }]\n'),
    ("model", 'id = "m"\nparams = 5\n'),
    ("model", 'id = "m"\naliases = [1, 2]\n'),
    ("chip", 'id = "c"\nname = "n"\nvendor = "v"\npeak_dense = 3\n'),
    ("chip", 'id = "c"\nname = "n"\nvendor = "v"\nsources = 1\n'),
    ("defaults", 'h100e_reference = "h100-sxm"\nmfu = 1\n'),
])
def test_known_hostile_shapes(kind: str, text: str) -> None:
    with pytest.raises(ComputecapError):
        load(kind, text)
