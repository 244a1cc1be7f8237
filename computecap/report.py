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
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from computecap.core.tabular import to_jsonable
from computecap.errors import OutputError
from computecap.uncertainty import Uncertain


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


#: Width of a table when standard output is not a terminal and $COLUMNS is unset [characters].
DEFAULT_WIDTH = 100
#: Narrowest width a table is fitted to, whatever the terminal says [characters].
MIN_WIDTH = 40


def terminal_width() -> int:
    """Columns to fit: $COLUMNS, else the terminal's width, else DEFAULT_WIDTH [characters]."""
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def wrap_text(text: str, width: int | None = None, indent: str = "") -> str:
    """``text`` wrapped to ``width`` (default: the terminal's), line by line; 0 = no wrapping.

    Words longer than a line (URLs) are kept whole, on a line of their own.
    """
    width = terminal_width() if width is None else width
    if width <= 0:
        return text
    out = []
    for para in text.split("\n"):
        lead = para[:len(para) - len(para.lstrip())]
        out.append(textwrap.fill(para, width, initial_indent="", subsequent_indent=lead + indent,
                                 break_long_words=False, break_on_hyphens=False) if para.strip() else "")
    return "\n".join(out)


def fmt_compact(x: float, digits: int = MC_DIGITS) -> str:
    """A short number for narrow columns: 33.8, 1,480, 432k, 1.21M, 3.4B (``digits`` significant)."""
    for threshold, scale, suffix in ((1e12, 1e12, "T"), (1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(x) >= threshold:
            return f"{fmt_number(x / scale, digits)}{suffix}"
    return fmt_number(x, digits)


def fmt_range(u: Uncertain, factor: float = 1.0) -> str:
    """``p5-p95`` in compact numbers (the line under a median in narrow tables)."""
    return f"{fmt_compact(u.p5 * factor)}-{fmt_compact(u.p95 * factor)}"


def csv_number(x: float | None) -> str:
    """A plain number for CSV: shortest round-trip digits, no separators; empty when missing."""
    if x is None or not math.isfinite(x):
        return ""
    return repr(int(x)) if x == int(x) and abs(x) < 1e15 else repr(float(x))


def render_rows(headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, title: str = "",
                width: int | None = None, notes: Sequence[str] = ()) -> str:
    """Render rows as an aligned text table, CSV or Markdown.

    A text table is fitted to ``width`` [characters] (default: the terminal's; 0 = never
    wrapped): text columns wrap first, then the widest columns, cells breaking at spaces.
    ``notes[i]``, when given, is printed (wrapped, indented) under row ``i`` of a text table.
    """
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
    width = terminal_width() if width is None else width
    cells = [max((len(r[i]) for r in rows), default=0) for i in range(len(headers))]
    natural = [max(len(h), c) for h, c in zip(headers, cells)]
    words = [max((len(w) for r in rows for w in r[i].split()), default=0) for i in range(len(headers))]
    text = [i == 0 or not all(_numeric(r[i]) for r in rows if r[i]) for i in range(len(headers))]
    floors = [  # headers wrap first, then text columns (keeping words whole where they can), then any column
        [max(c, max((len(w) for w in h.split()), default=0)) for h, c in zip(headers, cells)],
        [max(12, min(w, 24)) if t else n for t, w, n in zip(text, words, natural)],
        [6] * len(headers)]
    widths = fit_widths(natural, floors, width) if width > 0 else natural

    def lines(cells: Sequence[str]) -> list[str]:
        parts = [_wrap_cell(c, w) for c, w in zip(cells, widths)]
        out = []
        for k in range(max(len(p) for p in parts)):
            out.append("  ".join((p[k] if k < len(p) else "").rjust(w) if i and _numeric(c) else
                                 (p[k] if k < len(p) else "").ljust(w)
                                 for i, (c, p, w) in enumerate(zip(cells, parts, widths))).rstrip())
        return out

    out = [wrap_text(title, width)] if title else []
    out += lines(headers) + ["  ".join("-" * w for w in widths)]
    for i, r in enumerate(rows):
        out += lines(r)
        if i < len(notes) and notes[i]:
            out.append(wrap_text("    " + safe_text(notes[i]), width, indent="  "))
    return "\n".join(out) + "\n"


Cell = str | tuple[str, ...]


def render_stacked(headers: Sequence[Sequence[str]], rows: Sequence[Sequence[Cell]], title: str = "",
                   width: int | None = None, left: int = 1) -> tuple[str, list[int]]:
    """A text table whose cells and headers may span lines (e.g. a median over its p5-p95).

    The first ``left`` columns are left-aligned, the others right-aligned; an empty row is a blank line.
    Columns that do not fit ``width`` [characters] (default: the terminal's; 0 = all) are left
    out from the right; their indices are returned with the text.
    """
    width = terminal_width() if width is None else width
    cells = [[(c,) if isinstance(c, str) else c for c in r] for r in rows]
    n = len(headers)
    natural = [max([len(x) for x in headers[i]] + [len(x) for r in cells if r for x in r[i]]) for i in range(n)]
    keep, used = [], -2
    for i, w in enumerate(natural):
        if width > 0 and i > left and used + 2 + w > width:
            break
        keep.append(i)
        used += 2 + w
    dropped = list(range(len(keep), n))

    def lines(row: Sequence[Sequence[str]], top: bool = True) -> list[str]:
        height = max(len(row[i]) for i in keep)
        out = []
        for k in range(height):
            parts = []
            for i in keep:
                part = row[i]
                j = k if top else k - (height - len(part))  # headers sit on their last line
                text = safe_text(part[j]) if 0 <= j < len(part) else ""
                parts.append(text.ljust(natural[i]) if i < left else text.rjust(natural[i]))
            out.append("  ".join(parts).rstrip())
        return out

    out = [wrap_text(title, width)] if title else []
    out += lines([tuple(h) for h in headers], top=False)
    out.append("  ".join("-" * natural[i] for i in keep))
    for r in cells:
        out += lines(r) if r else [""]
    return "\n".join(out) + "\n", dropped


def fit_widths(natural: Sequence[int], floors: Sequence[Sequence[int]], width: int, gap: int = 2) -> list[int]:
    """Column widths that fit ``width`` [characters]: for each list of per-column floors in turn,
    narrow the widest column above its floor, one character at a time, until the table fits
    (past the last floors it overflows)."""
    widths = list(natural)
    for floor in floors:
        while sum(widths) + gap * (len(widths) - 1) > width:
            wide = [i for i, w in enumerate(widths) if w > floor[i]]
            if not wide:
                break
            widths[max(wide, key=lambda i: widths[i])] -= 1
    return widths


def _wrap_cell(cell: str, width: int) -> list[str]:
    if len(cell) <= width:
        return [cell]
    return textwrap.wrap(cell, width, break_long_words=True, break_on_hyphens=False) or [""]


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
