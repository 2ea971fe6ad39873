"""pbr_model.payments: the outcome rules one by one, fee timing, and properties of
every mechanism (caps hold, more improvement never pays less, nothing is negative).

Money is into the provider, positive. Float comparisons of sums allow rounding only
(a relative 1e-9), never a modelling difference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pbr_model.payments import PaymentInputs, fee, outcome
from pbr_model.payments.outcome import (
    binary_units,
    cap_cumulative,
    cap_each,
    meets,
    reoffences_avoided,
)
from pbr_model.spec.schema import BaselineOutcomePayment, FeePayment
from strategies import (
    amounts,
    make_measures,
    measures,
    money,
    optional_cap,
    outcome_mechanisms,
    simple_timeline,
    sims_by_cohorts,
)

NAN = np.nan
ROUNDING = 1e-9


def pay_outcome(mech, m):
    tl = simple_timeline(m.n.shape[1])
    return outcome.pay(mech, PaymentInputs(tl, m.n, m)), tl


# -- the outcome rules --------------------------------------------------------------------

def test_binary_units_per_person_and_per_point():
    points = np.array([[7.0, 2.5, -3.0, NAN]])
    n = np.array([[200.0, 40.0, 100.0, 0.0]])
    # person: points x n / 100 reoffenders avoided; worse results and NaN count nothing
    np.testing.assert_allclose(binary_units(points, n, "person"), [[14.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(binary_units(points, n, "point"), [[7.0, 2.5, 0.0, 0.0]])


def test_meets_is_inclusive_at_the_threshold_and_false_for_nan():
    points = np.array([2.0, np.nextafter(2.0, 0), 5.0, -1.0, NAN])
    np.testing.assert_array_equal(meets(points, 2.0), [True, False, True, False, False])
    np.testing.assert_array_equal(meets(points, 0.0), [True, True, True, False, False])
    np.testing.assert_array_equal(meets(points, None), [True] * 5)


def test_reoffences_avoided_never_negative():
    np.testing.assert_allclose(
        reoffences_avoided(np.array([0.5, 0.0, -0.4, NAN]), np.array([30.0, 30.0, 30.0, 0.0])),
        [15.0, 0.0, 0.0, 0.0])


def test_cap_each_at_and_above_the_cap():
    a = np.array([[5.0, 10.0, 12.0, 0.0]])
    np.testing.assert_array_equal(cap_each(a, 10.0), [[5.0, 10.0, 10.0, 0.0]])
    np.testing.assert_array_equal(cap_each(a, None), a)
    np.testing.assert_array_equal(cap_each(a, 0.0), np.zeros_like(a))


def test_cap_cumulative_pays_cohorts_in_order_until_the_cap():
    a = np.array([[10.0, 20.0, 30.0, 5.0],
                  [10.0, 20.0, 5.0, 1.0],      # reaches the cap exactly at cohort 2
                  [1.0, 2.0, 3.0, 4.0]])       # never reaches it
    np.testing.assert_array_equal(cap_cumulative(a, 35.0), [[10, 20, 5, 0],
                                                             [10, 20, 5, 0],
                                                             [1, 2, 3, 4]])
    np.testing.assert_array_equal(cap_cumulative(a, None), a)
    np.testing.assert_array_equal(cap_cumulative(a, 0.0), np.zeros_like(a))


def test_a_total_cap_that_does_not_bind_changes_no_payment():
    # Regression: differencing a capped running total moved every payment by rounding
    # and put cohorts at their per-cohort cap up to 4e-9 above it.
    each = cap_each(np.random.default_rng(0).uniform(0, 3e6, (1000, 28)), 1_999_999.99)
    np.testing.assert_array_equal(cap_cumulative(each, 1e9), each)


TR = BaselineOutcomePayment(type="baseline_outcome", binary_price=3000, binary_unit="person",
                            binary_threshold_points=2.0, frequency_price=700,
                            frequency_hurdle_points=0.0)


def test_outcome_payment_by_hand():
    m = make_measures(
        n=[[1000.0, 1000.0, 1000.0, 1000.0, 0.0]],
        reoffenders=[[400.0, 400.0, 500.0, 400.0, 0.0]],
        binary_reduction_points=[[5.0, 2.0, -1.0, 1.5, NAN]],
        frequency_reduction=[[0.25, -0.1, 0.5, 0.5, NAN]],
    )
    flows, tl = pay_outcome(TR, m)
    # 0: 50 reoffenders avoided x 3000 + 0.25 x 400 = 100 reoffences x 700 = 220,000
    # 1: exactly the threshold: 20 x 3000 = 60,000; frequency worse: nothing
    # 2: binary worse: nothing, and below the frequency hurdle: nothing
    # 3: below the binary threshold (1.5 < 2) but over the frequency hurdle: 200 x 700
    # 4: nobody: nothing
    np.testing.assert_allclose(flows.by_cohort, [[220_000, 60_000, 0, 140_000, 0]])
    np.testing.assert_allclose(flows.parts["binary"], [[150_000, 60_000, 0, 0, 0]])
    np.testing.assert_allclose(flows.parts["frequency"], [[70_000, 0, 0, 140_000, 0]])
    assert flows.kind == "outcome"


def test_no_frequency_hurdle_pays_frequency_even_when_binary_is_worse():
    m = make_measures(n=[[100.0]], reoffenders=[[60.0]], binary_reduction_points=[[-4.0]],
                      frequency_reduction=[[0.5]])
    flows, _ = pay_outcome(TR.model_copy(update={"frequency_hurdle_points": None}), m)
    np.testing.assert_allclose(flows.by_cohort, [[30 * 700]])


def test_caps_scale_the_parts_in_proportion():
    mech = TR.model_copy(update={"cap_per_cohort": 110_000.0, "cap_total": 150_000.0})
    m = make_measures(n=[[1000.0, 1000.0]], reoffenders=[[400.0, 400.0]],
                      binary_reduction_points=[[5.0, 5.0]], frequency_reduction=[[0.25, 0.25]])
    flows, _ = pay_outcome(mech, m)
    # raw 220,000 each (150,000 binary + 70,000 frequency); capped at 110,000, then the
    # total cap leaves 40,000 for cohort 1; parts keep the 15:7 split
    np.testing.assert_allclose(flows.by_cohort, [[110_000, 40_000]])
    np.testing.assert_allclose(flows.parts["binary"], [[75_000, 40_000 * 15 / 22]])
    np.testing.assert_allclose(flows.parts["frequency"], [[35_000, 40_000 * 7 / 22]])


def test_outcome_payments_fall_in_each_cohorts_payment_month():
    m = make_measures(n=[[1000.0, 1000.0, 1000.0]] * 2, reoffenders=[[400.0] * 3] * 2,
                      binary_reduction_points=[[5.0, 3.0, 4.0], [2.0, 0.0, 6.0]],
                      frequency_reduction=[[0.0] * 3] * 2)
    flows, tl = pay_outcome(TR, m)
    assert flows.monthly.shape == (2, tl.n_months)
    np.testing.assert_array_equal(flows.monthly[:, tl.payment_month], flows.by_cohort)
    others = np.setdiff1d(np.arange(tl.n_months), tl.payment_month)
    assert not flows.monthly[:, others].any()


def test_cohorts_paid_in_the_same_month_add_up():
    tl = simple_timeline(3)
    tl = type(tl)(tl.n_months, tl.contract_months, tl.cohort_months, tl.entry_month,
                  np.array([25, 25, 28]), tl.start_date)
    m = make_measures(n=[[100.0, 200.0, 100.0]], reoffenders=[[40.0] * 3],
                      binary_reduction_points=[[5.0] * 3], frequency_reduction=[[0.0] * 3])
    flows = outcome.pay(TR, PaymentInputs(tl, m.n, m))
    # 5 and 10 reoffenders avoided x 3000 in month 25; 5 in month 28
    assert flows.monthly[0, 25] == pytest.approx(45_000)
    assert flows.monthly[0, 28] == pytest.approx(15_000)
    assert flows.monthly.sum() == pytest.approx(60_000)


# -- fee for service ----------------------------------------------------------------------

def test_per_participant_fee_is_paid_the_month_after_entry():
    tl = simple_timeline(3)  # entry months 0-2, 3-5, 6-8; 9 contract months
    entrants = np.array([[30.0, 60.0, 90.0]])
    flows = fee.pay(FeePayment(type="fee", per_participant=10), PaymentInputs(tl, entrants, None))
    expected = np.zeros(tl.n_months)
    expected[1:4], expected[4:7], expected[7:10] = 100, 200, 300  # 300, 600, 900 over 3 months
    np.testing.assert_allclose(flows.monthly[0], expected)
    np.testing.assert_array_equal(flows.by_cohort, [[300, 600, 900]])
    assert flows.kind == "fee"


def test_annual_price_is_paid_in_twelve_instalments_in_arrears():
    tl = simple_timeline(8)  # 24 contract months
    assert tl.contract_months == 24
    flows = fee.pay(FeePayment(type="fee", annual=1200), PaymentInputs(tl, np.zeros((1, 8)), None))
    expected = np.zeros(tl.n_months)
    expected[1:25] = 100  # service months 0..23, each paid the month after
    np.testing.assert_allclose(flows.monthly[0], expected)
    assert flows.monthly.sum() == pytest.approx(2 * 1200)
    # the annual price pays for months, not cohorts
    assert not flows.by_cohort.any()


# -- properties of every mechanism --------------------------------------------------------

@given(outcome_mechanisms, measures())
def test_outcome_caps_are_never_exceeded(mech, m):
    flows, _ = pay_outcome(mech, m)
    if mech.cap_per_cohort is not None:
        assert (flows.by_cohort <= mech.cap_per_cohort).all()
    if mech.cap_total is not None:
        assert (flows.by_cohort.sum(axis=1) <= mech.cap_total * (1 + ROUNDING)).all()


@given(amounts(), optional_cap, optional_cap)
def test_cap_functions_never_exceed_caps_nor_raise_payments(raw, per_cohort, total):
    each = cap_each(raw, per_cohort)
    paid = cap_cumulative(each, total)
    assert (paid >= 0).all() and (paid <= raw).all()
    if per_cohort is not None:
        assert (paid <= per_cohort).all()
    if total is not None:
        assert (paid.sum(axis=1) <= total * (1 + ROUNDING)).all()
        # the cap binds only where uncapped cohorts would have paid more
        uncapped = each.sum(axis=1)
        np.testing.assert_allclose(paid.sum(axis=1), np.minimum(uncapped, total),
                                   rtol=ROUNDING, atol=ROUNDING)


@given(outcome_mechanisms, measures())
def test_parts_sum_to_by_cohort_after_caps(mech, m):
    flows, tl = pay_outcome(mech, m)
    np.testing.assert_allclose(flows.parts["binary"] + flows.parts["frequency"], flows.by_cohort,
                               rtol=ROUNDING, atol=ROUNDING)
    np.testing.assert_allclose(flows.monthly.sum(axis=1), flows.by_cohort.sum(axis=1),
                               rtol=ROUNDING, atol=ROUNDING)


@st.composite
def improvements(draw):
    """Measures, and the same measures with larger (or equal) reductions."""
    m = draw(measures())
    bump = npst.arrays(np.float64, m.n.shape, elements=st.floats(0, 50))
    better = make_measures(n=m.n, reoffenders=m.reoffenders,
                           binary_reduction_points=m.binary_reduction_points + draw(bump),
                           frequency_reduction=m.frequency_reduction + draw(bump) / 10)
    return m, better


@given(outcome_mechanisms, improvements())
def test_a_larger_measured_reduction_never_pays_less(mech, pair):
    worse, better = pair
    low, _ = pay_outcome(mech, worse)
    high, _ = pay_outcome(mech, better)
    if mech.cap_total is None:  # cohort by cohort (a total cap moves money between cohorts)
        assert (high.by_cohort >= low.by_cohort).all()
    total_low, total_high = low.by_cohort.sum(axis=1), high.by_cohort.sum(axis=1)
    assert (total_high >= total_low - ROUNDING * np.maximum(total_low, 1)).all()


@given(outcome_mechanisms, measures())
def test_outcome_payments_are_never_negative(mech, m):
    flows, _ = pay_outcome(mech, m)
    for a in (flows.monthly, flows.by_cohort, *flows.parts.values()):
        assert (a >= 0).all()


@given(money, money, sims_by_cohorts.flatmap(
    lambda shape: npst.arrays(np.float64, shape, elements=st.integers(0, 100_000))))
def test_fees_are_never_negative_and_conserved(per_participant, annual, entrants):
    tl = simple_timeline(entrants.shape[1])
    mech = FeePayment(type="fee", per_participant=per_participant, annual=annual)
    flows = fee.pay(mech, PaymentInputs(tl, entrants, None))
    assert (flows.monthly >= 0).all()
    expected = per_participant * entrants.sum(axis=1) + annual * tl.contract_months / 12
    np.testing.assert_allclose(flows.monthly.sum(axis=1), expected, rtol=ROUNDING)
