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

Within a block the draws come from two generators (common random numbers). The block's
generator gives the standard normals, of which a block always draws the same number whatever
the volumes: volume factors, period noise, true effects, national trend, matching bias. Its
counts generator (:func:`counts_rng`, spawn key ``(b, COUNTS)`` or ``(b, stream, COUNTS)``)
gives the counts (entrants, reoffenders, reoffences, takers, ...), whose draws use a
number of random numbers that depends on the counts. So a run with a volume shock draws
the same effects and factors, simulation by simulation, as the run without it at the same
seed: the difference between the two is the shock's, not Monte Carlo noise in the effects.
A third generator (:func:`before_rng`, spawn key extended by :data:`BEFORE`) gives the
national trend's pre-contract steps (``[[trend.before]]``), so adding or changing those
segments leaves every other draw of the block as it was.

numpy promises the same stream from the same bit generator and seed on the same
numpy build; results record the numpy version and platform for that reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Simulations per random-number block (fixed: changing it changes the numbers).
BLOCK = 1024

#: Last element of the spawn key of a block's counts generator (:func:`counts_rng`): far
#: above any block or portfolio stream number, so it is no other generator's key.
COUNTS = 2**32 - 1


#: Last element of the spawn key of a block's pre-contract trend generator (:func:`before_rng`).
BEFORE = 2**32 - 2


def block_rng(seed: int, block: int, stream: int | None = None) -> np.random.Generator:
    """The generator of ``block`` (and, in a portfolio, of ``stream`` within it)."""
    key = (block,) if stream is None else (block, stream)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def counts_rng(rng: np.random.Generator) -> np.random.Generator:
    """The counts generator of a block generator made by :func:`block_rng` (or any
    generator seeded by a ``SeedSequence``): PCG64 seeded by the same entropy with the
    spawn key extended by :data:`COUNTS`. A function of the seed and spawn key only, so it is
    the same however often it is asked for."""
    return _child(rng, COUNTS)


def before_rng(rng: np.random.Generator) -> np.random.Generator:
    """The pre-contract trend generator of a block generator, as :func:`counts_rng` but with
    the spawn key extended by :data:`BEFORE`."""
    return _child(rng, BEFORE)


def _child(rng: np.random.Generator, last: int) -> np.random.Generator:
    seq = rng.bit_generator.seed_seq
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, last),
                                   pool_size=seq.pool_size)
    return np.random.Generator(np.random.PCG64(child))


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
