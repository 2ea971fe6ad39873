"""Attrition: people lost to data matching are served, paid for and costed, but not
measured (``[evaluation] attrition``, :mod:`pbr_model.attrition`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pbr_model import load_spec, simulate
from pbr_model.errors import SpecError
from pbr_model.outcomes import Sampler, simulate_outcomes
from pbr_model.rng import block_rng

TWO_BANDS = """\
[contract]
name = "Two bands"
start_date = 2020-01-01
length_months = 24
cohort_months = 3

[cohorts]
entrants_per_period = 1500

[[population.bands]]
name = "lower"
share = 0.6
binary_rate = 0.3
reoffences_per_reoffender = 2.5

[[population.bands]]
name = "higher"
share = 0.4
binary_rate = 0.6
reoffences_per_reoffender = 4.0

[intervention.effect.binary]
mean = 0.1

[[payments]]
type = "fee"
name = "fee"
per_participant = 100

[[payments]]
type = "outcome"
name = "results"
[[payments.rates]]
measure = "binary"
change = "points"
per = "change"
price = 10000
"""

P0 = np.array([0.3, 0.6]) * 0.9          # the treated chance of reoffending (10% cut)


@pytest.fixture
def two(tmp_path):
    """``two(*overrides)``: the two-band spec with ``--set`` overrides."""
    path = tmp_path / "two.toml"
    path.write_text(TWO_BANDS, encoding="utf-8")
    return lambda *overrides: load_spec(path, list(overrides))


def test_attrition_is_a_share_below_one(two):
    for bad, allowed in (("1", "less than 1"), ("-0.1", "greater than or equal to 0")):
        with pytest.raises(SpecError, match=f"evaluation.attrition.*{allowed}"):
            two(f"evaluation.attrition={bad}")
    assert two("evaluation.attrition=0.3").spec.evaluation.attrition == 0.3


def test_the_measured_are_a_binomial_share_with_unbiased_rates(two):
    a = 0.3
    out = simulate_outcomes(two(f"evaluation.attrition={a}").spec, Sampler(block_rng(4, 0)), 1024)
    n, seen = out.treated.n, out.measured
    total = n.sum()
    share = seen.n.sum() / total
    assert abs(share - (1 - a)) < 4 * np.sqrt(a * (1 - a) / total)
    assert np.all(seen.n <= n) and np.all(seen.reoffenders <= out.treated.reoffenders)
    assert np.all(seen.reoffences <= out.treated.reoffences)
    m = seen.n.sum(axis=(0, 1))
    p_hat = seen.reoffenders.sum(axis=(0, 1)) / m
    assert np.all(np.abs(p_hat - P0) < 4 * np.sqrt(P0 * (1 - P0) / m)), p_hat
    # and the unmeasured, drawn apart, at the same rates
    rest = n.sum(axis=(0, 1)) - m
    q_hat = (out.treated.reoffenders - seen.reoffenders).sum(axis=(0, 1)) / rest
    assert np.all(np.abs(q_hat - P0) < 4 * np.sqrt(P0 * (1 - P0) / rest)), q_hat
    # reoffences per measured reoffender: 1 + NB(k = 1) extras, variance (m-1) + (m-1)^2
    k = seen.reoffenders.sum(axis=(0, 1))
    m_want = np.array([2.5, 4.0])
    se = np.sqrt(((m_want - 1) + (m_want - 1) ** 2) / k)
    assert np.all(np.abs(seen.reoffences.sum(axis=(0, 1)) / k - m_want) < 4 * se)


def test_fees_and_costs_follow_everyone(two):
    base = simulate(two("intervention.costs.per_participant=50"), sims=300, seed=2)
    lost = simulate(two("intervention.costs.per_participant=50", "evaluation.attrition=0.4"),
                    sims=300, seed=2)
    for column in ("entrants", "paid_volume", "fee", "cost"):
        pd.testing.assert_series_equal(lost.simulations[column], base.simulations[column])
    # everyone's reoffenders are in the counts (not only the measured's)
    everyone = lost.simulations["reoffenders"] / lost.simulations["entrants"]
    assert everyone.mean() == pytest.approx(np.dot([0.6, 0.4], P0), abs=0.005)


def test_the_noise_grows_as_one_over_root_one_minus_attrition(two):
    sims, a = 2000, 0.5
    sd = {}
    for share in (0.0, a):
        s = simulate(two(f"evaluation.attrition={share}"), sims=sims, seed=6).simulations
        sd[share] = s["binary_rate"].std(ddof=1)
        # the measured rate stays unbiased
        se = sd[share] / np.sqrt(sims)
        assert abs(s["binary_rate"].mean() - np.dot([0.6, 0.4], P0)) < 4 * se
    # sample sds of independent runs: log sd has se about 1 / sqrt(2 (S - 1)) each
    tol = 4 * np.sqrt(2 / (2 * (sims - 1)))
    assert abs(np.log(sd[a] / sd[0.0]) - np.log(1 / np.sqrt(1 - a))) < tol


def test_a_comparison_group_is_sized_from_the_measured(two):
    spec = two("evaluation.design=matched_comparison", "evaluation.attrition=0.25").spec
    out = simulate_outcomes(spec, Sampler(block_rng(8, 0)), 64)
    np.testing.assert_array_equal(out.comparison.n, np.rint(10 * out.measured.n))
    assert out.measured.n.sum() < 0.8 * out.treated.n.sum()


def test_no_attrition_draws_nothing_more(two):
    out = simulate_outcomes(two().spec, Sampler(block_rng(8, 0)), 16)
    assert out.measured is None


def test_show_names_the_attrition(cli, tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(TWO_BANDS, encoding="utf-8")
    text = cli.run("show", str(path), "--set", "evaluation.attrition=0.3").stdout
    assert "30.0% of each cohort lost to" in text


@pytest.mark.parametrize("chunk_size", [1, 1000])
def test_chunk_size_changes_no_number_with_the_new_fields(two, chunk_size):
    sets = ("intervention.effect.binary.mean=0", "intervention.effect.offending_rate.mean=0.08",
            "intervention.effect.offending_rate.sd=0.04", "intervention.effect.by_band=[1, 0.5]",
            "evaluation.attrition=0.3", "evaluation.design=rct")
    spec = two(*sets)
    ref = simulate(spec, sims=2100, seed=3)
    run = simulate(spec, sims=2100, seed=3, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(run.simulations, ref.simulations, check_exact=True)
    pd.testing.assert_frame_equal(run.cohorts, ref.cohorts, check_exact=True)
    np.testing.assert_array_equal(run.cash_in, ref.cash_in)


def test_a_did_pre_period_is_of_the_measured_people(two):
    spec = two("evaluation.design=rct", "evaluation.did_weight=0.2",
               "evaluation.pre_post_correlation=0.3", "evaluation.attrition=0.3").spec
    out = simulate_outcomes(spec, Sampler(block_rng(8, 0)), 64)
    np.testing.assert_array_equal(out.treated_pre.n, out.measured.n)
    np.testing.assert_array_equal(out.comparison.n, np.rint(out.measured.n))
