"""pbr settle: observed results through the contract's rules, and every malformed CSV.

The published-results replays of the bundled contracts are in test_contracts.py;
here the rules are checked on small hand-made contracts whose payments can be
worked out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pbr_model.errors import InputError
from pbr_model.analyses.settle import settle
from pbr_model.spec import load_spec, validate
from pbr_model.spec.load import read_toml

PETERBOROUGH_LIKE = """\
[contract]
name = "Matched comparison, events, pooled trigger"
start_date = 2010-09-01
length_months = 48
cohort_months = 24
n_cohorts = 2

[cohorts]
entrants_per_period = 1000

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.6
reoffences_per_reoffender = 3.0

[evaluation]
design = "matched_comparison"

[[payments]]
type = "outcome"
name = "Events"
[[payments.rates]]
measure = "reconviction_events"
change = "percent"
per = "unit"
price = 1000
threshold = 10
pooled_threshold = 7.5
"""

BASELINE = """\
[contract]
name = "Historical baseline, revenue at risk"
start_date = 2011-10-01
length_months = 36
cohort_months = 12

[cohorts]
entrants_per_period = 1000

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.58
reoffences_per_reoffender = 3.0

[[payments]]
type = "revenue_at_risk"
name = "At risk"
target = 5
amount = 1_000_000

[[payments]]
type = "outcome"
name = "Per point"
[[payments.rates]]
measure = "binary"
per = "change"
price = 10_000
"""

PB_HEADER = "cohort,n,reoffenders,reoffences,events,comparison_n,comparison_reoffenders," \
            "comparison_reoffences,comparison_events\n"


@pytest.fixture
def specs(tmp_path) -> dict[str, Path]:
    out = {}
    for name, text in (("pb", PETERBOROUGH_LIKE), ("base", BASELINE)):
        out[name] = tmp_path / f"{name}.toml"
        out[name].write_text(text)
    return out


def write(tmp_path, text: str, name: str = "observed.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def spec_of(path: Path):
    return validate(read_toml(path), str(path))


# -- the rules on observed results --------------------------------------------------------

def test_cohort_below_its_threshold_is_not_paid_and_pooled_waits(specs, tmp_path):
    # 142 vs 155 events per 100: -8.4%, short of the 10% cohort trigger
    obs = write(tmp_path, PB_HEADER + "1,1000,,,1420,10000,,,15500\n")
    s = settle(spec_of(specs["pb"]), obs)
    row = s.cohorts.loc[1]
    assert row["reconviction_events:change"] == pytest.approx(100 * (1.42 - 1.55) / 1.55)
    assert not row["triggered"] and row["payment"] == 0
    assert s.mechanisms[0]["pooled_status"] == "not assessed"
    assert s.total_payment == 0 and s.missing == [2]


def test_pooled_trigger_pays_what_cohorts_did_not(specs, tmp_path):
    # cohort 1 -8.4% (not paid), cohort 2 -12% (paid); pooled 2,740 vs 3,050 events: -10.2%
    obs = write(tmp_path, PB_HEADER + "1,1000,,,1420,10000,,,15500\n"
                                      "2,1000,,,1320,10000,,,15000\n")
    s = settle(spec_of(specs["pb"]), obs)
    c2_avoided = 1000 * (1.5 - 1.32)                      # 180 events avoided
    assert s.cohorts.loc[2, "payment"] == pytest.approx(1000 * c2_avoided)
    pooled_change = (2.74 - 3.05) / 3.05                  # -10.2%: met
    pooled_avoided = -pooled_change * 3.05 * 1000         # events avoided per the pooled rate
    mech = s.mechanisms[0]
    assert mech["pooled_status"] == "met"
    assert mech["pooled"] == pytest.approx(1000 * pooled_avoided - 1000 * c2_avoided)
    assert s.total_payment == pytest.approx(1000 * pooled_avoided)


def test_revenue_at_risk_repaid_only_when_the_target_is_missed(specs, tmp_path):
    # baseline 58%: cohort 1 at 52.3% (-5.7 points), cohort 2 at 54.7% (-3.3 points)
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,523,\n2,1000,547,\n")
    s = settle(spec_of(specs["base"]), obs)
    assert s.cohorts.loc[1, "binary:change"] == pytest.approx(-5.7)
    assert s.cohorts.loc[2, "binary:change"] == pytest.approx(-3.3)
    assert s.cohorts.loc[1, "At risk:payment"] == 0
    assert s.cohorts.loc[2, "At risk:payment"] == -1_000_000
    assert s.cohorts.loc[1, "Per point:payment"] == pytest.approx(57_000)
    assert s.total_payment == pytest.approx(-1_000_000 + 57_000 + 33_000)


def test_baseline_override_per_cohort(specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences,baseline_binary\n"
                          "1,1000,523,,0.60\n2,1000,547,,\n")
    s = settle(spec_of(specs["base"]), obs)
    assert s.cohorts.loc[1, "binary:comparison"] == pytest.approx(0.60)
    assert s.cohorts.loc[2, "binary:comparison"] == pytest.approx(0.58)


def test_exactly_at_the_target_is_met(specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,530,\n")
    s = settle(spec_of(specs["base"]), obs)
    assert s.cohorts.loc[1, "binary:change"] == pytest.approx(-5.0)
    assert s.cohorts.loc[1, "At risk:payment"] == 0 and s.cohorts.loc[1, "At risk:triggered"]


# -- the command --------------------------------------------------------------------------

def test_settle_json(cli, specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,523,\n2,1000,547,\n")
    result = cli.run("settle", str(specs["base"]), "--observed", str(obs), "--json")
    cli.ok(result)
    data = json.loads(result.stdout)
    assert [c["cohort"] for c in data["cohorts"]] == [1, 2]
    assert [c["measured_change"] for c in data["cohorts"]] == pytest.approx([-5.7, -3.3])
    assert [c["triggered"] for c in data["cohorts"]] == [True, True]
    assert data["cohorts"][1]["mechanisms"]["At risk"] == {"triggered": False,
                                                          "payment": -1_000_000}
    assert data["total_payment"] == pytest.approx(-910_000)
    assert data["missing_cohorts"] == [3]
    assert len(data["spec_sha256"]) == 64 and data["version"]


def test_settle_table_and_workbook(cli, specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,523,\n2,1000,547,\n")
    book = tmp_path / "settle.xlsx"
    result = cli.run("settle", str(specs["base"]), "--observed", str(obs),
                 "--xlsx", str(book))
    cli.ok(result)
    assert "-5.70" in result.stdout and "-3.30" in result.stdout
    assert "Total outcome payments" in result.stdout
    wb = load_workbook(book)
    assert wb.sheetnames == ["Summary", "Settlement", "Totals", "Assumptions"]
    ws = wb["Settlement"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[2]["At risk:payment"] == -1_000_000
    assert rows[1]["binary:change"] == pytest.approx(-5.7)
    totals = [r for r in wb["Totals"].iter_rows(values_only=True) if r[0]]
    assert ("Total outcome payments", None, None, None, None, pytest.approx(-910_000)) in totals
    # an existing workbook is kept unless --force
    again = cli.run("settle", str(specs["base"]), "--observed", str(obs), "--xlsx", str(book))
    cli.error(again, "--xlsx", "file exists")


@pytest.mark.parametrize("text, fragments", [
    ("cohort,n,reoffences\n1,1000,5\n", ["missing column 'reoffenders'"]),
    ("cohort,n,reoffenders,reoffences,colour\n1,1,1,1,red\n", ["unknown column 'colour'"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,1200,\n",
     ["row 2, column reoffenders: 1200 is more than n (1000)"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,-5,\n",
     ["row 2, column reoffenders: must be a whole number from 0 to 10,000,000,000 written as plain digits, e.g. 1200 (got '-5')"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,5.5,\n", ["column reoffenders: must be a whole"]),
    ("cohort,n,reoffenders,reoffences\n4,1000,500,\n",
     ["row 2, column cohort: must be a whole number from 1 to 3"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,500,\n1,1000,500,\n",
     ["row 3, column cohort: cohort 1 appears twice"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,,\n",
     ["row 2, column reoffenders: empty, but the contract's binary measure needs it"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,500,400\n",
     ["row 2, column reoffences: 400 does not fit 500 reoffenders"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,500\n", ["row 2: 3 cells, but the header has 4"]),
    ("cohort,n,reoffenders,reoffences,baseline_binary\n1,1000,500,,58\n",
     ["column baseline_binary: must be a fraction between 0 and 1"]),
    ("", ["empty file"]),
    ("cohort,n,reoffenders,reoffences\n", ["no cohort rows"]),
    ("cohort,n,reoffenders,reoffences\n1,1000,abc,\n2,x,1,\n",
     ["row 2, column reoffenders", "row 3, column n"]),
])
def test_malformed_csv_names_row_and_column(cli, specs, tmp_path, text, fragments):
    obs = write(tmp_path, text)
    result = cli.run("settle", str(specs["base"]), "--observed", str(obs))
    errors = cli.error(result, *fragments)
    assert all(str(obs) in line for line in errors)


def test_comparison_design_needs_comparison_columns(cli, specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences,events\n1,1000,,,1420\n")
    cli.error(cli.run("settle", str(specs["pb"]), "--observed", str(obs)),
                 "missing column 'comparison_n'")
    # ... and a historical-baseline column makes no sense there
    obs = write(tmp_path, PB_HEADER.strip() + ",baseline_binary\n1,1000,,,1420,10000,,,15500,0.5\n")
    cli.error(cli.run("settle", str(specs["pb"]), "--observed", str(obs)),
                 "unknown column 'baseline_binary'")


def test_missing_observed_file(cli, specs, tmp_path):
    result = cli.run("settle", str(specs["base"]), "--observed", str(tmp_path / "no.csv"))
    cli.error(result, "no.csv: no such file")


def test_library_raises_input_error(specs, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,10,20,\n")
    with pytest.raises(InputError, match="more than n"):
        settle(spec_of(specs["base"]), obs)


# -- the published results of the bundled contracts ---------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "observed"


def settle_json(cli, name: str, csv: str) -> dict:
    result = cli.run("settle", name, "--observed", str(EXAMPLES / csv), "--json")
    cli.ok(result)
    return json.loads(result.stdout)


def test_peterborough_cohort_1_was_not_paid(cli):
    # 142 vs 155 events per 100: -8.4%, short of the 10% cohort trigger [SF14]
    data = settle_json(cli, "peterborough-sib", "peterborough.csv")
    (c1,) = data["cohorts"]
    assert c1["cohort"] == 1
    assert c1["measured_change"] == pytest.approx(-8.39, abs=0.01)
    assert c1["triggered"] is False and c1["payment"] == 0
    assert data["total_payment"] == 0
    assert data["mechanisms"][0]["pooled_status"] == "not assessed"


def test_doncaster_repays_ten_percent_for_cohort_2(cli):
    # cohort 1 -5.7 points: full payment; cohort 2 -3.3 points: 10% of the year's core
    # contract value repaid [MoJpr14][CJA]
    data = settle_json(cli, "doncaster-pbr", "doncaster.csv")
    spec = load_spec("doncaster-pbr").spec
    core = next(p for p in spec.payments if p.type == "fee").annual
    c1, c2 = data["cohorts"]
    assert (c1["measured_change"], c2["measured_change"]) == (pytest.approx(-5.7),
                                                              pytest.approx(-3.3))
    assert c1["triggered"] and c1["payment"] == 0
    assert not c2["triggered"] and c2["payment"] == pytest.approx(-0.10 * core)
    assert data["total_payment"] == pytest.approx(-0.10 * core)


def test_comment_lines_are_skipped_and_rows_keep_their_line_numbers(specs, tmp_path):
    obs = write(tmp_path, "# a note\ncohort,n,reoffenders,reoffences\n# source\n1,10,20,\n")
    with pytest.raises(InputError, match="row 4, column reoffenders: 20 is more than n"):
        settle(spec_of(specs["base"]), obs)


OBSERVED_EXAMPLES = {
    "peterborough.csv": ("peterborough-sib", []),
    "peterborough_pooled.csv": ("peterborough-sib", []),
    "doncaster.csv": ("doncaster-pbr", []),
    "able_no_effect.csv": ("nyc-able-sib", []),
}


def test_every_observed_example_is_listed_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.csv")) == sorted(OBSERVED_EXAMPLES)


@pytest.mark.parametrize("csv", sorted(OBSERVED_EXAMPLES))
def test_observed_examples_settle(cli, csv):
    name, extra = OBSERVED_EXAMPLES[csv]
    result = cli.run("settle", name, "--observed", str(EXAMPLES / csv), "--json", *extra)
    cli.ok(result)
    assert json.loads(result.stdout)["cohorts"]


def test_peterborough_pooled_nine_percent_pays(cli):
    # hypothetical cohort 2 chosen so the pool is the published -9%: paid [BCT17][RI17]
    data = settle_json(cli, "peterborough-sib", "peterborough_pooled.csv")
    mech = data["mechanisms"][0]
    assert mech["pooled_status"] == "met" and mech["pooled"] > 0
    assert data["cohorts"][0]["payment"] == 0


def test_able_without_effect_pays_nothing(cli):
    result = cli.run("settle", "nyc-able-sib", "--observed",
                 str(EXAMPLES / "able_no_effect.csv"), "--json", *OBSERVED_EXAMPLES[
                     "able_no_effect.csv"][1])
    cli.ok(result)
    data = json.loads(result.stdout)
    assert data["total_payment"] == 0
    assert all(c["measured_change"] == 0 for c in data["cohorts"])


def test_mechanisms_with_the_same_name_are_reported_apart(tmp_path):
    # two outcome mechanisms left at their default name must not overwrite each other
    text = BASELINE.replace('name = "Per point"\n', "") + (
        '\n[[payments]]\ntype = "outcome"\n[[payments.rates]]\nmeasure = "binary"\n'
        'per = "cohort"\nprice = 500\n')
    spec_path = tmp_path / "two.toml"
    spec_path.write_text(text)
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,523,\n")
    s = settle(spec_of(spec_path), obs)
    names = [m["name"] for m in s.mechanisms]
    assert names == ["At risk", "Outcome payment (2)", "Outcome payment (3)"]
    assert s.cohorts.loc[1, "Outcome payment (2):payment"] == pytest.approx(57_000)
    assert s.cohorts.loc[1, "Outcome payment (3):payment"] == 500
    assert s.total_payment == pytest.approx(57_500)


def test_the_settlement_tables_carry_units():
    """--csv/--parquet (metadata, datapackage.json, Parquet field metadata) read units
    from the tables; the settlement's said none."""
    from pbr_model.analyses.settle import settle as settle_
    s = settle_(load_spec("peterborough-sib"), str(EXAMPLES / "peterborough.csv"))
    tables = s.tables()
    units = tables["cohorts"].attrs["units"]
    assert units["payment"] == units["Peterborough outcome payment:payment"] == "currency"
    assert units["triggered"] == units["observed"] == "yes/no" and units["n"] == "people"
    assert tables["mechanisms"].attrs["units"]["total"] == "currency"
