"""Output files: never an input of the run (``--force`` or not), never half-written.

Each case runs the real CLI (CliRunner) and checks that the input is untouched, the
answer is one ``Error:`` line per problem with exit code 2, and nothing was written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbr_model.cli import app
from pbr_model.files import check_not_input, same_file
from pbr_model.spec import bundled_contracts

REPO = Path(__file__).resolve().parents[1]
OBSERVED = REPO / "examples" / "observed"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=True)


def refused(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), result.stderr
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)


def test_same_file_follows_links_and_relative_paths(tmp_path, monkeypatch):
    f = tmp_path / "a.toml"
    f.write_text("x")
    link = tmp_path / "b.toml"
    link.symlink_to(f)
    monkeypatch.chdir(tmp_path)
    assert same_file("a.toml", f) and same_file(link, f)
    assert not same_file(tmp_path / "c.toml", f)
    assert same_file(tmp_path / "sub" / ".." / "c.toml", tmp_path / "c.toml")  # neither exists


def test_check_not_input_names_flag_output_and_input(tmp_path):
    spec = tmp_path / "c.xlsx"
    spec.write_bytes(b"")
    problems = check_not_input([("--xlsx", spec), ("--csv", tmp_path / "t.csv")],
                               [str(spec), "tr-crc-example", None])
    assert problems == [f"--xlsx {spec}: is an input of this run ({spec}); write the output "
                        f"elsewhere"]


@pytest.fixture
def workbook_spec(tmp_path) -> Path:
    path = tmp_path / "c.xlsx"
    result = invoke("template", str(path), "--from", "doncaster-pbr")
    assert result.exit_code == 0, result.output
    return path


def test_a_workbook_output_may_not_replace_the_spec_even_with_force(workbook_spec):
    before = workbook_spec.read_bytes()
    for command in (["simulate", "--sims", "50"], ["capital", "--sims", "50"],
                    ["power", "--sims", "50", "--effects", "0"],
                    ["breakeven", "--solve", "effect", "--sims", "50"]):
        result = invoke(command[0], str(workbook_spec), *command[1:], "--xlsx",
                        str(workbook_spec), "--force")
        refused(result, f"--xlsx {workbook_spec}: is an input of this run")
        assert workbook_spec.read_bytes() == before


def test_a_template_may_not_replace_its_source(workbook_spec):
    before = workbook_spec.read_bytes()
    refused(invoke("template", str(workbook_spec), "--from", str(workbook_spec), "--force"),
            "is an input of this run")
    assert workbook_spec.read_bytes() == before


def test_a_table_may_not_replace_the_observed_file(tmp_path):
    observed = tmp_path / "cohorts.csv"  # named as the settlement's own table
    shutil.copy(OBSERVED / "doncaster.csv", observed)
    before = observed.read_bytes()
    result = invoke("settle", "doncaster-pbr", "--observed", str(observed), "--csv",
                    str(tmp_path), "--force")
    refused(result, f"--csv {observed}: is an input of this run")
    assert observed.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohorts.csv"]  # nothing written


def test_a_table_may_not_replace_a_provider_profile(tmp_path):
    profile = tmp_path / "parties.csv"
    profile.write_text((REPO / "contracts" / "providers" / "small_charity.toml").read_text())
    # a profile is TOML, but nothing stops a user naming it like a table
    result = invoke("capital", "tr-crc-example", "--sims", "50", "-p", str(profile), "--csv",
                    str(tmp_path), "--force")
    refused(result, "is an input of this run")


def test_a_toml_spec_in_the_output_folder_is_not_in_the_way(tmp_path):
    spec = tmp_path / "contract.toml"
    spec.write_text(bundled_contracts()["doncaster-pbr"].read_text())
    result = invoke("simulate", str(spec), "--sims", "50", "--csv", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert spec.read_text() == bundled_contracts()["doncaster-pbr"].read_text()


def test_an_input_as_output_is_said_once(workbook_spec):
    """'file exists; use --force' would send the user the wrong way: only the clash is said."""
    result = invoke("simulate", str(workbook_spec), "--sims", "50", "--xlsx", str(workbook_spec))
    refused(result, "is an input of this run")
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_the_library_writers_refuse_their_inputs_too(workbook_spec, tmp_path):
    from pbr_model.analyses.simulate import simulate
    from pbr_model.errors import OutputError
    from pbr_model.report.simulate import write_workbook
    from pbr_model.spec.template import write_template
    before = workbook_spec.read_bytes()
    with pytest.raises(OutputError, match="is an input of this run"):
        write_template(str(workbook_spec), workbook_spec, force=True)
    result = simulate(str(workbook_spec), sims=50)
    with pytest.raises(OutputError, match="is an input of this run"):
        write_workbook(result, workbook_spec, force=True)
    assert workbook_spec.read_bytes() == before
    assert write_workbook(result, tmp_path / "run.xlsx").is_file()  # elsewhere is fine


def test_a_portfolio_may_not_replace_an_area_spec(tmp_path):
    area = tmp_path / "area.xlsx"
    assert invoke("template", str(area), "--from", "tr-crc-example").exit_code == 0
    before = area.read_bytes()
    portfolio = tmp_path / "p.toml"
    portfolio.write_text('[portfolio]\nname = "P"\n[owner]\nprofile = "national-prime"\n'
                         '[[areas]]\nname = "A"\nspec = "area.xlsx"\n'
                         '[[areas]]\nname = "B"\nspec = "tr-crc-example"\n')
    refused(invoke("capital", str(portfolio), "--sims", "50", "--xlsx", str(area), "--force"),
            f"--xlsx {area}: is an input of this run")
    assert area.read_bytes() == before


def dead_pid() -> int:
    """The id of a process that has ended."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_our_stale_temporaries(tmp_path):
    """Removed: our naming with a process that is gone, or the pre-0.8 naming (no pid)
    unmodified for an hour. Kept: a live writer's, a fresh pre-0.8 one, anything of
    another naming, a link or a folder of our naming."""
    import os
    import time

    from pbr_model.files import OLD_TEMP_AGE, sweep
    gone, alive = dead_pid(), os.getppid()
    stale = [f".out.xlsx.{gone}-0123abcd.tmp", ".simulations.csv.0123abcd.tmp"]
    kept = [f".out.xlsx.{alive}-0123abcd.tmp", ".fresh.csv.89abcdef.tmp",
            f"out.xlsx.{gone}-0123abcd.tmp", f".out.xlsx.{gone}-0123ABCD.tmp",
            f".out.xlsx.{gone}-0123abc.tmp", f".out.xlsx.{gone}-0123abcd.tmp.bak",
            ".notes.tmp", "notes.txt", ".out.xlsx.0-0123abcd.tmp"]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    old = time.time() - OLD_TEMP_AGE - 60
    os.utime(tmp_path / stale[1], (old, old))
    (tmp_path / f".link.{gone}-0123abcd.tmp").symlink_to(tmp_path / "notes.txt")
    (tmp_path / f".dir.{gone}-0123abcd.tmp").mkdir()
    assert sorted(p.name for p in sweep(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        kept + [f".link.{gone}-0123abcd.tmp", f".dir.{gone}-0123abcd.tmp"])


def test_the_next_write_into_a_folder_sweeps_it(tmp_path):
    from pbr_model.files import atomic_write
    stale = tmp_path / f".other.csv.{dead_pid()}-0123abcd.tmp"
    stale.write_text("half")
    atomic_write(tmp_path / "new.csv", lambda tmp: Path(tmp).write_text("whole"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


def test_a_temporary_file_names_its_process(tmp_path, monkeypatch):
    import os

    from pbr_model.files import TEMP, atomic_write
    seen = []
    atomic_write(tmp_path / "a.csv", lambda tmp: seen.append(Path(tmp).name))
    match = TEMP.fullmatch(seen[0])
    assert match and match["name"] == "a.csv" and int(match["pid"]) == os.getpid()
