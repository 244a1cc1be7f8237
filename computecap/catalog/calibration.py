"""Calibration data of the training model: published runs and the fit made on them.

``specs/calibration/training-runs.toml`` (and ``training-runs-holdout.toml``, which the fit
never reads) hold published pre-training runs, each with its source and quote;
``specs/calibration/training-fit.toml`` holds the coefficients, standard errors and
held-out residuals written by ``benchmarks/fit_training.py``. Both loaders are strict:
an unknown key is refused with a did-you-mean.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from computecap.catalog.files import bundled_root, display_path, read_toml
from computecap.catalog.values import (
    Source,
    SourcedValue,
    check_keys,
    fail,
    parse_sources,
    parse_value,
    resolve_sources,
    table_list,
)

#: What a run's hours count (see the header of training-runs.toml).
BASES = ("billed", "step", "mfu", "bound", "circular")
#: Bases measured in step time (no failures or restarts counted).
STEP_BASES = ("step", "mfu")
QUALITY = ("A", "B", "C", "X")
VERIFICATION = ("V", "E", "C", "S")
RUN_PRECISIONS = ("bf16", "fp16", "fp8", "unknown")
_RUN_KEYS = ("model", "family", "org", "year", "architecture", "moe", "params", "active_params", "tokens", "hardware",
             "chip", "peak_bf16", "chips", "precision", "basis", "chip_hours", "mfu_bf16", "hours_note",
             "reported_mfu", "network", "quality", "verification", "source", "quote", "note")


@dataclass(frozen=True)
class CalibrationRun:
    """One published pre-training run: model, chips, and the chip-hours [h] or step-time MFU it reports."""

    model: str
    family: str
    org: str
    year: int
    moe: bool
    params: float
    active_params: float
    tokens: float | None
    hardware: str
    chip: str
    peak_bf16: SourcedValue | None  # only for chips not in the catalog [FLOP/s]
    chips: float | None
    precision: str
    basis: str
    chip_hours: float | None
    mfu_bf16: float | None
    reported_mfu: float | None  # as published, against the peak the source names
    quality: str
    verification: str
    sources: tuple[Source, ...]
    quote: str
    note: str

    @property
    def scored(self) -> bool:
        """False for circular runs (hours derived from the FLOP figure itself)."""
        return self.basis != "circular"

    @property
    def step_time(self) -> bool:
        """True when the hours (or MFU) count step time only, not failures and restarts."""
        return self.basis in STEP_BASES

    @property
    def fp8(self) -> bool:
        return self.precision == "fp8"

    @property
    def flop(self) -> float | None:
        """6 x N_active x D [FLOP], or None when the tokens are not published."""
        return None if self.tokens is None else 6.0 * self.active_params * self.tokens


def parse_runs(raw: dict[str, Any], path: str) -> list[CalibrationRun]:
    """Validate a file of published runs (``[[runs]]`` and ``[sources.*]``)."""
    check_keys(raw, ("runs", "sources"), path)
    sources = parse_sources(raw.get("sources"), path)
    runs = [_parse_run(r, i, sources, path) for i, r in enumerate(table_list(raw, "runs", path))]
    seen: set[str] = set()
    for i, r in enumerate(runs):
        if r.model in seen:
            raise fail(path, f"runs[{i}].model", f"{r.model!r} appears twice")
        seen.add(r.model)
    return runs


def _parse_run(r: dict[str, Any], i: int, sources: Mapping[str, Source], path: str) -> CalibrationRun:
    where = f"runs[{i}]"
    check_keys(r, _RUN_KEYS, path, where)
    text = {k: _text(r.get(k), path, f"{where}.{k}", required=k in ("model", "family", "org", "hardware", "chip",
                                                                     "quote"))
            for k in ("model", "family", "org", "hardware", "chip", "quote", "note", "hours_note", "network",
                      "architecture")}
    basis = _choice(r.get("basis"), BASES, path, f"{where}.basis")
    precision = _choice(r.get("precision"), RUN_PRECISIONS, path, f"{where}.precision")
    quality = _choice(r.get("quality"), QUALITY, path, f"{where}.quality")
    verification = _choice(r.get("verification"), VERIFICATION, path, f"{where}.verification")
    year = r.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise fail(path, f"{where}.year", f"expected a year like 2024, got {year!r}")
    moe = r.get("moe")
    if not isinstance(moe, bool):
        raise fail(path, f"{where}.moe", f"expected true or false, got {moe!r}")
    params, active = (_positive(r.get(k), path, f"{where}.{k}", required=True) for k in ("params", "active_params"))
    assert params is not None and active is not None
    if active > params:
        raise fail(path, f"{where}.active_params", f"{active:g} exceeds params {params:g}")
    tokens = _positive(r.get("tokens"), path, f"{where}.tokens")
    chips = _positive(r.get("chips"), path, f"{where}.chips")
    hours = _positive(r.get("chip_hours"), path, f"{where}.chip_hours")
    mfu = _fraction(r.get("mfu_bf16"), path, f"{where}.mfu_bf16")
    reported = _fraction(r.get("reported_mfu"), path, f"{where}.reported_mfu")
    if basis == "mfu":
        if mfu is None or hours is not None:
            raise fail(path, where, "basis 'mfu' needs mfu_bf16 and no chip_hours")
    elif hours is None or tokens is None or mfu is not None:
        raise fail(path, where, f"basis {basis!r} needs chip_hours and tokens (mfu_bf16 only with basis 'mfu')")
    peak = None
    if "peak_bf16" in r:
        peak = parse_value(r["peak_bf16"], "FLOP/s", sources, path, f"{where}.peak_bf16")
    return CalibrationRun(model=text["model"], family=text["family"], org=text["org"], year=year, moe=moe,
                          params=params, active_params=active, tokens=tokens, hardware=text["hardware"],
                          chip=text["chip"], peak_bf16=peak, chips=chips, precision=precision, basis=basis,
                          chip_hours=hours, mfu_bf16=mfu, reported_mfu=reported, quality=quality, verification=verification,
                          sources=resolve_sources(r.get("source"), sources, path, where), quote=text["quote"],
                          note=text["note"])


# ---------------------------------------------------------------------------- the fit
@dataclass(frozen=True)
class Term:
    """One fitted term of ``log10 U``: name, coefficient and its standard error [log10 units per unit of x]."""

    name: str
    meaning: str
    coefficient: float
    standard_error: float


@dataclass(frozen=True)
class PrecisionFactor:
    """Multiplier on the BF16-based U for training at a lower precision: log10-normal, truncated to [low, high]."""

    log10_central: float
    log10_standard_error: float
    low: float
    runs: int
    note: str


@dataclass(frozen=True)
class TrainingFit:
    """The fitted model of U, the end-to-end achieved fraction of the dense BF16 peak.

    ``log10 U = sum(coefficient x term) + residual``; residuals are leave-one-family-out
    (held-out) residuals [log10 units], so intervals drawn from them are honest out of sample.
    """

    terms: tuple[Term, ...]
    covariance: tuple[tuple[float, ...], ...]
    mean_leverage: float  # mean of x' C x over the fitted runs [log10 units squared]
    residuals: tuple[float, ...]  # sorted held-out residuals [log10 units]
    residual_sd: float
    fp8: PrecisionFactor
    vendor_runs: Mapping[str, int]
    vendor_extra_sd: Mapping[str, float]  # added spread for chips of a vendor with few runs [log10 units]
    unseen_vendor_sd: float
    runs: int
    families: int
    data_file: str
    data_sha256: str
    script: str
    script_version: str
    fitted: str
    validation: Mapping[str, float]
    path: str
    sources: tuple[Source, ...] = ()  # the calibration data and the fitting script

    def term(self, name: str) -> Term:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(name)


def parse_fit(raw: dict[str, Any], path: str) -> TrainingFit:
    """Validate ``specs/calibration/training-fit.toml``."""
    check_keys(raw, ("model", "provenance", "terms", "residuals", "fp8", "vendors", "validation", "sources"), path)
    model = _table(raw, "model", path)
    check_keys(model, ("target", "formula", "runs", "families", "mean_leverage", "unseen_vendor_sd", "covariance"),
               path, "model")
    prov = _table(raw, "provenance", path)
    check_keys(prov, ("data", "data_sha256", "script", "script_version", "fitted", "source"), path, "provenance")
    fit_sources = resolve_sources(prov.get("source"), parse_sources(raw.get("sources"), path), path, "provenance")
    terms = []
    for i, t in enumerate(table_list(raw, "terms", path)):
        check_keys(t, ("name", "meaning", "coefficient", "standard_error"), path, f"terms[{i}]")
        se = _finite(t.get("standard_error"), path, f"terms[{i}].standard_error")
        if se < 0:
            raise fail(path, f"terms[{i}].standard_error", f"expected a non-negative number, got {se}")
        terms.append(Term(_text(t.get("name"), path, f"terms[{i}].name", required=True),
                          _text(t.get("meaning"), path, f"terms[{i}].meaning"),
                          _finite(t.get("coefficient"), path, f"terms[{i}].coefficient"), se))
    if not terms:
        raise fail(path, "terms", "expected [[terms]] tables")
    cov = model.get("covariance")
    if not (isinstance(cov, list) and len(cov) == len(terms)
            and all(isinstance(row, list) and len(row) == len(terms) for row in cov)):
        raise fail(path, "model.covariance", f"expected a {len(terms)} x {len(terms)} list of lists")
    covariance = tuple(tuple(_finite(v, path, "model.covariance") for v in row) for row in cov)
    res = _table(raw, "residuals", path)
    check_keys(res, ("kind", "sd", "sorted"), path, "residuals")
    values = res.get("sorted")
    if not isinstance(values, list) or len(values) < 5:
        raise fail(path, "residuals.sorted", "expected a list of at least 5 held-out residuals")
    residuals = tuple(_finite(v, path, "residuals.sorted") for v in values)
    if list(residuals) != sorted(residuals):
        raise fail(path, "residuals.sorted", "expected the residuals in ascending order")
    fp8 = _table(raw, "fp8", path)
    check_keys(fp8, ("log10_central", "log10_standard_error", "low", "runs", "note"), path, "fp8")
    factor = PrecisionFactor(_finite(fp8.get("log10_central"), path, "fp8.log10_central"),
                             _finite(fp8.get("log10_standard_error"), path, "fp8.log10_standard_error"),
                             _finite(fp8.get("low"), path, "fp8.low"), _count(fp8.get("runs"), path, "fp8.runs"),
                             _text(fp8.get("note"), path, "fp8.note"))
    vendors = _table(raw, "vendors", path)
    vendor_runs, vendor_sd = {}, {}
    for name, v in vendors.items():
        if not isinstance(v, dict):
            raise fail(path, f"vendors.{name}", "expected a table with runs and extra_sd")
        check_keys(v, ("runs", "mean_residual", "extra_sd"), path, f"vendors.{name}")
        vendor_runs[name] = _count(v.get("runs"), path, f"vendors.{name}.runs")
        _finite(v.get("mean_residual"), path, f"vendors.{name}.mean_residual")
        vendor_sd[name] = _finite(v.get("extra_sd"), path, f"vendors.{name}.extra_sd")
    val = _table(raw, "validation", path)
    validation = {str(k): _finite(v, path, f"validation.{k}") for k, v in val.items()}
    return TrainingFit(
        terms=tuple(terms), covariance=covariance,
        mean_leverage=_finite(model.get("mean_leverage"), path, "model.mean_leverage"),
        residuals=residuals, residual_sd=_finite(res.get("sd"), path, "residuals.sd"), fp8=factor,
        vendor_runs=MappingProxyType(vendor_runs), vendor_extra_sd=MappingProxyType(vendor_sd),
        unseen_vendor_sd=_finite(model.get("unseen_vendor_sd"), path, "model.unseen_vendor_sd"),
        runs=_count(model.get("runs"), path, "model.runs"), families=_count(model.get("families"), path,
                                                                            "model.families"),
        data_file=_text(prov.get("data"), path, "provenance.data", required=True),
        data_sha256=_text(prov.get("data_sha256"), path, "provenance.data_sha256", required=True),
        script=_text(prov.get("script"), path, "provenance.script", required=True),
        script_version=_text(prov.get("script_version"), path, "provenance.script_version", required=True),
        fitted=str(prov.get("fitted", "")), validation=MappingProxyType(validation), path=path, sources=fit_sources)


@functools.cache
def load_calibration_runs(name: str = "training-runs.toml") -> tuple[CalibrationRun, ...]:
    """The bundled runs of ``specs/calibration/<name>`` (the fit's data, or the holdout file)."""
    path = bundled_root() / "calibration" / name
    shown = display_path(path, bundled_root())
    return tuple(parse_runs(read_toml(path, shown), shown))


@functools.lru_cache(maxsize=1)
def load_training_fit() -> TrainingFit:
    """The bundled fit (``specs/calibration/training-fit.toml``)."""
    path = bundled_root() / "calibration" / "training-fit.toml"
    shown = display_path(path, bundled_root())
    return parse_fit(read_toml(path, shown), shown)


# ---------------------------------------------------------------------------- small validators
def _table(raw: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    t = raw.get(key)
    if not isinstance(t, dict):
        raise fail(path, key, f"missing: expected a [{key}] table")
    return t


def _text(v: Any, path: str, where: str, required: bool = False) -> str:
    if v is None and not required:
        return ""
    if not isinstance(v, str) or (required and not v):
        raise fail(path, where, f"expected {'a non-empty ' if required else ''}text, got {v!r}")
    return v


def _choice(v: Any, choices: tuple[str, ...], path: str, where: str) -> str:
    if v not in choices:
        raise fail(path, where, f"expected one of {', '.join(choices)}, got {v!r}")
    return str(v)


def _finite(v: Any, path: str, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise fail(path, where, f"expected a finite number, got {v!r}")
    return float(v)


def _count(v: Any, path: str, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise fail(path, where, f"expected a whole number, got {v!r}")
    return v


def _positive(v: Any, path: str, where: str, required: bool = False) -> float | None:
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise fail(path, where, f"expected a positive number, got {v!r}")
    return float(v)


def _fraction(v: Any, path: str, where: str) -> float | None:
    x = _positive(v, path, where)
    if x is not None and x > 1:
        raise fail(path, where, f"expected a fraction in (0, 1], got {v!r}")
    return x
