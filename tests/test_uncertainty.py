"""Sampling primitives: inverse CDFs against closed forms, percentiles against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from computecap.uncertainty import Distribution, Summariser, _norm_ppf, from_uniform, percentiles_inplace


def test_norm_ppf_against_known_quantiles() -> None:
    u = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    expected = [-3.090232306, -1.644853627, 0.0, 1.644853627, 3.090232306]  # standard normal table
    assert _norm_ppf(u) == pytest.approx(expected, abs=1e-8)


def test_lognormal_interval_is_the_5th_and_95th_percentile() -> None:
    u = np.array([0.05, 0.5, 0.95])
    assert from_uniform(u, 0.25, 0.35, 0.5, "lognormal") == pytest.approx([0.25, np.sqrt(0.125), 0.5], rel=1e-8)


def test_triangular_inverse_cdf() -> None:
    # triangular(0, 1, 4): F(1) = 1/4; median at 4 - sqrt(0.5 x 4 x 3)
    u = np.array([0.0, 0.25, 0.5, 1.0])
    assert from_uniform(u, 0, 1, 4, "triangular") == pytest.approx([0, 1, 4 - np.sqrt(6), 4])


def test_uniform_and_fixed() -> None:
    u = np.array([0.0, 0.5, 1.0])
    assert from_uniform(u, 2, 3, 6, "uniform") == pytest.approx([2, 4, 6])
    assert Distribution.point(7).sample(u) == pytest.approx([7, 7, 7])


def test_percentiles_match_numpy() -> None:
    a = np.random.default_rng(0).lognormal(size=(5, 1001))
    expected = np.percentile(a, [5, 50, 95], axis=1)
    assert percentiles_inplace(a.copy(), (5.0, 50.0, 95.0)) == pytest.approx(expected, rel=1e-12)


def test_summariser_merges_chunks() -> None:
    rng = np.random.default_rng(1)
    s = Summariser()
    for _ in range(4):
        s.add(rng.uniform(0, 1, size=(1, 100_000)))
    p5, p50, p95, mean = s.result()[:, 0]
    assert (p5, p50, p95, mean) == pytest.approx((0.05, 0.5, 0.95, 0.5), abs=0.005)
