"""Every command, every choice of every option, every format: the output contract holds.

Each run must exit 0, or exit non-zero with exactly one ``Error:`` line; never print a
traceback; and with ``--format json`` print JSON that a strict parser accepts (no NaN,
no Infinity) whose quantities carry a unit computecap can parse.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click
import pytest

from computecap.cli import cli, main
from computecap.units import Q_

#: Arguments that make each command do real work quickly (small sample counts).
BASE: dict[str, list[str]] = {
    "chips list": [],
    "chips show": ["H200"],
    "chips compare": ["H20", "H200", "--intensity", "2"],
    "scenarios list": [],
    "scenarios show": [],
    "models list": [],
    "models show": ["deepseek-v3"],
    "estimate": ["--samples", "100", "--reference-model", "none"],
    "timeline": ["--samples", "100", "--from", "2025Q4", "--to", "2026Q2"],
    "train": ["--model", "llama-3.1-8b", "--chip", "h100", "--count", "64", "--samples", "100"],
    "serve": ["--model", "llama-3.1-8b", "--chip", "h100", "--samples", "100"],
    "controls": ["H20", "H200"],
    "compare": ["--company", "Alibaba", "--against", "Tencent", "--samples", "100"],
    "sensitivity": ["--company", "ByteDance", "--samples", "100"],
}
#: Commands whose contract is tested elsewhere because they write a file (tests/test_html_report.py).
ELSEWHERE = {"report"}
#: Options whose every choice is not run here (formats are, for every command).
SKIP_OPTIONS = {"fmt", "plot_path", "output"}
#: Commands slow enough (several estimates a run) that only their formats are walked here; their
#: choices are covered by their own tests (tests/test_sensitivity.py).
FORMATS_ONLY = {"sensitivity"}


def leaf_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out += leaf_commands(cmd, path + " ")
        else:
            out.append((path, cmd))
    return out


def invoke(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out.out, out.err


def _reject(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def check_units(obj: Any) -> None:
    """Every ``{"value": x, "unit": u}`` has a unit computecap can parse (or none)."""
    if isinstance(obj, dict):
        if "value" in obj and "unit" in obj and isinstance(obj["unit"], str) and obj["unit"]:
            Q_(1.0, obj["unit"])
        for v in obj.values():
            check_units(v)
    elif isinstance(obj, list):
        for v in obj:
            check_units(v)


def check_contract(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, out, err = invoke(args, capsys)
    assert "Traceback" not in out + err, (args, err)
    if code != 0:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, err)
        return code, out
    if "json" in args:
        doc = json.loads(out, parse_constant=_reject)
        check_units(doc)
    return code, out


CASES: list[list[str]] = []
for _path, _cmd in leaf_commands():
    if _path in ELSEWHERE:
        continue
    _base = [*_path.split(), *BASE.get(_path, [])]
    CASES.append([*_path.split(), "--help"])
    if _path not in BASE:
        continue
    formats = next((p.type.choices for p in _cmd.params if p.name == "fmt" and isinstance(p.type, click.Choice)), [])
    CASES += [[*_base, "--format", str(f)] for f in formats]
    for _param in [] if _path in FORMATS_ONLY else _cmd.params:
        if isinstance(_param, click.Option) and isinstance(_param.type, click.Choice) \
                and _param.name not in SKIP_OPTIONS:
            CASES += [[*_base, _param.opts[0], str(c), "--format", "json"] for c in _param.type.choices]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a))
def test_contract(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check_contract(args, capsys)
    if "--help" in args:
        assert code == 0 and re.search(r"Example", out), "every command's help shows an example"


def test_every_command_with_real_work_is_covered() -> None:
    """A new command needs base arguments here, so that its options are walked too."""
    missing = [p for p, _ in leaf_commands() if p not in BASE and p not in ELSEWHERE]
    assert not missing, f"add base arguments for {missing} to BASE in tests/test_contracts.py"


def test_defaults_agree() -> None:
    """The CLI and the library default to the same sample count, so one seed gives one answer."""
    from computecap.cli import DEFAULT_SAMPLES as cli_default
    from computecap.core import DEFAULT_SAMPLES as library_default
    assert cli_default == library_default
