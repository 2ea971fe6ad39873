"""The orchestrator: spec -> outcomes -> measures -> payments -> cash -> result.

Simulations run in chunks so memory stays bounded. Random numbers come from
fixed-size blocks of simulations, each block with its own generator seeded from
``SeedSequence(seed, spawn_key=(block,))``; a chunk is a whole number of blocks.
So simulation i's numbers depend on the seed and i only: never on the chunk
size, and a run of n simulations is the first n of any longer run.
"""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np

from ._version import __version__
from .errors import InputError
from .finance import cash_figures, monthly_costs
from .measure import evaluate
from .outcomes import ExpectedSampler, Sampler, simulate_outcomes, tree_map
from .payments import PaymentInputs, pay_all
from .results import SimulationResult, build_result, chunk_record
from .spec import LoadedSpec
from .spec.schema import ContractSpec
from .timeline import Timeline

BLOCK = 1024            # simulations per random-number block (fixed: part of the numbers)
DEFAULT_CHUNK = 8192    # simulations per chunk of work (free: changes no number)
DEFAULT_SEED = 20150201
MAX_SIMS = 10_000_000

Progress = Callable[[int, int], None]


def _block_rng(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def check_run_args(sims, seed, chunk_size, names: dict[str, str] | None = None) -> None:
    """Raise ``InputError`` listing every run argument out of range (whole numbers only).

    ``names`` renames the arguments in the messages (the CLI passes its flags).
    """
    label = (names or {}).get
    problems = []
    if isinstance(sims, bool) or not isinstance(sims, (int, np.integer)) \
            or not 1 <= sims <= MAX_SIMS:
        problems.append(f"{label('sims', 'sims')}: must be from 1 to {MAX_SIMS:,} (got {sims!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        problems.append(f"{label('seed', 'seed')}: must be from 0 to 2**63 - 1 (got {seed!r})")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        problems.append(f"{label('chunk_size', 'chunk_size')}: must be 1 or more "
                        f"(got {chunk_size!r})")
    if problems:
        raise InputError(problems)


def check_volume_shock(shock, name: str = "volume_shock") -> None:
    """Raise ``InputError`` unless ``shock`` is a share from 0 up to (not including) 1."""
    if isinstance(shock, bool) or not isinstance(shock, (int, float, np.number)) \
            or not 0 <= shock < 1:
        raise InputError(f"{name}: must be a share from 0 to below 1, e.g. 0.3 for 30% fewer "
                         f"entrants (got {shock!r})")


def shock_volumes(spec: ContractSpec, shock: float) -> ContractSpec:
    """The spec with expected entrants cut by ``shock`` (a share); nothing else changes, so
    fixed costs and the annual fee stay as planned while per-person flows fall."""
    if shock == 0:
        return spec
    e = spec.cohorts.entrants_per_period
    cut = [x * (1 - shock) for x in e] if isinstance(e, list) else e * (1 - shock)
    return spec.model_copy(update={"cohorts": spec.cohorts.model_copy(
        update={"entrants_per_period": cut})})


def simulate(
    spec: ContractSpec | LoadedSpec,
    sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    sampling: Literal["random", "expected"] = "random",
    volume_shock: float = 0.0,
    progress: Progress | None = None,
) -> SimulationResult:
    """Monte Carlo simulate a contract.

    Parameters
    ----------
    spec : a validated spec (``load_spec(...)`` or a ``ContractSpec``)
    sims : number of simulations
    seed : seed of the random numbers; with the spec and package version it fixes every number
    chunk_size : simulations processed at once (rounded up to a multiple of 1,024); bounds
        memory and changes no result
    sampling : ``"random"``, or ``"expected"`` to replace every draw by its expected value
        (a noise-free run: volumes, effects and trend at their means, counts at expectations)
    volume_shock : stress test: expected entrants fall by this share (0.3 = 30% fewer) on
        top of the random volume factor; the cost base and the annual fee stay as planned
    progress : called as ``progress(done, total)`` after each chunk

    Returns
    -------
    SimulationResult
    """
    loaded = LoadedSpec.of(spec)
    check_run_args(sims, seed, chunk_size)
    check_volume_shock(volume_shock)
    model = shock_volumes(loaded.spec, volume_shock)
    timeline = Timeline.from_spec(model)
    if sampling == "expected":
        parts = [_finish(model, timeline, simulate_outcomes(model, ExpectedSampler(), sims))]
        if progress:
            progress(sims, sims)
    elif sampling == "random":
        parts = []
        for blocks, keep in chunks(sims, chunk_size):
            parts.append(run_blocks(model, timeline, [(_block_rng(seed, b), None) for b in blocks],
                                    keep))
            if progress:
                progress(blocks[0] * BLOCK + keep, sims)
    else:
        raise InputError(f"sampling: must be 'random' or 'expected' (got {sampling!r})")
    return build_result(
        parts,
        spec=loaded.spec,
        volume_shock=float(volume_shock),
        spec_sha256=loaded.sha256,
        source=loaded.source,
        seed=int(seed),
        sims=int(sims),
        sampling=sampling,
        version=__version__,
        timeline=timeline,
    )


def chunks(sims: int, chunk_size: int):
    """The chunks of a run: ``(blocks, keep)`` each, a range of whole random-number blocks
    and how many of their simulations to keep (all but in the last). Every block is drawn
    whole and the last one cut, so a run of n simulations is the first n of any longer run
    with the same seed, whatever the chunk size."""
    blocks_per_chunk = max(1, -(-chunk_size // BLOCK))
    n_blocks = -(-sims // BLOCK)
    for first in range(0, n_blocks, blocks_per_chunk):
        blocks = range(first, min(first + blocks_per_chunk, n_blocks))
        yield blocks, min(sims - first * BLOCK, len(blocks) * BLOCK)


def run_blocks(spec: ContractSpec, timeline: Timeline,
               blocks: list[tuple[np.random.Generator, tuple[np.ndarray, np.ndarray] | None]],
               keep: int) -> dict:
    """One chunk drawn from given generators: block ``i`` (``BLOCK`` simulations) from
    ``blocks[i] = (rng, trend)``, with that national trend (``None``: drawn from ``rng``
    as :func:`simulate` does); the blocks are joined and cut to the first ``keep``
    simulations, then measured, paid and costed. A chunk record for
    :func:`~pbr_model.results.build_result` (used by :mod:`pbr_model.portfolio`)."""
    draws = [simulate_outcomes(spec, Sampler(rng), BLOCK, trend=trend) for rng, trend in blocks]
    outcomes = tree_map(lambda *a: np.concatenate(a)[:keep], *draws)
    return _finish(spec, timeline, outcomes)


def _finish(spec: ContractSpec, timeline: Timeline, outcomes) -> dict:
    evaluation = evaluate(spec, outcomes)
    entrants = evaluation.n
    flows = pay_all(spec, PaymentInputs(timeline, entrants, evaluation))
    zeros = np.zeros((len(entrants), timeline.n_months))
    cash_in = sum((f.monthly for f in flows), zeros)
    outcome_in = sum((f.monthly for f in flows if f.kind == "outcome"), zeros)
    cash_out = monthly_costs(spec, timeline, entrants, outcomes.budget_takers)
    figures = cash_figures(cash_in, cash_out, spec.provider)
    return chunk_record(outcomes, evaluation, flows, cash_in, outcome_in, cash_out, figures,
                        spec.rule_measures())
