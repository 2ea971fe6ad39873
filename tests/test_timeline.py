"""The contract calendar: a first cohort months after the start, per-cohort result lags and
explicit payment dates, with the checks that keep them in order (issue 12, "Time, prices and
contracts as they really run")."""

from __future__ import annotations

import datetime as dt
import numpy as np
import pytest

from pbr_model.analyses.settle import settle
from pbr_model.analyses.simulate import simulate
from pbr_model.errors import SpecError
from pbr_model.spec import load_spec, validate
from pbr_model.spec.load import read_toml, resolve
from pbr_model.timeline import Timeline


def tr_data() -> dict:
    return read_toml(resolve("tr-crc-example"))


def test_tr_first_payment_is_in_the_month_after_its_oct_2017_publication():
    # first payment cohort Oct-Dec 2015 (months 8-10 from Feb 2015), its result published in
    # Oct 2017 [PM18] (month 32). Its result month, the first month after publication, is the
    # month after the cohort's period (11) + result_lag_months (22) = 33, Nov 2017; with
    # payment_lag_months = 0 it is paid then, in the month AFTER publication
    tl = Timeline.from_spec(load_spec("tr-crc-example").spec)
    assert tl.entry_month[0] == 8
    assert tl.dates()[tl.entry_month[0]] == dt.date(2015, 10, 1)
    assert tl.dates()[32] == dt.date(2017, 10, 1)  # publication month
    assert tl.result_month[0] == 33 == 32 + 1
    assert tl.payment_month[0] == 8 + 3 + 22
    assert tl.dates()[tl.payment_month[0]] == dt.date(2017, 11, 1)
    # 25 quarterly cohorts fit in the 84 months from Oct 2015; each paid 25 months after entry
    assert tl.n_cohorts == 25
    np.testing.assert_array_equal(tl.payment_month - tl.entry_month, 25)


def test_first_cohort_month_moves_entry_and_payment():
    data = tr_data()
    data["contract"].update(first_cohort_month=5, result_lag_months=None, payment_lag_months=3)
    data["contract"].pop("result_lag_months")
    tl = Timeline.from_spec(validate(data))
    # 79 months left: 26 cohorts from month 5, each paid 3 + 12 + 6 + 3 months after entry
    assert tl.n_cohorts == 26
    np.testing.assert_array_equal(tl.entry_month, 5 + 3 * np.arange(26))
    np.testing.assert_array_equal(tl.result_month, tl.entry_month + 21)
    np.testing.assert_array_equal(tl.payment_month, tl.entry_month + 24)


def test_a_list_of_result_lags_gives_each_cohort_its_own():
    data = tr_data()
    data["contract"].update(n_cohorts=3, result_lag_months=[18, 22, 30], payment_lag_months=1)
    tl = Timeline.from_spec(validate(data))
    # entries 8, 11, 14; ends 11, 14, 17; results +18/+22/+30; paid a month later
    assert list(tl.result_month) == [29, 36, 47]
    assert list(tl.payment_month) == [30, 37, 48]


def test_payment_dates_land_each_payment_in_its_month():
    data = tr_data()
    del data["contract"]["result_lag_months"]  # results from 18 months after each cohort ends
    data["contract"].update(n_cohorts=3, payment_dates=[dt.date(2017, 11, 15),
                                                        dt.date(2018, 1, 1), dt.date(2018, 1, 31)])
    spec = validate(data)
    tl = Timeline.from_spec(spec)
    assert list(tl.payment_month) == [33, 35, 35]  # Nov 2017, Jan 2018 (twice)
    # every cohort's outcome payment is in its own month, two cohorts adding up in one
    run = simulate(spec, sims=200, seed=3)
    paid = run.cohorts["outcome_payment"].to_numpy().reshape(200, 3)
    assert (paid > 0).any()
    np.testing.assert_allclose(run.outcome_in[:, 33], paid[:, 0])
    np.testing.assert_allclose(run.outcome_in[:, 35], paid[:, 1] + paid[:, 2])
    others = np.setdiff1d(np.arange(tl.n_months), [33, 35])
    assert not run.outcome_in[:, others].any()


def test_peterborough_cohort_1_is_paid_when_its_result_was_published():
    # cohort 1's result was published on 7 Aug 2014 [SF14][CS14]; the pooled payment in
    # August 2017, the month after the final result was published on 27 July 2017 [RW17]
    # (ASSUMPTION, see the contract)
    tl = Timeline.from_spec(load_spec("peterborough-sib").spec)
    assert [tl.dates()[m] for m in tl.payment_month] == [dt.date(2014, 8, 1),
                                                         dt.date(2017, 8, 1)]


def test_settle_reports_each_cohorts_own_payment_date():
    from pathlib import Path
    csv = Path(__file__).resolve().parents[1] / "examples" / "observed" / "peterborough_pooled.csv"
    result = settle("peterborough-sib", csv)
    assert list(result.cohorts["payment_date"]) == ["2014-08-01", "2017-08-01"]
    assert result.mechanisms[0]["pooled_status"] == "met"


@pytest.mark.parametrize("update, fragment", [
    ({"n_cohorts": 2, "payment_dates": [dt.date(2018, 1, 1), dt.date(2017, 12, 1)]},
     "payment_dates[1] is 2017-12-01, earlier than cohort 1's date 2018-01-01: dates must be "
     "in cohort order"),
    ({"n_cohorts": 2, "payment_dates": [dt.date(2018, 1, 1)]},
     "payment_dates has 1 date but the contract has 2 cohorts"),
    ({"n_cohorts": 2, "payment_dates": [dt.date(2017, 6, 1), dt.date(2018, 1, 1)]},
     "payment_dates[0] is 2017-06-01 (month 28), before cohort 1's result month 33 (2017-11-01)"),
    ({"n_cohorts": 2, "result_lag_months": [22, 22, 22]},
     "result_lag_months has 3 values but the contract has 2 cohorts"),
    ({"result_lag_months": 17},
     "result_lag_months is 17: a result cannot be published before followup_months + "
     "waiting_months = 18 months"),
    ({"first_cohort_month": 82},
     "length_months (84) less first_cohort_month (82) leaves 2 months, shorter than one cohort "
     "period (3)"),
])
def test_bad_calendars_are_refused_clearly(update, fragment):
    data = tr_data()
    data["contract"].update(update)
    with pytest.raises(SpecError) as info:
        validate(data, "my.toml")
    (problem,) = info.value.problems
    assert problem.startswith("my.toml: contract: ")
    assert fragment in problem


def test_pbr_validate_refuses_dates_out_of_order(cli, tmp_path):
    text = resolve("peterborough-sib").read_text().replace(
        "payment_dates = [2014-08-01, 2017-08-01]", "payment_dates = [2017-08-01, 2014-08-01]")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    cli.error(cli.run("validate", str(path)),
              f"Error: {path}: contract: payment_dates[1] is 2014-08-01 (month 47), before "
              "cohort 2's result month 66", "dates must be in cohort order", lines=1)


def test_a_payment_date_centuries_away_is_refused():
    # result lags are capped at 240 months, and a payment date may be no later than its
    # cohort's result month + 240: a date in 2199 (dates run to 2200) would build a timeline
    # of ~2,300 months
    data = read_toml(resolve("peterborough-sib"))
    data["contract"]["payment_dates"] = [dt.date(2014, 8, 1), dt.date(2199, 6, 1)]
    with pytest.raises(SpecError) as info:
        validate(data, "my.toml")
    (problem,) = info.value.problems
    assert "contract: payment_dates[1] is 2199-06-01 (month " in problem
    assert "more than 240 months after cohort 2's result month" in problem


@pytest.mark.parametrize("value, fragment", [
    ("[2014-13-01,2017-06-01]", "payment_dates[0] is '2014-13-01': not a date; write each "
                                "date as YYYY-MM-DD"),
    ("[2014-08-01, 2017-06-31]", "payment_dates[1] is '2017-06-31': not a date"),
    ("[2014-08-01, soon]", "payment_dates[1] is 'soon': not a date"),
])
def test_a_bad_date_set_on_the_command_line_is_named_by_position_and_value(cli, value, fragment):
    # TOML cannot read a list with a bad date, so --set passes it on as one string
    result = cli.run("show", "peterborough-sib", "--set", f"contract.payment_dates={value}")
    cli.error(result, f"Error: peterborough-sib: --set: contract.payment_dates: {fragment}", lines=1)


def test_pbr_validate_names_a_bad_date_and_one_beyond_the_cap(cli, tmp_path):
    text = resolve("peterborough-sib").read_text()
    assert "payment_dates = [2014-08-01, 2017-08-01]" in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace("payment_dates = [2014-08-01, 2017-08-01]",
                                 'payment_dates = ["2014-08-01", "2017-02-30"]'))
    cli.error(cli.run("validate", str(path)), f"Error: {path}: contract.payment_dates: "
              "payment_dates[1] is '2017-02-30': not a date; write each date as YYYY-MM-DD",
              lines=1)
    path.write_text(text.replace("payment_dates = [2014-08-01, 2017-08-01]",
                                 "payment_dates = [2014-08-01, 2199-06-01]"))
    cli.error(cli.run("validate", str(path)),
              f"Error: {path}: contract: payment_dates[1] is 2199-06-01 (month 2265), more than "
              "240 months after cohort 2's result month 66 (2016-03-01); pay it by 2036-03-01",
              lines=1)
    cli.error(cli.run("simulate", "peterborough-sib", "--sims", "10",
                      "--set", "contract.payment_dates=[2014-08-01,2199-06-01]"),
              "payment_dates[1] is 2199-06-01", lines=1)


def _spread_plain(tl: Timeline, per_cohort):
    """Each entry month in turn, as the calendar spread amounts before 0.9."""
    out = np.zeros((per_cohort.shape[0], tl.n_months))
    for j in range(tl.cohort_months):
        out[:, tl.entry_month + j] += per_cohort / tl.cohort_months
    return out


def _paid_plain(tl: Timeline, per_cohort):
    out = np.zeros((per_cohort.shape[0], tl.n_months))
    np.add.at(out, (slice(None), tl.payment_month), per_cohort)
    return out


@pytest.mark.parametrize("entry, payment", [
    ([2, 5, 8, 11], [30, 33, 36, 39]),     # back to back, as from a spec
    ([0, 3, 6, 9], [30, 30, 31, 30]),      # three cohorts paid in one month
    ([0, 2, 5, 5], [12, 12, 12, 12]),      # periods that overlap, all paid at once
])
def test_spreading_and_placing_are_the_plain_loops_bit_for_bit(entry, payment):
    """The calendar's fast paths (a block of back-to-back periods; cohorts paid in one
    month added in rounds) give exactly what adding one month or cohort at a time gives,
    with -0.0, huge and tiny amounts among them."""
    rng = np.random.default_rng(4)
    per_cohort = rng.normal(0, 1e6, (50, 4)) * rng.choice([1e-300, 1.0, 1e300], (50, 4))
    per_cohort[0] = -0.0
    tl = Timeline(42, 12, 3, np.array(entry), np.array(payment), dt.date(2020, 1, 1))
    assert tl.spread_over_entry_months(per_cohort).tobytes() == \
        _spread_plain(tl, per_cohort).tobytes()
    assert tl.at_payment_months(per_cohort).tobytes() == _paid_plain(tl, per_cohort).tobytes()


@pytest.mark.parametrize("months", [1, 2, 3, 6, 7, 12])
def test_back_to_back_periods_of_any_length_spread_as_the_plain_loop(months):
    """Periods of a few months are spread month by month, longer ones by one broadcast add
    (whichever is faster): both give what the plain loop gives, bit for bit."""
    rng = np.random.default_rng(months)
    per_cohort = rng.normal(0, 1e6, (40, 5)) * rng.choice([1e-300, 1.0, 1e300], (40, 5))
    per_cohort[0] = -0.0
    entry = 1 + np.arange(5) * months
    tl = Timeline(int(entry[-1]) + months + 16, int(entry[-1]) + months, months, entry,
                  entry + months + 12, dt.date(2020, 1, 1))
    assert tl._entry_block() == (1, 5 * months)    # the fast path, not the loop
    assert tl.spread_over_entry_months(per_cohort).tobytes() == \
        _spread_plain(tl, per_cohort).tobytes()
    assert tl.in_arrears(per_cohort)[:, 1:].tobytes() == \
        _spread_plain(tl, per_cohort)[:, :-1].tobytes()
