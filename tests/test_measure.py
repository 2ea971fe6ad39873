"""pbr_model.measure.historical_baseline on hand-built counts.

Baseline bands: low p0 = 0.25, m0 = 2 reoffences per reoffender; high p0 = 0.5, m0 = 4.
Every expected value below is worked by hand from those numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.measure import historical_baseline
from pbr_model.outcomes import Outcomes
from pbr_model.payments.outcome import meets
from pbr_model.spec import validate

SPEC = validate({
    "contract": {"name": "measure test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 9, "cohort_months": 3},
    "cohorts": {"entrants_per_period": 100},
    "population": {"bands": [
        {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0},
    ]},
})


def outcomes(entrants, reoffenders, reoffences) -> Outcomes:
    """Outcomes with the given ``(n_sims, n_cohorts, n_bands)`` counts; the fields the
    measure does not read are NaN, so reading one would show."""
    e = np.asarray(entrants, dtype=float)
    nan3, nan2, nan1 = np.full(e.shape, np.nan), np.full(e.shape[:2], np.nan), np.full(
        e.shape[:1], np.nan)
    return Outcomes(
        entrants=e, reoffenders=np.asarray(reoffenders, float),
        reoffences=np.asarray(reoffences, float),
        counterfactual_reoffenders=nan3, counterfactual_reoffences=nan3,
        effect_binary=nan1, effect_frequency=nan1, trend_logit=nan2,
        trend_log_frequency=nan2, budget_takers=nan2,
    )


# One simulation, three cohorts:
#   0: 60 low + 40 high; 12 + 16 reoffenders; 20 + 60 reoffences
#   1: all 50 high; 30 reoffenders; 90 reoffences          (worse than baseline)
#   2: nobody                                              (unmeasurable)
CASE = outcomes(
    entrants=[[[60, 40], [0, 50], [0, 0]]],
    reoffenders=[[[12, 16], [0, 30], [0, 0]]],
    reoffences=[[[20, 60], [0, 90], [0, 0]]],
)


def test_counts_are_summed_over_bands():
    m = historical_baseline(SPEC, CASE)
    np.testing.assert_array_equal(m.n, [[100, 50, 0]])
    np.testing.assert_array_equal(m.reoffenders, [[28, 30, 0]])
    np.testing.assert_array_equal(m.reoffences, [[80, 90, 0]])


def test_binary_rate_against_case_mix_adjusted_baseline():
    m = historical_baseline(SPEC, CASE)
    # cohort 0: measured 28/100 = 0.28; baseline (60 x 0.25 + 40 x 0.5) / 100 = 35/100 = 0.35;
    #           reduction 100 x (0.35 - 0.28) = 7 points
    # cohort 1: measured 30/50 = 0.6; its baseline is the high band's 0.5 (not the
    #           population's 0.35: the case mix is adjusted); 100 x (0.5 - 0.6) = -10 points
    np.testing.assert_allclose(m.binary_rate[0, :2], [0.28, 0.6])
    np.testing.assert_allclose(m.baseline_binary_rate[0, :2], [0.35, 0.5])
    np.testing.assert_allclose(m.binary_reduction_points[0, :2], [7.0, -10.0])


def test_frequency_against_case_mix_adjusted_baseline():
    m = historical_baseline(SPEC, CASE)
    # cohort 0: measured 80/28 = 20/7; baseline expected reoffences 15 x 2 + 20 x 4 = 110 over
    #           35 expected reoffenders = 22/7; reduction 22/7 - 20/7 = 2/7
    # cohort 1: measured 90/30 = 3; baseline 4 (high band only); reduction 1
    np.testing.assert_allclose(m.frequency[0, :2], [20 / 7, 3.0])
    np.testing.assert_allclose(m.baseline_frequency[0, :2], [22 / 7, 4.0])
    np.testing.assert_allclose(m.frequency_reduction[0, :2], [2 / 7, 1.0])


def test_empty_cohort_is_nan():
    m = historical_baseline(SPEC, CASE)
    for name in ("binary_rate", "baseline_binary_rate", "binary_reduction_points",
                 "frequency", "baseline_frequency", "frequency_reduction"):
        assert np.isnan(getattr(m, name)[0, 2]), name


def test_no_reoffenders_gives_nan_frequency_but_a_binary_result():
    # 10 low + 10 high, nobody reoffends: binary 0; baseline (2.5 + 5) / 20 = 0.375
    # -> 37.5 points; baseline frequency (2.5 x 2 + 5 x 4) / 7.5 = 25 / 7.5 = 10/3
    m = historical_baseline(SPEC, outcomes([[[10, 10]]], [[[0, 0]]], [[[0, 0]]]))
    assert m.binary_rate[0, 0] == 0
    assert m.binary_reduction_points[0, 0] == pytest.approx(37.5)
    assert m.baseline_frequency[0, 0] == pytest.approx(10 / 3)
    assert np.isnan(m.frequency[0, 0]) and np.isnan(m.frequency_reduction[0, 0])


def test_reductions_are_positive_when_results_beat_the_baseline():
    better = historical_baseline(SPEC, outcomes([[[60, 40]]], [[[10, 10]]], [[[15, 30]]]))
    worse = historical_baseline(SPEC, outcomes([[[60, 40]]], [[[20, 30]]], [[[60, 150]]]))
    assert better.binary_reduction_points[0, 0] > 0 and better.frequency_reduction[0, 0] > 0
    assert worse.binary_reduction_points[0, 0] < 0 and worse.frequency_reduction[0, 0] < 0


def test_exactly_baseline_results_measure_zero():
    # 15 + 20 reoffenders, 30 + 80 reoffences: the baseline exactly
    m = historical_baseline(SPEC, outcomes([[[60, 40]]], [[[15, 20]]], [[[30, 80]]]))
    assert m.binary_reduction_points[0, 0] == pytest.approx(0, abs=1e-12)
    assert m.frequency_reduction[0, 0] == pytest.approx(0, abs=1e-12)


def test_simulations_and_cohorts_are_measured_independently():
    two = outcomes([[[60, 40]], [[0, 50]]], [[[12, 16]], [[0, 30]]], [[[20, 60]], [[0, 90]]])
    m = historical_baseline(SPEC, two)
    assert m.n.shape == (2, 1)
    np.testing.assert_allclose(m.binary_reduction_points[:, 0], [7.0, -10.0])


def test_a_result_exactly_at_a_whole_point_threshold_meets_it():
    # baseline 15 + 20 = 35 reoffenders of 100; measured 10 + 20 = 30: 5 points exactly
    m = historical_baseline(SPEC, outcomes([[[60, 40]]], [[[10, 20]]], [[[20, 80]]]))
    assert meets(m.binary_reduction_points, 5.0)[0, 0]
