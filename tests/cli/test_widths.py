"""Every terminal table keeps every figure at 80 columns (a pipe's width) and at 60:
no cell cut to ``…``, no line wider than the screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_model.report.format import money, number, pct

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed"

COMMANDS = [
    ["list"], ["providers"], ["validate", "tr-crc-example"],
    ["show", "tr-crc-example"], ["show", "peterborough-sib"], ["show", "ma-roca-pfs"],
    ["simulate", "tr-crc-example", "--sims", "40"],
    ["simulate", "nyc-able-sib", "--sims", "40"],
    ["capital", "tr-crc-example", "--sims", "40"],
    ["capital", "peterborough-sib", "--sims", "40"],
    ["capital", "working-links-like", "--sims", "40"],
    ["power", "tr-crc-example", "--sims", "20"],
    ["power", "doncaster-pbr", "--sims", "20"],
    ["breakeven", "tr-crc-example", "--sims", "40", "--solve", "price"],
    ["settle", "peterborough-sib", "--observed", str(OBSERVED / "peterborough.csv")],
    ["settle", "nyc-able-sib", "--observed", str(OBSERVED / "able_no_effect.csv")],
]


def whole(text: str, width: int) -> None:
    assert "…" not in text, text
    # a line that is one word (a file's path) is printed whole, to be copied: no width
    # can hold a path longer than it, and folding it would break it
    too_wide = [line for line in text.splitlines()
                if len(line) > width and " " in line.strip()]
    assert not too_wide, too_wide


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_cell_is_cut(cli, args, width):
    result = cli.runner.invoke(cli_app(), args, env={"COLUMNS": str(width)})
    cli.ok(result)
    whole(result.stdout, width)


def test_each_run_reads_the_width_the_first_print_does_not_fix_it(cli):
    """The consoles are made on first print (rich imported only then); the width is still
    read at each run, as when they were made at import: 200 columns, then 60, then 200."""
    longest = []
    for width in (200, 60, 200):
        result = cli.runner.invoke(cli_app(), ["show", "tr-crc-example"],
                                   env={"COLUMNS": str(width)})
        cli.ok(result)
        whole(result.stdout, width)
        longest.append(max(len(line) for line in result.stdout.splitlines()))
    assert longest[0] == longest[2] > 100 and longest[1] <= 60


def cli_app():
    from pbr_model.cli import app
    return app


def power_rows(text: str, effects: list[float]) -> dict[float, list[str]]:
    """Each effect's cells, gathered from every part of the split table."""
    cells: dict[float, list[str]] = {e: [] for e in effects}
    for line in text.splitlines():
        parts = [c.strip() for c in line.strip("│ ").split("│")]
        for e in effects:
            if parts and parts[0] == pct(e):
                cells[e] += parts[1:]
    return cells


def check_power_figures(text: str, d: dict) -> None:
    cur = d["currency"]
    rows = power_rows(text, [r["effect"] for r in d["effects"]])
    for r in d["effects"]:
        shown = rows[r["effect"]]
        for key in ("outcome_mean", "outcome_p5", "outcome_p95", "net_mean"):
            assert money(r[key], cur) in shown, (key, r, shown)
        for key in ("prob_triggered", "cohorts_triggered", "prob_loss", "frequency_cut"):
            assert pct(r[key]) in shown, (key, r, shown)
        assert number(r["binary_points"], 2) in shown


@pytest.mark.parametrize("width", [80, 60])
def test_power_shows_every_figure_of_its_json(cli, width):
    args = ["power", "tr-crc-example", "--sims", "20"]
    d = cli.json(*args)
    result = cli.runner.invoke(cli_app(), args, env={"COLUMNS": str(width)})
    cli.ok(result)
    check_power_figures(result.stdout, d)


PBR = shutil.which("pbr") or str(Path(sys.executable).with_name("pbr"))


@pytest.mark.skipif(not Path(PBR).exists(), reason="the pbr command is not installed")
def test_installed_pbr_in_a_pipe_keeps_every_figure(tmp_path):
    """Through a pipe (no terminal, no COLUMNS) rich lays out at 80 columns."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    args = [PBR, "power", "doncaster-pbr", "--sims", "20"]
    text = subprocess.run(args, capture_output=True, text=True, env=env, check=True,
                          cwd=tmp_path).stdout
    d = json.loads(subprocess.run([*args, "--json"], capture_output=True, text=True, env=env,
                                  check=True, cwd=tmp_path).stdout)
    whole(text, 80)
    check_power_figures(text, d)


def test_indigo_keeps_every_cell_at_60_columns(cli, tmp_path):
    out = tmp_path / "p.json"
    result = cli.runner.invoke(cli_app(), ["indigo", "peterborough-sib", "--out", str(out),
                                           "--sims", "20"], env={"COLUMNS": "60"})
    cli.ok(result)
    whole(result.stdout, 60)
