"""Splitting a contract's cash between the parties who hold it: the prime and its
supply chain, or one provider in a seat of its own.

A seat takes ``share`` of the work, so ``share`` of every direct cost (set-up,
fixed and per-person: fixed costs stay fixed when volumes fall), plus its own
overheads. On that share it is paid ``fee_share`` of the fee as the contract pays
it (following volumes) and ``pbr_share`` of the outcome payments when the
contract pays them; what it does not carry is paid as a fixed block at the
plan's value (a noise-free run of the contract as planned), spread evenly over
the service months and paid one month in arrears. A subcontractor's prime keeps
``management_fee`` of everything due to it. The prime holds the rest, so the
parties' income and direct costs add up to the contract's exactly.

Sign convention (as numpy-financial): amounts are positive, money into the party
is income; arrays are ``(n_sims, n_months)`` [currency].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec


@dataclass(frozen=True)
class Plan:
    """The contract's planned (noise-free) fee and outcome income [currency] over
    ``service_months`` months; the value of a block price."""

    fee: float
    outcome: float
    service_months: int

    def block(self, amount: float, n_months: int) -> np.ndarray:
        """``amount`` spread evenly over the service months, one month in arrears,
        ``(n_months,)`` [currency]."""
        out = np.zeros(n_months)
        out[1: self.service_months + 1] = amount / self.service_months
        return out


@dataclass(frozen=True)
class Seat:
    """One party's place in the contract: its finances and terms (``profile``), its
    role and, for a subcontractor, the prime's management fee (a share)."""

    profile: ProviderProfile
    role: str = "provider"
    management_fee: float = 0.0

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
    rate = p.discount_rate if p.credit_rate is None else p.credit_rate
    return ProviderProfile(
        name=name, reserves=p.reserves, credit_limit=p.credit_line, credit_rate=rate,
        cost_of_capital=p.discount_rate, overheads=p.overheads,
        share=1 - sum(s.share for s in spec.supply_chain))


def due(profile: ProviderProfile, fee_in: np.ndarray, outcome_in: np.ndarray,
        plan: Plan) -> np.ndarray:
    """What a seat's terms make due to it each month, before any management fee."""
    n_months = fee_in.shape[1]
    blocks = plan.block((1 - profile.fee_share) * plan.fee
                        + (1 - profile.pbr_share) * plan.outcome, n_months)
    return profile.share * (profile.fee_share * fee_in + profile.pbr_share * outcome_in
                            + blocks[None, :])


def seat_flows(seat: Seat, fee_in: np.ndarray, outcome_in: np.ndarray, cost_out: np.ndarray,
               plan: Plan) -> PartyFlows:
    """One seat on its own: its terms against the contract's flows."""
    direct = seat.profile.share * cost_out
    return PartyFlows(seat, (1 - seat.management_fee) * due(seat.profile, fee_in, outcome_in,
                                                             plan),
                      direct, seat.profile.overheads * direct)


def chain_flows(prime: Seat, subcontractors: list[Seat], fee_in: np.ndarray,
                outcome_in: np.ndarray, cost_out: np.ndarray, plan: Plan) -> list[PartyFlows]:
    """The prime and its supply chain: each subcontractor by its terms, the prime
    the contract's income less what it pays down, and the work no one else took."""
    subs = [seat_flows(s, fee_in, outcome_in, cost_out, plan) for s in subcontractors]
    income = fee_in + outcome_in - sum((s.income for s in subs), np.zeros_like(fee_in))
    direct = prime.profile.share * cost_out
    return [PartyFlows(prime, income, direct, prime.profile.overheads * direct), *subs]
