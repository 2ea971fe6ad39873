"""Flags are checked before anything is allocated: a grid flag's size is known before the
grid is built, every number is finite, and each problem is one ``Error:`` line (exit 2),
said together with the spec's own problems."""

from __future__ import annotations

import time

import pytest

from pbr_model.analyses.power import MAX_EFFECTS, parse_effects
from pbr_model.errors import InputError


@pytest.mark.parametrize("effects, fragment", [
    ("0:inf:1", "every number must be finite"),
    ("nan:0.1:0.01", "every number must be finite"),
    ("0:0.1:nan", "every number must be finite"),
    ("-inf:0:0.1", "every number must be finite"),
    ("0.1,inf", "every number must be finite"),
    ("0:0.9:1e-15", f"from 1 to {MAX_EFFECTS} effects (got 900000000000001 from"),
    ("0:0.9:5e-324", f"from 1 to {MAX_EFFECTS} effects (got too many from"),
    ("0:1e308:1e-308", "effects are relative reductions from -0.9 to 0.9"),
    ("-1e308:1e308:1e300", "effects are relative reductions from -0.9 to 0.9"),
    ("0:0.9:0.001", f"from 1 to {MAX_EFFECTS} effects (got 901 from"),
    ("0:0.1:0", "STEP > 0"),
    ("0:0.1:-0.01", "STEP > 0"),
    ("0.1:0:0.01", "STOP >= START"),
    ("0:0.1", "START:STOP:STEP"),
    ("0:0.1:0.01:1", "START:STOP:STEP"),
    ("", "START:STOP:STEP"),
    (",".join(["0.01"] * 5000), f"from 1 to {MAX_EFFECTS} effects (got 24,999 characters"),
])
def test_a_bad_effects_grid_is_refused_before_it_is_built(cli, effects, fragment):
    start = time.monotonic()
    errors = cli.error(cli.run("power", "--effects", effects, "--sims", "10"), fragment,
                       lines=1)
    assert errors[0].startswith("Error: --effects: ") and len(errors[0]) < 300
    assert time.monotonic() - start < 2


def test_the_grid_keeps_its_size_check_in_the_library():
    with pytest.raises(InputError, match="got too many"):
        parse_effects("0:0.5:1e-320")
    assert len(parse_effects("0:0.2:0.001")) == MAX_EFFECTS


BAD_SPEC = ("--set", "contract.n_cohorts=-1")
SPEC_ERROR = "tr-crc-example: --set: contract.n_cohorts: Input should be greater than or equal to 1"


@pytest.mark.parametrize("args, flag_error", [
    (["simulate", "--sims", "0"], "--sims: must be from 1 to"),
    (["simulate", "--seed", "-1"], "--seed: must be from 0 to 2**63 - 1"),
    (["simulate", "--chunk-size", "0"], "--chunk-size: must be 1 or more"),
    (["simulate", "--volume-shock", "nan"], "--volume-shock: must be a share"),
    (["capital", "--sims", "0"], "--sims: must be from 1 to"),
    (["capital", "-p", "no-such-profile"], "--provider no-such-profile: no such file"),
    (["capital", "-p", "small-charity", "--share", "inf"], "--share: must be a share"),
    (["power", "--effects", "0:inf:1"], "--effects: every number must be finite"),
    (["power", "--seed", "18446744073709551616"], "--seed: must be from 0 to 2**63 - 1"),
    (["breakeven", "--solve", "effect", "--sims", "-5"], "--sims: must be from 1 to"),
    (["breakeven", "--solve", "nothing"], "--solve"),
    (["breakeven", "--solve", "effect", "--target", "prob-loss=nan"], "--target: expected"),
])
def test_a_bad_flag_no_longer_hides_the_specs_errors(cli, args, flag_error):
    errors = cli.error(cli.run(*args, *BAD_SPEC), flag_error, SPEC_ERROR, lines=2)
    assert flag_error in errors[0]    # the flags first, then the spec


def test_a_bad_output_no_longer_hides_the_specs_errors(cli, tmp_path):
    (tmp_path / "run.xlsx").write_text("")
    obs = tmp_path / "obs.csv"
    obs.write_text("cohort,n,reoffenders,reoffences\n")
    cli.error(cli.run("settle", "doncaster-pbr", "--observed", str(obs), "--xlsx",
                      str(tmp_path / "run.xlsx"), "--set", "contract.n_cohorts=-1"),
              "run.xlsx: file exists; use --force", "doncaster-pbr: --set: contract.n_cohorts",
              lines=2)


def test_a_portfolio_with_a_bad_flag_says_both(cli):
    cli.error(cli.run("capital", "working-links-like", "--sims", "0", "--set", "nosuch=1"),
              "--sims: must be from 1 to", "working-links-like: --set: nosuch: unknown field", lines=2)
