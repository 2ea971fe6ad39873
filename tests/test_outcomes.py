"""pbr_model.outcomes: the count-based engine draws what a person-level model would.

Statistical tests use fixed seeds; tolerances are standard errors from theory, and
distribution checks are chi-square tests at the 0.001 level.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

from pbr_model.outcomes import (
    ExpectedSampler,
    Sampler,
    draw_cell_counts,
    draw_effect,
    expected_entrants,
    expit,
    logit,
    ratio,
    simulate_outcomes,
)
from pbr_model.spec import apply_overrides, validate
from pbr_model.spec.schema import EffectDistribution

REPS = 20_000
# (n people, p any reoffence, m reoffences per reoffender, k dispersion)
CELLS = [(12, 0.4, 3.2, 0.7), (5, 0.85, 1.6, 3.0)]

SPEC = {
    "contract": {"name": "outcomes test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 12, "cohort_months": 3},
    "cohorts": {"entrants_per_period": 50, "volume_factor_sd": 0.3, "period_noise_sd": 0.2},
    "population": {"bands": [
        {"name": "low", "share": 0.6, "binary_rate": 0.25, "reoffences_per_reoffender": 2.0},
        {"name": "high", "share": 0.4, "binary_rate": 0.5, "reoffences_per_reoffender": 4.0,
         "dispersion": 0.5},
    ]},
    "intervention": {"effect": {
        "binary": {"mean": 0.1, "sd": 0.3, "min": -0.05, "max": 0.3},
        "frequency": {"mean": 0.05, "sd": 0.1, "min": -0.2, "max": 0.5},
    }},
    "trend": {"binary_logit_sd": 0.05, "frequency_log_sd": 0.05},
}


def spec(*overrides):
    return validate(apply_overrides(SPEC, overrides))


# -- helpers -----------------------------------------------------------------------------

def per_person(rng, reps, n, p, m, k):
    """The reference model, person by person: each of ``n`` people reoffends with
    probability ``p``; a reoffender has 1 + NB(size k, mean m - 1) reoffences."""
    mu = m - 1
    reoffends = rng.random((reps, n)) < p
    extra = rng.negative_binomial(k, k / (k + mu), size=(reps, n))  # numpy's mean: k(1-q)/q = mu
    return reoffends.sum(axis=1), (reoffends * (1 + extra)).sum(axis=1)


def aggregate(rng, reps, n, p, m, k):
    """The engine's draw for ``reps`` cells of ``n`` people."""
    full = lambda v: np.full(reps, float(v))  # noqa: E731
    return draw_cell_counts(Sampler(rng), full(n), full(p), full(k), full(m))


def chi2_two_sample(a, b, min_pooled=10):
    """p-value that integer samples ``a`` and ``b`` (equal sizes) share one distribution.

    Adjacent values are merged until each bin holds ``min_pooled`` pooled draws; the
    sparse upper tail joins the last full bin. With equal sample sizes every expected
    count is then at least ``min_pooled / 2 = 5``.
    """
    assert len(a) == len(b)
    top = int(max(a.max(), b.max()))
    ca = np.bincount(a.astype(int), minlength=top + 1)
    cb = np.bincount(b.astype(int), minlength=top + 1)
    bins = np.empty(top + 1, dtype=int)
    current, held = 0, 0
    for value in range(top + 1):
        bins[value] = current
        held += ca[value] + cb[value]
        if held >= min_pooled:
            current, held = current + 1, 0
    if held:  # the remainder is too sparse for a bin of its own
        bins[bins == current] = current - 1
    table = np.stack([np.bincount(bins, weights=ca), np.bincount(bins, weights=cb)])
    table = table[:, table.sum(axis=0) > 0]
    assert table.shape[1] >= 2
    _, pvalue, _, expected = stats.chi2_contingency(table)
    assert expected.min() >= 5
    return pvalue


def moments_of_r(n, p, m, k):
    """Exact mean, variance and 4th central moment of a cell's reoffences R.

    R is the sum of n iid person counts Y = B (1 + X), B ~ Bernoulli(p), X ~ NB(k, m - 1);
    Y's moments come from its pmf (X's tail beyond 3,000 is below 1e-300), and cumulants
    of a sum of iid terms add.
    """
    mu = m - 1
    x = np.arange(3000)
    y = np.concatenate([[0.0], 1 + x])
    pmf = np.concatenate([[1 - p], p * stats.nbinom.pmf(x, k, k / (k + mu))])
    assert pmf.sum() == pytest.approx(1, abs=1e-12)
    mean_y = (y * pmf).sum()
    var_y = ((y - mean_y) ** 2 * pmf).sum()
    kappa4_y = ((y - mean_y) ** 4 * pmf).sum() - 3 * var_y**2
    var_r = n * var_y
    return n * mean_y, var_r, n * kappa4_y + 3 * var_r**2


# -- the aggregate draw equals the per-person draw ----------------------------------------

@pytest.mark.parametrize("n, p, m, k", CELLS)
def test_reoffenders_and_reoffences_match_the_person_level_model(n, p, m, k):
    k_agg, r_agg = aggregate(np.random.default_rng(101), REPS, n, p, m, k)
    k_ref, r_ref = per_person(np.random.default_rng(202), REPS, n, p, m, k)
    assert chi2_two_sample(k_agg, k_ref) > 0.001
    assert chi2_two_sample(r_agg, r_ref) > 0.001


@pytest.mark.parametrize("source", [aggregate, per_person])
@pytest.mark.parametrize("n, p, m, k", CELLS)
def test_reoffences_mean_and_variance_match_theory(source, n, p, m, k):
    # Given K reoffenders, R = K + (sum of K iid NB(k, mu) extras), mu = m - 1, so
    #   E[R | K] = K (1 + mu) = K m,   Var[R | K] = K (mu + mu^2 / k).
    # With K ~ Binomial(n, p), the law of total variance gives
    #   E[R]   = n p m
    #   Var[R] = E[Var(R | K)] + Var(E[R | K]) = n p (mu + mu^2 / k) + m^2 n p (1 - p).
    mu = m - 1
    mean = n * p * m
    var = n * p * (mu + mu**2 / k) + m**2 * n * p * (1 - p)
    exact_mean, exact_var, mu4 = moments_of_r(n, p, m, k)
    assert exact_mean == pytest.approx(mean, rel=1e-10)
    assert exact_var == pytest.approx(var, rel=1e-10)

    _, r = source(np.random.default_rng(303), REPS, n, p, m, k)
    se_mean = np.sqrt(var / REPS)
    # standard error of the unbiased sample variance
    se_var = np.sqrt((mu4 - var**2 * (REPS - 3) / (REPS - 1)) / REPS)
    assert abs(r.mean() - mean) < 4 * se_mean
    assert abs(r.var(ddof=1) - var) < 4 * se_var


def test_one_reoffence_per_reoffender_means_reoffences_equal_reoffenders():
    k, r = aggregate(np.random.default_rng(4), 1000, 30, 0.5, 1.0, 0.7)
    np.testing.assert_array_equal(k, r)


def test_empty_cells_draw_nothing():
    k, r = draw_cell_counts(Sampler(np.random.default_rng(5)), np.zeros(50), 0.9, 0.5, 4.0)
    assert not k.any() and not r.any()


# -- the expected sampler -----------------------------------------------------------------

def test_expected_sampler_returns_expected_values():
    s = ExpectedSampler()
    np.testing.assert_array_equal(s.standard_normal((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(s.lognormal_mean_one(0.7, (2, 1)), np.ones((2, 1)))
    np.testing.assert_array_equal(s.poisson(np.array([2.5, 7.0])), [2.5, 7.0])
    np.testing.assert_allclose(s.binomial(np.array([10.0, 40.0]), 0.25), [2.5, 10.0])
    np.testing.assert_allclose(s.multinomial(np.array([100.0, 10.0]), np.array([0.6, 0.4])),
                               [[60, 40], [6, 4]])
    np.testing.assert_allclose(s.negative_binomial_sum(np.array([4.0]), 0.5, 2.5), [10.0])
    k, r = draw_cell_counts(s, np.array([12.0]), np.array([0.4]), np.array([0.7]),
                            np.array([3.2]))
    np.testing.assert_allclose(k, [12 * 0.4])
    np.testing.assert_allclose(r, [12 * 0.4 * 3.2])


def test_expected_run_of_simulate_outcomes_has_no_noise():
    model = spec()
    o = simulate_outcomes(model, ExpectedSampler(), 2)
    # 50 entrants split 60/40; effect and trend at their means (trend mean 0)
    np.testing.assert_allclose(o.entrants, np.broadcast_to([30.0, 20.0], (2, 4, 2)))
    np.testing.assert_allclose(o.reoffenders[0, 0], [30 * 0.25 * 0.9, 20 * 0.5 * 0.9])
    np.testing.assert_allclose(o.reoffences[0, 0],
                               [30 * 0.25 * 0.9 * 2 * 0.95, 20 * 0.5 * 0.9 * 4 * 0.95])
    np.testing.assert_allclose(o.effect_binary, 0.1)


# -- simulate_outcomes --------------------------------------------------------------------

class Recording(Sampler):
    """A sampler that keeps the Poisson totals it drew."""

    def poisson(self, lam):
        self.totals = super().poisson(lam)
        return self.totals


def test_shapes_follow_sims_cohorts_bands():
    o = simulate_outcomes(spec(), Sampler(np.random.default_rng(1)), 7)
    for name in ("entrants", "reoffenders", "reoffences",
                 "counterfactual_reoffenders", "counterfactual_reoffences"):
        assert getattr(o, name).shape == (7, 4, 2), name
    assert o.effect_binary.shape == o.effect_frequency.shape == (7,)
    assert o.trend_logit.shape == o.trend_log_frequency.shape == o.budget_takers.shape == (7, 4)


def test_entrants_conserved_and_counts_consistent():
    sampler = Recording(np.random.default_rng(2))
    o = simulate_outcomes(spec("intervention.personal_budget.take_up=0.3"), sampler, 500)
    np.testing.assert_array_equal(o.entrants.sum(axis=2), sampler.totals)
    for counts in (o.entrants, o.reoffenders, o.reoffences, o.budget_takers):
        np.testing.assert_array_equal(counts, np.round(counts))
        assert (counts >= 0).all()
    assert (o.reoffenders <= o.entrants).all()
    assert (o.reoffences >= o.reoffenders).all()
    assert not o.reoffences[o.reoffenders == 0].any()
    assert (o.budget_takers <= sampler.totals).all()


def test_effect_draws_are_clipped_normals():
    sims = 4000
    dist = EffectDistribution(mean=0.1, sd=0.3, min=-0.05, max=0.3)
    e = draw_effect(Sampler(np.random.default_rng(3)), dist, sims)
    assert e.min() == dist.min and e.max() == dist.max
    # the share clipped at each bound is the normal tail beyond it, within 4 standard errors
    for share, tail in ((np.mean(e == dist.min), stats.norm.cdf((dist.min - 0.1) / 0.3)),
                        (np.mean(e == dist.max), stats.norm.sf((dist.max - 0.1) / 0.3))):
        assert abs(share - tail) < 4 * np.sqrt(tail * (1 - tail) / sims)


def test_effects_in_a_simulation_stay_within_their_bounds():
    o = simulate_outcomes(spec(), Sampler(np.random.default_rng(4)), 2000)
    assert o.effect_binary.min() == -0.05 and o.effect_binary.max() == 0.3
    assert (o.effect_frequency >= -0.2).all() and (o.effect_frequency <= 0.5).all()


def test_zero_sd_effect_equals_the_mean():
    model = spec("intervention.effect.binary.sd=0", "intervention.effect.frequency.sd=0")
    o = simulate_outcomes(model, Sampler(np.random.default_rng(5)), 100)
    np.testing.assert_array_equal(o.effect_binary, 0.1)
    np.testing.assert_array_equal(o.effect_frequency, 0.05)


def test_volume_factors_have_mean_one():
    sims = 20_000
    model = spec()
    o = simulate_outcomes(model, Sampler(np.random.default_rng(6)), sims)
    e = expected_entrants(model)  # 50 per cohort
    assert (e == 50).all()
    per_sim = o.entrants.sum(axis=2).mean(axis=1)  # mean entrants per cohort in each sim
    # N_c ~ Poisson(E V eps_c), V and eps_c independent log-normals of mean 1, so with
    # sv, sp their log-sds: Var N_c = E + E^2 (exp(sv^2 + sp^2) - 1) and, through the
    # shared V, Cov(N_c, N_c') = E^2 (exp(sv^2) - 1).
    E, C, sv, sp = 50.0, 4, 0.3, 0.2
    var_c = E + E**2 * (np.exp(sv**2 + sp**2) - 1)
    cov = E**2 * (np.exp(sv**2) - 1)
    se = np.sqrt((C * var_c + C * (C - 1) * cov) / C**2 / sims)
    assert abs(per_sim.mean() - E) < 4 * se


def test_ratio_of_counts_is_nan_where_there_is_no_one():
    np.testing.assert_array_equal(ratio(np.array([3.0, 0.0, 5.0]), np.array([4.0, 0.0, 0.0])),
                                  [0.75, np.nan, np.nan])


def test_logit_and_expit_invert_each_other():
    p = np.array([1e-6, 0.25, 0.5, 0.9])
    np.testing.assert_allclose(expit(logit(p)), p, rtol=1e-12)
    assert logit(0.5) == 0 and expit(0.0) == 0.5


# -- paid volume and caseload ----------------------------------------------------------------

@pytest.mark.parametrize("rho", [0.6, -0.5, 0.0])
def test_paid_and_caseload_factors_have_the_set_correlation(rho):
    sims = 20_000
    model = spec("cohorts.paid_volume_factor_sd=0.4", f"cohorts.paid_caseload_correlation={rho}")
    o = simulate_outcomes(model, Sampler(np.random.default_rng(21)), sims)
    a, b = np.log(o.volume_factor), np.log(o.paid_volume_factor)
    # the logs are exactly normal with sds 0.3 and 0.4: the sample correlation of n pairs
    # has standard error (1 - rho^2) / sqrt(n) (large-sample, bivariate normal)
    assert a.std() == pytest.approx(0.3, rel=4 / np.sqrt(2 * sims))
    assert b.std() == pytest.approx(0.4, rel=4 / np.sqrt(2 * sims))
    se = (1 - rho**2) / np.sqrt(sims)
    assert abs(np.corrcoef(a, b)[0, 1] - rho) < 4 * se
    # each factor has mean 1: sd of the lognormal with log-sd s is sqrt(exp(s^2) - 1)
    assert abs(o.paid_volume_factor.mean() - 1) < 4 * np.sqrt(np.exp(0.16) - 1) / np.sqrt(sims)


def test_paid_volume_follows_its_own_plan_and_factor():
    sims = 20_000
    model = spec("cohorts.paid_volume_per_period=[30, 40, 20, 10]",
                 "cohorts.paid_volume_factor_sd=0.2", "cohorts.paid_caseload_correlation=0")
    o = simulate_outcomes(model, Sampler(np.random.default_rng(22)), sims)
    assert o.paid_volume.shape == (sims, 4)
    # E[paid_c] = P_c E[W] E[eps] E[N/lam] = P_c: W, eps and the counting noise have mean 1
    # and are independent given lam; a generous 5 standard errors from the sample
    se = o.paid_volume.std(axis=0) / np.sqrt(sims)
    np.testing.assert_array_less(np.abs(o.paid_volume.mean(axis=0) - [30, 40, 20, 10]), 5 * se)
    expected = simulate_outcomes(model, ExpectedSampler(), 3)
    np.testing.assert_allclose(expected.paid_volume, [[30, 40, 20, 10]] * 3)


def test_paid_volume_is_the_caseload_by_default():
    o = simulate_outcomes(spec(), Sampler(np.random.default_rng(23)), 500)
    np.testing.assert_array_equal(o.paid_volume, o.entrants.sum(axis=2))
    np.testing.assert_array_equal(o.paid_volume_factor, o.volume_factor)


def test_the_paid_factor_draw_leaves_every_other_draw_as_it_was():
    # the paid factor's own normal is the last draw of a block: setting the paid volume
    # apart changes the fee base and nothing else a contract draws
    base = simulate_outcomes(spec(), Sampler(np.random.default_rng(24)), 300)
    apart = simulate_outcomes(spec("cohorts.paid_caseload_correlation=0.2",
                                   "cohorts.paid_volume_factor_sd=0.5"),
                              Sampler(np.random.default_rng(24)), 300)
    for name in ("n", "reoffenders", "reoffences"):
        np.testing.assert_array_equal(getattr(apart.treated, name), getattr(base.treated, name))
    for name in ("effect_binary", "effect_frequency", "trend_logit", "budget_takers",
                 "volume_factor"):
        np.testing.assert_array_equal(getattr(apart, name), getattr(base, name))
    assert not np.array_equal(apart.paid_volume, base.paid_volume)


class Normals(Sampler):
    """A sampler that keeps every standard normal it drew, in order."""

    def __init__(self, rng):
        super().__init__(rng)
        self.normals = []

    def standard_normal(self, size):
        z = super().standard_normal(size)
        self.normals.append(z)
        return z

    def lognormal_mean_one(self, sigma, size):
        return self.lognormal_of(self.standard_normal(size), sigma)


@pytest.mark.parametrize("paid, caseload", [(0.0, -0.2), (0.0, 0.3), (0.3, 0.3), (0.3, 0.0)])
def test_a_volume_shock_draws_the_same_normals_simulation_by_simulation(paid, caseload):
    # common random numbers: the counts have a stream of their own, so a shocked plan
    # (whose Poisson draws use other random numbers) leaves every normal as it was:
    # volume factors, period noise, effects, trend and the comparison's matching bias
    from pbr_model.scenarios import shock_volumes
    model = spec("evaluation.design=matched_comparison", "evaluation.matching_bias_sd=0.1",
                 "evaluation.did_weight=0.5")
    a, b = Normals(np.random.default_rng(25)), Normals(np.random.default_rng(25))
    base = simulate_outcomes(model, a, 300)
    shocked = simulate_outcomes(shock_volumes(model, paid, caseload), b, 300)
    assert len(a.normals) == len(b.normals) >= 7
    for x, y in zip(a.normals, b.normals):
        np.testing.assert_array_equal(x, y)
    for name in ("effect_binary", "effect_frequency", "trend_logit", "trend_log_frequency",
                 "volume_factor", "paid_volume_factor"):
        np.testing.assert_array_equal(getattr(shocked, name), getattr(base, name))
    if caseload == 0:
        # the caseload's plan did not move, so neither did a count; the paid volume is
        # the base's cut by the shock, exactly but for rounding
        np.testing.assert_array_equal(shocked.entrants, base.entrants)
        np.testing.assert_array_equal(shocked.comparison.reoffenders,
                                      base.comparison.reoffenders)
        np.testing.assert_allclose(shocked.paid_volume, (1 - paid) * base.paid_volume,
                                   rtol=1e-12)
    else:
        assert not np.array_equal(shocked.entrants, base.entrants)


@pytest.mark.parametrize("override, fragment", [
    ("cohorts.paid_volume_per_period=[1, 2]", "paid_volume_per_period has 2 values"),
    ("cohorts.paid_volume_per_period=-5", "between 0 and 10,000,000"),
    ("cohorts.paid_caseload_correlation=1.5", "paid_caseload_correlation"),
    ("cohorts.paid_volume_factor_sd=-0.1", "paid_volume_factor_sd"),
])
def test_bad_paid_volume_fields_are_refused_with_their_path(override, fragment):
    from pbr_model.errors import SpecError
    with pytest.raises(SpecError, match=fragment):
        spec(override)
