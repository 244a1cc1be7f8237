"""Rendering results: tables (text, CSV, Markdown) and JSON, written atomically.

JSON follows DESIGN.md: a quantity is ``{"value": x, "unit": "..."}``; an uncertain one
adds p5/p50/p95/mean with value = p50. Units in table headers, never in cells.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pint

from computecap.errors import OutputError
from computecap.uncertainty import Uncertain


def quantity_json(q: pint.Quantity[Any] | None) -> dict[str, Any] | None:
    """``{"value": 9.895e14, "unit": "FLOP / s"}``; None stays None."""
    if q is None:
        return None
    return {"value": float(q.magnitude), "unit": f"{q.units:~P}" if not q.dimensionless else ""}


def to_jsonable(obj: Any) -> Any:
    """Quantities, Uncertain and dataclass-like results to plain JSON types."""
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


def dumps(obj: Any) -> str:
    """Strict JSON (no NaN or Infinity: a missing figure is null)."""
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


#: Control characters (C0, C1, DEL) and bidirectional overrides that a name read from a file may carry.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: ASCII stand-ins for the non-ASCII characters computecap prints, for terminals that lack them.
_ASCII = str.maketrans({"\u00b2": "**2", "\u00b3": "**3", "\u00b5": "u", "\u2013": "-", "\u2014": "-",
                        "\u00d7": "x", "\u2248": "~", "\u2264": "<=", "\u2265": ">=", "\u2026": "...",
                        "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00b1": "+/-"})


def safe_text(text: str) -> str:
    """``text`` without control characters or bidi overrides (tabs and newlines kept)."""
    return _UNSAFE.sub("", text)


def encodable(text: str, encoding: str | None) -> str:
    """``text`` as the stream's encoding can carry it: ASCII stand-ins, then '?' for the rest."""
    enc = encoding or "utf-8"
    try:
        text.encode(enc)
        return text
    except (UnicodeEncodeError, LookupError):
        return text.translate(_ASCII).encode(enc, errors="replace").decode(enc)


def fmt_number(x: float | None, digits: int = 4) -> str:
    """Readable number: thousands separators for big values, ``digits`` significant figures."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/p"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 1e15 or ax < 1e-3:
        return f"{x:.{digits - 1}e}"
    if ax >= 10 ** (digits - 1):  # round to ``digits`` significant figures, keep the thousands separators
        return f"{round(x, digits - 1 - math.floor(math.log10(ax))):,.0f}"
    return f"{x:.{digits}g}"


def fmt_count(x: float | None) -> str:
    """Parameter and token counts as analysts write them: 405.9B, 15.6T [1]."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/p"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(x) >= scale:
            return f"{x / scale:.4g}{suffix}"
    return f"{x:,.0f}"


#: Significant digits of sampled figures: at 10,000 samples a p50 moves about 0.2% between seeds.
MC_DIGITS = 3


def fmt_uncertain(u: Uncertain, factor: float = 1.0) -> str:
    """``p50 [p5-p95]`` in a table cell, to the 3 significant digits the Monte Carlo supports."""
    if u.p5 == u.p95:
        return fmt_number(u.p50 * factor, MC_DIGITS + 1)
    return (f"{fmt_number(u.p50 * factor, MC_DIGITS)} [{fmt_number(u.p5 * factor, MC_DIGITS)}-"
            f"{fmt_number(u.p95 * factor, MC_DIGITS)}]")


def render_rows(headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, title: str = "") -> str:
    """Render rows as an aligned text table, CSV or Markdown."""
    rows = [["" if c is None else re.sub(r"\s", " ", safe_text(str(c))) for c in r] for r in rows]
    headers = [safe_text(h) for h in headers]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(headers)
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "markdown":
        out = [f"**{title}**", ""] if title else []
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "|".join("---" for _ in headers) + "|")
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out) + "\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i and _numeric(c) else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [title] if title else []
    out += [line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    return "\n".join(out) + "\n"


_NUMERIC = re.compile(r"^(n/p|[-+]?[\d,.]+(e[-+]?\d+)?[%KMBT]?( \[[^\]]*\])?( \([\d.e+-]+x\))?( \+)?)$")


def _numeric(cell: str) -> bool:
    """Right-align numbers (with an optional [p5-p95] or (ratio) suffix); left-align text."""
    return bool(_NUMERIC.match(cell))


def write_output(text: str, path: str | Path | None) -> None:
    """Print ``text``, or write it to ``path`` atomically (temporary file, then rename)."""
    if path is None or str(path) == "-":
        import sys
        sys.stdout.write(encodable(text, sys.stdout.encoding))
        sys.stdout.flush()
        return
    write_atomic(Path(path), text.encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that an interrupted run never leaves a partial file."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{path}: --output: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: --output: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: --output: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
