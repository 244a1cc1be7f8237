"""Fit the training-utilisation model on published runs; write specs/calibration/training-fit.toml.

U is the end-to-end achieved fraction of the dense BF16 (or FP16) peak:
    U = 6 x N_active x D / (chip-hours x 3,600 s/h x peak), or the published step-time MFU (basis 'mfu').
The model is log-linear,
    log10 U = a + b x MoE + c x log10(peak / 312 TFLOP/s) + d x [step-time hours] + e x [FP8]
fitted by least absolute deviations (the metric is the absolute log error; the data hold bounds
and rounded durations), with standard errors clustered by model family. The FP8 term is stored
as a multiplier on the BF16-based U, never as a division by the FP8 peak.

Further terms are tried one at a time (model size) and kept only if they lower the
leave-one-family-out median absolute error. Calendar year also lowers it, but the engine has
no year for a run and a linear trend extrapolates without bound, so it is not a candidate;
docs/training-model.md reports its held-out numbers. Residuals are leave-one-family-out, and
the 90% coverage written to the file is nested (each held-out family's interval comes from
a fit, residuals included, made without it). GPT-3 (circular hours) is never fitted or scored.

Usage: python benchmarks/fit_training.py [--check]   (--check: exit 1 if the file would change)
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import computecap
from computecap.catalog.calibration import CalibrationRun, PrecisionFactor, Term, TrainingFit, parse_runs
from computecap.catalog.files import read_toml
from computecap.training import (
    TERM_MEANINGS,
    PrecisionMultiplier,
    sample_log10_utilisation,
    utilisation_terms,
)

SCRIPT_VERSION = "1.0"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "specs" / "calibration" / "training-runs.toml"
OUT = ROOT / "specs" / "calibration" / "training-fit.toml"
BASE_TERMS = ("intercept", "moe", "log10_peak_ratio", "step_time")
CANDIDATE_TERMS = ("log10_active_params",)
#: Seed and draws of the nested-coverage check (fixed: the file must be reproducible).
CHECK_SEED, CHECK_DRAWS = 20261201, 4000


@dataclass(frozen=True)
class Data:
    """The scored runs as arrays: log10 U [1], family and vendor labels, FP8 flags, peaks [FLOP/s]."""

    runs: tuple[CalibrationRun, ...]
    y: np.ndarray
    family: np.ndarray
    vendor: np.ndarray
    fp8: np.ndarray
    peak: np.ndarray
    fp8_ratio: np.ndarray  # FP8 / BF16 dense peak of each run's chip (1 where it has no FP8) [1]

    def terms(self, names: tuple[str, ...]) -> np.ndarray:
        """Design matrix: the named terms of every run [1] (computed once per set of names)."""
        cache: dict[tuple[str, ...], np.ndarray] = self.__dict__.setdefault("_terms", {})
        if names not in cache:
            cache[names] = np.array([utilisation_terms(names, moe=r.moe, peak_bf16=p, step_time=r.step_time,
                                                       active_params=r.active_params)
                                     for r, p in zip(self.runs, self.peak)])
        return cache[names]


def load_data(path: Path = DATA) -> Data:
    """Read the runs file and compute each scored run's U against its dense 16-bit peak."""
    cat = computecap.default_catalog()
    runs = tuple(r for r in parse_runs(read_toml(path, path.name), path.name) if r.scored)
    peaks, vendors, ratios, ys = [], [], [], []
    for r in runs:
        if r.peak_bf16 is not None:
            peak, vendor, ratio = r.peak_bf16.central.m_as("FLOP/s"), r.hardware.split()[0], 1.0
        else:
            chip = cat.chip(r.chip)
            base = chip.peak("bf16" if "bf16" in chip.peaks else "fp16").m_as("FLOP/s")
            peak, vendor = base, chip.vendor
            ratio = chip.peak("fp8").m_as("FLOP/s") / base if "fp8" in chip.peaks else 1.0
        u = r.mfu_bf16 if r.mfu_bf16 is not None else r.flop / (r.chip_hours * 3600.0 * peak)  # type: ignore
        peaks.append(peak)
        vendors.append(vendor)
        ratios.append(ratio)
        ys.append(math.log10(u))
    return Data(runs, np.array(ys), np.array([r.family for r in runs]), np.array(vendors),
                np.array([float(r.fp8) for r in runs]), np.array(peaks), np.array(ratios))


def lad(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-absolute-deviation coefficients by iteratively reweighted least squares (deterministic)."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(200):
        w = 1.0 / np.maximum(np.abs(y - x @ beta), 1e-6)
        xw = x.T * w
        new = np.linalg.solve(xw @ x, xw @ y)
        if np.max(np.abs(new - beta)) < 1e-10:
            return np.asarray(new)
        beta = new
    return np.asarray(beta)


def with_fp8(data: Data, names: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """Design matrix of the rows in ``mask`` plus the FP8 column, dropped when those rows hold no FP8 run."""
    x = data.terms(names)[mask]
    return np.column_stack([x, data.fp8[mask]]) if data.fp8[mask].any() else x


def cluster_cov(x: np.ndarray, resid: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Family-clustered sandwich covariance of the coefficients [log10 units squared]."""
    bread = np.linalg.pinv(x.T @ x)
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in np.unique(groups):
        s = x[groups == g].T @ resid[groups == g]
        meat += np.outer(s, s)
    n, k, g = len(resid), x.shape[1], len(np.unique(groups))
    scale = g / (g - 1) * (n - 1) / (n - k) if g > 1 and n > k else 1.0
    out: np.ndarray = scale * bread @ meat @ bread
    return out


def lofo_residuals(data: Data, names: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """Leave-one-family-out residuals of the rows in ``mask`` (held out by family) [log10 units]."""
    idx = np.flatnonzero(mask)
    out = np.empty(len(idx))
    for fam in np.unique(data.family[idx]):
        test = data.family[idx] == fam
        train = mask & (data.family != fam)
        beta = lad(with_fp8(data, names, train), data.y[train])
        xt = data.terms(names)[idx[test]]
        pred = xt @ beta[:len(names)] + (data.fp8[idx[test]] * beta[len(names)] if len(beta) > len(names) else 0)
        out[test] = data.y[idx[test]] - pred
    return out


def make_fit(data: Data, names: tuple[str, ...], mask: np.ndarray) -> TrainingFit:
    """The fit on the rows in ``mask``: coefficients, errors, held-out residuals, FP8 factor, vendor spreads."""
    x = with_fp8(data, names, mask)
    beta = lad(x, data.y[mask])
    cov = cluster_cov(x, data.y[mask] - x @ beta, data.family[mask])
    k = len(names)
    res = lofo_residuals(data, names, mask)
    sd = float(np.std(res, ddof=1))
    terms = tuple(Term(n, TERM_MEANINGS[n], float(beta[i]), float(math.sqrt(cov[i, i]))) for i, n in enumerate(names))
    c = cov[:k, :k]
    xt = data.terms(names)[mask]
    leverage = float(np.mean(np.einsum("ij,jk,ik->i", xt, c, xt)))
    n_fp8 = int(data.fp8[mask].sum())
    # a handful of FP8 runs: the clustered error is unreliable, so it is at least the residual sd / sqrt(n)
    fp8_se = max(float(math.sqrt(cov[k, k])), sd / math.sqrt(n_fp8)) if len(beta) > k else 0.0
    fp8 = PrecisionFactor(float(beta[k]) if len(beta) > k else 0.0, fp8_se, 1.0, n_fp8,
                          "FP8 runs' U (of the BF16 peak) relative to the BF16 model: a multiplier, at least 1 "
                          "(FP8 is chosen for speed; Meta's FP8 Behemoth matched its BF16 405B per GPU) and at most "
                          "the chip's FP8/BF16 peak ratio")
    vendors = data.vendor[mask]
    runs = {str(v): int((vendors == v).sum()) for v in sorted(set(vendors))}
    mean = {v: float(res[vendors == v].mean()) for v in runs}
    extra = {v: float(math.sqrt(mean[v] ** 2 + sd ** 2 / runs[v])) for v in runs}
    return TrainingFit(terms=terms, covariance=tuple(tuple(float(v) for v in row) for row in c),
                       mean_leverage=leverage, residuals=tuple(float(v) for v in np.sort(res)), residual_sd=sd,
                       fp8=fp8, vendor_runs=runs, vendor_extra_sd=extra, unseen_vendor_sd=sd,
                       runs=int(mask.sum()), families=len(np.unique(data.family[mask])), data_file="", data_sha256="",
                       script="", script_version=SCRIPT_VERSION, fitted="", validation={}, path="")


def predict(fit: TrainingFit, data: Data, i: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of log10 U for run ``i`` from ``fit``, exactly as the engine samples them [log10 units]."""
    names = tuple(t.name for t in fit.terms)
    x = data.terms(names)[i]
    cov = np.array(fit.covariance)
    vendor = str(data.vendor[i])
    vsd = fit.vendor_extra_sd.get(vendor, fit.unseen_vendor_sd)
    extra = math.sqrt(vsd ** 2 + max(0.0, float(x @ cov @ x) - fit.mean_leverage))
    draws = sample_log10_utilisation(fit, x, extra, rng, CHECK_DRAWS)
    if data.fp8[i]:
        f = fit.fp8
        mult = PrecisionMultiplier("fp8", f.log10_central, f.log10_standard_error, f.low,
                                   max(float(data.fp8_ratio[i]), f.low), "")
        draws = draws + np.log10(mult.sample(rng, CHECK_DRAWS))
    out: np.ndarray = np.minimum(draws, 0.0)  # U at most 1
    return out


def nested_lofo(data: Data, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every run, from a fit made without its family: median, p5 and p95 of log10 U."""
    rng = np.random.default_rng(CHECK_SEED)
    med, lo, hi = (np.empty(len(data.y)) for _ in range(3))
    for fam in sorted(set(data.family)):
        test = data.family == fam
        fit = make_fit(data, names, ~test)
        for i in np.flatnonzero(test):
            q = np.quantile(predict(fit, data, i, rng), [0.5, 0.05, 0.95])
            med[i], lo[i], hi[i] = q
    return med, lo, hi


def select_terms(data: Data) -> tuple[tuple[str, ...], dict[str, float]]:
    """Base terms, plus each candidate that lowers the held-out median |error|; the errors tried."""
    everything = np.ones(len(data.y), dtype=bool)
    names = BASE_TERMS
    best = float(np.median(np.abs(lofo_residuals(data, names, everything))))
    tried = {"base": best}
    for cand in CANDIDATE_TERMS:
        err = float(np.median(np.abs(lofo_residuals(data, names + (cand,), everything))))
        tried[cand] = err
        if err < best:
            names, best = names + (cand,), err
    return names, tried


def year_diagnostic(data: Data, names: tuple[str, ...]) -> float:
    """Held-out median |error| with a calendar-year term added (reported, never selected: see the docstring)."""
    x = np.column_stack([data.terms(names), [r.year - 2022.0 for r in data.runs], data.fp8])
    res = np.empty(len(data.y))
    for fam in np.unique(data.family):
        test = data.family == fam
        beta = lad(x[~test], data.y[~test])
        res[test] = data.y[test] - x[test] @ beta
    return float(np.median(np.abs(res)))


def _num(x: float) -> str:
    return repr(float(f"{x:.6g}"))


def render(data_path: Path = DATA) -> str:
    """The text of training-fit.toml (deterministic: same data, same script, same bytes)."""
    data = load_data(data_path)
    names, tried = select_terms(data)
    fit = make_fit(data, names, np.ones(len(data.y), dtype=bool))
    med, lo, hi = nested_lofo(data, names)
    err = np.abs(med - data.y)
    const = np.abs(math.log10(0.30) - data.y)
    raw = read_toml(data_path, data_path.name)
    fitted = max(str(s.get("accessed", "")) for s in raw.get("sources", {}).values())
    sha = hashlib.sha256(data_path.read_bytes()).hexdigest()
    lines = [
        "# Fitted model of U, the end-to-end achieved fraction of the dense BF16 peak, in training.",
        "# WRITTEN BY benchmarks/fit_training.py: do not edit by hand; rerun the script after changing the data.",
        "# log10 U = sum(coefficient x term) + residual. Units: log10 units throughout; covariance in log10^2.",
        "",
        "[model]",
        '''target = "log10 U, U = 6 x N_active x D / (chip-hours x 3600 s/h x dense BF16 peak)"''',
        f'formula = "log10 U = {" + ".join(names)} terms (see [[terms]]) + held-out residual; FP8: x factor"',
        f"runs = {fit.runs}",
        f"families = {fit.families}",
        f"mean_leverage = {_num(fit.mean_leverage)}",
        f"unseen_vendor_sd = {_num(fit.unseen_vendor_sd)}",
        "covariance = [",
        *["  [" + ", ".join(_num(v) for v in row) + "]," for row in fit.covariance],
        "]",
        "",
        "[provenance]",
        f'data = "specs/calibration/{data_path.name}"',
        f'data_sha256 = "{sha}"',
        'script = "benchmarks/fit_training.py"',
        f'script_version = "{SCRIPT_VERSION}"',
        f'fitted = "{fitted}"',
        'source = ["training-runs", "fit-script"]',
        "",
    ]
    for t in fit.terms:
        lines += ["[[terms]]", f'name = "{t.name}"', f'meaning = "{t.meaning}"',
                  f"coefficient = {_num(t.coefficient)}", f"standard_error = {_num(t.standard_error)}", ""]
    lines += ["[residuals]", 'kind = "leave-one-family-out, least absolute deviations"',
              f"sd = {_num(fit.residual_sd)}", "sorted = ["]
    lines += ["  " + ", ".join(_num(v) for v in fit.residuals[i:i + 8]) + "," for i in range(0, len(fit.residuals), 8)]
    f = fit.fp8
    lines += ["]", "", "[fp8]", f"log10_central = {_num(f.log10_central)}",
              f"log10_standard_error = {_num(f.log10_standard_error)}", f"low = {_num(f.low)}", f"runs = {f.runs}",
              f'note = "{f.note}"', ""]
    held_out = lofo_residuals(data, names, np.ones(len(data.y), dtype=bool))
    for v in fit.vendor_runs:
        mean = float(np.mean(held_out[data.vendor == v]))
        lines += [f'[vendors."{v}"]', f"runs = {fit.vendor_runs[v]}", f"mean_residual = {_num(mean)}",
                  f"extra_sd = {_num(fit.vendor_extra_sd[v])}", ""]
    lines += ["[validation]", "# leave-one-family-out on the fitted runs (nested: residuals refitted without the family)",
              f"median_abs_log10_error = {_num(float(np.median(err)))}",
              f"mean_abs_log10_error = {_num(float(np.mean(err)))}",
              f"coverage_90 = {_num(float(np.mean((data.y >= lo) & (data.y <= hi))))}",
              f"constant_30pct_median_abs_log10_error = {_num(float(np.median(const)))}"]
    lines += [f"candidate_{k}_median_abs_log10_error = {_num(v)}" for k, v in tried.items()]
    lines.append(f"not_a_candidate_year_median_abs_log10_error = {_num(year_diagnostic(data, names))}")
    lines += ["", "[sources.training-runs]",
              (f'document = "specs/calibration/{data_path.name} (sha256 {sha[:12]}): {fit.runs} scored published '
              f'runs, each citing its paper, model card or report with a quote"'),
              'title = "computecap calibration data: published training runs"', f"accessed = {fitted}", "",
              "[sources.fit-script]", f'document = "benchmarks/fit_training.py v{SCRIPT_VERSION}"',
              'title = "Least-absolute-deviations fit of log10 U with leave-one-family-out residuals"',
              f"accessed = {fitted}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if training-fit.toml would change")
    args = ap.parse_args()
    text = render()
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print("training-fit.toml is up to date" if same else "training-fit.toml is STALE: rerun the script")
        sys.exit(0 if same else 1)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    print(text[text.index("[validation]"):])


if __name__ == "__main__":
    main()
