"""Every output path of a run is checked before the run, against the others and against
every input, ``--force`` or not: nothing is written and the command ends at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed" / "doncaster.csv"
PBR = str(Path(sys.executable).with_name("pbr"))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Run in an empty folder, so relative paths are the test's own."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("outputs, fragment", [
    (["--csv", "d", "--parquet", "d"],
     "--csv d and --parquet d: the same folder, and both write metadata.json"),
    (["--csv", "d", "--parquet", "./d"], "the same folder, and both write metadata.json"),
    (["--csv", "d/", "--parquet", "sub/../d"], "the same folder"),
    (["--xlsx", "o.xlsx", "--csv", "o.xlsx"],
     "--csv o.xlsx: --xlsx writes the file o.xlsx there; a folder cannot also be a file"),
    (["--xlsx", "o.xlsx", "--parquet", "o.xlsx/inner"], "--xlsx writes the file o.xlsx there"),
    (["--csv", "d", "--parquet", "d/simulations.csv"],
     "--csv writes the file d/simulations.csv there"),
    (["--csv", "d", "--parquet", "d/metadata.json"],
     "--csv writes the file d/metadata.json there"),
    (["--csv", "d", "--xlsx", "d/datapackage.json"],
     "--xlsx d/datapackage.json and --csv d/datapackage.json: both would write one file"),
    (["--parquet", "d", "--xlsx", "d/datapackage.json"],
     "--xlsx d/datapackage.json and --parquet d/datapackage.json: both would write one file"),
])
def test_outputs_that_collide_are_refused_before_the_run(cli, here, outputs, fragment, force):
    (here / "sub").mkdir()
    start = time.monotonic()
    cli.error(cli.run("simulate", "--sims", "10", *outputs, *force), fragment)
    assert time.monotonic() - start < 3
    assert sorted(p.name for p in here.iterdir()) == ["sub"]   # nothing written


def test_the_same_folder_given_twice_when_it_exists(cli, here):
    (here / "d").mkdir()
    os.symlink(here / "d", here / "link")
    cli.error(cli.run("simulate", "--sims", "10", "--csv", "d", "--parquet", "link", "--force"),
              "--csv d and --parquet link: the same folder", lines=1)
    assert list((here / "d").iterdir()) == []


def _spec(here: Path) -> Path:
    shutil.copy(Path(__file__).resolve().parents[2] / "contracts" / "doncaster_pbr.toml",
                here / "spec.toml")
    return here / "spec.toml"


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("setup, args, fragment", [
    # the observed CSV where a table goes
    (lambda h: shutil.copy(OBSERVED, h / "d" / "cohorts.csv"),
     ["settle", "doncaster-pbr", "--observed", "d/cohorts.csv", "--csv", "d"],
     "--csv d/cohorts.csv: is an input of this run (d/cohorts.csv)"),
    (lambda h: shutil.copy(OBSERVED, h / "d" / "metadata.json"),
     ["settle", "doncaster-pbr", "--observed", "d/metadata.json", "--parquet", "d"],
     "--parquet d/metadata.json: is an input of this run"),
    # ... by an absolute path, a path through '..', a symbolic and a hard link
    (lambda h: shutil.copy(OBSERVED, h / "d" / "cohorts.csv"),
     ["settle", "doncaster-pbr", "--observed", "ABS/d/cohorts.csv", "--csv", "d"],
     "is an input of this run"),
    (lambda h: shutil.copy(OBSERVED, h / "d" / "cohorts.csv"),
     ["settle", "doncaster-pbr", "--observed", "d/../d/cohorts.csv", "--csv", "d"],
     "is an input of this run"),
    (lambda h: (shutil.copy(OBSERVED, h / "obs.csv"), os.symlink(h / "obs.csv",
                                                                h / "d" / "cohorts.csv")),
     ["settle", "doncaster-pbr", "--observed", "obs.csv", "--csv", "d"],
     "is an input of this run (obs.csv)"),
    (lambda h: (shutil.copy(OBSERVED, h / "obs.csv"), os.link(h / "obs.csv",
                                                             h / "d" / "mechanisms.csv")),
     ["settle", "doncaster-pbr", "--observed", "obs.csv", "--csv", "d"],
     "--csv d/mechanisms.csv: is an input of this run (obs.csv)"),
    # the spec given as the file a table or the workbook would replace
    (lambda h: shutil.copy(_spec(h), h / "d" / "simulations.csv"),
     ["simulate", "d/simulations.csv", "--csv", "d"], "is an input of this run"),
    (lambda h: shutil.copy(_spec(h), h / "d" / "power.csv"),
     ["power", "d/power.csv", "--effects", "0.05", "--csv", "d"], "is an input of this run"),
])
def test_an_output_that_is_an_input_is_refused_force_or_not(cli, here, setup, args, fragment,
                                                              force):
    (here / "d").mkdir()
    setup(here)
    before = {p: p.read_bytes() for p in here.rglob("*") if p.is_file()}
    args = [a.replace("ABS", str(here)) for a in args]
    cli.error(cli.run(*args, "--sims", "10", *force) if args[0] != "settle"
              else cli.run(*args, *force), fragment)
    assert {p: p.read_bytes() for p in here.rglob("*") if p.is_file()} == before


@pytest.mark.skipif(not Path(PBR).exists(), reason="the installed pbr is needed")
def test_the_installed_pbr_refuses_colliding_outputs(tmp_path):
    res = subprocess.run([PBR, "simulate", "--sims", "10", "--csv", "d", "--parquet", "d"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr == ("Error: --csv d and --parquet d: the same folder, and both write "
                          "metadata.json; give each its own folder\n")
    assert list(tmp_path.iterdir()) == []
