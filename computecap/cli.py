"""The ``computecap`` command: a thin click shell over the library.

Each command parses options, calls one library function and renders the result.
Library errors become one ``Error: ...`` line and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from computecap import __version__
from computecap.errors import ComputecapError
from computecap.precisions import NAMES as PRECISION_NAMES

F = Callable[..., Any]


class Group(click.Group):
    """A click group that turns every error into one line: exit 1 for data and computation
    errors, 2 for usage errors (click's), never a traceback (``COMPUTECAP_DEBUG=1`` shows it)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ComputecapError as exc:
            raise click.ClickException(_one_line(str(exc))) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # e.g. `computecap chips list | head`
            sys.stderr.close()
            raise SystemExit(1) from None
        except Exception as exc:
            if os.environ.get("COMPUTECAP_DEBUG"):
                raise
            raise click.ClickException(_one_line(f"internal error ({type(exc).__name__}: {exc}); please report "
                                                 "it with the command line (COMPUTECAP_DEBUG=1 shows the traceback)"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _file_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A file to write: not a directory, in a directory that exists (checked before any work)."""
    if value is None or value == "-":
        return value
    from pathlib import Path
    path = Path(value)
    if value.endswith(("/", os.sep)) or path.is_dir():
        raise click.BadParameter(f"{value!r} is a directory; expected a file name")
    parent = path.parent
    if not parent.is_dir():
        raise click.BadParameter(f"directory {str(parent)!r} does not exist")
    return value


def output_options(f: F) -> F:
    """``--format`` and ``--output``, shared by every command that renders a result."""
    f = click.option("--output", "-o", default=None, metavar="FILE", callback=_file_path,
                     help="Write to FILE (atomically) instead of standard output.")(f)
    f = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table",
                     show_default=True, help="Output format.")(f)
    return f


def plot_option(f: F) -> F:
    """``--plot FILE.png`` (needs the ``plot`` extra)."""
    return click.option("--plot", "plot_path", default=None, metavar="FILE.png", callback=_plot_path,
                        help="Also draw a PNG chart to FILE (pip install 'computecap[plot]').")(f)


def _plot_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    value = _file_path(ctx, param, value)
    if value is not None and not value.lower().endswith(".png"):
        raise click.BadParameter(f"expected a .png file name, got {value!r}")
    if value is not None:
        import importlib.util
        if importlib.util.find_spec("matplotlib") is None:
            raise click.BadParameter("needs matplotlib: pip install 'computecap[plot]'")
    return value


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
    """How much AI compute does an organisation have, and what can it train and serve with it?

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
@click.option("--explain", is_flag=True, help="List each source with its full URL or document reference.")
def chips_show(chip: str, fmt: str, output: str | None, rules: tuple[str, ...], explain: bool) -> None:
    """Every spec of one chip, each value with its source.

    \b
    Example:
      computecap chips show H200 --format json
    """
    from computecap import views
    cat = _catalog()
    rule_sets = [cat.rule_set(r) for r in rules] or cat.rule_sets()
    emit(views.chip_show(cat.chip(chip), rule_sets, fmt, explain=explain), output)


@chips.command("compare")
@click.argument("chip_names", metavar="CHIP...", nargs=-1, required=True)
@click.option("--baseline", default=None, help="Chip to divide by (default: the first).")
@click.option("--intensity", type=float, default=None,
              help="Also compare attainable throughput at this arithmetic intensity [FLOP/byte] (roofline).")
@click.option("--precision", default="bf16", show_default=True, type=click.Choice(list(PRECISION_NAMES)),
              help="Precision for --intensity.")
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
    if intensity is not None and not (math.isfinite(intensity) and intensity > 0):
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
@click.option("--explain", is_flag=True, help="Full delivery schedules, and each source with its URL.")
def scenarios_show(scenario: str, fmt: str, output: str | None, explain: bool) -> None:
    """Holdings, allocations, sources and assumptions of a scenario (a name or a TOML path).

    \b
    Example:
      computecap scenarios show us-frontier-2025 --format markdown
    """
    from computecap import views
    emit(views.scenario_show(_catalog().scenario(scenario), fmt, explain=explain), output)


# ---------------------------------------------------------------------------- estimate
def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-06-30, got {value!r}") from None


def _parse_include(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from computecap.core import DEFAULT_INCLUDE, parse_include
    from computecap.errors import InputError
    if not value:
        return DEFAULT_INCLUDE
    try:
        return parse_include(",".join(v.strip().lower() for v in value), "--include")
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--include: ")) from None


def _samples(ctx: click.Context, param: click.Parameter, value: int) -> int:
    from computecap.core.sampling import MAX_SAMPLES
    if not 1 <= value <= MAX_SAMPLES:
        raise click.BadParameter(f"expected a whole number from 1 to {MAX_SAMPLES:,}, got {value:,}")
    return value


#: The default sample count of the CLI and the library (computecap.core.sampling.DEFAULT_SAMPLES).
DEFAULT_SAMPLES = 10_000
#: Samples of the side figures of `estimate` (days to train, the not-yet-delivered table).
SIDE_SAMPLES = 2_000


def sampling_options(f: F) -> F:
    """``--samples`` and ``--seed``."""
    f = click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=0, show_default=True,
                     help="Random seed: the same seed gives the same output.")(f)
    f = click.option("--samples", type=int, default=DEFAULT_SAMPLES, show_default=True, callback=_samples,
                     help="Monte Carlo samples (chunked: memory stays bounded at any count).")(f)
    return f


def set_option(f: F) -> F:
    """``--set KEY=VALUE`` (repeatable): a what-if on any count, allocation, default or chip value."""
    return click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                        help="What-if, repeatable: COMPANY.CHIP[.STATUS]=600k, allocations[N].total=..., "
                             "price.CHIP='25000 USD', chip.CHIP.tdp='700 W', utilisation=0.3..0.5 "
                             "(LOW..HIGH: a 90% interval); see computecap/overrides.py.")(f)


def _apply_sets(sets: tuple[str, ...], scenario: str | None, engine: str) -> None:
    """Make ``--set`` overrides the default catalog of this run (scenario keys need ``scenario``)."""
    if not sets:
        return
    from computecap import overrides
    from computecap.catalog import use_catalog
    cat = _catalog()
    use_catalog(overrides.apply(cat, cat.scenario(scenario) if scenario else None, overrides.parse_sets(sets),
                                engine=engine)[0])


def _annotate(result: Any) -> Any:
    """``result`` with every override (``--set``, a user defaults.toml) in its assumptions."""
    from computecap.overrides import annotate
    return annotate(result, _catalog())


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
              help="Count chips delivered by DATE (YYYY-MM-DD) and still in service [default: today].")
@click.option("--no-retire", is_flag=True, help="Keep chips in service forever (no sourced lifetime).")
@click.option("--precision", default="bf16", show_default=True,
              type=click.Choice(list(PRECISION_NAMES)),
              help="Precision of the effective figure.")
@click.option("--h100e-basis", "h100e_basis", type=click.Choice(["bf16", "fp8", "tpp"]), default="bf16",
              show_default=True, help="H100-equivalents: dense BF16, dense 8-bit, or TPP relative to H100 SXM.")
@sampling_options
@set_option
@click.option("--reference-model", default="llama-3.1-405b", show_default=True,
              help="Add days to train this preset on each company's best cluster, from up to 2,000 samples "
                   "('none' to skip).")
@click.option("--explain", is_flag=True, help="Print every formula, input and source behind the figures.")
@click.option("--no-breakdown", is_flag=True, help="Only per-company totals (no status/chip rows).")
@click.option("--by", "by", type=click.Choice(["company", "country", "owner-type", "control-class"]),
              default="company", show_default=True,
              help="Rows per company, per country or owner type of the companies, or per export-control class "
                   "of the chips (under --rule; chips of Chinese vendors as 'domestic').")
@click.option("--rule", default="bis-2023-3a090", show_default=True, help="Rule set for --by control-class.")
@click.option("--wide", is_flag=True, help="Every column (peak, HBM, bandwidth), one line per row, at any width.")
@click.option("--samples-out", default=None, metavar="FILE", callback=_file_path,
              help="Also write every Monte Carlo draw to FILE (.npz or .csv): one column per company and metric.")
@output_options
@plot_option
def estimate(scenario: str, companies: tuple[str, ...], include: tuple[str, ...], as_of: dt.date | None,
             no_retire: bool, precision: str, h100e_basis: str, reference_model: str, samples: int, seed: int,
             sets: tuple[str, ...], explain: bool, no_breakdown: bool, by: str, rule: str, wide: bool,
             samples_out: str | None, fmt: str, output: str | None, plot_path: str | None) -> None:
    """Per-company AI compute of a scenario, with p5/p50/p95.

    Peak and effective FLOP/s, H100-equivalents, HBM, power and capital cost for each
    company, by status and chip, from seeded vectorised Monte Carlo. Counts what is
    delivered by the date and still in service; chips still to come (approved, pending,
    ordered) are shown apart.

    \b
    Example:
      computecap estimate
      computecap estimate --include all --company ByteDance --explain
      computecap estimate --scenario us-frontier-2025 --format json -o us.json
      computecap estimate --include all --by control-class
    """
    from computecap import views
    from computecap.fleet import estimate as run
    if samples_out is not None and not samples_out.lower().endswith((".npz", ".csv")):
        raise click.BadParameter(f"expected a .npz or .csv file name, got {samples_out!r}", param_hint="--samples-out")
    _apply_sets(sets, scenario, "estimate")
    cat = _catalog()
    scen = cat.scenario(scenario)
    preset = None if reference_model.lower() == "none" or by != "company" else cat.preset(reference_model)
    grouping: dict[str, Any] = {"by": by}
    if by == "control-class":
        from computecap.controls import control_classes
        held = list(dict.fromkeys(h.chip for h in (*scen.holdings, *scen.allocations)))
        grouping = {"by": "chip-group", "chip_groups": control_classes(held, cat.rule_set(rule), cat.rule_set)}
    with _progress(samples) as bar:
        result = run(scen, companies=companies, include=include, as_of=as_of, retire=not no_retire,
                     precision=precision, samples=samples, seed=seed, h100e_basis=h100e_basis,
                     progress=bar.update if bar is not None else None, catalog=cat,
                     keep_samples=samples_out is not None, **grouping)
    result = _annotate(result)
    if preset is not None:
        from computecap.training import reference_times
        days = reference_times(scen, [c.name for c in result.companies], preset, include=include,
                               as_of=result.as_of, precision=precision, samples=min(samples, SIDE_SAMPLES), seed=seed,
                               catalog=cat)
        result = result.with_time_to_train(preset.id, days)
    pipeline = run(scen, companies=companies, include="all", as_of=result.as_of,
                   undelivered=True, precision=precision, samples=min(samples, SIDE_SAMPLES), seed=seed,
                   h100e_basis=h100e_basis, catalog=cat, **grouping)
    text = views.estimate_table(result, fmt, breakdown=not no_breakdown, pipeline=pipeline, wide=wide)
    if explain and fmt in ("table", "markdown"):
        text += views.explain(result.assumptions)
    emit(text, output)
    if samples_out is not None:
        from computecap.frames import write_draws
        write_draws(result, samples_out)
    if plot_path:
        from computecap import plots
        plots.plot_estimate(result, plot_path)


@cli.command()
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, help="Scenario name or TOML file.")
@click.option("--company", "companies", multiple=True, help="Company to report (repeatable; default all).")
@click.option("--include", multiple=True, callback=_parse_include, metavar="STATUS[,STATUS]",
              help="Statuses to count: installed, approved, pending, ordered, grey, or all "
                   "[default: installed,approved].")
@click.option("--from", "start", default="2022Q1", show_default=True, metavar="QUARTER",
              help="First quarter (e.g. 2022Q1; a year or a date also works).")
@click.option("--to", "end", default="2027Q4", show_default=True, metavar="QUARTER", help="Last quarter.")
@click.option("--by", type=click.Choice(["company", "status"]), default="company", show_default=True,
              help="One series per company (plus the total), or per company and status.")
@click.option("--retire/--no-retire", default=True, show_default=True,
              help="Retire chips after the sourced lifetime (chip_lifetime in specs/defaults.toml).")
@click.option("--metric", type=click.Choice(["h100e", "chips", "peak", "power"]), default="h100e",
              show_default=True, help="What --plot draws.")
@sampling_options
@set_option
@click.option("--explain", is_flag=True, help="Print every delivery, lifetime, formula and source.")
@output_options
@plot_option
def timeline(scenario: str, companies: tuple[str, ...], include: tuple[str, ...], start: str, end: str, by: str,
             retire: bool, metric: str, samples: int, seed: int, sets: tuple[str, ...], explain: bool, fmt: str,
             output: str | None, plot_path: str | None) -> None:
    """Quarterly stock in service per company: chips, H100e, peak FLOP/s and power, with p5/p50/p95.

    In service = delivered (dated deliveries of the scenario) minus retired (after a
    sourced lifetime), at the end of every quarter.

    \b
    Example:
      computecap timeline --scenario us-frontier-2025 --plot us.png
      computecap timeline --include all --by status --from 2024Q1 --to 2027Q4
    """
    from computecap.timeline import timeline as run
    from computecap.views import explain as explain_text
    from computecap.views import timeline_table
    _apply_sets(sets, scenario, "timeline")
    result = _annotate(run(_catalog().scenario(scenario), start=start, end=end, companies=companies, include=include,
                           by=by, retire=retire, samples=samples, seed=seed, catalog=_catalog()))
    text = timeline_table(result, fmt)
    if explain and fmt in ("table", "markdown"):
        text += explain_text(result.assumptions)
    emit(text, output)
    if plot_path:
        from computecap import plots
        plots.plot_timeline(result, plot_path, metric)


# ---------------------------------------------------------------------------- models, train, serve
@cli.group()
def models() -> None:
    """Model presets: parameters, tokens and shape of published models, with sources.

    \b
    Example:
      computecap models show llama-3.1-405b
    """


@models.command("list")
@output_options
def models_list(fmt: str, output: str | None) -> None:
    """List model presets.

    \b
    Example:
      computecap models list --format csv
    """
    from computecap import views
    emit(views.models_list(_catalog().presets(), fmt), output)


@models.command("show")
@click.argument("model")
@output_options
def models_show(model: str, fmt: str, output: str | None) -> None:
    """One model preset with every field's source.

    \b
    Example:
      computecap models show deepseek-v3 --format json
    """
    from computecap import views
    emit(views.model_show(_catalog().preset(model), fmt), output)


def _workload(model: str | None, params: str | None, active_params: str | None, tokens: str | None) -> Any:
    from computecap.training import Workload, parse_count
    if model and (params or tokens or active_params):
        raise click.UsageError("give either --model or --params/--tokens, not both")
    if model:
        return Workload.from_preset(_catalog().preset(model))
    if not (params and tokens):
        raise click.UsageError("give --model PRESET, or --params N and --tokens N")
    return Workload.from_numbers(parse_count(params, "--params"), parse_count(tokens, "--tokens"),
                                 parse_count(active_params, "--active-params") if active_params else None)


def _cluster(chip: str | None, count: str | None, scenario: str | None, company: str | None,
             cluster_size: str | None, include: tuple[str, ...], precision: str) -> Any:
    from computecap.core import company_cluster, fixed_cluster, whole_count
    from computecap.training import parse_count
    cat = _catalog()
    if scenario or company:
        if count:
            raise click.UsageError("--count goes with --chip; with --scenario use --cluster-size")
        if not (scenario and company):
            raise click.UsageError("--scenario and --company go together")
        size = whole_count(parse_count(cluster_size, "--cluster-size"), "--cluster-size") if cluster_size else None
        return company_cluster(cat.scenario(scenario), company, cat, cat.chip(chip) if chip else None, size,
                               include, precision)
    if not chip:
        raise click.UsageError("give --chip ID --count N, or --scenario S --company C")
    return fixed_cluster(cat.chip(chip), whole_count(parse_count(count or "1", "--count"), "--count"))


def cluster_options(f: F) -> F:
    """Where a run happens: ``--chip/--count`` or ``--scenario/--company/--cluster-size``."""
    for opt in reversed([
        click.option("--chip", default=None, help="Chip id or alias (with --count; or a chip type within --company)."),
        click.option("--count", default=None, help="Number of chips, e.g. 16384 or 16k."),
        click.option("--scenario", default=None, help="Scenario name or TOML file (fleet mode)."),
        click.option("--company", default=None, help="Company in the scenario (fleet mode)."),
        click.option("--cluster-size", default=None,
                     help="Largest coherent cluster in chips (fleet mode; default: sourced 16k-100k range)."),
        click.option("--include", multiple=True, callback=_parse_include, metavar="STATUS[,STATUS]",
                     help="Statuses of the company's chips to use [default: installed,approved]."),
    ]):
        f = opt(f)
    return f


PRECISION = click.Choice(list(PRECISION_NAMES))


@cli.command()
@click.option("--model", default=None, help="Model preset (see `computecap models list`).")
@click.option("--params", default=None, help="Total parameters, e.g. 405B or 405e9.")
@click.option("--active-params", default=None, help="Active parameters per token (mixture of experts).")
@click.option("--tokens", default=None, help="Training tokens, e.g. 15.6T.")
@cluster_options
@click.option("--precision", type=PRECISION, default="bf16", show_default=True, help="Training precision.")
@click.option("--hours", type=click.Choice(["billed", "steps"]), default="billed", show_default=True,
              help="What chip-hours count: billed wall-clock (failures and restarts included) or step time only.")
@click.option("--mfu", default=None,
              help="Your step-time MFU of the dense BF16 peak: X, X% or LOW..HIGH (90% interval); replaces the "
                   "fitted utilisation [default: fitted on published runs].")
@click.option("--goodput", default=None,
              help="Productive share of billed time: X or LOW..HIGH (with --hours billed) [default: fitted].")
@click.option("--attention", is_flag=True, help="Add the attention term 12 x layers x d_model x seq_len x D.")
@click.option("--recompute", is_flag=True, help="Full activation recompute: count hardware FLOP (8ND).")
@click.option("--chip-hour-price", default=None, metavar="PRICE",
              help="Cost at a rental rate, e.g. '2.5 USD/h' [default: amortised capital cost].")
@sampling_options
@set_option
@click.option("--explain", is_flag=True, help="Print every formula, input and source.")
@output_options
def train(model: str | None, params: str | None, active_params: str | None, tokens: str | None, chip: str | None,
          count: str | None, scenario: str | None, company: str | None, cluster_size: str | None,
          include: tuple[str, ...], precision: str, hours: str, mfu: str | None, goodput: str | None,
          attention: bool, recompute: bool, chip_hour_price: str | None, samples: int, seed: int,
          sets: tuple[str, ...], explain: bool, fmt: str, output: str | None) -> None:
    """How long, how many chip-hours, how much energy and money to train a model.

    Utilisation comes from a model fitted on 69 published runs (leave-one-family-out
    intervals); --explain shows each fitted term, its value for this run and the data.

    \b
    Example:
      computecap train --chip H100 --count 16384 --params 405B --tokens 15.6T
      computecap train --scenario china-h200-2026 --company ByteDance --model llama-3.1-405b
    """
    from computecap import views
    from computecap.core import whole_count
    from computecap.training import parse_count, parse_fraction, training_run
    from computecap.units import parse_quantity
    if count:
        whole_count(parse_count(count, "--count"), "--count")
    _apply_sets(sets, scenario, "train")
    w = _workload(model, params, active_params, tokens)
    cl = _cluster(chip, count, scenario, company, cluster_size, include, precision)
    result = training_run(w, cl, precision=precision, hours=hours, mfu=parse_fraction(mfu, "--mfu") if mfu else None,
                          goodput=parse_fraction(goodput, "--goodput") if goodput else None, attention=attention,
                          recompute=recompute, samples=samples, seed=seed,
                          chip_hour_price=parse_quantity(chip_hour_price, "USD/h", "--chip-hour-price")
                          if chip_hour_price else None, catalog=_catalog())
    result = _annotate(result)
    text = views.train_table(result, fmt)
    if explain and fmt in ("table", "markdown"):
        text += views.explain(result.assumptions)
    emit(text, output)


@cli.command()
@click.option("--model", required=True, help="Model preset (see `computecap models list`).")
@click.option("--chip", "chips", multiple=True, help="Chip id or alias; repeat to compare chips.")
@click.option("--count", default=None, help="Chips of each --chip type [default: one replica].")
@click.option("--scenario", default=None, help="Scenario name or TOML file (fleet mode: every chip type held).")
@click.option("--company", default=None, help="Company in the scenario (fleet mode).")
@click.option("--include", multiple=True, callback=_parse_include, metavar="STATUS[,STATUS]",
              help="Statuses of the company's chips [default: installed,approved].")
@click.option("--input-tokens", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Prompt tokens per request.")
@click.option("--output-tokens", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Generated tokens per request.")
@click.option("--concurrency", default="auto", show_default=True,
              help="Sequences in flight per replica, or auto (what the KV cache holds).")
@click.option("--tp", type=click.IntRange(min=1), default=None, help="Tensor-parallel degree [default: best].")
@click.option("--ep", type=click.IntRange(min=1), default=None, help="Expert-parallel degree (MoE) [default: best].")
@click.option("--precision", type=PRECISION, default="fp8", show_default=True, help="Weight precision.")
@click.option("--kv-precision", type=PRECISION, default=None,
              help="KV-cache precision [default: the weights', FP8 for fp4 weights].")
@click.option("--speculative", type=click.IntRange(min=0), default=0, show_default=True,
              help="Drafted tokens per decode step (speculative decoding / MTP).")
@click.option("--chip-hour-price", default=None, metavar="PRICE",
              help="Cost at a rental rate, e.g. '2.5 USD/h' [default: amortised capital cost].")
@sampling_options
@set_option
@click.option("--explain", is_flag=True, help="Print every term, input and source.")
@output_options
def serve(model: str, chips: tuple[str, ...], count: str | None, scenario: str | None, company: str | None,
          include: tuple[str, ...], input_tokens: int, output_tokens: int, concurrency: str, tp: int | None,
          ep: int | None, precision: str, kv_precision: str | None, speculative: int, chip_hour_price: str | None,
          samples: int, seed: int, sets: tuple[str, ...], explain: bool, fmt: str, output: str | None) -> None:
    """Output tokens per second, latency, cost and energy of serving a model, with p5/p50/p95.

    \b
    Example:
      computecap serve --model llama-3.1-70b --chip H20 --chip H200 --input-tokens 2048 --output-tokens 256
      computecap serve --model deepseek-v3 --scenario china-h200-2026 --company Tencent
    """
    from computecap import views
    from computecap.core import fixed_cluster
    from computecap.inference import replica_cluster, serve_fleet
    from computecap.inference import serve as run
    from computecap.training import parse_count
    from computecap.units import parse_quantity
    _apply_sets(sets, scenario, "serve")
    cat = _catalog()
    preset = cat.preset(model)
    if concurrency.strip().lower() == "auto":
        conc = None
    elif concurrency.strip().isdigit() and int(concurrency) >= 1:
        conc = int(concurrency)
    else:
        raise click.BadParameter(f"expected a whole number >= 1 or auto, got {concurrency!r}",
                                 param_hint="--concurrency")
    opts: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens, "concurrency": conc,
                            "tp": tp, "ep": ep, "precision": precision, "kv_precision": kv_precision,
                            "speculative": speculative,
                            "chip_hour_price": parse_quantity(chip_hour_price, "USD/h", "--chip-hour-price")
                            if chip_hour_price else None}
    if scenario or company:
        if not (scenario and company):
            raise click.UsageError("--scenario and --company go together")
        if chips or count:
            raise click.UsageError("fleet mode serves on every chip type the company holds: drop --chip/--count")
        fleet = _annotate(serve_fleet(preset, cat.scenario(scenario), company, include=include, samples=samples,
                                      seed=seed, catalog=cat, **opts))
        emit(views.serve_table(fleet, fmt) + ("".join(views.explain(r.assumptions) for r in fleet.per_chip)
                                          if explain and fmt in ("table", "markdown") else ""), output)
        return
    if not chips:
        raise click.UsageError("give --chip ID [--chip ID ...], or --scenario S --company C")
    results = []
    for c in chips:
        chip = cat.chip(c)
        cluster = fixed_cluster(chip, int(parse_count(count, "--count"))) if count else \
            replica_cluster(preset, chip, **opts)
        results.append(_annotate(run(preset, cluster, samples=samples, seed=seed, catalog=cat, **opts)))
    text = views.serve_table(results, fmt)
    if explain and fmt in ("table", "markdown"):
        text += "".join(views.explain(r.assumptions) for r in results)
    emit(text, output)


# ---------------------------------------------------------------------------- controls
@cli.command()
@click.argument("chip_names", metavar="[CHIP]...", nargs=-1)
@click.option("--rule", "rules", multiple=True, help="Rule set id (repeatable; default all).")
@output_options
@plot_option
def controls(chip_names: tuple[str, ...], rules: tuple[str, ...], fmt: str, output: str | None,
             plot_path: str | None) -> None:
    """Export-control class of each chip under each rule set, with the margin to every threshold.

    \b
    Example:
      computecap controls H20 H200 B200 910B
      computecap controls H20 --rule bis-2023-3a090 --format json
    """
    from computecap import views
    from computecap.controls import classify_all
    cat = _catalog()
    chip_objs = [cat.chip(n) for n in chip_names] or cat.chips()
    all_rules = cat.rule_sets()
    wanted = [cat.rule_set(r).id for r in rules] or [r.id for r in all_rules]
    results = [[c for c in classify_all(ch, all_rules) if c.rule_set.id in wanted] for ch in chip_objs]
    emit(views.controls_table(results, fmt), output)
    if plot_path:
        from computecap import plots
        plots.plot_controls(chip_objs, [r for r in all_rules if r.id in wanted], plot_path)


# ---------------------------------------------------------------------------- report
def _html_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = _file_path(ctx, param, value) or value
    if not value.lower().endswith((".html", ".htm")):
        raise click.BadParameter(f"expected an .html file name, got {value!r}")
    import importlib.util
    if importlib.util.find_spec("matplotlib") is None:
        raise click.BadParameter("the report's charts need matplotlib: pip install 'computecap[plot]'")
    return value


@cli.command()
@click.option("--scenario", "scenarios", multiple=True, metavar="S",
              help="Scenario name or TOML file (repeatable) [default: china-h200-2026 and us-frontier-2025].")
@click.option("--html", "html_path", required=True, metavar="FILE.html", callback=_html_path,
              help="Write the report to FILE.html (atomically).")
@click.option("--as-of", "as_of", callback=_parse_date, default=None, metavar="DATE",
              help="Count chips delivered by DATE (YYYY-MM-DD) and still in service [default: today].")
@sampling_options
def report(scenarios: tuple[str, ...], html_path: str, as_of: dt.date | None, samples: int, seed: int) -> None:
    """A self-contained HTML page to share: estimates, timeline, chip tiers, claims checked, sources.

    One file with inline styles and embedded charts (no network needed to open it): the
    per-company estimate and pipeline of each scenario, the quarterly timeline 2022-2027,
    the H20/H200/B200/910B comparison, the seed article's claims checked, and every source
    as a link.

    \b
    Example:
      computecap report --html report.html
      computecap report --scenario us-frontier-2025 --samples 2000 --html us.html
    """
    from computecap.html_report import DEFAULT_SCENARIOS, write_report
    write_report(html_path, scenarios or DEFAULT_SCENARIOS, samples=samples, seed=seed, as_of=as_of,
                 catalog=_catalog())
    click.echo(f"Wrote {html_path}", err=True)


# ---------------------------------------------------------------------------- compare, sensitivity
ESTIMATE_METRICS = ["h100e", "chips", "effective", "memory", "memory_bandwidth", "power", "energy_per_year", "capex",
                    *PRECISION_NAMES]


def fleet_options(f: F) -> F:
    """What an estimate counts: ``--include``, ``--as-of``, ``--no-retire``, ``--precision``, ``--h100e-basis``."""
    for opt in reversed([
        click.option("--include", multiple=True, callback=_parse_include, metavar="STATUS[,STATUS]",
                     help="Statuses to count [default: installed,approved]."),
        click.option("--as-of", "as_of", callback=_parse_date, default=None, metavar="DATE",
                     help="Count chips delivered by DATE and still in service [default: today]."),
        click.option("--no-retire", is_flag=True, help="Keep chips in service forever."),
        click.option("--precision", default="bf16", show_default=True, type=click.Choice(list(PRECISION_NAMES)),
                     help="Precision of the effective figure."),
        click.option("--h100e-basis", "h100e_basis", type=click.Choice(["bf16", "fp8", "tpp"]), default="bf16",
                     show_default=True, help="Basis of H100-equivalents."),
    ]):
        f = opt(f)
    return f


@cli.command()
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, help="Scenario of side A (name or TOML file).")
@click.option("--scenario-b", "--against-scenario", "scenario_b", default=None,
              help="Scenario of side B [default: the same as A].")
@click.option("--company", "companies", multiple=True,
              help="Company to report (repeatable); with --against, the company compared.")
@click.option("--against", default=None, help="Compare --company against this company of the same scenario.")
@click.option("--metric", type=click.Choice(ESTIMATE_METRICS), default="h100e", show_default=True,
              help="Figure compared (a precision: its dense peak).")
@fleet_options
@sampling_options
@set_option
@click.option("--set-a", "sets_a", multiple=True, metavar="KEY=VALUE", help="What-if on side A only (repeatable).")
@click.option("--set-b", "sets_b", multiple=True, metavar="KEY=VALUE", help="What-if on side B only (repeatable).")
@click.option("--explain", is_flag=True, help="Print each side's scenario and overrides.")
@output_options
@plot_option
def compare(scenario: str, scenario_b: str | None, companies: tuple[str, ...], against: str | None, metric: str,
            include: tuple[str, ...], as_of: dt.date | None, no_retire: bool, precision: str, h100e_basis: str,
            samples: int, seed: int, sets: tuple[str, ...], sets_a: tuple[str, ...], sets_b: tuple[str, ...],
            explain: bool, fmt: str, output: str | None, plot_path: str | None) -> None:
    """Two scenarios, a scenario and a what-if, or two companies, from paired draws.

    Per company and in total: A, B, the difference A - B and the ratio A / B with
    p5/p50/p95, and P(A > B). Both sides use the same seed, so inputs they share cancel
    (common random numbers). --set applies to both sides, --set-a / --set-b to one.

    \b
    Example:
      computecap compare --company Alibaba --against Tencent
      computecap compare --company ByteDance --set-a ByteDance.h200-sxm.installed=600000
      computecap compare --scenario china-h200-2026 --as-of 2026-01-01 --set-b utilisation=0.3..0.5 --metric effective
    """
    from computecap import overrides
    from computecap.paired import compare as run
    from computecap.paired import render
    from computecap.views import explain as explain_text
    shared = overrides.parse_sets(sets)
    side_a = {**shared, **overrides.parse_sets(sets_a, "--set-a")}
    side_b = {**shared, **overrides.parse_sets(sets_b, "--set-b")}
    two = against is not None
    if two and len(companies) != 1:
        raise click.UsageError("--against compares one --company with another")
    if two and (scenario_b or sets_b):
        raise click.UsageError("--against compares two companies of one scenario: drop --scenario-b and --set-b")
    result = run(scenario, scenario_b, overrides_a=side_a, overrides_b=None if two else side_b,
                 companies=() if two else companies, company=companies[0] if two else None, against=against,
                 metric=metric, include=include, as_of=as_of, retire=not no_retire, precision=precision,
                 h100e_basis=h100e_basis, samples=samples, seed=seed, catalog=_catalog())
    text = render(result, fmt)
    if explain and fmt in ("table", "markdown"):
        text += explain_text(result.assumptions)
    emit(text, output)
    if plot_path:
        from computecap.plots import plot_compare
        plot_compare(result, plot_path)


@cli.command()
@click.option("--scenario", default=DEFAULT_SCENARIO, show_default=True, help="Scenario name or TOML file.")
@click.option("--company", required=True, help="Company whose figure is explained.")
@click.option("--metric", type=click.Choice(["h100e", "chips", "effective", "memory", "memory_bandwidth", "power",
                                             "energy_per_year", "capex", "days"]), default="h100e", show_default=True,
              help="Figure explained (days: days to train --model on the company's best cluster).")
@click.option("--model", default="llama-3.1-405b", show_default=True, help="Model preset for --metric days.")
@fleet_options
@click.option("--samples", type=int, default=4000, show_default=True, callback=_samples,
              help="Monte Carlo samples per run (2 + 3 x inputs runs).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=0, show_default=True,
              help="Random seed: the same seed gives the same output.")
@set_option
@click.option("--top", type=click.IntRange(min=1), default=None, help="Show only the N largest inputs (table).")
@click.option("--explain", is_flag=True, help="Print the method and every override.")
@output_options
@plot_option
def sensitivity(scenario: str, company: str, metric: str, model: str, include: tuple[str, ...], as_of: dt.date | None,
                no_retire: bool, precision: str, h100e_basis: str, samples: int, seed: int, sets: tuple[str, ...],
                top: int | None, explain: bool, fmt: str, output: str | None, plot_path: str | None) -> None:
    """Which uncertain input drives a company's figure: swing and share of variance, ranked.

    Each input (holding counts, allocation totals and shares, delivery delays, chip values,
    defaults) goes from its p5 to its p95 with the others at their medians (the swing), and
    varies alone (its share of the variance). The --set key of each input pins it in a what-if.

    \b
    Example:
      computecap sensitivity --company ByteDance
      computecap sensitivity --company Tencent --metric power --include all --as-of 2027-12-31 --plot t.png
      computecap sensitivity --company Microsoft --scenario us-frontier-2025 --metric days
    """
    from computecap import overrides
    from computecap.sensitivity import render, training_sensitivity
    from computecap.sensitivity import sensitivity as run
    from computecap.views import explain as explain_text
    sets_ = overrides.parse_sets(sets)
    if metric == "days":
        result = training_sensitivity(scenario, company, model, overrides=sets_, include=include, as_of=as_of,
                                      precision=precision, samples=samples, seed=seed, catalog=_catalog())
    else:
        result = run(scenario, company, metric=metric, overrides=sets_, include=include, as_of=as_of,
                     retire=not no_retire, precision=precision, h100e_basis=h100e_basis, samples=samples, seed=seed,
                     catalog=_catalog())
    text = render(result, fmt, top)
    if explain and fmt in ("table", "markdown"):
        text += explain_text(result.assumptions)
    emit(text, output)
    if plot_path:
        from computecap.plots import plot_tornado
        plot_tornado(result, plot_path, top or 15)


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``computecap`` console script (``args`` default: the command line)."""
    try:
        code = cli.main(args=args, prog_name="computecap", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a command group with no command: its help, not an error
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        sys.exit(0)
    except click.ClickException as exc:  # one line: "Error: <what was wrong and what was expected>"
        click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
