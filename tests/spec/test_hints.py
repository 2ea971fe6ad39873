"""Values a spec allows but that are most likely a slip: a percent threshold typed as a
fraction gets one ``Warning:`` line naming the file, the place and the field, and the run
goes on (pbr_model.spec.hints)."""

from __future__ import annotations

import warnings

import openpyxl
import pytest

from pbr_model.errors import PbrInputWarning
from pbr_model.spec import load_spec
from pbr_model.spec.hints import small_percents
from pbr_model.spec.template import write_template


def test_no_bundled_contract_has_a_percent_threshold_below_one():
    from pbr_model.spec.load import bundled_contracts
    for name in bundled_contracts():
        assert list(small_percents(load_spec(name).spec)) == [], name


@pytest.mark.parametrize("setting, path", [
    ("payments.0.rates.0.threshold=0.1", "payments.0.rates.0.threshold"),
    ("payments.0.rates.0.pooled_threshold=0.075", "payments.0.rates.0.pooled_threshold"),
])
def test_a_fraction_typed_as_a_percent_threshold_is_warned(setting, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_spec("peterborough-sib", [setting])
    (w,) = [w for w in caught if issubclass(w.category, PbrInputWarning)]
    value = setting.split("=")[1]
    assert str(w.message).startswith(f"peterborough-sib: --set: {path} is {value} percent")
    assert f"if you meant {float(value) * 100:g}%, write {float(value) * 100:g}" in str(w.message)


def test_points_and_whole_percents_are_not_warned():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_spec("peterborough-sib", ["payments.0.rates.0.threshold=1"])
        load_spec("tr-crc-example")          # thresholds in points
        load_spec("nyc-able-sib")             # tiers from 8.5%, a stopping rule at 10%
    assert not [w for w in caught if issubclass(w.category, PbrInputWarning)]


def test_the_cli_says_it_once_with_the_workbook_cell_and_runs_on(cli, tmp_path):
    # a new user's test drive: Peterborough's 10% and 7.5% typed as 0.1 and 0.075 passed
    # validation and raised P(paid) from 63% to 97%
    book = write_template("peterborough-sib", tmp_path / "pb.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["payments"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == "payments.0.rates.0.threshold":
            ws.cell(row=row, column=2).value = 0.1
            cell = f"B{row}"
    wb.save(book)
    res = cli.run("validate", str(book))
    assert res.exit_code == 0, res.output
    assert res.stderr.count("Warning:") == 1
    assert (f"Warning: {book}: sheet 'payments', cell {cell}: payments.0.rates.0.threshold is "
            "0.1 percent, that is 0.1%") in " ".join(res.stderr.split())
    res = cli.run("simulate", str(book), "--sims", "50", "--json")
    assert res.exit_code == 0 and "Warning:" in res.stderr


def test_a_revenue_at_risk_target_in_percent_is_checked_too():
    from pbr_model.spec.hints import small_percents
    with pytest.warns(PbrInputWarning, match="payments.1.target is 0.05 percent"):
        spec = load_spec("doncaster-pbr", ["payments.1.change=percent",
                                           "payments.1.target=0.05"]).spec
    assert ("payments.1.target", 0.05) in list(small_percents(spec))


def test_the_cli_says_a_warning_once_however_often_it_is_raised(capsys):
    # a portfolio loads one spec once per area: the same slip is said once
    from pbr_model.cli.app import deprecations
    with deprecations():
        for _ in range(3):
            warnings.warn("x.toml: payments.0.rates.0.threshold is 0.1 percent",
                          PbrInputWarning)
        warnings.warn("y.toml: another one", PbrInputWarning)
    err = capsys.readouterr().err
    assert err.count("Warning: x.toml") == 1 and err.count("Warning: y.toml") == 1
