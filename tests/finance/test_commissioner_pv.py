"""The commissioner's net present value: reoffences avoided valued when they fall, against
the present value of what it paid (finance/commissioner.py, ``avoided_discount``)."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model.analyses.capital import capital
from pbr_model.analyses.simulate import simulate
from pbr_model.finance.cash import monthly_rate
from pbr_model.finance.commissioner import avoided_discount, present_value
from pbr_model.spec import load_spec

SIMS = 600


def test_one_month_one_follow_up_month_is_that_month_s_discount_factor():
    f = avoided_discount(np.array([0, 5, 12]), 1, 1, 0.035)
    assert f == pytest.approx(1.035 ** (-np.array([0, 5, 12]) / 12), rel=1e-12)


def test_a_cohort_s_factor_averages_its_entry_months_and_its_follow_up_year():
    # a quarter's entrants, each reoffending evenly over the 12 months from entry
    r, entry = 0.035, 9
    v = 1 / (1 + monthly_rate(r))
    by_hand = np.mean([v ** (entry + j + k) for j in range(3) for k in range(12)])
    assert avoided_discount(np.array([entry]), 3, 12, r)[0] == pytest.approx(by_hand, rel=1e-12)
    # no discounting: every reoffence counts whole, wherever it falls
    assert np.all(avoided_discount(np.arange(0, 84, 3), 3, 12, 0.0) == 1.0)


def test_each_simulation_s_discounted_reoffences_are_its_cohorts_weighted_by_the_factors():
    loaded = load_spec("tr-crc-example")
    spec, result = loaded.spec, simulate(loaded, SIMS, detail=True)
    t = result.timeline
    f = avoided_discount(t.entry_month, t.cohort_months, spec.contract.followup_months,
                         spec.commissioner.discount_rate)
    cohorts = result.cohort_columns
    avoided = cohorts["counterfactual_reoffences"] - cohorts["reoffences"]
    assert np.array_equal(result.sim_columns["pv_reoffences_avoided"], (avoided * f).sum(1))
    # later cohorts are worth less: the factors fall with the entry month
    assert np.all(np.diff(f) < 0) and f[0] < 1
    assert np.array_equal(result.sim_columns["pv_outcome_paid"],
                          present_value(result.outcome_in, spec.commissioner))


def test_at_no_discount_and_no_inflation_the_npv_is_the_net_savings():
    loaded = load_spec("tr-crc-example", ["commissioner.discount_rate=0",
                                          "commissioner.inflation=0"])
    c = capital(loaded, sims=SIMS).commissioner
    for name in ("outcome", "total"):
        assert c[f"npv_vs_{name}"]["mean"] == pytest.approx(
            c[f"net_savings_vs_{name}"]["mean"], rel=1e-9)
    assert c["pv_value_of_avoided"]["mean"] == pytest.approx(c["value_of_avoided"]["mean"],
                                                             rel=1e-9)


def test_the_npv_is_the_discounted_value_less_the_discounted_payments():
    loaded = load_spec("tr-crc-example")
    r = capital(loaded, sims=SIMS)
    c, s = r.commissioner, r.result.simulations
    cost = loaded.spec.commissioner.cost_per_reoffence
    value = cost * s["pv_reoffences_avoided"]
    pv_paid = present_value(r.result.cash_in, loaded.spec.commissioner)
    assert c["pv_value_of_avoided"]["mean"] == pytest.approx(value.mean(), rel=1e-12)
    assert c["npv_vs_total"]["mean"] == pytest.approx((value - pv_paid).mean(), rel=1e-9)
    assert c["prob_npv_vs_total_negative"] == np.mean(value - pv_paid < 0)
    assert c["npv_vs_outcome"]["mean"] == pytest.approx(
        (value - s["pv_outcome_paid"]).mean(), rel=1e-9)
    # discounting a benefit that falls years into the contract lowers it
    assert c["pv_value_of_avoided"]["mean"] < c["value_of_avoided"]["mean"]


def test_without_a_cost_per_reoffence_no_npv_is_reported():
    spec = load_spec("tr-crc-example").spec
    spec = spec.model_copy(update={"commissioner": spec.commissioner.model_copy(
        update={"cost_per_reoffence": None})})
    c = capital(spec, sims=200).commissioner
    assert not any(k.startswith(("npv", "pv_value", "prob_npv")) for k in c)


@pytest.mark.parametrize("detail", [True, False])
def test_undiscounted_they_are_the_reoffences_avoided_with_a_stop_and_attrition(detail):
    """At a zero rate each simulation's discounted reoffences avoided are its reoffences
    avoided: cohorts a stopping rule leaves unserved count as none in both (ABLE stops
    about half its runs), and so do people lost to data matching. Kept and streamed."""
    loaded = load_spec("nyc-able-sib", ["commissioner.discount_rate=0",
                                        "evaluation.attrition=0.3"])
    result = simulate(loaded, SIMS, detail=detail)
    s = result.sim_columns
    assert s["pv_reoffences_avoided"] == pytest.approx(s["reoffences_avoided"], rel=1e-9,
                                                       abs=1e-6)
    assert 0.2 < s["terminated"].mean() < 0.8   # the rule stops some runs, not all


def test_the_two_present_values_are_given_together():
    from pbr_model.finance.commissioner import commissioner_summary
    spec = load_spec("tr-crc-example").spec
    one = np.ones(3)
    with pytest.raises(ValueError, match="give both"):
        commissioner_summary(one, one, one, one > 0, one, spec.commissioner,
                             pv_avoided=one)


def test_a_contract_that_only_repays_says_its_repayments_count_as_a_gain(tmp_path):
    from typer.testing import CliRunner
    from pbr_model.cli import app
    done = CliRunner().invoke(app, ["capital", "doncaster-pbr", "--sims", "300", "--set",
                                    "commissioner.cost_per_reoffence=5000"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "against outcome payments (upper bound)" in text
    assert "repayments, which count as a gain" in text
