"""Which way a streamed portfolio runs: its first simulations owner by owner, their plans
read from them (:func:`~pbr_model.analyses.portfolio_stream.by_owner`), or a plan pass of
their own and then the stream (:mod:`~pbr_model.analyses.portfolio_stream`).

Both give the same numbers (tested). The owner-by-owner pass draws nothing twice, but one
task per owner keeps the workers busy only where no owner holds much more than an even
share of the areas (:func:`balanced`), and each task holds its areas' months until their
plans are read (:func:`one_pass_held`, bounded by
:data:`pbr_model.memory.ONE_PASS_BYTES`); a volume shock needs the plan of the unshocked
contract, so it always takes the plan pass.
"""

from __future__ import annotations

from .. import memory
from ..engine import resolve_shocks
from ..errors import InputError
from ..rng import BLOCK
from ..spec.portfolio import LoadedPortfolio
from ..timeline import Timeline
from . import parties as _parties

#: Whether a streamed run without a volume shock draws its first simulations owner by owner
#: (:func:`owner_pass`), rather than a plan pass and then the stream: the same numbers
#: (tested); at most :data:`~pbr_model.analyses.parties.PLAN_SIMS` simulations,
#: about half the work; at 100,000, a tenth less.
ONE_PASS = True


def unshocked(volume_shock: float = 0.0, paid_volume_shock: float | None = None,
              caseload_shock: float | None = None) -> bool:
    """Whether a run with these shocks may read its plan from its own simulations (none
    is asked for and :data:`ONE_PASS` is on)."""
    try:
        shocks = resolve_shocks(volume_shock, paid_volume_shock, caseload_shock)
    except InputError:   # said by the run itself
        return False
    return ONE_PASS and shocks == (0.0, 0.0)


def owner_pass(portfolio: LoadedPortfolio, sims: int, workers: int = 1,
               volume_shock: float = 0.0, paid_volume_shock: float | None = None,
               caseload_shock: float | None = None) -> int:
    """How many of a streamed run's first simulations are drawn owner by owner
    (:func:`~pbr_model.analyses.portfolio_stream.by_owner`), their plans read from them,
    rather than in a plan pass of their own and the stream: :func:`head_sims` where there
    is no shock, the owners' tasks are :func:`balanced` against two passes and what they
    hold fits (:func:`one_pass_fits`); else 0. Above ``PLAN_SIMS`` the rest of the run is
    streamed after them with those plans: the plan pass (a tenth of a 100,000-simulation
    run) is not drawn."""
    if not (unshocked(volume_shock, paid_volume_shock, caseload_shock)
            and balanced(portfolio, workers, 2)):
        return 0
    head = head_sims(sims)
    return head if one_pass_fits(portfolio, head, workers) else 0


def balanced(portfolio: LoadedPortfolio, workers: int, slack: int = 1) -> bool:
    """Whether one task per owner keeps ``workers`` busy: the owner with most areas holds at
    most ``slack`` times an even share of them. A one-pass run
    (:func:`~pbr_model.analyses.portfolio_stream.by_owner`) takes as long as its largest
    owner's task or an even share of the work, whichever is longer; a plan pass and a
    stream take about two even shares (so ``slack=2`` compares with those); a kept run an
    even share plus the owners' and areas' capital read after it in one process
    (``slack=1``, conservatively). tr-national (largest owner 6 of 21 areas) is balanced
    on up to 3 workers against a kept run and 7 against two passes; a one-owner portfolio
    on 1 and 2."""
    largest = max(len(o.areas) for o in portfolio.owners)
    return largest * workers <= slack * len(portfolio.areas)


def one_pass_held(portfolio: LoadedPortfolio, sims: int, workers: int = 1) -> int:
    """What a one-pass run of ``sims`` on ``workers`` holds at once [bytes]
    (:func:`pbr_model.memory.one_pass_bytes`)."""
    return memory.one_pass_bytes([[Timeline.from_spec(portfolio.areas[i].spec.spec)
                                   for i in o.areas] for o in portfolio.owners], sims, workers)


def one_pass_fits(portfolio: LoadedPortfolio, sims: int, workers: int = 1) -> bool:
    """Whether that is within :data:`pbr_model.memory.ONE_PASS_BYTES` (else the run reads
    its plan in a pass of its own, holding nothing between chunks)."""
    return one_pass_held(portfolio, sims, workers) <= memory.ONE_PASS_BYTES


def head_sims(sims: int) -> int:
    """How many of a run's first simulations an owner-by-owner pass draws: all of them up to
    ``PLAN_SIMS`` (:mod:`~pbr_model.analyses.portfolio_stream`); above it the whole
    random-number blocks that hold the first ``PLAN_SIMS`` (10,240), the rest streamed after
    with the plans read there."""
    return min(sims, -(-_parties.PLAN_SIMS // BLOCK) * BLOCK)
