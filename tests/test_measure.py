"""pbr_model.measure on hand-built counts: every measure's value, the change in points,
percent and absolute terms, units avoided, pooling, the historical baseline with and
without case-mix adjustment, the DiD blend and the standard errors.

Baseline bands: low p0 = 0.25, m0 = 2 reoffences per reoffender; high p0 = 0.5, m0 = 4.
Every expected value below is worked by hand from the numbers given.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.designs.historical_baseline import baseline_counts
from pbr_model.measure import Measurement, evaluate, value
from pbr_model.outcomes import Counts, Outcomes
from pbr_model.payments.rules import meets
from pbr_model.spec import apply_overrides, validate
from strategies import counts

NAN = np.nan

SPEC = {
    "contract": {"name": "measure test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 9, "cohort_months": 3},
    "cohorts": {"entrants_per_period": 100},
    "population": {"bands": [
        {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0},
    ]},
}


def spec(*overrides):
    return validate(apply_overrides(SPEC, overrides))


# One simulation, three cohorts; cohort 2 is empty. The comparison is a fixed baseline of
# the same size.
#              n    reoffenders reoffences events bed days employed
#   treated    100  28          80         50     400      30
#              50   30          90         60     900      10
#   comparison 100  35          110        70     500      20
#              50   25          100        50     800      15
TREATED = counts([[100, 50, 0]], [[28, 30, 0]], [[80, 90, 0]], [[50, 60, 0]],
                 [[400, 900, 0]], employed=[[30, 10, 0]])
BASELINE = counts([[100, 50, 0]], [[35, 25, 0]], [[110, 100, 0]], [[70, 50, 0]],
                  [[500, 800, 0]], employed=[[20, 15, 0]])
CASE = Measurement(TREATED, BASELINE, higher_is_better={"employed": True})


# -- values of every measure --------------------------------------------------------------

@pytest.mark.parametrize("measure, treated, comparison", [
    ("binary", [0.28, 0.6], [0.35, 0.5]),
    ("frequency_per_offender", [0.8, 1.8], [1.1, 2.0]),
    ("frequency_per_reoffender", [20 / 7, 3.0], [22 / 7, 4.0]),
    ("reconviction_events", [0.5, 1.2], [0.7, 1.0]),
    ("bed_days", [4.0, 18.0], [5.0, 16.0]),
    ("employed", [0.3, 0.2], [0.2, 0.3]),
])
def test_value_of_every_measure(measure, treated, comparison):
    np.testing.assert_allclose(value(TREATED, measure)[0, :2], treated)
    np.testing.assert_allclose(value(BASELINE, measure)[0, :2], comparison)
    assert np.isnan(value(TREATED, measure)[0, 2])


def test_no_reoffenders_gives_nan_per_reoffender_but_a_binary_result():
    nobody = counts([[20.0]], [[0.0]], [[0.0]])
    assert value(nobody, "binary")[0, 0] == 0
    assert value(nobody, "frequency_per_offender")[0, 0] == 0
    assert np.isnan(value(nobody, "frequency_per_reoffender")[0, 0])


# -- change and units ---------------------------------------------------------------------

@pytest.mark.parametrize("measure, points, percent, absolute, units", [
    # 100 x (0.35 - 0.28) = 7 points = 20% of 0.35; 7 of 100 reoffenders avoided;
    # cohort 1: 0.5 - 0.6 = -10 points = -20%; 5 more reoffenders among 50
    ("binary", [7, -10], [20, -20], [0.07, -0.1], [7, -5]),
    # 22/7 - 20/7 = 2/7 per reoffender = 1/11 of 22/7; times the 28 *treated* reoffenders
    # (TR's base) = 8 reoffences avoided; cohort 1: 4 - 3 = 1 = 25%, times 30
    ("frequency_per_reoffender", None, [100 / 11, 25], [2 / 7, 1], [8, 30]),
    ("frequency_per_offender", None, [300 / 11, 10], [0.3, 0.2], [30, 10]),
    ("reconviction_events", None, [200 / 7, -20], [0.2, -0.2], [20, -10]),
    ("bed_days", None, [20, -12.5], [1, -2], [100, -100]),
    # higher is better: treated - comparison; 0.3 - 0.2 = 10 points = 50% of 0.2;
    # 10 more people employed. Cohort 1: 0.2 - 0.3 = -10 points = -1/3 of 0.3
    ("employed", [10, -10], [50, -100 / 3], [0.1, -0.1], [10, -5]),
])
def test_change_and_units(measure, points, percent, absolute, units):
    est = CASE.estimate(measure)
    if points is not None:
        np.testing.assert_allclose(est.change("points")[0, :2], points)
    np.testing.assert_allclose(est.change("percent")[0, :2], percent)
    np.testing.assert_allclose(est.change("absolute")[0, :2], absolute)
    np.testing.assert_allclose(est.improvement[0, :2], absolute)
    np.testing.assert_allclose(est.units()[0, :2], units)


def test_sign_is_minus_one_only_where_higher_is_better():
    assert CASE.estimate("employed").sign == -1
    assert CASE.estimate("binary").sign == 1
    # the same outcome read as a bad one (no higher_is_better entry) changes sign
    bad = Measurement(TREATED, BASELINE).estimate("employed")
    assert bad.sign == 1
    np.testing.assert_allclose(bad.change("points")[0, :2], [-10, 10])


def test_per_reoffender_base_is_the_treated_reoffenders():
    est = CASE.estimate("frequency_per_reoffender")
    np.testing.assert_array_equal(est.base[0, :2], [28, 30])
    np.testing.assert_array_equal(CASE.estimate("binary").base[0, :2], [100, 50])


def test_empty_cohort_is_nan_everywhere():
    for measure in ("binary", "frequency_per_offender", "frequency_per_reoffender",
                    "reconviction_events", "bed_days", "employed"):
        est = CASE.estimate(measure)
        for kind in ("points", "percent", "absolute"):
            assert np.isnan(est.change(kind)[0, 2]), (measure, kind)
        assert np.isnan(est.units()[0, 2]), measure
        assert np.isnan(est.se[0, 2]) and np.isnan(est.z()[0, 2]), measure


@pytest.mark.parametrize("treated_k, treated_n, comparison_k, comparison_n", [
    (30, 100, 35, 100),        # 0.35 - 0.30 in floating point is 4.999999999999999 points
    (30, 100, 350, 1000),      # a comparison group ten times the size
    (529, 1000, 579, 1000),
])
def test_a_result_exactly_at_a_whole_point_threshold_meets_it(treated_k, treated_n,
                                                              comparison_k, comparison_n):
    ev = Measurement(counts([[treated_n]], [[treated_k]]),
                    counts([[comparison_n]], [[comparison_k]]), comparison_known=False)
    points = ev.estimate("binary").change("points")
    assert points[0, 0] == 5.0
    assert meets(points, 5.0)[0, 0]


def test_a_result_exactly_at_a_percent_threshold_meets_it():
    # Peterborough's 10%: 155 reconviction events per 100 in the comparison, 139.5 treated
    ev = Measurement(counts([[1000]], events=[[1395]]), counts([[10_000]], events=[[15_500]]),
                    comparison_known=False)
    percent = ev.estimate("reconviction_events").change("percent")
    assert percent[0, 0] == 10.0
    assert meets(percent, 10.0)[0, 0]


def test_exactly_baseline_results_measure_zero():
    same = Measurement(BASELINE, BASELINE)
    for measure in ("binary", "frequency_per_reoffender", "bed_days"):
        for kind in ("percent", "absolute"):
            np.testing.assert_array_equal(same.estimate(measure).change(kind)[0, :2], 0.0)


# -- pooling ------------------------------------------------------------------------------

def test_pooled_sums_counts_before_taking_ratios():
    pooled = CASE.pooled()
    assert pooled.n.shape == (1, 1) and pooled.n[0, 0] == 150
    binary = pooled.estimate("binary")
    # 58 of 150, not the mean of 0.28 and 0.6 (0.44)
    assert binary.treated[0, 0] == pytest.approx(58 / 150)
    assert binary.comparison[0, 0] == pytest.approx(60 / 150)
    assert binary.change("points")[0, 0] == pytest.approx(100 * 2 / 150)
    freq = pooled.estimate("frequency_per_reoffender")
    # 170 reoffences by 58 reoffenders against 210 by 60; units on the 58 treated reoffenders
    assert freq.treated[0, 0] == pytest.approx(170 / 58)
    assert freq.comparison[0, 0] == pytest.approx(3.5)
    assert freq.units()[0, 0] == pytest.approx((3.5 - 170 / 58) * 58)
    assert pooled.estimate("employed").change("points")[0, 0] == pytest.approx(
        100 * (40 - 35) / 150)


def test_pooled_keeps_simulations_apart():
    two = Measurement(counts([[100, 100], [10, 30]], [[10, 30], [1, 1]]),
                     counts([[100, 100], [10, 30]], [[20, 20], [2, 2]]))
    np.testing.assert_allclose(two.pooled().estimate("binary").change("points"),
                               [[0.0], [100 * 2 / 40]])


# -- the historical baseline through evaluate ---------------------------------------------

def outcomes(n, reoffenders, reoffences, *, comparison=None, treated_pre=None,
             comparison_pre=None) -> Outcomes:
    """Outcomes with the given treated ``(n_sims, n_cohorts, n_bands)`` counts; fields the
    evaluator does not read are NaN, so reading one would show."""
    treated = Counts(*(np.asarray(a, dtype=float) for a in (n, reoffenders, reoffences)))
    s, c, _ = treated.n.shape
    return Outcomes(
        treated=treated, comparison=comparison, treated_pre=treated_pre,
        comparison_pre=comparison_pre,
        counterfactual_reoffenders=np.full(treated.n.shape, NAN),
        counterfactual_reoffences=np.full(treated.n.shape, NAN),
        effect_binary=np.full(s, NAN), effect_frequency=np.full(s, NAN), effect_other={},
        trend_logit=np.full((s, c), NAN), trend_log_frequency=np.full((s, c), NAN),
        budget_takers=np.full((s, c), NAN),
    )


# One simulation, three cohorts:
#   0: 60 low + 40 high (the spec's own mix); 12 + 16 reoffenders; 20 + 60 reoffences
#   1: all 50 high; 30 reoffenders; 90 reoffences
#   2: nobody
BANDS = outcomes(n=[[[60, 40], [0, 50], [0, 0]]], reoffenders=[[[12, 16], [0, 30], [0, 0]]],
                 reoffences=[[[20, 60], [0, 90], [0, 0]]])


def test_evaluate_sums_counts_over_bands():
    ev = evaluate(spec(), BANDS)
    np.testing.assert_array_equal(ev.n, [[100, 50, 0]])
    np.testing.assert_array_equal(ev.treated.reoffenders, [[28, 30, 0]])
    np.testing.assert_array_equal(ev.treated.reoffences, [[80, 90, 0]])
    assert ev.comparison_known


def test_case_mix_adjusted_baseline():
    ev = evaluate(spec(), BANDS)
    binary = ev.estimate("binary")
    # cohort 0: baseline (60 x 0.25 + 40 x 0.5) / 100 = 0.35, measured 0.28: 7 points;
    # cohort 1: its baseline is the high band's 0.5 (its own mix): 0.5 - 0.6 = -10 points
    np.testing.assert_allclose(binary.comparison[0, :2], [0.35, 0.5])
    np.testing.assert_allclose(binary.change("points")[0, :2], [7.0, -10.0])
    freq = ev.estimate("frequency_per_reoffender")
    # cohort 0: (15 x 2 + 20 x 4) / 35 = 22/7 against 80/28 = 20/7; cohort 1: 4 against 3
    np.testing.assert_allclose(freq.comparison[0, :2], [22 / 7, 4.0])
    np.testing.assert_allclose(freq.improvement[0, :2], [2 / 7, 1.0])
    assert np.isnan(binary.change("points")[0, 2])


def test_unadjusted_baseline_uses_the_spec_shares():
    ev = evaluate(spec("evaluation.case_mix_adjusted=false"), BANDS)
    binary = ev.estimate("binary")
    # cohort 1's 50 people are weighed as 30 low + 20 high: (7.5 + 10) / 50 = 0.35, so the
    # same result is -25 points, not -10; cohort 0 already has the spec's mix
    np.testing.assert_allclose(binary.comparison[0, :2], [0.35, 0.35])
    np.testing.assert_allclose(binary.change("points")[0, :2], [7.0, -25.0])
    freq = ev.estimate("frequency_per_reoffender")
    np.testing.assert_allclose(freq.comparison[0, :2], [22 / 7, 22 / 7])


def test_baseline_counts_of_the_derived_measures():
    model = spec("outcomes.events.extra_reoffence_share=0.5", "outcomes.custody.probability=0.2",
                 "outcomes.custody.days_mean=30",
                 'outcomes.other=[{name = "employed", base_rate = 0.4}]')
    base = baseline_counts(model, np.array([[60.0, 40.0]]),
                           {"reconviction_events", "bed_days", "employed"})
    np.testing.assert_allclose(base.n, [100])
    np.testing.assert_allclose(base.reoffenders, [35])            # 15 + 20
    np.testing.assert_allclose(base.reoffences, [110])            # 30 + 80
    # each reoffender's first reoffence is an event, and half of the rest:
    # 15 x (1 + 1 x 0.5) + 20 x (1 + 3 x 0.5) = 22.5 + 50
    np.testing.assert_allclose(base.events, [72.5])
    np.testing.assert_allclose(base.bed_days, [110 * 0.2 * 30])
    np.testing.assert_allclose(base.other["employed"], [40])
    unused = baseline_counts(model, np.array([[60.0, 40.0]]), {"binary"})
    assert unused.events is None and unused.bed_days is None and unused.other == {}


def test_simulations_and_cohorts_are_measured_independently():
    two = outcomes([[[60, 40]], [[0, 50]]], [[[12, 16]], [[0, 30]]], [[[20, 60]], [[0, 90]]])
    ev = evaluate(spec(), two)
    assert ev.n.shape == (2, 1)
    np.testing.assert_allclose(ev.estimate("binary").change("points")[:, 0], [7.0, -10.0])


# -- comparison groups and the DiD blend --------------------------------------------------

def group(n, k):
    """Counts of one simulation and cohort, all in the low band, 3 reoffences each."""
    return Counts(*(np.array([[[float(a), 0.0]]]) for a in (n, k, 3.0 * k)))


def test_comparison_group_is_drawn_not_computed():
    model = spec("evaluation.design='matched_comparison'")
    ev = evaluate(model, outcomes([[[100, 0]]], [[[30, 0]]], [[[90, 0]]],
                                  comparison=group(1000, 400)))
    assert not ev.comparison_known
    assert ev.estimate("binary").change("points")[0, 0] == pytest.approx(10.0)


def test_did_blend_counterfactual():
    # T = 30/100, C = 400/1000, T_pre = 45/100, C_pre = 400/1000, w = 0.2:
    # counterfactual C + w (T_pre - C_pre) = 0.4 + 0.2 x 0.05 = 0.41; 11 points
    model = spec("evaluation.design='rct'", "evaluation.did_weight=0.2")
    o = outcomes([[[100, 0]]], [[[30, 0]]], [[[90, 0]]], comparison=group(1000, 400),
                 treated_pre=group(100, 45), comparison_pre=group(1000, 400))
    est = evaluate(model, o).estimate("binary")
    assert est.comparison[0, 0] == pytest.approx(0.41)
    assert est.change("points")[0, 0] == pytest.approx(11.0)
    assert est.change("percent")[0, 0] == pytest.approx(100 * 0.11 / 0.41)


# -- standard errors ----------------------------------------------------------------------

def test_se_against_a_fixed_baseline_uses_the_baseline_rate():
    est = CASE.estimate("binary")
    # the null is the baseline rate p0: sqrt(p0 (1 - p0) / n), not the treated rate
    np.testing.assert_allclose(est.se[0, :2], [np.sqrt(0.35 * 0.65 / 100),
                                               np.sqrt(0.5 * 0.5 / 50)])
    np.testing.assert_allclose(est.z()[0, :2], [0.07 / np.sqrt(0.35 * 0.65 / 100),
                                                -0.1 / np.sqrt(0.25 / 50)])
    employed = CASE.estimate("employed")
    np.testing.assert_allclose(employed.se[0, :2], [np.sqrt(0.2 * 0.8 / 100),
                                                    np.sqrt(0.3 * 0.7 / 50)])
    assert employed.z()[0, 0] > 0  # better is positive whichever way the outcome points


def test_se_against_a_comparison_group_is_the_pooled_two_proportion_se():
    ev = Measurement(counts([[100]], [[30]]), counts([[1000]], [[400]]), comparison_known=False)
    est = ev.estimate("binary")
    p = 430 / 1100
    se = np.sqrt(p * (1 - p) * (1 / 100 + 1 / 1000))
    assert est.se[0, 0] == pytest.approx(se)
    assert est.z()[0, 0] == pytest.approx(0.1 / se)


def test_se_with_a_did_blend_adds_the_pre_period_pair():
    w = 0.2
    ev = Measurement(counts([[100]], [[30]]), counts([[1000]], [[400]]),
                    counts([[100]], [[45]]), counts([[1000]], [[400]]), did_weight=w,
                    comparison_known=False)
    p, q = 430 / 1100, 445 / 1100
    se = np.sqrt((p * (1 - p) + w**2 * q * (1 - q)) * (1 / 100 + 1 / 1000))
    assert ev.estimate("binary").se[0, 0] == pytest.approx(se)


def test_count_measures_have_no_se():
    for measure in ("frequency_per_offender", "frequency_per_reoffender",
                    "reconviction_events", "bed_days"):
        est = CASE.estimate(measure)
        assert np.isnan(est.se).all() and np.isnan(est.z()).all(), measure
