"""Measured serving points (``specs/calibration/serving-calibration.toml`` and ``serving-validation.toml``)
and the model's prediction for each, for fitting and validation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from computecap.catalog import Catalog, default_catalog
from computecap.catalog.files import bundled_root, display_path, read_toml
from computecap.catalog.values import Source, check_keys, fail, parse_sources, resolve_sources, table_list
from computecap.inference.deployment import Deployment, SetupDraws, Workload, deploy
from computecap.inference.params import load_serving_defaults
from computecap.inference.physics import Layout

KINDS = {"e2e": "output tok/s", "decode": "decode tok/s", "prefill": "input tok/s"}
_KEYS = ("id", "model", "chip", "gpus", "tp", "ep", "precision", "kv_precision", "input_tokens", "output_tokens",
         "concurrency", "speculative", "kind", "measured", "unit", "framework", "regime", "source", "where", "note",
         "pair")


@dataclass(frozen=True)
class ServingPoint:
    """One published measurement: what ran (model, chip, layout, workload) and the rate measured [1/s]."""

    id: str
    model: str
    chip: str
    gpus: int
    tp: int
    ep: int
    precision: str
    kv_precision: str | None
    workload: Workload
    concurrency: int | None
    kind: str
    measured: float
    framework: str
    regime: str
    pair: str
    sources: tuple[Source, ...]
    where: str

    def deployment(self, catalog: Catalog | None = None) -> Deployment:
        """The replica this point ran, per the published layout."""
        cat = catalog or default_catalog()
        chips = max(self.tp, self.ep)
        return deploy(cat.preset(self.model), cat.chip(self.chip), self.workload, Layout(chips, self.tp, self.ep),
                      precision_name=self.precision, kv_precision=self.kv_precision, concurrency=self.concurrency)

    def predict(self, flop_eff: np.ndarray, bw_eff: np.ndarray, catalog: Catalog | None = None,
                acceptance: np.ndarray | None = None, draws: SetupDraws | None = None) -> np.ndarray:
        """Predicted rate of the whole deployment in the measured unit [1/s], per efficiency draw (at the
        central speculative acceptance, link rates and factors unless draws are given)."""
        dep = self.deployment(catalog)
        acc = load_serving_defaults()["speculative_acceptance"].central if acceptance is None else acceptance
        rate = dep.timings(flop_eff, bw_eff, acc, draws)[{"e2e": "output", "decode": "decode",
                                                          "prefill": "prefill"}[self.kind]]
        out: np.ndarray = rate * self.gpus / dep.layout.chips
        return out


def _int(r: dict[str, Any], key: str, path: str, where: str, default: int | None = None) -> int:
    v = r.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < (0 if key == "speculative" else 1):
        raise fail(path, f"{where}.{key}", f"expected a positive whole number, got {v!r}")
    return v


def load_points(name: str) -> list[ServingPoint]:
    """Read ``specs/calibration/<name>`` (a list of [[points]] with sources)."""
    root = bundled_root()
    p = root / "calibration" / name
    shown = display_path(p, root)
    raw = read_toml(p, shown)
    check_keys(raw, ("points", "sources"), shown)
    sources = parse_sources(raw.get("sources"), shown)
    out, seen = [], set()
    for i, r in enumerate(table_list(raw, "points", shown)):
        where = f"points[{i}]"
        check_keys(r, _KEYS, shown, where)
        pid = r.get("id")
        if not isinstance(pid, str) or not pid or pid in seen:
            raise fail(shown, f"{where}.id", f"expected a unique id, got {pid!r}")
        seen.add(pid)
        kind = r.get("kind")
        if kind not in KINDS or r.get("unit") != KINDS[kind]:
            raise fail(shown, f"{where}.kind", f"expected kind in {', '.join(KINDS)} with its unit, got {kind!r}")
        m = r.get("measured")
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not math.isfinite(m) or m <= 0:
            raise fail(shown, f"{where}.measured", f"expected a positive rate, got {m!r}")
        conc = r.get("concurrency")
        if conc != "auto":
            conc = _int(r, "concurrency", shown, where)
        out.append(ServingPoint(
            pid, str(r.get("model")), str(r.get("chip")), _int(r, "gpus", shown, where), _int(r, "tp", shown, where),
            _int(r, "ep", shown, where, 1), str(r.get("precision")),
            None if r.get("kv_precision") is None else str(r["kv_precision"]),
            Workload(_int(r, "input_tokens", shown, where), _int(r, "output_tokens", shown, where),
                     _int(r, "speculative", shown, where, 0)),
            None if conc == "auto" else int(conc), kind, float(m), str(r.get("framework", "")),
            str(r.get("regime", "")), str(r.get("pair", "")),
            resolve_sources(r.get("source"), sources, shown, where), str(r.get("where", ""))))
    return out
