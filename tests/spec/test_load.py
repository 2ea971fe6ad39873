"""Spec loading: finding a SPEC, reading TOML, ``--set`` overrides, and the
validation errors a user sees (one per problem, each naming the field path)."""

from __future__ import annotations

import datetime as dt
import tomllib
import warnings
from pathlib import Path

import pytest

from pbr_model.errors import OverrideError, PbrDeprecationWarning, PbrError, SpecError
from pbr_model.spec import (
    DEFAULT_CONTRACT, ContractSpec, LoadedSpec, apply_overrides, bundled_contracts, load_spec,
    read_toml, resolve, spec_sha256, validate,
)
from pbr_model.spec import reading as reading_module
from pbr_model.spec.schema import OutcomePayment, Contract, FeePayment, RiskBand


@pytest.fixture
def bundled() -> dict:
    """The bundled contract as plain data (a fresh copy per test)."""
    return read_toml(resolve(DEFAULT_CONTRACT))


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(excinfo: pytest.ExceptionInfo) -> list[str]:
    return excinfo.value.problems


def allowed(model) -> str:
    """The 'allowed here' list a message should give for ``model``."""
    return "allowed here: " + ", ".join(sorted(model.model_fields))


# -- the bundled contract -----------------------------------------------------------------------

def test_bundled_contract_loads():
    loaded = load_spec(DEFAULT_CONTRACT)
    assert isinstance(loaded, LoadedSpec)
    assert isinstance(loaded.spec, ContractSpec)
    assert loaded.source == DEFAULT_CONTRACT
    assert loaded.spec.contract.currency == "GBP"
    assert loaded.spec.contract.start_date == dt.date(2015, 2, 1)
    assert loaded.spec.contract.cohorts == 25  # (84 - 8) // 3: from Oct 2015
    assert [b.name for b in loaded.spec.population.bands] == ["low", "medium", "high", "very high"]
    assert [p.type for p in loaded.spec.payments] == ["fee", "outcome"]
    assert len(loaded.sha256) == 64 and loaded.sha256 == spec_sha256(loaded.spec)


def test_bundled_contracts_are_listed_by_dashed_name():
    names = bundled_contracts()
    assert DEFAULT_CONTRACT in names
    assert names[DEFAULT_CONTRACT].name == "tr_crc_example.toml"
    assert all("_" not in name for name in names)


@pytest.mark.parametrize("name", ["tr-crc-example", "tr_crc_example", "tr_crc_example.toml",
                                  "tr-crc-example.toml"])
def test_bundled_name_resolves_with_dashes_or_underscores(name):
    assert resolve(name) == bundled_contracts()[DEFAULT_CONTRACT]
    assert load_spec(name).spec.contract.name.startswith("TR Community Rehabilitation")


def test_path_to_a_file_is_loaded_and_named_by_path(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml)
    loaded = load_spec(path)
    assert loaded.spec.contract.name == "Minimal"
    assert loaded.source == str(path)
    # defaults are filled in, and the default cohorts fit the contract
    assert loaded.spec.contract.cohorts == 4
    assert loaded.spec.payments == []


def test_a_file_path_wins_over_a_bundled_name(minimal_toml, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, minimal_toml, name="tr-crc-example")
    assert load_spec("tr-crc-example").spec.contract.name == "Minimal"


def test_unknown_name_lists_the_bundled_contracts():
    with pytest.raises(SpecError) as excinfo:
        load_spec("no-such-contract")
    (message,) = problems_of(excinfo)
    assert message.startswith("no-such-contract: no such file")
    assert f"bundled: {', '.join(bundled_contracts())};" in message
    assert "tr-crc-example" in message and "peterborough-sib" in message
    assert "pbr list" in message


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SpecError) as excinfo:
        load_spec(missing)
    assert problems_of(excinfo) == [
        f"{missing}: no such file, and no bundled contract of that name "
        f"(bundled: {', '.join(bundled_contracts())}; see `pbr list`)"
    ]


@pytest.mark.parametrize("name, said", [
    ("tr-national", "; tr-national is a bundled portfolio: run it with `pbr capital "
                    "tr-national`"),
    ("small-charity", "; small-charity is a bundled provider profile: seat it in a contract "
                      "with `pbr capital SPEC --provider small-charity`"),
])
def test_a_bundled_name_of_another_kind_says_what_it_is(name, said):
    with pytest.raises(SpecError) as excinfo:
        load_spec(name)
    assert problems_of(excinfo)[0].endswith(said)


def test_a_contract_given_as_a_profile_says_what_it_is():
    from pbr_model.spec.load import load_profile
    with pytest.raises(SpecError) as excinfo:
        load_profile("tr-crc-example")
    assert problems_of(excinfo)[0].endswith(
        "; tr-crc-example is a bundled contract: use it wherever a SPEC is asked for, e.g. "
        "`pbr simulate tr-crc-example`")


def test_directory_is_not_a_spec(tmp_path):
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(tmp_path)


def test_not_toml_names_the_file(tmp_path):
    path = write(tmp_path, "this is not TOML at all\n", name="notes.toml")
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    (message,) = problems_of(excinfo)
    assert message.startswith(f"{path}: not valid TOML")
    assert "notes.toml" in message


def test_binary_file_names_the_file(tmp_path):
    path = tmp_path / "contract.toml"
    path.write_bytes(b"\xff\xfe\x00binary\x81")
    with pytest.raises(SpecError, match=r"contract\.toml: not a text file \(TOML must be UTF-8\)"):
        load_spec(path)


def test_errors_are_value_errors_and_pbr_errors():
    # library callers may catch ValueError; the CLI catches PbrError
    assert issubclass(SpecError, ValueError) and issubclass(SpecError, PbrError)
    assert issubclass(OverrideError, SpecError)


# -- validation: unknown keys, every problem at once --------------------------------------------

def test_unknown_key_in_contract_gives_path_and_allowed_keys(bundled):
    bundled["contract"]["lenght_months"] = 84
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        f"my.toml: contract.lenght_months: unknown field; {allowed(Contract)}"
    ]


def test_unknown_top_level_section(bundled):
    bundled["payment"] = []
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [f"my.toml: payment: unknown field; {allowed(ContractSpec)}"]


def test_unknown_key_in_a_risk_band_gives_its_index(bundled):
    bundled["population"]["bands"][2]["shares"] = 0.25
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        f"my.toml: population.bands.2.shares: unknown field; {allowed(RiskBand)}"
    ]


@pytest.mark.parametrize("index, model", [(0, FeePayment), (1, OutcomePayment)])
def test_unknown_key_in_a_payment_lists_the_keys_of_its_type(bundled, index, model):
    # the union is discriminated by `type`: the allowed keys are those of that mechanism, and
    # pydantic's tag ('fee', 'tiered') is not part of the path
    bundled["payments"][index]["cap"] = 1
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        f"my.toml: payments.{index}.cap: unknown field; {allowed(model)}"
    ]


def test_key_of_another_payment_type_is_unknown(bundled):
    bundled["payments"][0]["rates"] = []  # an outcome-payment key on a fee
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    (message,) = problems_of(excinfo)
    assert message == (f"my.toml: payments.0.rates: unknown field; "
                       f"{allowed(FeePayment)}")


def test_unknown_payment_type_lists_the_types(bundled):
    bundled["payments"][1]["type"] = "baseline_outcome"
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    (message,) = problems_of(excinfo)
    assert message.startswith("my.toml: payments.1: ")
    assert "'baseline_outcome'" in message
    assert "'outcome'" in message and "'fee'" in message and "'tiered'" in message


def test_every_problem_is_reported_at_once(minimal_toml, tmp_path):
    text = (minimal_toml
            .replace('name = "Minimal"', 'name = "Minimal"\ncolour = "blue"')
            .replace("length_months = 12", 'length_months = "twelve"')
            .replace("binary_rate = 0.4", "binary_rate = 1.4")
            + "\n[provider]\ncost_of_capital = 2\n")
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    problems = problems_of(excinfo)
    assert len(problems) == 4, problems
    assert all(p.startswith(f"{path}: ") for p in problems)
    joined = "\n".join(problems)
    assert f"{path}: contract.colour: unknown field; {allowed(Contract)}" in problems
    assert "contract.length_months: Input should be a valid integer" in joined
    assert "(got 'twelve')" in joined
    assert "population.bands.0.binary_rate: Input should be less than 1 (got 1.4)" in joined
    assert "provider.cost_of_capital: Input should be less than or equal to 1 (got 2)" in joined
    # the exception's text is all of them, one per line
    assert str(excinfo.value).splitlines() == problems


def test_missing_required_field(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml.replace('name = "Minimal"\n', ""))
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    assert problems_of(excinfo) == [f"{path}: contract.name: required field is missing"]


def test_missing_required_section(minimal_toml, tmp_path):
    text = minimal_toml.replace("[cohorts]\nentrants_per_period = 100\n", "")
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    assert problems_of(excinfo) == [f"{path}: cohorts: required field is missing"]


def test_wrong_type_of_section(bundled):
    bundled["population"]["bands"] = 5
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        "my.toml: population.bands: Input should be a valid list (got 5)"
    ]


def test_union_field_errors_name_the_field_not_pydantic_tags(bundled):
    # entrants_per_period is `float | list[float]`; pydantic tags its errors with the member
    # types ('float', 'list[float]'), which are not fields a user could --set
    bundled["cohorts"]["entrants_per_period"] = [5000, "many"]
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    problems = problems_of(excinfo)
    assert problems, problems
    assert all(p.startswith("my.toml: cohorts.entrants_per_period") for p in problems)
    assert not any("float" in p.split(":")[1] for p in problems), problems
    assert problems == ["my.toml: cohorts.entrants_per_period.1: Input should be a valid number "
                        "(got 'many')"]


def test_shares_must_sum_to_one(bundled):
    bundled["population"]["bands"][0]["share"] = 0.3
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    (message,) = problems_of(excinfo)
    assert message.startswith("my.toml: population")
    assert "band shares must sum to 1 (they sum to 1.05)" in message


def test_band_names_must_be_unique(bundled):
    bundled["population"]["bands"][1]["name"] = "low"
    with pytest.raises(SpecError, match="band names must be unique"):
        validate(bundled, "my.toml")


def test_entrants_list_must_have_one_value_per_cohort(bundled):
    bundled["cohorts"]["entrants_per_period"] = [5000, 5000, 5000]
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    (message,) = problems_of(excinfo)
    assert "cohorts.entrants_per_period has 3 values but the contract has 25 cohorts" in message
    assert "give one number per cohort or a single number" in message


def test_entrants_list_of_the_right_length_is_accepted(bundled):
    bundled["cohorts"]["entrants_per_period"] = [5000.0] * 25
    assert validate(bundled).cohorts.entrants_per_period == [5000.0] * 25


def test_effect_mean_outside_its_clip_range(bundled):
    bundled["intervention"]["effect"]["binary"]["mean"] = 0.6
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        "my.toml: intervention.effect.binary: mean (0.6) must lie between min (-0.2) and max (0.5)"
    ]


def test_cohorts_must_start_during_the_contract(bundled):
    bundled["contract"]["n_cohorts"] = 40
    with pytest.raises(SpecError, match=r"contract: first_cohort_month \+ n_cohorts x "
                       r"cohort_months = 8 \+ 120 months, longer than length_months \(84\)"):
        validate(bundled, "my.toml")


# -- --set overrides ----------------------------------------------------------------------------

def test_override_number(bundled):
    data = apply_overrides(bundled, ["intervention.effect.binary.mean=0.08",
                                     "contract.length_months=60"])
    assert data["intervention"]["effect"]["binary"]["mean"] == 0.08
    assert data["contract"]["length_months"] == 60
    assert isinstance(data["contract"]["length_months"], int)


def test_override_does_not_touch_its_input(bundled):
    apply_overrides(bundled, ["contract.length_months=60", "population.bands.0.share=0.5"])
    assert bundled["contract"]["length_months"] == 84
    assert bundled["population"]["bands"][0]["share"] == 0.25


@pytest.mark.parametrize("text, expected", [
    ("'Quoted name'", "Quoted name"),
    ('"Double quoted"', "Double quoted"),
    ("Bare words, no quotes", "Bare words, no quotes"),
    ("=SUM(A1:A2)", "=SUM(A1:A2)"),
])
def test_override_string(bundled, text, expected):
    data = apply_overrides(bundled, [f"contract.name={text}"])
    assert data["contract"]["name"] == expected
    assert validate(data).contract.name == expected


def test_override_date(bundled):
    data = apply_overrides(bundled, ["contract.start_date=2016-04-01"])
    assert data["contract"]["start_date"] == dt.date(2016, 4, 1)
    assert validate(data).contract.start_date == dt.date(2016, 4, 1)


def test_override_list(bundled):
    data = apply_overrides(bundled, ["cohorts.entrants_per_period=[100, 200, 300]",
                                     "contract.n_cohorts=3"])
    assert validate(data).cohorts.entrants_per_period == [100, 200, 300]


def test_override_list_index_path(bundled):
    data = apply_overrides(bundled, ["population.bands.0.share=0.3",
                                     "population.bands.1.share=0.3",
                                     "payments.1.rates.0.price=2500"])
    spec = validate(data)
    assert [b.share for b in spec.population.bands] == [0.3, 0.3, 0.25, 0.15]
    assert spec.payments[1].rates[0].price == 2500


def test_override_whole_list_item_as_inline_table(bundled):
    data = apply_overrides(bundled, ["payments.0={type = 'fee', annual = 1000}"])
    assert validate(data).payments[0] == FeePayment(type="fee", annual=1000)


def test_override_unknown_path_is_caught_by_validation_with_allowed_keys(bundled):
    data = apply_overrides(bundled, ["contract.lenght_months=60", "trend.drift.x=1"])
    with pytest.raises(SpecError) as excinfo:
        validate(data, "my.toml")
    problems = problems_of(excinfo)
    assert f"my.toml: contract.lenght_months: unknown field; {allowed(Contract)}" in problems
    assert any(p.startswith("my.toml: trend.drift: unknown field; allowed here: before, binary_logit_drift")
               for p in problems), problems


def test_override_wrong_type_names_the_field():
    with pytest.raises(SpecError) as excinfo:
        load_spec(DEFAULT_CONTRACT, ["contract.length_months=abc"])
    assert problems_of(excinfo) == [
        "tr-crc-example: --set: contract.length_months: Input should be a valid integer "
        "(got 'abc')"
    ]


def test_override_out_of_range_value_names_the_field():
    with pytest.raises(SpecError) as excinfo:
        load_spec(DEFAULT_CONTRACT, ["provider.cost_of_capital=1.5"])
    assert problems_of(excinfo) == [
        "tr-crc-example: --set: provider.cost_of_capital: Input should be less than or equal "
        "to 1 (got 1.5)"
    ]


@pytest.mark.parametrize("item, expected", [
    ("population.bands.4.share=0.3",
     "--set 'population.bands.4.share=0.3': population.bands.4: '4' is not an index of this "
     "list (0 to 3)"),
    ("population.bands.low.share=0.3",
     "--set 'population.bands.low.share=0.3': population.bands.low: 'low' is not an index of "
     "this list (0 to 3)"),
    ("population.bands.-1.share=0.3",
     "--set 'population.bands.-1.share=0.3': population.bands.-1: '-1' is not an index of this "
     "list (0 to 3)"),
    ("contract.name.first=1",
     "--set 'contract.name.first=1': contract.name.first: contract.name is a value, "
     "not a section"),
    ("contract.length_months",
     "--set 'contract.length_months': expected PATH=VALUE, e.g. "
     "--set intervention.effect.binary.mean=0.08"),
    ("=5",
     "--set '=5': expected PATH=VALUE, e.g. --set intervention.effect.binary.mean=0.08"),
    ("contract..name=x", "--set 'contract..name=x': empty part in path 'contract..name'"),
])
def test_bad_override_path(bundled, item, expected):
    with pytest.raises(OverrideError) as excinfo:
        apply_overrides(bundled, [item])
    assert problems_of(excinfo) == [expected]


def test_every_bad_override_is_reported_at_once(bundled):
    with pytest.raises(OverrideError) as excinfo:
        apply_overrides(bundled, ["no_equals", "contract.length_months=60",
                                  "population.bands.9.share=1", "contract.name.x=1"])
    problems = problems_of(excinfo)
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "--set 'no_equals'", "--set 'population.bands.9.share=1'", "--set 'contract.name.x=1'"]


def test_overrides_change_the_sha256():
    plain = load_spec(DEFAULT_CONTRACT)
    changed = load_spec(DEFAULT_CONTRACT, ["intervention.effect.binary.mean=0.08"])
    same_value = load_spec(DEFAULT_CONTRACT, ["contract.length_months=84"])
    assert changed.sha256 != plain.sha256
    assert changed.spec.intervention.effect.binary.mean == 0.08
    # the fingerprint is of the effective spec: setting a field to its value changes nothing
    assert same_value.sha256 == plain.sha256


def test_sha256_ignores_comments_and_key_order(minimal_toml, tmp_path):
    reordered = """\
# the same contract, sections and keys in another order
[[population.bands]]
reoffences_per_reoffender = 3.0
binary_rate = 0.4
share = 1.0
name = "all"

[cohorts]
entrants_per_period = 100

[contract]
length_months = 12   # a year
start_date = 2020-01-01
name = "Minimal"
"""
    a = load_spec(write(tmp_path, minimal_toml, "a.toml"))
    b = load_spec(write(tmp_path, reordered, "b.toml"))
    assert a.spec == b.spec
    assert a.sha256 == b.sha256
    changed = load_spec(write(tmp_path, minimal_toml.replace("= 100", "= 101"), "c.toml"))
    assert changed.sha256 != a.sha256


# -- TOML is data, never code -------------------------------------------------------------------

PLAIN = (dict, list, str, int, float, bool, dt.date, dt.datetime, dt.time)


def _walk(obj):
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def test_specs_are_read_with_the_standard_toml_parser():
    assert reading_module.tomllib is tomllib  # spec files are read in spec/reading.py


def test_toml_is_plain_data(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml.replace('"Minimal"', '"__import__(\'os\').system(\'false\')"'))
    data = read_toml(path)
    assert all(type(node) in PLAIN for node in _walk(data))
    assert data["contract"]["name"] == "__import__('os').system('false')"
    assert load_spec(path).spec.contract.name == "__import__('os').system('false')"


def test_override_values_are_plain_data(bundled):
    data = apply_overrides(bundled, ["contract.name=__import__('os').getcwd()"])
    assert data["contract"]["name"] == "__import__('os').getcwd()"
    assert all(type(node) in PLAIN for node in _walk(data))


# -- fields that must agree with each other (rules, measures, designs) ---------------------

def test_rules_must_name_known_measures_in_fitting_units(bundled):
    rates = bundled["payments"][1]["rates"]
    rates[0]["measure"] = "employment"                   # not declared in [[outcomes.other]]
    rates[1]["change"] = "points"                        # points of a per-reoffender count
    rates[1]["significance_level"] = 0.05                # no z-test on counts
    bundled["payments"].append({"type": "tiered", "measure": "bed_days",
                                "tiers": [{"at": 5, "amount": 1}]})
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert problems_of(excinfo) == [
        "my.toml: payments.1.rates.0.measure: unknown measure; allowed: binary, "
        "frequency_per_offender, frequency_per_reoffender, reconviction_events, bed_days "
        "(got 'employment')",
        "my.toml: payments.1.rates.1.change: 'points' is for rate measures (binary and "
        "[[outcomes.other]]), not 'frequency_per_reoffender'; use 'percent' or 'absolute' "
        "(got 'points')",
        "my.toml: payments.1.rates.1.significance_level: the significance test is for rate "
        "measures (binary and [[outcomes.other]]), not 'frequency_per_reoffender' (got 0.05)",
        "my.toml: payments.2.measure: bed_days needs outcomes.custody.probability and "
        "days_mean above 0 (got 'bed_days')",
    ]


def test_declared_other_outcome_is_a_measure(bundled):
    bundled["outcomes"] = {"other": [{"name": "employment", "base_rate": 0.3}]}
    bundled["payments"][1]["rates"][0].update(measure="employment", significance_level=0.05)
    spec = validate(bundled)
    assert spec.measures_used() == {"employment", "frequency_per_reoffender", "binary"}


@pytest.mark.parametrize("evaluation, fragment", [
    ({"comparison_ratio": 10}, "need a comparison group"),
    ({"did_weight": 0.2}, "need a comparison group"),
    ({"design": "rct", "matching_bias_sd": 0.1}, "concurrent and unbiased"),
    ({"design": "rct", "comparison_period": "historical"}, "concurrent and unbiased"),
    ({"design": "trial"}, "evaluation.design"),
])
def test_evaluation_fields_fit_the_design(bundled, evaluation, fragment):
    bundled["evaluation"] = evaluation
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    (message,) = problems_of(excinfo)
    assert fragment in message


def test_comparison_ratio_defaults_by_design():
    from pbr_model.spec.schema import EvaluationDesign

    assert EvaluationDesign(design="matched_comparison").ratio == 10
    assert EvaluationDesign(design="rct").ratio == 1
    assert EvaluationDesign(design="rct", comparison_ratio=2.0).ratio == 2


@pytest.mark.parametrize("payment, fragment", [
    ({"type": "tiered", "tiers": [{"at": 10, "amount": 1}, {"at": 5, "amount": 2}]},
     "tiers must rise strictly"),
    ({"type": "tiered", "interpolate": True,     # a slope above any float: it paid infinity
      "tiers": [{"at": -2.2e-309, "amount": 0}, {"at": 2.2e-309, "amount": 1}]},
     "tiers 0 and 1 (at -2.2e-309 and 2.2e-309) are too close to interpolate between"),
    ({"type": "outcome", "rates": []}, "payments.2.rates"),
    ({"type": "revenue_at_risk", "amount": 5}, "payments.2.target: required field is missing"),
    ({"type": "outcome", "rates": [{"price": 1, "significance_level": 0.5}]},
     "payments.2.rates.0.significance_level"),
])
def test_payment_rule_fields(bundled, payment, fragment):
    bundled["payments"].append(payment)
    with pytest.raises(SpecError) as excinfo:
        validate(bundled, "my.toml")
    assert any(fragment in p for p in problems_of(excinfo)), problems_of(excinfo)


def test_outcome_names_must_not_clash(bundled):
    bundled["outcomes"] = {"other": [{"name": "binary", "base_rate": 0.3}]}
    with pytest.raises(SpecError, match="not a built-in measure"):
        validate(bundled, "my.toml")


# -- renamed fields: old spellings still read, with a warning ----------------------------------

OLD_PROVIDER = "\n[provider]\nreserves = 7\ncredit_line = 11\ndiscount_rate = 0.06\n"
NEW_PROVIDER = "\n[provider]\nreserves = 7\ncredit_limit = 11\ncost_of_capital = 0.06\n"


def test_old_provider_names_are_read_as_the_new_ones_with_a_warning(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml + OLD_PROVIDER)
    with pytest.warns(PbrDeprecationWarning) as record:
        loaded = load_spec(path)
    assert [str(w.message) for w in record] == [
        f"provider.credit_line is now provider.credit_limit; rename it in {path}",
        f"provider.discount_rate is now provider.cost_of_capital; rename it in {path}",
    ]
    assert loaded.spec.provider.credit_limit == 11
    assert loaded.spec.provider.cost_of_capital == 0.06


def test_old_and_new_provider_names_give_the_same_spec_and_sha256(minimal_toml, tmp_path):
    with pytest.warns(PbrDeprecationWarning):
        old = load_spec(write(tmp_path, minimal_toml + OLD_PROVIDER, "old.toml"))
    new = load_spec(write(tmp_path, minimal_toml + NEW_PROVIDER, "new.toml"))
    assert old.spec == new.spec
    assert old.sha256 == new.sha256


def test_validate_reads_old_names_in_plain_data_without_changing_it(bundled):
    bundled["provider"] = {"credit_line": 5.0, "discount_rate": 0.1}
    with pytest.warns(PbrDeprecationWarning) as record:
        spec = validate(bundled, "my.toml")
    assert [str(w.message) for w in record] == [
        "provider.credit_line is now provider.credit_limit; rename it in my.toml",
        "provider.discount_rate is now provider.cost_of_capital; rename it in my.toml"]
    assert (spec.provider.credit_limit, spec.provider.cost_of_capital) == (5.0, 0.1)
    assert bundled["provider"] == {"credit_line": 5.0, "discount_rate": 0.1}


def test_both_names_of_a_field_are_an_error(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml + NEW_PROVIDER + "credit_line = 12\n")
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    assert problems_of(excinfo) == [
        f"{path}: provider.credit_line: the old name of provider.credit_limit, which is given "
        "too; keep provider.credit_limit only (got 12)"
    ]


def test_both_names_are_reported_with_every_other_problem(minimal_toml, tmp_path):
    text = minimal_toml.replace("binary_rate = 0.4", "binary_rate = 1.4") + NEW_PROVIDER
    path = write(tmp_path, text + "discount_rate = 0.2\n")
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    problems = problems_of(excinfo)
    assert len(problems) == 2, problems
    assert "provider.discount_rate: the old name of provider.cost_of_capital" in problems[0]
    assert "population.bands.0.binary_rate" in problems[1]


@pytest.mark.parametrize("old, new, attr", [
    ("provider.credit_line", "provider.credit_limit", "credit_limit"),
    ("provider.discount_rate", "provider.cost_of_capital", "cost_of_capital"),
])
def test_override_with_an_old_name_sets_the_new_one_with_a_warning(old, new, attr):
    with pytest.warns(PbrDeprecationWarning) as record:
        loaded = load_spec(DEFAULT_CONTRACT, [f"{old}=0.25"])
    assert [str(w.message) for w in record] == [f"{old} is now {new}; use --set {new}=0.25"]
    assert getattr(loaded.spec.provider, attr) == 0.25
    assert loaded.sha256 == load_spec(DEFAULT_CONTRACT, [f"{new}=0.25"]).sha256


def test_override_with_a_new_name_replaces_an_old_name_in_the_file(minimal_toml, tmp_path):
    path = write(tmp_path, minimal_toml + OLD_PROVIDER)
    with pytest.warns(PbrDeprecationWarning):
        loaded = load_spec(path, ["provider.credit_limit=3"])
    assert loaded.spec.provider.credit_limit == 3


def test_overriding_both_names_of_a_field_is_an_error():
    with pytest.raises(OverrideError) as excinfo, pytest.warns(PbrDeprecationWarning):
        load_spec(DEFAULT_CONTRACT, ["provider.credit_limit=1", "provider.credit_line=2"])
    assert problems_of(excinfo) == [
        "--set 'provider.credit_line=2': provider.credit_limit is set by both its names "
        "(provider.credit_line and provider.credit_limit); set provider.credit_limit only"
    ]


def test_old_attribute_names_still_read_with_a_warning():
    provider = load_spec(DEFAULT_CONTRACT).spec.provider
    with pytest.warns(DeprecationWarning, match="Provider.credit_line is now "
                      "Provider.credit_limit"):
        assert provider.credit_line == provider.credit_limit
    with pytest.warns(DeprecationWarning, match="Provider.discount_rate is now "
                      "Provider.cost_of_capital"):
        assert provider.discount_rate == provider.cost_of_capital


def test_a_provider_built_in_code_with_old_names_warns():
    from pbr_model.spec.schema import Provider

    with pytest.warns(PbrDeprecationWarning, match="provider.credit_line is now "
                      "provider.credit_limit; rename it in the code that builds this Provider"):
        provider = Provider(credit_line=10, cost_of_capital=0.1)
    assert provider == Provider(credit_limit=10, cost_of_capital=0.1)
    with pytest.raises(ValueError, match="the old name of provider.cost_of_capital"):
        Provider(discount_rate=0.1, cost_of_capital=0.1)


def test_bundled_contracts_use_the_new_names():
    for name in bundled_contracts():
        with warnings.catch_warnings():
            warnings.simplefilter("error", PbrDeprecationWarning)
            load_spec(name)


def test_a_deprecation_warning_is_shown_to_users_by_default():
    assert issubclass(PbrDeprecationWarning, FutureWarning)


# -- the schema's modules -----------------------------------------------------------------------

def test_schema_still_exports_every_section():
    from pbr_model.spec import schema
    from pbr_model.spec.evaluation import EvaluationDesign

    assert schema.EvaluationDesign is EvaluationDesign
    assert not hasattr(schema, "Evaluation")  # renamed: measure's result has its own name
    for name in schema.__all__:
        assert getattr(schema, name) is not None, name
    assert ContractSpec.model_fields["evaluation"].annotation is EvaluationDesign


@pytest.mark.parametrize("value, got", [
    ("2015-02-01T10:00:00", "(got 2015-02-01T10:00:00)"),   # a time of day: as written
    ("12:00:00", "(got 12:00:00)"),
    ("5", "(got 5)"),                  # not 5 s after 1970, as pydantic would read it
    ('"soon"', "(got 'soon')"),
    ("{ a = 1 }", "(got a table)"),
])
def test_a_date_that_is_not_one_says_how_to_write_it(tmp_path, value, got):
    text = (Path(__file__).resolve().parents[2] / "contracts" / "tr_crc_example.toml").read_text(
        encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(text.replace("start_date = 2015-02-01", f"start_date = {value}", 1),
                    encoding="utf-8")
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    assert problems_of(excinfo) == [f"{path}: contract.start_date: must be a date written "
                                    f"YYYY-MM-DD, with no time of day {got}"]


def test_a_table_where_a_number_or_a_list_belongs_names_the_field_once(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "contracts" / "tr_crc_example.toml").read_text(
        encoding="utf-8")
    start = text.index("entrants_per_period = ")
    end = text.index("\n", start)
    path = tmp_path / "c.toml"
    path.write_text(text[:start] + "entrants_per_period = { a = 1 }" + text[end:],
                    encoding="utf-8")
    with pytest.raises(SpecError) as excinfo:
        load_spec(path)
    assert problems_of(excinfo) == [f"{path}: cohorts.entrants_per_period: Input should be a "
                                    "valid number (got a table)"]
