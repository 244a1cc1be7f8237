"""The worked analysis in docs/examples runs, and its answers agree with the library and by hand."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_china_compute_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _load("china_compute").main(["--samples", "2000", "--seed", "4", "--out", str(tmp_path)])
    r = out["result"]
    printed = capsys.readouterr().out
    assert "P(ByteDance ahead)" in printed and "china-estimate.csv" in printed

    # 1. H20 share: H20 rows have one fixed dense BF16 peak, so their H100e is chips x 148 / 989.5 TFLOP/s
    h20_chips = sum(b.metrics["chips"].p50 for c in r.companies for b in c.breakdown if b.chip == "h20")
    assert out["h20"] == pytest.approx(h20_chips * 148 / 989.5, rel=1e-12)
    assert out["share"] == pytest.approx(out["h20"] / r.total.metrics["h100e"].p50, rel=1e-12)
    assert 0.3 < out["share"] < 0.6  # H20s: about 43% of the scenario's H100e at 20,000 samples (seed 0)

    # 2. paired draws: P(ahead) is the share of draws where ByteDance's H100e exceeds Alibaba's
    b, a = r.draws_of("ByteDance", "h100e"), r.draws_of("Alibaba", "h100e")
    assert out["p_ahead"] == float(np.mean(b > a)) and out["p_ahead"] > 0.95
    assert out["ratio_p5"] < r.company("ByteDance").h100e.p50 / r.company("Alibaba").h100e.p50 < out["ratio_p95"]

    # 3. the spreadsheet files
    rows = list(csv.DictReader(io.StringIO(out["tidy_csv"].read_text())))
    assert {"company", "status", "chip", "metric", "unit", "p5", "p50", "p95"} <= set(rows[0])
    draws = list(csv.reader(io.StringIO(out["draws_csv"].read_text())))
    assert len(draws) == 2001 and "ByteDance/h100e" in draws[0]
