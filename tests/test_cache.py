"""The parsed-spec cache: reused while files are unchanged, never hides a bad file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from computecap.cache import ParsedCache, cache_dir
from computecap.catalog import Catalog
from computecap.errors import SpecValidationError
from tests.conftest import CHIP


def test_second_read_comes_from_the_cache(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text('a = 1\n')
    calls: list[int] = []

    def parse() -> dict:
        calls.append(1)
        return {"a": 1}

    first = ParsedCache(tmp_path / "cache")
    assert first.get(f, parse) == {"a": 1}
    first.save()
    second = ParsedCache(tmp_path / "cache")
    assert second.get(f, parse) == {"a": 1}
    assert len(calls) == 1
    f.write_text('a = 22\n')  # size changes: parsed again
    assert ParsedCache(tmp_path / "cache").get(f, lambda: {"a": 22}) == {"a": 22}


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir()
    (d / "parsed-specs-v1.pickle").write_bytes(b"not a pickle")
    f = tmp_path / "x.toml"
    f.write_text("a = 1\n")
    assert ParsedCache(d).get(f, lambda: {"a": 1}) == {"a": 1}


def test_cache_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPUTECAP_CACHE_DIR", "off")
    assert cache_dir() is None


def test_bad_file_is_reported_on_every_start(spec_dir: Callable[..., Path]) -> None:
    d = spec_dir("chips", "bad.toml", CHIP.replace('value = "100 TFLOP/s"', 'value = "4.8 TB/s"'))
    for _ in range(2):
        with pytest.raises(SpecValidationError, match="expected FLOP/s, got TB/s"):
            Catalog([d]).chips()


def test_edited_file_is_read_again(spec_dir: Callable[..., Path]) -> None:
    d = spec_dir("chips", "t.toml", CHIP)
    assert Catalog([d]).chip("TC1").peak("bf16").m_as("TFLOP/s") == 100
    f = d / "chips" / "t.toml"
    f.write_text(CHIP.replace('value = "100 TFLOP/s"', 'value = "250 TFLOP/s"'))
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))
    assert Catalog([d]).chip("TC1").peak("bf16").m_as("TFLOP/s") == 250
