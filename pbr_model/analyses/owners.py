"""Several owners in one portfolio: what each owner holds and needs, and the national totals.

Every area of a portfolio shares the national trend and the national volume factor;
the shared part of the true effects (``[shared] effect_correlation``) is an owner's
operating model, so it is shared by that owner's areas only. The first owner's effect
normals are the ones a one-owner portfolio draws; each further owner draws its own pair
(binary, frequency) after them from the block's stream 0, in owner order
(:func:`owner_shared`), so different owners' effects are independent and every number
still depends only on the portfolio, the seed and the simulation's index.

Each owner's figures are :mod:`~pbr_model.analyses.portfolio`'s one owner's, computed on
its own areas on its own finances (:func:`owner_result`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..finance.parties import PartyFlows, Seat
from ..outcomes import Sampler, Shared
from ..spec.parties import ProviderProfile
from ..spec.portfolio import LoadedOwner
from ..stats import stats
from .parties import PartyResult, party_result
from .simulate import SimulationResult


@dataclass(frozen=True)
class AreaResult:
    """One area: its simulation (with the shared trend) and its owner's seat in it on the
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
class OwnerResult:
    """One owner's figures on its own areas and finances.

    Attributes
    ----------
    name : the owner's name
    profile : its finances
    areas : its areas, in file order
    flows : its combined monthly cash (income, direct cost, overheads), the sum of its
        flows in its areas, ``(sims, n_months)`` [currency], positive
    party : its combined figures (:class:`~pbr_model.analyses.parties.PartyResult`)
    diversification : its areas' standalone peak funding P95 and P99 summed against its
        combined ones (:func:`diversification`) [currency]
    """

    name: str
    profile: ProviderProfile
    areas: list[AreaResult]
    flows: PartyFlows
    party: PartyResult
    diversification: dict

    @property
    def summary(self) -> dict:
        return self.party.summary


def owner_shared(sampler: Sampler, first: Shared, n_owners: int, n_sims: int) -> list[Shared]:
    """Each owner's shared normals, in owner order: the first owner's are ``first``; each
    further owner shares the national volume normals and draws its own binary then
    frequency effect normals, ``(n_sims,)`` each, from ``sampler`` (after ``first``'s)."""
    out = [first]
    for _ in range(n_owners - 1):
        binary, frequency = (sampler.standard_normal(n_sims) for _ in range(2))
        out.append(Shared(first.volume, first.paid, binary, frequency,
                          volume_share=first.volume_share, effect_share=first.effect_share))
    return out


def owner_result(owner: LoadedOwner, areas: list[AreaResult], flows: list[PartyFlows],
                 *, several: bool) -> OwnerResult:
    """An owner's combined figures on its own areas (``areas`` and the owner's ``flows`` in
    each) and finances, read over its longest area's months."""
    longest = max((a.result for a in areas), key=lambda r: r.timeline.n_months)
    role = f"{owner.name} (combined)" if several else "owner (combined)"
    combined = combine(flows, Seat(owner.profile, role=role), longest.timeline.n_months)
    party = party_result(combined, longest)
    return OwnerResult(owner.name, owner.profile, areas, combined, party,
                       diversification(areas, party))


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


def national_totals(areas: list[AreaResult]) -> dict:
    """What the commissioner pays across every area and owner, per simulation summed over
    areas, then ``{"mean", "p5", "p50", "p95"}`` across simulations [currency]: ``fees``,
    ``outcome_payments`` (negative where providers repay) and ``total_payments``."""
    fee = sum(a.result.sim_columns["fee"] for a in areas)
    outcome = sum(a.result.sim_columns["outcome"] for a in areas)
    return {"fees": stats(fee), "outcome_payments": stats(outcome),
            "total_payments": stats(fee + outcome)}


def owner_dict(o: OwnerResult) -> dict:
    """One owner's JSON object: name, terms, its areas' names, its combined figures and its
    diversification."""
    p = o.profile
    return {"name": o.name,
            "terms": {k: getattr(p, k) for k in (
                "reserves", "credit_limit", "credit_rate", "cost_of_capital", "overheads")},
            "areas": [a.name for a in o.areas],
            **o.party.to_dict(),
            "diversification": o.diversification}
