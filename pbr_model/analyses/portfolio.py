"""One owner (or several), several contract areas, one national trend: each owner's capital need.

With several owners (``[[owners]]``), the effect normals are each owner's own and each
owner's figures are read on its own areas (:mod:`pbr_model.analyses.owners`); what follows
describes one owner, which is also each owner of several.

An owner of several areas sees them move together, because every area's
reoffending follows the same national trend, its volumes the same national volume
factor and its effects the owner's one operating model. :func:`run_portfolio` draws
the trend and those shared normals once per simulation and gives them to every area
(mixed into each area's own draws with the portfolio's ``[shared]`` correlations); each
area's other numbers (counts, period noise) are its own. The owner takes the prime's seat in every
area (the whole area, less any ``[[supply_chain]]`` work, split as ``pbr capital``
splits it) on the owner's finances; its combined cash is the sum of its cash in
each area. Capital is computed for the owner and, for comparison, for each area
alone on the owner's finances: the combined need is below the sum of the areas'
needs unless the areas move in lockstep.

Random numbers (:mod:`pbr_model.rng`): simulations come in blocks of 1,024, as in
:func:`pbr_model.simulate`. Block ``b``'s national trend is drawn from stream 0 of the
block, ``SeedSequence(seed, spawn_key=(b, 0))``, over the longest area's cohort periods
(an area with fewer cohorts reads the first ones), then the shared normals
(:func:`draw_national`); area ``k``'s other draws from stream
``k + 1``, ``SeedSequence(seed, spawn_key=(b, k + 1))``. So
every number depends on the portfolio, the seed and the simulation's index only, never
on the chunk size. The streams differ from :func:`~pbr_model.simulate`'s, so an area
in a portfolio matches its standalone run in distribution, not number for number.

Sign convention: money into the owner is positive; flows are ``(n_sims, n_months)``
[currency] from the common start date (areas that end earlier are padded with zeros).
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..approx import check_draws
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args, resolve_shocks
from ..finance.parties import PartyFlows, Seat
from ..outcomes import Sampler, Shared, draw_trend
from ..parallel import chunk_for, ordered_results, workers_of
from ..rng import BLOCK, chunks
from ..scenarios import shock_volumes
from ..sketch import ALPHA
from ..spec.parties import ProviderProfile
from ..spec.portfolio import LoadedArea, LoadedPortfolio, bundled_portfolios, load_portfolio
from ..timeline import Timeline
from .base import HasProvenance, Provenance, contract_provenance
from .parties import (PARTY_UNITS, PartyResult, chain_seats, party_flows, party_frame, party_from,
                      party_result, plan)
from .owners import (AreaResult, OwnerResult, combine, diversification, national_totals,
                     owner_dict, owner_result, owner_shared)
from . import parties as _parties
from .passes import owner_pass
from .portfolio_stream import (Job, area_run, by_owner, chunks_after, draw_areas, plans,
                               stream_task)
from .runs import join_parts
from .simulate import Progress, SimulationResult, build_result
from .stream import Reduce, check_summary_only, keeps_detail

if TYPE_CHECKING:  # pandas is imported only when a table is asked for
    import pandas as pd

#: The most simulations a streamed portfolio's task takes (its areas' chunks and its owners'
#: combined monthly flows are held at once).
STREAMED_CHUNK = 4096

__all__ = ["AreaResult", "OwnerResult", "PortfolioResult", "combine", "diversification", "bundled_portfolios", "load_portfolio",
           "run_portfolio"]


#: The tables :meth:`PortfolioResult.tables` gives.
PORTFOLIO_TABLES = ("owner", "areas", "owner_months")


@dataclass(frozen=True)
class PortfolioResult(HasProvenance):
    """Everything a portfolio run produced.

    Attributes
    ----------
    provenance : how it was run (the portfolio's name, file and hash, seed, sims, volume
        shock, versions, platform); with the portfolio they fix every number
    portfolio : the validated portfolio that was run
    areas : one :class:`AreaResult` per area, in file order
    owners : one :class:`~pbr_model.analyses.owners.OwnerResult` per owner, in file order
        (one with ``[owner]``): its combined flows, figures and diversification
    """

    provenance: Provenance
    portfolio: LoadedPortfolio
    areas: list[AreaResult]
    owners: list[OwnerResult]

    def _sole(self) -> OwnerResult:
        if len(self.owners) != 1:
            raise ValueError(f"{self.portfolio.name} has {len(self.owners)} owners; read "
                             ".owners")
        return self.owners[0]

    @property
    def flows(self) -> PartyFlows:
        """The one owner's combined monthly cash (``[owner]`` portfolios)."""
        return self._sole().flows

    @property
    def owner(self) -> PartyResult:
        """The one owner's combined figures (``[owner]`` portfolios)."""
        return self._sole().party

    @property
    def diversification(self) -> dict:
        """The one owner's diversification figures (``[owner]`` portfolios)."""
        return self._sole().diversification

    def to_frame(self) -> pd.DataFrame:
        """One row per simulation (and owner, with several): the owner's combined figures
        (the ``owner`` table)."""
        return self.tables()["owner"]

    def to_xarray(self):
        """Each area alone and each owner combined, their figures by simulation and monthly
        net flows, as an ``xarray.Dataset`` (see
        :func:`pbr_model.analyses.labelled.portfolio_dataset`)."""
        from .labelled import portfolio_dataset
        return portfolio_dataset(self)

    def tables(self) -> dict[str, object]:
        """``owner`` and ``areas`` (one row per simulation: the owner's figures, combined
        and in each area alone) and ``owner_months`` (the owner's monthly cumulative cash
        percentiles), for ``--csv``/``--parquet``: :meth:`table_chunks`, each party table's
        frames joined into one."""
        import pandas as pd
        tables = self.table_chunks()
        for name in ("owner", "areas"):   # each party's frames, one after another
            tables[name] = pd.concat(list(tables[name]()), ignore_index=True)
            tables[name].attrs["units"] = PARTY_UNITS
        return tables

    def _owner_months(self) -> pd.DataFrame:
        """The ``owner_months`` table: each owner's monthly percentiles."""
        import pandas as pd
        several = self.portfolio.several_owners
        months = pd.concat([o.party.months.assign(date=pd.to_datetime(o.party.months["date"]),
                                                  **({"owner": o.name} if several else {}))
                            for o in self.owners])
        months.attrs["units"] = {c: "date" if c == "date" else "text" if c == "owner"
                                 else "currency" for c in months}
        return months

    def table_chunks(self) -> dict[str, object]:
        """:meth:`tables` as ``--csv``/``--parquet`` write them: ``owner`` and ``areas`` a
        party at a time (the same text as the whole frames), so the national portfolio's
        2,100,000 area rows at 100,000 simulations are never one frame."""
        several = self.portfolio.several_owners

        def parties(results, name_them: bool):
            for r in results:
                f = party_frame(r.party)
                if name_them:
                    f = f.assign(party=r.name)
                f.attrs["units"] = PARTY_UNITS
                yield f
        return {"owner": lambda: parties(self.owners, several),
                "areas": lambda: parties(self.areas, True), "owner_months": self._owner_months()}

    def table_notes(self) -> dict:
        """What ``metadata.json`` says of the tables beyond their columns: how the
        ``owner_months`` percentiles were found (exact while every area's arrays were kept;
        from the sketches of a streamed run above that, docs/scaling.md)."""
        streamed = not self.areas[0].result.detail
        return {"owner_months_percentiles": (
            f"sketched (streamed run): each within {ALPHA:.2g} of the larger of the two order "
            "statistics it interpolates between, relative, plus 1e-9"
            if streamed else "exact")}

    def to_dict(self) -> dict:
        """The JSON object: how it was run, the owner's summary (``owners``: each owner's,
        and ``national``: the commissioner's payments over every area, with several
        owners), each area's summary (its owner's seat in that area alone) and the
        diversification figures (each owner's, with several). Money in the portfolio's
        currency, probabilities as fractions."""
        p = self.portfolio
        several = p.several_owners
        areas = [{"name": a.name,
                  **({"owner": p.owners[la.owner].name} if several else {}),
                  "source": a.result.source,
                  "spec_sha256": a.result.spec_sha256,
                  "contract": a.result.spec.contract.name,
                  "cohorts": a.result.timeline.n_cohorts,
                  "owner_share": a.party.seat.profile.share,
                  **a.summary} for a, la in zip(self.areas, p.areas)]
        head = {**self.provenance.to_dict(),
                "trend": p.trend.model_dump(mode="json"),
                "shared": p.shared.model_dump(mode="json")}
        if several:
            return {**head, "owners": [owner_dict(o) for o in self.owners],
                    "national": national_totals(self.areas), "areas": areas}
        owner = owner_dict(self.owners[0])
        del owner["areas"], owner["diversification"]
        return {**head, "owner": owner, "areas": areas, "diversification": self.diversification}


def run_portfolio(
    portfolio: LoadedPortfolio | str,
    sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    *,
    volume_shock: float = 0.0,
    paid_volume_shock: float | None = None,
    caseload_shock: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    executor: Executor | None = None,
    detail: bool | None = None,
    draws: str = "exact",
    summary_only: bool = False,
) -> PortfolioResult:
    """Simulate every area of a portfolio with one shared national trend, and read the
    owner's capital figures, combined and area by area.

    Parameters
    ----------
    portfolio : a loaded portfolio (:func:`load_portfolio`), or a path or bundled name
    sims : number of simulations
    seed : seed of the random numbers; with the portfolio and package version it fixes
        every number
    volume_shock : the planned paid volume and caseload of every area cut by this share
        (0.3 = 30% fewer); cost bases, annual fees and subcontractors' block prices stay as
        planned
    paid_volume_shock, caseload_shock : the planned paid volume, or caseload, of every area
        cut by this share instead (as :func:`pbr_model.simulate`)
    chunk_size : simulations processed at once (rounded up to a multiple of 1,024); bounds
        memory and changes no result
    progress : called as ``progress(done, total)`` after each chunk
    executor, detail : where the chunks run and whether every area keeps its monthly arrays
        (as :func:`pbr_model.simulate`); a portfolio too large to keep them is streamed
        into its owners' figures (:mod:`~pbr_model.analyses.portfolio_stream`)
    draws : ``"exact"`` or ``"approx"``, as :func:`pbr_model.simulate`
    summary_only : a streamed run sketches no area's or owner's monthly balance (what
        ``pbr capital`` does when it writes no workbook, page or tables): the same figures,
        less time; the owners' and areas' monthly balances (``months``), the workbook,
        the page and the tables are then refused. A run that keeps its areas' arrays
        ignores it

    Returns
    -------
    PortfolioResult
    """
    if not isinstance(portfolio, LoadedPortfolio):
        portfolio = load_portfolio(portfolio)
    check_run_args(sims, seed, chunk_size)
    check_draws(draws)
    check_summary_only(summary_only)
    shocks = resolve_shocks(volume_shock, paid_volume_shock, caseload_shock)
    models = [shock_volumes(a.spec.spec, *shocks) for a in portfolio.areas]
    timelines = [Timeline.from_spec(m) for m in models]

    job = Job(portfolio, models, timelines, seed, draws=draws, summary_only=summary_only)
    chunk_size = chunk_for(executor, sims, chunk_size)
    tasks = [(job, blocks, keep) for blocks, keep in chunks(sims, chunk_size)]

    def report(tasks, done):
        """``done``'s results in order, saying the progress of each task's chunk."""
        for (_, blocks, keep), part in zip(tasks, done):
            if progress:
                progress(blocks[0] * BLOCK + keep, sims)
            yield part

    provenances = [contract_provenance(a.spec, seed, sims, shocks, draws=draws)
                   for a in portfolio.areas]
    # the plan (what prices the work a seat does not carry) of every area: from the first
    # min(sims, PLAN_SIMS) simulations of the portfolio without a shock, kept or streamed
    plan_job = Job(portfolio, [a.spec.spec for a in portfolio.areas],
                   [Timeline.from_spec(a.spec.spec) for a in portfolio.areas], seed, draws=draws)
    seats = [owner_seats(a, portfolio.owners[a.owner].profile) for a in portfolio.areas]
    shocked = shocks != (0.0, 0.0)
    if keeps_detail(timelines, sims, detail):
        parts: list[list[dict]] = [[] for _ in models]
        for records in report(tasks, ordered_results(detail_task, tasks, executor)):
            for k, record in enumerate(records):
                parts[k].append(record)
        results = [build_result(p, provenance=v, spec=a.spec.spec, sampling="random",
                                timeline=t)
                   for a, p, v, t in zip(portfolio.areas, parts, provenances, timelines)]
        area_plans = (plans(plan_job, sims, chunk_size, executor) if shocked
                      else [_parties.plan_of(r, min(sims, _parties.PLAN_SIMS)) for r in results])
        area_flows = [party_flows(r, s, "chain", p)[0]
                      for r, s, p in zip(results, seats, area_plans)]
        areas = [AreaResult(a.name, r, party_result(f, r))
                 for a, r, f in zip(portfolio.areas, results, area_flows)]
        owners = [owner_result(o, [areas[i] for i in o.areas], [area_flows[i] for i in o.areas],
                               several=portfolio.several_owners)
                  for o in portfolio.owners]
    else:
        # a task holds every area's chunk and each owner's combined months: smaller chunks
        # bound a worker's memory (chunking changes no number)
        size = min(chunk_size, STREAMED_CHUNK)
        workers = workers_of(executor) if executor is not None else 1
        head = owner_pass(portfolio, sims, workers, paid_volume_shock=shocks[0],
                          caseload_shock=shocks[1])
        if head:
            # the plan is read from these very simulations: their first PLAN_SIMS drawn owner
            # by owner, then (above PLAN_SIMS) the rest streamed with those plans
            job = replace(job, seats=seats)
            told = (lambda done, _: progress(done, sims)) if progress else None
            parts, facilities, area_plans = by_owner(job, head, size, executor, told,
                                                     min(sims, _parties.PLAN_SIMS))
            job = replace(job, plans=area_plans)
            tasks = [(job, blocks, keep) for blocks, keep in chunks_after(head, sims, size)]
            parts = itertools.chain(parts, report(tasks, ordered_results(stream_task, tasks,
                                                                         executor)))
        else:
            job = replace(job, seats=seats, plans=plans(plan_job, sims, chunk_size, executor))
            tasks = [(job, blocks, keep) for blocks, keep in chunks(sims, size)]
            parts, facilities = report(tasks, ordered_results(stream_task, tasks, executor)), None
        areas, owners = streamed(job, parts, provenances, facilities)
    provenance = Provenance(name=portfolio.name, kind="portfolio", source=portfolio.source,
                            sha256=portfolio.sha256, seed=int(seed), sims=int(sims),
                            currency=portfolio.currency, paid_volume_shock=shocks[0],
                            caseload_shock=shocks[1],
                            inputs=portfolio.inputs, draws=draws)
    return PortfolioResult(provenance, portfolio, areas, owners)


def draw_national(sampler: Sampler, portfolio: LoadedPortfolio,
                  n_sims: int) -> tuple[tuple[np.ndarray, np.ndarray], list[Shared]]:
    """What the areas of a block share, from the block's stream 0: the national trend
    (drawn first, as it always was), then standard normals for the national caseload and
    paid-volume factors and the first owner's binary and frequency effects, each
    ``(n_sims,)``, then each further owner's binary and frequency effect normals in owner
    order (:func:`~pbr_model.analyses.owners.owner_shared`), with the portfolio's
    ``[shared]`` correlations. One :class:`Shared` per owner, in owner order."""
    trend = draw_trend(sampler, portfolio.trend, n_sims, portfolio.n_periods)
    z = [sampler.standard_normal(n_sims) for _ in range(4)]
    first = Shared(*z, volume_share=portfolio.shared.volume_correlation,
                   effect_share=portfolio.shared.effect_correlation)
    return trend, owner_shared(sampler, first, len(portfolio.owners), n_sims)


def owner_seats(area: LoadedArea, owner: ProviderProfile) -> list[Seat]:
    """The seats of an area's chain with the owner in the prime's: the whole area less any
    ``[[supply_chain]]`` work, on the owner's finances."""
    seats = chain_seats(area.spec)
    prime = Seat(owner.model_copy(update={"share": seats[0].profile.share}),
                 role=f"owner in {area.name}")
    return [prime, *seats[1:]]


def owner_flows(area: LoadedArea, result: SimulationResult,
                owner: ProviderProfile) -> PartyFlows:
    """The owner's cash in one area: the prime's seat of the area's chain (split as
    ``pbr capital`` splits it) on the owner's finances, ``(n_sims, n_months)`` [currency]."""
    return party_flows(result, owner_seats(area, owner), "chain",
                       plan(area.spec, result.sims, result.seed, result))[0]


def detail_task(job: Job, blocks: range, keep: int) -> list[dict]:
    """One chunk of a portfolio that keeps its areas' arrays: each area's record."""
    reduce = Reduce(True)
    return [reduce(record) for record in draw_areas(job, blocks, keep)]


def streamed(job: Job, parts, provenances,
             facilities: list[dict] | None = None) -> tuple[list[AreaResult], list[OwnerResult]]:
    """Areas and owners from the reduced chunks of :func:`stream_task`, in order; each
    owner's facility as given (sized where its flows were), else sized when asked for."""
    portfolio = job.portfolio
    records: list[list[dict]] = [[] for _ in job.models]
    figures: list[list] = [[] for _ in job.models]
    balances = [None] * len(job.models)
    owner_parts: list[dict] = [{"figures": [], "balance": None, "net_flow": []}
                               for _ in portfolio.owners]
    for part in parts:
        for k, area in enumerate(part["areas"]):
            records[k].append(area["record"])
            figures[k].append(area["figures"])
            balances[k] = _merged(balances[k], area["balance"])
        for acc, o in zip(owner_parts, part["owners"]):
            acc["figures"].append(o["figures"])
            acc["net_flow"].append(o["net_flow"])
            acc["balance"] = _merged(acc["balance"], o["balance"])
    areas = []
    for k, a in enumerate(portfolio.areas):
        result = area_run(records[k], provenances[k], a.spec.spec, job.timelines[k])
        party = party_from(job.seats[k][0], join_parts(figures[k]), balances[k], None, result)
        areas.append(AreaResult(a.name, result, party))
    owners = []
    for j, (o, acc) in enumerate(zip(portfolio.owners, owner_parts)):
        mine = [areas[i] for i in o.areas]
        longest = max((a.result for a in mine), key=lambda r: r.timeline.n_months)
        role = f"{o.name} (combined)" if portfolio.several_owners else "owner (combined)"
        party = party_from(Seat(o.profile, role=role), join_parts(acc["figures"]),
                           acc["balance"], np.concatenate(acc["net_flow"]), longest,
                           None if facilities is None else facilities[j])
        owners.append(OwnerResult(o.name, o.profile, mine, None, party,
                                  diversification(mine, party)))
    return areas, owners


def _merged(sketch, later):
    """``sketch`` with ``later`` merged into it; either None: the other (the first chunk's,
    or none at all in a run that keeps its figures only)."""
    if sketch is None or later is None:
        return later if sketch is None else sketch
    sketch.merge(later)
    return sketch
