"""The ``computecap`` command: a thin click shell over the library.

Each command parses options, calls one library function and renders the result.
Library errors become one ``Error: ...`` line and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from typing import Any, Callable

import click

from computecap import __version__
from computecap.errors import ComputecapError

F = Callable[..., Any]


class Group(click.Group):
    """A click group that turns computecap errors into one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ComputecapError as exc:
            raise click.ClickException(str(exc)) from None


def output_options(f: F) -> F:
    """``--format`` and ``--output``, shared by every command that renders a result."""
    f = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                     help="Write to FILE (atomically) instead of standard output.")(f)
    f = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table",
                     show_default=True, help="Output format.")(f)
    return f


def plot_option(f: F) -> F:
    """``--plot FILE.png`` (needs the ``plot`` extra)."""
    return click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
                        help="Also draw a PNG chart to FILE (pip install 'computecap[plot]').")(f)


def emit(text: str, output: str | None) -> None:
    from computecap.report import write_output
    write_output(text, output)


def _catalog() -> Any:
    from computecap.catalog import default_catalog
    return default_catalog()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="computecap")
@click.option("--specs", "specs_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Extra spec directory (DIR/chips, DIR/scenarios, ...); repeatable. Also $COMPUTECAP_SPECS.")
def cli(specs_dirs: tuple[str, ...]) -> None:
    """How much AI compute does an organisation have, and what can it train with it?

    Every number carries a unit, a source and an uncertainty.

    \b
    Example:
      computecap estimate
      computecap chips compare H20 H200 B200 910B --baseline H20
    """
    from computecap.catalog import set_spec_dirs
    set_spec_dirs(specs_dirs)


# ---------------------------------------------------------------------------- chips
@cli.group()
def chips() -> None:
    """Accelerator spec sheets: list, show, compare.

    \b
    Example:
      computecap chips show H200 --format json
    """


@chips.command("list")
@output_options
def chips_list(fmt: str, output: str | None) -> None:
    """List every chip with its headline dense figures.

    \b
    Example:
      computecap chips list --format markdown
    """
    from computecap import views
    emit(views.chips_list(_catalog().chips(), fmt), output)


@chips.command("show")
@click.argument("chip")
@output_options
@click.option("--rule", "rules", multiple=True, help="Rule set(s) for the export-control class (default: all).")
def chips_show(chip: str, fmt: str, output: str | None, rules: tuple[str, ...]) -> None:
    """Every spec of one chip, each value with its source.

    \b
    Example:
      computecap chips show H200 --format json
    """
    from computecap import views
    cat = _catalog()
    rule_sets = [cat.rule_set(r) for r in rules] or cat.rule_sets()
    emit(views.chip_show(cat.chip(chip), rule_sets, fmt), output)


@chips.command("compare")
@click.argument("chip_names", metavar="CHIP...", nargs=-1, required=True)
@click.option("--baseline", default=None, help="Chip to divide by (default: the first).")
@click.option("--intensity", type=float, default=None,
              help="Also compare attainable throughput at this arithmetic intensity [FLOP/byte] (roofline).")
@click.option("--precision", default="bf16", show_default=True, help="Precision for --intensity.")
@output_options
@plot_option
def chips_compare(chip_names: tuple[str, ...], baseline: str | None, intensity: float | None, precision: str,
                  fmt: str, output: str | None, plot_path: str | None) -> None:
    """Compare chips on every metric, with ratios to a baseline.

    \b
    Example:
      computecap chips compare H20 H200 B200 910B --baseline H20
      computecap chips compare H20 H200 --intensity 1 --precision fp8
    """
    from computecap import views
    from computecap.comparison import compare
    cat = _catalog()
    chip_objs = [cat.chip(n) for n in chip_names]
    base = cat.chip(baseline) if baseline else chip_objs[0]
    if intensity is not None and intensity <= 0:
        raise click.BadParameter(f"expected a positive arithmetic intensity [FLOP/byte], got {intensity}",
                                 param_hint="--intensity")
    rows = compare(chip_objs, base)
    emit(views.chips_compare(rows, base, fmt, intensity, precision), output)
    if plot_path:
        from computecap import plots
        plots.plot_chip_compare(rows, base, plot_path)


# ---------------------------------------------------------------------------- scenarios
DEFAULT_SCENARIO = "china-h200-2026"


@cli.group()
def scenarios() -> None:
    """Who holds which chips: bundled and user scenarios.

    \b
    Example:
      computecap scenarios show china-h200-2026
    """


@scenarios.command("list")
@output_options
def scenarios_list(fmt: str, output: str | None) -> None:
    """List scenarios with their companies.

    \b
    Example:
      computecap scenarios list
    """
    from computecap import views
    emit(views.scenarios_list(_catalog().scenarios(), fmt), output)


@scenarios.command("show")
@click.argument("scenario", default=DEFAULT_SCENARIO)
@output_options
def scenarios_show(scenario: str, fmt: str, output: str | None) -> None:
    """Holdings, allocations, sources and assumptions of a scenario (a name or a TOML path).

    \b
    Example:
      computecap scenarios show us-frontier-2025 --format markdown
    """
    from computecap import views
    emit(views.scenario_show(_catalog().scenario(scenario), fmt), output)


# ---------------------------------------------------------------------------- estimate
def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-06-30, got {value!r}") from None


def _parse_include(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from computecap.catalog.scenarios import STATUSES
    items = [s.strip().lower() for v in value for s in v.split(",") if s.strip()]
    if not items:
        return ("installed", "approved")
    if "all" in items:
        return STATUSES
    bad = [s for s in items if s not in STATUSES]
    if bad:
        raise click.BadParameter(f"unknown status {bad[0]!r}; expected any of {', '.join(STATUSES)} or 'all'")
    return tuple(dict.fromkeys(items))


def _positive_int(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value is not None and value < 1:
        raise click.BadParameter(f"expected a positive integer, got {value}")
    return value


def sampling_options(f: F) -> F:
    """``--samples`` and ``--seed``."""
    f = click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Random seed: the same seed gives the same output.")(f)
    f = click.option("--samples", type=int, default=20_000, show_default=True, callback=_positive_int,
                     help="Monte Carlo samples (chunked: 10 million fit in bounded memory).")(f)
    return f


def _progress(samples: int) -> Any:
    """A progress bar on stderr for long runs on a terminal, else a no-op context."""
    import contextlib
    if samples >= 2_000_000 and sys.stderr.isatty():
        return click.progressbar(length=samples, file=sys.stderr, label="sampling")
    return contextlib.nullcontext(None)


@cli.command()
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, help="Scenario name or TOML file.")
@click.option("--company", "companies", multiple=True, help="Company to report (repeatable; default all).")
@click.option("--include", multiple=True, callback=_parse_include, metavar="STATUS[,STATUS]",
              help="Statuses to count: installed, approved, pending, ordered, or all [default: installed,approved].")
@click.option("--as-of", "as_of", callback=_parse_date, default=None, metavar="DATE",
              help="Only holdings dated on or before DATE (YYYY-MM-DD).")
@click.option("--precision", default="bf16", show_default=True,
              type=click.Choice(["fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4"]),
              help="Precision of the effective figure.")
@click.option("--h100e-basis", "h100e_basis", type=click.Choice(["bf16", "fp8", "tpp"]), default="bf16",
              show_default=True, help="H100-equivalents: dense BF16, dense 8-bit, or TPP relative to H100 SXM.")
@sampling_options
@click.option("--explain", is_flag=True, help="Print every formula, input and source behind the figures.")
@click.option("--no-breakdown", is_flag=True, help="Only per-company totals (no status/chip rows).")
@output_options
@plot_option
def estimate(scenario: str, companies: tuple[str, ...], include: tuple[str, ...], as_of: dt.date | None,
             precision: str, h100e_basis: str, samples: int, seed: int, explain: bool, no_breakdown: bool,
             fmt: str, output: str | None, plot_path: str | None) -> None:
    """Per-company AI compute of a scenario, with p5/p50/p95.

    Peak and effective FLOP/s, H100-equivalents, HBM, power and capital cost for each
    company, by status and chip, from seeded vectorised Monte Carlo.

    \b
    Example:
      computecap estimate
      computecap estimate --include all --company ByteDance --explain
      computecap estimate --scenario us-frontier-2025 --format json -o us.json
    """
    from computecap import views
    from computecap.fleet import estimate as run
    with _progress(samples) as bar:
        result = run(_catalog().scenario(scenario), companies=companies, include=include, as_of=as_of,
                     precision=precision, samples=samples, seed=seed, h100e_basis=h100e_basis,
                     progress=bar.update if bar is not None else None)
    text = views.estimate_table(result, fmt, breakdown=not no_breakdown)
    if explain and fmt in ("table", "markdown"):
        text += views.explain(result.assumptions)
    emit(text, output)
    if plot_path:
        from computecap import plots
        plots.plot_estimate(result, plot_path)


def main() -> None:
    """Entry point of the ``computecap`` console script."""
    try:
        cli(prog_name="computecap")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
