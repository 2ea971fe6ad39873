"""examples/researcher_tables.py runs end to end: the CSV tables of `pbr simulate --csv`
reproduce the --json Summary (the script asserts it), in a folder it keeps or a
temporary one it removes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Each test here runs a subprocess or installs the package: seconds each.
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "researcher_tables.py"
SIMS = "300"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, check=False)


def test_example_reproduces_summary_in_a_temporary_folder(tmp_path):
    done = run(SIMS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "all equal the --json ones" in done.stdout
    assert "equals months.csv" in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_example_keeps_tables_in_the_given_folder(tmp_path):
    folder = tmp_path / "run"
    done = run(SIMS, str(folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = {p.name for p in folder.iterdir()}
    assert {"simulations.csv", "cohorts.csv", "months.csv", "cashflows.csv",
            "metadata.json"} <= names
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["seed"] == 1 and meta["tables"]["simulations"]["rows"] == int(SIMS)
