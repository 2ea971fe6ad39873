"""``[area]`` and the evaluation fields of issue 13 (baseline_size, case_mix_adjusted per
measure, pre_post_correlation, pre_period_logit_shift): bounds, cross-field checks and the
clear one-line errors (exit 2) the command line gives for bad values."""

from __future__ import annotations

import pytest

from pbr_model.errors import SpecError
from pbr_model.spec import load_spec


def test_defaults_are_off():
    spec = load_spec("peterborough-sib").spec
    assert not spec.area.is_on
    ev = spec.evaluation
    assert ev.baseline_size is None and ev.pre_post_correlation == 0
    assert ev.pre_period_logit_shift == 0 and ev.case_mix_adjusted is True


def test_old_files_stay_valid_and_a_list_adjusts_only_its_measures():
    doncaster = load_spec("doncaster-pbr").spec.evaluation
    assert doncaster.case_mix_adjusted is False and not doncaster.adjusts("binary")
    tr = load_spec("tr-crc-example").spec.evaluation
    assert tr.adjusts("binary") and not tr.adjusts("frequency_per_reoffender")
    everything = load_spec("tr-crc-example", ["evaluation.case_mix_adjusted=true"]).spec
    assert everything.evaluation.adjusts("frequency_per_reoffender")


@pytest.mark.parametrize("override, fragments", [
    ("area.binary_logit_sd=-0.1", ["area.binary_logit_sd", "greater than or equal to 0"]),
    ("area.frequency_log_period_sd=3", ["area.frequency_log_period_sd", "less than or equal to 2"]),
    ("area.binary_logit_sd=nan", ["area.binary_logit_sd"]),
    ("area.county_sd=0.1", ["area.county_sd"]),
    ('evaluation.case_mix_adjusted=["binary", "bianry"]',
     ["evaluation.case_mix_adjusted", "'bianry'", "binary, frequency_per_offender"]),
    ('evaluation.case_mix_adjusted=["binary", "binary"]', ["lists a measure twice"]),
    ("evaluation.baseline_size=0", ["evaluation.baseline_size", "greater than or equal to 1"]),
    ("evaluation.baseline_size=2.5", ["evaluation.baseline_size", "valid integer"]),
])
def test_bad_values_are_named(cli, override, fragments):
    cli.error(cli.run("show", "tr-crc-example", "--set", override), *fragments)


@pytest.mark.parametrize("contract, override, fragment", [
    ("ma-roca-pfs", "evaluation.baseline_size=1000", "baseline_size is the historical baseline"),
    ("ma-roca-pfs", "evaluation.pre_post_correlation=1.5", "less than or equal to 1"),
    ("ma-roca-pfs", "evaluation.pre_period_logit_shift=-4", "greater than or equal to -3"),
    ("ma-roca-pfs", "evaluation.did_comparison=matched", "'control' or 'nonrandomised'"),
    ("peterborough-sib", "evaluation.did_comparison=nonrandomised", "set design = 'rct'"),
])
def test_fields_that_do_not_fit_the_design(cli, contract, override, fragment):
    cli.error(cli.run("show", contract, "--set", override), fragment)


def test_a_nonrandomised_did_comparison_needs_a_did_leg():
    with pytest.raises(SpecError) as info:
        load_spec("ma-roca-pfs", ["evaluation.did_weight=0",
                                  "evaluation.did_comparison=nonrandomised"])
    assert "did_weight > 0" in str(info.value)
    assert load_spec("ma-roca-pfs").spec.evaluation.did_comparison == "control"


def test_library_raises_a_spec_error():
    with pytest.raises(SpecError) as info:
        load_spec("tr-crc-example", ['evaluation.case_mix_adjusted=["employment"]'])
    assert "'employment', not a measure a baseline is adjusted for" in str(info.value)



def test_both_frequency_measures_read_are_adjusted_together():
    """Reoffences per offender and per reoffender share one count of reoffences, so a list
    adjusting one but not the other, when rules read both, is refused with its field path."""
    from pbr_model.spec import validate

    data = load_spec("tr-crc-example").spec.model_dump(mode="json")
    data["payments"][1]["rates"].append({"measure": "frequency_per_offender",
                                         "change": "absolute", "price": 100.0})
    data["evaluation"]["case_mix_adjusted"] = ["frequency_per_reoffender"]
    with pytest.raises(SpecError) as info:
        validate(data, "test")
    assert "evaluation.case_mix_adjusted" in str(info.value)
    assert "list both or neither" in str(info.value)
    data["evaluation"]["case_mix_adjusted"] = ["frequency_per_reoffender",
                                               "frequency_per_offender"]
    assert validate(data, "test").evaluation.adjusts("frequency_per_offender")
