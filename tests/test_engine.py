"""A small contract with no noise, checked against figures worked by hand.

Every expected number below is computed from the spec's numbers in the comments,
never by calling the library.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model import simulate
from pbr_model.spec import validate

SPEC = validate({
    "contract": {
        "name": "closed form", "start_date": dt.date(2020, 1, 1),
        "length_months": 12, "cohort_months": 3,        # 4 quarterly cohorts
        "followup_months": 12, "waiting_months": 6, "payment_lag_months": 3,
    },
    "cohorts": {"entrants_per_period": [120, 240, 120, 60]},
    "population": {"bands": [
        {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0},
    ]},
    "intervention": {
        "effect": {"binary": {"mean": 0.2}, "frequency": {"mean": 0.1}},
        "costs": {"setup": 10_000, "fixed_per_month": 2_000, "per_participant": 40},
        "personal_budget": {"amount": 100, "take_up": 0.5},
    },
    "payments": [
        {"type": "fee", "per_participant": 50, "annual": 12_000},
        {"type": "outcome", "cap_per_cohort": 25_000, "cap_total": 55_000, "rates": [
            {"measure": "binary", "change": "points", "per": "unit", "price": 1_000,
             "threshold": 5},
            {"measure": "frequency_per_reoffender", "change": "absolute", "per": "unit",
             "price": 500, "hurdle": {"measure": "binary", "change": "points", "min": 5}},
        ]},
    ],
    "provider": {"reserves": 20_000, "credit_limit": 20_000, "cost_of_capital": 0.05},
})

ENTRANTS = [120, 240, 120, 60]

# Per entrant (all ratios are the same in every cohort; 60% low, 40% high):
#   baseline reoffenders   0.6 x 0.25 + 0.4 x 0.5 = 0.35
#   treated  reoffenders   0.6 x 0.20 + 0.4 x 0.4 = 0.28   (binary effect 20%)
#   binary reduction       100 x (0.35 - 0.28) = 7 points  (>= threshold and hurdle of 5)
#   baseline reoffences    0.15 x 2 + 0.2 x 4 = 1.1   -> per reoffender 1.1 / 0.35 = 22/7
#   treated  reoffences    0.12 x 1.8 + 0.16 x 3.6 = 0.792 (frequency effect 10%)
#                          -> per reoffender 0.792 / 0.28 = 99/35
#   frequency reduction    22/7 - 99/35 = 11/35 per reoffender
#   reoffences avoided     11/35 x 0.28 = 0.088
#   raw payment            0.07 x 1,000 (binary) + 0.088 x 500 (frequency) = 70 + 44 = 114
# Raw per cohort: 114 x [120, 240, 120, 60] = [13,680, 27,360, 13,680, 6,840]
# Cap per cohort 25,000: [13,680, 25,000, 13,680, 6,840]
# Cap in total 55,000, cohort order: running 13,680, 38,680, 52,360; cohort 3 gets
#   55,000 - 52,360 = 2,640. Paid [13,680, 25,000, 13,680, 2,640], total 55,000.
OUTCOME_PAID = [13_680, 25_000, 13_680, 2_640]
BINARY_PAID = [70 * 120, 70 * 240 * 25_000 / 27_360, 70 * 120, 70 * 60 * 2_640 / 6_840]
FREQUENCY_PAID = [44 * 120, 44 * 240 * 25_000 / 27_360, 44 * 120, 44 * 60 * 2_640 / 6_840]
# Payment month: entry 3c + 3 (period) + 12 (follow-up) + 6 (wait) + 3 (lag) = 3c + 24
PAYMENT_MONTHS = [24, 27, 30, 33]
N_MONTHS = 34  # months 0..33

# Fees: 50 per entrant the month after entry, i.e. 120 x 50 / 3 = 2,000 in months 1-3,
# 4,000 in months 4-6, 2,000 in months 7-9, 1,000 in months 10-12; plus 12,000 / 12 =
# 1,000 in months 1-12.  Total 540 x 50 + 12,000 = 39,000.
FEE_IN = [0, 3000, 3000, 3000, 5000, 5000, 5000, 3000, 3000, 3000, 2000, 2000, 2000]
# Costs: set-up 10,000 in month 0; 2,000 fixed in months 0-11; per entrant 40 + 0.5 x 100 =
# 90 in the entry month: 40 a month x 90 = 3,600 in months 0-2, 7,200 in 3-5, 3,600 in
# 6-8, 1,800 in 9-11.  Total 10,000 + 24,000 + 540 x 90 = 82,600.
COST_OUT = [15600, 5600, 5600, 9200, 9200, 9200, 5600, 5600, 5600, 3800, 3800, 3800]


def monthly(values, at=None):
    out = np.zeros(N_MONTHS)
    out[: len(values)] = values
    for month, amount in (at or {}).items():
        out[month] += amount
    return out


CASH_IN = monthly(FEE_IN, dict(zip(PAYMENT_MONTHS, OUTCOME_PAID)))
CASH_OUT = monthly(COST_OUT)


@pytest.fixture(scope="module")
def run():
    return simulate(SPEC, sims=1, sampling="expected")


def test_calendar(run):
    assert run.timeline.n_months == N_MONTHS
    np.testing.assert_array_equal(run.timeline.payment_month, PAYMENT_MONTHS)
    assert run.timeline.dates()[24] == dt.date(2022, 1, 1)


def test_measured_results(run):
    c = run.cohorts.loc[0]
    np.testing.assert_allclose(c["entrants"], ENTRANTS)
    np.testing.assert_allclose(c["reoffenders"], 0.28 * np.array(ENTRANTS))
    np.testing.assert_allclose(c["reoffences"], 0.792 * np.array(ENTRANTS))
    np.testing.assert_allclose(c["comparison_binary_rate"], 0.35)
    np.testing.assert_allclose(c["binary_reduction_points"], 7.0)
    np.testing.assert_allclose(c["frequency"], 99 / 35)
    np.testing.assert_allclose(c["comparison_frequency"], 22 / 7)
    np.testing.assert_allclose(c["frequency_reduction"], 11 / 35)


def test_outcome_payments_per_cohort(run):
    c = run.cohorts.loc[0]
    np.testing.assert_allclose(c["outcome_payment"], OUTCOME_PAID)
    np.testing.assert_allclose(np.add(BINARY_PAID, FREQUENCY_PAID), OUTCOME_PAID)
    np.testing.assert_array_equal(c["payment_month"], PAYMENT_MONTHS)
    np.testing.assert_allclose(c["fee_payment"], 50 * np.array(ENTRANTS))


def test_monthly_cash(run):
    np.testing.assert_allclose(run.cash_in[0], CASH_IN)
    np.testing.assert_allclose(run.cash_out[0], CASH_OUT)


def test_totals(run):
    s = run.simulations.loc[0]
    assert s["entrants"] == pytest.approx(540)
    assert s["fee"] == pytest.approx(39_000)
    assert s["outcome"] == pytest.approx(55_000)
    assert s["revenue"] == pytest.approx(94_000)
    assert s["cost"] == pytest.approx(82_600)
    assert s["net"] == pytest.approx(94_000 - 82_600)  # 11,400
    # reoffences avoided against the counterfactual: (1.1 - 0.792) x 540 = 166.32
    assert s["reoffences_avoided"] == pytest.approx(166.32)
    assert s["binary_reduction_points"] == pytest.approx(7.0)


def test_peak_funding(run):
    # Cumulative net: -15,600, -18,200, -20,800, -27,000, -31,200, -35,400, -36,000,
    # -38,600, -41,200, -42,000, -43,800, -45,600 (month 11), then +2,000 in month 12
    # and the outcome payments from month 24. Deepest: 45,600 in month 11, beyond the
    # 20,000 reserves + 20,000 credit, so the provider runs out of cash.
    # With financing carried in the balance the interest on it deepens the deficit.
    s = run.simulations.loc[0]
    assert s["peak_funding_before_financing"] == pytest.approx(45_600)
    assert s["peak_funding"] > 45_600 and s["min_cash"] == -s["peak_funding"]
    assert s["peak_month"] >= 11
    assert bool(s["insolvent"]) and 0 <= s["first_shortfall_month"] <= 11


def test_npv(run):
    # 5% a year is 1.05 ** (t / 12) for a flow in month t
    net = CASH_IN - CASH_OUT
    expected = sum(v / 1.05 ** (t / 12) for t, v in enumerate(net))
    assert run.simulations.loc[0, "npv"] == pytest.approx(expected, rel=1e-9)


def test_outcome_payment_parts_per_rate():
    from pbr_model.measure import evaluate
    from pbr_model.outcomes import ExpectedSampler, simulate_outcomes
    from pbr_model.payments import PaymentInputs, pay_all
    from pbr_model.timeline import Timeline

    evaluation = evaluate(SPEC, simulate_outcomes(SPEC, ExpectedSampler(), 1))
    _, outcome = pay_all(SPEC, PaymentInputs(Timeline.from_spec(SPEC), evaluation.n, evaluation))
    np.testing.assert_allclose(outcome.parts["binary"][0], BINARY_PAID)
    np.testing.assert_allclose(outcome.parts["frequency_per_reoffender"][0], FREQUENCY_PAID)
    np.testing.assert_array_equal(outcome.triggered[0], True)
