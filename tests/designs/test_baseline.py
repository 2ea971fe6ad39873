"""A historical baseline measured in one noisy year (``evaluation.baseline_size``) and
case-mix adjustment chosen per measure (``evaluation.case_mix_adjusted = ["binary"]``).

The baseline year is drawn once per simulation after the treated cohorts, so with and
without it the treated counts are the same draws (common random numbers) and the measured
change differs by the baseline year's error alone.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.designs import describe
from pbr_model.measure import evaluate
from pbr_model.outcomes import Counts, Outcomes, Sampler, simulate_outcomes
from pbr_model.spec import apply_overrides, validate

P0, N, BASE, SIMS = 0.4, 1000, 1500, 20_000

SPEC = {
    "contract": {"name": "baseline test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 6, "cohort_months": 3},
    "cohorts": {"entrants_per_period": N},
    "population": {"bands": [{"name": "all", "share": 1.0, "binary_rate": P0,
                              "reoffences_per_reoffender": 3.0}]},
}


def spec(*overrides, base=SPEC):
    return validate(apply_overrides(base, overrides))


def run(model, seed=21, sims=SIMS):
    outcomes = simulate_outcomes(model, Sampler(np.random.default_rng(seed)), sims)
    return outcomes, evaluate(model, outcomes)


def var_se(x: np.ndarray) -> tuple[float, float]:
    d = x - x.mean()
    s2 = float(np.mean(d**2))
    return s2, float(np.sqrt((np.mean(d**4) - s2**2) / len(x)))


@pytest.fixture(scope="module")
def pair():
    """The same treated draws against a known baseline and against a drawn year."""
    known, ev_known = run(spec())
    drawn, ev_drawn = run(spec(f"evaluation.baseline_size={BASE}"))
    return known, ev_known, drawn, ev_drawn


def test_the_treated_draws_are_unchanged_by_the_baseline_year(pair):
    known, _, drawn, _ = pair
    assert np.array_equal(known.treated.reoffenders, drawn.treated.reoffenders)
    assert known.baseline is None
    assert drawn.baseline.n.shape == (SIMS, 1, 1)
    assert np.all(drawn.baseline.n == BASE)


def test_the_baseline_year_adds_its_sampling_variance(pair):
    _, ev_known, drawn, ev_drawn = pair
    v_known, se_known = var_se(ev_known.estimate("binary").improvement[:, 0])
    v_drawn, se_drawn = var_se(ev_drawn.estimate("binary").improvement[:, 0])
    added = P0 * (1 - P0) / BASE
    assert abs((v_drawn - v_known) - added) < 4 * np.hypot(se_known, se_drawn), \
        (v_drawn - v_known, added)
    # the comparison is the drawn year's rate, the same for every cohort of a simulation
    rate = drawn.baseline.reoffenders[:, 0, 0] / BASE
    comparison = ev_drawn.estimate("binary").comparison
    np.testing.assert_allclose(comparison[:, 0], rate)
    np.testing.assert_allclose(comparison[:, 1], rate)


def test_regression_to_the_mean(pair):
    _, _, drawn, ev_drawn = pair
    error = drawn.baseline.reoffenders[:, 0, 0] / BASE - P0
    change = ev_drawn.estimate("binary").improvement[:, 0]
    high = change[error > 0]
    se = high.std() / np.sqrt(len(high))
    # a baseline year that drew high makes a service with no effect look like it improved
    assert high.mean() > 4 * se
    assert abs(high.mean() - error[error > 0].mean()) < 4 * se
    low = change[error < 0]
    assert low.mean() < -4 * low.std() / np.sqrt(len(low))


def test_a_drawn_year_of_frequency_and_derived_measures():
    model = spec(f"evaluation.baseline_size={BASE}", "outcomes.custody.probability=0.2",
                 "outcomes.custody.days_mean=30")
    outcomes, ev = run(model, sims=2000)
    year = outcomes.baseline
    f = ev.estimate("frequency_per_reoffender").comparison[:, 0]
    np.testing.assert_allclose(f, year.reoffences[:, 0, 0] / year.reoffenders[:, 0, 0])
    assert np.std(f) > 0
    # bed days are not read by any rule, so the year carries none: the baseline has no noise
    assert year.bed_days is None


def test_baseline_size_is_drawn_per_band_and_weighted_by_the_cohorts_mix():
    two = {**SPEC, "population": {"bands": [
        {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0}]}}
    outcomes, ev = run(spec("evaluation.baseline_size=1001", base=two), sims=300)
    year = outcomes.baseline
    assert year.n[0, 0].tolist() == [601.0, 400.0]   # rint(1001 x 0.6), rint(1001 x 0.4)
    rates = year.reoffenders / year.n                  # (sims, 1, bands)
    by_band = outcomes.treated.n
    expected = (by_band * rates).sum(axis=2) / by_band.sum(axis=2)
    np.testing.assert_allclose(ev.estimate("binary").comparison, expected)


# -- case-mix adjustment per measure ----------------------------------------------------------

MIX = {**SPEC, "population": {"bands": [
    {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
    {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0}]}}


def risky_cohort() -> Outcomes:
    """One simulation, two cohorts: cohort 0 at the spec's mix (60 low, 40 high), cohort 1
    all high risk (50 high), riskier than the spec's mix."""
    n = np.array([[[60.0, 40.0], [0.0, 50.0]]])
    k = np.array([[[10.0, 18.0], [0.0, 30.0]]])
    r = np.array([[[20.0, 60.0], [0.0, 90.0]]])
    z = np.zeros((1,))
    return Outcomes(Counts(n, k, r), None, None, None, n * 0, n * 0, z, z, {},
                    np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2)))


@pytest.mark.parametrize("adjusted, binary_1, frequency_1", [
    ("true", 0.5, 4.0),                 # both move with the cohort's own mix
    ("false", 0.35, 22 / 7),            # neither: the spec's shares
    ('["binary"]', 0.5, 22 / 7),        # TR: only the binary rate is adjusted
    ('["frequency_per_reoffender"]', 0.35, 4.0),
])
def test_case_mix_adjustment_per_measure(adjusted, binary_1, frequency_1):
    model = spec(f"evaluation.case_mix_adjusted={adjusted}", base=MIX)
    ev = evaluate(model, risky_cohort())
    # the spec's mix: (60 x 0.25 + 40 x 0.5) / 100 = 0.35; reoffences per reoffender
    # (15 x 2 + 20 x 4) / 35 = 22/7; all high risk: 0.5 and 4
    np.testing.assert_allclose(ev.estimate("binary").comparison[0], [0.35, binary_1])
    np.testing.assert_allclose(ev.estimate("frequency_per_reoffender").comparison[0],
                               [22 / 7, frequency_1])


def test_describe_says_which_measures_are_adjusted():
    ev = spec('evaluation.case_mix_adjusted=["binary"]', "evaluation.baseline_size=20000",
              base=MIX).evaluation
    assert describe(ev) == "baseline (case-mix adjusted: binary)"
    assert describe(spec(base=MIX).evaluation) == "baseline (case-mix adjusted)"


@pytest.mark.parametrize("ratio", [4.0, 1.0])
def test_a_fixed_baseline_test_against_a_drawn_year_is_too_often_significant(ratio):
    # MoJ's test treated the 2011 baseline as fixed (methodology section 14): se^2 =
    # y*(1 - y*)/n. With the baseline year drawn with its own sampling error, at zero effect,
    # no trend and no area effects, improvement = y* - K/n has variance p(1-p)(1/n + 1/n_b),
    # so |z| is about N(0, 1 + n/n_b) and the test's true size is
    # 2 Phi(-1.96 / sqrt(1 + n/n_b)): 8.0% for a baseline 4 x the cohort, 16.6% for one the
    # same size, not 5%. Checked on one cohort per simulation, within 4 standard errors of a
    # proportion (the cohort's Poisson size, mean N, moves it by far less)
    from statistics import NormalDist

    z_crit = NormalDist().inv_cdf(0.975)
    model = spec(f"evaluation.baseline_size={int(ratio * N)}")
    _, ev = run(model, seed=23)
    z = ev.estimate("binary").z()[:, 0]
    got = np.mean(np.abs(z) >= z_crit)
    size = 2 * NormalDist().cdf(-z_crit / np.sqrt(1 + 1 / ratio))
    se = np.sqrt(size * (1 - size) / SIMS)
    assert abs(got - size) < 4 * se, (got, size, se)
    assert got > 0.05 + 4 * np.sqrt(0.05 * 0.95 / SIMS)  # and clearly not the nominal 5%
