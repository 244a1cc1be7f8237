"""Charts (optional: ``pip install 'computecap[plot]'``). matplotlib is imported only here,
only when a chart is asked for, with the non-interactive Agg backend. Every chart function
returns its PNG bytes and, given a path, also writes them there atomically."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from computecap.errors import InputError
from computecap.paired import Comparison, display_unit
from computecap.report import write_atomic
from computecap.sensitivity import Sensitivity

#: One colour per holding status, on every chart.
STATUS_COLOURS = {"installed": "#1f77b4", "approved": "#ff7f0e", "pending": "#2ca02c", "ordered": "#d62728",
                  "grey": "#7f7f7f"}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise InputError("charts (--plot, report) need matplotlib: pip install 'computecap[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(fig: Any, path: str | Path | None) -> bytes:
    """The figure as PNG bytes (written atomically to ``path`` when given); closes the figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    _pyplot().close(fig)
    data = buf.getvalue()
    if path is not None:
        write_atomic(Path(path), data)
    return data


def _count_label(v: float, _: Any = None) -> str:
    """Axis numbers as analysts read them: 500k, 1.5M, 12 (no scientific notation)."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:,.0f}" if a >= 10 or v == 0 else f"{v:g}"


def _log_limits(values: Sequence[float]) -> tuple[float, float]:
    """Log-axis limits on the 1-2-5 grid: the step below the smallest value and the step above the largest
    (never an arbitrary floor)."""
    vals = [v for v in values if v > 0 and math.isfinite(v)] or [1.0]
    lo, hi = min(vals) / 1.05, max(vals) * 1.05
    steps = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1, math.floor(math.log10(hi)) + 2)
             for m in (1.0, 2.0, 5.0)]
    return max(s for s in steps if s <= lo), min(s for s in steps if s >= hi)


def plot_chip_compare(rows: Sequence[Any], baseline: Any, path: str | Path | None = None) -> bytes:
    """Grouped bars of each chip's ratio to the baseline on the headline metrics, drawn from 1x (log axis)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    plt = _pyplot()
    metrics = [("peak_bf16", "BF16"), ("peak_fp8", "FP8"), ("memory", "HBM"), ("memory_bandwidth", "HBM BW"),
               ("interconnect_bandwidth", "scale-up"), ("tdp", "TDP"), ("price", "price"), ("tpp", "TPP")]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(len(rows), 1)
    x = np.arange(len(metrics))
    shown: list[float] = []
    for i, r in enumerate(rows):
        vals = np.array([r.ratios.get(k) or np.nan for k, _ in metrics], dtype=float)
        shown += [float(v) for v in vals if np.isfinite(v)]
        ax.bar(x + i * width - 0.4 + width / 2, vals - 1.0, width, bottom=1.0, label=r.chip.id)
    ax.axhline(1, color="black", lw=0.8)
    ax.set_yscale("log")
    low, high = _log_limits([*shown, 1.0])
    ax.set_ylim(low, high)
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
             for m in (1.0, 2.0, 5.0) if low <= m * 10.0 ** e <= high]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="y", alpha=0.3)
    ax.set_xticks(x, [label for _, label in metrics])
    ax.set_ylabel(f"ratio to {baseline.id} (log scale; bars from 1x)")
    ax.set_title(f"Chips relative to {baseline.id} (dense peaks; missing bars: not published or not supported)",
                 fontsize=10)
    ax.legend(ncol=min(len(rows), 8), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return _save(fig, path)


def plot_estimate(result: Any, path: str | Path | None = None) -> bytes:
    """Per-company H100-equivalents: p50 bars split by status, p5-p95 whiskers."""
    from matplotlib.ticker import FuncFormatter
    plt = _pyplot()
    comps = list(result.companies)
    fig, ax = plt.subplots(figsize=(max(6.5, 1.7 * len(comps)), 4.5))
    found = {b.status for c in comps for b in c.breakdown}
    statuses = [s for s in STATUS_COLOURS if s in found]
    bottoms = np.zeros(len(comps))
    for status in statuses:
        seg = []
        for c in comps:
            parts = {st: sum((b.h100e.p50 for b in c.breakdown if b.status == st and b.h100e is not None), 0.0)
                     for st in statuses}
            total = sum(parts.values())
            seg.append(c.h100e.p50 * parts[status] / total if total else 0.0)
        if any(seg):
            ax.bar(range(len(comps)), seg, bottom=bottoms, label=status, color=STATUS_COLOURS[status])
        bottoms += np.array(seg)
    p50 = np.array([c.h100e.p50 for c in comps])
    err = np.array([[c.h100e.p50 - c.h100e.p5 for c in comps], [c.h100e.p95 - c.h100e.p50 for c in comps]])
    ax.errorbar(range(len(comps)), p50, yerr=err, fmt="none", ecolor="black", capsize=5, label="p5-p95")
    ax.set_xticks(range(len(comps)), [c.name.replace(" ", "\n", 1) if len(c.name) > 12 else c.name for c in comps])
    ax.yaxis.set_major_formatter(FuncFormatter(_count_label))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylabel(f"H100-equivalents ({result.h100e_basis} basis)")
    ax.set_title(f"{result.scenario}: in service on {result.as_of}; bars p50 split by status, whiskers p5-p95",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def _spread_labels(ax: Any, points: Sequence[tuple[float, float, str]]) -> None:
    """Label points so that labels cover no other label or point: chips at the same point share one label; each label takes the first free corner around its point (right-above,
    right-below, left-above, left-below), else moves up with a leader line to its point."""
    from matplotlib.transforms import Bbox
    merged: list[tuple[float, float, list[str]]] = []
    for x, y, name in sorted(points, key=lambda p: (p[1], p[0])):
        for mx, my, names in merged:
            if abs(math.log(x / mx)) < 0.01 and abs(math.log(y / my)) < 0.01:
                names.append(name)
                break
        else:
            merged.append((x, y, [name]))
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    to_points = 72.0 / fig.dpi
    marker = 3.0 / to_points  # half a marker's width (s=25: 5 pt across) [px]
    frame = ax.get_window_extent(renderer)
    placed: list[Any] = [Bbox.from_extents(px - marker, py - marker, px + marker, py + marker)
                         for px, py in (ax.transData.transform((x, y)) for x, y, _ in merged)]
    corners = ((4.0, 3.0, "left", "bottom"), (4.0, -3.0, "left", "top"), (-4.0, 3.0, "right", "bottom"),
               (-4.0, -3.0, "right", "top"))
    for x, y, names in merged:
        label = ", ".join(sorted(names))
        for dx, dy, ha, va in corners:
            text = ax.annotate(label, (x, y), fontsize=7, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va)
            box = text.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in placed):
                break
            text.remove()
        else:
            dx, dy = 4.0, 3.0
            text = ax.annotate(label, (x, y), fontsize=7, xytext=(dx, dy), textcoords="offset points")
            box = text.get_window_extent(renderer)
            for _ in range(len(placed)):
                hit = next((b for b in placed if box.overlaps(b)), None)
                if hit is None:
                    break
                shift = hit.y1 - box.y0 + 2.0  # pixels up to clear what it covers
                dy += shift * to_points
                box = box.translated(0, shift)
            text.remove()
            ax.annotate(label, (x, y), fontsize=7, xytext=(dx, dy), textcoords="offset points",
                        arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})
        placed.append(box)


def _thresholds(rule_sets: Sequence[Any], metric: str) -> list[tuple[list[float], list[str]]]:
    """The ``metric`` thresholds of the rule sets, those within 4% of each other grouped (one label each):
    [(values, rule set ids)], ascending."""
    found: dict[float, list[str]] = {}
    for r in rule_sets:
        for cls in r.classes:
            for cond in cls.conditions:
                if cond.metric == metric and r.id not in found.setdefault(float(cond.threshold), []):
                    found[float(cond.threshold)].append(r.id)
    groups: list[tuple[list[float], list[str]]] = []
    for value in sorted(found):
        if groups and value <= groups[-1][0][-1] * 1.04:
            groups[-1][0].append(value)
            groups[-1][1].extend(i for i in found[value] if i not in groups[-1][1])
        else:
            groups.append(([value], list(found[value])))
    return groups


def plot_controls(chips: Sequence[Any], rule_sets: Sequence[Any], path: str | Path | None = None) -> bytes:
    """TPP vs performance density with every TPP and density threshold of the rule sets: threshold values
    outside the frame (close ones share a label), the rule sets naming them in a note below."""
    import textwrap

    from computecap.controls import performance_density, tpp
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    points = []
    for c in chips:
        pd = performance_density(c)
        if pd is None:
            continue
        x, y = float(tpp(c).m_as("")), float(pd.m_as("1/mm**2"))
        ax.scatter(x, y, s=25, zorder=3)
        points.append((x, y, c.id))
    groups = {m: _thresholds(rule_sets, m) for m in ("tpp", "performance_density")}
    for metric, found in groups.items():
        for values, _ in found:
            for v in values:
                (ax.axvline if metric == "tpp" else ax.axhline)(v, color="grey", lw=0.7, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axes(ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ax.set_xlim(x0, x1 * 1.3)  # room for labels right of the last chip and above the top one
    ax.set_ylim(y0, y1 * 1.6)
    tallest = 0
    for values, _ in groups["tpp"]:
        text = " / ".join(f"{v:,g}" for v in values)
        tallest = max(tallest, len(text))
        ax.text(values[-1], 1.01, text, rotation=90, fontsize=6, va="bottom", ha="center", color="grey",
                transform=ax.get_xaxis_transform())
    for values, _ in groups["performance_density"]:
        ax.text(1.01, values[-1], " / ".join(f"{v:g}" for v in values), fontsize=6, va="center", ha="left",
                color="grey", transform=ax.get_yaxis_transform())
    ax.set_xlabel("Total Processing Performance (dense TOPS x bit length)")
    ax.set_ylabel("performance density (TPP / mm²)")
    ax.set_title("Export-control metrics and rule thresholds (dashed)", fontsize=10, pad=6 + 3.1 * tallest)
    note = "; ".join(f"{'TPP' if m == 'tpp' else 'density'} {' / '.join(f'{v:,g}' for v in values)}: {', '.join(ids)}"
                     for m, found in groups.items() for values, ids in found)
    if note:
        ax.text(0.0, -0.13, textwrap.fill("Thresholds: " + note + ".", 120), fontsize=6.5, color="dimgrey",
                va="top", transform=ax.transAxes)
    _spread_labels(ax, points)
    return _save(fig, path)


def _plain_log_axes(ax: Any, x_subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """Log axes ticked at 1-2-5 (x: ``x_subs``) with plain numbers (2,000 not 2x10^3)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for axis, subs in ((ax.xaxis, x_subs), (ax.yaxis, (1.0, 2.0, 5.0))):
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())


def plot_roofline(chips: Sequence[Any], precision: str, path: str | Path | None = None,
                  marks: dict[str, float] | None = None) -> bytes:
    """Attainable throughput vs arithmetic intensity (log-log), with typical workloads marked."""
    from computecap.roofline import attainable
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    grid = np.logspace(-1, 4, 200)
    for c in chips:
        if precision in c.peaks and c.get("memory_bandwidth") is not None:
            ax.plot(grid, attainable(c, precision, grid).m_as("TFLOP/s"), label=c.id)
    for name, x in (marks or {}).items():
        ax.axvline(x, color="grey", lw=0.6, ls=":")
        ax.text(x, 0.02, " " + name, rotation=90, fontsize=6, color="grey", va="bottom",
                transform=ax.get_xaxis_transform())
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axes(ax, x_subs=(1.0,))
    ax.grid(alpha=0.25)
    ax.set_xlabel("arithmetic intensity (FLOP per byte of memory traffic)")
    ax.set_ylabel(f"attainable dense {precision} (TFLOP/s)")
    ax.set_title("Roofline: min(peak, intensity x memory bandwidth)", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_timeline(result: Any, path: str | Path | None = None, metric: str = "h100e",
                  as_of: dt.date | None = None) -> bytes:
    """Quarterly stock in service: p50 lines with p5-p95 bands, one panel per company when grouped by status;
    ``as_of`` marks a date (e.g. today) with a dotted line."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter
    labels = {"h100e": "H100-equivalents (dense BF16)", "chips": "chips in service", "peak": "peak BF16 (EFLOP/s)",
              "power": "facility power (MW)"}
    scale = 1e-18 if metric == "peak" else 1.0
    x = np.array([np.datetime64(d) for d in result.dates])
    panels = list(dict.fromkeys(s.company for s in result.series)) if result.by == "status" else [""]
    cols = min(len(panels), 2)
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.8 * rows), squeeze=False, sharex=True,
                             layout="constrained")
    for i, (ax, panel) in enumerate(zip(axes.flat, panels)):
        for s in result.series:
            if result.by == "status" and s.company != panel:
                continue
            us = s.metrics[metric]
            p50, p5, p95 = (np.array([getattr(u, p) * scale for u in us]) for p in ("p50", "p5", "p95"))
            name = s.status if result.by == "status" else s.company
            style: dict[str, Any] = ({"color": STATUS_COLOURS[s.status]} if s.status else
                                     {"color": "black", "ls": "--"} if s.company == "total" else {})
            line = ax.plot(x, p50, label=name, lw=1.8, **style)[0]
            ax.fill_between(x, p5, p95, color=line.get_color(), alpha=0.15, lw=0)
        if as_of is not None and result.dates[0] <= as_of <= result.dates[-1]:
            ax.axvline(np.datetime64(as_of), color="grey", lw=0.8, ls=":")
            ax.text(np.datetime64(as_of), 0.98, f" {as_of}", fontsize=7, color="grey", va="top",
                    transform=ax.get_xaxis_transform())
        if panel:
            ax.set_title(panel, fontsize=10)
        if i % cols == 0:
            ax.set_ylabel(labels[metric])
        ax.yaxis.set_major_formatter(FuncFormatter(_count_label))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{result.scenario}: stock in service at each quarter end (lines p50, bands p5-p95)\nstatuses {', '.join(result.include)}; "
                 + ("retired after the sourced lifetime" if result.retire else "no retirement"), fontsize=9)
    for ax in axes.flat:
        ax.tick_params(axis="x", labelrotation=30, labelbottom=True)
    return _save(fig, path)


def plot_compare(result: Comparison, path: str | Path | None = None) -> bytes:
    """Left: A and B per row (p50 dots, p5-p95 bars). Right: the paired ratio A / B, with P(A > B)."""
    plt = _pyplot()
    rows = [r for r in result.rows if r.a is not None and r.b is not None]
    shown, f = display_unit(result.unit)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.7 * len(rows) + 1.8), sharey=True)
    y = np.arange(len(rows))[::-1]
    for side, off, colour, label in (("a", 0.15, "tab:blue", "A"), ("b", -0.15, "tab:orange", "B")):
        us = [getattr(r, side) for r in rows]
        p50 = np.array([u.p50 for u in us]) * f
        err = np.array([[u.p50 - u.p5 for u in us], [u.p95 - u.p50 for u in us]]) * f
        left.errorbar(p50, y + off, xerr=err, fmt="o", color=colour, capsize=4, label=label)
    from matplotlib.ticker import FuncFormatter
    left.xaxis.set_major_formatter(FuncFormatter(_count_label))
    left.set_yticks(y, [r.name for r in rows])
    left.set_xlim(left=0)
    left.set_xlabel(f"{result.metric}" + (f" [{shown}]" if shown else "") + ": p50, p5-p95")
    left.legend(fontsize=8, loc="lower right")
    left.grid(axis="x", alpha=0.3)
    for yy, r in zip(y, rows):
        if r.ratio is None:
            right.text(1.0, yy, "no ratio (B = 0)", ha="center", va="center", fontsize=8)
            continue
        right.errorbar([r.ratio.p50], [yy], xerr=[[r.ratio.p50 - r.ratio.p5], [r.ratio.p95 - r.ratio.p50]],
                       fmt="s", color="black", capsize=4)
        right.annotate(f"P(A>B) {r.p_greater:.0%}", (r.ratio.p95, yy), xytext=(6, 0), textcoords="offset points",
                       va="center", fontsize=8)
    right.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    right.set_xlabel("A / B (paired draws): p50, p5-p95")
    right.grid(axis="x", alpha=0.3)
    lo, hi = right.get_xlim()
    right.set_xlim(min(lo, 0.9), hi + 0.25 * (hi - lo))
    fig.suptitle(f"A = {result.label_a}\nB = {result.label_b}", fontsize=9)
    return _save(fig, path)


def plot_tornado(result: Sensitivity, path: str | Path | None = None, top: int = 15) -> bytes:
    """Tornado chart: output median with each input at its p5 and p95, the largest swing on top."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter
    effects = list(result.effects[:top])[::-1]
    shown, f = display_unit(result.unit)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(effects) + 1.6))
    base = result.baseline * f
    for y, e in enumerate(effects):
        for value, colour in ((e.at_low * f, "tab:blue"), (e.at_high * f, "tab:red")):
            ax.barh(y, value - base, left=base, color=colour, height=0.6)
        ax.annotate(f"{e.variance_share:.0%} of variance", (max(e.at_low, e.at_high) * f, y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=7)
    ax.axvline(base, color="black", linewidth=1)
    ax.set_yticks(range(len(effects)), [e.label for e in effects], fontsize=8)
    ax.xaxis.set_major_formatter(FuncFormatter(_count_label))
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi + 0.15 * (hi - lo))
    ax.set_xlabel(f"{result.company} {result.metric}" + (f" [{shown}]" if shown else "")
                  + ": median with the input at its p5 (blue) and p95 (red), the rest at their medians")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"What drives {result.company}'s {result.metric} ({result.scenario}, {result.as_of})\n"
                 f"not pinnable, {result.unpinned_share:.0%} of variance: {result.unpinned}", fontsize=9)
    return _save(fig, path)
