"""Early termination (``[termination]``): a scheduled break, a stopping rule on interim
results, cohorts in flight paid or not, compensation, and the social investors' returns on
what was paid. Hand figures are worked in the comments from the spec's numbers; the
stopping rule is checked against the interim result computed here from the cohorts table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy_financial as npf
import pytest

from pbr_model import simulate
from pbr_model.analyses.runs import sib_investors
from pbr_model.finance.irr import annualise
from pbr_model.spec import load_spec, validate

#: Eight quarterly cohorts over 24 months; results known 3c + 9 (period 3, follow-up 6, no
#: wait), paid 3 months later, in month 3c + 12.
BASE = {
    "contract": {"name": "stops", "start_date": dt.date(2020, 1, 1), "length_months": 24,
                 "cohort_months": 3, "followup_months": 6, "waiting_months": 0,
                 "payment_lag_months": 3},
    "cohorts": {"entrants_per_period": 120},
    "population": {"bands": [{"name": "all", "share": 1.0, "binary_rate": 0.35,
                              "reoffences_per_reoffender": 2.0}]},
    "intervention": {"effect": {"binary": {"mean": 0.2}, "frequency": {"mean": 0.1}},
                     "costs": {"fixed_per_month": 2_000, "per_participant": 40}},
    "payments": [
        {"type": "fee", "per_participant": 50, "annual": 12_000},
        {"type": "outcome", "rates": [{"measure": "binary", "change": "points", "per": "unit",
                                       "price": 1_000}]},
    ],
}
PAYMENT_MONTHS = [12, 15, 18, 21, 24, 27, 30, 33]


def spec(termination=None, **sections):
    data = {**BASE, **sections}
    if termination is not None:
        data["termination"] = termination
    return validate(data)


def expected(s):
    return simulate(s, sims=1, sampling="expected")


@pytest.fixture(scope="module")
def planned():
    return expected(spec())


def test_a_scheduled_break_removes_costs_and_fees_after_its_month(planned):
    r = expected(spec({"break_month": 12}))
    fees, planned_fees = r.cash_in - r.outcome_in, planned.cash_in - planned.outcome_in
    # costs: the same until month 11, nothing from month 12 (cohorts 4-7 never start)
    np.testing.assert_array_equal(r.cash_out[:, :12], planned.cash_out[:, :12])
    assert planned.cash_out[0, 12:24].sum() > 0 and r.cash_out[0, 12:].sum() == 0
    # fees: in arrears, so paid to month 12 (service month 11) and none after
    np.testing.assert_allclose(fees[:, :13], planned_fees[:, :13], rtol=1e-12)
    assert r.cash_in[0, 13:].sum() == pytest.approx(r.outcome_in[0, 13:].sum())
    assert fees[0, 13:].max() == pytest.approx(0, abs=1e-9)
    # served: cohorts 0-3; the others' entrants and payments are gone
    cohorts = r.cohorts.xs(0, level="sim")
    np.testing.assert_array_equal(cohorts["entrants"].to_numpy()[4:], 0)
    assert (cohorts["entrants"].to_numpy()[:4] > 0).all()
    assert r.simulations["terminated"].all()
    assert r.simulations["termination_month"].tolist() == [12]
    assert r.summary()["termination"]["prob_terminated"] == 1.0
    assert r.summary()["termination"]["month"]["p50"] == 12


def test_in_flight_cohorts_paid(planned):
    r = expected(spec({"break_month": 12, "in_flight": "paid"}))
    kept, lost = PAYMENT_MONTHS[:4], PAYMENT_MONTHS[4:]
    assert (planned.outcome_in[0, kept] > 0).all()
    np.testing.assert_allclose(r.outcome_in[0, kept], planned.outcome_in[0, kept], rtol=1e-12)
    np.testing.assert_array_equal(r.outcome_in[0, lost], 0)
    assert r.simulations["outcome"][0] == pytest.approx(planned.outcome_in[0, kept].sum())


def test_in_flight_cohorts_unpaid_lose_the_payments_after_the_stop(planned):
    # a break at month 13: only cohort 0's payment (month 12) falls by then
    r = expected(spec({"break_month": 13, "in_flight": "unpaid"}))
    assert r.outcome_in[0, 12] == pytest.approx(planned.outcome_in[0, 12], rel=1e-12)
    assert r.outcome_in[0, 13:].sum() == 0
    assert r.cohorts.xs(0, level="sim")["outcome_payment"].tolist()[1:] == [0] * 7
    # cohorts 1-4 (started before month 13) were still served: their fees and costs stand
    assert (r.cohorts.xs(0, level="sim")["entrants"].to_numpy()[:5] > 0).all()


def test_compensation_is_paid_in_the_stop_month(planned):
    plain = expected(spec({"break_month": 12}))
    # 5,000 plus half the 12 annual-fee instalments of months 12-23 (1,000 each): 11,000
    r = expected(spec({"break_month": 12, "compensation": 5_000,
                       "compensation_fee_share": 0.5}))
    extra = r.cash_in - plain.cash_in
    assert extra[0, 12] == pytest.approx(11_000, abs=1e-9)
    extra[0, 12] = 0
    np.testing.assert_allclose(extra, 0, atol=1e-9)


def test_the_stopping_rule_stops_only_the_simulations_it_should():
    # decision in month 15: cohorts 0-2 are known (results in months 9, 12, 15)
    rule = {"decision_month": 15, "measure": "binary", "change": "points", "stop_below": 7}
    effect = {"binary": {"mean": 0.2, "sd": 0.15}, "frequency": {"mean": 0.1}}
    intervention = {**BASE["intervention"], "effect": effect}
    plain = simulate(spec(intervention=intervention), sims=600, seed=11)
    r = simulate(spec({"rule": rule}, intervention=intervention), sims=600, seed=11)
    c = plain.cohorts
    known = c.index.get_level_values("cohort") < 3
    n = c["entrants"][known].groupby(level="sim").sum()
    k = c["reoffenders"][known].groupby(level="sim").sum()
    base = (c["comparison_binary_rate"] * c["entrants"])[known].groupby(level="sim").sum()
    interim = 100 * (base - k) / n
    stops = (interim < 7).to_numpy()
    clear = np.abs(interim.to_numpy() - 7) > 1e-9
    assert 0.1 < stops.mean() < 0.9
    terminated = r.simulations["terminated"].to_numpy()
    np.testing.assert_array_equal(terminated[clear], stops[clear])
    np.testing.assert_array_equal(r.simulations["termination_month"][terminated], 15)
    # simulations that went on are the planned run, number for number
    go = ~terminated
    for col in ("revenue", "cost", "net", "outcome", "fee"):
        np.testing.assert_array_equal(r.simulations[col][go], plain.simulations[col][go])
    assert (r.simulations["cost"][terminated] < plain.simulations["cost"][terminated]).all()
    s = r.summary()["termination"]
    assert s["prob_terminated"] == pytest.approx(terminated.mean())


def test_a_contract_that_runs_its_length_pays_every_cohort_whatever_in_flight_says():
    # "unpaid" lapses results in flight at a stop; a run the rule does not stop is the
    # planned run, including cohorts 4-7, paid in months 24-33, after the contract's 24
    # months (0.23.0 dropped those cohorts' results from every run that went on)
    rule = {"decision_month": 15, "measure": "binary", "change": "points", "stop_below": 7}
    effect = {"binary": {"mean": 0.2, "sd": 0.15}, "frequency": {"mean": 0.1}}
    intervention = {**BASE["intervention"], "effect": effect}
    plain = simulate(spec(intervention=intervention), sims=600, seed=11)
    r = simulate(spec({"rule": rule, "in_flight": "unpaid"}, intervention=intervention),
                 sims=600, seed=11)
    go = ~r.simulations["terminated"].to_numpy()
    assert 0.1 < go.mean() < 0.9
    late = plain.cohorts["outcome_payment"].xs(7, level="cohort").to_numpy()[go]
    assert (late > 0).any()   # the last cohort, paid in month 33, is paid in runs that went on
    for col in ("revenue", "outcome", "net"):
        np.testing.assert_array_equal(r.simulations[col][go], plain.simulations[col][go])
    np.testing.assert_array_equal(r.outcome_in[go], plain.outcome_in[go])


SIB = {"drawdown": "as_needed", "tranches": [
    {"name": "lender", "kind": "senior_loan", "amount": 200_000, "return_cap": 0.05,
     "surplus_share": 1.0}]}
SIB_PAYMENTS = [{"type": "outcome", "rates": [{"measure": "binary", "change": "points",
                                               "per": "unit", "price": 4_000}]}]


def test_sib_investors_returns_follow_termination():
    full = expected(spec(payments=SIB_PAYMENTS, sib=SIB))
    cut = expected(spec({"break_month": 12, "in_flight": "unpaid"}, payments=SIB_PAYMENTS,
                        sib=SIB))
    (f,), (t,) = sib_investors(full), sib_investors(cut)
    assert f.received[0] > f.drawn[0]                  # as planned, repaid with a return
    assert t.drawn[0] < f.drawn[0]                     # costs stopped: less drawn
    assert t.received[0] == pytest.approx(cut.outcome_in[0].sum())  # only what was paid
    assert t.irr[0] < f.irr[0] and t.loss[0] > 0


def test_able_stops_on_its_interim_finding_and_the_lender_loses_what_the_guarantee_left():
    # nyc_able_sib.toml: at month 36 (3 of 4 years), stop if the first cohort's bed days
    # fell by less than 10% [BB]; in those simulations USD 7.2m is drawn (3 years of costs
    # at the planned volume), the guarantee pays 5/6 of it and the lender loses the rest:
    # USD 6m and 1.2m [BB][PNY]. With no volume noise the costs are exact.
    loaded = load_spec("nyc-able-sib", ["cohorts.volume_factor_sd=0", "cohorts.period_noise_sd=0"])
    r = simulate(loaded, sims=400, seed=3)
    stopped = r.simulations["terminated"].to_numpy()
    assert 0.05 < stopped.mean() < 0.95
    assert (r.simulations["termination_month"][stopped] == 36).all()
    (loan,) = sib_investors(r)
    drawn = loan.drawn[stopped]
    # entrants are Poisson around 3,000 a year: 400 each, so drawn = 7.2m +- a little
    assert np.abs(drawn / 7_200_000 - 1).max() < 0.02
    assert loan.received[stopped] == pytest.approx(drawn * 5 / 6, rel=1e-9)
    assert (loan.drawn[~stopped] > 8_000_000).all()
    # ... and is settled then, in month 36, not at the end of the term the city no longer
    # ran (month 66): each stopped simulation's return is that of its own monthly draws
    # (its costs: nothing was paid in) with the guarantee back in month 36, about -11.5% a
    # year (-4.4% had it waited for month 66)
    flows = -r.cash_out[stopped]
    assert (flows[:, 36:] == 0).all()
    flows[:, 36] += loan.received[stopped]
    own = np.array([annualise(npf.irr(row[:37])) for row in flows])
    np.testing.assert_allclose(loan.irr[stopped], own, rtol=0, atol=1e-9)
    assert (own < -0.11).all()


@pytest.mark.parametrize("setting, fragments", [
    ("termination.rule.decision_month=12",
     ["termination.rule.decision_month (12)", "no cohort's result is published before month 27"]),
    ("termination.break_month=49", ["termination.break_month (49)", "inside the contract"]),
    ("termination.rule.measure=frobs", ["termination.rule.measure", "unknown measure"]),
    ("termination.in_flight=maybe", ["termination.in_flight", "'paid' or 'unpaid'"]),
    ("termination.compensation_fee_share=2", ["termination.compensation_fee_share"]),
])
def test_bad_termination_terms_are_spec_errors(cli, setting, fragments):
    cli.error(cli.run("simulate", "nyc-able-sib", "--sims", "10", "--set", setting), *fragments)


def test_a_termination_without_a_break_or_rule_is_refused(cli, tmp_path, minimal_toml):
    path = tmp_path / "c.toml"
    path.write_text(minimal_toml + "\n[termination]\ncompensation = 1000\n")
    cli.error(cli.run("simulate", str(path), "--sims", "10"), "termination",
              "give break_month, rule or both")


def test_unpaid_in_flight_with_a_foundation_is_refused(cli):
    cli.error(cli.run("simulate", "tr-crc-example", "--sims", "10",
                      "--set", "termination.break_month=70",
                      "--set", "termination.in_flight=unpaid",
                      "--set", "payments.1.foundation.per_participant=10"),
              "foundation")


def test_a_lapsed_pooled_payment_is_neither_paid_nor_counted_as_triggered():
    # Peterborough-like pooled rate: with no stop it is met and paid with the last cohort
    pooled = [{"type": "outcome", "rates": [{"measure": "binary", "change": "points",
                                             "per": "unit", "price": 1_000, "threshold": 50,
                                             "pooled_threshold": 1}]}]
    full = expected(spec(payments=pooled))
    assert full.simulations["pooled_payment"][0] > 0 and full.simulations["triggered"][0]
    cut = expected(spec({"break_month": 13, "in_flight": "unpaid"}, payments=pooled))
    assert cut.simulations["pooled_payment"][0] == 0 and not cut.simulations["triggered"][0]
    assert cut.outcome_in.sum() == 0


def test_the_decision_month_follows_the_calendar(cli):
    # first cohort from month 6: its result is published in 6 + 12 + 15 = 33, so a decision
    # in month 30 has nothing to read
    cli.error(cli.run("simulate", "nyc-able-sib", "--sims", "10",
                      "--set", "contract.first_cohort_month=6", "--set", "contract.n_cohorts=3",
                      "--set", "termination.rule.decision_month=30"),
              "termination.rule.decision_month (30)", "published before month 33")


def test_unpaid_in_flight_with_several_payers_is_refused(cli):
    cli.error(cli.run("simulate", "nys-ceo-pfs", "--sims", "10",
                      "--set", "termination.break_month=12",
                      "--set", "termination.in_flight=unpaid"),
              "several outcome payers")


def test_the_providers_figures_carry_a_bond_settled_when_its_contract_stops():
    # The provider of a bond's contract is its vehicle: its figures carry the investors'
    # draws (engine.bond_funded). With a schedule, the bond of a contract stopped at month 36
    # draws nothing more after it (the schedule's second half is due at month 40), so the
    # vehicle's cash differs from a bond that ran on to the term's end in those simulations.
    from pbr_model.engine import bond_funded
    from pbr_model.finance.cash import cash_figures
    loaded = load_spec("nyc-able-sib", ["sib.drawdown=schedule",
                                        "sib.schedule=[{month=0,share=0.5},{month=40,share=0.5}]"])
    r = simulate(loaded, sims=300, seed=3)
    spec, stopped = loaded.spec, r.sim_columns["termination_month"]
    assert 0 < (stopped >= 0).mean() < 1

    def peak(termination_month):
        funded = bond_funded(spec, r.cash_in, r.cash_out, termination_month)
        return cash_figures(r.cash_in, r.cash_out, spec.provider, funded).peak_funding

    np.testing.assert_array_equal(r.sim_columns["peak_funding"], peak(stopped))
    late = peak(None)
    assert (late[stopped < 0] == peak(stopped)[stopped < 0]).all()
    assert (late[stopped >= 0] != peak(stopped)[stopped >= 0]).any()
