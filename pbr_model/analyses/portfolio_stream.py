"""A portfolio's areas streamed into its owners' figures, a chunk at a time.

A portfolio too large to keep every area's monthly arrays (:mod:`~pbr_model.analyses.stream`)
is run as tasks of whole random-number blocks, each over **every** area (they share the
block's national draws). A task draws each area, splits its cash between the owner's seat
and any supply chain, reads the owner's capital figures in that area alone, adds the
area's flows into each owner's combined flows, reads each owner's figures, and sends back
only per-simulation figures, sketches of the owners' monthly balances (of each area's alone,
its mean) and the owners' net flows (the facility is sized on them). Memory then grows by a few hundred bytes per simulation
and area, not by the monthly arrays.

**The plan** (each area's expected fee and outcome income, :func:`~pbr_model.analyses.parties.plan`)
prices what a seat does not carry, so it is needed before the first chunk is split. It is
read from the first ``min(sims, PLAN_SIMS)`` simulations
(:data:`~pbr_model.analyses.parties.PLAN_SIMS`) of the portfolio *without* a volume shock,
on the same seed, keeping only the plan's sums (the monthly sums added row by
row in simulation order, as :func:`~pbr_model.stats.leading_sum` does): the plan a run with
detail reads from its own simulations, so both give the same figures per simulation.
Without a shock those simulations are the run's own, and the blocks holding them are drawn
owner by owner (:func:`by_owner`), each task reading its areas' plans from them before it
splits their chunks; the rest of a longer run is then streamed with those plans
(:func:`chunks_after`). Under a shock, or where one task per owner would not keep the
workers busy or would hold too much (:mod:`~pbr_model.analyses.passes`), the plan is read
in a pass of its own (:func:`plans`) and the whole run streamed after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..engine import run_blocks
from ..finance.capital import capital_read, facility_summary
from ..finance.parties import ContractFlows, Plan, Seat, chain_flows
from ..outcomes import Sampler
from ..parallel import ordered_results
from ..stopping import stop_point
from ..rng import BLOCK, block_rng, chunks
from ..spec.portfolio import LoadedPortfolio
from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import HasProvenance, Provenance, frame
from . import parties as _parties
from .stream import sketch_of


#: What a streamed portfolio keeps of each area's own simulation, per simulation.
AREA_COLUMNS = ("fee", "outcome")


@dataclass(frozen=True)
class AreaRun(HasProvenance):
    """What a streamed portfolio keeps of an area's own simulation: how it was run, its
    spec and calendar, and per simulation the commissioner's fee and outcome payments
    (``sim_columns``, :data:`AREA_COLUMNS`; ``simulations`` as a table). Its owner's
    figures in the area are in :attr:`AreaResult.party <pbr_model.analyses.owners.AreaResult>`."""

    provenance: Provenance
    spec: ContractSpec
    timeline: Timeline
    sim_columns: dict = field(repr=False)
    detail = False

    @cached_property
    def simulations(self):
        """The kept columns as a table (index ``sim``)."""
        return frame(self.sim_columns, index_name="sim",
                     units=dict.fromkeys(AREA_COLUMNS, "currency"))


@dataclass(frozen=True)
class Job:
    """What every task of a streamed portfolio needs (picklable: it travels with the task)."""

    portfolio: LoadedPortfolio
    models: list[ContractSpec]
    timelines: list[Timeline]
    seed: int
    seats: list[list[Seat]] | None = None     # per area: the owner's seat, then the chain
    plans: list[Plan] | None = None
    draws: str = "exact"
    #: Sketch no balance (a run that keeps its figures only: nothing reads the areas' and
    #: owners' monthly balances).
    summary_only: bool = False


def draw_areas(job: Job, blocks: range, keep: int, light: bool = False,
               only: list[int] | None = None):
    """Each area's chunk record for ``blocks`` (the national draws shared), in area order;
    ``light``: only the money (:data:`~pbr_model.engine.LIGHT_COLUMNS`); ``only``: just
    these areas (by index, in area order)."""
    from .portfolio import draw_national
    national = [draw_national(Sampler(block_rng(job.seed, b, 0)), job.portfolio, BLOCK)
                for b in blocks]
    for k, (model, timeline) in enumerate(zip(job.models, job.timelines)):
        if only is not None and k not in only:
            continue
        n = model.contract.cohorts
        owner = job.portfolio.areas[k].owner
        given = [(block_rng(job.seed, b, k + 1), (t_logit[:, :n], t_freq[:, :n]), shared[owner])
                 for b, ((t_logit, t_freq), shared) in zip(blocks, national)]
        yield run_blocks(model, timeline, given, keep, job.draws, "light" if light else "all")


def plan_columns(record: dict, timeline: Timeline) -> dict:
    """What a plan is read from in one chunk's (light) record: fee, outcome and entrants per
    simulation, and the monthly fee and starters per simulation ``(n, n_months)``."""
    return {"fee": record["fee"], "outcome": record["outcome"],
            "entrants": record["entrants"].sum(1),
            "fee_by_month": record["cash_in"] - record["outcome_in"],
            "starters": timeline.in_arrears(record["entrants"])}


def plan_task(job: Job, blocks: range, keep: int) -> list[dict]:
    """Per area, :func:`plan_columns` of one chunk."""
    return [plan_columns(record, timeline)
            for record, timeline in zip(draw_areas(job, blocks, keep, light=True), job.timelines)]


class PlanFold:
    """An area's plan read chunk by chunk (:meth:`add` each chunk's :func:`plan_columns`
    in order, then :meth:`plan`): means over the simulations, the monthly sums added row
    by row in order, so only one row of each is held between chunks."""

    def __init__(self) -> None:
        self.columns: dict[str, list[np.ndarray]] = {"fee": [], "outcome": [], "entrants": []}
        self.sums: dict[str, np.ndarray] = {}

    def add(self, columns: dict) -> None:
        for name, value in columns.items():
            if name in ("fee_by_month", "starters"):   # added row by row, in order
                start = self.sums.get(name, np.zeros(value.shape[1]))
                self.sums[name] = np.cumsum(np.vstack([start[None], value]), axis=0)[-1]
            else:
                self.columns[name].append(value)

    def plan(self, n: int) -> Plan:
        """The plan of the ``n`` simulations added."""
        mean = {k: float(np.concatenate(v).mean()) for k, v in self.columns.items()}
        return Plan(fee=mean["fee"], outcome=mean["outcome"], entrants=mean["entrants"],
                    fee_by_month=self.sums["fee_by_month"] / n,
                    starters_by_month=self.sums["starters"] / n)


def plans(job: Job, sims: int, chunk_size: int, executor=None) -> list[Plan]:
    """Each area's plan from the first ``min(sims, PLAN_SIMS)`` simulations (see the module)."""
    n = min(sims, _parties.PLAN_SIMS)
    tasks = [(job, blocks, keep) for blocks, keep in chunks(n, chunk_size)]
    folds = [PlanFold() for _ in job.models]
    for part in ordered_results(plan_task, tasks, executor):
        for fold, p in zip(folds, part):
            fold.add(p)
    return [fold.plan(n) for fold in folds]


def area_part(job: Job, k: int, record: dict, plan: Plan):
    """Area ``k``'s share of one chunk: its columns, the owner's figures and balance
    sketch in the area alone, and the owner's flows there (to add into the owner's)."""
    timeline = job.timelines[k]
    flows = ContractFlows(fee=record["cash_in"] - record["outcome_in"],
                          outcome=record["outcome_in"], cost=record["cash_out"],
                          starters=timeline.in_arrears(record["entrants"]))
    seats = job.seats[k]
    owner_flows = chain_flows(seats[0], seats[1:], flows, plan)[0]
    figures, balance = capital_read(owner_flows.income, owner_flows.cash_out, seats[0].profile)
    # an area's monthly balance: its mean only (no report shows an area's percentiles)
    return ({"record": {c: record[c] for c in AREA_COLUMNS}, "figures": figures,
             "balance": None if job.summary_only else sketch_of(balance, histogram=False)},
            owner_flows)


def add_flows(combined: dict | None, flows, keep: int, n_months: int) -> dict:
    """``combined`` (an owner's flows in one chunk so far; None: none yet) with an area's
    ``flows`` added: summed area by area in area order, as owners.combine sums them."""
    if combined is None:
        combined = {name: np.zeros((keep, n_months))
                    for name in ("income", "direct_cost", "overheads")}
    m = flows.income.shape[1]
    for name in combined:
        combined[name][:, :m] += getattr(flows, name)
    return combined


def owner_part(profile, combined: dict, blocks: range, keep: int, sketch: bool = True) -> dict:
    """An owner's share of one chunk from its ``combined`` flows: its figures, its balance
    sketch (None unless ``sketch``) and the net flows of the rows its facility is sized
    on."""
    income, cost = combined["income"], combined["direct_cost"] + combined["overheads"]
    figures, balance = capital_read(income, cost, profile)
    first = max(0, min(keep, _parties.PLAN_SIMS - blocks[0] * BLOCK))   # the facility's rows
    return {"figures": figures, "balance": sketch_of(balance) if sketch else None,
            "net_flow": (income - cost)[:first]}


def stream_task(job: Job, blocks: range, keep: int) -> dict:
    """One chunk of a streamed portfolio, reduced (see the module)."""
    owners = job.portfolio.owners
    n_months = [max(job.timelines[i].n_months for i in o.areas) for o in owners]
    combined: list[dict | None] = [None] * len(owners)
    areas = []
    for k, record in enumerate(draw_areas(job, blocks, keep, light=True)):
        part, owner_flows = area_part(job, k, record, job.plans[k])
        areas.append(part)
        # here as they come, so a chunk holds one sum per owner, not every area's flows
        o = job.portfolio.areas[k].owner
        combined[o] = add_flows(combined[o], owner_flows, keep, n_months[o])
    return {"areas": areas,
            "owners": [owner_part(owner.profile, c, blocks, keep, not job.summary_only)
                       for owner, c in zip(owners, combined)]}


def owner_task(job: Job, o: int, sims: int, chunk_size: int, tick=None,
               plan_sims: int | None = None) -> dict:
    """Owner ``o``'s areas over the first ``sims`` simulations of a run with no volume
    shock, in one pass: each area drawn chunk by chunk (its light records held until its
    plan is known: :func:`pbr_model.memory.one_pass_bytes`), its plan read from its first
    ``plan_sims`` simulations (default ``sims``; at most
    :data:`~pbr_model.analyses.parties.PLAN_SIMS`: the numbers
    :func:`plans` reads from a first pass), then each chunk split and reduced as
    :func:`stream_task` does and folded in chunk order, as :func:`streamed
    <pbr_model.analyses.portfolio.streamed>` folds the parts of a stream. Returns each
    area's and the owner's folded part (``{"areas": {k: part}, "owner": part}``), the
    owner's facility, sized here on its net flows (``"facility"``), and its areas' plans
    (``"plans"``, for the simulations a stream draws after these). ``tick()`` is called
    after each area's chunk is drawn (progress, in one process)."""
    from .runs import join_parts
    plan_sims = sims if plan_sims is None else plan_sims
    if not 0 < plan_sims <= min(sims, _parties.PLAN_SIMS):
        raise ValueError(f"one pass reads the plan from the run's own simulations: at most "
                         f"{_parties.PLAN_SIMS:,} of its {sims:,} (got {plan_sims:,})")
    owner = job.portfolio.owners[o]
    mine = sorted(owner.areas)
    runs = list(chunks(sims, chunk_size))
    records: dict[int, list[dict]] = {k: [] for k in mine}
    folds = {k: PlanFold() for k in mine}
    for blocks, keep in runs:
        planned = max(0, min(keep, plan_sims - blocks[0] * BLOCK))   # rows the plan reads
        for k, record in zip(mine, draw_areas(job, blocks, keep, light=True, only=mine)):
            records[k].append(record)   # (each area's chunk is drawn past a stop point)
            if planned:
                columns = plan_columns(record, job.timelines[k])
                folds[k].add({name: v[:planned] for name, v in columns.items()})
            if tick is not None:
                tick()
    area_plans = {k: folds[k].plan(plan_sims) for k in mine}
    n_months = max(job.timelines[k].n_months for k in mine)
    areas: dict[int, list[dict]] = {k: [] for k in mine}
    parts = []
    for c, (blocks, keep) in enumerate(runs):
        combined = None
        for k in mine:
            stop_point()   # nothing is drawn here: a stopped run's thread gives up
            part, owner_flows = area_part(job, k, records[k][c], area_plans[k])
            records[k][c] = None   # this chunk's months are done with
            areas[k].append(part)
            combined = add_flows(combined, owner_flows, keep, n_months)
        parts.append(owner_part(owner.profile, combined, blocks, keep, not job.summary_only))

    def folded(chunk_parts: list[dict]) -> dict:
        """One part of a run's chunk parts: columns and figures joined, sketches merged, in
        chunk order (what streamed() would make of them one by one)."""
        balance = chunk_parts[0]["balance"]
        for later in chunk_parts[1:] if balance is not None else ():
            balance.merge(later["balance"])
        out = {"figures": join_parts([p["figures"] for p in chunk_parts]), "balance": balance}
        if "record" in chunk_parts[0]:
            out["record"] = {c: np.concatenate([p["record"][c] for p in chunk_parts])
                             for c in AREA_COLUMNS}
        if "net_flow" in chunk_parts[0]:
            out["net_flow"] = np.concatenate([p["net_flow"] for p in chunk_parts])
        return out

    mine_folded = folded(parts)
    return {"areas": {k: folded(areas[k]) for k in mine}, "owner": mine_folded,
            "facility": facility_summary(mine_folded["net_flow"], owner.profile),
            "plans": area_plans}


def by_owner(job: Job, sims: int, chunk_size: int, executor=None, progress=None,
             plan_sims: int | None = None) -> tuple[list[dict], list[dict], list[Plan]]:
    """The parts :func:`~pbr_model.analyses.portfolio.streamed` folds for the first ``sims``
    simulations (one, already folded: the chunks were folded in each task, in order), made
    owner by owner (:func:`owner_task`, plans read from the first ``plan_sims``; the owners
    with most areas first, so two workers finish together), each owner's facility and each
    area's plan. ``progress(done, total)`` after each area's chunk in one process, after
    each owner's task with an executor."""
    owners = job.portfolio.owners
    order = sorted(range(len(owners)), key=lambda o: -len(owners[o].areas))
    n_chunks = len(list(chunks(sims, chunk_size)))
    total, done_units = len(job.models) * n_chunks, 0

    def advance(units: int) -> None:
        nonlocal done_units
        done_units += units
        if progress:
            progress(sims * done_units // total, sims)

    tick = (lambda: advance(1)) if executor is None and progress else None
    done: dict[int, dict] = {}
    for o, result in zip(order, ordered_results(
            owner_task, [(job, o, sims, chunk_size, tick, plan_sims) for o in order],
            executor)):
        done[o] = result
        if tick is None:
            advance(len(owners[o].areas) * n_chunks)
    part = {"areas": [done[a.owner]["areas"][k] for k, a in enumerate(job.portfolio.areas)],
            "owners": [done[o]["owner"] for o in range(len(owners))]}
    return ([part], [done[o]["facility"] for o in range(len(owners))],
            [done[a.owner]["plans"][k] for k, a in enumerate(job.portfolio.areas)])


def chunks_after(head: int, sims: int, chunk_size: int):
    """The chunks of simulations ``head`` (a whole number of blocks) to ``sims``: as
    :func:`pbr_model.rng.chunks` makes them for a run of ``sims - head``, moved on by
    ``head``'s blocks."""
    shift = head // BLOCK
    for blocks, keep in chunks(sims - head, chunk_size):
        yield range(blocks.start + shift, blocks.stop + shift), keep


def area_run(records: list[dict], provenance: Provenance, spec: ContractSpec,
             timeline: Timeline) -> AreaRun:
    """An area's :class:`AreaRun` from its chunks' columns, in order."""
    return AreaRun(provenance, spec, timeline,
                   {c: np.concatenate([r[c] for r in records]) for c in AREA_COLUMNS})


