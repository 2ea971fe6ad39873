"""Corridor against cliff at the exact threshold edges, and one-sided significance tests
(issue 13): the pure rules, a rate, and a whole outcome mechanism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pbr_model import load_spec
from pbr_model.errors import SpecError
from pbr_model.measure import Measurement
from pbr_model.payments import PaymentInputs, outcome
from pbr_model.payments.outcome import rate_amount
from pbr_model.payments.rules import beyond, significant, z_critical
from pbr_model.spec.schema import OutcomePayment, Rate
from strategies import changes, evaluations, make_evaluation, points, simple_timeline


def rate(**kw) -> Rate:
    return Rate(**{"measure": "binary", "change": "points", "per": "unit", **kw})


def against_baseline(treated_k, baseline_k=400.0, n=1000.0) -> Measurement:
    """Treated reoffenders against a fixed baseline of 400 in 1000, one simulation."""
    treated_k = np.atleast_2d(np.asarray(treated_k, dtype=float))
    full = lambda v: np.broadcast_to(np.asarray(v, dtype=float), treated_k.shape)  # noqa: E731
    return make_evaluation(full(n), treated_k, comparison_reoffenders=full(baseline_k))


def pay_outcome(mech: OutcomePayment, ev: Measurement):
    tl = simple_timeline(ev.n.shape[1])
    return outcome.pay(mech, PaymentInputs(tl, ev.n, ev)), tl


def test_beyond_is_zero_at_and_below_the_threshold_and_the_excess_share_above():
    change = np.array([3.0, np.nextafter(3.0, 9), 5.0, 2.0, -4.0, np.nan])
    share = beyond(change, 3.0)
    np.testing.assert_array_equal(share[[0, 3, 4, 5]], [0, 0, 0, 0])
    assert 0 < share[1] < 1e-15
    assert share[2] == pytest.approx(0.4, rel=1e-15)
    np.testing.assert_array_equal(beyond(np.array([0.0, 2.0]), 0.0), [0.0, 1.0])


# 1000 people, 400 baseline reoffenders; treated 370, 369, 350: exactly 3, 3.1 and 5 points
EDGE = against_baseline([370, 369, 350])


@pytest.mark.parametrize("per, cliff, corridor", [
    # per reoffender avoided: cliff pays all 30 / 31 / 50; corridor 0 / 1 / 20
    ("unit", [30_000, 31_000, 50_000], [0, 1000, 20_000]),
    # per point: cliff 3 / 3.1 / 5 points; corridor 0 / 0.1 / 2
    ("change", [3000, 3100, 5000], [0, 100, 2000]),
])
def test_cliff_pays_the_whole_improvement_at_the_threshold_corridor_only_beyond(
        per, cliff, corridor):
    kw = {"per": per, "price": 1000, "threshold": 3}
    got_cliff, ok_cliff = rate_amount(rate(**kw), EDGE)
    got_corr, ok_corr = rate_amount(rate(threshold_rule="corridor", **kw), EDGE)
    np.testing.assert_allclose(got_cliff, [cliff], rtol=1e-12)
    np.testing.assert_allclose(got_corr, [corridor], rtol=1e-9, atol=1e-9)
    # both are triggered from exactly the threshold: the corridor pays nothing there
    np.testing.assert_array_equal(ok_cliff, ok_corr)


def test_corridor_deducts_only_the_worsening_beyond_the_deduction_threshold():
    # 400 baseline; treated 430, 431, 450: 3, 3.1 and 5 points worse; tolerated up to 3
    ev = against_baseline([430, 431, 450])
    kw = {"price": 1000, "deduction_price": 500, "deduction_threshold": 3}
    cliff, _ = rate_amount(rate(**kw), ev)
    corridor, _ = rate_amount(rate(threshold_rule="corridor", **kw), ev)
    np.testing.assert_allclose(cliff, [[0, -31 * 500, -50 * 500]])
    np.testing.assert_allclose(corridor, [[0, -1 * 500, -20 * 500]], rtol=1e-9)
    per_point, _ = rate_amount(rate(per="change", threshold_rule="corridor", price=100,
                                    deduction_price=100, deduction_threshold=3), ev)
    np.testing.assert_allclose(per_point, [[0, -10, -200]], rtol=1e-9, atol=1e-9)


def test_the_smf_flat_zone_through_a_whole_mechanism():
    # +-3 points flat: 400 baseline; treated 370 (3 better), 365 (3.5 better), 430 (3 worse),
    # 440 (4 worse); per point beyond the zone under a corridor, the whole move under a cliff
    # (which pays from exactly the threshold, as `meets` is inclusive; deductions start
    # strictly beyond the tolerated worsening)
    ev = against_baseline([370, 365, 430, 440])
    zone = dict(per="change", price=10_000, threshold=3, deduction_price=10_000,
                deduction_threshold=3)
    for rule, expected in [("cliff", [30_000, 35_000, 0, -40_000]),
                           ("corridor", [0, 5000, 0, -10_000])]:
        mech = OutcomePayment(type="outcome", rates=[rate(threshold_rule=rule, **zone)])
        flows, _ = pay_outcome(mech, ev)
        np.testing.assert_allclose(flows.by_cohort, [expected], rtol=1e-9, atol=1e-6)
        np.testing.assert_array_equal(flows.triggered, [[True, True, False, False]])


def test_one_sided_critical_value():
    assert z_critical(0.05, sides=1) == pytest.approx(1.6448536269514722, rel=1e-12)
    assert z_critical(0.05, sides=2) == pytest.approx(1.959963984540054, rel=1e-12)
    z = np.array([1.7, -1.7])
    np.testing.assert_array_equal(significant(z, 0.05, sides=1), [True, False])
    np.testing.assert_array_equal(significant(z, 0.05, direction=-1, sides=1), [False, True])
    np.testing.assert_array_equal(significant(z, 0.05), [False, False])


def test_one_sided_test_through_a_rate():
    # se against the baseline sqrt(0.4 x 0.6 / 1000) = 1.549 points: 2.6 points (z = 1.68)
    # passes a one-sided 5% test (1.645) but not a two-sided one (1.960); likewise worse
    ev = against_baseline([374, 426, 378])   # +2.6, -2.6, +2.2 points (z = 1.42)
    kw = {"price": 1000, "deduction_price": 1000, "significance_level": 0.05}
    two, _ = rate_amount(rate(**kw), ev)
    one, ok = rate_amount(rate(significance_test="one_sided", **kw), ev)
    np.testing.assert_allclose(two, [[0, 0, 0]])
    np.testing.assert_allclose(one, [[26_000, -26_000, 0]])
    np.testing.assert_array_equal(ok, [[True, False, False]])


def test_describe_says_corridor_and_one_sided():
    mech = OutcomePayment(type="outcome", rates=[rate(
        price=1000, threshold=3, threshold_rule="corridor", significance_level=0.05,
        significance_test="one_sided", deduction_price=10, deduction_threshold=3)])
    text = outcome.describe(mech, lambda v: f"{v:g}", lambda v: f"{100 * v:g}%")
    assert "only the improvement beyond it" in text
    assert "5%, one-sided" in text
    assert "beyond 3 points (only the worsening beyond it)" in text


@pytest.mark.parametrize("sets, words", [
    (["payments.0.rates.0.significance_test=one_sided"], "give significance_level"),
    (["payments.0.rates.0.per=cohort", "payments.0.rates.0.threshold_rule=corridor"],
     "per = 'cohort' pays a flat amount"),
    (["payments.0.rates.0.threshold_rule=ramp"], "threshold_rule"),
])
def test_rule_options_that_cannot_apply_are_refused(sets, words):
    # Peterborough's one rate: no significance test
    assert load_spec("peterborough-sib").spec.payments[0].rates[0].significance_level is None
    with pytest.raises(SpecError, match=words):
        load_spec("peterborough-sib", sets)


# -- properties ---------------------------------------------------------------------------

corridor_rates = st.builds(Rate, measure=st.just("binary"), change=changes,
                           per=st.sampled_from(["unit", "change"]), price=st.floats(0, 1e5),
                           threshold=points, threshold_rule=st.just("corridor"))


@st.composite
def better_pairs(draw):
    """An evaluation against a fixed baseline, and the same with more baseline reoffenders
    (whole people): at least as much binary improvement in every cohort."""
    ev = draw(evaluations())
    t, c = ev.treated, ev.comparison
    share = draw(npst.arrays(np.float64, ev.n.shape, elements=st.floats(0, 1)))
    added = np.floor((c.n - c.reoffenders) * share)
    return ev, make_evaluation(t.n, t.reoffenders, t.reoffences, c.reoffenders + added,
                               c.reoffences)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@given(corridor_rates, better_pairs())
def test_a_corridor_pays_at_most_the_cliff_and_never_less_for_more(corridor, pair):
    worse, better = pair
    cliff = corridor.model_copy(update={"threshold_rule": "cliff"})
    for ev in pair:
        paid, _ = rate_amount(corridor, ev)
        full, _ = rate_amount(cliff, ev)
        assert (paid >= 0).all() and (paid <= full * (1 + 1e-12) + 1e-9).all()
    low, _ = rate_amount(corridor, worse)
    high, _ = rate_amount(corridor, better)
    assert (high >= low - 1e-9 * np.maximum(np.abs(low), 1)).all()
