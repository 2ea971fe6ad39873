"""The DiD pre-period correlated with the post-period, person by person
(``evaluation.pre_post_correlation``), and the treated pre-period's shift (an Ashenfelter
dip, ``evaluation.pre_period_logit_shift``).

With ``n`` people each a bivariate Bernoulli of correlation ``rho`` between the periods, the
two periods' rates ``K_pre / n`` and ``K / n`` have correlation exactly ``rho`` (given ``n``
their covariance is ``rho s1 s2 / n`` and variances ``s^2 / n``, and their means do not
depend on ``n``), so across simulations the rates' correlation estimates ``rho``, with
standard error ``(1 - rho^2) / sqrt(sims)``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.designs.groups import joint_reoffending
from pbr_model.measure import evaluate
from pbr_model.outcomes import Sampler, expit, logit, simulate_outcomes
from pbr_model.spec import apply_overrides, validate

P0, N, SIMS = 0.4, 1000, 20_000

SPEC = {
    "contract": {"name": "pre-post test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 6, "cohort_months": 3},
    "cohorts": {"entrants_per_period": N},
    "population": {"bands": [{"name": "all", "share": 1.0, "binary_rate": P0,
                              "reoffences_per_reoffender": 3.0}]},
    "evaluation": {"design": "rct", "did_weight": 0.5},
}


def spec(*overrides):
    return validate(apply_overrides(SPEC, overrides))


def run(model, seed=31, sims=SIMS):
    outcomes = simulate_outcomes(model, Sampler(np.random.default_rng(seed)), sims)
    return outcomes, evaluate(model, outcomes)


def rates(counts):
    return counts.reoffenders[:, 0, 0] / counts.n[:, 0, 0]


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.7, -0.4])
def test_pre_and_post_rates_correlate_as_the_people_do(rho):
    outcomes, _ = run(spec(f"evaluation.pre_post_correlation={rho}"))
    se = (1 - rho**2) / np.sqrt(SIMS)
    for post, pre in ((outcomes.treated, outcomes.treated_pre),
                      (outcomes.comparison, outcomes.comparison_pre)):
        r = np.corrcoef(rates(post), rates(pre))[0, 1]
        assert abs(r - rho) < 4 * se, (r, rho)
        # the pre-period's own rate is unchanged by the correlation
        assert abs(rates(pre).mean() - P0) < 4 * rates(pre).std() / np.sqrt(SIMS)


def test_an_infeasible_correlation_takes_the_nearest_feasible_one():
    # a dip of +1.792 in log odds puts the treated pre-period at 0.8 against 0.4 after: the
    # largest correlation two such Bernoullis can have is sqrt(0.4 x 0.2 / (0.8 x 0.6))
    shift = float(logit(0.8) - logit(0.4))
    outcomes, _ = run(spec("evaluation.pre_post_correlation=1",
                           f"evaluation.pre_period_logit_shift={shift}"))
    pre = rates(outcomes.treated_pre)
    assert abs(pre.mean() - 0.8) < 4 * pre.std() / np.sqrt(SIMS)
    most = np.sqrt(0.4 * 0.2 / (0.8 * 0.6))
    r = np.corrcoef(rates(outcomes.treated), pre)[0, 1]
    assert abs(r - most) < 4 * (1 - most**2) / np.sqrt(SIMS)
    given_yes, given_no = joint_reoffending(0.4, 0.8, 1.0)
    assert given_yes == pytest.approx(1.0) and given_no == pytest.approx(2 / 3)


def test_the_did_estimate_is_more_precise_when_the_periods_correlate():
    # estimate = C - T + w (T_pre - C_pre); at zero effect with n_C = n_T = n people,
    # Var = s^2 E[1/n] (2 + 2 w^2 - 4 w rho)
    w, s2 = 0.5, P0 * (1 - P0)
    found = {}
    for rho in (0.0, 0.6):
        outcomes, ev = run(spec(f"evaluation.pre_post_correlation={rho}"))
        x = ev.estimate("binary").improvement[:, 0]
        d = x - x.mean()
        v, se = np.mean(d**2), np.sqrt((np.mean(d**4) - np.mean(d**2)**2) / SIMS)
        theory = s2 * np.mean(1 / outcomes.treated.n[:, 0, 0]) * (2 + 2 * w**2 - 4 * w * rho)
        assert abs(v - theory) < 4 * se, (rho, v, theory)
        found[rho] = v
    assert found[0.6] < 0.6 * found[0.0]


def test_the_dip_is_shared_by_a_control_group_not_a_matched_one():
    shift = 0.5
    rct, _ = run(spec(f"evaluation.pre_period_logit_shift={shift}"), sims=2000)
    matched, _ = run(spec("evaluation.design=matched_comparison",
                          f"evaluation.pre_period_logit_shift={shift}"), sims=2000)
    dipped = expit(logit(P0) + shift)
    for outcomes, control_pre in ((rct, dipped), (matched, P0)):
        for counts, p in ((outcomes.treated_pre, dipped), (outcomes.comparison_pre, control_pre)):
            got = counts.reoffenders.sum() / counts.n.sum()
            assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / counts.n.sum())


def test_a_nonrandomised_did_comparison_does_not_share_the_dip():
    # Roca's DiD leg estimated the effect of enrolment against a non-randomised comparison
    # [NoSpin]: the treated pre-period has the dip, the DiD comparison's does not, so with
    # no effect the blend's improvement is the DiD weight times the dip (in rates), not 0
    shift, w = 0.5, 0.5
    control, ev_c = run(spec(f"evaluation.pre_period_logit_shift={shift}"), sims=2000)
    nonrandom, ev_n = run(spec(f"evaluation.pre_period_logit_shift={shift}",
                               "evaluation.did_comparison=nonrandomised"), sims=2000)
    dipped = expit(logit(P0) + shift)
    pre = nonrandom.comparison_pre
    n = pre.n.sum()
    assert abs(pre.reoffenders.sum() / n - P0) < 4 * np.sqrt(P0 * (1 - P0) / n)
    for ev, bias in ((ev_c, 0.0), (ev_n, w * (dipped - P0))):
        d = ev.estimate("binary").improvement[:, 0]
        assert abs(d.mean() - bias) < 4 * d.std() / np.sqrt(len(d)), (bias, d.mean())


def test_off_the_pre_period_is_drawn_as_before():
    # pre_post_correlation = 0 keeps the independent draws: the same numbers as a spec
    # without the field, and a different draw when it is on
    a, _ = run(spec(), sims=300)
    b, _ = run(spec("evaluation.pre_post_correlation=0"), sims=300)
    c, _ = run(spec("evaluation.pre_post_correlation=0.5"), sims=300)
    assert np.array_equal(a.treated_pre.reoffenders, b.treated_pre.reoffenders)
    assert not np.array_equal(a.treated_pre.reoffenders, c.treated_pre.reoffenders)
    assert np.array_equal(a.treated.reoffenders, c.treated.reoffenders)


@pytest.mark.parametrize("rho", [0.0, 0.8, -0.6])
def test_the_significance_test_counts_the_periods_covariance(rho):
    """At no true difference the DiD-blended z statistic is standard normal whatever the
    periods' correlation: its standard error subtracts each group's pre/post covariance.
    Without that term z's sd is 0.60 at rho = 0.8 (a test far too strict) and 1.28 at
    -0.8 (noise paid). Tolerances: the sd of n normals has standard error sd / sqrt(2 n);
    a 5% rate has sqrt(0.05 x 0.95 / n)."""
    _, measured = run(spec(f"evaluation.pre_post_correlation={rho}"), seed=47)
    z = measured.estimate("binary").z()[:, 0]
    n = len(z)
    assert abs(z.std() - 1) < 4 / np.sqrt(2 * n), z.std()
    rate = np.mean(np.abs(z) >= 1.959964)
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n), rate
