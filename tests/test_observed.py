"""pbr_model.observed: an observed-results CSV must hold every count a payment rule reads.

A column a rule reads that the header lacks is an error naming the file, the column and
the rule, in the library (``InputError``) and on the command line (exit 2, one ``Error:``
line, no traceback), never a measure of NaN that silently pays nothing. Which groups need
the column is the evaluation design's (a historical baseline's comparison is computed, so
it needs no ``comparison_`` columns; a DiD blend needs the pre-period's).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from pbr_model.errors import InputError
from pbr_model.observed import columns, read_observed
from pbr_model.spec import apply_overrides, validate

EVENTS_RULE = ("payments=[{type = 'outcome', name = 'Reconviction events', rates = "
               "[{measure = 'reconviction_events', change = 'percent', price = 1000.0}]}]")
MATCHED = "evaluation.design='matched_comparison'"
GROUP = "cohort,n,reoffenders,reoffences,comparison_n,comparison_reoffenders," \
        "comparison_reoffences"


@pytest.fixture
def two_cohorts(minimal_toml) -> str:
    """The minimal spec with two yearly cohorts."""
    return minimal_toml.replace("length_months = 12", "length_months = 24\ncohort_months = 12")


@pytest.fixture
def spec(two_cohorts):
    """``spec(*overrides)``: the two-cohort spec, validated, with ``--set`` overrides."""
    return lambda *overrides: validate(apply_overrides(tomllib.loads(two_cohorts), overrides))


def write(tmp_path, text: str):
    path = tmp_path / "obs.csv"
    path.write_text(text)
    return path


def problems(path, model) -> list[str]:
    with pytest.raises(InputError) as err:
        read_observed(path, model)
    return err.value.problems


def test_a_rule_on_events_needs_both_groups_events(spec, tmp_path):
    obs = write(tmp_path, GROUP + "\n1,1000,,,10000,,\n")
    assert problems(obs, spec(MATCHED, EVENTS_RULE)) == [
        f"{obs}: column 'events' is needed by payment rule 'Reconviction events' "
        "(outcome on reconviction_events); add it",
        f"{obs}: column 'comparison_events' is needed by payment rule 'Reconviction events' "
        "(outcome on reconviction_events); add it",
    ]


def test_with_the_columns_the_same_rule_measures(spec, tmp_path):
    obs = write(tmp_path, GROUP + ",events,comparison_events\n1,1000,,,10000,,,1420,15500\n")
    est = read_observed(obs, spec(MATCHED, EVENTS_RULE)).evaluation.estimate(
        "reconviction_events")
    assert est.published_change("percent")[0, 0] == pytest.approx(100 * (1.42 - 1.55) / 1.55)
    assert np.isnan(est.treated[0, 1])    # cohort 2 has no row: not measured, not an error


def test_a_historical_baseline_needs_only_the_treated_events(spec, tmp_path):
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,600,1800\n")
    assert problems(obs, spec(EVENTS_RULE)) == [
        f"{obs}: column 'events' is needed by payment rule 'Reconviction events' "
        "(outcome on reconviction_events); add it"]
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences,events\n1,1000,600,1800,1500\n")
    assert read_observed(obs, spec(EVENTS_RULE)).complete is False


def test_every_rule_reading_a_column_is_named(spec, tmp_path):
    rules = ("payments=[{type = 'outcome', name = 'Events', rates = [{measure = "
             "'reconviction_events', change = 'percent', price = 1.0}]}, {type = 'tiered', "
             "name = 'Steps', measure = 'reconviction_events', tiers = [{at = 5.0, amount = "
             "1.0}]}]")
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,600,1800\n")
    assert problems(obs, spec(rules)) == [
        f"{obs}: column 'events' is needed by payment rules 'Events' (outcome on "
        "reconviction_events) and 'Steps' (tiered on reconviction_events); add it"]


def test_other_outcomes_and_bed_days_are_needed_too(spec, tmp_path):
    model = spec(MATCHED, 'outcomes.other=[{name = "employed", base_rate = 0.4}]',
                 "outcomes.custody.probability=0.3", "outcomes.custody.days_mean=20",
                 "payments=[{type = 'outcome', name = 'Jobs', rates = [{measure = 'employed', "
                 "change = 'points', price = 1.0}, {measure = 'bed_days', change = 'percent', "
                 "price = 1.0}]}]")
    obs = write(tmp_path, GROUP + ",employed,bed_days\n1,1000,,,10000,,,300,9000\n")
    found = problems(obs, model)
    assert [p.split("'")[1] for p in found] == ["comparison_employed", "comparison_bed_days"]
    assert "payment rule 'Jobs' (outcome on employed)" in found[0]
    assert "payment rule 'Jobs' (outcome on bed_days)" in found[1]


def test_a_did_blend_needs_the_pre_period_counts_its_rules_read(spec, tmp_path):
    model = spec("evaluation.design='rct'", "evaluation.did_weight=0.2",
                 "payments=[{type = 'outcome', rates = [{measure = 'binary', price = 1.0}]}]")
    obs = write(tmp_path, GROUP + "\n1,1000,500,1500,1000,550,1650\n")
    found = problems(obs, model)
    assert [p.split("'")[1] for p in found] == [
        "pre_reoffenders", "comparison_pre_reoffenders", "pre_n", "comparison_pre_n"]
    assert all("payment rule 'Outcome payment' (outcome on binary)" in p for p in found)
    # given, the blend measures: C + w (T_pre - C_pre) = 0.55 + 0.2 (0.5 - 0.55)
    obs = write(tmp_path, GROUP + ",pre_n,pre_reoffenders,comparison_pre_n,"
                "comparison_pre_reoffenders\n1,1000,500,1500,1000,550,1650,1000,500,1000,550\n")
    est = read_observed(obs, model).evaluation.estimate("binary")
    assert est.comparison[0, 0] == pytest.approx(0.55 + 0.2 * (0.5 - 0.55))


def test_a_fee_only_contract_needs_no_count_columns(spec, tmp_path):
    model = spec("payments=[{type = 'fee', per_participant = 100.0}]")
    obs = write(tmp_path, "cohort,n,reoffenders,reoffences\n1,1000,,\n")
    assert read_observed(obs, model).present.tolist() == [True, False]


@pytest.mark.parametrize("overrides, own", [
    ((), ["baseline_binary", "baseline_frequency"]),
    ((MATCHED,), []),
    (("evaluation.design='rct'",), []),
])
def test_only_a_historical_baseline_takes_baseline_columns(spec, overrides, own):
    required, optional = columns(spec(*overrides))
    assert [c for c in optional if c.startswith("baseline_")] == own
    assert ("comparison_n" in required) == bool(overrides)


# -- on the command line -------------------------------------------------------------------

def test_settle_without_the_events_columns_is_an_error(cli, two_cohorts, tmp_path):
    spec_path = tmp_path / "pb.toml"
    spec_path.write_text(
        two_cohorts + '\n[evaluation]\ndesign = "matched_comparison"\n\n[[payments]]\n'
        'type = "outcome"\nname = "Reconviction events"\n[[payments.rates]]\n'
        'measure = "reconviction_events"\nchange = "percent"\nprice = 1000\n')
    obs = write(tmp_path, GROUP + "\n1,1000,,,10000,,\n")
    result = cli.run("settle", str(spec_path), "--observed", str(obs))
    errors = cli.error(result, "column 'events' is needed by payment rule 'Reconviction "
                          "events' (outcome on reconviction_events)", "'comparison_events'",
                          lines=2)
    assert all(str(obs) in line for line in errors)
    assert result.stdout == ""
    # ... and with them it settles
    obs = write(tmp_path, GROUP + ",events,comparison_events\n1,1000,,,10000,,,1420,15500\n")
    cli.ok(cli.run("settle", str(spec_path), "--observed", str(obs)))


def test_settle_bundled_peterborough_without_events_is_an_error(cli, tmp_path):
    obs = write(tmp_path, GROUP + "\n1,1000,,,10000,,\n")
    result = cli.run("settle", "peterborough-sib", "--observed", str(obs), "--json")
    cli.error(result, "obs.csv: column 'events' is needed by payment rule",
                 "(outcome on reconviction_events); add it")
