"""A seat's fee basis: on the contract's terms its fee follows the paid volume while its costs
follow the caseload; paid on the caseload (for work delivered) its fee follows the people it
serves and the prime keeps the paid-volume risk."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model.analyses.capital import capital, chain_seats
from pbr_model.errors import SpecError
from pbr_model.finance.parties import ContractFlows, Plan, Seat, chain_flows, seat_fee, seat_flows
from pbr_model.spec import load_spec
from pbr_model.spec.parties import ProviderProfile

SIMS = 300
SEED = 7


def profile(**kw) -> ProviderProfile:
    base = dict(name="p", reserves=0.0, credit_limit=0.0, credit_rate=0.0, cost_of_capital=0.0)
    return ProviderProfile(**{**base, **kw})


def planned(m=12) -> tuple[Plan, np.ndarray, np.ndarray]:
    fee = np.full(m, 100.0)
    starters = np.zeros(m)
    starters[3:9] = 10.0  # nobody starts before month 3, nor after month 8
    return Plan(fee=fee.sum(), outcome=0.0, entrants=60.0, fee_by_month=fee,
                starters_by_month=starters), fee, starters


def test_on_the_caseload_the_fee_is_the_plans_scaled_by_the_caseload_so_far():
    p, fee, starters = planned()
    # two simulations: the caseload as planned, and 20% above; the contract's fee (paid
    # volume) 30% below plan in both
    c = ContractFlows(fee=np.vstack([0.7 * fee, 0.7 * fee]), outcome=np.zeros((2, 12)),
                      cost=np.zeros((2, 12)), starters=np.vstack([starters, 1.2 * starters]))
    contract = seat_fee(profile(), c, p)
    np.testing.assert_allclose(contract, c.fee)  # the default: as the contract pays
    caseload = seat_fee(profile(fee_basis="caseload"), c, p)
    np.testing.assert_allclose(caseload[0], fee)  # the paid volume's shortfall is not passed on
    expected = np.where(np.arange(12) < 3, 100.0, 120.0)  # 1 before anyone starts
    np.testing.assert_allclose(caseload[1], expected)
    sub = seat_flows(Seat(profile(share=0.2, fee_share=0.9, pbr_share=1.0,
                                  fee_basis="caseload")), c, p)
    np.testing.assert_allclose(sub.income, 0.2 * 0.9 * caseload)


def test_the_chain_still_adds_up_with_a_seat_paid_on_the_caseload():
    p, fee, starters = planned()
    rng = np.random.default_rng(3)
    c = ContractFlows(fee=rng.uniform(0, 150, (5, 12)), outcome=rng.uniform(-20, 200, (5, 12)),
                      cost=rng.uniform(0, 150, (5, 12)),
                      starters=starters * rng.uniform(0.5, 1.5, (5, 1)))
    prime = Seat(profile(name="prime", share=0.7), role="prime")
    subs = [Seat(profile(name="t2", share=0.3, fee_share=0.95, pbr_share=0.5,
                         fee_basis="caseload"))]
    parties = chain_flows(prime, subs, c, p)
    np.testing.assert_allclose(sum(x.income for x in parties), c.fee + c.outcome)


def test_a_plan_without_monthly_figures_is_refused_for_the_caseload_basis():
    c = ContractFlows(*(np.ones((1, 4)) for _ in range(4)))
    with pytest.raises(ValueError, match="monthly fee"):
        seat_fee(profile(fee_basis="caseload"), c, Plan(1.0, 0.0, 1.0))


def tier2_revenue(overrides: list[str], **shock) -> np.ndarray:
    loaded = load_spec("tr-crc-example", overrides)
    r = capital(loaded, sims=SIMS, seed=SEED, **shock)
    (t2,) = [x for x in r.parties if x.seat.name == "Tier 2 charity"]
    return t2.figures.revenue


def test_tr_a_subcontractor_paid_on_the_caseload_does_not_carry_the_paid_volume():
    # A paid-volume shock moves neither the caseload nor its plan, so a seat paid for work
    # delivered is paid the same; one paid on the contract's terms loses its fee share of
    # the shortfall.
    on = ["supply_chain.0.fee_basis=caseload"]
    assert chain_seats(load_spec("tr-crc-example", on).spec)[1].profile.fee_basis == "caseload"
    np.testing.assert_allclose(tier2_revenue(on, paid_volume_shock=0.3), tier2_revenue(on))
    base, shocked = tier2_revenue([]), tier2_revenue([], paid_volume_shock=0.3)
    assert (shocked < base).all()


def test_the_fee_basis_is_checked():
    with pytest.raises(SpecError, match="supply_chain.0.fee_basis"):
        load_spec("tr-crc-example", ["supply_chain.0.fee_basis=volume"])


def test_a_portfolio_owner_is_paid_as_the_contract_pays():
    from pydantic import ValidationError

    from pbr_model.spec.portfolio import Owner

    Owner(name="o", reserves=0.0, cost_of_capital=0.05)
    with pytest.raises(ValidationError, match="fee_basis is not read and must be 'contract'"):
        Owner(name="o", reserves=0.0, cost_of_capital=0.05, fee_basis="caseload")
