"""Splitting a contract's cash between the parties who hold it: the prime and its
supply chain, or one provider in a seat of its own.

A seat takes ``share`` of the work, so ``share`` of every direct cost (set-up,
fixed and per-person: fixed costs stay fixed when volumes fall), plus its own
overheads. On that share it is paid ``fee_share`` of the fee as the contract pays
it (the prime keeps the rest: its top slice) and ``pbr_share`` of the outcome
payments when the contract is paid. The outcome money it does not carry is paid
as a price per participant at the plan's value (the mean outcome payment per
participant over the simulations of the contract as planned), one month after
each participant starts: the expected value without the risk, as a spot purchase. The prime holds the rest, so the parties' income
and direct costs add up to the contract's exactly.

A seat's fee follows the contract's (``fee_basis = "contract"``), so it carries the paid
volume's risk while its costs follow the caseload; on ``fee_basis = "caseload"`` it is paid
for work delivered: the plan's monthly fee times its caseload so far against the plan's
(see :func:`seat_fee`), and the prime carries the paid-volume risk.

Sign convention (as numpy-financial): amounts are positive, money into the party
is income; arrays are ``(n_sims, n_months)`` [currency].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec


@dataclass(frozen=True)
class Plan:
    """The contract as planned (means over its simulations): fee and outcome income
    [currency] and entrants [people]; prices the outcome risk a seat does not carry.
    ``fee_by_month`` and ``starters_by_month``, ``(n_months,)`` [currency, people], are the
    mean monthly fee and participants starting (counted a month later, as
    ``ContractFlows.starters``): what a seat paid for work delivered is paid against."""

    fee: float
    outcome: float
    entrants: float
    fee_by_month: np.ndarray | None = field(default=None, compare=False, repr=False)
    starters_by_month: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def outcome_per_participant(self) -> float:
        """Planned outcome income per participant [currency per person]."""
        return self.outcome / self.entrants if self.entrants > 0 else 0.0


@dataclass(frozen=True)
class Seat:
    """One party's place in the contract: its finances and terms (``profile``) and
    its role."""

    profile: ProviderProfile
    role: str = "provider"

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class PartyFlows:
    """A party's monthly cash, ``(n_sims, n_months)`` [currency], all positive.

    Attributes
    ----------
    income : what it is paid
    direct_cost : its share of the contract's direct costs
    overheads : its own overheads on those costs
    """

    seat: Seat
    income: np.ndarray
    direct_cost: np.ndarray
    overheads: np.ndarray

    @property
    def cash_out(self) -> np.ndarray:
        return self.direct_cost + self.overheads


def prime_profile(spec: ContractSpec, name: str = "prime") -> ProviderProfile:
    """The spec's ``[provider]`` as a profile holding what the supply chain leaves."""
    p = spec.provider
    rate = p.cost_of_capital if p.credit_rate is None else p.credit_rate
    return ProviderProfile(
        name=name, reserves=p.reserves, credit_limit=p.credit_limit, credit_rate=rate,
        cost_of_capital=p.cost_of_capital, commitment_fee=p.commitment_fee,
        reserves_rate=p.reserves_rate, overheads=p.overheads,
        share=1 - sum(s.share for s in spec.supply_chain))


@dataclass(frozen=True)
class ContractFlows:
    """The contract's monthly cash, each ``(n_sims, n_months)``: fee and outcome income
    [currency], direct costs [currency] and participants starting, counted one month
    later (when a per-participant price for them is paid) [people]."""

    fee: np.ndarray
    outcome: np.ndarray
    cost: np.ndarray
    starters: np.ndarray


def seat_fee(profile: ProviderProfile, c: ContractFlows, plan: Plan) -> np.ndarray:
    """The fee a seat's share is paid on, ``(n_sims, n_months)`` [currency], before its
    ``share`` and ``fee_share``.

    ``fee_basis = "contract"``: the contract's fee as paid (its per-participant part
    follows the paid volume). ``"caseload"``, paid for work delivered: in month ``t`` the
    plan's fee ``F_plan[t]`` times the caseload started so far over the plan's,
    ``sum_{u<=t} S[u] / sum_{u<=t} S_plan[u]`` (1 before anyone has started), so the seat's
    fee follows the people it serves, as its costs do, whatever the paid volume."""
    if profile.fee_basis == "contract":
        return c.fee
    if plan.fee_by_month is None or plan.starters_by_month is None:
        raise ValueError("a seat paid on the caseload needs the plan's monthly fee and "
                         "starters (Plan.fee_by_month, Plan.starters_by_month)")
    done = np.cumsum(c.starters, axis=1)               # a running sum over months
    planned = np.cumsum(plan.starters_by_month)
    ratio = np.divide(done, planned, out=np.ones_like(done), where=planned > 0)
    return plan.fee_by_month * ratio


def seat_income(profile: ProviderProfile, c: ContractFlows, plan: Plan) -> np.ndarray:
    """What a seat's terms pay it each month [currency]."""
    spot = (1 - profile.pbr_share) * plan.outcome_per_participant * c.starters
    return profile.share * (profile.fee_share * seat_fee(profile, c, plan)
                            + profile.pbr_share * c.outcome + spot)


def seat_flows(seat: Seat, c: ContractFlows, plan: Plan) -> PartyFlows:
    """One seat on its own: its terms against the contract's flows."""
    direct = seat.profile.share * c.cost
    return PartyFlows(seat, seat_income(seat.profile, c, plan), direct,
                      seat.profile.overheads * direct)


def chain_flows(prime: Seat, subcontractors: list[Seat], c: ContractFlows,
                plan: Plan) -> list[PartyFlows]:
    """The prime and its supply chain: each subcontractor by its terms, the prime
    the contract's income less what it pays down, and the work no one else took."""
    subs = [seat_flows(s, c, plan) for s in subcontractors]
    income = c.fee + c.outcome - sum((s.income for s in subs), np.zeros_like(c.fee))
    direct = prime.profile.share * c.cost
    return [PartyFlows(prime, income, direct, prime.profile.overheads * direct), *subs]
