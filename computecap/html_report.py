"""A shareable report: one self-contained HTML file (inline CSS, charts as base64 PNG, no
scripts, fonts or network) with the per-company estimates, the quarterly timeline, the
chip-tier comparison, the seed article's claims checked, and every source as a link.

Every string read from a spec file is escaped (``html.escape``); links are written only for
http(s) URLs. ``write_report`` writes the file atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from computecap import __version__
from computecap.catalog import Catalog, Chip, Source, default_catalog
from computecap.comparison import METRICS, compare, used_metrics
from computecap.core import DEFAULT_INCLUDE, DEFAULT_SAMPLES, check_sampling
from computecap.errors import InputError, OutputError
from computecap.fleet import FAR_FUTURE, EstimateResult
from computecap.fleet import estimate as run_estimate
from computecap.report import fmt_number, fmt_uncertain, write_atomic
from computecap.roofline import attainable, typical_intensities
from computecap.timeline import TimelineResult
from computecap.timeline import timeline as run_timeline
from computecap.uncertainty import Uncertain
from computecap.views import pipeline_rows, unit_label

#: Scenarios a report covers unless told otherwise.
DEFAULT_SCENARIOS = ("china-h200-2026", "us-frontier-2025")
#: The tiers the seed article compares (H20, H200, B200) and the domestic alternative it names (Ascend 910B).
TIER_CHIPS = ("H20", "H200", "B200", "910B")
#: First and last quarter of the timeline.
TIMELINE_SPAN = ("2022Q1", "2027Q4")
#: The article whose claims are checked: figures below are quoted from it.
SEED_ARTICLE = Source(
    key="seed-article", title="China Approves 400,000 Nvidia H200 Chips for ByteDance, Alibaba, Tencent After Weeks "
    "of Uncertainty", url="https://ultrathink.ai/news/china-approves-nvidia-h200-chip-imports-tech-giants",
    accessed="2026-11-28", note="The claims checked: 'roughly six times the performance of the H20'; '400,000 H200 "
    "chips would be worth roughly $12 billion' at list prices; 'second only to Nvidia's B200'; 400,000 approved of "
    "'more than two million' ordered.")
#: Figures quoted in the seed article (SEED_ARTICLE).
CLAIMED_RATIO, CLAIMED_CHIPS, CLAIMED_VALUE, CLAIMED_ORDERS = 6.0, 400_000, 12e9, 2_000_000
CLAIM_SCENARIO = "china-h200-2026"


def write_report(path: str | Path, scenarios: Sequence[str] = DEFAULT_SCENARIOS, *, samples: int = DEFAULT_SAMPLES,
                 seed: int = 0, as_of: dt.date | None = None, catalog: Catalog | None = None) -> None:
    """Write the HTML report to ``path`` atomically (see ``build_report`` for the parameters)."""
    target = Path(path)
    if not target.parent.is_dir():  # before the work, not after it
        raise OutputError(f"{target}: --html: directory {target.parent} does not exist")
    text = build_report(scenarios, samples=samples, seed=seed, as_of=as_of, catalog=catalog)
    write_atomic(target, text.encode("utf-8"))


def build_report(scenarios: Sequence[str] = DEFAULT_SCENARIOS, *, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                 as_of: dt.date | None = None, catalog: Catalog | None = None) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    scenarios : bundled scenario names or TOML paths, one section each
    samples, seed : Monte Carlo sample count and seed of every figure (same seed, same report)
    as_of : the date of "in service today" [datetime.date]; default today
    catalog : the spec catalog (default: the bundled one plus $COMPUTECAP_SPECS)
    """
    if isinstance(scenarios, str) or not scenarios:
        raise InputError("scenarios: expected one or more scenario names, e.g. ['china-h200-2026']")
    check_sampling(samples, seed)
    if as_of is not None and not isinstance(as_of, dt.date):
        raise InputError(f"as_of: expected a date, got {as_of!r}")
    cat = catalog or default_catalog()
    when = as_of or dt.date.today()
    refs = _Refs()
    body = [_header(when, samples, seed)]
    sections = [_scenario_section(cat, name, when, samples, seed, refs) for name in dict.fromkeys(scenarios)]
    tiers = _tiers_section(cat, refs)
    claims, findings = _claims_section(cat, when, samples, seed, refs)
    toc = [(cat.scenario(n).name, cat.scenario(n).title) for n in dict.fromkeys(scenarios)]
    toc += [("tiers", "Chip tiers"), ("claims", "The seed article's claims, checked"), ("method", "How to reproduce"),
            ("sources", "Sources")]
    contents = "<nav><strong>Contents:</strong> " + " · ".join(f'<a href="#{_e(i)}">{_e(t)}</a>' for i, t in toc)
    body += [_findings(findings), contents + "</nav>", *sections, tiers, claims,
             _method(scenarios, samples, seed, when), refs.render()]
    return _page("computecap report: AI compute by company, chip tiers and the H200 story", "\n".join(body))


# ---------------------------------------------------------------------------- HTML pieces
def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


#: Document references that name a public address: a file of a GitHub repository at a commit, an arXiv paper.
_GITHUB = re.compile(r"^GitHub ([\w.-]+/[\w.-]+):([^@\s][^@]*)@([0-9a-f]{7,40})$")
_ARXIV = re.compile(r"^arXiv:(\d{4}\.\d{4,5})\b")


def _href(source: Source) -> str | None:
    """Where a reader can open the source: its http(s) URL, or the address its document reference names."""
    if source.url.lower().startswith(("https://", "http://")):
        return source.url
    if m := _GITHUB.match(source.document):
        return f"https://github.com/{m[1]}/blob/{m[3]}/{urllib.parse.quote(m[2])}"
    if m := _ARXIV.match(source.document):
        return f"https://arxiv.org/abs/{m[1]}"
    return None


def _link(source: Source) -> str:
    """The source's title, linked when it has an address (``_href``), then where and when it was read."""
    title = _e(source.title)
    if (href := _href(source)) is not None:
        title = f'<a href="{_e(href)}">{title}</a>'
    where = "" if source.url else f" {_e(source.document)}."
    read = f" (read {_e(source.accessed)})" if source.accessed else ""
    return f"{title}.{where}{read}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "",
           raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (cells built here from escaped parts). Columns whose
    cells are numbers align right, headers included."""
    body = [list(r) for r in rows]
    num = [bool(i) and bool(body) and all(_is_number(r[i]) for r in body if r[i]) for i in range(len(headers))]
    def cell(tag: str, text: str, i: int) -> str:
        cls = ' class="num"' if num[i] else ""
        return f"<{tag}{cls}>{text if raw else _e(text)}</{tag}>"
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{_e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(cell("th", _e(h) if raw else h, i) for i, h in enumerate(headers))
               + "</tr></thead><tbody>")
    for r in body:
        cls = ' class="total"' if r and r[0] == "total" else ""
        out.append(f"<tr{cls}>" + "".join(cell("td", c, i) for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


_NUMBER = re.compile(r"^(n/p|[$~]?[-+]?\d)")


def _figure(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _compact(u: Uncertain | None, factor: float = 1.0) -> str:
    """``1.23M`` over a small ``(1.1M-1.4M)`` line: p50 and its p5-p95 interval, escaped."""
    if u is None:
        return "n/p"
    def short(x: float) -> str:
        x *= factor
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if abs(x) >= scale * 10 or (suffix == "M" and abs(x) >= scale):
                return f"{x / scale:.3g}{suffix}"
        return fmt_number(x, 3)
    if u.p5 == u.p95:
        return short(u.p50)
    return f"{short(u.p50)}<br><small>({short(u.p5)}-{short(u.p95)})</small>"


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="computecap {_e(__version__)}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


_CSS = """
:root { --ink: #1d2430; --muted: #5b6577; --line: #d9dee7; --band: #f5f7fa; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 16px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; }
h2 { font-size: 23px; margin: 44px 0 10px; padding-top: 14px; border-top: 3px solid var(--ink); }
h3 { font-size: 18px; margin: 28px 0 8px; }
p, li { max-width: 78ch; }
a { color: var(--accent); }
.meta { color: var(--muted); font-size: 14px; margin: 0 0 18px; }
nav { font-size: 14px; margin: 18px 0 0; }
.findings { background: var(--band); border-left: 4px solid var(--accent); padding: 12px 20px; }
.findings li { margin: 6px 0; }
.findings h3 { margin-top: 6px; }
.verdict { font-weight: 600; padding: 1px 8px; border-radius: 10px; font-size: 13px; white-space: nowrap; }
.holds { background: #dcefdc; color: #1d5e20; }
.partly { background: #fbecc8; color: #7a5200; }
.fails { background: #f7d6d4; color: #8a1c14; }
blockquote { margin: 8px 0; padding: 4px 14px; border-left: 3px solid var(--line); color: var(--muted);
  font-style: italic; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13.5px; display: block; overflow-x: auto;
  max-width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 13px; color: var(--muted); padding-bottom: 4px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
small { color: var(--muted); font-size: 12px; }
figure { margin: 12px 0 24px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 13px; color: var(--muted); }
details { margin: 8px 0 18px; }
summary { cursor: pointer; color: var(--accent); }
.note { font-size: 14px; color: var(--muted); }
ol.sources { font-size: 13px; padding-left: 28px; }
ol.sources li { margin: 3px 0; word-break: break-word; }
@media print { h2 { break-before: page; } figure, table { break-inside: avoid; } }
"""


class _Refs:
    """Sources cited by the report, numbered once each and grouped by the section that uses them."""

    def __init__(self) -> None:
        self.groups: dict[str, list[Source]] = {}
        self.seen: set[tuple[str, str]] = set()

    def add(self, group: str, sources: Iterable[Source]) -> None:
        for s in sources:
            key = (s.title, s.where)
            if key not in self.seen:
                self.seen.add(key)
                self.groups.setdefault(group, []).append(s)

    def render(self) -> str:
        out = ['<h2 id="sources">Sources</h2>',
               ("<p class=\"note\">Every input above, as cited in the spec files bundled with computecap "
               "(<code>computecap chips show ID</code>, <code>computecap scenarios show NAME</code>).</p>")]
        n = 1
        for group, sources in self.groups.items():
            out.append(f"<h3>{_e(group)}</h3><ol class=\"sources\" start=\"{n}\">")
            out += [f"<li>{_link(s)}</li>" for s in sources]
            out.append("</ol>")
            n += len(sources)
        return "\n".join(out)


# ---------------------------------------------------------------------------- sections
def _header(when: dt.date, samples: int, seed: int) -> str:
    return ("<h1>AI compute: who has what, and what the H200 story gets right</h1>"
            f'<p class="meta">Generated {_e(dt.date.today().isoformat())} with computecap {_e(__version__)}; '
            f"chips in service counted on {_e(when.isoformat())}; Monte Carlo: {samples:,} samples, seed {seed}. "
            "Figures are p50 with the p5-p95 interval; peaks are dense (no 2:4 sparsity). "
            '<a href="#sources">Sources</a> are listed at the end.</p>')


def _findings(findings: list[tuple[str, str, str]]) -> str:
    items = "".join(f"<li><span class=\"verdict {cls}\">{_e(word)}</span> {text}</li>"
                    for cls, word, text in findings)
    return f'<section class="findings"><h3>The seed article, checked</h3><ul>{items}</ul></section>'


def _charts() -> Any:
    from computecap import plots
    return plots


def _scenario_section(cat: Catalog, name: str, when: dt.date, samples: int, seed: int, refs: _Refs) -> str:
    plots = _charts()
    scen = cat.scenario(name)
    result = run_estimate(scen, as_of=when, samples=samples, seed=seed, catalog=cat)
    pipeline = run_estimate(scen, companies=[c.name for c in result.companies], include="all", as_of=when,
                            undelivered=True, samples=samples, seed=seed, catalog=cat)
    tl = run_timeline(scen, start=TIMELINE_SPAN[0], end=TIMELINE_SPAN[1], include=DEFAULT_INCLUDE,
                      samples=samples, seed=seed, catalog=cat)
    group = f"Scenario {scen.name}"
    for a in (*result.assumptions, *pipeline.assumptions, *tl.assumptions):
        refs.add(group, a.sources)
    out = [f'<h2 id="{_e(scen.name)}">{_e(scen.title)}</h2>',
           (f"<details><summary>About scenario <code>{_e(scen.name)}</code> ({_e(Path(scen.path).name)})</summary>"
           f"<p class=\"note\">{_e(scen.description)}</p></details>"),
           f"<h3>In service on {when.isoformat()}</h3>", _estimate_table(result),
           _figure(plots.plot_estimate(result), f"H100-equivalents by company in {scen.name}",
                   "H100-equivalents in service by company (p50, split by status; whiskers p5-p95).")]
    rows = [[b.name, b.status, b.chip, fmt_uncertain(b.metrics["chips"]),
             fmt_uncertain(b.metrics["h100e"]) if b.metrics.get("h100e") else "n/p"] for b in pipeline_rows(pipeline)]
    out.append(f"<h3>Not yet delivered on {when.isoformat()} (the pipeline)</h3>")
    out.append(_table(["company", "status", "chip", "chips", "H100e (bf16)"], rows,
                      "Approved, pending, ordered and grey-market chips still to come; not counted above.")
               if rows else "<p>Nothing in this scenario is still to be delivered on this date.</p>")
    out += [f"<h3>Quarterly stock in service, {TIMELINE_SPAN[0]} to {TIMELINE_SPAN[1]}</h3>", _timeline(tl, when)]
    return "\n".join(out)


#: Estimate table columns: metric, header, scale from the metric's unit.
_ESTIMATE_COLUMNS = (("chips", "chips", 1.0), ("h100e", "H100e (bf16)", 1.0), ("peak", "peak BF16 [EFLOP/s]", 1e-18),
                     ("effective", "effective BF16 [EFLOP/s]", 1e-18), ("power", "power [MW]", 1.0),
                     ("capex", "capex [USD bn]", 1e-9))


def _estimate_table(result: EstimateResult) -> str:
    groups = [*result.companies, result.total] if len(result.companies) > 1 else list(result.companies)
    rows = []
    for g in groups:
        cells = [_e(g.name)]
        for key, _, factor in _ESTIMATE_COLUMNS:
            u = g.peak.get(result.precision) if key == "peak" else g.metrics.get(key)
            lower = key in g.excludes or (key == "peak" and f"peak_{result.precision}" in g.excludes)
            cells.append(("n/p" if u is None else _e(fmt_uncertain(u, factor))) + (" +" if lower else ""))
        rows.append(cells)
    gaps = sorted({c for g in groups for ids in g.excludes.values() for c in ids})
    note = ("<p class=\"note\">effective = peak x sampled utilisation; H100e = dense BF16 relative to the H100 SXM; "
            "power = TDP x server overhead x PUE. Statuses counted: " + _e(", ".join(result.include)) + ".")
    if gaps:
        note += " + marks a lower bound: it leaves out " + _e(", ".join(gaps)) + " (no published value)."
    caption = f"p50 [p5-p95] over {result.samples:,} samples, seed {result.seed}"
    return _table(["company", *(h for _, h, _ in _ESTIMATE_COLUMNS)], rows, caption, raw=True) + note + "</p>"


def _timeline(tl: TimelineResult, when: dt.date) -> str:
    plots = _charts()
    year_ends = [i for i, q in enumerate(tl.quarters) if q.endswith("Q4")]
    rows = [[_e(s.company)] + [_compact(s.metrics["h100e"][i]) for i in year_ends] for s in tl.series]
    full = [[q, s.company, fmt_uncertain(s.metrics["chips"][t]), fmt_uncertain(s.metrics["h100e"][t]),
             fmt_uncertain(s.metrics["power"][t])] for s in tl.series for t, q in enumerate(tl.quarters)]
    return "\n".join([
        _figure(plots.plot_timeline(tl, None, "h100e", as_of=when), f"Quarterly H100-equivalents in {tl.scenario}",
                f"H100-equivalents in service at each quarter end (statuses {', '.join(tl.include)}; retired after "
                f"the sourced lifetime); the dotted line marks {when.isoformat()}."),
        _table(["H100e (bf16) at year end", *(tl.quarters[i] for i in year_ends)], rows,
               "p50 over (p5-p95); dated deliveries minus retirements", raw=True),
        "<details><summary>Every quarter: chips, H100e and power</summary>",
        _table(["quarter", "company", "chips", "H100e (bf16)", "power [MW]"], full), "</details>"])


def _tiers_section(cat: Catalog, refs: _Refs) -> str:
    plots = _charts()
    chips = [cat.chip(n) for n in TIER_CHIPS]
    base = chips[0]
    rows = compare(chips, base)
    table = [[f"{METRICS[k][0]} [{unit_label(METRICS[k][1]) or '1'}]"]
             + [("n/p" if (q := r.metrics[k]) is None else fmt_number(float(q.magnitude)))
                + ("" if (x := r.ratios[k]) is None else f" ({x:.2g}x)") for r in rows] for k in used_metrics(rows)]
    for c in chips:
        refs.add("Chip specifications", c.sources.values())
    marks = {k: v.m_as("FLOP/byte") for k, (v, _) in typical_intensities().items()}
    return "\n".join([
        '<h2 id="tiers">Chip tiers: H20, H200, B200 and Ascend 910B</h2>',
        (f"<p>Each chip's published figures, with the ratio to the {_e(base.name)} in brackets. Peaks are dense; "
        "n/p = not published. Compute-bound work (training, prefill) scales with the peaks; memory-bound work "
        "(small-batch decoding) with the memory bandwidth.</p>"),
        _table(["metric", *(c.name for c in chips)], table),
        _figure(plots.plot_chip_compare(rows, base), "Chip ratios to the H20", f"Ratios to the {base.name}, log scale."),
        _figure(plots.plot_roofline(chips, "bf16", None, marks), "Roofline of the four chips",
                "Attainable dense BF16 throughput against arithmetic intensity, with typical LLM workloads marked."),
        _figure(plots.plot_controls(chips, cat.rule_sets()), "Export-control metrics",
                "Total Processing Performance and performance density against the thresholds of each rule set.")])


# ---------------------------------------------------------------------------- the seed article's claims
def _verdict(ok: bool | None) -> tuple[str, str]:
    return {True: ("holds", "Holds"), None: ("partly", "Partly"), False: ("fails", "Does not hold")}[ok]


def _claims_section(cat: Catalog, when: dt.date, samples: int, seed: int,
                    refs: _Refs) -> tuple[str, list[tuple[str, str, str]]]:
    h20, h200 = cat.chip("H20"), cat.chip("H200")
    refs.add("The seed article", [SEED_ARTICLE])
    claims = [_claim_ratio(h20, h200), _claim_value(h200, refs), _claim_rank(cat, h200),
              _claim_orders(cat, when, samples, seed, refs)]
    out = ['<h2 id="claims">The seed article\'s claims, checked</h2>',
           f"<p>From {_link(SEED_ARTICLE)} Each claim against the sourced specs and scenarios.</p>"]
    findings = []
    for quote, ok, verdict, headers, rows in claims:
        cls, word = _verdict(ok)
        out += [f"<h3>{_e(quote)}</h3>", f"<p><span class=\"verdict {cls}\">{word}</span> {verdict}</p>",
                _table(headers, rows)]
        findings.append((cls, word, f"<em>{_e(quote)}</em>: {verdict}"))
    return "\n".join(out), findings


Claim = tuple[str, bool | None, str, list[str], list[list[str]]]


def _claim_ratio(h20: Chip, h200: Chip) -> Claim:
    ratios = compare([h20, h200])[1].ratios
    rows = [[METRICS[k][0], f"{ratios[k]:.2f}x"] for k in ("peak_bf16", "peak_fp8", "tpp", "memory_bandwidth",
                                                         "memory", "interconnect_bandwidth")
            if ratios.get(k) is not None]
    for name, (i, _) in typical_intensities().items():
        r = float((attainable(h200, "bf16", i) / attainable(h20, "bf16", i)).m_as(""))
        rows.append([f"roofline, {name} ({i.m_as('FLOP/byte'):,.0f} FLOP/B)", f"{r:.2f}x"])
    bf16, bw = ratios["peak_bf16"] or 0.0, ratios["memory_bandwidth"] or 0.0
    verdict = _e(f"True for compute-bound work: dense BF16 is {bf16:.1f}x ({h200.peak('bf16').m_as('TFLOP/s'):,.1f} "
                 f"vs {h20.peak('bf16').m_as('TFLOP/s'):,.0f} TFLOP/s), as for training and prefill. False for "
                 f"memory-bound work such as small-batch decoding, which follows HBM bandwidth: {bw:.2f}x "
                 f"({h200.require('memory_bandwidth'):~P} vs {h20.require('memory_bandwidth'):~P}).")
    return ('"The H200 delivers roughly six times the performance of the H20"', None, verdict,
            ["measure", "H200 / H20"], rows)


def _claim_value(h200: Chip, refs: _Refs) -> Claim:
    implied = CLAIMED_VALUE / CLAIMED_CHIPS
    rows = [["implied by the article: $12 bn / 400,000", f"${implied:,.0f}", f"${CLAIMED_VALUE / 1e9:.1f} bn"]]
    prices = [(f"{q.label} ({q.value.note.rstrip('.')})" if q.value.note else q.label, q.value)
              for q in h200.price_quotes]
    default = h200.get("price")
    if default is not None:
        prices.append(("range used by computecap (low / central / high)", default))
    for label, value in prices:
        refs.add("Chip prices", value.sources)
        lo, mid, hi = (value.low.m_as("USD"), value.central.m_as("USD"), value.high.m_as("USD"))
        price = f"${mid:,.0f}" if lo == hi else f"${lo:,.0f} / ${mid:,.0f} / ${hi:,.0f}"
        total = (f"${CLAIMED_CHIPS * mid / 1e9:.1f} bn" if lo == hi else
                 f"${CLAIMED_CHIPS * lo / 1e9:.1f} / {CLAIMED_CHIPS * mid / 1e9:.1f} / {CLAIMED_CHIPS * hi / 1e9:.1f} bn")
        rows.append([label, price, total])
    if default is None:
        return ('"400,000 H200 chips would be worth roughly $12 billion"', None, "No sourced H200 price.",
                ["price", "per chip", "x 400,000"], rows)
    lo, hi = default.low.m_as("USD"), default.high.m_as("USD")
    inside = lo <= implied <= hi
    verdict = _e(f"$12 bn means ${implied:,.0f} per chip, {'inside' if inside else 'outside'} the sourced range "
                 f"${lo:,.0f}-${hi:,.0f}: 400,000 H200 are worth ${CLAIMED_CHIPS * lo / 1e9:.1f}-"
                 f"{CLAIMED_CHIPS * hi / 1e9:.1f} bn. 'List price' is loose: NVIDIA publishes none; the quotes are "
                 "street listings and a reported China deal price.")
    return ('"400,000 H200 chips would be worth roughly $12 billion"', bool(inside), verdict,
            ["price", "per chip", "x 400,000"], rows)


def _bf16(c: Chip) -> float | None:
    for p in ("bf16", "fp16"):
        if p in c.peaks:
            return float(c.peak(p).m_as("TFLOP/s"))
    return None


def _claim_rank(cat: Catalog, h200: Chip) -> Claim:
    mine = _bf16(h200) or 0.0
    chips = [c for c in cat.chips() if c.datacenter and (_bf16(c) or 0.0) > 0]
    above = sorted((c for c in chips if (_bf16(c) or 0.0) > mine * 1.001), key=lambda c: -(_bf16(c) or 0.0))
    rows = [[c.name, c.vendor, f"{_bf16(c) or 0.0:,.0f}", f"{(_bf16(c) or 0.0) / mine:.2f}x"] for c in above]
    nvidia = [c.name for c in above if c.vendor == "NVIDIA"]
    others = [c.name for c in above if c.vendor != "NVIDIA"]
    verdict = _e(f"In dense BF16 the H200 ({mine:,.1f} TFLOP/s) ranks {len(above) + 1} of {len(chips)} datacenter "
                 f"chips in the catalog. Faster NVIDIA parts: {', '.join(nvidia) or 'none'}"
                 + (f"; faster from other vendors: {', '.join(others)}" if others else "")
                 + ". It holds only if the Blackwell family counts as one chip and other vendors are left out.")
    blackwell = all(c.id.removeprefix("nvidia-").startswith(("b", "gb")) for c in above if c.vendor == "NVIDIA")
    return ('"Second only to Nvidia\'s B200"', None if blackwell else False, verdict,
            ["chip faster than the H200", "vendor", "dense BF16 [TFLOP/s]", "vs H200"], rows)


def _claim_orders(cat: Catalog, when: dt.date, samples: int, seed: int, refs: _Refs) -> Claim:
    scen = cat.scenario(CLAIM_SCENARIO)
    rows, totals = [], {}
    for inc, label in (("approved", "approved (the first batch)"), ("pending", "pending (the rest of the orders)"),
                       ("approved,pending", "approved + pending (all 2026 H200 orders)")):
        by_basis = {basis: run_estimate(scen, include=inc, as_of=FAR_FUTURE, retire=False, samples=samples, seed=seed,
                                        h100e_basis=basis, catalog=cat).total for basis in ("bf16", "fp8")}
        totals[inc] = by_basis["bf16"]
        cells = {b: (fmt_uncertain(g.metrics["chips"] or _zero()), fmt_uncertain(g.metrics["h100e"] or _zero()))
                 for b, g in by_basis.items()}
        if cells["bf16"] == cells["fp8"]:  # one row when both bases agree (the H200 is an H100 in both)
            rows.append([label, "bf16 and fp8", *cells["bf16"]])
        else:
            rows += [[label, b, *c] for b, c in cells.items()]
    fleet = run_estimate(scen, include="installed", as_of=when, samples=samples, seed=seed, catalog=cat)
    for a in fleet.assumptions:
        refs.add(f"Scenario {scen.name}", a.sources)
    installed = (fleet.total.metrics["h100e"] or _zero()).p50
    rows.append([f"installed Chinese fleets in service on {when.isoformat()}", "bf16",
                 fmt_uncertain(fleet.total.metrics["chips"] or _zero()), fmt_uncertain(fleet.total.metrics["h100e"]
                                                                                      or _zero())])
    approved, orders = (totals["approved"].metrics["h100e"] or _zero(),
                        totals["approved,pending"].metrics["chips"] or _zero())
    inside = orders.p5 <= CLAIMED_ORDERS <= orders.p95
    verdict = _e(f"400,000 H200 are {approved.p50 / 1e3:,.0f}k H100-equivalents on either basis (the H200 has the "
                 f"H100's dense BF16 and FP8 compute), {approved.p50 / installed:.0%} of the installed fleets "
                 f"({installed / 1e3:,.0f}k H100e, much of it H20 at 0.15 H100e each). All 2026 H200 orders in the "
                 f"scenario come to {orders.p50 / 1e6:.2f}M [{orders.p5 / 1e6:.2f}M-{orders.p95 / 1e6:.2f}M] chips: "
                 f"'more than two million' is {'inside' if inside else 'outside'} that interval (reports range "
                 "from over one million to over two million).")
    return ("400,000 approved out of more than two million ordered, in H100-equivalents", True if inside else None,
            verdict, ["holdings", "H100e basis", "chips", "H100e"], rows)


def _zero() -> Uncertain:
    return Uncertain(0.0, 0.0, 0.0, 0.0, "")


def _method(scenarios: Sequence[str], samples: int, seed: int, when: dt.date) -> str:
    cmd = "computecap report " + " ".join(f"--scenario {s}" for s in dict.fromkeys(scenarios))
    cmd += f" --as-of {when.isoformat()} --samples {samples} --seed {seed} --html report.html"
    return ('<h2 id="method">How to read and reproduce this</h2><ul>'
            "<li>Counts of chips per company come from the scenario files: sourced ranges, sampled jointly so "
            "company shares add up; a status says how firm a holding is (installed, approved, pending, ordered, "
            "grey-market).</li>"
            "<li>H100-equivalents compare dense BF16 throughput with the H100 SXM (989.5 TFLOP/s); they say nothing "
            "about memory, so memory-bound work favours the H20 more than this measure does.</li>"
            "<li>Every figure is p50 with the p5-p95 interval of a seeded Monte Carlo: the same command gives the "
            "same report.</li>"
            f"<li>Regenerate: <code>{_e(cmd)}</code></li></ul>")
