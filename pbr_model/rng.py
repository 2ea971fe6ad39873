"""The one place a seed becomes random-number generators.

Simulations are drawn in fixed blocks of :data:`BLOCK`; block ``b`` of a run with
seed ``s`` draws from its own generator, PCG64 seeded by
``SeedSequence(s, spawn_key=(b,))`` for a single contract, or
``SeedSequence(s, spawn_key=(b, stream))`` for a portfolio (stream 0 what the areas
share: the national trend, then the national volume and owner effect normals; stream
``k + 1`` area ``k``'s own draws). A chunk of work is a whole
number of blocks, so simulation ``i``'s numbers depend on the seed, the spec and
``i`` only: never on the chunk size, the number of workers or which process drew
them, and a run of n simulations is the first n of any longer run.

numpy promises the same stream from the same bit generator and seed on the same
numpy build; results record the numpy version and platform for that reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Simulations per random-number block (fixed: changing it changes the numbers).
BLOCK = 1024


def block_rng(seed: int, block: int, stream: int | None = None) -> np.random.Generator:
    """The generator of ``block`` (and, in a portfolio, of ``stream`` within it)."""
    key = (block,) if stream is None else (block, stream)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def chunks(sims: int, chunk_size: int) -> Iterator[tuple[range, int]]:
    """The chunks of a run: ``(blocks, keep)`` each, a range of whole random-number blocks
    and how many of their simulations to keep (all but in the last). Every block is drawn
    whole and the last one cut, so a run of n simulations is the first n of any longer run
    with the same seed, whatever the chunk size."""
    blocks_per_chunk = max(1, -(-chunk_size // BLOCK))
    n_blocks = -(-sims // BLOCK)
    for first in range(0, n_blocks, blocks_per_chunk):
        blocks = range(first, min(first + blocks_per_chunk, n_blocks))
        yield blocks, min(sims - first * BLOCK, len(blocks) * BLOCK)
