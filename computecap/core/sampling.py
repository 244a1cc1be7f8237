"""The one seeded, chunked Monte Carlo loop every engine runs.

Samples are drawn in chunks whose arrays stay within a fixed element budget, each chunk
from its own child of ``SeedSequence(seed)``: the same seed gives the same answer, and
memory is bounded by the budget, not by the sample count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from computecap.errors import InputError
from computecap.uncertainty import Summariser, chunk_sizes

#: The default number of Monte Carlo samples, for the library and the CLI alike.
DEFAULT_SAMPLES = 10_000
#: The most samples one call may ask for (time, not memory, is the limit: chunks bound memory).
MAX_SAMPLES = 100_000_000


def check_sampling(samples: object, seed: object) -> None:
    """Refuse a sample count outside 1..MAX_SAMPLES or a negative seed (InputError naming the argument)."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError(f"samples: expected a positive integer, got {samples!r}")
    if samples > MAX_SAMPLES:
        raise InputError(f"samples: expected at most {MAX_SAMPLES:,}, got {samples:,}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")


#: Values one block of a wide problem may hold (16 MiB of float64: small enough for the allocator
#: to reuse, where larger arrays are mapped and faulted in afresh every time).
BLOCK_ELEMENTS = 1 << 21
#: The smallest block [samples].
BLOCK_MIN = 128
#: The most values kept draws may hold (8 bytes each: 1 GiB).
MAX_KEPT = 1 << 27


def monte_carlo(samples: int, seed: int, rows: int, draw: Callable[..., np.ndarray],
                progress: Callable[[int], None] | None = None,
                keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Run ``draw(rng, size) -> (n_series, size)`` over seeded chunks.

    Returns (4, n_series) p5, p50, p95, mean and, when ``keep`` names series indices, their draws
    (len(keep), samples) in sample order (the same seed gives the same draws: common random
    numbers for paired comparisons). ``rows`` is the number of values one sample needs at its
    widest step: it sets the chunk size (percentiles are exact within a chunk) and, for wide
    problems, the block size: a chunk is then drawn in consecutive blocks from the chunk's
    generator into one buffer, so temporaries stay small (and reused) however wide the problem.
    """
    check_sampling(samples, seed)
    kept = None
    if keep is not None:
        if len(keep) * samples > MAX_KEPT:
            raise InputError(f"samples: keeping {len(keep):,} series x {samples:,} draws exceeds the "
                             f"{MAX_KEPT:,}-value budget; ask for fewer samples or companies")
        kept = np.empty((len(keep), samples))
    sizes = chunk_sizes(samples, rows)
    block = max(BLOCK_MIN, BLOCK_ELEMENTS // max(rows, 1))
    summ = Summariser()
    buffer: np.ndarray | None = None
    done = 0
    for size, child in zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes))):
        rng = np.random.default_rng(child)
        if size <= block:
            chunk = draw(rng, size)
        else:
            for start in range(0, size, block):
                part = draw(rng, min(block, size - start))
                if buffer is None or buffer.shape[1] < size:
                    buffer = np.empty((part.shape[0], size))
                buffer[:, start:start + part.shape[1]] = part
            assert buffer is not None
            chunk = buffer[:, :size]
        if kept is not None and keep is not None:
            kept[:, done:done + size] = chunk[keep]
        summ.add(chunk)
        done += size
        if progress is not None:
            progress(size)
    return summ.result(), kept
