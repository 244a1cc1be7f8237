"""Serving roofline: decode is bandwidth-bound, so the H20 serves nearly as fast as the H200."""

from __future__ import annotations

import pytest

import computecap
from computecap.core import fixed_cluster
from computecap.errors import InputError
from computecap.inference import kv_bytes_per_token, serve


def test_kv_bytes_llama_70b() -> None:
    # 2 (K,V) x 80 layers x 8 KV heads x 128 head dim x 2 bytes = 327,680 B per token
    assert kv_bytes_per_token(computecap.model_preset("llama-3.1-70b"), 2).m_as("B") == 327_680


def test_kv_bytes_mla() -> None:
    # DeepSeek-V3 MLA: 61 layers x 576 cached values x 2 bytes
    assert kv_bytes_per_token(computecap.model_preset("deepseek-v3"), 2).m_as("B") == 61 * 576 * 2


def test_decode_at_batch_1_is_bandwidth_over_weight_bytes() -> None:
    p = computecap.model_preset("llama-3.1-8b")
    r = serve(p, fixed_cluster(computecap.chip("H200"), 1), batch=1, context=1)
    # one replica of 1 chip: tokens/s = 4.8e12 B/s / (8.03e9 x 2 B + tiny KV)
    kv = kv_bytes_per_token(p, 2).m_as("B")
    assert r.decode_per_chip.m_as("1/s") == pytest.approx(4.8e12 / (8.03e9 * 2 + kv), rel=1e-9)
    assert r.decode_bound == "memory bandwidth"


def test_h20_vs_h200_decode_tracks_bandwidth_not_flops() -> None:
    p = computecap.model_preset("llama-3.1-70b")
    h20 = serve(p, fixed_cluster(computecap.chip("H20"), 1), batch=8, context=4096)
    h200 = serve(p, fixed_cluster(computecap.chip("H200"), 1), batch=8, context=4096)
    ratio = h20.decode_per_chip.m_as("1/s") / h200.decode_per_chip.m_as("1/s")
    assert ratio == pytest.approx(4.0 / 4.8, rel=1e-9)   # bandwidth ratio, not 148 / 989.5
    assert h20.replica_chips == h200.replica_chips == 2
    assert h200.prefill_per_chip > h20.prefill_per_chip * 5   # prefill is compute-bound


def test_memory_fit_sets_replica_size() -> None:
    r = serve(computecap.model_preset("llama-3.1-405b"), fixed_cluster(computecap.chip("H20"), 64), batch=1, context=1)
    assert r.replica_chips == 9  # 405.85e9 x 2 B = 811.7 GB over 96 GB chips


def test_flop_only_preset_is_refused() -> None:
    with pytest.raises(InputError, match="FLOP-only"):
        serve(computecap.model_preset("gpt-4-scale"), fixed_cluster(computecap.chip("H200"), 1))


def test_zero_samples_is_refused() -> None:
    with pytest.raises(InputError, match="samples: expected a positive integer"):
        serve(computecap.model_preset("llama-3.1-8b"), fixed_cluster(computecap.chip("H20"), 1), samples=0)
