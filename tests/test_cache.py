"""The parsed-spec cache: keyed by content, pruned, never hides a bad file, never fails a start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from computecap.cache import ParsedCache, cache_dir
from computecap.catalog import Catalog
from computecap.errors import SpecValidationError
from tests.conftest import CHIP


def _counting_parser(calls: list[bytes]) -> Callable[[bytes], dict]:
    def parse(data: bytes) -> dict:
        calls.append(data)
        return {"text": data.decode()}
    return parse


def test_second_read_comes_from_the_cache(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text("a = 1\n")
    calls: list[bytes] = []
    first = ParsedCache(tmp_path / "cache")
    assert first.get(f, f.read_bytes(), _counting_parser(calls)) == {"text": "a = 1\n"}
    first.save()
    second = ParsedCache(tmp_path / "cache")
    assert second.get(f, f.read_bytes(), _counting_parser(calls)) == {"text": "a = 1\n"}
    assert len(calls) == 1


def test_same_size_same_mtime_edit_is_seen(tmp_path: Path) -> None:
    """An edit that keeps size and mtime (as cp -p or tar x leave it) must not show stale values."""
    f = tmp_path / "x.toml"
    f.write_text("a = 1\n")
    stamp = f.stat()
    cache = ParsedCache(tmp_path / "cache")
    cache.get(f, f.read_bytes(), lambda d: {"a": 1})
    cache.save()
    f.write_text("a = 2\n")
    os.utime(f, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert f.stat().st_size == stamp.st_size and f.stat().st_mtime_ns == stamp.st_mtime_ns
    assert ParsedCache(tmp_path / "cache").get(f, f.read_bytes(), lambda d: {"a": 2}) == {"a": 2}


def test_entries_of_deleted_files_are_pruned(tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    for name in ("keep.toml", "gone.toml"):
        f = tmp_path / name
        f.write_text("a = 1\n")
        cache.get(f, f.read_bytes(), lambda d: {"a": 1})
    cache.save()
    (tmp_path / "gone.toml").unlink()
    again = ParsedCache(tmp_path / "cache")
    again.dirty = True
    again.save()
    assert [Path(k).name for k in ParsedCache(tmp_path / "cache").entries] == ["keep.toml"]


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir()
    (d / "parsed-specs-v2.pickle").write_bytes(b"not a pickle")
    f = tmp_path / "x.toml"
    f.write_text("a = 1\n")
    assert ParsedCache(d).get(f, f.read_bytes(), lambda d: {"a": 1}) == {"a": 1}


def test_cache_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPUTECAP_CACHE_DIR", "off")
    assert cache_dir() is None


def test_bad_file_is_reported_on_every_start(spec_dir: Callable[..., Path]) -> None:
    d = spec_dir("chips", "bad.toml", CHIP.replace('value = "100 TFLOP/s"', 'value = "4.8 TB/s"'))
    for _ in range(2):
        with pytest.raises(SpecValidationError, match="expected FLOP/s, got TB/s"):
            Catalog([d]).chips()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("COMPUTECAP_CACHE_DIR", "XDG_CACHE_HOME")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "computecap", *args], env=full, capture_output=True, text=True, check=False,
                          timeout=120, cwd="/")


@pytest.mark.parametrize("case", ["missing home", "file as cache dir", "unwritable cache dir", "no home at all"])
def test_broken_environment_never_stops_a_start(case: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = {"missing home": {"HOME": str(tmp_path / "nope" / "deeper")},
           "file as cache dir": {"XDG_CACHE_HOME": str(blocker)},
           "unwritable cache dir": {"COMPUTECAP_CACHE_DIR": "/proc/computecap-cache"},
           "no home at all": {"HOME": ""}}[case]
    for args in (("--version",), ("chips", "show", "h200", "--format", "json")):
        done = _run(env, *args)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr


def test_parallel_first_runs_all_succeed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"COMPUTECAP_CACHE_DIR": str(cache)}
    with ThreadPoolExecutor(max_workers=6) as pool:  # 40 at once were checked by hand; 6 keep the suite quick
        runs = list(pool.map(lambda _: _run(env, "chips", "list", "--format", "csv"), range(6)))
    assert all(r.returncode == 0 and "Traceback" not in r.stderr for r in runs), [r.stderr for r in runs][:2]
    assert len({r.stdout for r in runs}) == 1
    shutil.rmtree(cache)


def test_import_leaves_pint_application_registry_alone() -> None:
    code = ("import pint; before = pint.get_application_registry().get(); import computecap; "
            "computecap.chip('h100').peak('bf16'); "
            "assert pint.get_application_registry().get() is before; print(pint.Quantity(1, 'inch').to('cm'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.54 centimeter"
