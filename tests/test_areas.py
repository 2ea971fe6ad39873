"""Areas differ (``[area]``, :mod:`pbr_model.areas`): the area's persistent and per-period
deviations from the national trend, checked against theory within standard errors, shared
by an RCT's control group and not by a national matched comparison group, and drawing
nothing at all when off.

Theory for the spread of a measured binary change at zero effect against a baseline known
exactly: ``Var(p0 - K/n) = E[p(1 - p)] E[1/n] + Var(p)`` with ``p = expit(logit p0 + A)``,
``A ~ N(0, sd^2 + period_sd^2)``; the moments of ``p`` by Gauss-Hermite quadrature (exact
to rounding), ``E[1/n]`` from the simulated cohort sizes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.areas import draw_area
from pbr_model.measure import evaluate
from pbr_model.outcomes import Sampler, expit, logit, simulate_outcomes
from pbr_model.spec import apply_overrides, validate
from pbr_model.spec.area import Area

P0, N, SIMS = 0.4, 2000, 20_000

SPEC = {
    "contract": {"name": "area test", "start_date": dt.date(2020, 1, 1), "length_months": 12,
                 "cohort_months": 3},
    "cohorts": {"entrants_per_period": N},
    "population": {"bands": [{"name": "all", "share": 1.0, "binary_rate": P0,
                              "reoffences_per_reoffender": 3.0}]},
}


def spec(*overrides):
    return validate(apply_overrides(SPEC, overrides))


def run(model, seed=11, sims=SIMS):
    outcomes = simulate_outcomes(model, Sampler(np.random.default_rng(seed)), sims)
    return outcomes, evaluate(model, outcomes)


def moments_of_p(sd_total: float) -> tuple[float, float]:
    """E[p] and E[p^2] for p = expit(logit P0 + sd_total Z), by Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / w.sum()
    p = expit(logit(P0) + sd_total * x)
    return float(w @ p), float(w @ p**2)


def var_se(x: np.ndarray) -> tuple[float, float]:
    """Sample variance and its standard error, ``sqrt((m4 - s^4) / n)``."""
    d = x - x.mean()
    s2 = float(np.mean(d**2))
    return s2, float(np.sqrt((np.mean(d**4) - s2**2) / len(x)))


@pytest.mark.parametrize("sd, period_sd", [(0.2, 0.0), (0.0, 0.15), (0.15, 0.1)])
def test_spread_of_the_measured_change_adds_the_area_variances(sd, period_sd):
    model = spec(f"area.binary_logit_sd={sd}", f"area.binary_logit_period_sd={period_sd}")
    outcomes, ev = run(model)
    change = ev.estimate("binary").improvement[:, 1]
    m1, m2 = moments_of_p(np.hypot(sd, period_sd))
    inv_n = np.mean(1 / outcomes.treated.n[:, 1, 0])
    theory = (m1 - m2) * inv_n + (m2 - m1**2)
    got, se = var_se(change)
    assert abs(got - theory) < 4 * se, (got, theory, se)
    # and the area's share is visible: more than sampling alone by many standard errors
    assert got - P0 * (1 - P0) * inv_n > 10 * se


def test_persistent_and_period_deviations_correlate_as_their_variances_say():
    area = Area(binary_logit_sd=0.2, binary_logit_period_sd=0.1)
    dev = draw_area(Sampler(np.random.default_rng(3)), area, SIMS, 4).logit
    r = np.corrcoef(dev[:, 0], dev[:, 3])[0, 1]
    rho = 0.2**2 / (0.2**2 + 0.1**2)
    assert abs(r - rho) < 4 * (1 - rho**2) / np.sqrt(SIMS)
    # each cohort's sd is the hypotenuse
    sd, se = dev[:, 2].std(), np.hypot(0.2, 0.1) / np.sqrt(2 * SIMS)
    assert abs(sd - np.hypot(0.2, 0.1)) < 4 * se


def test_frequency_deviation_moves_reoffences_per_reoffender():
    # persistent only: every cohort of a simulation moves together, in log reoffences per
    # reoffender, by sd 0.3, on top of the counting noise of log(R/K). Given the deviation A
    # that noise is, by the delta method, the variance of one reoffender's count, (m - 1) +
    # (m - 1)^2 / k (k = 1, the default dispersion), over K m^2 with m = max(1, 3 e^A) and
    # K about N P0 (sd about 0.03); its mean over A by the quadrature above
    sd, sims = 0.3, 4000
    outcomes, _ = run(spec(f"area.frequency_log_sd={sd}"), sims=sims)
    t = outcomes.treated
    log_f = np.log(t.reoffences.sum(axis=2) / t.reoffenders.sum(axis=2))
    x, w = np.polynomial.hermite_e.hermegauss(80)
    m = np.maximum(1.0, 3.0 * np.exp(sd * x))
    counting = float((w / w.sum()) @ (((m - 1) + (m - 1) ** 2) / m**2)) / (N * P0)
    v, se = var_se(log_f[:, 0])
    assert abs(v - (sd**2 + counting)) < 4 * se, (v, sd**2 + counting, se)
    # two cohorts share A and not their counting noise: correlation sd^2 / (sd^2 + counting),
    # with the standard error of a correlation, (1 - rho^2) / sqrt(sims)
    rho = sd**2 / (sd**2 + counting)
    r = np.corrcoef(log_f[:, 0], log_f[:, 3])[0, 1]
    assert abs(r - rho) < 4 * (1 - rho**2) / np.sqrt(sims), (r, rho)


def test_rct_control_shares_the_area_and_a_national_comparison_group_does_not():
    area = ("area.binary_logit_sd=0.3",)
    rct = spec(*area, "evaluation.design=rct")
    matched = spec(*area, "evaluation.design=matched_comparison")
    out_rct, ev_rct = run(rct, sims=5000)
    out_matched, ev_matched = run(matched, sims=5000)
    m1, m2 = moments_of_p(0.3)
    # the control group lives in the area and moves with the treated: given p = expit(logit
    # P0 + A) both are binomial, so the difference has variance E[p(1-p)] E[1/n + 1/n_c],
    # with no Var(p) term
    inv_n = np.mean(1 / out_rct.treated.n[:, 0, 0] + 1 / out_rct.comparison.n[:, 0, 0])
    v_rct, se_rct = var_se(ev_rct.estimate("binary").improvement[:, 0])
    assert abs(v_rct - (m1 - m2) * inv_n) < 4 * se_rct, (v_rct, (m1 - m2) * inv_n, se_rct)
    # the matched group is national (rate P0): the area's whole variance Var(p) stays in
    # the estimate, beside both groups' sampling
    theory = ((m1 - m2) * np.mean(1 / out_matched.treated.n[:, 0, 0])
              + P0 * (1 - P0) * np.mean(1 / out_matched.comparison.n[:, 0, 0]) + (m2 - m1**2))
    v_matched, se_matched = var_se(ev_matched.estimate("binary").improvement[:, 0])
    assert abs(v_matched - theory) < 4 * se_matched, (v_matched, theory, se_matched)


def test_off_draws_nothing_and_changes_no_number():
    sampler = Sampler(np.random.default_rng(5))
    assert draw_area(sampler, Area(), 10, 4).logit == 0.0
    assert np.array_equal(sampler.rng.standard_normal(3),
                          np.random.default_rng(5).standard_normal(3))
    a, _ = run(spec(), sims=500)
    b, _ = run(spec("area.binary_logit_sd=0", "area.frequency_log_period_sd=0"), sims=500)
    for x, y in ((a.treated.reoffenders, b.treated.reoffenders),
                 (a.treated.reoffences, b.treated.reoffences),
                 (a.counterfactual_reoffenders, b.counterfactual_reoffenders)):
        assert np.array_equal(x, y)


def test_on_leaves_the_draws_before_it_as_they_were():
    # the effects and the national trend are drawn before the area: common random numbers
    base = spec("intervention.effect.binary.sd=0.05", "trend.binary_logit_sd=0.05")
    a, _ = run(base, sims=500)
    b, _ = run(validate(apply_overrides(base.model_dump(), ["area.binary_logit_sd=0.2"])),
               sims=500)
    assert np.array_equal(a.effect_binary, b.effect_binary)
    assert np.array_equal(a.trend_logit, b.trend_logit)
    assert not np.array_equal(a.treated.reoffenders, b.treated.reoffenders)
