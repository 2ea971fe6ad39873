"""Indexation (``[indexation]``): cost inflation on every cost and price indexation per
payment mechanism, in annual steps from the contract start, with a cap and a floor; worked
by hand to the penny on a two-cohort contract."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from pbr_model.errors import SpecError
from pbr_model.finance import monthly_costs
from pbr_model.payments import PaymentInputs, pay_all
from pbr_model.payments.adjust import index_prices, scale_flows
from pbr_model.payments.base import PaymentFlows
from pbr_model.spec import validate
from pbr_model.timeline import Timeline

TWO_COHORTS = """\
[contract]
name = "Two cohorts"
start_date = 2020-01-01
length_months = 24
cohort_months = 12

[cohorts]
entrants_per_period = 20

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0

[intervention.costs]
setup = 500
fixed_per_month = 1000
per_participant = 10

[[payments]]
type = "fee"
name = "Fee"
annual = 12000
per_participant = 50

[indexation]
cost_inflation = 0.03

[[indexation.prices]]
payment = "Fee"
rate = 0.04
cap = 0.025
floor = 0.0
"""

ENTRANTS = np.array([[12.0, 24.0]])  # one simulation, cohorts of 12 and 24 people


def spec(text: str = TWO_COHORTS, **indexation):
    data = tomllib.loads(text)
    data["indexation"].update(indexation)
    return validate(data)


def test_costs_inflate_by_contract_year_to_the_penny():
    s = spec()
    tl = Timeline.from_spec(s)
    costs = monthly_costs(s, tl, ENTRANTS, np.zeros_like(ENTRANTS))
    # year 0: 500 set-up + 12 x (1,000 fixed + 120 / 12 per person) = 12,620
    # year 1: 12 x (1,000 + 240 / 12) = 12,240, x 1.03 = 12,607.20
    assert costs[0, :12].sum() == pytest.approx(12_620.00, abs=0.005)
    assert costs[0, 12:24].sum() == pytest.approx(12_607.20, abs=0.005)
    assert costs[0, 13] == pytest.approx(1_050.60, abs=0.005)
    assert costs.sum() == pytest.approx(25_227.20, abs=0.005)


def test_fee_is_indexed_by_the_month_served_to_the_penny():
    s = spec()  # basis "service", the default
    assert s.indexation.prices[0].basis == "service"
    tl = Timeline.from_spec(s)
    (fee,) = pay_all(s, PaymentInputs(tl, ENTRANTS, None))
    # rate 4% capped at 2.5%. Paid in arrears at the prices of the month served: months 1-12
    # pay for months 0-11 (year 0), 1,000 + 600 / 12 = 1,050 each, month 12 (December's fee,
    # paid in January) included; months 13-24 pay for months 12-23 (year 1):
    # (1,000 + 1,200 / 12) x 1.025 = 1,127.50 each
    expected = np.zeros(tl.n_months)
    expected[1:13] = 1_050.0
    expected[13:25] = 1_127.50
    np.testing.assert_allclose(fee.monthly[0], expected, rtol=0, atol=1e-9)
    assert fee.monthly.sum() == pytest.approx(26_130.00, abs=1e-9)
    # per cohort: 12 x 50 at year-0 prices = 600; 12 x 100 x 1.025 = 1,230
    np.testing.assert_allclose(fee.by_cohort, [[600.0, 1_230.0]], rtol=0, atol=1e-9)


def test_fee_is_indexed_at_its_capped_rate_to_the_penny_on_the_payment_basis():
    s = spec(prices=[{"payment": "Fee", "rate": 0.04, "cap": 0.025, "floor": 0.0,
                      "basis": "payment"}])
    tl = Timeline.from_spec(s)
    (fee,) = pay_all(s, PaymentInputs(tl, ENTRANTS, None))
    # rate 4% capped at 2.5%. Paid in arrears: months 1-11 at year-0 prices, 1,000 + 600 / 12
    # = 1,050 each; month 12: 1,050 x 1.025 = 1,076.25; months 13-23: (1,000 + 1,200 / 12)
    # x 1.025 = 1,127.50 each; month 24 (year 2): 1,100 x 1.025^2 = 1,155.6875
    expected = np.zeros(tl.n_months)
    expected[1:12] = 1_050.0
    expected[12] = 1_076.25
    expected[13:24] = 1_127.50
    expected[24] = 1_155.6875
    np.testing.assert_allclose(fee.monthly[0], expected, rtol=0, atol=1e-9)
    assert fee.monthly.sum() == pytest.approx(26_184.4375, abs=1e-9)
    # per cohort: 11 x 50 + 50 x 1.025 = 601.25; 11 x 100 x 1.025 + 100 x 1.025^2 = 1,232.5625
    np.testing.assert_allclose(fee.by_cohort, [[601.25, 1_232.5625]], rtol=0, atol=1e-9)


def test_the_floor_holds_prices_when_the_rate_falls():
    s = spec(cost_inflation=0.0, prices=[{"payment": "Fee", "rate": -0.02, "floor": 0.0}])
    tl = Timeline.from_spec(s)
    (fee,) = pay_all(s, PaymentInputs(tl, ENTRANTS, None))
    assert s.indexation.uplift(s.indexation.prices[0]) == 0.0
    assert fee.monthly.sum() == pytest.approx(24 * 1_000 + 1_800, abs=1e-9)


def test_prices_follow_cost_inflation_when_no_rate_is_given():
    s = spec(prices=[{"payment": "Fee", "cap": 0.05}])
    assert s.indexation.uplift(s.indexation.prices[0]) == 0.03


def test_outcome_payments_are_indexed_at_their_payment_month():
    s = spec()
    tl = Timeline.from_spec(s)
    assert list(tl.payment_month) == [33, 45]  # years 2 and 3
    by_cohort = np.array([[700.0, 900.0]])
    flows = PaymentFlows("Results", "outcome", tl.at_payment_months(by_cohort), by_cohort,
                         parts={"binary": by_cohort}, pooled=np.array([100.0]))
    flows.monthly[0, 45] += 100.0
    out = scale_flows(flows, tl, tl.annual_index(0.025))
    np.testing.assert_allclose(out.by_cohort, [[700 * 1.025**2, 900 * 1.025**3]])
    np.testing.assert_allclose(out.parts["binary"], out.by_cohort)
    assert out.pooled[0] == pytest.approx(100 * 1.025**3)
    assert out.monthly[0, 33] == pytest.approx(735.4375)
    assert out.monthly[0, 45] == pytest.approx(1_000 * 1.076890625)
    assert out.monthly.sum() == pytest.approx(out.by_cohort.sum() + out.pooled.sum())


# cohorts straddling contract years; the outcome flows below are built by hand and indexed
# as the spec's first mechanism's
STRADDLING = TWO_COHORTS.replace("length_months = 24", "length_months = 30").replace(
    "cohort_months = 12", "cohort_months = 12\nfirst_cohort_month = 6")


@pytest.mark.parametrize("basis", ["service", "payment"])
def test_outcome_payments_are_indexed_on_their_basis_to_the_penny(basis):
    s = spec(STRADDLING, prices=[{"payment": "Fee", "rate": 0.025, "basis": basis}])
    tl = Timeline.from_spec(s)
    # cohorts enter in months 6-17 and 18-29; results 18 months after, paid 3 later
    assert list(tl.payment_month) == [39, 51]  # contract years 3 and 4
    by_cohort = np.array([[700.0, 900.0]])
    flows = PaymentFlows("Results", "outcome", tl.at_payment_months(by_cohort), by_cohort,
                         parts={"binary": by_cohort}, pooled=np.array([100.0]))
    flows.monthly[0, 51] += 100.0
    (out,) = index_prices(s, [flows], tl)
    if basis == "service":
        # each cohort at the mean index of its entry months: six months in year 0 and six
        # in year 1 = (1 + 1.025) / 2 = 1.0125; six in year 1, six in year 2 =
        # (1.025 + 1.050625) / 2 = 1.0378125; the pooled payment at their mean, 1.02515625
        cohort, pooled = [708.75, 934.03125], 102.515625
    else:
        # at the index of the payment month: 1.025^3 = 1.076890625, 1.025^4 = 1.103812890625
        cohort, pooled = [753.8234375, 993.4316015625], 110.3812890625
    np.testing.assert_allclose(out.by_cohort, [cohort], rtol=0, atol=1e-9)
    np.testing.assert_allclose(out.parts["binary"], out.by_cohort)
    assert out.pooled[0] == pytest.approx(pooled, abs=1e-9)
    assert out.monthly[0, 39] == pytest.approx(cohort[0], abs=1e-9)
    assert out.monthly[0, 51] == pytest.approx(cohort[1] + pooled, abs=1e-9)
    assert out.monthly.sum() == pytest.approx(sum(cohort) + pooled, abs=1e-9)


def test_on_the_service_basis_an_advance_is_topped_up_at_reconciliation():
    s = spec(STRADDLING, prices=[{"payment": "Fee", "rate": 0.025}])
    tl = Timeline.from_spec(s)
    # cohort 0: 240 advanced in arrears over months 7-18, 460 settled in month 39
    advance, settle_ = np.array([[240.0, 0.0]]), np.array([[460.0, 0.0]])
    flows = PaymentFlows("Results", "outcome",
                         tl.in_arrears(advance) + tl.at_payment_months(settle_),
                         advance + settle_)
    (out,) = index_prices(s, [flows], tl)
    # the cohort's 700 at 1.0125 = 708.75: the advance as paid, the 8.75 uplift with the
    # reconciliation
    np.testing.assert_allclose(out.monthly[0, 7:19], 20.0)
    assert out.monthly[0, 39] == pytest.approx(460 + 8.75, abs=1e-9)
    assert out.monthly.sum() == pytest.approx(708.75, abs=1e-9)


def test_no_indexation_leaves_money_in_cash_terms():
    s = spec(cost_inflation=0.0, prices=[])
    tl = Timeline.from_spec(s)
    (fee,) = pay_all(s, PaymentInputs(tl, ENTRANTS, None))
    assert fee.monthly.sum() == 24 * 1_000 + 1_800
    assert monthly_costs(s, tl, ENTRANTS, np.zeros_like(ENTRANTS)).sum() == 500 + 24_000 + 360


@pytest.mark.parametrize("prices, fragment", [
    ([{"payment": "Fee", "cap": 0.01, "floor": 0.02}],
     "indexation.prices.0: cap (0.01) is below floor (0.02); the cap must be at least the floor"),
    ([{"payment": "Fees"}],
     "indexation.prices.0.payment is 'Fees': no [[payments]] mechanism has that name"),
    ([{"payment": "Fee"}, {"payment": "Fee", "rate": 0.01}],
     "indexation.prices.1.payment is 'Fee', already indexed by indexation.prices.0"),
])
def test_bad_indexation_is_refused_clearly(prices, fragment):
    data = tomllib.loads(TWO_COHORTS)
    data["indexation"]["prices"] = prices
    with pytest.raises(SpecError) as info:
        validate(data, "my.toml")
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_pbr_validate_refuses_a_cap_below_the_floor(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(TWO_COHORTS.replace("floor = 0.0", "floor = 0.03"))
    cli.error(cli.run("validate", str(path)),
              f"Error: {path}: indexation.prices.0: cap (0.025) is below floor (0.03)", lines=1)


def test_settle_pays_observed_results_at_indexed_prices():
    from pathlib import Path

    from pbr_model.analyses.settle import settle
    from pbr_model.spec.load import read_toml, resolve

    csv = Path(__file__).resolve().parents[2] / "examples" / "observed" / "peterborough_pooled.csv"
    data = read_toml(resolve("peterborough-sib"))
    plain = settle("peterborough-sib", csv)
    assert plain.total_payment == pytest.approx(5_817_150, abs=1)  # the pooled payment alone
    indexed, capped = {}, {}
    for basis in ("service", "payment"):
        data["indexation"] = {"prices": [{"payment": "Peterborough outcome payment",
                                          "rate": 0.03, "basis": basis}]}
        capped[basis] = settle(validate(data), csv).total_payment
        data["payments"][0]["cap_total"] = None     # the indexation alone
        indexed[basis] = settle(validate(data), csv).total_payment
        data["payments"][0]["cap_total"] = 6_255_751
    # its cap, a fixed commitment [BLF], holds the indexed payment in cash
    assert capped == {b: pytest.approx(min(v, 6_255_751), rel=1e-12) for b, v in indexed.items()}
    assert capped["payment"] == 6_255_751
    # payment basis: the pooled payment falls in August 2017, month 83: contract year 6
    assert indexed["payment"] == pytest.approx(plain.total_payment * 1.03**6, rel=1e-12)
    # service basis: two 24-month cohorts from Sep 2010, in years 0-1 and 2-3; the pooled
    # payment at the mean of their mean indexes, ((1 + 1.03) / 2 + (1.03^2 + 1.03^3) / 2) / 2
    # = (1.015 + 1.0768135) / 2 = 1.04590675
    assert indexed["service"] == pytest.approx(plain.total_payment * 1.04590675, rel=1e-12)


@pytest.mark.parametrize("basis", ["service", "payment"])
def test_an_indexed_mechanism_pays_no_more_than_its_cash_cap(basis):
    # the straddling cohorts' 700 and 900 at indices above 1: capped at 1,600 in all, the
    # second cohort's (and the pooled) payment is cut to what the cap leaves
    s = spec(STRADDLING, prices=[{"payment": "Fee", "rate": 0.025, "basis": basis}])
    tl = Timeline.from_spec(s)
    by_cohort = np.array([[700.0, 900.0]])
    flows = PaymentFlows("Results", "outcome", tl.at_payment_months(by_cohort), by_cohort,
                         parts={"binary": by_cohort}, pooled=np.array([0.0]))
    (free,) = index_prices(s, [flows], tl)
    assert free.monthly.sum() > 1_600                       # indexation lifts the total
    from pbr_model.payments.adjust import cap_cash
    out = cap_cash(free, flows, 1_600.0, tl)
    assert out.monthly.sum() == pytest.approx(1_600, abs=1e-9)
    assert out.monthly[0, 39] == free.monthly[0, 39]        # cohort 1 is paid in full
    assert out.monthly[0, 51] == pytest.approx(1_600 - free.monthly[0, 39], abs=1e-9)
    np.testing.assert_allclose(out.by_cohort.sum(), 1_600, rtol=1e-12)
    assert cap_cash(free, flows, 1e9, tl) is free           # a cap that does not bind: as is
    # the cap never cuts below what was paid before the uplift (here 1,600 itself)
    assert cap_cash(free, flows, 1_000.0, tl).monthly.sum() == pytest.approx(1_600, abs=1e-9)


def test_indexation_of_a_capped_mechanism_in_a_run_keeps_the_cap():
    # Peterborough's outcome payments indexed at 3% a year on the payment basis: its GBP
    # 6,255,751 [BLF] was a fixed commitment, so the cash stays within it
    from pbr_model.analyses.simulate import simulate
    from pbr_model.spec import load_spec
    s = load_spec("peterborough-sib", overrides=[
        "indexation.cost_inflation=0.03",
        'indexation.prices=[{payment="Peterborough outcome payment", basis="payment"}]'])
    r = simulate(s, sims=600, seed=3)
    cap = 6_255_751
    assert (r.outcome_in.sum(axis=1) <= cap * (1 + 1e-12)).all()
    assert (r.outcome_in.sum(axis=1) > cap - 1).any()        # and it is reached
