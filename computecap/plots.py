"""Charts (optional: ``pip install 'computecap[plot]'``). matplotlib is imported only here,
only when a chart is asked for, with the non-interactive Agg backend; files are written
atomically."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from computecap.errors import InputError
from computecap.report import write_atomic


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'computecap[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(fig: Any, path: str | Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    _pyplot().close(fig)
    write_atomic(Path(path), buf.getvalue())


def plot_chip_compare(rows: Sequence[Any], baseline: Any, path: str | Path) -> None:
    """Grouped bars: each chip's ratio to the baseline on the headline metrics (log scale)."""
    plt = _pyplot()
    metrics = [("peak_bf16", "BF16"), ("peak_fp8", "FP8"), ("memory", "HBM"), ("memory_bandwidth", "HBM BW"),
               ("interconnect_bandwidth", "scale-up"), ("tdp", "TDP"), ("price", "price"), ("tpp", "TPP")]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(len(rows), 1)
    x = np.arange(len(metrics))
    for i, r in enumerate(rows):
        vals = [r.ratios.get(k) or np.nan for k, _ in metrics]
        ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=r.chip.id)
    ax.axhline(1, color="black", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(x, [label for _, label in metrics])
    ax.set_ylabel(f"ratio to {baseline.id} (log scale)")
    ax.set_title(f"Chips relative to {baseline.id} (dense peaks; missing bars: not published or not supported)")
    ax.legend(ncol=min(len(rows), 8), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    _save(fig, path)


def plot_estimate(result: Any, path: str | Path) -> None:
    """Per-company H100-equivalents: p50 bars split by status, p5-p95 whiskers."""
    plt = _pyplot()
    comps = list(result.companies)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(comps)), 4.5))
    statuses = [s for s in ("installed", "approved", "pending", "ordered") if s in result.include]
    bottoms = np.zeros(len(comps))
    for status in statuses:
        seg = []
        for i, c in enumerate(comps):
            parts = {st: sum(b.h100e.p50 for b in c.breakdown if b.status == st) for st in statuses}
            total = sum(parts.values()) or 1.0
            seg.append(c.h100e.p50 * parts[status] / total)
        ax.bar(range(len(comps)), seg, bottom=bottoms, label=status)
        bottoms += np.array(seg)
    p50 = np.array([c.h100e.p50 for c in comps])
    err = np.array([[c.h100e.p50 - c.h100e.p5 for c in comps], [c.h100e.p95 - c.h100e.p50 for c in comps]])
    ax.errorbar(range(len(comps)), p50, yerr=err, fmt="none", ecolor="black", capsize=5, label="p5-p95")
    ax.set_xticks(range(len(comps)), [c.name for c in comps])
    ax.set_ylabel(f"H100-equivalents ({result.h100e_basis} basis)")
    ax.set_title(f"{result.scenario}: p50 split by status (shares of medians), whiskers p5-p95")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_controls(chips: Sequence[Any], rule_sets: Sequence[Any], path: str | Path) -> None:
    """TPP vs performance density with every TPP and density threshold of the rule sets."""
    from computecap.controls import performance_density, tpp
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for c in chips:
        pd = performance_density(c)
        if pd is None:
            continue
        x, y = tpp(c).m_as(""), pd.m_as("1/mm**2")
        ax.scatter(x, y, s=25)
        ax.annotate(c.id, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    seen: set[tuple[str, float]] = set()
    for r in rule_sets:
        for cls in r.classes:
            for cond in cls.conditions:
                t = cond.threshold
                if cond.metric not in ("tpp", "performance_density") or (cond.metric, t) in seen:
                    continue
                seen.add((cond.metric, t))
                line = ax.axvline if cond.metric == "tpp" else ax.axhline
                line(t, color="grey", lw=0.7, ls="--")
                label = f"{cond.metric.replace('performance_density', 'PD')} {t:g} ({r.id})"
                if cond.metric == "tpp":
                    ax.text(t, 0.01, label, rotation=90, fontsize=6, va="bottom", color="grey",
                            transform=ax.get_xaxis_transform())
                else:
                    ax.text(0.01, t, label, fontsize=6, va="bottom", color="grey", transform=ax.get_yaxis_transform())
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_axes(ax)
    ax.set_xlabel("Total Processing Performance (dense TOPS x bit length)")
    ax.set_ylabel("performance density (TPP / mm²)")
    ax.set_title("Export-control metrics with rule thresholds (" + ", ".join(r.id for r in rule_sets) + ")")
    _save(fig, path)


def _plain_log_axes(ax: Any, x_subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """Log axes ticked at 1-2-5 (x: ``x_subs``) with plain numbers (2,000 not 2x10^3)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for axis, subs in ((ax.xaxis, x_subs), (ax.yaxis, (1.0, 2.0, 5.0))):
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())


def plot_roofline(chips: Sequence[Any], precision: str, path: str | Path,
                  marks: dict[str, float] | None = None) -> None:
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
    ax.set_xlabel("arithmetic intensity (FLOP per byte of memory traffic)")
    ax.set_ylabel(f"attainable dense {precision} (TFLOP/s)")
    ax.set_title("Roofline: min(peak, intensity x memory bandwidth)")
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_timeline(result: Any, path: str | Path, metric: str = "h100e") -> None:
    """Quarterly stock in service: p50 lines with p5-p95 bands, one panel per company when grouped by status."""
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
    status_colour = {"installed": "tab:blue", "approved": "tab:orange", "pending": "tab:green", "ordered": "tab:red",
                     "grey": "dimgrey"}
    for i, (ax, panel) in enumerate(zip(axes.flat, panels)):
        for s in result.series:
            if result.by == "status" and s.company != panel:
                continue
            us = s.metrics[metric]
            p50, p5, p95 = (np.array([getattr(u, p) * scale for u in us]) for p in ("p50", "p5", "p95"))
            name = s.status if result.by == "status" else s.company
            style: dict[str, Any] = ({"color": status_colour[s.status]} if s.status else
                                     {"color": "black", "ls": "--"} if s.company == "total" else {})
            line = ax.plot(x, p50, label=name, lw=1.8, **style)[0]
            ax.fill_between(x, p5, p95, color=line.get_color(), alpha=0.15, lw=0)
        if panel:
            ax.set_title(panel, fontsize=10)
        if i % cols == 0:
            ax.set_ylabel(labels[metric])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 else f"{v:g}"))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{result.scenario}: stock in service at each quarter end (lines p50, bands p5-p95)\nstatuses {', '.join(result.include)}; "
                 + ("retired after the sourced lifetime" if result.retire else "no retirement"), fontsize=9)
    for ax in axes.flat:
        ax.tick_params(axis="x", labelrotation=30, labelbottom=True)
    _save(fig, path)
