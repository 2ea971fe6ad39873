"""pbr_model.payments: the rules one by one (edges exactly at thresholds and caps), each
mechanism on hand-worked cases (TR, Peterborough, Doncaster, foundation advances, tiers),
fee timing, and properties of every mechanism (caps hold, parts and months add up, more
improvement never pays less, nothing is negative without deductions).

Money is into the provider, positive. The measured change is positive for improvement:
a fall of 5.7 points in the reoffending rate is a change of +5.7. Float comparisons of
sums allow rounding only (a relative 1e-9), never a modelling difference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pbr_model.measure import Measurement
from pbr_model.payments import PaymentInputs, at_risk, fee, outcome, tiered
from pbr_model.payments.outcome import rate_amount
from pbr_model.payments.rules import (
    cap_cumulative,
    cap_each,
    meets,
    significant,
    tier_amount,
    z_critical,
)
from pbr_model.spec.schema import (
    FeePayment,
    Foundation,
    Hurdle,
    OutcomePayment,
    Rate,
    RevenueAtRiskPayment,
    Tier,
    TieredPayment,
)
from strategies import (
    amounts,
    counts,
    evaluations,
    foundations,
    make_evaluation,
    money,
    optional_cap,
    outcome_mechanisms,
    simple_timeline,
    sims_by_cohorts,
)

NAN = np.nan
ROUNDING = 1e-9

# evaluations() includes baselines of a few 1e-308 reoffenders, whose relative changes
# overflow to -inf: a true result (a huge relative rise), not a fault
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def inputs(ev: Measurement, timeline=None) -> PaymentInputs:
    tl = timeline or simple_timeline(ev.n.shape[1])
    return PaymentInputs(tl, ev.n, ev)


def pay_outcome(mech: OutcomePayment, ev: Measurement):
    i = inputs(ev)
    return outcome.pay(mech, i), i.timeline


def rate(**kw) -> Rate:
    return Rate(**{"measure": "binary", "change": "points", "per": "unit", **kw})


def against_baseline(treated_k, baseline_k=400.0, n=1000.0, **kw) -> Measurement:
    """Treated reoffenders against a fixed baseline, one simulation; 1000 people a cohort
    and 400 baseline reoffenders unless told."""
    treated_k = np.atleast_2d(np.asarray(treated_k, dtype=float))
    full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), treated_k.shape)  # noqa: E731
    return make_evaluation(full(n), treated_k, comparison_reoffenders=full(baseline_k), **kw)


# -- the rules ----------------------------------------------------------------------------

def test_meets_is_inclusive_at_the_threshold_and_false_for_nan():
    change = np.array([2.0, np.nextafter(2.0, 0), 5.0, -1.0, NAN])
    np.testing.assert_array_equal(meets(change, 2.0), [True, False, True, False, False])
    np.testing.assert_array_equal(meets(change, 0.0), [True, True, True, False, False])
    np.testing.assert_array_equal(meets(change, None), [True, True, True, True, False])


def test_z_critical_is_two_sided():
    assert z_critical(0.05) == pytest.approx(1.959963984540054, rel=1e-12)
    assert z_critical(0.10) == pytest.approx(1.6448536269514722, rel=1e-12)


def test_significant_at_exactly_the_critical_value():
    zc = z_critical(0.05)
    z = np.array([zc, np.nextafter(zc, 0), -zc, -np.nextafter(zc, 0), 5.0, NAN])
    np.testing.assert_array_equal(significant(z, 0.05), [True, False, False, False, True, False])
    np.testing.assert_array_equal(significant(z, 0.05, direction=-1),
                                  [False, False, True, False, False, False])
    np.testing.assert_array_equal(significant(z, None), [True] * 6)


def test_cap_each_at_and_above_the_cap():
    a = np.array([[5.0, 10.0, 12.0, 0.0, -3.0]])
    np.testing.assert_array_equal(cap_each(a, 10.0), [[5.0, 10.0, 10.0, 0.0, -3.0]])
    np.testing.assert_array_equal(cap_each(a, None), a)
    np.testing.assert_array_equal(cap_each(a, 0.0), [[0, 0, 0, 0, -3.0]])


def test_cap_cumulative_pays_cohorts_in_order_until_the_cap():
    a = np.array([[10.0, 20.0, 30.0, 5.0],
                  [10.0, 20.0, 5.0, 1.0],      # reaches the cap exactly at cohort 2
                  [1.0, 2.0, 3.0, 4.0]])       # never reaches it
    np.testing.assert_array_equal(cap_cumulative(a, 35.0), [[10, 20, 5, 0],
                                                             [10, 20, 5, 0],
                                                             [1, 2, 3, 4]])
    np.testing.assert_array_equal(cap_cumulative(a, None), a)
    np.testing.assert_array_equal(cap_cumulative(a, 0.0), np.zeros_like(a))


def test_a_deduction_frees_room_under_the_total_cap():
    # 30 paid, 10 deducted: 20 used of 40, so the third cohort gets 20 of its 30
    np.testing.assert_array_equal(cap_cumulative(np.array([[30.0, -10.0, 30.0]]), 40.0),
                                  [[30, -10, 20]])


def test_a_deduction_while_the_total_cap_holds_back_more_is_waived():
    # 50 owed against a cap of 40 (10 held back): a deduction of 5 is waived (still 45 owed,
    # above the cap), one of 15 more takes what is owed to 30, so 10 of it is repaid
    np.testing.assert_array_equal(cap_cumulative(np.array([[50.0, -5.0, -15.0, 8.0]]), 40.0),
                                  [[40, 0, -10, 8]])


def test_what_a_total_cap_has_paid_is_the_lesser_of_the_cap_and_all_owed():
    """After every cohort, whatever the signs: paid so far = min(cap, owed so far, deductions
    netted), up to rounding; and with no deduction the payments are the lesser of each
    amount and what the cap leaves, number for number (the form used before deductions past
    the cap were netted)."""
    rng = np.random.default_rng(5)
    amount = rng.normal(5.0, 10.0, (2000, 12)).round(2)
    for cap in (0.0, 10.0, 30.0, 1e6):
        paid = cap_cumulative(amount, cap)
        np.testing.assert_allclose(np.cumsum(paid, axis=1),
                                   np.minimum(cap, np.cumsum(amount, axis=1)), atol=1e-9)
        plus = np.abs(amount)
        before = np.concatenate([np.zeros((len(plus), 1)), np.cumsum(plus, axis=1)[:, :-1]], 1)
        assert cap_cumulative(plus, cap).tobytes() == np.minimum(
            plus, np.maximum(cap - before, 0.0)).tobytes()


def test_a_total_cap_that_does_not_bind_changes_no_payment():
    # Regression: differencing a capped running total moved every payment by rounding
    # and put cohorts at their per-cohort cap up to 4e-9 above it.
    each = cap_each(np.random.default_rng(0).uniform(0, 3e6, (1000, 28)), 1_999_999.99)
    np.testing.assert_array_equal(cap_cumulative(each, 1e9), each)


AT, AMOUNT = [5.0, 10.0, 25.0], [0.0, 100.0, 400.0]   # Roca-like: 5% pays nothing


@pytest.mark.parametrize("interpolate, expected", [
    #               below   first  between  at    between  at      above  NaN
    (False, [0, 0, 0, 100, 100, 400, 400, 0]),
    (True, [0, 0, 50, 100, 250, 400, 400, 0]),
])
def test_tier_amount(interpolate, expected):
    change = np.array([np.nextafter(5.0, 0), 5.0, 7.5, 10.0, 17.5, 25.0, 80.0, NAN])
    np.testing.assert_allclose(tier_amount(change, AT, AMOUNT, interpolate), expected)


@pytest.mark.parametrize("interpolate", [False, True])
def test_nothing_below_a_first_tier_that_pays(interpolate):
    # ABLE: the city pays from an 8.5% reduction; a straight line from 0 is not drawn
    change = np.array([0.0, 8.49, 8.5, 10.0, 12.0])
    paid = tier_amount(change, [8.5, 10.0], [100.0, 200.0], interpolate)
    np.testing.assert_allclose(paid, [0, 0, 100, 200, 200])


# -- one rate ------------------------------------------------------------------------------

# 1000 people a cohort, 400 baseline reoffenders; treated 350, 380, 420: 5, 2, -2 points
# (12.5%, 5%, -5% of 0.4)
THREE = against_baseline([350, 380, 420])


@pytest.mark.parametrize("kw, expected", [
    # 50 and 20 reoffenders avoided x 3000
    ({"price": 3000, "threshold": 2}, [150_000, 60_000, 0]),
    ({"per": "change", "price": 10_000}, [50_000, 20_000, 0]),
    ({"per": "cohort", "price": 25_000}, [25_000, 25_000, 0]),
    ({"per": "change", "change": "percent", "price": 1000, "threshold": 5}, [12_500, 5000, 0]),
    ({"per": "change", "change": "absolute", "price": 1e6}, [50_000, 20_000, 0]),
    ({"per": "unit", "change": "percent", "price": 3000, "threshold": 12.5}, [150_000, 0, 0]),
])
def test_rate_per_unit_change_and_cohort(kw, expected):
    amount, ok = rate_amount(rate(**kw), THREE)
    np.testing.assert_allclose(amount, [expected])
    np.testing.assert_array_equal(ok, [[e > 0 for e in expected]])


def test_a_threshold_exactly_met_pays_the_whole_improvement():
    # 400 - 350 of 1000 is exactly 5 points: all 50 reoffenders avoided are paid, not the
    # 0 points above the threshold; one more reoffender and nothing is paid
    amount, ok = rate_amount(rate(price=1000, threshold=5), against_baseline([350, 351]))
    np.testing.assert_allclose(amount, [[50_000, 0]])
    np.testing.assert_array_equal(ok, [[True, False]])


def test_hurdle_on_the_binary_rate():
    # baseline 400 reoffenders, 1200 reoffences (3 each); frequency paid per reoffence
    # avoided among the treated reoffenders (TR) only if the binary rate did not rise
    ev = make_evaluation([[1000.0] * 3], [[400.0, 410.0, 350.0]], [[1000.0, 1025.0, 1050.0]],
                         [[400.0] * 3], [[1200.0] * 3])
    freq = rate(measure="frequency_per_reoffender", change="absolute", price=700,
                hurdle=Hurdle(measure="binary", change="points", min=0.0))
    amount, ok = rate_amount(freq, ev)
    # 0: binary unchanged (meets the hurdle at 0): 0.5 x 400 = 200 avoided x 700
    # 1: binary 1 point worse: nothing, though 2.5 per reoffender beats 3
    # 2: binary better but 3.0 per reoffender: nothing to pay
    np.testing.assert_allclose(amount, [[140_000, 0, 0]])
    np.testing.assert_array_equal(ok, [[True, False, True]])
    loose, _ = rate_amount(freq.model_copy(update={"hurdle": Hurdle(min=-1.0)}), ev)
    np.testing.assert_allclose(loose, [[140_000, 0.5 * 410 * 700, 0]])
    none, _ = rate_amount(freq.model_copy(update={"hurdle": None}), ev)
    np.testing.assert_allclose(none, loose)


def test_significance_gates_payment():
    # se against the baseline: sqrt(0.4 x 0.6 / 1000) = 1.549 points, so 1.96 se = 3.04:
    # 3 points (z = 1.94) is not significant, 3.1 points (z = 2.00) is
    ev = against_baseline([370, 369])
    amount, ok = rate_amount(rate(price=1000, significance_level=0.05), ev)
    np.testing.assert_allclose(amount, [[0, 31_000]])
    np.testing.assert_array_equal(ok, [[False, True]])


def test_deductions_beyond_the_deduction_threshold_only():
    # 3, -2, -3, 0 points; deductions beyond 2 points of worsening: exactly 2 is tolerated,
    # beyond it the whole worsening is deducted (30 more reoffenders x 500)
    ev = against_baseline([370, 420, 430, 400])
    amount, ok = rate_amount(rate(price=1000, deduction_price=500, deduction_threshold=2), ev)
    np.testing.assert_allclose(amount, [[30_000, 0, -15_000, 0]])
    np.testing.assert_array_equal(ok, [[True, False, False, True]])
    flat, _ = rate_amount(rate(per="cohort", price=1000, threshold=1, deduction_price=400,
                               deduction_threshold=2), ev)
    np.testing.assert_allclose(flat, [[1000, 0, -400, 0]])
    per_point, _ = rate_amount(rate(per="change", price=100, deduction_price=50), ev)
    np.testing.assert_allclose(per_point, [[300, -100, -150, 0]])


def test_deductions_with_significance_need_significant_worsening():
    # -3 points (z = -1.94): not significant, no deduction; -4 points (z = -2.58): deducted
    ev = against_baseline([430, 440, 370])
    amount, _ = rate_amount(rate(price=1000, deduction_price=500, significance_level=0.05), ev)
    np.testing.assert_allclose(amount, [[0, -20_000, 0]])


def test_an_empty_cohort_is_neither_paid_nor_deducted():
    ev = make_evaluation([[0.0]], [[0.0]], comparison_reoffenders=[[0.0]])
    for per in ("unit", "change", "cohort"):
        amount, ok = rate_amount(rate(per=per, price=1000, deduction_price=500), ev)
        assert amount[0, 0] == 0 and not ok[0, 0]


# -- the rate card mechanism --------------------------------------------------------------

TR = OutcomePayment(type="outcome", rates=[
    rate(price=3000, threshold=2),
    rate(measure="frequency_per_reoffender", change="absolute", price=700,
         hurdle=Hurdle(measure="binary", change="points", min=0.0)),
])


def test_outcome_payment_by_hand():
    # baseline 400 reoffenders of 1000 committing 1200 reoffences (3 each)
    ev = make_evaluation(
        n=[[1000.0, 1000.0, 1000.0, 1000.0, 0.0]],
        reoffenders=[[350.0, 380.0, 410.0, 385.0, 0.0]],
        reoffences=[[980.0, 1178.0, 1025.0, 1001.0, 0.0]],
        comparison_reoffenders=[[400.0] * 4 + [0.0]],
        comparison_reoffences=[[1200.0] * 4 + [0.0]],
    )
    flows, _ = pay_outcome(TR, ev)
    # 0: 50 reoffenders avoided x 3000; 2.8 per reoffender, 0.2 x 350 = 70 avoided x 700
    # 1: exactly the 2-point threshold: 20 x 3000; 3.1 per reoffender is worse: nothing
    # 2: binary worse: nothing, and below the frequency hurdle: nothing
    # 3: 1.5 < 2 points: no binary payment, but over the hurdle: 0.4 x 385 = 154 x 700
    # 4: nobody: nothing
    np.testing.assert_allclose(flows.parts["binary"], [[150_000, 60_000, 0, 0, 0]])
    np.testing.assert_allclose(flows.parts["frequency_per_reoffender"],
                               [[49_000, 0, 0, 107_800, 0]])
    np.testing.assert_allclose(flows.by_cohort, [[199_000, 60_000, 0, 107_800, 0]])
    np.testing.assert_array_equal(flows.triggered, [[True, True, False, True, False]])
    assert flows.kind == "outcome"
    assert flows.pooled_triggered is None and not flows.pooled.any()


def test_caps_scale_the_parts_in_proportion():
    mech = TR.model_copy(update={"cap_per_cohort": 110_000.0, "cap_total": 150_000.0})
    ev = make_evaluation([[1000.0, 1000.0]], [[350.0, 350.0]], [[962.5, 962.5]],
                         [[400.0, 400.0]], [[1200.0, 1200.0]])
    flows, _ = pay_outcome(mech, ev)
    # raw 150,000 binary + 0.25 x 350 x 700 = 61,250 frequency = 211,250 each; capped at
    # 110,000, then the total cap leaves 40,000 for cohort 1; parts keep the split
    np.testing.assert_allclose(flows.by_cohort, [[110_000, 40_000]])
    share = 150_000 / 211_250
    np.testing.assert_allclose(flows.parts["binary"], [[110_000 * share, 40_000 * share]])
    np.testing.assert_allclose(flows.parts["frequency_per_reoffender"],
                               [[110_000 * (1 - share), 40_000 * (1 - share)]])


def test_two_rates_on_one_measure_are_labelled_apart():
    mech = OutcomePayment(type="outcome", rates=[rate(price=1), rate(per="cohort", price=5)])
    flows, _ = pay_outcome(mech, THREE)
    assert set(flows.parts) == {"binary (1)", "binary (2)"}


def test_outcome_payments_fall_in_each_cohorts_payment_month():
    ev = against_baseline([[350, 370, 360], [380, 400, 340]])
    flows, tl = pay_outcome(TR, ev)
    assert flows.monthly.shape == (2, tl.n_months)
    np.testing.assert_array_equal(flows.monthly[:, tl.payment_month], flows.by_cohort)
    others = np.setdiff1d(np.arange(tl.n_months), tl.payment_month)
    assert not flows.monthly[:, others].any()


def test_cohorts_paid_in_the_same_month_add_up():
    tl = simple_timeline(3)
    tl = type(tl)(tl.n_months, tl.contract_months, tl.cohort_months, tl.entry_month,
                  np.array([25, 25, 28]), tl.start_date)
    ev = make_evaluation([[100.0, 200.0, 100.0]], [[35.0, 70.0, 35.0]],
                         comparison_reoffenders=[[40.0, 80.0, 40.0]])
    flows = outcome.pay(OutcomePayment(type="outcome", rates=[rate(price=3000)]),
                        inputs(ev, tl))
    # 5 and 10 reoffenders avoided x 3000 in month 25; 5 in month 28
    assert flows.monthly[0, 25] == pytest.approx(45_000)
    assert flows.monthly[0, 28] == pytest.approx(15_000)
    assert flows.monthly.sum() == pytest.approx(60_000)


# -- pooled triggers (Peterborough) -------------------------------------------------------

#: reconviction events per person, paid per event avoided; 10% a cohort or 7.5% pooled
PETERBOROUGH = OutcomePayment(type="outcome", rates=[
    rate(measure="reconviction_events", change="percent", price=1000, threshold=10,
         pooled_threshold=7.5)])


def peterborough(treated_events) -> Measurement:
    """Two cohorts of 1000 against a matched group of 10 per person at 155 and 150 events
    per 100."""
    return Measurement(counts([[1000, 1000]], events=[treated_events]),
                      counts([[10_000, 10_000]], events=[[15_500, 15_000]]),
                      comparison_known=False)


def test_pooled_trigger_pays_when_no_cohort_did():
    # cohort 1: 142 against 155 per 100 = -8.4%; cohort 2: 135.5 against 150 = -9.7%: both
    # short of 10%, so no cohort payment. Pooled: 277.5 events per 200 against 305 per 200,
    # -9.0%, beyond 7.5%: 0.1375 x 2000 = 275 events avoided x 1000, with cohort 2's payment
    ev = peterborough([1420, 1355])
    est = ev.estimate("reconviction_events")
    np.testing.assert_allclose(est.change("percent"), [[100 * 13 / 155, 100 * 14.5 / 150]])
    assert ev.pooled().estimate("reconviction_events").change("percent")[0, 0] == \
        pytest.approx(100 * 0.1375 / 1.525)
    flows, tl = pay_outcome(PETERBOROUGH, ev)
    np.testing.assert_array_equal(flows.by_cohort, [[0, 0]])
    np.testing.assert_array_equal(flows.triggered, [[False, False]])
    np.testing.assert_allclose(flows.pooled, [275_000])
    np.testing.assert_array_equal(flows.pooled_triggered, [True])
    expected = np.zeros(tl.n_months)
    expected[tl.payment_month[-1]] = 275_000
    np.testing.assert_allclose(flows.monthly[0], expected)


def test_pooled_top_up_excludes_what_a_cohort_was_paid():
    # cohort 2 at 134 against 150 per 100 = -10.7% is paid 160 events x 1000; pooled
    # -9.5% is worth 0.145 x 2000 = 290 events, so the top-up is 290,000 - 160,000
    flows, tl = pay_outcome(PETERBOROUGH, peterborough([1420, 1340]))
    np.testing.assert_allclose(flows.by_cohort, [[0, 160_000]])
    np.testing.assert_allclose(flows.pooled, [130_000])
    assert flows.monthly[0, tl.payment_month[-1]] == pytest.approx(290_000)
    assert flows.total[0] == pytest.approx(290_000)


def test_pooled_trigger_missed():
    # 142 and 142 per 100: pooled -6.9%, short of 7.5%
    flows, _ = pay_outcome(PETERBOROUGH, peterborough([1420, 1420]))
    assert flows.total[0] == 0 and flows.pooled[0] == 0
    np.testing.assert_array_equal(flows.pooled_triggered, [False])


def test_pooled_top_up_is_never_negative():
    # cohort 1 paid 550 events; cohort 2 worse; pooled met but worth 450 events only
    flows, _ = pay_outcome(PETERBOROUGH, peterborough([1000, 1600]))
    np.testing.assert_allclose(flows.by_cohort, [[550_000, 0]])
    np.testing.assert_array_equal(flows.pooled_triggered, [True])
    assert flows.pooled[0] == 0


def test_total_cap_applies_to_the_pooled_top_up():
    mech = PETERBOROUGH.model_copy(update={"cap_total": 200_000.0})
    flows, _ = pay_outcome(mech, peterborough([1420, 1340]))
    np.testing.assert_allclose(flows.by_cohort, [[0, 160_000]])
    np.testing.assert_allclose(flows.pooled, [40_000])
    assert flows.total[0] == pytest.approx(200_000)


# -- foundation advances ------------------------------------------------------------------

@pytest.mark.parametrize("clawback", [True, False])
def test_foundation_advances_and_reconciliation(clawback):
    # 300 and 600 entrants; advances of 50 each, paid the month after entry: 15,000 over
    # months 1-3, 30,000 over months 4-6. Cohort 0 earns 15 reoffenders x 3000 = 45,000,
    # settled at its payment month (24) less the advance; cohort 1 earns nothing and its
    # 30,000 is clawed back at month 27, or kept.
    mech = OutcomePayment(type="outcome", rates=[rate(price=3000)],
                          foundation=Foundation(per_participant=50, clawback=clawback))
    ev = make_evaluation([[300.0, 600.0]], [[105.0, 240.0]],
                         comparison_reoffenders=[[120.0, 240.0]])
    flows, tl = pay_outcome(mech, ev)
    assert list(tl.payment_month) == [24, 27]
    expected = np.zeros(tl.n_months)
    expected[1:4], expected[4:7] = 5000, 10_000
    expected[24] = 30_000
    expected[27] = -30_000 if clawback else 0
    np.testing.assert_allclose(flows.monthly[0], expected)
    earned = np.array([[45_000, 0]])
    advance = np.array([[15_000, 30_000]])
    by_cohort = earned if clawback else np.maximum(earned, advance)
    np.testing.assert_allclose(flows.by_cohort, by_cohort)
    assert flows.total[0] == pytest.approx(by_cohort.sum())
    np.testing.assert_allclose(sum(flows.parts.values()), flows.by_cohort)


# -- revenue at risk (HMP Doncaster) ------------------------------------------------------

def doncaster(settle) -> RevenueAtRiskPayment:
    # 10% of a 1,000,000 annual core contract value rides on a 5-point cut
    return RevenueAtRiskPayment(type="revenue_at_risk", target=5, amount=100_000,
                                settle=settle)


# 2009 baseline 58%; cohort 1 -5.7 points, cohort 2 -3.3, then exactly -5, then nobody
DONCASTER = against_baseline([[523, 547, 530, 0]], baseline_k=[[580, 580, 580, 0]],
                             n=[[1000, 1000, 1000, 0]])


def test_revenue_at_risk_repay():
    flows = at_risk.pay(doncaster("repay"), inputs(DONCASTER))
    np.testing.assert_allclose(DONCASTER.estimate("binary").change("points")[0, :3],
                               [5.7, 3.3, 5.0])
    # cohort 1 met the target: no repayment; cohort 2 missed it: repays the sum at risk
    np.testing.assert_array_equal(flows.by_cohort, [[0, -100_000, 0, 0]])
    np.testing.assert_array_equal(flows.triggered, [[True, False, True, False]])
    tl = simple_timeline(4)
    np.testing.assert_array_equal(flows.monthly[:, tl.payment_month], flows.by_cohort)
    assert flows.total[0] == -100_000


def test_revenue_at_risk_earn():
    flows = at_risk.pay(doncaster("earn"), inputs(DONCASTER))
    np.testing.assert_array_equal(flows.by_cohort, [[100_000, 0, 100_000, 0]])
    assert flows.total[0] == 200_000


# -- tiered schedules ---------------------------------------------------------------------

def schedule(**kw) -> TieredPayment:
    return TieredPayment(type="tiered", change="percent",
                         tiers=[Tier(at=a, amount=m) for a, m in zip(AT, AMOUNT)], **kw)


# 1000 people a cohort, 400 baseline reoffenders: 4%, 10%, 25% and 15% fewer
TIERS = against_baseline([384, 360, 300, 340])


@pytest.mark.parametrize("kw, expected", [
    ({}, [0, 100, 400, 100]),
    ({"interpolate": True}, [0, 100, 400, 200]),
    ({"cap_total": 450.0}, [0, 100, 350, 0]),
])
def test_tiered_per_cohort(kw, expected):
    flows = tiered.pay(schedule(**kw), inputs(TIERS))
    np.testing.assert_allclose(flows.by_cohort, [expected])
    np.testing.assert_array_equal(flows.triggered, [[False, True, True, True]])
    np.testing.assert_allclose(flows.monthly.sum(axis=1), sum(expected))


@pytest.mark.parametrize("kw, expected", [
    ({}, 100), ({"interpolate": True}, 170), ({"interpolate": True, "cap_total": 150.0}, 150),
])
def test_tiered_pooled(kw, expected):
    # pooled: 1384 of 4000 against 1600 of 4000 = 13.5% fewer; interpolated
    # 100 + 3.5 / 15 x 300 = 170; paid once, with the last cohort
    flows = tiered.pay(schedule(basis="pooled", **kw), inputs(TIERS))
    tl = simple_timeline(4)
    assert not flows.by_cohort.any()
    np.testing.assert_allclose(flows.pooled, [expected])
    assert flows.monthly[0, tl.payment_month[-1]] == pytest.approx(expected)
    assert flows.total[0] == pytest.approx(expected)
    np.testing.assert_array_equal(flows.pooled_triggered, [True])


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

def close(actual, expected, scale):
    """Equal up to rounding on amounts of size ``scale``."""
    np.testing.assert_allclose(actual, expected, rtol=ROUNDING,
                               atol=ROUNDING * max(1.0, float(np.max(np.abs(scale)))))


@given(outcome_mechanisms, evaluations())
def test_outcome_caps_are_never_exceeded(mech, ev):
    flows, _ = pay_outcome(mech, ev)
    if mech.cap_per_cohort is not None:
        assert (flows.by_cohort <= mech.cap_per_cohort).all()
    if mech.cap_total is not None:
        paid = flows.by_cohort.sum(axis=1) + flows.pooled
        assert (paid <= mech.cap_total * (1 + ROUNDING)).all()


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


@given(outcome_mechanisms, evaluations())
def test_parts_sum_to_by_cohort_and_months_to_cohorts_plus_pooled(mech, ev):
    flows, _ = pay_outcome(mech, ev)
    scale = np.abs(list(flows.parts.values())).max(initial=0)
    close(sum(flows.parts.values()), flows.by_cohort, scale)
    close(flows.monthly.sum(axis=1), flows.by_cohort.sum(axis=1) + flows.pooled,
          np.abs(flows.monthly).sum())


@st.composite
def improvements(draw):
    """An evaluation against a fixed baseline, and the same with at least as much
    improvement on every measure: more baseline reoffenders (whole people), each new one
    with more reoffences than any existing reoffender (so the baseline's reoffences per
    reoffender do not fall), and fewer treated reoffences (at least one per reoffender)."""
    ev = draw(evaluations())
    t, c = ev.treated, ev.comparison
    unit = lambda: draw(npst.arrays(np.float64, ev.n.shape, elements=st.floats(0, 1)))  # noqa: E731
    added = np.floor((c.n - c.reoffenders) * unit())
    comparison_r = c.reoffences + 11 * added   # evaluations() has at most 10 per reoffender
    treated_r = t.reoffences - (t.reoffences - t.reoffenders) * unit()
    better = make_evaluation(t.n, t.reoffenders, treated_r, c.reoffenders + added, comparison_r)
    return ev, better


def shares_a_cohort_cap_with_a_pooled_rate(mech: OutcomePayment) -> bool:
    return (mech.cap_per_cohort is not None and len(mech.rates) > 1
            and any(r.pooled_threshold is not None for r in mech.rates))


@given(outcome_mechanisms, improvements())
def test_a_larger_improvement_never_pays_less(mech, pair):
    # outcome_mechanisms have no deductions, so cohort payments are monotone; so is the
    # total, except where a pooled rate shares a per-cohort cap with other rates (see
    # test_a_pooled_rate_sharing_a_cohort_cap_can_pay_less_for_more)
    worse, better = pair
    low, _ = pay_outcome(mech, worse)
    high, _ = pay_outcome(mech, better)
    if mech.cap_total is None:  # cohort by cohort (a total cap moves money between cohorts)
        assert (high.by_cohort >= low.by_cohort).all()
    if not shares_a_cohort_cap_with_a_pooled_rate(mech):
        assert (high.total >= low.total - ROUNDING * np.maximum(low.total, 1)).all()


@pytest.mark.xfail(strict=True, reason="known: the pooled top-up is net of the rate's share "
                   "of a per-cohort cap it shares with other rates, so a better result that "
                   "moves capped money between rates can lower the total")
def test_a_pooled_rate_sharing_a_cohort_cap_can_pay_less_for_more():
    # One cohort of 2 against a baseline of 1 reoffender, capped at 1 a cohort. Rate A pays
    # 1 per reoffender avoided; rate B pays 1 a cohort from 51 points, or pooled from 0.
    # 1 avoided (50 points): A is paid 1 (the cap), B's pooled top-up 1: total 2.
    # 2 avoided (100 points): A 2 and B 1 are capped to 1 together (2/3 and 1/3), B's
    # top-up is 1 - 1/3: total 1 2/3.
    mech = OutcomePayment(type="outcome", cap_per_cohort=1.0, rates=[
        rate(price=1.0), rate(per="cohort", price=1.0, threshold=51, pooled_threshold=0)])
    low, _ = pay_outcome(mech, make_evaluation([[2.0]], [[0.0]], comparison_reoffenders=[[1.0]]))
    high, _ = pay_outcome(mech, make_evaluation([[2.0]], [[0.0]],
                                                comparison_reoffenders=[[2.0]]))
    assert low.total[0] == pytest.approx(2.0)
    assert high.total[0] >= low.total[0]


@given(outcome_mechanisms, evaluations())
def test_outcome_payments_are_never_negative_without_deductions(mech, ev):
    flows, _ = pay_outcome(mech, ev)
    for a in (flows.monthly, flows.by_cohort, flows.pooled, *flows.parts.values()):
        assert (a >= 0).all()


@given(outcome_mechanisms, foundations, evaluations())
def test_foundation_moves_cash_earlier_and_keeps_the_totals(mech, foundation, ev):
    plain, tl = pay_outcome(mech, ev)
    flows, _ = pay_outcome(mech.model_copy(update={"foundation": foundation}), ev)
    earned, advance = plain.by_cohort, foundation.per_participant * ev.n
    scale = max(np.abs(earned).max(), advance.max()) * ev.n.shape[1]
    expected = earned if foundation.clawback else np.maximum(earned, advance)
    close(flows.by_cohort, expected, scale)
    close(flows.monthly.sum(axis=1), flows.by_cohort.sum(axis=1) + flows.pooled, scale)
    close(sum(flows.parts.values()), flows.by_cohort, scale)
    # advances the month after entry, the rest at the payment month
    close(flows.monthly - plain.monthly,
          tl.in_arrears(advance) + tl.at_payment_months(flows.by_cohort - earned - advance),
          scale)
    close(flows.pooled, plain.pooled, scale)


@st.composite
def schedules(draw):
    """Tiered schedules whose amounts never fall as the tiers rise (monotone)."""
    at = sorted(draw(st.sets(st.floats(-50, 100), min_size=1, max_size=5)))
    amount = sorted(draw(st.lists(money, min_size=len(at), max_size=len(at))))
    steep = any(not math.isfinite((m2 - m1) / (a2 - a1))   # refused when interpolated
                for a1, a2, m1, m2 in zip(at, at[1:], amount, amount[1:]))
    return TieredPayment(type="tiered", change=draw(st.sampled_from(["points", "percent"])),
                         tiers=[Tier(at=a, amount=m) for a, m in zip(at, amount)],
                         interpolate=False if steep else draw(st.booleans()),
                         basis=draw(st.sampled_from(["cohort", "pooled"])),
                         cap_total=draw(optional_cap))


@given(schedules(), improvements())
def test_tiered_is_capped_non_negative_and_monotone(mech, pair):
    low, high = (tiered.pay(mech, inputs(ev)) for ev in pair)   # worse, better
    top = mech.tiers[-1].amount
    for flows in (low, high):
        paid = flows.by_cohort.sum(axis=1) + flows.pooled if flows.pooled is not None \
            else flows.by_cohort.sum(axis=1)
        assert (flows.monthly >= 0).all() and (flows.by_cohort <= top).all()
        close(flows.monthly.sum(axis=1), paid, paid)
        if mech.cap_total is not None:
            assert (paid <= mech.cap_total * (1 + ROUNDING)).all()
    if mech.cap_total is None:
        assert (high.by_cohort >= low.by_cohort).all()
    assert (high.total >= low.total - ROUNDING * np.maximum(low.total, 1)).all()


@given(money, money, sims_by_cohorts.flatmap(
    lambda shape: npst.arrays(np.float64, shape, elements=st.integers(0, 100_000))))
def test_fees_are_never_negative_and_conserved(per_participant, annual, entrants):
    tl = simple_timeline(entrants.shape[1])
    mech = FeePayment(type="fee", per_participant=per_participant, annual=annual)
    flows = fee.pay(mech, PaymentInputs(tl, entrants, None))
    assert (flows.monthly >= 0).all()
    expected = per_participant * entrants.sum(axis=1) + annual * tl.contract_months / 12
    np.testing.assert_allclose(flows.monthly.sum(axis=1), expected, rtol=ROUNDING)


def test_tiers_a_hair_apart_stepped_pay_what_they_say():
    """The schedule hypothesis found (tiers 4.4e-309 apart, nothing then 1): refused when
    interpolated (tests/spec/test_load.py), and stepped it pays the tier reached, not
    infinity."""
    at, amount = [-1.0, -2.225073858507203e-309, 2.225073858507203e-309, 1.0], [0, 0, 1, 1]
    assert list(tier_amount(np.array([0.0, 0.5, 2.0]), at, amount, False)) == [0.0, 1.0, 1.0]
