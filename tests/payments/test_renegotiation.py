"""Renegotiation (``[[renegotiation]]``): a scheduled or triggered one-off lump sum or change
of a mechanism's price, per simulation, as its own income line."""

from __future__ import annotations

import datetime as dt
import tomllib

import numpy as np
import pytest

from pbr_model.analyses.simulate import simulate
from pbr_model.errors import SpecError
from pbr_model.spec import validate

SPEC = """\
[contract]
name = "Renegotiated"
start_date = 2020-01-01
length_months = 24
cohort_months = 6

[cohorts]
entrants_per_period = 200
volume_factor_sd = 0.3

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0

[intervention.effect.binary]
mean = 0.05
sd = 0.05

[intervention.costs]
setup = 10_000
fixed_per_month = 5_000
per_participant = 100

[[payments]]
type = "fee"
name = "Fee"
annual = 60_000
per_participant = 80

[[payments]]
type = "outcome"
name = "Results"

[[payments.rates]]
measure = "binary"
price = 500
"""

SIMS = 400


def run(*renegotiation: dict):
    data = tomllib.loads(SPEC)
    data["renegotiation"] = list(renegotiation)
    return simulate(validate(data), sims=SIMS, seed=5)


@pytest.fixture(scope="module")
def base():
    return run()


def test_a_scheduled_lump_sum_is_paid_in_its_month_in_every_simulation(base):
    r = run({"name": "Top-up", "month": 10, "lump_sum": 25_000})
    extra = r.cash_in - base.cash_in
    np.testing.assert_allclose(extra[:, 10], 25_000, rtol=0, atol=1e-6)
    extra[:, 10] = 0
    assert not extra.any()
    assert (r.simulations["renegotiation"] == 25_000).all()
    assert r.simulations["renegotiated"].all()
    # paid whatever the outcome: a fee, not an outcome payment
    np.testing.assert_allclose(r.simulations["fee"] - base.simulations["fee"], 25_000,
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(r.outcome_in, base.outcome_in)
    assert r.summary()["payments"]["renegotiation"]["mean"] == 25_000


def test_a_date_places_the_change_in_its_month(base):
    # the contract starts on 2020-01-01: 2020-11-15 is in month 10
    by_date = run({"name": "Top-up", "date": dt.date(2020, 11, 15), "lump_sum": 25_000,
                   "payment": "Results", "price_factor": 1.2})
    by_month = run({"name": "Top-up", "month": 10, "lump_sum": 25_000,
                    "payment": "Results", "price_factor": 1.2})
    np.testing.assert_array_equal(by_date.cash_in, by_month.cash_in)
    np.testing.assert_allclose((by_date.cash_in - base.cash_in)[:, 10],
                               25_000 + 0.2 * base.outcome_in[:, 10], rtol=1e-12)


def test_a_triggered_lump_sum_is_paid_only_where_net_cash_was_below_the_threshold(base):
    month = 12
    before = (base.cash_in - base.cash_out)[:, :month].sum(axis=1)
    threshold = float(np.median(before))
    r = run({"month": month, "net_below": threshold, "lump_sum": 40_000})
    hit = before < threshold
    assert 0.3 < hit.mean() < 0.7
    np.testing.assert_array_equal(r.simulations["renegotiated"], hit)
    np.testing.assert_allclose(r.cash_in[:, month] - base.cash_in[:, month],
                               np.where(hit, 40_000, 0), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(r.simulations["renegotiation"], np.where(hit, 40_000, 0))


def test_a_volume_trigger_reads_entrants_so_far_against_plan(base):
    # by month 12, cohorts 1 and 2 (months 0-11) have entered: 400 planned
    entrants = base.cohorts["entrants"].to_numpy().reshape(SIMS, -1)[:, :2].sum(axis=1)
    r = run({"month": 12, "paid_volume_below": 0.9, "lump_sum": 1_000})
    hit = entrants < 0.9 * 400
    assert 0.1 < hit.mean() < 0.9
    np.testing.assert_array_equal(r.simulations["renegotiated"], hit)


def test_a_price_change_scales_the_mechanism_from_its_month_on(base):
    r = run({"month": 12, "payment": "Fee", "price_factor": 1.5})
    fee_before = base.cash_in - base.outcome_in
    fee_after = r.cash_in - r.outcome_in
    np.testing.assert_allclose(fee_after[:, :12], fee_before[:, :12], rtol=0, atol=0)
    np.testing.assert_allclose(fee_after[:, 12:], 1.5 * fee_before[:, 12:], rtol=1e-12)
    np.testing.assert_array_equal(r.outcome_in, base.outcome_in)
    assert (r.simulations["renegotiation"] == 0).all()


def test_a_triggered_price_change_on_outcome_payments_only_where_met(base):
    month = 12
    before = (base.cash_in - base.cash_out)[:, :month].sum(axis=1)
    threshold = float(np.median(before))
    r = run({"month": month, "net_below": threshold, "payment": "Results", "price_factor": 2.0})
    hit = before < threshold
    expected = np.where(hit[:, None], 2.0, 1.0) * base.outcome_in
    expected[:, :month] = base.outcome_in[:, :month]
    np.testing.assert_allclose(r.outcome_in, expected, rtol=1e-12)
    paid = r.cohorts["outcome_payment"].to_numpy().reshape(SIMS, -1)
    np.testing.assert_allclose(paid.sum(axis=1), r.outcome_in.sum(axis=1), rtol=1e-9)


@pytest.mark.parametrize("item, fragment", [
    ({"month": 3, "price_factor": 1.2},
     "renegotiation.0: price_factor is 1.2 but no `payment` names the mechanism it changes"),
    ({"month": 3},
     "renegotiation.0: changes nothing: give a lump_sum, or a payment and a price_factor"),
    ({"month": 3, "payment": "Fees", "price_factor": 1.2},
     "renegotiation.0.payment is 'Fees': no [[payments]] mechanism has that name"),
    ({"month": 99, "lump_sum": 5},
     "renegotiation.0.month is 99, after the timeline's last month (45)"),
    ({"lump_sum": 5},
     "renegotiation.0: give the change's month (from the contract start) or its date "
     "(YYYY-MM-DD), not neither"),
    ({"month": 3, "date": dt.date(2020, 4, 1), "lump_sum": 5},
     "renegotiation.0: give the change's month (from the contract start) or its date "
     "(YYYY-MM-DD), not both"),
    ({"date": dt.date(2019, 12, 31), "lump_sum": 5},
     "renegotiation.0.date is 2019-12-31 (month -1), before the contract's start_date; give a "
     "date from 2020-01-01 to 2023-10-31 (months 0 to 45)"),
    ({"date": dt.date(2023, 11, 1), "lump_sum": 5},
     "renegotiation.0.date is 2023-11-01 (month 46), after the timeline's last month; give a "
     "date from 2020-01-01 to 2023-10-31 (months 0 to 45)"),
    ({"date": "2020-13-01", "lump_sum": 5},
     "renegotiation.0.date: not a date; write it as YYYY-MM-DD, e.g. 2017-12-01"),
])
def test_bad_renegotiation_is_refused_clearly(item, fragment):
    data = tomllib.loads(SPEC)
    data["renegotiation"] = [item]
    with pytest.raises(SpecError) as info:
        validate(data, "my.toml")
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_pbr_validate_refuses_a_renegotiation_of_an_unknown_mechanism(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC + '\n[[renegotiation]]\nmonth = 6\npayment = "Fees"\n'
                    'price_factor = 1.1\n')
    cli.error(cli.run("validate", str(path)),
              f"Error: {path}: renegotiation.0.payment is 'Fees': no [[payments]] mechanism",
              lines=1)


def test_pbr_validate_refuses_a_renegotiation_with_month_and_date(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC + "\n[[renegotiation]]\nmonth = 6\ndate = 2020-07-01\n"
                    "lump_sum = 100\n")
    cli.error(cli.run("validate", str(path)),
              f"Error: {path}: renegotiation.0: give the change's month (from the contract "
              "start) or its date (YYYY-MM-DD), not both", lines=1)
    path.write_text(SPEC + "\n[[renegotiation]]\ndate = 2020-07-01\nlump_sum = 100\n")
    cli.ok(cli.run("validate", str(path)))


def test_settle_pays_at_renegotiated_prices():
    from pathlib import Path

    from pbr_model.analyses.settle import settle
    from pbr_model.spec.load import read_toml, resolve

    csv = Path(__file__).resolve().parents[2] / "examples" / "observed" / "peterborough_pooled.csv"
    data = read_toml(resolve("peterborough-sib"))
    data["renegotiation"] = [{"month": 60, "payment": "Peterborough outcome payment",
                              "price_factor": 1.1}]
    plain, changed = settle("peterborough-sib", csv), settle(validate(data), csv)
    # the pooled payment (August 2017, month 83) comes after month 60, but 10% more than
    # GBP 5.82m is above the mechanism's cap, a fixed GBP 6,255,751 [BLF]
    assert changed.total_payment == pytest.approx(6_255_751, rel=1e-12)
    data["payments"][0]["cap_total"] = None
    assert settle(validate(data), csv).total_payment == pytest.approx(
        1.1 * plain.total_payment, rel=1e-12)


def capped(cap: float, *renegotiation: dict):
    """The module's contract with its outcome mechanism capped at ``cap`` in all."""
    data = tomllib.loads(SPEC)
    data["payments"][1]["cap_total"] = cap
    data["renegotiation"] = list(renegotiation)
    return simulate(validate(data), sims=SIMS, seed=5)


def test_a_renegotiated_price_does_not_lift_payments_above_the_mechanisms_cash_cap():
    # cap where about half the simulations reach it at the spec's price
    plain = capped(1e12)
    total = plain.simulations["outcome"].to_numpy()
    cap = float(np.median(total[total > 0]))
    before = capped(cap)
    after = capped(cap, {"month": 0, "payment": "Results", "price_factor": 2.0})
    paid = after.outcome_in.sum(axis=1)
    # the cap is the most paid in cash at any price (0.24.0; before, 2x the price gave up
    # to 2x the cap)
    assert paid.max() <= cap * (1 + 1e-12)
    assert (paid > before.outcome_in.sum(axis=1) + 1).any()   # the new price pays more below it
    # where the doubled price stays under the cap, the payment is exactly doubled
    under = 2 * total < cap
    assert under.any()
    np.testing.assert_allclose(paid[under], 2 * total[under], rtol=1e-12)
    # the running total of cash never passes the cap, month by month
    assert (np.cumsum(after.outcome_in, axis=1) <= cap * (1 + 1e-12)).all()
    # and the per-cohort figures are cut as the cash is: they still add up to it
    by_cohort = after.cohorts["outcome_payment"].groupby(level="sim").sum().to_numpy()
    np.testing.assert_allclose(by_cohort, paid, rtol=1e-9, atol=1e-6)


def test_a_renegotiation_that_never_applies_leaves_a_capped_mechanism_as_it_was():
    plain = capped(1e12)
    total = plain.simulations["outcome"].to_numpy()
    cap = float(np.median(total[total > 0]))
    before = capped(cap)
    never = capped(cap, {"month": 6, "payment": "Results", "price_factor": 1.5,
                         "net_below": -1e12})
    assert not never.simulations["renegotiated"].any()
    np.testing.assert_array_equal(never.cash_in, before.cash_in)
    np.testing.assert_array_equal(never.cohorts["outcome_payment"],
                                  before.cohorts["outcome_payment"])


@pytest.mark.parametrize("section", ["renegotiation", "indexation"])
def test_a_capped_mechanism_with_a_foundation_cannot_be_repriced(section):
    # which advance or reconciliation a cap over raised cash would cut is not known
    data = tomllib.loads(SPEC)
    data["payments"][1].update(cap_total=10_000, foundation={"per_participant": 5})
    if section == "renegotiation":
        data["renegotiation"] = [{"month": 3, "payment": "Results", "price_factor": 1.2}]
    else:
        data["indexation"] = {"prices": [{"payment": "Results", "rate": 0.02}]}
    with pytest.raises(SpecError, match=f"{section}.*a mechanism with a foundation and a "
                                        "cap_total"):
        validate(data)


def test_settle_reports_each_renegotiation_and_its_lump_sum(cli, tmp_path):
    from pathlib import Path

    from pbr_model.analyses.settle import settle
    from pbr_model.spec.load import read_toml, resolve

    csv = Path(__file__).resolve().parents[2] / "examples" / "observed" / "peterborough_pooled.csv"
    data = read_toml(resolve("peterborough-sib"))
    plain = settle("peterborough-sib", csv)
    data["renegotiation"] = [
        {"name": "Top-up", "month": 40, "lump_sum": 1_000_000},
        {"name": "Price rise", "month": 60, "payment": "Peterborough outcome payment",
         "price_factor": 1.05, "net_below": -1e12}]      # a trigger no result meets
    s = settle(validate(data), csv)
    assert s.renegotiations == [
        {"name": "Top-up", "date": "2014-01-01", "applied": True, "lump_sum": 1_000_000,
         "payment": None, "price_factor": None},
        {"name": "Price rise", "date": "2015-09-01", "applied": False, "lump_sum": 0,
         "payment": "Peterborough outcome payment", "price_factor": 1.05}]
    # the lump sum is paid with the fees: not an outcome payment, but the bond's income
    assert s.total_payment == plain.total_payment
    # (in month 40 it pays some of the costs, so less is drawn; the investors, who keep
    # the vehicle's surplus, are GBP 1m better off net)
    def net(x):
        return x.investors[0]["received"]["mean"] - x.investors[0]["drawn"]["mean"]
    assert s.investors[0]["drawn"]["mean"] < plain.investors[0]["drawn"]["mean"]
    assert net(s) == pytest.approx(net(plain) + 1_000_000, abs=0.01)
    assert "renegotiations" not in plain.to_dict() and s.to_dict()["renegotiations"]
    path = tmp_path / "p.toml"
    path.write_text(resolve("peterborough-sib").read_text() + """
[[renegotiation]]
name = "Top-up"
month = 40
lump_sum = 1_000_000

[[renegotiation]]
name = "Price rise"
month = 60
payment = "Peterborough outcome payment"
price_factor = 1.05
net_below = -1e12
""")
    res = cli.run("settle", str(path), "--observed", str(csv))
    cli.ok(res)
    text = " ".join(res.stdout.split())
    assert "Top-up (2014-01-01): a lump sum of £1.00m, paid with the fees" in text
    assert "Price rise (2015-09-01): its trigger was not met on these results" in text
