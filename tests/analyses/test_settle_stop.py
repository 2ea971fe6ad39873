"""pbr settle with a ``[termination]``: the contract stops on the observed results as a
simulation of it would (a scheduled break, or a stopping rule read on the interim results),
cohorts after the stop are not paid, results in flight lapse where the terms say so, and a
bond is settled in the stop month."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from pbr_model.analyses.settle import settle
from pbr_model.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "observed"
ABLE_COLUMNS = ("cohort,n,reoffenders,reoffences,bed_days,comparison_n,comparison_reoffenders,"
                "comparison_reoffences,comparison_bed_days")


def able(tmp_path, fewer: dict[int, float]) -> str:
    """ABLE's cohorts ``{cohort: share fewer bed days than the matched group}``."""
    rows = [ABLE_COLUMNS] + [f"{c},3000,,,{114900 * (1 - f):.0f},3000,,,114900"
                             for c, f in fewer.items()]
    path = tmp_path / "able.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_able_stops_on_its_interim_result_and_the_bond_is_settled_then(tmp_path):
    # all four cohorts given, none better than its matched group: the rule reads cohort 1
    # (published by month 27) in month 36 and stops the contract, as ABLE was stopped [BB]
    s = settle(load_spec("nyc-able-sib"), able(tmp_path, {1: 0, 2: 0, 3: 0, 4: 0}))
    t = s.termination
    assert (t["stopped"], t["month"], t["by"]) == (True, 36, "rule")
    assert t["rule"]["read_on"] == [1] and t["rule"]["interim_improvement"] == 0
    assert (t["not_served"], t["observed_not_served"], t["lapsed"]) == ([4], [4], [2, 3])
    assert s.mechanisms[0]["pooled_status"] == "lapsed" and s.total_payment == 0
    assert s.columns["served"].tolist() == [True, True, True, False]
    assert s.columns["lapsed"].tolist() == [False, True, True, False]
    (loan,), (guarantee,) = s.investors, s.guarantees
    # USD 2.4m a year drawn for the three years served; the guarantee's USD 6m in the stop
    # month [BB][PNY]
    assert loan["drawn"]["mean"] == pytest.approx(7_200_000)
    assert guarantee["paid"]["mean"] == pytest.approx(6_000_000)
    flows = np.zeros(37)
    flows[:36] = -200_000
    flows[36] += 6_000_000
    assert loan["irr"]["mean"] == pytest.approx((1 + npf.irr(flows)) ** 12 - 1, abs=1e-9)


def test_the_published_example_needs_no_override_and_matches_the_four_cohort_file(tmp_path):
    # examples/observed/able_no_effect.csv gives the three cohorts delivered
    example = settle(load_spec("nyc-able-sib"), str(EXAMPLES / "able_no_effect.csv"))
    four = settle(load_spec("nyc-able-sib"), able(tmp_path, {1: 0, 2: 0, 3: 0, 4: 0}))
    assert example.termination["observed_not_served"] == []
    # (compared as text: a payback month that never comes is NaN, and NaN != NaN)
    assert repr(example.investors) == repr(four.investors)
    assert repr(example.guarantees) == repr(four.guarantees)


def test_a_rule_with_no_result_by_its_month_does_not_stop(tmp_path):
    # cohort 1 is the only one published by month 36; without it the rule cannot be read
    s = settle(load_spec("nyc-able-sib"), able(tmp_path, {2: 0, 3: 0}))
    t = s.termination
    assert not t["stopped"] and t["month"] is None and t["by"] is None
    assert t["rule"]["read_on"] == [] and t["rule"]["interim_improvement"] is None
    assert t["not_served"] == [] and t["lapsed"] == []
    assert s.investors is None   # cohorts 1 and 4 may still be paid: not yet assessed


def test_a_rule_met_lets_the_contract_run_its_length(tmp_path):
    s = settle(load_spec("nyc-able-sib"), able(tmp_path, {1: 0.12, 2: 0.12, 3: 0.12, 4: 0.12}))
    t = s.termination
    assert not t["stopped"] and t["rule"]["interim_improvement"] == pytest.approx(12.0)
    assert s.mechanisms[0]["pooled_status"] == "met" and s.total_payment > 0


@pytest.mark.parametrize("in_flight, paid", [("paid", True), ("unpaid", False)])
def test_a_break_pays_results_in_flight_only_where_the_terms_say(in_flight, paid):
    # Doncaster's two published cohorts entered in months 0-23 and are paid from month 33;
    # a break at month 20 leaves cohorts 3 and 4 unserved and cohorts 1 and 2 in flight
    plain = settle(load_spec("doncaster-pbr"), str(EXAMPLES / "doncaster.csv"))
    s = settle(load_spec("doncaster-pbr", overrides=[
        "termination.break_month=20", f"termination.in_flight={in_flight!r}",
        "termination.compensation=1000"]), str(EXAMPLES / "doncaster.csv"))
    t = s.termination
    assert (t["stopped"], t["month"], t["by"], t["rule"]) == (True, 20, "break", None)
    assert t["date"] == "2013-06-01" and t["not_served"] == [3, 4]
    assert t["compensation"] == 1000
    assert t["lapsed"] == ([] if paid else [1, 2])
    expected = plain.columns["payment"] if paid else np.zeros(4)
    assert s.columns["payment"].tolist() == expected.tolist()
    assert plain.total_payment == pytest.approx(-2_400_000)   # repaid for cohort 2 [MoJpr14]
    assert s.total_payment == (plain.total_payment if paid else 0)


def test_a_contract_without_termination_settles_as_before():
    s = settle(load_spec("doncaster-pbr"), str(EXAMPLES / "doncaster.csv"))
    assert s.termination is None and "termination" not in s.to_dict()
    assert "served" not in s.columns and "lapsed" not in s.columns


def test_the_cli_says_when_and_why_the_contract_stopped(cli, tmp_path):
    res = cli.run("settle", "nyc-able-sib", "--observed",
                  able(tmp_path, {1: 0, 2: 0, 3: 0, 4: 0}))
    cli.ok(res)
    text = " ".join(res.stdout.split())
    for fragment in ("stopped in month 36 (2015-09-01) by its stopping rule",
                     "improvement in bed days per offender read in month 36 on cohort 1 was 0.0%, "
                     "below the 10.0% its stopping rule needs",
                     "Not served after the stop: cohort 4.",
                     "The results given for cohort 4 are not paid",
                     "results not paid (in_flight = \"unpaid\"): cohorts 2, 3.",
                     "pooled trigger lapsed", "lapsed", "not served"):
        assert fragment in text, fragment
    res = cli.run("settle", "nyc-able-sib", "--observed",
                  able(tmp_path, {1: 0, 2: 0, 3: 0, 4: 0}), "--json")
    cli.ok(res)
    d = json.loads(res.stdout)
    assert d["termination"]["lapsed"] == [2, 3] and d["termination"]["by"] == "rule"


def test_the_workbook_marks_cohorts_served_and_lapsed(cli, tmp_path):
    from openpyxl import load_workbook
    path = tmp_path / "s.xlsx"
    res = cli.run("settle", "nyc-able-sib", "--observed",
                  able(tmp_path, {1: 0, 2: 0, 3: 0, 4: 0}), "--xlsx", str(path))
    cli.ok(res)
    ws = load_workbook(path)["Settlement"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    assert [r["served"] for r in rows] == [True, True, True, False]
    assert [r["lapsed"] for r in rows] == [False, True, True, False]


def test_a_break_before_the_rules_decision_month_does_not_read_the_rule(tmp_path, cli):
    spec = load_spec("nyc-able-sib", overrides=["termination.break_month=24"])
    s = settle(spec, able(tmp_path, {1: 0, 2: 0}))
    t = s.termination
    assert (t["stopped"], t["month"], t["by"]) == (True, 24, "break")
    assert t["rule"]["read"] is False and t["rule"]["read_on"] == []
    assert t["rule"]["interim_improvement"] is None
    res = cli.run("settle", "nyc-able-sib", "--observed", able(tmp_path, {1: 0, 2: 0}),
                  "--set", "termination.break_month=24")
    cli.ok(res)
    text = " ".join(res.stdout.split())
    assert ("stopped in month 24 (2014-09-01) at its scheduled break (before its stopping "
            "rule's decision month, 36)") in text
    assert "read in month 36" not in text
