"""A matched comparison group drawn with replacement (``[evaluation] design_effect``):
its measured rate varies as a group of ``n / design_effect`` people, and the significance
test's standard error counts it so.

Statistical checks use a fixed seed, and tolerances of 4 standard errors from theory: a
standardised binomial proportion has mean 0 and variance 1 (the sample variance of ``N``
of them has a standard error of about sqrt(2 / N); binomial excess kurtosis at these
sizes is below 0.01 and ignored)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pbr_model.errors import SpecError
from pbr_model.measure import evaluate, value
from pbr_model.outcomes import Sampler, expit, logit, simulate_outcomes
from pbr_model.spec import apply_overrides, validate
from strategies import make_evaluation

SIMS = 6000
P0 = 0.4
SPEC = {
    "contract": {"name": "design effect test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 12, "cohort_months": 3},
    "cohorts": {"entrants_per_period": 300},
    "population": {"bands": [
        {"name": "all", "share": 1.0, "binary_rate": P0, "reoffences_per_reoffender": 3.0},
    ]},
    "trend": {"binary_logit_drift": 0.05, "binary_logit_sd": 0.0},
    "evaluation": {"design": "matched_comparison"},   # 10 matches per person, no bias
}


def standardised_comparison_rate(design_effect: float, seed: int = 7) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """The comparison group's measured binary rate, standardised by its binomial sd at the
    effective size (``z_eff``) and at its full size (``z_full``), per (sim, cohort)."""
    model = validate(apply_overrides(SPEC, [f"evaluation.design_effect={design_effect}"]))
    out = simulate_outcomes(model, Sampler(np.random.default_rng(seed)), SIMS)
    ev = evaluate(model, out)
    rate = value(ev.comparison, "binary")
    n = ev.comparison.n
    n_eff = np.maximum(np.rint(n / design_effect), 1)   # as drawn
    p = expit(logit(P0) + out.trend_logit)
    pq = p * (1 - p)
    return ((rate - p) / np.sqrt(pq / n_eff)).ravel(), ((rate - p) / np.sqrt(pq / n)).ravel()


@pytest.mark.parametrize("design_effect", [1.0, 4.0])
def test_the_comparison_rate_varies_as_a_group_of_its_effective_size(design_effect):
    z_eff, z_full = standardised_comparison_rate(design_effect)
    tol = 4 * np.sqrt(2 / z_eff.size)
    assert abs(z_eff.mean()) < 4 / np.sqrt(z_eff.size)
    assert abs(z_eff.var() - 1) < tol, z_eff.var()
    # against the full size the variance is the design effect times as large
    assert abs(z_full.var() / design_effect - 1) < tol, z_full.var()


def test_the_standard_error_grows_by_the_square_root_of_the_design_effect_on_the_group():
    # 1000 treated (350 reoffenders) against 10,000 matched (4000): pooled p = 4350 / 11000
    kw = dict(n=[[1000.0]], reoffenders=[[350.0]], comparison_n=[[10_000.0]],
              comparison_reoffenders=[[4000.0]])
    p = 4350 / 11000
    for deff in (1.0, 2.5):
        se = make_evaluation(**kw, design_effect=deff).estimate("binary").se
        np.testing.assert_allclose(se, np.sqrt(p * (1 - p) * (1 / 1000 + deff / 10_000)),
                                   rtol=1e-14)
    # all of it on the comparison's share: with a huge treated group se -> sqrt(deff) x
    big = dict(kw, n=[[1e12]], reoffenders=[[4e11]])
    ratio = (make_evaluation(**big, design_effect=4.0).estimate("binary").se
             / make_evaluation(**big).estimate("binary").se)
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-6)


def test_the_default_changes_no_draw():
    model = validate(SPEC)
    same = validate(apply_overrides(SPEC, ["evaluation.design_effect=1"]))
    a = simulate_outcomes(model, Sampler(np.random.default_rng(3)), 50)
    b = simulate_outcomes(same, Sampler(np.random.default_rng(3)), 50)
    np.testing.assert_array_equal(a.comparison.reoffenders, b.comparison.reoffenders)


@pytest.mark.parametrize("sets, words", [
    (["evaluation.design=rct", "evaluation.design_effect=2"], "matched comparison group drawn"),
    (["evaluation.design=historical_baseline", "evaluation.design_effect=2"],
     "set design to 'matched_comparison'"),
    (["evaluation.design_effect=0.5"], "greater than or equal to 1"),
])
def test_a_design_effect_outside_a_matched_group_is_refused(sets, words):
    with pytest.raises((SpecError, ValueError), match=words):
        validate(apply_overrides(SPEC, sets))
