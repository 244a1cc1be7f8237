"""Shared fixtures: a CLI runner and a factory for user spec directories."""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.catalog import Catalog, set_spec_dirs

# The parsed-spec cache goes to a throwaway directory, never the developer's home.
os.environ["COMPUTECAP_CACHE_DIR"] = tempfile.mkdtemp(prefix="computecap-test-cache-")

SOURCE = """
[sources.s]
url = "https://example.org/datasheet"
title = "Example datasheet"
accessed = 2026-11-28
"""

CHIP = """
id = "test-chip"
name = "Test Chip"
vendor = "Example"
aliases = ["TC1"]

[peak_dense.bf16]
value = "100 TFLOP/s"
sparsity = "dense"
source = "s"

[memory]
value = "80 GB"
source = "s"

[memory_bandwidth]
value = "2 TB/s"
source = "s"

[tdp]
value = "500 W"
source = "s"

[die_area]
value = "500 mm**2"
source = "s"

[price]
value = "10000 USD"
source = "s"
""" + SOURCE


@pytest.fixture(autouse=True)
def _fresh_catalog() -> None:
    """Every test starts from the bundled catalog only."""
    set_spec_dirs(())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def spec_dir(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Write ``text`` to ``tmp/specs/<kind>/<name>`` and return the specs directory."""
    def make(kind: str, name: str, text: str) -> Path:
        d = tmp_path / "specs" / kind
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(textwrap.dedent(text))
        return tmp_path / "specs"
    return make


@pytest.fixture
def user_catalog(spec_dir: Callable[[str, str, str], Path]) -> Callable[..., Catalog]:
    def make(kind: str = "chips", name: str = "test.toml", text: str = CHIP) -> Catalog:
        return Catalog([spec_dir(kind, name, text)])
    return make
