"""Each command's ``--csv`` help names the tables that command writes, and no other's
(0.9.0's shared text promised per-simulation, cohort and month tables to ``pbr power``
and ``pbr breakeven``, which write neither)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVERY_TABLE = {"simulations", "cohorts", "months", "cashflows", "parties", "investors",
               "owner", "areas", "owner_months", "power", "trials", "prices", "mechanisms"}

RUNS = {
    "simulate": ["simulate", "--sims", "40"],
    "power": ["power", "--sims", "40", "--effects", "0,0.05"],
    "breakeven": ["breakeven", "--solve", "price", "--sims", "200"],
    "settle": ["settle", "doncaster-pbr", "--observed",
               str(ROOT / "examples" / "observed" / "doncaster.csv")],
    "capital": ["capital", "nyc-able-sib", "--sims", "40"],
}


def csv_help(cli, command: str) -> str:
    text = re.sub(r"\s+", " ", cli.run(command, "--help").output)
    return text.split("--csv DIR", 1)[1].split("--parquet", 1)[0]


@pytest.mark.parametrize("command", sorted(RUNS))
def test_csv_help_names_the_tables_written(cli, command, tmp_path):
    result = cli.run(*RUNS[command], "--csv", str(tmp_path / "t"))
    cli.ok(result)
    written = {p.stem for p in (tmp_path / "t").glob("*.csv")}
    promised = {t for t in EVERY_TABLE if re.search(rf"\b{t}\b", csv_help(cli, command))}
    assert written <= promised, (command, written - promised)
    assert not promised - written - {"investors", "owner", "areas", "owner_months"}, (
        command, promised - written)
