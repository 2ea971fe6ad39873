"""The ``pbr`` command line: every command, every bad-input case.

Bad input must give one ``Error:`` line per problem on stderr, naming the field,
exit code 2 and no traceback; ``--json`` must print one strict JSON object.
"""

from __future__ import annotations

import re

import json
import math
from pathlib import Path

import pytest
import typer

from pbr_model import __version__
from pbr_model.analyses.base import MONTH_DATES
from pbr_model.cli import app
from pbr_model.spec import DEFAULT_CONTRACT, bundled_contracts, load_spec, read_toml
from pbr_model.spec.schema import ContractSpec

SIMS = "300"
STATS = {"mean", "p5", "p50", "p95"}


def simulate_json(cli, *args: str) -> dict:
    return cli.json("simulate", "--sims", SIMS, *args)


@pytest.fixture
def spec_file(minimal_toml, tmp_path) -> Path:
    path = tmp_path / "minimal.toml"
    path.write_text(minimal_toml, encoding="utf-8")
    return path


# -- version, help, python -m -------------------------------------------------------------------

def test_version(cli):
    result = cli.run("--version")
    cli.ok(result)
    assert result.stdout == f"pbr-model {__version__}\n"


def test_no_arguments_shows_help(cli):
    result = cli.run()
    assert "Usage: pbr" in result.output
    for command in ("simulate", "list", "validate", "show", "schema"):
        assert command in result.output


def _command_names() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def test_the_commands():
    assert _command_names() == sorted(["simulate", "list", "validate", "show", "schema", "settle",
                                       "power", "capital", "providers", "breakeven",
                                       "template", "indigo"])


@pytest.mark.parametrize("args", [[], *[[name] for name in _command_names()]])
def test_help_has_an_example(cli, args):
    result = cli.run(*args, "--help")
    cli.ok(result)
    assert "Example" in result.stdout
    assert "pbr " in result.stdout.split("Example", 1)[1]


def test_short_help_option(cli):
    result = cli.run("simulate", "-h")
    cli.ok(result)
    assert "Usage: pbr simulate" in result.stdout


# -- list, show, schema -------------------------------------------------------------------------

def test_list(cli):
    result = cli.run("list")
    cli.ok(result)
    assert DEFAULT_CONTRACT in result.stdout
    assert "tr_crc_example.toml" in result.stdout
    assert "TR Community Rehabilitation" in result.stdout


def test_show_default_contract(cli):
    result = cli.run("show")
    cli.ok(result)
    loaded = load_spec(DEFAULT_CONTRACT)
    assert loaded.spec.contract.name in result.stdout
    assert loaded.sha256[:12] in result.stdout
    assert "2015-02-01" in result.stdout


def test_show_a_file_with_an_override(cli, spec_file):
    result = cli.run("show", str(spec_file), "--set", "contract.name=Renamed")
    cli.ok(result)
    assert "Renamed" in result.stdout


def test_schema_is_valid_json_schema(cli):
    result = cli.run("schema")
    cli.ok(result)
    schema = json.loads(result.stdout)
    assert schema == ContractSpec.model_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"contract", "cohorts", "population"}
    assert "unit" in schema["$defs"]["Contract"]["properties"]["length_months"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    # and the bundled contract is valid under it (dates as ISO strings, as JSON has them)
    data = json.loads(json.dumps(read_toml(bundled_contracts()[DEFAULT_CONTRACT]), default=str))
    jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_markdown(cli):
    result = cli.run("schema", "--markdown")
    cli.ok(result)
    assert result.stdout.startswith("### `contract`")
    assert "| `length_months` | int | months | `84` |" in result.stdout


def test_python_dash_m_runs_the_same_cli():
    # `python -m pbr_model` itself runs in a subprocess in test_install.py
    import pbr_model.__main__ as dunder_main
    from pbr_model.cli import main
    assert dunder_main.main is main


# -- validate -----------------------------------------------------------------------------------

def test_validate_good_specs(cli, spec_file):
    result = cli.run("validate", str(spec_file), DEFAULT_CONTRACT)
    cli.ok(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"OK  {spec_file}  (sha256 ")
    sha = load_spec(DEFAULT_CONTRACT).sha256
    assert lines[1] == f"OK  {DEFAULT_CONTRACT}  (sha256 {sha[:12]})"


def test_validate_reports_every_problem_in_every_file(minimal_toml, cli, tmp_path, spec_file):
    not_toml = tmp_path / "notes.toml"
    not_toml.write_text("just some notes\n")
    bad = tmp_path / "bad.toml"
    bad.write_text(minimal_toml.replace("length_months = 12", "length_months = 0\ncolour = 'red'")
                   .replace("share = 1.0", "share = 0.5"))
    missing = tmp_path / "missing.toml"
    result = cli.run("validate", str(not_toml), str(bad), str(spec_file), str(missing))
    errors = cli.error(
        result,
        f"Error: {not_toml}: not valid TOML",
        f"Error: {bad}: contract.length_months: Input should be greater than or equal to 1 (got 0)",
        f"Error: {bad}: contract.colour: unknown field; allowed here: calibrated, cohort_months, "
        "currency",
        f"Error: {bad}: population.bands: band shares must sum to 1 (they sum to 0.5)",
        f"Error: {missing}: no such file",
        lines=5,
    )
    # files in the order given
    assert errors[0].startswith(f"Error: {not_toml}: ")
    assert errors[-1].startswith(f"Error: {missing}: ")
    # the good file is still reported OK
    assert result.stdout.startswith(f"OK  {spec_file}")


def test_validate_needs_a_spec(cli):
    result = cli.run("validate")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# -- simulate: output ---------------------------------------------------------------------------

def test_simulate_table(cli):
    result = cli.run("simulate", "--sims", SIMS)
    cli.ok(result)
    assert "TR Community Rehabilitation" in result.stdout
    assert "300 simulations" in result.stdout
    assert "P(loss)" in result.stdout


def test_simulate_json_has_the_documented_keys(cli):
    s = simulate_json(cli)
    spec = load_spec(DEFAULT_CONTRACT)
    assert s["contract"] == spec.spec.contract.name
    assert s["spec_sha256"] == spec.sha256
    assert s["version"] == __version__
    assert s["seed"] == 20150201
    assert s["sims"] == 300
    figures = [("entrants",), ("outcomes", "binary_rate"), ("outcomes", "frequency"),
               ("payments", "total"), ("payments", "fee"), ("payments", "outcome"),
               ("provider", "net"), ("provider", "npv"), ("provider", "peak_funding")]
    for path in figures:
        node = s
        for key in path:
            node = node[key]
        assert isinstance(node, dict) and set(node) == STATS, path
        assert node["p5"] <= node["p50"] <= node["p95"], path
        assert all(isinstance(v, float) and math.isfinite(v) for v in node.values()), path
    for key in ("prob_loss", "prob_insolvent"):
        assert isinstance(s["provider"][key], float) and 0 <= s["provider"][key] <= 1


def test_simulate_json_every_figure_is_stats_or_probability(cli):
    # each figure is {mean,p5,p50,p95} except probabilities, the calendar month ("YYYY-MM",
    # or null if it never happened) of a month figure's median and the provider's
    # with_bond flag
    s = simulate_json(cli)
    changes = s["outcomes"].pop("measured_change")
    assert set(changes) == {"binary_change_points", "frequency_per_reoffender_change_absolute"}
    assert all(set(v) == STATS for v in changes.values())
    # the published sign: negative = fewer than the comparison, so opposite to the reduction
    assert changes["binary_change_points"]["mean"] == pytest.approx(
        -s["outcomes"]["binary_reduction_points"]["mean"])
    for section in ("outcomes", "payments", "provider"):
        for key, value in s[section].items():
            if key.startswith("prob_"):
                assert isinstance(value, float) and 0 <= value <= 1, key
            elif key in MONTH_DATES.values():
                assert value is None or re.fullmatch(r"\d{4}-\d{2}", value), key
            elif (section, key) == ("provider", "with_bond"):  # what the figures include
                assert value is False
            else:
                assert isinstance(value, dict) and set(value) == STATS, (section, key)


def test_simulate_json_is_reproducible(cli):
    a = cli.run("simulate", "--sims", SIMS, "--json", "--seed", "7")
    b = cli.run("simulate", "--sims", SIMS, "--json", "--seed", "7")
    c = cli.run("simulate", "--sims", SIMS, "--json", "--seed", "8")
    for r in (a, b, c):
        cli.ok(r)
    assert json.loads(a.stdout) == json.loads(b.stdout)
    assert a.stdout == b.stdout
    assert json.loads(a.stdout)["provider"]["net"] != json.loads(c.stdout)["provider"]["net"]


def test_chunk_size_changes_no_number(cli):
    a = simulate_json(cli, "--seed", "3")
    b = simulate_json(cli, "--seed", "3", "--chunk-size", "1")
    assert a == b


def test_simulate_json_is_strict_json_when_a_figure_is_undefined(cli):
    # with no payment mechanism the outcome share of revenue is 0/0: null, not NaN
    s = simulate_json(cli, "--set", "payments=[]")
    assert s["payments"]["outcome_share"] == {"mean": None, "p5": None, "p50": None, "p95": None}
    assert s["payments"]["total"]["mean"] == 0


def test_simulate_a_file(cli, spec_file):
    s = simulate_json(cli, str(spec_file))
    assert s["contract"] == "Minimal"
    assert s["spec_sha256"] == load_spec(spec_file).sha256
    assert s["entrants"]["p5"] > 0


def test_simulate_bundled_name_with_underscores(cli):
    assert simulate_json(cli, "tr_crc_example") == simulate_json(cli, "tr-crc-example") | {
        "source": "tr_crc_example"}


def test_overrides_change_the_sha256_and_the_figures(cli):
    plain = simulate_json(cli)
    changed = simulate_json(cli, "--set", "intervention.effect.binary.mean=0.2",
                            "--set", "intervention.effect.binary.sd=0")
    assert changed["spec_sha256"] != plain["spec_sha256"]
    assert changed["spec_sha256"] == load_spec(
        DEFAULT_CONTRACT, ["intervention.effect.binary.mean=0.2",
                           "intervention.effect.binary.sd=0"]).sha256
    assert changed["outcomes"]["binary_rate"]["mean"] < plain["outcomes"]["binary_rate"]["mean"]
    assert changed["payments"]["outcome"]["mean"] > plain["payments"]["outcome"]["mean"]


@pytest.mark.parametrize("overrides", [
    ["contract.start_date=2016-04-01"],
    ["contract.name=Some other name"],
    ["cohorts.entrants_per_period=[4000, 4500, 5000, 5500]", "contract.n_cohorts=4"],
    ["population.bands.0.share=0.3", "population.bands.1.share=0.3"],
    ["payments.1={type = 'outcome', rates = [{measure = 'binary', price = 100}]}"],
])
def test_override_kinds_are_applied(cli, overrides):
    s = simulate_json(cli, *[a for o in overrides for a in ("--set", o)])
    assert s["spec_sha256"] == load_spec(DEFAULT_CONTRACT, overrides).sha256
    assert s["spec_sha256"] != load_spec(DEFAULT_CONTRACT).sha256


# -- simulate: bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("sims", ["0", "-5", "10000001"])
def test_sims_out_of_range(cli, sims):
    result = cli.run("simulate", "--sims", sims)
    cli.error(result, f"Error: --sims: must be from 1 to 10,000,000 (got {sims})", lines=1)


def test_bad_options_are_reported_together(cli):
    result = cli.run("simulate", "--sims", "0", "--seed", "-1", "--chunk-size", "0")
    cli.error(result, "--sims:", "--seed: must be from 0 to 2**63 - 1 (got -1)",
                 "--chunk-size: must be 1 or more (got 0)", lines=3)


def test_sims_not_a_number(cli):
    result = cli.run("simulate", "--sims", "many")
    assert result.exit_code == 2
    assert "Error: Invalid value for '--sims'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["simulate", "show"])
def test_missing_file(cli, tmp_path, command):
    missing = tmp_path / "nope.toml"
    result = cli.run(command, str(missing))
    names = ", ".join(bundled_contracts())
    cli.error(result, f"Error: {missing}: no such file, and no bundled contract of that name "
                         f"(bundled: {names}; see `pbr list`)", lines=1)


def test_unknown_bundled_name(cli):
    result = cli.run("simulate", "tr-crc-exampel", "--sims", SIMS)
    cli.error(result, "tr-crc-exampel: no such file", "bundled: ", "tr-crc-example;", lines=1)


def test_not_toml(cli, tmp_path):
    path = tmp_path / "contract.toml"
    path.write_text("[contract\nname = 'x'\n")
    result = cli.run("simulate", str(path), "--sims", SIMS)
    cli.error(result, f"Error: {path}: not valid TOML", lines=1)


def test_wrong_type_in_file(minimal_toml, cli, tmp_path):
    path = tmp_path / "contract.toml"
    path.write_text(minimal_toml.replace("entrants_per_period = 100", 'entrants_per_period = "lots"'))
    result = cli.run("simulate", str(path), "--sims", SIMS)
    errors = cli.error(result, f"Error: {path}: cohorts.entrants_per_period: ")
    assert all("cohorts.entrants_per_period:" in e and "(got 'lots')" in e for e in errors)


def test_out_of_range_value_in_file(minimal_toml, cli, tmp_path):
    path = tmp_path / "contract.toml"
    path.write_text(minimal_toml.replace("binary_rate = 0.4", "binary_rate = 40"))
    result = cli.run("simulate", str(path), "--sims", SIMS)
    cli.error(result, f"Error: {path}: population.bands.0.binary_rate: Input should be less "
                         "than 1 (got 40)", lines=1)


@pytest.mark.parametrize("key, allowed", [
    ("contract.length", "allowed here: calibrated, cohort_months, currency, first_cohort_month, "
                        "followup_months, length_months"),
    ("population.bands.3.risk", "allowed here: binary_rate, dispersion, name, "
                                "reoffences_per_reoffender, share"),
    ("payments.1.price", "allowed here: cap_per_cohort, cap_total, foundation, name, payers, rates,"
     " type"),
    ("payments.0.price", "allowed here: annual, band, learning_discount, name, payers, "
                         "per_participant, top_ups, type"),
    ("costs.setup", "allowed here: area, cohorts, commissioner, contract, evaluation, "
                    "indexation, intervention, outcomes"),
])
def test_unknown_key_via_set(cli, key, allowed):
    result = cli.run("simulate", "--sims", SIMS, "--set", f"{key}=1")
    head = key if not key.startswith("costs") else "costs"
    cli.error(result, f"Error: tr-crc-example: --set: {head}: unknown field; {allowed}", lines=1)


def test_unknown_key_in_file(minimal_toml, cli, tmp_path):
    path = tmp_path / "contract.toml"
    path.write_text(minimal_toml + "\n[[payments]]\ntype = 'fee'\nannual = 10\nper_entrant = 5\n")
    result = cli.run("show", str(path))
    cli.error(result, f"Error: {path}: payments.0.per_entrant: unknown field; allowed here: "
                         "annual, band, learning_discount, name, payers, per_participant, "
                         "top_ups, type", lines=1)


@pytest.mark.parametrize("override, message", [
    ("contract.length_months=abc",
     "Error: tr-crc-example: --set: contract.length_months: Input should be a valid integer "
     "(got 'abc')"),
    ("provider.cost_of_capital=8",
     "Error: tr-crc-example: --set: provider.cost_of_capital: Input should be less than or equal "
     "to 1 (got 8)"),
    ("contract.start_date=1st of May",
     "Error: tr-crc-example: --set: contract.start_date: must be a date written YYYY-MM-DD, "
     "with no time of day (got '1st of May')"),
    ("population.bands.9.share=0.3",
     "Error: --set 'population.bands.9.share=0.3': population.bands.9: '9' is not an index of "
     "this list (0 to 3)"),
    ("contract.name.short=x",
     "Error: --set 'contract.name.short=x': contract.name.short: contract.name is a value, not a "
     "section"),
    ("contract.length_months",
     "Error: --set 'contract.length_months': expected PATH=VALUE, e.g. --set "
     "intervention.effect.binary.mean=0.08"),
])
@pytest.mark.parametrize("command", ["simulate", "show"])
def test_bad_set(cli, command, override, message):
    result = cli.run(command, "--set", override)
    cli.error(result, message, lines=1)


def test_every_bad_set_is_reported_at_once(cli):
    result = cli.run("simulate", "--sims", SIMS, "--set", "no_equals",
                 "--set", "payments.5.name=x", "--set", "trend.binary_logit_sd.x=1")
    cli.error(result, "--set 'no_equals'", "--set 'payments.5.name=x'",
                 "--set 'trend.binary_logit_sd.x=1'", lines=3)


def test_every_validation_problem_is_reported_at_once(cli):
    result = cli.run("simulate", "--sims", SIMS,
                 "--set", "contract.currency=pounds",
                 "--set", "trend.drift=0.1",
                 "--set", "provider.cost_of_capital=-1",
                 "--set", "population.bands.0.share=0.5")
    cli.error(result, "contract.currency", "trend.drift", "provider.cost_of_capital",
                 "population.bands: band shares must sum to 1", lines=4)


def test_long_error_lines_are_not_wrapped(cli):
    # one problem, one line, even when longer than the (80-column) console
    result = cli.run("simulate", "--set", "payments.1.x=1")
    (line,) = cli.error(result, lines=1)
    assert len(line) > 80
    assert line.endswith("foundation, name, payers, rates, type")


def test_xlsx_exists_without_force(cli, tmp_path):
    target = tmp_path / "run.xlsx"
    target.write_bytes(b"keep me")
    result = cli.run("simulate", "--sims", SIMS, "--xlsx", str(target))
    cli.error(result, f"Error: --xlsx {target}: file exists; use --force to replace it", lines=1)
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize("name, message", [
    ("run.csv", "an Excel workbook must end in .xlsx"),
    ("no/such/folder/run.xlsx", "does not exist"),
])
def test_xlsx_bad_target(cli, tmp_path, name, message):
    target = tmp_path / name
    result = cli.run("simulate", "--sims", SIMS, "--xlsx", str(target), "--json")
    cli.error(result, f"Error: --xlsx {target}: ", message, lines=1)
    assert not target.exists()
    assert result.stdout == ""


def test_json_with_xlsx_keeps_stdout_pure_json(cli, tmp_path):
    folder = tmp_path / ("a-folder-name-long-enough-to-pass-the-edge-of-an-80-column-terminal")
    folder.mkdir()
    target = folder / "run.xlsx"
    result = cli.run("simulate", "--sims", SIMS, "--json", "--xlsx", str(target))
    cli.ok(result)
    assert json.loads(result.stdout)["sims"] == 300
    assert result.stderr == f"Wrote {target}\n"
    assert target.is_file()



def test_an_old_field_name_works_with_a_warning_line(minimal_toml, cli, tmp_path):
    """A spec written with a field's old name runs, and says on stderr what to rename."""
    path = tmp_path / "old.toml"
    path.write_text(minimal_toml + "\n[provider]\ncredit_line = 1000\ndiscount_rate = 0.05\n")
    for command in (["show", str(path)], ["validate", str(path)],
                    ["simulate", str(path), "--sims", "50"]):
        result = cli.run(*command)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [
            f"Warning: provider.credit_line is now provider.credit_limit; rename it in {path}",
            f"Warning: provider.discount_rate is now provider.cost_of_capital; rename it in "
            f"{path}"], command
