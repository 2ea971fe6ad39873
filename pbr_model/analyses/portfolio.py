"""One owner, several contract areas, one national trend: the owner's capital need.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args, resolve_shocks, run_blocks
from ..finance.parties import PartyFlows, Seat
from ..outcomes import Sampler, Shared, draw_trend
from ..rng import BLOCK, block_rng, chunks
from ..scenarios import shock_volumes
from ..spec.parties import ProviderProfile
from ..spec.portfolio import LoadedArea, LoadedPortfolio, bundled_portfolios, load_portfolio
from ..timeline import Timeline
from .base import HasProvenance, Provenance, contract_provenance
from .capital import (PARTY_UNITS, PartyResult, chain_seats, party_flows, party_frame,
                      party_result, plan)
from .simulate import Progress, SimulationResult, build_result

__all__ = ["AreaResult", "PortfolioResult", "bundled_portfolios", "load_portfolio",
           "run_portfolio"]


#: The tables :meth:`PortfolioResult.tables` gives.
PORTFOLIO_TABLES = ("owner", "areas", "owner_months")


@dataclass(frozen=True)
class AreaResult:
    """One area: its simulation (with the shared trend) and the owner's seat in it on the
    owner's finances, as if the owner held this area alone.

    Attributes
    ----------
    name : the area's name in the portfolio
    result : the area's simulation; its ``provider`` figures use the area spec's own
        ``[provider]``, the capital figures in ``party`` the owner's
    party : the owner's seat in this area alone: flows' figures, monthly cumulative cash
        percentiles and :func:`~pbr_model.finance.capital.capital_summary`
    """

    name: str
    result: SimulationResult
    party: PartyResult

    @property
    def summary(self) -> dict:
        return self.party.summary


@dataclass(frozen=True)
class PortfolioResult(HasProvenance):
    """Everything a portfolio run produced.

    Attributes
    ----------
    provenance : how it was run (the portfolio's name, file and hash, seed, sims, volume
        shock, versions, platform); with the portfolio they fix every number
    portfolio : the validated portfolio that was run
    areas : one :class:`AreaResult` per area, in file order
    flows : the owner's combined monthly cash: income, direct cost and overheads, each the
        sum of the owner's flows in the areas, ``(sims, n_months)`` [currency], positive
    owner : the owner's combined figures (see :class:`~pbr_model.analyses.capital.PartyResult`)
    diversification : the areas' standalone peak funding P95 and P99 summed against the
        owner's combined ones (see :func:`diversification`) [currency]
    """

    provenance: Provenance
    portfolio: LoadedPortfolio
    areas: list[AreaResult]
    flows: PartyFlows
    owner: PartyResult
    diversification: dict

    def tables(self) -> dict[str, object]:
        """``owner`` and ``areas`` (one row per simulation: the owner's figures, combined
        and in each area alone) and ``owner_months`` (the owner's monthly cumulative cash
        percentiles), for ``--csv``/``--parquet``."""
        owner = party_frame(self.owner)
        owner.attrs["units"] = PARTY_UNITS
        areas = pd.concat([party_frame(a.party).assign(party=a.name) for a in self.areas],
                          ignore_index=True)
        areas.attrs["units"] = PARTY_UNITS
        months = self.owner.months.assign(date=pd.to_datetime(self.owner.months["date"]))
        months.attrs["units"] = {c: "date" if c == "date" else "currency" for c in months}
        return {"owner": owner, "areas": areas, "owner_months": months}

    def to_dict(self) -> dict:
        """The JSON object: how it was run, the owner's summary, each area's summary (the
        owner's seat in that area alone) and the diversification figures. Money in the
        portfolio's currency, probabilities as fractions."""
        p = self.portfolio
        owner = p.owner
        return {
            **self.provenance.to_dict(),
            "trend": p.trend.model_dump(mode="json"),
            "shared": p.shared.model_dump(mode="json"),
            "owner": {"name": owner.name,
                      "terms": {k: getattr(owner, k) for k in (
                          "reserves", "credit_limit", "credit_rate", "cost_of_capital",
                          "overheads")},
                      **self.owner.to_dict()},
            "areas": [{"name": a.name, "source": a.result.source,
                       "spec_sha256": a.result.spec_sha256,
                       "contract": a.result.spec.contract.name,
                       "cohorts": a.result.timeline.n_cohorts,
                       "owner_share": a.party.seat.profile.share,
                       **a.summary} for a in self.areas],
            "diversification": self.diversification,
        }


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

    Returns
    -------
    PortfolioResult
    """
    if not isinstance(portfolio, LoadedPortfolio):
        portfolio = load_portfolio(portfolio)
    check_run_args(sims, seed, chunk_size)
    shocks = resolve_shocks(volume_shock, paid_volume_shock, caseload_shock)
    models = [shock_volumes(a.spec.spec, *shocks) for a in portfolio.areas]
    timelines = [Timeline.from_spec(m) for m in models]
    n_periods = portfolio.n_periods

    parts: list[list[dict]] = [[] for _ in models]
    for blocks, keep in chunks(sims, chunk_size):
        national = [draw_national(Sampler(block_rng(seed, b, 0)), portfolio, BLOCK)
                    for b in blocks]
        for k, (model, timeline) in enumerate(zip(models, timelines)):
            n = model.contract.cohorts
            given = [(block_rng(seed, b, k + 1), (t_logit[:, :n], t_freq[:, :n]), shared)
                     for b, ((t_logit, t_freq), shared) in zip(blocks, national)]
            parts[k].append(run_blocks(model, timeline, given, keep))
        if progress:
            progress(blocks[0] * BLOCK + keep, sims)

    results = [build_result(p, provenance=contract_provenance(a.spec, seed, sims, shocks),
                            spec=a.spec.spec, sampling="random", timeline=t)
               for a, p, t in zip(portfolio.areas, parts, timelines)]
    area_flows = [owner_flows(a, r, portfolio.owner) for a, r in zip(portfolio.areas, results)]
    areas = [AreaResult(a.name, r, party_result(f, r))
             for a, r, f in zip(portfolio.areas, results, area_flows)]
    longest = max(results, key=lambda r: r.timeline.n_months)
    combined = combine(area_flows, Seat(portfolio.owner, role="owner (combined)"),
                       longest.timeline.n_months)
    owner = party_result(combined, longest)
    provenance = Provenance(name=portfolio.name, kind="portfolio", source=portfolio.source,
                            sha256=portfolio.sha256, seed=int(seed), sims=int(sims),
                            currency=portfolio.currency, paid_volume_shock=shocks[0],
                            caseload_shock=shocks[1],
                            inputs=portfolio.inputs)
    return PortfolioResult(provenance, portfolio, areas, combined, owner,
                           diversification(areas, owner))


def draw_national(sampler: Sampler, portfolio: LoadedPortfolio,
                  n_sims: int) -> tuple[tuple[np.ndarray, np.ndarray], Shared]:
    """What every area of a block shares, from the block's stream 0: the national trend
    (drawn first, as it always was), then standard normals for the national caseload and
    paid-volume factors and the owner's binary and frequency effects, each ``(n_sims,)``,
    with the portfolio's ``[shared]`` correlations."""
    trend = draw_trend(sampler, portfolio.trend, n_sims, portfolio.n_periods)
    z = [sampler.standard_normal(n_sims) for _ in range(4)]
    return trend, Shared(*z, volume_share=portfolio.shared.volume_correlation,
                         effect_share=portfolio.shared.effect_correlation)


def owner_flows(area: LoadedArea, result: SimulationResult,
                owner: ProviderProfile) -> PartyFlows:
    """The owner's cash in one area: the prime's seat of the area's chain (the whole
    area less any ``[[supply_chain]]`` work, split as ``pbr capital`` splits it) on the
    owner's finances, ``(n_sims, n_months)`` [currency]."""
    seats = chain_seats(area.spec.spec)
    prime = Seat(owner.model_copy(update={"share": seats[0].profile.share}),
                 role=f"owner in {area.name}")
    return party_flows(result, [prime, *seats[1:]], "chain",
                       plan(area.spec, result.sims, result.seed, result))[0]


def combine(flows: list[PartyFlows], seat: Seat, n_months: int) -> PartyFlows:
    """The sum of several areas' flows, month by month from the common start date (an area
    that ends earlier adds nothing after its last month), ``(n_sims, n_months)`` [currency]."""
    def total(name: str) -> np.ndarray:
        out = np.zeros((flows[0].income.shape[0], n_months))
        for f in flows:
            a = getattr(f, name)
            out[:, : a.shape[1]] += a
        return out

    return PartyFlows(seat, total("income"), total("direct_cost"), total("overheads"))


def diversification(areas: list[AreaResult], owner: PartyResult) -> dict:
    """What holding the areas together saves in funding.

    For P95 and P99 of the peak funding need: ``standalone_sum`` (the areas' needs, each
    alone, added up), ``combined`` (the owner's need with the areas together), ``saving``
    (their difference) and ``saving_share`` (of ``standalone_sum``) [currency], [fraction].
    In every simulation the combined need is at most the sum of the areas' needs; the
    percentiles nearly always follow (percentiles are not additive in general), and are
    equal only if the areas' needs move in lockstep. ``mean_saving`` is the mean over
    simulations of the sum of the areas' needs less the combined need [currency].
    """
    out: dict = {}
    for q in ("p95", "p99"):
        alone = float(sum(a.summary["peak_funding"][q] for a in areas))
        together = float(owner.summary["peak_funding"][q])
        out[f"peak_funding_{q}"] = {
            "standalone_sum": alone, "combined": together, "saving": alone - together,
            "saving_share": (alone - together) / alone if alone > 0 else float("nan")}
    pathwise = sum(a.party.figures.peak_funding for a in areas) - owner.figures.peak_funding
    out["mean_saving"] = float(np.mean(pathwise))
    return out
