"""A corpus of bad input: hostile spec files, odd CLI values and library misuse.

Every case must end in one clear line that names what was wrong and what was expected:
a ``ComputecapError`` (or a ``TypeError`` naming the argument) from the library, a non-zero
exit with one ``Error:`` line and no traceback from the CLI. Each case states the message it
must match, so it fails for the reason it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import computecap
from computecap.catalog import Catalog
from computecap.cli import main
from computecap.core import fixed_cluster
from computecap.errors import ComputecapError, InputError, SpecNotFoundError, SpecValidationError, UnitsError
from computecap.training import Workload, training_run
from computecap.units import parse_quantity
from tests.conftest import CHIP, SOURCE

# ----------------------------------------------------------------------------- spec files
SCENARIO = """
name = "bad"
title = "t"
[companies.Acme]
[companies.Beta]
[[holdings]]
company = "Acme"
chip = "h100"
count = 100
status = "installed"
source = "s"
[[allocations]]
chip = "h20"
total = { low = 10, central = 20, high = 30 }
status = "approved"
shares = { Acme = 0.5, Beta = 0.5 }
concentration = 20
source = "s"
""" + SOURCE

PRESET = """
id = "tiny"
name = "Tiny"
architecture = "dense"
[params]
value = "1e9"
source = "s"
[active_params]
value = "1e9"
source = "s"
[tokens]
value = "2e10"
source = "s"
""" + SOURCE

RULE = """
id = "r1"
name = "Rule"
source = "s"
[[classes]]
name = "big"
effect = "controlled"
conditions = [ { metric = "tpp", op = ">=", threshold = 4800 } ]
""" + SOURCE


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CHIP_CASES: list[tuple[str, str, str]] = [
    ("typo at top level", _edit(CHIP, 'name = "Test Chip"', 'nmae = "Test Chip"'), r"nmae: unknown field.*'name'"),
    ("aliases not a list", _edit(CHIP, 'aliases = ["TC1"]', "aliases = 3"), r"aliases"),
    ("datacenter as text", _edit(CHIP, 'vendor = "Example"', 'vendor = "Example"\ndatacenter = "yes"'), "datacenter"),
    ("peak without sparsity", _edit(CHIP, 'sparsity = "dense"\n', ""), r"sparsity"),
    ("sparse peak", _edit(CHIP, 'sparsity = "dense"', 'sparsity = "sparse"'), r"sparsity.*dense"),
    ("bandwidth as a peak", _edit(CHIP, '"100 TFLOP/s"', '"4.8 TB/s"'), r"expected FLOP/s, got TB/s"),
    ("bare number", _edit(CHIP, '"100 TFLOP/s"', "100"), r"missing unit"),
    ("ambiguous FLOPs", _edit(CHIP, '"100 TFLOP/s"', '"100 TFLOPs"'), r"ambiguous"),
    ("decimal comma", _edit(CHIP, '"2 TB/s"', '"1,5 TB/s"'), r"decimal comma|1,5"),
    ("negative memory", _edit(CHIP, '"80 GB"', '"-80 GB"'), r"memory.*positive"),
    ("zero peak", _edit(CHIP, '"100 TFLOP/s"', '"0 TFLOP/s"'), r"peak_dense.bf16.*positive"),
    ("nan peak", _edit(CHIP, '"100 TFLOP/s"', '"nan TFLOP/s"'), r"finite"),
    ("infinite memory", _edit(CHIP, '"80 GB"', '"inf GB"'), r"finite"),
    ("missing source", _edit(CHIP, 'value = "80 GB"\nsource = "s"', 'value = "80 GB"'), r"memory.*no source"),
    ("unknown source key", _edit(CHIP, 'value = "80 GB"\nsource = "s"', 'value = "80 GB"\nsource = "zz"'),
     r"unknown source 'zz'"),
    ("source without title", _edit(CHIP, 'title = "Example datasheet"\n', ""), r"title"),
    ("source without date", _edit(CHIP, "accessed = 2026-11-28\n", ""), r"accessed"),
    ("typo in source table", _edit(CHIP, 'title = "Example datasheet"', 'titel = "Example datasheet"'),
     r"titel: unknown field.*'title'"),
    ("typo in value table", _edit(CHIP, 'value = "80 GB"', 'vaule = "80 GB"'), r"vaule: unknown field.*'value'"),
    ("value and range", _edit(CHIP, 'value = "80 GB"', 'value = "80 GB"\nlow = "70 GB"\nhigh = "90 GB"'),
     r"either value or low"),
    ("low above high", _edit(CHIP, 'value = "80 GB"', 'low = "90 GB"\nhigh = "70 GB"'), r"greater than high"),
    ("central outside", _edit(CHIP, 'value = "80 GB"', 'low = "70 GB"\nhigh = "90 GB"\ncentral = "95 GB"'),
     r"outside low..high"),
    ("unknown distribution", _edit(CHIP, 'value = "80 GB"', 'low = "70 GB"\nhigh = "90 GB"\ndist = "normal"'),
     r"dist.*triangular"),
    ("unknown precision", _edit(CHIP, "[peak_dense.bf16]", "[peak_dense.bf17]"), r"bf17"),
    ("bad id", _edit(CHIP, 'id = "test-chip"', 'id = "Test Chip!"'), r"id"),
    ("alias taken by a bundled chip", _edit(CHIP, 'aliases = ["TC1"]', 'aliases = ["H200"]'), r"already used"),
    ("note not text", _edit(CHIP, 'value = "80 GB"', 'value = "80 GB"\nnote = 5'), r"note"),
    ("malformed TOML", CHIP + "\n[[[", r"malformed TOML"),
    ("no peaks", _edit(CHIP, '[peak_dense.bf16]\nvalue = "100 TFLOP/s"\nsparsity = "dense"\nsource = "s"\n', ""),
     r"peak_dense"),
    ("confidence unknown", _edit(CHIP, 'value = "80 GB"', 'value = "80 GB"\nconfidence = "sure"'),
     r"confidence"),
]

SCENARIO_CASES: list[tuple[str, str, str]] = [
    ("typo concentraton", _edit(SCENARIO, "concentration = 20", "concentraton = 5"),
     r"concentraton: unknown field.*'concentration'"),
    ("company not listed", _edit(SCENARIO, 'company = "Acme"', 'company = "Nobody"'), r"Nobody.*not listed"),
    ("share above one", _edit(SCENARIO, "Acme = 0.5, Beta = 0.5", "Acme = 1.5, Beta = 0.5"), r"share"),
    ("shares do not sum", _edit(SCENARIO, "Acme = 0.5, Beta = 0.5", "Acme = 0.5, Beta = 0.3"), r"sum to 1"),
    ("unknown status", _edit(SCENARIO, 'status = "installed"', 'status = "shipped"'), r"status.*installed"),
    ("negative count", _edit(SCENARIO, "count = 100", "count = -100"), r"count.*positive"),
    ("count as text", _edit(SCENARIO, "count = 100", 'count = "100"'), r"count"),
    ("nan count", _edit(SCENARIO, "count = 100", "count = nan"), r"finite"),
    ("bad date", _edit(SCENARIO, 'status = "installed"', 'status = "installed"\ndate = "2026-13-01"'), r"date"),
    ("unknown chip", _edit(SCENARIO, 'chip = "h100"', 'chip = "h1000"'), r"unknown chip 'h1000'.*did you mean"),
    ("missing count", _edit(SCENARIO, "count = 100\n", ""), r"count.*missing"),
    ("typo in holding", _edit(SCENARIO, 'status = "installed"', 'status = "installed"\nsorce = "s"'),
     r"sorce: unknown field"),
    ("total low above high", _edit(SCENARIO, "low = 10, central = 20, high = 30", "low = 40, central = 20, high = 30"),
     r"greater than high"),
    ("zero concentration", _edit(SCENARIO, "concentration = 20", "concentration = 0"), r"concentration"),
    ("no name", _edit(SCENARIO, 'name = "bad"\n', ""), r"name"),
    ("no holdings at all", SCENARIO.split("[[holdings]]")[0] + SOURCE, r"holdings"),
    ("holding source unknown", _edit(SCENARIO, 'source = "s"', 'source = "nope"'), r"unknown source 'nope'"),
    ("company table not a table", _edit(SCENARIO, "[companies.Beta]", "[companies.Beta]\naliases = 7"), r"aliases"),
]

PRESET_CASES: list[tuple[str, str, str]] = [
    ("typo in preset", _edit(PRESET, 'name = "Tiny"', 'nam = "Tiny"'), r"nam: unknown field"),
    ("unknown architecture", _edit(PRESET, '"dense"', '"sparse"'), r"architecture"),
    ("params with a unit", _edit(PRESET, 'value = "1e9"', 'value = "1e9 GB"'), r"params"),
    ("negative tokens", _edit(PRESET, 'value = "2e10"', 'value = "-2e10"'), r"tokens.*positive"),
    ("active above total", _edit(PRESET, '[active_params]\nvalue = "1e9"', '[active_params]\nvalue = "2e9"'),
     r"active"),
    ("params source missing", _edit(PRESET, 'value = "1e9"\nsource = "s"', 'value = "1e9"'), r"no source"),
]

RULE_CASES: list[tuple[str, str, str]] = [
    ("typo in rule", _edit(RULE, 'name = "Rule"', 'nmae = "Rule"'), r"nmae: unknown field"),
    ("unknown metric", _edit(RULE, 'metric = "tpp"', 'metric = "tops"'), r"metric.*tpp"),
    ("unknown operator", _edit(RULE, 'op = ">="', 'op = "=>"'), r"op"),
    ("threshold as text", _edit(RULE, "threshold = 4800", 'threshold = "4800"'), r"threshold.*number"),
    ("no classes", RULE.split("[[classes]]")[0] + SOURCE, r"classes"),
    ("typo in condition", _edit(RULE, 'op = ">="', 'op = ">=", treshold = 1'), r"treshold: unknown field"),
    ("aliases not a list", _edit(RULE, 'name = "Rule"', 'name = "Rule"\naliases = 3'), r"aliases"),
    ("effective not a date", _edit(RULE, 'name = "Rule"', 'name = "Rule"\neffective = "soon"'), r"effective"),
]


def _load(kind: str, catalog: Catalog, name: str) -> Any:
    return {"chips": catalog.chips, "scenarios": lambda: catalog.scenario(name), "models": catalog.presets,
            "rules": catalog.rule_sets}[kind]()


@pytest.mark.parametrize("kind, label, text, message", [
    *(("chips", *c) for c in CHIP_CASES), *(("scenarios", *c) for c in SCENARIO_CASES),
    *(("models", *c) for c in PRESET_CASES), *(("rules", *c) for c in RULE_CASES)],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_hostile_spec_file(kind: str, label: str, text: str, message: str,
                           spec_dir: Callable[[str, str, str], Path]) -> None:
    root = spec_dir(kind, "bad.toml", text)
    with pytest.raises(ComputecapError, match=message) as info:
        _load(kind, Catalog([root]), "bad")
    assert "\n" not in str(info.value).strip(), "one line"
    assert "bad.toml" in str(info.value) or kind == "scenarios" and "bad" in str(info.value)


@pytest.mark.parametrize("label, data, message", [
    ("not UTF-8", b'id = "\xff\xfe"\n', r"not UTF-8"),
    ("deeply nested", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", r"nested too deeply|malformed"),
    ("huge file", b"# " + b"x" * (5 << 20) + b"\n", r"too large"),
    ("a directory", None, r"directory|cannot read"),
    ("empty file", b"", r"id|peak_dense|expected"),
    ("binary junk", bytes(range(256)), r"not UTF-8|malformed"),
])
def test_unreadable_spec_file(label: str, data: bytes | None, message: str, tmp_path: Path) -> None:
    d = tmp_path / "specs" / "chips"
    d.mkdir(parents=True)
    if data is None:
        (d / "x.toml").mkdir()
    else:
        (d / "x.toml").write_bytes(data)
    with pytest.raises(SpecValidationError, match=message):
        Catalog([tmp_path / "specs"]).chips()


# ----------------------------------------------------------------------------- the CLI
CLI_CASES: list[tuple[list[str], int, str]] = [
    (["estimate", "--samples", "0"], 2, r"--samples.*whole number from 1"),
    (["estimate", "--samples", "-5"], 2, r"--samples"),
    (["estimate", "--samples", "abc"], 2, r"--samples.*not a valid integer"),
    (["estimate", "--samples", "1e12"], 2, r"--samples"),
    (["estimate", "--samples", "1000000000"], 2, r"--samples.*100,000,000"),
    (["estimate", "--seed", "-1"], 2, r"--seed"),
    (["estimate", "--seed", "x"], 2, r"--seed"),
    (["estimate", "--include", "bogus"], 2, r"--include.*unknown status 'bogus'"),
    (["estimate", "--include", "all,bogus"], 2, r"--include.*'all' cannot be combined"),
    (["estimate", "--include", ","], 2, r"--include"),
    (["estimate", "--as-of", "2026-13-01"], 2, r"--as-of.*date"),
    (["estimate", "--as-of", "yesterday"], 2, r"--as-of"),
    (["estimate", "--precision", "fp3"], 2, r"--precision.*fp3"),
    (["estimate", "--precision", "fp4"], 1, r"fp4.*no chip|not published"),
    (["estimate", "--h100e-basis", "tops"], 2, r"--h100e-basis"),
    (["estimate", "--company", "Nobody"], 1, r"unknown company 'Nobody'"),
    (["estimate", "--scenario", "nope"], 1, r"unknown scenario 'nope'"),
    (["estimate", "--scenario", "/nonexistent/x.toml"], 1, r"no such file"),
    (["estimate", "--format", "xml"], 2, r"--format"),
    (["estimate", "--output", "/tmp/"], 2, r"--output.*directory"),
    (["estimate", "--output", "/nonexistent-dir/x.json"], 2, r"--output.*does not exist"),
    (["estimate", "--plot", "x.txt"], 2, r"--plot.*png"),
    (["estimate", "--reference-model", "gpt-9"], 1, r"unknown model 'gpt-9'.*did you mean"),
    (["estimate", "--bogus"], 2, r"No such option '--bogus'"),
    (["estimat"], 2, r"No such command 'estimat'.*estimate"),
    (["chips", "show", "NOPE"], 1, r"unknown chip 'NOPE'"),
    (["chips", "show"], 2, r"Missing argument"),
    (["chips", "show", "H200", "--rule", "nope"], 1, r"unknown rule set 'nope'"),
    (["chips", "compare"], 2, r"Missing argument"),
    (["chips", "compare", "h100", "--intensity", "nan"], 2, r"--intensity"),
    (["chips", "compare", "h100", "--intensity", "-1"], 2, r"--intensity"),
    (["chips", "compare", "h100", "--intensity", "inf"], 2, r"--intensity"),
    (["chips", "compare", "h100", "--baseline", "nope"], 1, r"unknown chip 'nope'"),
    (["chips", "compare", "h100", "--intensity", "1", "--precision", "fp3"], 2, r"--precision"),
    (["models", "show", "gpt-9"], 1, r"unknown model 'gpt-9'"),
    (["scenarios", "show", "nope"], 1, r"unknown scenario 'nope'"),
    (["controls", "NOPE"], 1, r"unknown chip 'NOPE'"),
    (["controls", "--rule", "nope"], 1, r"unknown rule set 'nope'"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "1.5"], 1, r"count.*whole number"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "0"], 1, r"count"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "abc"], 1, r"count"),
    (["train", "--model", "llama-3.1-405b", "--chip", "nope", "--count", "8"], 1, r"unknown chip 'nope'"),
    (["train", "--model", "llama-3.1-405b"], 2, r"--chip ID --count N, or --scenario S --company C"),
    (["train", "--params", "abc", "--tokens", "1T", "--chip", "h100", "--count", "8"], 1, r"--params"),
    (["train", "--params", "1B", "--tokens", "-1", "--chip", "h100", "--count", "8"], 1, r"--tokens"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "8", "--mfu", "1.5"], 1, r"--mfu"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "8", "--mfu", "0.5..0.3"], 1,
     r"--mfu.*greater"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "8", "--goodput", "x"], 1, r"--goodput"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "8", "--hours", "wall"], 2, r"--hours"),
    (["train", "--model", "llama-3.1-405b", "--chip", "h100", "--count", "8", "--chip-hour-price", "5 W"], 1,
     r"chip.hour.price|USD/h"),
    (["train", "--model", "llama-3.1-405b", "--scenario", "china-h200-2026", "--company", "Nobody"], 1,
     r"unknown company 'Nobody'"),
    (["serve", "--model", "llama-3.1-70b", "--chip", "h100", "--input-tokens", "0"], 2, r"--input-tokens"),
    (["serve", "--model", "llama-3.1-70b", "--chip", "h100", "--output-tokens", "-3"], 2, r"--output-tokens"),
    (["serve", "--model", "nope", "--chip", "h100"], 1, r"unknown model 'nope'"),
    (["serve", "--model", "llama-3.1-70b", "--chip", "nope"], 1, r"unknown chip 'nope'"),
    (["serve", "--model", "llama-3.1-70b", "--chip", "h100", "--precision", "fp3"], 2, r"--precision"),
    (["timeline", "--from", "2027Q1", "--to", "2022Q1"], 1, r"from|before|after"),
    (["timeline", "--from", "bogus"], 1, r"from.*expected a date, quarter or year.*'bogus'"),
    (["timeline", "--by", "chip"], 2, r"--by"),
    (["--specs", "/nonexistent-specs", "chips", "list"], 1, r"nonexistent-specs.*not a directory"),
]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


@pytest.mark.parametrize("args, code, message", CLI_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bad_cli_input(args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = run_cli([*args, *(["--samples", "200"] if args[0] in ("estimate", "timeline") and
                                      "--samples" not in args and "--plot" not in args else [])], capsys)
    assert got == code, (got, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err + out
    import re
    assert re.search(message, lines[0]), lines[0]
    assert out == ""  # nothing half-written to standard output


def test_failed_run_leaves_no_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    code, _, _ = run_cli(["estimate", "--company", "Nobody", "--output", str(target)], capsys)
    assert code == 1 and not target.exists() and not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- the library
def _h100() -> Any:
    return computecap.chip("h100")


LIBRARY_CASES: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    ("chip(None)", lambda: computecap.chip(None), InputError, r"chip: expected a name"),  # type: ignore[arg-type]
    ("chip(3)", lambda: computecap.chip(3), InputError, r"chip: expected a name"),  # type: ignore[arg-type]
    ("chip unknown", lambda: computecap.chip("h1000"), SpecNotFoundError, r"unknown chip 'h1000'"),
    ("model_preset(None)", lambda: computecap.model_preset(None), InputError, r"model"),  # type: ignore[arg-type]
    ("rule_set unknown", lambda: computecap.rule_set("nope"), SpecNotFoundError, r"unknown rule set"),
    ("load_scenario unknown", lambda: computecap.load_scenario("nope"), SpecNotFoundError, r"unknown scenario"),
    ("estimate include bogus", lambda: computecap.estimate(include="bogus"), InputError, r"include: unknown status"),
    ("estimate include all,bogus", lambda: computecap.estimate(include="all,bogus"), InputError,
     r"'all' cannot be combined"),
    ("estimate include 3", lambda: computecap.estimate(include=3), InputError, r"include"),  # type: ignore[arg-type]
    ("estimate samples 0", lambda: computecap.estimate(samples=0), InputError, r"samples: expected a positive"),
    ("estimate samples 1.5", lambda: computecap.estimate(samples=1.5), InputError, r"samples"),
    ("estimate samples True", lambda: computecap.estimate(samples=True), InputError, r"samples"),
    ("estimate samples huge", lambda: computecap.estimate(samples=10**9), InputError, r"samples: expected at most"),
    ("estimate seed -1", lambda: computecap.estimate(seed=-1), InputError, r"seed"),
    ("estimate seed text", lambda: computecap.estimate(seed="x"), InputError, r"seed"),
    ("estimate precision", lambda: computecap.estimate(precision="fp3"), InputError, r"precision: expected one of"),
    ("estimate basis", lambda: computecap.estimate(h100e_basis="tops"), InputError, r"h100e_basis"),
    ("estimate as_of text", lambda: computecap.estimate(as_of="2026-13-01"), InputError, r"as_of"),
    ("estimate as_of number", lambda: computecap.estimate(as_of=2026), InputError, r"as_of"),
    ("estimate scenario None", lambda: computecap.estimate(None), TypeError, r"scenario"),  # type: ignore[arg-type]
    ("estimate companies ints", lambda: computecap.estimate(companies=[1]), TypeError, r"companies"),
    ("estimate company unknown", lambda: computecap.estimate(companies=["Nobody"]), SpecNotFoundError,
     r"unknown company"),
    ("estimate retire text", lambda: computecap.estimate(retire="no"), TypeError, r"retire"),  # type: ignore[arg-type]
    ("result company unknown", lambda: computecap.estimate(samples=100).company("Nobody"), InputError, r"Nobody"),
    ("draws not kept", lambda: computecap.estimate(samples=100).draws_of("ByteDance", "h100e"), InputError,
     r"keep_samples"),
    ("fixed_cluster 1.5", lambda: fixed_cluster(_h100(), 1.5), InputError, r"count: expected a whole number"),
    ("fixed_cluster 0", lambda: fixed_cluster(_h100(), 0), InputError, r"count"),
    ("fixed_cluster nan", lambda: fixed_cluster(_h100(), float("nan")), InputError, r"count"),
    ("fixed_cluster text", lambda: fixed_cluster(_h100(), "8"), InputError, r"count"),  # type: ignore[arg-type]
    ("fixed_cluster chip name", lambda: fixed_cluster("h100", 8), TypeError, r"chip"),  # type: ignore[arg-type]
    ("training precision", lambda: training_run(Workload.from_numbers(1e9, 1e12), fixed_cluster(_h100(), 8),
                                                precision="fp3"), InputError, r"precision"),
    ("training samples", lambda: training_run(Workload.from_numbers(1e9, 1e12), fixed_cluster(_h100(), 8),
                                              samples=0), InputError, r"samples"),
    ("workload active above total", lambda: Workload.from_numbers(1e9, 1e12, 2e9), InputError, r"active"),
    ("peak unknown precision", lambda: _h100().peak("fp3"), InputError, r"precision"),
    ("peak not published", lambda: computecap.chip("a100").peak("fp8"), InputError, r"no fp8 peak"),
    ("quantity decimal comma", lambda: parse_quantity("1,5 TB/s", "bytes/s", "bandwidth"), UnitsError,
     r"decimal comma|1,5"),
    ("quantity wrong dimension", lambda: parse_quantity("5 W", "bytes/s", "bandwidth"), UnitsError,
     r"expected bytes/s"),
    ("quantity nonsense", lambda: parse_quantity("fast", "bytes/s", "bandwidth"), UnitsError, r"cannot read"),
    ("quantity none", lambda: parse_quantity(None, "bytes/s", "bandwidth"), UnitsError,  # type: ignore[arg-type]
     r"expected a string"),
]


@pytest.mark.parametrize("label, call, error, message", LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES])
def test_library_misuse(label: str, call: Callable[[], Any], error: type[BaseException], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_library_accepts_what_it_should() -> None:
    """The forms the library documents are accepted: a comma list, a datetime, one company as a string."""
    a = computecap.estimate(include="installed,approved", samples=200)
    b = computecap.estimate(include=["installed", "approved"], samples=200)
    assert a.total.metrics["chips"] == b.total.metrics["chips"]
    c = computecap.estimate(as_of=dt.datetime(2025, 6, 30, 12), samples=200)
    assert c.as_of == dt.date(2025, 6, 30)
    d = computecap.estimate(companies="ByteDance", samples=200)
    assert [x.name for x in d.companies] == ["ByteDance"]
    assert parse_quantity("1,000 GB/s", "bytes/s", "x").m_as("GB/s") == 1000  # thousands separators are fine


def test_corpus_size() -> None:
    """The issue asks for at least 150 bad-input cases across loaders, CLI, environment and library."""
    env_cases = 6  # tests/test_cache.py: broken homes, cache dirs, parallel first runs
    n = len(CHIP_CASES) + len(SCENARIO_CASES) + len(PRESET_CASES) + len(RULE_CASES) + 6 + len(CLI_CASES) \
        + len(LIBRARY_CASES) + env_cases
    assert n >= 150, n
