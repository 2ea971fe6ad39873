"""The paid volume on screen and in the workbook: the per-participant fee is paid on the paid
volume, which differs from the caseload when ``[cohorts]`` sets it apart or under
``--paid-volume-shock``, so the fee's driver must be visible wherever the caseload is."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest
from rich.console import Console

from pbr_model import simulate
from pbr_model.analyses.show import show
from pbr_model.report.format import number
from pbr_model.report.run_sheets import cohort_table
from pbr_model.report.show import contract_overview
from pbr_model.report.simulate import simulation_summary, write_workbook
from pbr_model.spec import load_spec

SIMS = 200


def text(renderable) -> str:
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def row(screen: str, label: str) -> str:
    lines = [line for line in screen.splitlines() if line.lstrip("│ ").startswith(label)]
    assert len(lines) == 1, (label, screen)
    return lines[0]


@pytest.fixture(scope="module")
def shocked():
    """TR with 30% less paid volume than plan, the caseload as planned."""
    return simulate(load_spec("tr-crc-example"), sims=SIMS, seed=5, paid_volume_shock=0.3)


def test_the_table_shows_the_paid_volume_beside_the_caseload(shocked):
    s = shocked.summary()
    assert s["paid_volume"]["mean"] < 0.8 * s["entrants"]["mean"]  # the shock bit
    screen = text(simulation_summary(shocked))
    assert number(s["entrants"]["mean"]) in row(screen, "Caseload (entrants)")
    assert number(s["paid_volume"]["mean"]) in row(screen, "Paid volume (fee units)")


def test_no_paid_volume_row_where_it_is_the_caseload(tmp_path, minimal_toml):
    path = tmp_path / "minimal.toml"
    path.write_text(minimal_toml)
    result = simulate(load_spec(path), sims=50, seed=1)
    s = result.summary()
    assert s["paid_volume"] == s["entrants"]
    screen = text(simulation_summary(result))
    assert "Caseload (entrants)" in screen and "Paid volume" not in screen


def test_the_workbook_counts_the_paid_volume(shocked, tmp_path, summary_rows):
    wb = openpyxl.load_workbook(write_workbook(shocked, tmp_path / "run.xlsx"))
    row = summary_rows(wb["Summary"])["paid_volume"]
    s = shocked.summary()
    for key in ("mean", "p5", "p50", "p95"):
        cell = row[key]
        assert cell.value == pytest.approx(s["paid_volume"][key])
        assert cell.number_format == "#,##0"  # a count, not a percentage
    # Cohorts sheet: the paid volume per cohort beside the caseload
    header, table, _ = cohort_table(shocked)
    col = header.index("Paid volume (fee units) P50")
    assert "Caseload (entrants) P50" in header
    k = shocked.timeline.n_cohorts
    paid = shocked.cohorts["paid_volume"].to_numpy().reshape(SIMS, k)
    assert [r[col] for r in table] == pytest.approx(np.median(paid, axis=0).tolist())


def test_show_says_the_fee_is_per_paid_unit_and_shows_the_paid_volume():
    screen = text(contract_overview(show(load_spec("tr-crc-example"))))
    assert "£600 per paid unit" in screen and "per entrant" not in screen
    loaded = load_spec("tr-crc-example", ["cohorts.paid_volume_per_period=4000"])
    result = show(loaded)
    n = result.figures["cohorts"]
    assert result.figures["expected_paid_volume"] == pytest.approx(4000 * n)
    assert result.figures["expected_entrants"] == pytest.approx(5000 * n)
    screen = text(contract_overview(result))
    assert number(4000 * n) in row(screen, "Expected paid volume (fee units)")
    assert number(5000 * n) in row(screen, "Expected caseload (entrants)")
