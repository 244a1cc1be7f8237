"""Every result as tidy rows, a pandas DataFrame and notebook HTML (computecap.core.tabular)."""

from __future__ import annotations

import importlib

import pytest

import computecap
from computecap.core.tabular import records, to_jsonable
from computecap.errors import InputError


def test_estimate_rows_match_the_result() -> None:
    r = computecap.estimate(samples=500, seed=2)
    rows = r.records()
    mine = [x for x in rows if x["company"] == "ByteDance" and x["metric"] == "h100e" and "status" not in x]
    assert len(mine) == 1
    u = r.company("ByteDance").metrics["h100e"]
    assert u is not None and mine[0]["p50"] == u.p50 and mine[0]["p5"] == u.p5 and mine[0]["unit"] == ""
    rows_by_status = [x for x in rows if x.get("status") == "installed" and x.get("chip") == "h20"]
    assert {x["company"] for x in rows_by_status} >= {"ByteDance", "Alibaba", "Tencent"}


def test_frame_and_html() -> None:
    pandas = pytest.importorskip("pandas")
    t = computecap.training_run(computecap.Workload.from_numbers(8e9, 1e12),
                                computecap.fixed_cluster(computecap.chip("h100"), 8), samples=300)
    frame = t.to_frame()
    assert isinstance(frame, pandas.DataFrame)
    flop = frame.loc[frame["metric"] == "training_flop", "value"].item()
    assert flop == pytest.approx(6 * 8e9 * 1e12)  # 6 N D
    page = t._repr_html_()
    assert page.startswith("<table>") and "training_flop" in page


def test_html_escapes_labels() -> None:
    rows = records({"companies": [{"company": "<b>x</b>", "chips": {"value": 1.0, "unit": ""}}]})
    assert rows == [{"company": "<b>x</b>", "metric": "chips", "value": 1.0, "unit": "", "p5": None, "p50": None,
                     "p95": None, "mean": None}]

    class Doc(computecap.core.tabular.Tabular):  # type: ignore[name-defined]
        def to_dict(self) -> dict:
            return {"companies": [{"company": "<b>x</b>", "chips": {"value": 1.0, "unit": ""}}]}

    assert "&lt;b&gt;x&lt;/b&gt;" in Doc()._repr_html_() and "<b>x" not in Doc()._repr_html_()


def test_without_pandas_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, *args: object) -> object:
        if name == "pandas":
            raise ImportError("no pandas")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(InputError, match=r"pip install 'computecap\[frame\]'"):
        computecap.estimate(samples=200).to_frame()


def test_jsonable_has_no_nan() -> None:
    assert to_jsonable({"a": float("nan"), "b": [float("inf"), 1.0]}) == {"a": None, "b": [None, 1.0]}
