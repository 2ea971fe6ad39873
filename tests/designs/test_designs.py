"""Evaluation designs: the registry (``pbr_model.designs``) has one complete entry, in its
own module, for every design the spec schema allows; and, statistically, what
``simulate_outcomes`` + ``evaluate`` measure under each design agrees with sampling theory.

Every test uses a fixed seed and many simulations. Tolerances are 4 standard errors
from theory, never tuned: the standard error of a sample mean is sqrt(var / N), and of a
sample variance sqrt((mu4 - var^2) / N), with mu4 the fourth central moment. Where the
measured change depends on quantities drawn per simulation (entrants, which are Poisson,
and the national trend) the theory conditions on the drawn values, which the outcomes
record; a matching bias, which they do not record, is integrated out by Gauss-Hermite
quadrature. Conditional on everything else a group's rate is a binomial proportion; its
mean and variance are exact and its fourth moment is 3 var^2 + kappa4 with the binomial's
fourth cumulant kappa4 = n p q (1 - 6 p q) / n^4.

Arrays are ``(n_sims, n_cohorts)``; changes are in rate units (fractions), so 0.01 is a
point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import typing

import numpy as np
import pandas as pd
import pytest
from numpy.polynomial.hermite_e import hermegauss

from pbr_model import designs, load_spec, simulate
from pbr_model.designs import DESIGNS, Design, DrawInputs, DrawnGroups
from pbr_model.measure import evaluate
from pbr_model.outcomes import ExpectedSampler, Sampler, simulate_outcomes
from pbr_model.spec import apply_overrides, validate
from pbr_model.spec.schema import ContractSpec

SIMS = 8000
P0 = 0.4           # the baseline binary rate
ENTRANTS = 500     # expected entrants per cohort (Poisson; volume noise off)
DRIFT, TREND_SD = 0.05, 0.05   # per cohort period, in log odds

SPEC = {
    "contract": {"name": "designs test", "start_date": dt.date(2020, 1, 1),
                 "length_months": 12, "cohort_months": 3},
    "cohorts": {"entrants_per_period": ENTRANTS},
    "population": {"bands": [
        {"name": "all", "share": 1.0, "binary_rate": P0, "reoffences_per_reoffender": 3.0},
    ]},
    "trend": {"binary_logit_drift": DRIFT, "binary_logit_sd": TREND_SD},
    "evaluation": {"design": "matched_comparison"},   # 10 matches per person
}


def spec(*overrides):
    return validate(apply_overrides(SPEC, overrides))


def measured(model, seed, sims=SIMS):
    """Outcomes and the binary change (comparison - treated, a fraction) per cohort."""
    outcomes = simulate_outcomes(model, Sampler(np.random.default_rng(seed)), sims)
    change = evaluate(model, outcomes).estimate("binary").change("absolute")
    return outcomes, change


def expit(x):
    return 1 / (1 + np.exp(-x))


def logit(p):
    return np.log(p / (1 - p))


def normal_expectation(fn, mean, sd, nodes=60):
    """E[fn(X)] for X ~ N(mean, sd^2), by Gauss-Hermite quadrature (exact to ~1e-15 for
    the smooth functions of a logistic-normal used here)."""
    x, w = hermegauss(nodes)
    return (fn(mean + sd * x) * w).sum() / np.sqrt(2 * np.pi)


def proportion_variance(n, p):
    """Variance and fourth cumulant of a binomial proportion of ``n`` people at rate ``p``."""
    pq = p * (1 - p)
    return pq / n, pq * (1 - 6 * pq) / n**3


def mixture_moments(means, variances, kappa4, weights=None):
    """Mean, variance and fourth central moment of a mixture of components with these
    means, variances and fourth cumulants (equal weights unless given)."""
    w = np.full(np.shape(means), 1 / np.size(means)) if weights is None else weights
    mean = (w * means).sum()
    d = means - mean
    var = (w * (variances + d**2)).sum()
    mu4 = (w * (d**4 + 6 * d**2 * variances + 3 * variances**2 + kappa4)).sum()
    return mean, var, mu4


def moment_z(x, mean, var, mu4):
    """How many standard errors the sample mean and sd of ``x`` are from theory."""
    n = x.size
    se_mean = np.sqrt(var / n)
    se_var = np.sqrt((mu4 - var**2) / n)
    sd, se_sd = np.sqrt(var), se_var / (2 * np.sqrt(var))   # delta method
    return (x.mean() - mean) / se_mean, (x.std(ddof=1) - sd) / se_sd


def assert_moments(x, mean, var, mu4):
    """The sample mean and sd of ``x`` agree with theory within 4 standard errors."""
    z_mean, z_sd = moment_z(x, mean, var, mu4)
    assert abs(z_mean) < 4 and abs(z_sd) < 4, (z_mean, z_sd)


# -- the registry: every design the schema allows, every facet, one module each --------------

def schema_designs() -> tuple[str, ...]:
    """The design names the spec schema allows, read from the ``design`` field's Literal."""
    section = ContractSpec.model_fields["evaluation"].annotation
    return typing.get_args(section.model_fields["design"].annotation)


def registry_problems(names, registry) -> list[str]:
    """What is wrong with ``registry`` for the schema's design ``names``."""
    facets = [f.name for f in dataclasses.fields(Design) if f.name != "name"]
    problems = [f"{n}: no entry" for n in names if n not in registry]
    problems += [f"{n}: not a design the schema allows" for n in registry if n not in names]
    for key, design in registry.items():
        if design.name != key:
            problems.append(f"{key}: entry named {design.name!r}")
        problems += [f"{key}: facet {f} missing or not callable" for f in facets
                     if not callable(getattr(design, f, None))]
    return problems


def test_every_design_the_schema_allows_has_a_complete_entry():
    assert len(schema_designs()) >= 3
    assert registry_problems(schema_designs(), DESIGNS) == []


def test_the_registry_check_catches_a_missing_design_or_facet():
    broken = {k: v for k, v in DESIGNS.items() if k != "rct"}
    broken["matched_comparison"] = dataclasses.replace(DESIGNS["matched_comparison"],
                                                       describe=None)
    assert registry_problems((*schema_designs(), "stepped_wedge"), broken) == [
        "rct: no entry", "stepped_wedge: no entry",
        "matched_comparison: facet describe missing or not callable"]


@pytest.mark.parametrize("name", schema_designs())
def test_each_design_is_declared_in_its_own_module(name):
    assert importlib.import_module(f"pbr_model.designs.{name}").DESIGN is DESIGNS[name]


@pytest.mark.parametrize("contract, label", [
    ("tr-crc-example", "baseline (case-mix adjusted: binary)"),
    ("doncaster-pbr", "baseline"),
    ("peterborough-sib", "matched comparison group, 10 per person"),
    ("nyc-able-sib", "historical matched comparison group, 1 per person"),
    ("nys-ceo-pfs", "control group, 0.5 per person"),
    ("ma-roca-pfs", "control group, 0.958 per person, 20.0% DiD"),
])
def test_describe_says_what_the_cohorts_are_compared_with(contract, label):
    assert designs.describe(load_spec(contract).spec.evaluation) == label


def test_a_historical_baseline_draws_nothing():
    model = spec("evaluation.design='historical_baseline'")
    cells = np.ones((1, 4, 1))
    # a sampler without a generator and no group drawer: any draw would fail
    inputs = DrawInputs(Sampler(None), entrants=cells, p0=np.array([P0]), m0=np.array([3.0]),
                        trend_logit=cells[..., 0], m_counterfactual=cells, group=None)
    assert DESIGNS["historical_baseline"].draw(model.evaluation, inputs) == DrawnGroups()
    assert simulate_outcomes(model, Sampler(np.random.default_rng(1)), 10).comparison is None


def test_the_engine_draws_groups_through_the_registry(monkeypatch):
    calls = []

    def draw(ev, inputs):
        calls.append(inputs.entrants.shape)
        return DrawnGroups()

    monkeypatch.setitem(DESIGNS, "matched_comparison",
                        dataclasses.replace(DESIGNS["matched_comparison"], draw=draw))
    outcomes = simulate_outcomes(spec(), Sampler(np.random.default_rng(1)), 10)
    assert calls == [(10, 4, 1)] and outcomes.comparison is None


def test_an_rct_draws_its_control_group_as_a_matched_group_of_the_same_size():
    # the spec gives an RCT no matching bias and a concurrent period: the same draws
    rct = spec("evaluation.design='rct'", "evaluation.comparison_ratio=10")
    a = simulate_outcomes(rct, Sampler(np.random.default_rng(5)), 50)
    b = simulate_outcomes(spec(), Sampler(np.random.default_rng(5)), 50)
    np.testing.assert_array_equal(a.comparison.reoffenders, b.comparison.reoffenders)


# -- no true effect: the comparison designs are centred, with the sampling sd --------------

@pytest.mark.parametrize("overrides, ratio", [
    ((), 10.0),                                   # Peterborough: 10 matches per person
    (("evaluation.comparison_ratio=2",), 2.0),
    (("evaluation.design='rct'",), 1.0),          # one control per treated person
])
def test_comparison_designs_without_effect_are_centred_with_the_sampling_sd(overrides, ratio):
    model = spec(*overrides)
    assert model.evaluation.ratio == ratio
    outcomes, d = measured(model, seed=11)
    n = outcomes.treated.n.sum(axis=2)
    n_c = outcomes.comparison.n.sum(axis=2)
    np.testing.assert_array_equal(n_c, ratio * n)
    # Both groups share the drawn trend, so given it and n the difference has mean 0 and
    # variance p (1 - p) (1/n + 1/(r n)): two independent binomial proportions.
    p = expit(logit(P0) + outcomes.trend_logit)
    v_t, k_t = proportion_variance(n, p)
    v_c, k_c = proportion_variance(n_c, p)
    # (about 2.3 points with 10 matches, 2.7 with 2 and 3.1 in an RCT at 500 a cohort)
    assert_moments(d, *mixture_moments(np.zeros(d.shape), v_t + v_c, k_t + k_c))


def test_historical_baseline_is_biased_by_the_trend_but_a_concurrent_group_is_not():
    model = spec()
    outcomes, matched = measured(model, seed=12)
    _, baseline = measured(spec("evaluation.design='historical_baseline'"), seed=12)
    n = outcomes.treated.n.sum(axis=2)
    inv_n = (1 / n).mean(axis=0)
    for c in range(model.contract.cohorts):
        # after c + 1 periods the trend is N((c+1) drift, (c+1) sd^2) in the log odds; the
        # baseline is the fixed P0, so the measured change is P0 - p plus binomial noise
        walk_mean, walk_sd = (c + 1) * DRIFT, np.sqrt(c + 1) * TREND_SD
        e_p = normal_expectation(lambda w: expit(logit(P0) + w), walk_mean, walk_sd)
        e_p2 = normal_expectation(lambda w: expit(logit(P0) + w) ** 2, walk_mean, walk_sd)
        bias = P0 - e_p
        var = (e_p - e_p2) * inv_n[c] + (e_p2 - e_p**2)   # E[p q / n] + Var(p)
        se = np.sqrt(var / SIMS)
        assert abs(baseline[:, c].mean() - bias) < 4 * se, (c, baseline[:, c].mean(), bias)
        # the test can tell: a centred estimate would be rejected by the same 4 se
        assert bias < -4 * se
        # the concurrent group moves with the trend: centred on zero
        v_t, _ = proportion_variance(n[:, c], expit(logit(P0) + outcomes.trend_logit[:, c]))
        se_matched = np.sqrt((v_t * 1.1).mean() / SIMS)   # 1/n + 1/(10 n)
        assert abs(matched[:, c].mean()) < 4 * se_matched, (c, matched[:, c].mean())
    # after a year the drift makes the last cohort look 4.9 points worse (over 100 se)
    assert round(100 * bias, 1) == -4.9


def test_did_weight_adds_the_pre_period_variance():
    w = 0.5
    plain = spec("evaluation.design='rct'")
    blended = spec("evaluation.design='rct'", f"evaluation.did_weight={w}")
    outcomes, d = measured(blended, seed=13)
    _, d_plain = measured(plain, seed=13)
    n = outcomes.treated.n.sum(axis=2)
    n_c = outcomes.comparison.n.sum(axis=2)
    np.testing.assert_array_equal(outcomes.treated_pre.n.sum(axis=2), n)
    np.testing.assert_array_equal(outcomes.comparison_pre.n.sum(axis=2), n_c)
    # C + w (T_pre - C_pre) - T: two more independent proportions, at the baseline rate
    # (no trend, no effect before the service), each weighted by w
    p = expit(logit(P0) + outcomes.trend_logit)
    v, k = (a + b for a, b in zip(proportion_variance(n, p), proportion_variance(n_c, p)))
    v_pre, k_pre = (a + b for a, b in zip(proportion_variance(n, P0),
                                          proportion_variance(n_c, P0)))
    assert_moments(d, *mixture_moments(np.zeros(d.shape), v + w**2 * v_pre,
                                       k + w**4 * k_pre))
    assert_moments(d_plain, *mixture_moments(np.zeros(d.shape), v, k))
    # the test can tell: the RCT's variance alone is rejected for the blend by the same
    # 4 standard errors (its sd is about 12% larger, some 30 standard errors)
    _, z_sd = moment_z(d, *mixture_moments(np.zeros(d.shape), v, k))
    assert z_sd > 4


def test_matching_bias_adds_its_variance():
    bias_sd, ratio = 0.3, 10
    model = spec(f"evaluation.matching_bias_sd={bias_sd}")
    outcomes, d = measured(model, seed=14)
    # one cohort per simulation: the bias is drawn once per simulation and shared by its
    # cohorts, so cohorts of one simulation are not independent
    d, n = d[:, 0], outcomes.treated.n[:, 0, 0]
    p = expit(logit(P0) + outcomes.trend_logit[:, 0])
    # the comparison group's log odds are off by b ~ N(0, bias_sd^2): components over
    # (simulation, quadrature node b_j) with weight w_j / S
    x, wq = hermegauss(60)
    b = bias_sd * x[:, None]
    p_c = expit(logit(p) + b)
    v_t, k_t = proportion_variance(n, p)
    v_c, k_c = proportion_variance(ratio * n, p_c)
    weights = wq[:, None] / np.sqrt(2 * np.pi) / len(d) * np.ones_like(p_c)
    mean, var, mu4 = mixture_moments(p_c - p, v_t + v_c, k_t + k_c, weights)
    assert_moments(d, mean, var, mu4)
    # the test can tell: sampling variance alone is rejected by the same 4 standard errors
    # (most of the spread is the bias: the sd is three times the sampling sd)
    v_c0, k_c0 = proportion_variance(ratio * n, p)
    _, z_sd = moment_z(d, *mixture_moments(np.zeros(d.shape), v_t + v_c0, k_t + k_c0))
    assert z_sd > 4


# -- derived measures: reconviction events and custody bed days ----------------------------

DERIVED = [
    "outcomes.events.extra_reoffence_share=0.4",
    "outcomes.custody.probability=0.3", "outcomes.custody.days_mean=20",
    "outcomes.custody.days_sd=15",
    "population.bands.0.dispersion=0.7",
    ("payments=[{type = 'outcome', rates = [{measure = 'reconviction_events', "
     "change = 'percent', price = 1.0}, {measure = 'bed_days', change = 'percent', "
     "price = 1.0}]}]"),
]


def test_expected_events_and_bed_days():
    model = spec(*DERIVED)
    o = simulate_outcomes(model, ExpectedSampler(), 1)
    # n p reoffenders with m reoffences each; first reoffences are events, and 0.4 of the
    # m - 1 others; each reoffence is a custody episode with probability 0.3, of 20 days
    # (trend at its mean: DRIFT a period in the log odds)
    p = expit(logit(P0) + DRIFT * np.arange(1, 5))
    np.testing.assert_allclose(o.treated.events[0, :, 0], ENTRANTS * p * (1 + 2 * 0.4))
    np.testing.assert_allclose(o.treated.bed_days[0, :, 0], ENTRANTS * p * 3 * 0.3 * 20)


@pytest.mark.parametrize("group", ["treated", "comparison"])
def test_events_and_bed_days_have_the_right_means(group):
    model = spec(*DERIVED)
    counts = getattr(simulate_outcomes(model, Sampler(np.random.default_rng(15)), 4000), group)
    k, r = counts.reoffenders, counts.reoffences
    # events = reoffenders + Binomial(extra reoffences, q): given the counts, mean
    # K + q (R - K) and variance (R - K) q (1 - q); summed over 16,000 independent cells
    q = 0.4
    resid = counts.events - (k + q * (r - k))
    assert abs(resid.sum()) < 4 * np.sqrt(((r - k) * q * (1 - q)).sum())
    # bed days = gamma days over Binomial(R, pi) episodes: given R, mean R pi mu and
    # variance R pi s^2 (the days) + mu^2 R pi (1 - pi) (the number of episodes)
    pi, mu, s = 0.3, 20.0, 15.0
    resid = counts.bed_days - r * pi * mu
    assert abs(resid.sum()) < 4 * np.sqrt((r * pi * s**2 + mu**2 * r * pi * (1 - pi)).sum())
    assert (counts.events >= k).all() and (counts.events <= r).all()


def test_event_and_custody_edges_are_exact():
    every = spec(*DERIVED, "outcomes.events.extra_reoffence_share=1",
                 "outcomes.custody.days_sd=0")
    o = simulate_outcomes(every, Sampler(np.random.default_rng(16)), 200)
    np.testing.assert_array_equal(o.treated.events, o.treated.reoffences)
    episodes = o.treated.bed_days / 20
    np.testing.assert_array_equal(episodes, np.round(episodes))
    assert (episodes <= o.treated.reoffences).all()
    first_only = spec(*DERIVED, "outcomes.events.extra_reoffence_share=0")
    o = simulate_outcomes(first_only, Sampler(np.random.default_rng(16)), 200)
    np.testing.assert_array_equal(o.treated.events, o.treated.reoffenders)


# -- chunk size with a comparison design ---------------------------------------------------

def test_comparison_design_is_chunk_size_invariant():
    model = spec(*DERIVED, "evaluation.did_weight=0.2", "evaluation.matching_bias_sd=0.1",
                 "intervention.effect.binary.mean=0.05", "intervention.effect.binary.sd=0.05",
                 "payments=[{type = 'outcome', rates = [{price = 100.0, threshold = 1.0, "
                 "significance_level = 0.1, pooled_threshold = 0.5}, {measure = "
                 "'reconviction_events', change = 'percent', price = 10.0}]}, "
                 "{type = 'tiered', measure = 'bed_days', tiers = [{at = 5.0, amount = 1e4}, "
                 "{at = 10.0, amount = 3e4}], interpolate = true}]")
    small = simulate(model, sims=3000, seed=17, chunk_size=1024)
    large = simulate(model, sims=3000, seed=17, chunk_size=4096)
    for table in ("simulations", "cohorts", "months"):
        pd.testing.assert_frame_equal(getattr(small, table), getattr(large, table),
                                      check_exact=True)
    np.testing.assert_array_equal(small.cash_in, large.cash_in)
    np.testing.assert_array_equal(small.cash_out, large.cash_out)
    # as JSON, where NaN (no peak month when cash never dips) equals NaN
    assert json.dumps(small.summary()) == json.dumps(large.summary())
    assert small.simulations["outcome"].std() > 0   # the payments are not all zero
