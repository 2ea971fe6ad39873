"""Every problem at once, across stages (issue 14): a field's type error does not hide a
problem between fields, a bad ``--set`` does not hide the spec's problems, a bad flag does
not hide the spec's, and ``pbr validate`` reads portfolios and provider profiles with the
loaders the commands use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pbr_model.spec.load import bundled_providers
from pbr_model.spec.portfolio import bundled_portfolios

REPO = Path(__file__).resolve().parents[2]
TR = REPO / "contracts" / "tr_crc_example.toml"
OBSERVED = REPO / "examples" / "observed" / "peterborough.csv"

UNKNOWN_MEASURE = "payments.1.rates.1.measure: unknown measure; allowed: binary"
CALIBRATED = "contract.calibrated.0.field: no such field in this spec"
COUNT = "cohorts.entrants_per_period has 2 values but the contract has 25 cohorts"


@pytest.mark.parametrize("field_error, fragment", [
    ('payments.1.rates.0.price="abc"', "payments.1.rates.0.price: Input should be a valid number"),
    ("contract.typo=1", "contract.typo: unknown field"),
    ("intervention.effect.binary.sd=true", "intervention.effect.binary.sd: must be a number, "
                                           "not true/false"),
    ("payments.0.annual=-5", "payments.0.annual: Input should be greater than or equal to 0"),
    ("provider.reserves=nan", "provider.reserves: Input should be a finite number"),
], ids=["type", "unknown-field", "bool", "bound", "nan"])
@pytest.mark.parametrize("cross, cross_fragment", [
    ("payments.1.rates.1.measure=nope", UNKNOWN_MEASURE),
    ("contract.calibrated.0.field=no.such", CALIBRATED),
    ("cohorts.entrants_per_period=[1,2]", COUNT),
], ids=["measure", "calibrated", "count"])
def test_a_field_error_does_not_hide_a_cross_field_error(cli, field_error, fragment, cross,
                                                         cross_fragment):
    cli.error(cli.run("simulate", str(TR), "--sims", "10", "--set", field_error, "--set", cross),
              fragment, cross_fragment, lines=2)


@pytest.mark.parametrize("field_error", [
    'payments.1.rates.0.price="abc"', "contract.typo=1", "intervention.effect.binary.sd=true",
    "payments.0.annual=-5", "trend.binary_logit_sd=inf", "contract.length_months=1.5"])
def test_a_field_error_alone_is_one_line(cli, field_error):
    cli.error(cli.run("simulate", str(TR), "--sims", "10", "--set", field_error), lines=1)


def test_a_bad_set_does_not_hide_the_spec_problems(cli):
    cli.error(cli.run("show", str(TR), "--set", "payments.9.price=1", "--set",
                      "contract.start_date=9999-01-01", "--set", "nothing"),
              "--set 'payments.9.price=1': payments.9: '9' is not an index of this list",
              "--set 'nothing': expected PATH=VALUE",
              "contract.start_date: must be a date from 1900-01-01 to 2200-12-31", lines=3)


SPEC_PROBLEM = "contract.start_date: must be a date from 1900-01-01 to 2200-12-31"


@pytest.mark.parametrize("args, flag_fragment", [
    (["simulate", "--sims", "0"], "--sims: must be from 1"),
    (["capital", "--sims", "0", "-p", "nope"], "--provider nope: no such file"),
    (["power", "--effects", "0:1:0"], "--effects: expected START:STOP:STEP"),
    (["breakeven", "--solve", "nothing"], "--solve"),
    (["settle", "peterborough-sib", "--observed", str(OBSERVED), "--xlsx", str(OBSERVED)],
     "is an input of this run"),
], ids=["simulate", "capital", "power", "breakeven", "settle"])
def test_a_bad_flag_does_not_hide_the_spec_problems(cli, args, flag_fragment):
    cli.error(cli.run(*args, "--set", "contract.start_date=9999-01-01"), flag_fragment,
              SPEC_PROBLEM)


def test_a_bad_flag_does_not_hide_a_portfolio_problem(cli):
    cli.error(cli.run("capital", "working-links-like", "--sims", "0", "--set",
                      "portfolio.name=''"),
              "--sims: must be from 1", "working-links-like: --set: portfolio.name: String should "
              "have at least 1 character", lines=2)


# -- pbr validate: contracts, portfolios and provider profiles -----------------------------------

def test_validate_reads_every_bundled_portfolio_and_profile(cli):
    names = [*bundled_portfolios(), *bundled_providers()]
    files = [str(p) for p in [*bundled_portfolios().values(), *bundled_providers().values()]]
    result = cli.run("validate", *names, *files, "tr-crc-example")
    cli.ok(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(names) + 1
    for name in [*bundled_portfolios(), *map(str, bundled_portfolios().values())]:
        assert any(line.startswith(f"OK  {name}  (portfolio of ") for line in lines), name
    for name in [*bundled_providers(), *map(str, bundled_providers().values())]:
        assert any(line.startswith(f"OK  {name}  (provider profile '") for line in lines), name


def test_validate_reports_every_problem_of_a_profile(cli, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[provider]\nname = "x\\u001b"\nreserves = -1\ncost_of_capital = "a"\n'
                    "typo = 1\n")
    cli.error(cli.run("validate", str(path)),
              f"{path}: provider.name: text must not contain control characters",
              f"{path}: provider.reserves: Input should be greater than or equal to 0 (got -1)",
              f"{path}: provider.cost_of_capital: Input should be a valid number (got 'a')",
              f"{path}: provider.typo: unknown field", lines=4)


def test_validate_reports_every_problem_of_a_portfolio(cli, tmp_path):
    path = tmp_path / "f.toml"
    path.write_text('[portfolio]\nname = ""\n[owner]\nprofile = "nope"\n'
                    '[[areas]]\nname = "A"\nspec = "tr-crc-example"\n'
                    'set = ["contract.start_date=9999-01-01", "payments.1.rates.0.price=\\"x\\""]\n'
                    '[[areas]]\nname = "A"\nspec = "missing.toml"\n')
    cli.error(cli.run("validate", str(path), "tr-crc-example"),
              f"{path}: owner.profile: nope: no such file, and no bundled provider profile",
              f"{path}: portfolio.name: String should have at least 1 character",
              f"{path}: areas.0: tr-crc-example: set: {SPEC_PROBLEM}",
              f"{path}: areas.0: tr-crc-example: set: payments.1.rates.0.price: Input should be a "
              "valid number", f"{path}: areas.1.spec: missing.toml: no such file",
              f"{path}: areas.1.name: already the name of areas.0", lines=6)


def test_validate_takes_a_portfolio_that_capital_runs(cli, tmp_path):
    for name, path in bundled_portfolios().items():
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        # areas name bundled contracts, so the copy runs where it is
        cli.ok(cli.run("validate", str(copy)))


def test_validate_reads_a_contract_with_a_provider_table_as_a_contract(cli, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(TR.read_text())
    result = cli.run("validate", str(path))
    cli.ok(result)
    assert result.stdout.startswith(f"OK  {path}  (sha256 ")


# -- a value given with --set is the command line's, not the file's ----------------------

@pytest.mark.parametrize("spec, setting, line", [
    # a field the file has: its value is not the file's fault
    ("{tmp}/c.toml", "cohorts.volume_factor_sd=-6",
     "{tmp}/c.toml: --set: cohorts.volume_factor_sd: Input should be greater than or equal "
     "to 0 (got -6)"),
    # a section only the override made
    ("tr-crc-example", "nosuch.field=1", "tr-crc-example: --set: nosuch: unknown field"),
    # a portfolio
    ("{tmp}/p.toml", "cohorts.entrants_per_period=100",
     "{tmp}/p.toml: --set: cohorts: unknown field"),
])
def test_a_bad_set_value_names_set_not_the_file(cli, tmp_path, spec, setting, line):
    shutil.copy(TR, tmp_path / "c.toml")
    shutil.copy(bundled_portfolios()["working-links-like"], tmp_path / "p.toml")
    command = "capital" if spec.endswith("p.toml") else "simulate"
    spec, line = (s.replace("{tmp}", str(tmp_path)) for s in (spec, line))
    found = cli.error(cli.run(command, spec, "--sims", "10", "--set", setting))
    assert any(f.startswith(f"Error: {line}") for f in found), found


def test_a_problem_in_the_file_still_names_the_file(cli, tmp_path):
    text = TR.read_text(encoding="utf-8").replace("volume_factor_sd = 0.15",
                                                  "volume_factor_sd = -0.15")
    assert text != TR.read_text(encoding="utf-8")
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    found = cli.error(cli.run("simulate", str(tmp_path / "c.toml"), "--sims", "10",
                              "--set", "contract.length_months=-1"))
    assert any(f.startswith(f"Error: {tmp_path / 'c.toml'}: cohorts.volume_factor_sd:")
               for f in found), found
    assert any(f.startswith(f"Error: {tmp_path / 'c.toml'}: --set: contract.length_months:")
               for f in found), found


def test_an_areas_own_set_list_is_named_as_such(cli, tmp_path):
    found = cli.error(cli.run("capital", "working-links-like", "--sims", "10", "--set",
                              'areas.0.set=["cohorts.volume_factor_sd=-1"]'))
    assert any(": areas.0: tr-crc-example: set: cohorts.volume_factor_sd:" in f for f in found)
