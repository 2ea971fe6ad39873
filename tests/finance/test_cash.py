"""pbr_model.finance.cash: costs by month, and the figures read off a cash timeline.

Sign convention: money into the provider is positive; ``cash_in`` and ``cash_out``
are both kept as positive amounts and ``net = cash_in - cash_out``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given

from pbr_model.finance import cash_figures, monthly_costs, monthly_discount_factors
from pbr_model.spec import apply_overrides, validate
from pbr_model.spec.schema import Provider
from pbr_model.timeline import Timeline
from strategies import cash_flows

ROUNDING = 1e-9
PROVIDER = Provider(reserves=20, credit_limit=10, cost_of_capital=0.08)
#: Money at no cost: the balance after financing is the cumulative cash itself.
FREE = Provider(reserves=20, credit_limit=10, cost_of_capital=0.0)


def flows(*nets):
    """(cash_in, cash_out) with the given monthly nets, one row per simulation."""
    net = np.array(nets, dtype=float)
    return np.clip(net, 0, None), np.clip(-net, 0, None)


# -- figures read off hand-built flows ----------------------------------------------------

def test_peak_funding_is_the_largest_cumulative_deficit():
    #            month: 0    1    2    3   4
    # net               -10  -15  +5   -8  +40
    # cumulative        -10  -25  -20  -28 +12   -> peak 28 in month 3
    fig = cash_figures(*flows([-10, -15, 5, -8, 40]), FREE)
    assert fig.min_cash[0] == -28
    assert fig.peak_funding[0] == 28
    assert fig.peak_month[0] == 3
    assert fig.revenue[0] == 45 and fig.cost[0] == 33 and fig.net[0] == 12


def test_cash_that_never_dips_needs_no_funding():
    fig = cash_figures(*flows([0, 5, 0, 3], [10, -10, 2, 0]), PROVIDER)
    # row 0 never goes below 0; row 1 touches 0 exactly in month 1, still no deficit
    np.testing.assert_array_equal(fig.peak_funding, [0, 0])
    np.testing.assert_array_equal(fig.peak_month, [-1, -1])
    np.testing.assert_array_equal(fig.insolvent, [False, False])


def test_insolvent_only_strictly_below_reserves_plus_credit():
    # reserves 20 + credit 10: a deficit of exactly 30 is still funded, 30.5 is not
    fig = cash_figures(*flows([-30, 0, 30], [-30.5, 0, 31], [-29, -1, 30]), FREE)
    np.testing.assert_array_equal(fig.insolvent, [False, True, False])
    np.testing.assert_array_equal(fig.peak_funding, [30, 30.5, 30])


def test_npv_is_numpy_financial_npv_at_the_monthly_equivalent_rate():
    rng = np.random.default_rng(0)
    cash_in, cash_out = rng.uniform(0, 100, (3, 40)), rng.uniform(0, 100, (3, 40))
    fig = cash_figures(cash_in, cash_out, PROVIDER)
    monthly = 1.08 ** (1 / 12) - 1
    for row in range(3):
        assert fig.npv[row] == pytest.approx(npf.npv(monthly, cash_in[row] - cash_out[row]),
                                             rel=ROUNDING)
    # twelve months at the monthly rate are one year at the annual rate
    assert monthly_discount_factors(0.08, 13)[12] == pytest.approx(1 / 1.08, rel=ROUNDING)
    assert monthly_discount_factors(0.08, 13)[0] == 1


def test_money_in_is_positive():
    # 100 in at month 0 and nothing out: positive revenue, net and NPV; no funding need
    fig = cash_figures(np.array([[100.0, 0.0]]), np.zeros((1, 2)), PROVIDER)
    assert fig.revenue[0] == fig.net[0] == fig.npv[0] == 100
    assert fig.cost[0] == 0 and fig.peak_funding[0] == 0
    # 100 out: cost is a positive amount, net and NPV negative, funding need 100
    fig = cash_figures(np.zeros((1, 2)), np.array([[0.0, 100.0]]), PROVIDER)
    assert fig.cost[0] == 100 and fig.net[0] == -100 and fig.npv[0] < 0
    assert fig.peak_funding[0] == 100 and fig.peak_month[0] == 1


# -- monthly costs -------------------------------------------------------------------------

SPEC = {
    "contract": {"name": "finance test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 12, "cohort_months": 3},
    "cohorts": {"entrants_per_period": 30},
    "population": {"bands": [{"name": "all", "share": 1, "binary_rate": 0.4,
                              "reoffences_per_reoffender": 3}]},
    "intervention": {"costs": {"setup": 1000, "fixed_per_month": 200, "per_participant": 10},
                     "personal_budget": {"amount": 50, "take_up": 0.5}},
}


def test_monthly_costs_fall_where_they_are_incurred():
    spec = validate(SPEC)
    tl = Timeline.from_spec(spec)  # 4 cohorts entering in months 0-2, 3-5, 6-8, 9-11
    entrants = np.array([[30.0, 60.0, 0.0, 90.0]])
    takers = np.array([[15.0, 0.0, 0.0, 30.0]])
    cost = monthly_costs(spec, tl, entrants, takers)
    expected = np.zeros(tl.n_months)
    expected[0] += 1000                 # set-up in month 0
    expected[:12] += 200                # fixed cost in each of the 12 contract months
    expected[0:3] += (30 * 10 + 15 * 50) / 3   # 1050 for cohort 0, over its entry months
    expected[3:6] += 60 * 10 / 3               # 600 for cohort 1
    expected[9:12] += (90 * 10 + 30 * 50) / 3  # 2400 for cohort 3
    np.testing.assert_allclose(cost[0], expected)
    assert not cost[0, 12:].any()       # nothing after the service ends
    assert cost.sum() == pytest.approx(1000 + 12 * 200 + 1050 + 600 + 2400)


def test_monthly_costs_keep_simulations_apart():
    spec = validate(apply_overrides(SPEC, ["intervention.costs.setup=0",
                                           "intervention.costs.fixed_per_month=0"]))
    tl = Timeline.from_spec(spec)
    entrants = np.array([[3.0, 0, 0, 0], [0, 0, 0, 6.0]])
    cost = monthly_costs(spec, tl, entrants, np.zeros_like(entrants))
    np.testing.assert_allclose(cost[0, :3], 10)
    np.testing.assert_allclose(cost[1, 9:12], 20)
    assert cost[0, 3:].sum() == 0 and cost[1, :9].sum() == 0


# -- properties ----------------------------------------------------------------------------

@given(cash_flows())
def test_cash_is_conserved(pair):
    cash_in, cash_out = pair
    fig = cash_figures(cash_in, cash_out, PROVIDER)
    net = cash_in - cash_out
    scale = ROUNDING * (cash_in.sum(axis=1) + cash_out.sum(axis=1) + 1)
    assert np.all(np.abs(net.sum(axis=1) - (fig.revenue - fig.cost)) <= scale)
    assert np.all(np.abs(np.cumsum(net, axis=1)[:, -1] - fig.net) <= scale)
    assert np.all(fig.peak_funding >= 0)
    np.testing.assert_array_equal(fig.peak_funding, np.maximum(-fig.min_cash, 0))
    has_peak = fig.peak_funding > 0
    np.testing.assert_array_equal(has_peak, fig.peak_month >= 0)
