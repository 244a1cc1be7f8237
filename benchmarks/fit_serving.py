"""Fit the serving efficiencies on the calibration points; write specs/calibration/serving-fit.toml.

Model: step time = max(FLOP / (peak x flop_eff), bytes / (bandwidth x bw_eff)) + communication
(computecap.inference). The two efficiencies minimise the squared log10 error over the points
(grid search, deterministic). Uncertainty: leave-one-point-out refits give the spread of the two
efficiencies (jackknife); leave-one-model-family-out refits (Llama, DeepSeek) give out-of-sample
residuals whose RMS (ln) is the model's own error, as the training fit does. A measurement also depends
on which serving stack and version ran it: serving-stack-spread.toml holds published throughput of one
deployment under several stacks, and the mean within-group variance of ln(throughput) is that spread.
The residual the engine samples is the two in quadrature.
Re-run after changing the points or the physics:
    python benchmarks/fit_serving.py            # writes the spec file and prints the table
    python benchmarks/fit_serving.py --check    # exits 1 if the file on disk is stale
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path

import numpy as np

from computecap.catalog.files import bundled_root, read_toml
from computecap.catalog.values import check_keys, fail, parse_sources, resolve_sources, table_list
from computecap.inference.points import ServingPoint, load_points
from computecap.report import render_rows

SCRIPT_VERSION = "3"
STACK_KEYS = ("id", "hardware", "model", "precision", "workload", "metric", "source", "kind", "where", "measurements")
METHOD = ('method = "grid search (241 x 241, log-spaced 0.05..1) minimising the sum of squared '
          'log10(predicted / measured); jackknife over points"')
GRID = np.exp(np.linspace(math.log(0.05), 0.0, 241))  # efficiencies 0.05..1, 1.25% steps


def log_predictions(points: list[ServingPoint]) -> np.ndarray:
    """log10(predicted / measured) per point over the (flop_eff, bw_eff) grid: (points, grid, grid)."""
    fe, be = np.meshgrid(GRID, GRID, indexing="ij")
    return np.stack([np.log10(p.predict(fe.ravel(), be.ravel()) / p.measured).reshape(fe.shape) for p in points])


def family(p: ServingPoint) -> str:
    """Model family of a point: the preset id up to its first hyphen (llama, deepseek)."""
    return p.model.split("-")[0]


def stack_spread(path: Path) -> tuple[float, int]:
    """Mean within-group variance of ln(throughput) across serving stacks, as an RMS [ln]; groups [1]."""
    shown = f"specs/calibration/{path.name}"
    raw = read_toml(path, shown)
    check_keys(raw, ("groups", "sources"), shown)
    sources = parse_sources(raw.get("sources"), shown)
    variances = []
    for i, g in enumerate(table_list(raw, "groups", shown)):
        where = f"groups[{i}]"
        check_keys(g, STACK_KEYS, shown, where)
        resolve_sources(g.get("source"), sources, shown, where)
        ms = g.get("measurements")
        if not isinstance(ms, list) or len(ms) < 2:
            raise fail(shown, f"{where}.measurements", "expected two or more { stack, value } tables")
        vals = []
        for j, m in enumerate(ms):
            check_keys(m, ("stack", "value"), shown, f"{where}.measurements[{j}]")
            v = m.get("value")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise fail(shown, f"{where}.measurements[{j}].value", f"expected a positive number, got {v!r}")
            vals.append(math.log(v))
        variances.append(float(np.var(vals, ddof=1)))
    return math.sqrt(float(np.mean(variances))), len(variances)


def best(err: np.ndarray) -> tuple[int, int]:
    """Grid indices minimising the sum of squared log errors over the first axis."""
    i, j = np.unravel_index(int(np.argmin((err ** 2).sum(axis=0))), err.shape[1:])
    return int(i), int(j)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fail if serving-fit.toml differs from a fresh fit")
    args = ap.parse_args()
    points = load_points("serving-calibration.toml")
    err = log_predictions(points)
    i, j = best(err)
    loo, jack = [], []
    for k in range(len(points)):
        keep = [m for m in range(len(points)) if m != k]
        a, b = best(err[keep])
        jack.append((math.log(GRID[a]), math.log(GRID[b])))
        loo.append(float(err[k, a, b]))
    jk = np.array(jack)
    n = len(points)
    # jackknife covariance of the log efficiencies
    cov = (n - 1) / n * ((jk - jk.mean(axis=0)).T @ (jk - jk.mean(axis=0)))
    sd = np.sqrt(np.diag(cov))
    rho = float(cov[0, 1] / (sd[0] * sd[1])) if sd[0] > 0 and sd[1] > 0 else 0.0
    lofo = [0.0] * n
    for fam in sorted({family(p) for p in points}):
        out = [k for k, p in enumerate(points) if family(p) == fam]
        a, b = best(err[[m for m in range(n) if m not in out]])
        for k in out:
            lofo[k] = float(err[k, a, b])
    fit_sigma = float(math.sqrt(np.mean((np.array(lofo) * math.log(10)) ** 2)))
    spread_path = bundled_root() / "calibration" / "serving-stack-spread.toml"
    stack_sigma, groups = stack_spread(spread_path)
    sigma = math.hypot(fit_sigma, stack_sigma)
    data = bundled_root() / "calibration" / "serving-calibration.toml"
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    spread_digest = hashlib.sha256(spread_path.read_bytes()).hexdigest()
    phys = Path(__file__).resolve().parents[1] / "computecap" / "inference"
    code = hashlib.sha256(b"".join((phys / f).read_bytes() for f in ("physics.py", "deployment.py"))).hexdigest()
    header = ["# Fitted serving efficiencies. WRITTEN BY benchmarks/fit_serving.py: do not edit by hand.",
              "# flop/bandwidth efficiency: achieved / dense peak and / HBM bandwidth in the roofline step time;",
              "# log_sd and correlation: jackknife (leave-one-out refits) of their natural logs; low/high: central",
              "# x exp(-/+1.645 log_sd). fit_residual_sigma_ln: RMS of leave-one-model-family-out log residuals;",
              "# stack_sigma_ln: RMS within-group spread of ln(throughput) of one deployment under different serving",
              "# stacks (serving-stack-spread.toml); residual_sigma_ln: the two in quadrature, sampled by the engine",
              "# as a lognormal factor on throughput.", "",
              f"correlation = {rho:.4f}", f"fit_residual_sigma_ln = {fit_sigma:.4f}", f"stack_sigma_ln = {stack_sigma:.4f}",
              f"stack_groups = {groups}", f"residual_sigma_ln = {sigma:.4f}", f"points = {n}", "",
              "[provenance]", f'script = "benchmarks/fit_serving.py v{SCRIPT_VERSION}"',
              'data = "specs/calibration/serving-calibration.toml"', f'data_sha256 = "{digest}"',
              'stack_data = "specs/calibration/serving-stack-spread.toml"', f'stack_data_sha256 = "{spread_digest}"',
              f'physics_sha256 = "{code}"', METHOD, 'source = ["serving-calibration", "serving-stack-spread", "fit-script"]', ""]
    for name, idx, s in (("flop_efficiency", i, sd[0]), ("bandwidth_efficiency", j, sd[1])):
        c = float(GRID[idx])
        header += [f"[{name}]", f"central = {c:.4f}", f"log_sd = {float(s):.4f}",
                   f"low = {c * math.exp(-1.645 * s):.4f}", f"high = {min(c * math.exp(1.645 * s), 1.0):.4f}", ""]
    cal = ["[calibration]"] + [f'"{p.id}" = {{ fitted_log10_error = {float(err[k, i, j]):.4f}, '
                               f'loo_log10_error = {loo[k]:.4f}, family_out_log10_error = {lofo[k]:.4f} }}'
                               for k, p in enumerate(points)]
    read = max(str(v.get("accessed", "")) for v in read_toml(data, "serving-calibration.toml")["sources"].values())
    cited = ["", "[sources.serving-calibration]",
             (f'document = "specs/calibration/serving-calibration.toml (sha256 {digest[:12]}): {n} measured serving '
             f'points, each citing its benchmark report"'),
             'title = "computecap calibration data: measured serving throughput"', f"accessed = {read}", "",
             "[sources.serving-stack-spread]",
             (f'document = "specs/calibration/serving-stack-spread.toml (sha256 {spread_digest[:12]}): {groups} '
              'deployments measured under two or more serving stacks or versions, each citing its publication"'),
             'title = "computecap data: spread of measured throughput across serving stacks"', f"accessed = {read}", "",
             "[sources.fit-script]", f'document = "benchmarks/fit_serving.py v{SCRIPT_VERSION}"',
             'title = "Grid-search fit of FLOP and bandwidth efficiencies, jackknife and family-out residuals"',
             f"accessed = {read}"]
    text = "\n".join(header + cal + cited) + "\n"
    out = bundled_root() / "calibration" / "serving-fit.toml"
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: re-run python benchmarks/fit_serving.py", file=sys.stderr)
            return 1
    else:
        out.write_text(text)
    rows = [[p.id, f"{p.measured:,.1f}", f"{p.measured * 10 ** err[k, i, j]:,.1f}", f"{10 ** err[k, i, j]:.2f}x",
             f"{10 ** loo[k]:.2f}x", f"{10 ** lofo[k]:.2f}x"] for k, p in enumerate(points)]
    print(render_rows(["point", "measured", "fitted", "fitted/measured", "leave-one-out", "family held out"], rows,
                      "table", title=f"flop_efficiency {GRID[i]:.3f}, bandwidth_efficiency {GRID[j]:.3f}; residual "
                                     f"sigma (ln) {sigma:.3f} = model family held out {fit_sigma:.3f} (+) stack "
                                     f"spread {stack_sigma:.3f} over {groups} deployments"))
    med = float(np.median(np.abs(err[:, i, j])))
    print(f"median |log10 error|: fitted {med:.3f} ({10 ** med:.2f}x); leave-one-out "
          f"{float(np.median(np.abs(loo))):.3f} ({10 ** float(np.median(np.abs(loo))):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
