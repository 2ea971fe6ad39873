"""``pbr indigo`` (a contract and a run as an INDIGO 4.1.0 project) and ``pbr settle
--indigo`` (an INDIGO project's results and actual outcome payments as observed data).

The export is checked against ``tests/indigo_schema.py``, a draft-07 schema written from
the standard's documentation for the parts pbr writes (fields, nesting, types, dates,
codelists), and against figures the bundled contracts state."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from indigo_schema import SCHEMA
from pbr_model.analyses.indigo import indigo_export
from pbr_model.analyses.settle import settle
from pbr_model.analyses.simulate import simulate
from pbr_model.errors import InputError
from pbr_model.payments import rule_measures
from pbr_model.report.json import dumps
from pbr_model.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = sorted(p.stem.replace("_", "-") for p in (ROOT / "contracts").glob("*.toml"))
OBSERVED = ROOT / "examples" / "observed"
#: The example observed results, with the --set each needs (as docs/settlement.md runs them).
EXAMPLES = [("peterborough-sib", "peterborough.csv", []),
            ("peterborough-sib", "peterborough_pooled.csv", []),
            ("doncaster-pbr", "doncaster.csv", []),
            ("nyc-able-sib", "able_no_effect.csv", [])]
SIMS = 200


def check(project: dict) -> None:
    """The project fits the schema, and every reference inside it names something there."""
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(SCHEMA).iter_errors(project), key=str)
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]]
    metrics = {m["id"] for m in project["outcome_metrics"]}
    sources = {s["id"] for s in project["sources"]}
    for section in ("outcome_pricings", "results", "outcome_payments"):
        for record in project.get(section, []):
            if "outcome_metric_id" in record or section != "outcome_payments" and \
                    record.get("result_level", {}).get("value") != "Project level":
                assert record["outcome_metric_id"]["value"] in metrics, (section, record)

    def ids(node):
        if isinstance(node, dict):
            for k, x in node.items():
                if k == "source_ids":
                    yield from x.split(",")
                else:
                    yield from ids(x)
        elif isinstance(node, list):
            for x in node:
                yield from ids(x)
    assert set(ids(project)) <= sources
    for where, amount in _amounts(project):
        assert isinstance(amount, (int, float)) and round(amount, 2) == amount \
            and len(repr(float(amount)).split(".")[1]) <= 2, (where, amount)


def _amounts(node, where: str = ""):
    """Every currency amount a project holds as a number (``amount.value``,
    ``amount.exact.value``; not the one the standard types as text)."""
    if isinstance(node, dict):
        for k, x in node.items():
            here = f"{where}.{k}"
            if k in ("amount", "exact") and isinstance(x, dict) and "value" in x \
                    and "maximum_price_if_all_targets_achieved" not in where:
                yield here, x["value"]
            else:
                yield from _amounts(x, here)
    elif isinstance(node, list):
        for i, x in enumerate(node):
            yield from _amounts(x, f"{where}[{i}]")


@pytest.fixture(scope="module")
def exports():
    return {name: indigo_export(load_spec(name), sims=SIMS) for name in CONTRACTS}


@pytest.mark.parametrize("name", CONTRACTS)
def test_every_bundled_contract_exports_a_valid_project(exports, name):
    result = exports[name]
    check(result.project)
    spec = load_spec(name).spec
    assert ("investments" in result.project) == (spec.sib is not None)
    assert result.project["name"]["value"] == spec.contract.name
    assert json.loads(dumps(result.to_dict()))["project"] == result.project
    # the file itself records what made it: the spec's hash, the seed, pbr-model and numpy
    run = next(s for s in result.project["sources"] if s["id"] == "pbr-run")["name"]["value"]
    assert f"seed {result.provenance.seed}" in run
    assert f"pbr-model {result.provenance.version}" in run
    assert f"numpy {np.__version__}" in run
    assert load_spec(name).sha256 in result.project["notes"]["value"]
    assert f"numpy {np.__version__}" in result.project["notes"]["value"]


def test_money_is_in_cents_and_typed_as_the_standard_types_it(exports):
    """A payer's share of a maximum (Roca: 26,999,999.9988 before rounding) is written in
    cents; the one amount INDIGO 4.1.0 types as text is plain digits."""
    p = exports["ma-roca-pfs"].project
    assert p["overall_project_finance"]["maximum_potential_outcome_payment_v2"]["amount"] \
        == {"value": 27_000_000}
    assert {c["maximum_potential_outcome_payment"]["amount"]["value"]
            for c in p["outcome_payment_commitments"]} >= {12_000_000}
    texts = [x["maximum_price_if_all_targets_achieved"]["amount"]["value"]
             for name in CONTRACTS for x in exports[name].project["outcome_pricings"]
             if "maximum_price_if_all_targets_achieved" in x]
    assert texts and all(isinstance(t, str) for t in texts)
    assert "6255751" in texts  # Peterborough's tiered maximum, as plain digits


def test_the_schema_refuses_what_the_standard_does_not_allow(exports):
    """The checker can fail: a codelist value, a type, a date and a misspelt field."""
    good = exports["peterborough-sib"].project
    for path, bad in [(("outcome_payments", 0, "type", "value"), "Expected"),
                      (("investments", 0, "investment_type", "value"), "Loan"),
                      (("outcome_pricings", 0, "maximum_price_if_all_targets_achieved",
                        "amount", "value"), 6255751),
                      (("dates", "start_date_of_service_provision", "value"), "01/09/2010"),
                      (("investments", 0, "maximum_potential_loss", "value"), 100),
                      (("outcome_pricings", 0, "currency", "value"), "£")]:
        project = copy.deepcopy(good)
        node = project
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = bad
        with pytest.raises(AssertionError):
            check(project)
    project = copy.deepcopy(good)
    project["outcome_metric"] = project.pop("outcome_metrics")
    with pytest.raises(AssertionError):
        check(project)


def test_the_contracts_terms_are_where_indigo_puts_them(exports):
    pb = exports["peterborough-sib"].project
    assert pb["outcome_metrics"][0]["id"] == "reconviction_events"
    assert pb["outcome_pricings"][0]["price_per_unit"]["amount"]["value"] == 20_850
    (c,) = pb["outcome_payment_commitments"]
    assert c["maximum_potential_outcome_payment"]["amount"]["value"] == 6_255_751  # [BLF]
    (inv,) = pb["investments"]
    assert inv["investment_commitment"]["amount"]["exact"]["value"] == 5_000_000
    assert inv["investment_type"]["value"] == "Equity"
    assert inv["maximum_potential_return"]["value"] == 13  # the 13% a year cap [SEpl]
    # ABLE: a $7.2m guarantee on a $9.6m loan, so at most 25% of principal is lost
    (able,) = exports["nyc-able-sib"].project["investments"]
    assert able["maximum_potential_loss"]["value"] == "25"  # text, as the standard types it
    assert able["investment_type"]["value"] == "Debt"
    # Roca: two payers with their own maxima ($15m state + $12m DoL), five tranches
    roca = exports["ma-roca-pfs"].project
    tops = [x["maximum_potential_outcome_payment"]["amount"]["value"]
            for x in roca["outcome_payment_commitments"]]
    # (the spec's shares are 0.5555555556 and 0.4444444444 of the $27m cap)
    assert sorted(tops) == pytest.approx([12_000_000, 15_000_000], abs=0.01)
    assert roca["overall_project_finance"]["maximum_potential_outcome_payment_v2"][
        "amount"]["value"] == pytest.approx(27_000_000, abs=0.01)
    assert len(roca["investments"]) == 5
    assert "investment_type" not in roca["investments"][4]  # a grant is neither debt nor equity
    assert roca["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"][
        "value"] == 21_760_000  # [Urb-Roca]
    # NYS CEO: one outcome mechanism read on two measures: two metrics, two pricings
    ceo = exports["nys-ceo-pfs"].project
    assert [m["id"] for m in ceo["outcome_metrics"]] == ["bed_days", "employment"]
    assert len(ceo["outcome_pricings"]) == 2


def test_a_payer_named_by_two_mechanisms_has_one_maximum_in_the_export():
    """Roca's tiered schedule twice, both naming the same two payers: each payer's maximum is
    still its one cap (USD 15m and 12m), not one per mechanism (30m and 24m)."""
    from pbr_model.analyses.indigo_project import payers
    spec = load_spec("ma-roca-pfs").spec
    tiered = next(m for m in spec.payments if m.type == "tiered")
    twice = spec.model_copy(update={"payments": [
        *spec.payments, tiered.model_copy(update={"name": "Again"})]})
    got = dict(payers(twice))
    assert got == pytest.approx({"Commonwealth of Massachusetts": 15_000_000,
                                 "US Department of Labor": 12_000_000}, abs=0.01)
    assert dict(payers(spec)) == pytest.approx(got, abs=0.01)


def test_planned_payments_are_the_mean_of_the_run_by_month():
    spec = load_spec("tr-crc-example")
    result = indigo_export(spec, sims=SIMS, seed=7)
    run = simulate(spec, sims=SIMS, seed=7, detail=True)
    mean = run.outcome_in.mean(axis=0)
    planned = [p for p in result.project["outcome_payments"] if p["type"]["value"] == "Planned"]
    assert len(planned) == int((np.abs(mean) >= 0.005).sum()) > 0
    dates = [d.isoformat() for d in run.timeline.dates()]
    for p in planned:
        month = dates.index(p["period"]["start_date"]["value"])
        assert p["money"]["amount"]["value"] == pytest.approx(mean[month], abs=0.006)
        assert p["notes"].startswith(f"mean over {SIMS} simulations (seed 7)")
    assert result.to_dict()["planned_statistic"] == "mean"


def _settle_json(cli, *args: str) -> dict:
    result = cli.run("settle", *args, "--json")
    cli.ok(result)
    return json.loads(result.stdout)


@pytest.mark.parametrize("name, csv, sets", EXAMPLES)
def test_a_settled_run_read_back_settles_the_same(cli, tmp_path, name, csv, sets):
    out = tmp_path / "project.json"
    set_args = [a for s in sets for a in ("--set", s)]
    cli.ok(cli.run("indigo", name, "--observed", str(OBSERVED / csv), "--out", str(out),
                   "--sims", str(SIMS), *set_args))
    project = json.loads(out.read_text())
    check(project)
    direct = _settle_json(cli, name, "--observed", str(OBSERVED / csv), *set_args)
    back = _settle_json(cli, name, "--indigo", str(out), *set_args)
    actual = back.pop("actual_payments")
    assert back.pop("skipped_results") == []
    for d in (direct, back):
        d.pop("observed"), d.pop("observed_sha256")
    assert back == direct
    assert sum(r["actual"] for r in actual) == pytest.approx(direct["total_payment"])
    assert all(r["difference"] == 0 for r in actual)
    paid = [p for p in project["outcome_payments"] if p["type"]["value"] == "Actual"]
    assert sum(p["money"]["amount"]["value"] for p in paid) == \
        pytest.approx(direct["total_payment"])


def test_results_carry_the_counts_in_standard_fields(tmp_path):
    result = indigo_export(load_spec("doncaster-pbr"), sims=SIMS,
                           observed=OBSERVED / "doncaster.csv")
    tops = [r for r in result.project["results"] if r["result_level"]["value"] == "Project level"]
    first = tops[0]  # the numbers only at project level, one result per cohort
    assert len(tops) == 2 and first["notes"].startswith("Cohort 1:")
    assert first["number_engaged_in_impact_bond"]["value"] == 1000
    assert first["number_with_positive_social_outcomes"]["value"] == 1000 - 523
    assert first["period"] == {"start_date": {"value": "2011-10-01"},
                               "end_date": {"value": "2012-09-30"}}
    assert first["result_type"]["value"] == "Interim"  # 2 of the spec's 4 cohorts observed
    pooled = indigo_export(load_spec("peterborough-sib"), sims=SIMS,
                           observed=OBSERVED / "peterborough_pooled.csv").project
    assert {r["result_type"]["value"] for r in pooled["results"]} == {"Final"}  # 2 of 2
    actual = [p for p in result.project["outcome_payments"] if p["type"]["value"] == "Actual"]
    assert [p["money"]["amount"]["value"] for p in actual] == [0, -2_400_000]  # [MoJpr14][CJA]


def test_a_project_with_standard_fields_only_settles(tmp_path):
    """No extension: INDIGO's own fields carry n and (for binary) the reoffenders."""
    spec = load_spec("doncaster-pbr")
    project = indigo_export(spec, sims=SIMS, observed=OBSERVED / "doncaster.csv").project
    for r in project["results"]:
        r.pop("pbr_counts", None)
    assert len(project["results"]) == 4  # binary's, and the project-level one, per cohort
    path = tmp_path / "plain.json"
    path.write_text(json.dumps({"project": {"id": "x", "data": project}}))  # the API envelope
    csv = tmp_path / "plain.csv"
    csv.write_text("cohort,n,reoffenders,reoffences\n1,1000,523,\n2,1000,547,\n")
    a, b = settle(spec, csv).to_dict(), settle(spec, indigo=path).to_dict()
    for d in (a, b):
        d.pop("observed"), d.pop("observed_sha256")
    b.pop("actual_payments"), b.pop("skipped_results")
    assert dumps(a) == dumps(b)


def test_the_bundled_example_settles_as_its_csv():
    spec = load_spec("peterborough-sib")
    a = settle(spec, OBSERVED / "peterborough.csv").to_dict()
    b = settle(spec, indigo=OBSERVED / "peterborough_indigo.json").to_dict()
    assert b["cohorts"] == a["cohorts"] and b["total_payment"] == a["total_payment"] == 0
    assert b["actual_payments"] == [{"date": "2014-08", "cohorts": [1], "actual": 0.0,
                                     "settled": 0.0, "difference": 0.0}]


# -- bad input: a clear Error naming the file, the field path, the value and what is allowed --

def _project(tmp_path) -> dict:
    result = indigo_export(load_spec("peterborough-sib"), sims=SIMS,
                           observed=OBSERVED / "peterborough_pooled.csv")
    return copy.deepcopy(result.project)


def _edit(project: dict, how: str) -> dict | str:
    r0 = project["results"][0]
    if how == "period":
        r0["period"]["start_date"]["value"] = "2011-01"
    elif how == "metric":
        r0["outcome_metric_id"]["value"] = "outcomemetric1"
    elif how == "negative":
        r0["pbr_counts"]["events"] = -5
    elif how == "text":
        r0["pbr_counts"]["events"] = "1420"
    elif how == "unknown":
        r0["pbr_counts"]["event"] = 3
    elif how == "disagree":
        r0["pbr_counts"]["n"] = 999
    elif how == "bare metric":
        r0["outcome_metric_id"] = "reconviction_events"
    elif how == "bare date":
        r0["period"]["start_date"] = "2010-09-01"
    elif how == "bare period":
        r0["period"] = "2010-09"
    elif how == "bare type":
        project["outcome_payments"][-1]["type"] = "Actual"
    elif how == "text n":
        r0["number_engaged_in_impact_bond"] = {"value": "1000"}
    elif how == "currency":
        project["outcome_payments"][-1]["money"]["currency"]["value"] = "USD"
    elif how == "month":
        project["outcome_payments"][-1]["period"] = {"start_date": {"value": "2016-01-01"},
                                                     "end_date": {"value": "2016-01-31"}}
    elif how == "span":
        project["outcome_payments"][-1]["period"]["start_date"]["value"] = "2014-08-01"
    elif how == "backwards":
        project["outcome_payments"][-1]["period"]["end_date"]["value"] = "2016-01-31"
    elif how == "comparison":
        for r in project["results"]:
            r.get("pbr_counts", {}).pop("comparison_events", None)
    elif how == "date":
        r0["period"]["end_date"]["value"] = "31/08/2012"
    elif how == "twice":
        project["results"].append(copy.deepcopy(r0))
        project["results"][-1]["pbr_counts"]["events"] = 1
    elif how == "huge":
        project["outcome_payments"][-1]["money"]["amount"]["value"] = 10**400
    elif how == "not json":
        return "{'name': 1}"
    elif how == "list":
        return "[]"
    elif how == "nan":
        return '{"results": [NaN]}'
    return project


BAD = {
    "period": ["results[0].period: 2011-01 to 2012-08 is not a cohort's entry period",
               "1 = 2010-09 to 2012-08; 2 = 2012-09 to 2014-08"],
    "metric": ["results[0].outcome_metric_id.value: 'outcomemetric1' is not the id"],
    "negative": ["cohort 1, events (results[0].pbr_counts.events): must be a whole number "
                 "from 0 to 10,000,000,000 (got -5)"],
    "text": ['results[0].pbr_counts.events: must be a count, a JSON number such as 1200 (got '
             'text "1420")'],
    "bare metric": ['results[0].outcome_metric_id: INDIGO writes a field as an object holding '
                    'its value: write it as {"value": "reconviction_events"} (got text '
                    '"reconviction_events")'],
    "bare date": ['results[0].period.start_date: INDIGO writes a field as an object holding '
                  'its value: write it as {"value": "2010-09-01"}'],
    "bare period": ['results[0].period: must be an object holding start_date, each as '
                    '{"value": ...} (got text "2010-09")'],
    "bare type": ['outcome_payments[3].type: INDIGO writes a field as an object holding its '
                  'value: write it as {"value": "Actual"}'],
    "text n": ['results[0].number_engaged_in_impact_bond.value: must be a number of people, '
               'a JSON number such as 1000 (got text "1000")'],
    "unknown": ["results[0].pbr_counts: unknown count 'event'; allowed: n, reoffenders"],
    "disagree": ["results[2].number_engaged_in_impact_bond.value: 1000 disagrees with "
                 "results[0].pbr_counts.n (999) for the same cohort 1"],
    "currency": ["money.currency.value: 'USD', but the contract's money is in GBP"],
    "month": ["outcome_payments[3].period.start_date.value: 2016-01 is not a month the "
              "contract pays outcomes in",
              "2014-08 (cohort 1), 2017-08 (cohort 2)"],
    "span": ["outcome_payments[3].period: 2014-08 to 2017-08 holds 2 of the contract's "
             "payment months (2014-08, 2017-08); an actual payment is read as one month's: "
             "give one record per payment month"],
    "backwards": ["outcome_payments[3].period: 2017-08 to 2016-01 ends before it starts"],
    "comparison": ["no result gives 'comparison_events'",
                   "give it in results[].pbr_counts.comparison_events"],
    "date": ["results[0].period.end_date.value: must be a date YYYY-MM or YYYY-MM-DD "
             "(got '31/08/2012')"],
    "twice": ["results[4].pbr_counts.events: 1 disagrees with results[0].pbr_counts.events "
              "(1420) for the same cohort 1"],
    "huge": ["outcome_payments[3].money.amount.value: must be a number in GBP"],
    "not json": ["not valid JSON (line 1, column 2"],
    "list": ["must be a JSON object (an INDIGO project), not a list"],
    "nan": ["NaN is not a number JSON allows"],
}


@pytest.mark.parametrize("how", BAD)
def test_bad_indigo_input_is_a_clear_error(cli, tmp_path, how):
    edited = _edit(_project(tmp_path), how)
    path = tmp_path / "bad.json"
    path.write_text(edited if isinstance(edited, str) else json.dumps(edited))
    lines = cli.error(cli.run("settle", "peterborough-sib", "--indigo", str(path)), *BAD[how])
    assert all(str(path) in line for line in lines)
    assert not any("plain digits" in line or re.search(r"column [a-z]", line) for line in lines)
    if how.startswith(("bare", "text")):
        assert len(lines) == 1, lines  # one clear error, nothing spurious
    with pytest.raises(InputError):  # the library refuses what the command refuses
        settle(load_spec("peterborough-sib"), indigo=path)


def test_settle_takes_one_source_of_results(cli, tmp_path):
    cli.error(cli.run("settle", "peterborough-sib"), "give the observed results once")
    cli.error(cli.run("settle", "peterborough-sib", "--observed",
                      str(OBSERVED / "peterborough.csv"), "--indigo",
                      str(OBSERVED / "peterborough_indigo.json")), "(not both)")
    cli.error(cli.run("settle", "peterborough-sib", "--indigo", str(tmp_path / "missing.json")),
              "missing.json")
    cli.error(cli.run("settle", "peterborough-sib", "--indigo", str(tmp_path)),
              f"{tmp_path}: is a folder; give an INDIGO project (a JSON file)")
    cli.error(cli.run("settle", "peterborough-sib", "--indigo", "/dev/zero"),
              "/dev/zero: is not a regular file")
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 50 + "1" + "}" * 50)
    cli.error(cli.run("settle", "peterborough-sib", "--indigo", str(deep)),
              "nested more than 20 levels deep")


def test_indigo_output_is_checked_before_the_run(cli, tmp_path):
    out = tmp_path / "p.json"
    out.write_text("{}")
    cli.error(cli.run("indigo", "doncaster-pbr", "--out", str(out)),
              f"--out {out}: file exists; use --force to replace it")
    cli.error(cli.run("indigo", "doncaster-pbr", "--out", str(tmp_path / "p.txt")),
              "an INDIGO project (JSON) must end in .json")
    obs = tmp_path / "obs.json"
    obs.write_text("cohort,n,reoffenders,reoffences\n")
    cli.error(cli.run("indigo", "doncaster-pbr", "--observed", str(obs), "--out", str(obs)),
              str(obs))
    cli.error(cli.run("indigo", "doncaster-pbr", "--out", str(tmp_path / "q.json"), "--sims",
                      "0"), "--sims")
    assert out.read_text() == "{}" and not (tmp_path / "q.json").exists()
    cli.ok(cli.run("indigo", "doncaster-pbr", "--out", str(out), "--sims", str(SIMS), "--force"))
    check(json.loads(out.read_text()))


def test_the_same_run_writes_the_same_bytes(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        cli.ok(cli.run("indigo", "nys-ceo-pfs", "--out", str(path), "--sims", str(SIMS)))
    assert a.read_bytes() == b.read_bytes()


def test_the_installed_pbr_exports_and_settles(tmp_path):
    pbr = str(Path(sys.executable).parent / "pbr")
    out = tmp_path / "roca.json"
    run = subprocess.run([pbr, "indigo", "peterborough-sib", "--observed",
                          str(OBSERVED / "peterborough_pooled.csv"), "--out", str(out),
                          "--sims", str(SIMS)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"Wrote {out}" in run.stderr and "outcome_payments: Actual" in run.stdout
    check(json.loads(out.read_text()))
    run = subprocess.run([pbr, "settle", "peterborough-sib", "--indigo", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Actual outcome payments (INDIGO)" in run.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": 3}')
    run = subprocess.run([pbr, "settle", "peterborough-sib", "--indigo", str(bad)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert run.stderr.startswith(f"Error: {bad}: results: must be a list of records (got a "
                                 "number)")


def _write(tmp_path, project: dict, name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(project))
    return path


def test_results_no_rule_reads_are_skipped_and_named(cli, tmp_path):
    """A real GO Lab project gives project-level results for the whole project (not a
    cohort's entry period) and metrics the contract does not pay on: both are left out,
    and said."""
    project = _project(tmp_path)
    whole = {"start_date": {"value": "2010-09-01"}, "end_date": {"value": "2014-08-31"}}
    period = copy.deepcopy(project["results"][0]["period"])
    n = len(project["results"])
    project["results"].append({"result_level": {"value": "Project level"},
                               "outcome_metric_id": {"value": None}, "period": whole,
                               "number_engaged_in_impact_bond": {"value": 2000}})
    project["outcome_metrics"].append({"id": "employment", "definition": {"value": "Jobs"}})
    project["results"].append({"outcome_metric_id": {"value": "employment"},
                               "result_level": {"value": "Outcome level"}, "period": period,
                               "number_engaged_in_impact_bond": {"value": 1000},
                               "number_with_positive_social_outcomes": {"value": 400}})
    project["results"].append({"result_level": {"value": "Project level"}, "period": period,
                               "outcomes_achieved": {"value": "a narrative"}})
    path = _write(tmp_path, project)
    direct = _settle_json(cli, "peterborough-sib", "--observed",
                          str(OBSERVED / "peterborough_pooled.csv"))
    back = _settle_json(cli, "peterborough-sib", "--indigo", str(path))
    assert back["total_payment"] == direct["total_payment"]
    assert back["cohorts"] == direct["cohorts"]
    skipped = back["skipped_results"]
    assert [s["field"] for s in skipped] == [f"results[{i}]" for i in (n, n + 1, n + 2)]
    assert skipped[0]["reason"] == ("a project-level result for 2010-09 to 2014-08, not one "
                                    "cohort's entry period")
    assert "'employment'" in skipped[1]["reason"] and "reconviction_events" in skipped[1]["reason"]
    assert "with no number_engaged_in_impact_bond" in skipped[2]["reason"]
    shown = cli.run("settle", "peterborough-sib", "--indigo", str(path))
    cli.ok(shown)
    assert "Skipped 3 INDIGO results no payment rule reads" in " ".join(shown.stdout.split())
    plain = _settle_json(cli, "peterborough-sib", "--indigo",
                         str(_write(tmp_path, _project(tmp_path), "plain.json")))
    assert plain["skipped_results"] == []
    # a measure the rules read still has to be there
    only = _project(tmp_path)
    only["results"] = project["results"][n:n + 2]
    only["outcome_metrics"] = project["outcome_metrics"]
    cli.error(cli.run("settle", "peterborough-sib", "--indigo",
                      str(_write(tmp_path, only, "o.json"))),
              "results: none of the 2 results is a cohort's result for a measure this "
              "contract's payment rules read (reconviction_events)",
              "results[0] (a project-level result for 2010-09 to 2014-08")


def test_an_actual_payment_is_the_payment_month_its_claim_period_holds(cli, tmp_path):
    """INDIGO's outcome payment period is a claim period: a quarter holding the payment
    month is that month's payment; 14 months from it too (one payment month inside)."""
    spec = load_spec("peterborough-sib")
    base = settle(spec, OBSERVED / "peterborough_pooled.csv").payments_by_date()
    for start, end in [("2017-07-01", "2017-09-30"), ("2017-08-01", "2018-09-30"),
                       ("2017-08", None)]:
        project = _project(tmp_path)
        period = project["outcome_payments"][-1]["period"]
        period["start_date"]["value"] = start
        if end is None:
            del period["end_date"]
        else:
            period["end_date"]["value"] = end
        got = settle(spec, indigo=_write(tmp_path, project)).actual_payments
        assert [r["date"] for r in got] == ["2014-08", "2017-08"], (start, end)
        assert got[-1]["actual"] == pytest.approx(base[-1]["amount"], abs=0.005)


def test_an_actual_payment_names_the_cohorts_it_pays_for():
    """Peterborough's pooled payment (met on both cohorts) is paid in cohort 2's month:
    its note names both cohorts, not just cohort 2."""
    project = indigo_export(load_spec("peterborough-sib"), sims=SIMS,
                            observed=OBSERVED / "peterborough_pooled.csv").project
    actual = [p for p in project["outcome_payments"] if p["type"]["value"] == "Actual"]
    assert actual[0]["notes"] == "pbr settle on the observed results: the payment of cohort 1"
    last = actual[-1]["notes"]
    assert "the payment of cohort 2 (GBP " in last
    assert "the pooled payment on cohorts 1 and 2 (GBP " in last


def test_indigo_numbers_are_at_project_level_and_payments_name_their_metric():
    """number_engaged / number_with_positive only on project-level results (one per
    cohort, so a sum counts each person once); a contract paying on one measure names it
    on every outcome payment, one paying on several names none."""
    p = indigo_export(load_spec("doncaster-pbr"), sims=SIMS,
                      observed=OBSERVED / "doncaster.csv").project
    levels = {}
    for r in p["results"]:
        levels.setdefault(r["result_level"]["value"], []).append(r)
    assert sum(r["number_engaged_in_impact_bond"]["value"] for r in levels["Project level"]) \
        == 2000
    assert not any("number_engaged_in_impact_bond" in r or
                   "number_with_positive_social_outcomes" in r for r in levels["Outcome level"])
    assert {x["outcome_metric_id"]["value"] for x in p["outcome_payments"]} == {"binary"}
    several = [name for name in CONTRACTS if len({m for m, _ in rule_measures(
        load_spec(name).spec)}) > 1]
    for name in several[:1]:
        q = indigo_export(load_spec(name), sims=SIMS).project
        assert not any("outcome_metric_id" in x for x in q["outcome_payments"])
