"""Every command has help text with an example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from computecap.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out += commands(cmd, path)
    return out


ALL = commands(cli)


def test_there_are_commands() -> None:
    names = {" ".join(p) for p, _ in ALL}
    assert {"chips show", "chips compare", "estimate", "train", "serve", "controls", "scenarios show"} <= names


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_an_example(runner: CliRunner, path: tuple[str, ...], cmd: click.Command) -> None:
    res = runner.invoke(cli, [*path, "--help"])
    assert res.exit_code == 0
    assert cmd.help and len(cmd.help.strip()) > 20
    assert "Example:" in res.output and "computecap " in res.output.split("Example:")[1]


@pytest.mark.parametrize("path", [p for p, c in ALL if not isinstance(c, click.Group)],
                         ids=[" ".join(p) for p, c in ALL if not isinstance(c, click.Group)])
def test_command_is_in_readme(path: tuple[str, ...]) -> None:
    assert f"computecap {' '.join(path)}" in README


def test_python_dash_m_works() -> None:
    import subprocess
    import sys
    res = subprocess.run([sys.executable, "-m", "computecap", "--version"], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "computecap" in res.stdout
