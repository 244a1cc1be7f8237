"""Results as rows: every result's ``to_frame()`` (pandas) and ``_repr_html_()`` (notebooks).

Both read the result's own JSON (``to_dict()``), so one flattening serves every engine:
a row per uncertain or plain quantity, labelled by the identifying fields on its path
(company, status, chip, quarter, ...), with value, unit, p5, p50, p95 and mean.
"""

from __future__ import annotations

import html
import importlib
import math
from typing import Any

import pint

from computecap.errors import InputError
from computecap.uncertainty import Uncertain

#: Fields that identify a row when a list of tables is walked.
LABELS = ("company", "status", "chip", "model", "quarter", "date", "name", "group", "metric_of")
_COLUMNS = ("value", "unit", "p5", "p50", "p95", "mean")


def quantity_json(q: pint.Quantity[Any] | None) -> dict[str, Any] | None:
    """``{"value": 9.895e14, "unit": "FLOP / s"}``; None stays None."""
    if q is None:
        return None
    return {"value": float(q.magnitude), "unit": f"{q.units:~P}" if not q.dimensionless else ""}


def to_jsonable(obj: Any) -> Any:
    """Quantities, Uncertain and results (anything with ``to_dict``) as plain JSON types; a
    non-finite float becomes None (JSON has no NaN)."""
    if isinstance(obj, pint.Quantity):
        return quantity_json(obj)
    if isinstance(obj, Uncertain):
        return obj.to_dict()
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def records(doc: Any) -> list[dict[str, Any]]:
    """One row per quantity of a result's JSON document: its labels, its metric path and figures."""
    rows: list[dict[str, Any]] = []

    def walk(node: Any, labels: dict[str, Any], path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            if "value" in node and "unit" in node:
                row = {**labels, "metric": ".".join(path)}
                row.update({k: node.get(k) for k in _COLUMNS})
                rows.append(row)
                return
            here = {**labels, **{k: node[k] for k in LABELS if isinstance(node.get(k), (str, int, float))}}
            for key, value in node.items():
                if key not in LABELS and key != "assumptions":
                    walk(value, here, (*path, str(key)))
        elif isinstance(node, list):  # a list of labelled tables adds no name of its own to the metric
            for item in node:
                labelled = isinstance(item, dict) and any(k in item for k in LABELS)
                walk(item, labels, path[:-1] if labelled else path)

    walk(doc, {}, ())
    return rows


class Tabular:
    """Mixin for result dataclasses that have ``to_dict()``: tidy rows, a DataFrame, notebook HTML."""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every result defines it
        raise NotImplementedError

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per figure, with its labels, unit, p5, p50, p95 and mean."""
        return records(to_jsonable(self.to_dict()))

    def to_frame(self) -> Any:
        """A tidy pandas DataFrame of ``records()`` (needs the ``frame`` extra)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise InputError("to_frame needs pandas: pip install 'computecap[frame]'") from None
        return pandas.DataFrame.from_records(self.records())

    def _repr_html_(self, limit: int = 60) -> str:
        rows = self.records()
        if not rows:
            return "<p>(no figures)</p>"
        columns = list(dict.fromkeys(k for r in rows for k in r))
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>"
                       for r in rows[:limit])
        more = f"<p>{len(rows) - limit} more rows: use to_frame()</p>" if len(rows) > limit else ""
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape("" if value is None else str(value))
