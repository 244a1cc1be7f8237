"""Extreme but valid inputs give finite, sensible answers or a clear refusal; writes are atomic."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import computecap
from computecap.cli import cli
from computecap.core import fixed_cluster
from computecap.errors import OutputError
from computecap.fleet import estimate
from computecap.report import write_atomic
from computecap.training import Workload, training_run
from tests.test_properties import scenario


def test_one_chip_and_ten_million_chips() -> None:
    for n in (1, 10_000_000):
        r = estimate(scenario([("A", "h200-sxm", n)]), samples=1000, seed=0)
        assert r.total.chips.p50 == n
        assert r.total.peak["bf16"].p50 == pytest.approx(n * 989.5e12)
        assert all(math.isfinite(u.p95) for u in r.total.metrics.values())


def test_many_chunks_in_bounded_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunking at a tiny size: many chunks give the same contract (the 10-million-sample memory
    bound is measured in benchmarks/bench_engine.py, not here)."""
    import computecap.uncertainty as unc
    monkeypatch.setattr(unc, "CHUNK", 2_000)
    r = estimate(scenario([("A", "h20", 1000)]), samples=20_017, seed=0)
    assert r.samples == 20_017
    assert r.total.capex.p5 < r.total.capex.p50 < r.total.capex.p95  # H20 price is a range


def test_1e30_flop_run_is_finite() -> None:
    w = Workload.from_numbers(1e15, 1.7e14)  # 6 x 1e15 x 1.7e14 = 1.02e30 FLOP
    r = training_run(w, fixed_cluster(computecap.chip("B200"), 1), samples=500)
    assert r.training_flop.m_as("FLOP") == pytest.approx(1.02e30)
    assert math.isfinite(r.duration.p95) and r.duration.p50 > 1e9  # days: billions of years on one chip
    assert r.memory.fits is False


def test_single_chip_training() -> None:
    r = training_run(Workload.from_numbers(1e8, 2e9), fixed_cluster(computecap.chip("H20"), 1), samples=500)
    assert 0 < r.duration.p5 < r.duration.p95 and r.memory.fits


def test_interrupted_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError, match="out.json: --output: cannot write"):
        write_atomic(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_keyboard_interrupt_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "report.md", b"partial")
    assert list(tmp_path.iterdir()) == []


def test_output_written_file_has_ordinary_permissions(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "chips.csv"
    assert runner.invoke(cli, ["chips", "list", "--format", "csv", "-o", str(out)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would create it, not mkstemp's 0600
