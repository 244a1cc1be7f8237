"""The README is executed: its Python examples run, and its one-command questions are real commands."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from computecap.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "the README has Python examples"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 -- the README's own examples
    out = capsys.readouterr().out
    assert "989.5 TFLOP/s" in out and "15832" in out and "day" in out


def test_first_screen_has_the_two_commands() -> None:
    first = README[:3000]
    assert "pip install . && computecap estimate" in first
    assert "pip install '.[test]' && python -m pytest" in first


def test_question_commands_exist_and_parse() -> None:
    """Each command in the questions table names a real command whose options parse (--help)."""
    table = README.split("## Questions, one command each")[1].split("## ")[0]
    commands = re.findall(r"`(computecap [^`]+)`", table)
    assert len(commands) >= 10
    for line in commands:
        words = shlex.split(line)[1:]
        ctx_cmd = cli
        path = []
        while words and hasattr(ctx_cmd, "commands") and words[0] in ctx_cmd.commands:
            ctx_cmd = ctx_cmd.commands[words[0]]
            path.append(words.pop(0))
        assert path, line
        opts = {o for p in ctx_cmd.params for o in getattr(p, "opts", [])}
        for w in words:
            if w.startswith("--"):
                assert w.split("=")[0] in opts, f"{line}: {w} is not an option of {' '.join(path)}"
