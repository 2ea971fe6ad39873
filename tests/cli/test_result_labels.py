"""Labels follow what the result mechanisms can do (issue 13): a mechanism that only
repays (Doncaster's revenue at risk) never shows "P(any outcome payment)", but how often
the target is met and how often the provider repays; contracts that pay keep their label."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from typer.testing import CliRunner

from pbr_model.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_doncaster_simulate_shows_repayment_not_payment(tmp_path):
    text = run("simulate", "doncaster-pbr", "--sims", "200")
    assert "any outcome payment" not in text
    assert "P(target met)" in text and "P(repayment)" in text
    summary = json.loads(run("simulate", "doncaster-pbr", "--sims", "200", "--json"))
    pay = summary["payments"]
    assert "prob_any_outcome_payment" not in pay
    assert 0 < pay["prob_repayment"] < 1 and 0 < pay["prob_triggered"] < 1
    book = tmp_path / "d.xlsx"
    run("simulate", "doncaster-pbr", "--sims", "200", "--xlsx", str(book))
    cells = [str(c.value) for ws in load_workbook(book) for row in ws.iter_rows()
             for c in row if c.value is not None]
    assert not any("any outcome payment" in c or "Outcome payments are made" in c
                   or c == "P(outcome paid)" for c in cells)
    assert "P(repaid)" in cells


def test_doncaster_power_shows_repayment_not_payment(tmp_path):
    text = run("power", "doncaster-pbr", "--sims", "100", "--effects", "0,0.1")
    assert "P(any payment)" not in text and "P(repayment)" in text
    assert "P(target met)" in text and "90% chance of meeting the target" in text
    d = json.loads(run("power", "doncaster-pbr", "--sims", "100", "--effects", "0,0.1",
                       "--json"))
    assert all("prob_paid" not in e and "prob_repaid" in e for e in d["effects"])
    book = tmp_path / "p.xlsx"
    run("power", "doncaster-pbr", "--sims", "100", "--effects", "0,0.1", "--xlsx", str(book))
    header = [c.value for c in next(load_workbook(book)["Power"].iter_rows())]
    assert "P(any outcome payment)" not in header and "P(repayment)" in header


def test_a_contract_that_pays_keeps_its_labels():
    text = run("simulate", "peterborough-sib", "--sims", "200")
    assert "P(any outcome payment)" in text and "P(repayment)" not in text
    d = json.loads(run("power", "tr-crc-example", "--sims", "50", "--effects", "0", "--json",
                       "--set", "payments.1.rates.0.deduction_price=1000"))
    assert {"prob_paid", "prob_repaid"} <= set(d["effects"][0])
