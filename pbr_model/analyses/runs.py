"""A contract run in chunks, for the analyses that read only part of it: its checked
arguments and shocked spec (:func:`prepared`), each chunk's record in order
(:func:`chunk_records`; :func:`~pbr_model.analyses.simulate.simulate` folds them into its
result), the columns a run at no effect is read for
(:func:`sim_columns_at_no_effect`), a bond's investors over a run's rows
(:func:`sib_investors`), and one dataclass from its row chunks (:func:`join_parts`)."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from ..approx import check_draws
from ..errors import InputError
from ..engine import DEFAULT_CHUNK, check_run_args, contract_chunk, resolve_shocks
from ..finance.investors import InvestorFigures
from ..finance.sib import run_sib, settled_early
from ..parallel import chunk_for, ordered_results
from ..rng import BLOCK, chunks
from ..scenarios import shock_volumes, with_effect
from ..spec.schema import ContractSpec
from ..timeline import Timeline

if TYPE_CHECKING:
    from .simulate import SimulationResult

#: Called as ``progress(done, total)`` after each chunk of work.
Progress = Callable[[int, int], None]


def prepared(spec: ContractSpec, sims: int, seed: int, chunk_size: int, draws: str,
             volume_shock=0.0, paid_volume_shock=None, caseload_shock=None
             ) -> tuple[ContractSpec, Timeline, tuple[float, float]]:
    """Check a run's arguments (``InputError`` naming each one out of range); the spec
    with its volumes shocked, its calendar and the ``(paid, caseload)`` shocks."""
    check_run_args(sims, seed, chunk_size)
    check_draws(draws)
    shocks = resolve_shocks(volume_shock, paid_volume_shock, caseload_shock)
    model = shock_volumes(spec, *shocks)
    return model, Timeline.from_spec(model), shocks


def chunk_records(model: ContractSpec, timeline: Timeline, sims: int, seed: int, *,
                  chunk_size: int = DEFAULT_CHUNK, executor: Executor | None = None,
                  draws: str = "exact", reduce=None, columns: str = "all",
                  progress: Progress | None = None) -> Iterator[dict]:
    """Each chunk's record of a random run of ``model`` (volumes already shocked), in
    order: its ``columns`` (:func:`pbr_model.engine.finish`), through ``reduce`` when given,
    run on ``executor``; ``progress(done, sims)`` after each."""
    cut = list(chunks(sims, chunk_for(executor, sims, chunk_size)))
    tasks = [(model, timeline, seed, blocks, keep, reduce, draws, columns)
             for blocks, keep in cut]
    for (blocks, keep), part in zip(cut, ordered_results(contract_chunk, tasks, executor)):
        yield part
        if progress:
            progress(blocks[0] * BLOCK + keep, sims)


def sim_columns_at_no_effect(spec: ContractSpec, sims: int, seed: int, *,
                             chunk_size: int = DEFAULT_CHUNK, volume_shock: float = 0.0,
                             paid_volume_shock: float | None = None,
                             caseload_shock: float | None = None,
                             executor: Executor | None = None, draws: str = "exact",
                             progress: Progress | None = None) -> dict[str, np.ndarray]:
    """The per-simulation columns a run at no effect is read for (``outcome``, ``triggered``
    and the payers' columns), exactly those of ``simulate(with_effect(spec, 0.0), ...)``
    on the same arguments, without the rest of its record (no monthly cash, cash figures
    or measured rates are kept or computed); ``progress(done, sims)`` after each chunk."""
    model, timeline, _ = prepared(with_effect(spec, 0.0), sims, seed, chunk_size, draws,
                                  volume_shock, paid_volume_shock, caseload_shock)
    parts = list(chunk_records(model, timeline, sims, seed,
                               chunk_size=chunk_size, executor=executor, draws=draws,
                               columns="noise", progress=progress))
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    joined["triggered"] = joined.pop("any_triggered")
    return joined


def sib_investors(result: SimulationResult, chunk_size: int = DEFAULT_CHUNK
                  ) -> list[InvestorFigures]:
    """Each ``[sib]`` tranche's figures per simulation, the bond funding the contract's own
    cash flows (as ``pbr capital`` does for the spec's prime), in row chunks (of the
    arrays kept in memory or spooled, or as a streamed run worked them out in its chunks:
    ``simulate(..., investors=True)``); empty without a ``[sib]``."""
    sib_spec = result.spec.sib
    if sib_spec is None:
        return []
    if result.investors is not None:     # worked out in the chunks of a streamed run
        return result.investors
    if result.summary_only:
        result.needs_detail("the investors' returns of each simulation")
    if not result.detail and result.spool is None:   # streamed, with neither
        raise InputError(
            f"the investors' returns of each simulation: this run of {result.sims:,} "
            "simulations was streamed and kept no monthly cash to work them out from; run "
            "it with simulate(..., investors=True) (pbr simulate asks for it with --xlsx "
            "or --html), or with spool=FOLDER")
    result.needs_tables("the investors' returns of each simulation")
    parts: list[list[InvestorFigures]] = [[] for _ in sib_spec.tranches]
    stopped = settled_early(result.spec.termination, result.sim_columns.get("termination_month"))
    for start in range(0, result.sims, chunk_size):
        stop = min(start + chunk_size, result.sims)
        for k, f in enumerate(run_sib(sib_spec, result.rows("cash_in", start, stop),
                                      result.rows("cash_out", start, stop),
                                      None if stopped is None else stopped[start:stop]
                                      ).figures()):
            parts[k].append(f)
    return [join_parts(p) for p in parts]


def join_parts(parts: list):
    """One dataclass of per-simulation arrays from its row chunks, in order."""
    first = parts[0]
    joined = {}
    for name in first.__dataclass_fields__:
        value = getattr(first, name)
        if isinstance(value, np.ndarray):
            joined[name] = np.concatenate([getattr(p, name) for p in parts])
        elif isinstance(value, dict):
            joined[name] = {k: np.concatenate([getattr(p, name)[k] for p in parts])
                            for k in value}
        else:
            joined[name] = value
    return type(first)(**joined)
