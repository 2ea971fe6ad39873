"""Excel input workbooks (``pbr template``): every bundled contract survives the round trip
spec -> workbook -> spec unchanged; the workbook is typed, validated and never holds a
formula we wrote; edits a user makes in Excel are read back; every problem names the file,
the sheet, the cell and the field; and every command takes a workbook as its SPEC."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from pbr_model import __version__, simulate
from pbr_model.errors import OutputError, PbrDeprecationWarning, SpecError
from pbr_model.spec import DEFAULT_CONTRACT, bundled_contracts, load_spec
from pbr_model.spec.schema import ContractSpec
from pbr_model.spec.template import COLUMNS, README, write_template
from pbr_model.spec.workbook import read_workbook

SIMS = 200
SECTIONS = list(ContractSpec.model_fields)


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    """One template per bundled contract, written once."""
    folder = tmp_path_factory.mktemp("templates")
    return {name: write_template(name, folder / f"{name}.xlsx") for name in bundled_contracts()}


@pytest.fixture
def book_path(tmp_path) -> Path:
    """A fresh template of the default contract, to edit."""
    return write_template(DEFAULT_CONTRACT, tmp_path / "contract.xlsx")


def row_of(ws, path: str) -> int:
    """The row of a field on a section sheet."""
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == path:
            return row
    raise KeyError(path)


def edit(path: Path, **values) -> Path:
    """Set value cells, as a user would in Excel (``cohorts__volume_factor_sd=0.3``: the
    dotted path with ``__`` for dots), and save."""
    wb = openpyxl.load_workbook(path)
    for key, value in values.items():
        field = key.replace("__", ".")
        ws = wb[field.split(".", 1)[0]]
        ws.cell(row=row_of(ws, field), column=2).value = value
    wb.save(path)
    return path


def append_rows(path: Path, sheet: str, rows: list[tuple]) -> list[int]:
    """Add rows at the bottom of a sheet; returns their row numbers."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    start = ws.max_row + 1
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return list(range(start, start + len(rows)))


def problems(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path, overrides)
    return info.value.problems


def cell_of(path: Path, field: str) -> str:
    ws = openpyxl.load_workbook(path)[field.split(".", 1)[0]]
    return f"B{row_of(ws, field)}"


# -- the round trip -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_every_bundled_contract_round_trips(name, templates):
    toml, book = load_spec(name), load_spec(templates[name])
    assert book.source == str(templates[name])
    assert book.sha256 == toml.sha256
    assert book.spec.model_dump() == toml.spec.model_dump()
    pd.testing.assert_frame_equal(simulate(book, sims=SIMS, seed=1).simulations,
                                  simulate(toml, sims=SIMS, seed=1).simulations)


def test_a_template_of_a_template_is_the_same_spec(templates, tmp_path):
    again = write_template(templates["nyc-able-sib"], tmp_path / "again.xlsx")
    assert load_spec(again).sha256 == load_spec("nyc-able-sib").sha256


def test_a_list_of_numbers_and_text_starting_with_equals_round_trip(minimal_toml, tmp_path):
    toml = tmp_path / "minimal.toml"
    toml.write_text(minimal_toml, encoding="utf-8")
    loaded = load_spec(toml, ["cohorts.entrants_per_period=[100, 110.5, 120, 130]",
                              "contract.name==HYPERLINK(\"http://x\")"])
    path = write_template(loaded, tmp_path / "minimal.xlsx")
    wb = openpyxl.load_workbook(path)
    name = wb["contract"]["B" + str(row_of(wb["contract"], "contract.name"))]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x")', "s")
    entrants = wb["cohorts"]["B" + str(row_of(wb["cohorts"], "cohorts.entrants_per_period"))]
    assert (entrants.value, entrants.data_type) == ("[100.0, 110.5, 120.0, 130.0]", "s")
    back = load_spec(path)
    assert back.spec.contract.name == '=HYPERLINK("http://x")'
    assert back.spec.cohorts.entrants_per_period == [100, 110.5, 120, 130]
    assert back.sha256 == loaded.sha256


def test_an_indexation_basis_and_a_renegotiation_date_round_trip(tmp_path):
    loaded = load_spec("tr-crc-example", [
        'indexation.prices=[{payment="Fee for service", rate=0.02, basis="payment"}, '
        '{payment="TR outcome payment"}]',
        "renegotiation=[{date=2017-12-01, paid_volume_below=0.84, lump_sum=16300000}, "
        "{month=40, lump_sum=-5}]"])
    back = load_spec(write_template(loaded, tmp_path / "tr.xlsx"))
    assert [p.basis for p in back.spec.indexation.prices] == ["payment", "service"]
    assert back.spec.renegotiation[0].date == dt.date(2017, 12, 1)
    assert back.spec.renegotiation[0].month is None
    assert back.spec.renegotiation[1].month == 40
    assert back.sha256 == loaded.sha256


def test_an_offending_rate_effect_by_band_and_attrition_round_trip(tmp_path):
    loaded = load_spec("tr-crc-example", [
        "intervention.effect.binary={}", "intervention.effect.frequency={}",
        "intervention.effect.offending_rate.mean=0.08",
        "intervention.effect.offending_rate.sd=0.03",
        "intervention.effect.by_band=[1, 0.5, 0.25, 0]", "evaluation.attrition=0.3"])
    back = load_spec(write_template(loaded, tmp_path / "tr.xlsx"))
    effect = back.spec.intervention.effect
    assert effect.offending_rate.mean == 0.08 and effect.offending_rate.sd == 0.03
    assert effect.by_band == [1, 0.5, 0.25, 0]
    assert back.spec.evaluation.attrition == 0.3
    assert back.sha256 == loaded.sha256


def test_a_nonrandomised_did_comparison_and_a_dip_round_trip(tmp_path):
    loaded = load_spec("ma-roca-pfs", ["evaluation.did_comparison=nonrandomised",
                                       "evaluation.pre_period_logit_shift=0.5"])
    back = load_spec(write_template(loaded, tmp_path / "roca.xlsx"))
    assert back.spec.evaluation.did_comparison == "nonrandomised"
    assert back.spec.evaluation.pre_period_logit_shift == 0.5
    assert back.sha256 == loaded.sha256



# -- what the workbook looks like -----------------------------------------------------------

def test_sheets_headers_and_read_me(templates):
    wb = openpyxl.load_workbook(templates[DEFAULT_CONTRACT])
    assert wb.sheetnames == [README, *SECTIONS]
    for name in SECTIONS:
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert header == list(COLUMNS), name
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "B2"
        paths = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
        assert paths and all(p.startswith(name + ".") for p in paths), name
    readme = [c for row in wb[README].iter_rows(values_only=True) for c in row if c]
    loaded = load_spec(DEFAULT_CONTRACT)
    for expected in (DEFAULT_CONTRACT, loaded.sha256, __version__, "payments.2.type"):
        assert any(expected in str(c) for c in readme), expected


def test_values_are_typed(templates):
    wb = openpyxl.load_workbook(templates[DEFAULT_CONTRACT])
    contract = wb["contract"]

    def value(ws, field):
        return ws.cell(row=row_of(ws, field), column=2)

    start = value(contract, "contract.start_date")
    assert start.is_date and start.value.date() == dt.date(2015, 2, 1)
    assert value(contract, "contract.length_months").value == 84
    assert value(contract, "contract.n_cohorts").value is None  # optional, not set
    # TR adjusts only the binary rate: a list, written as TOML text
    assert value(wb["evaluation"], "evaluation.case_mix_adjusted").value == '["binary"]'
    assert value(wb["evaluation"], "evaluation.baseline_size").value == 20_000
    assert value(wb["area"], "area.binary_logit_sd").data_type == "n"
    assert value(wb["cohorts"], "cohorts.volume_factor_sd").data_type == "n"
    allowed = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=4).value
               for ws in wb.worksheets[1:] for r in range(2, ws.max_row + 1)}
    assert allowed["contract.length_months"] == "whole number from 1 to 600 (optional, default 84)"
    assert allowed["evaluation.design"].startswith("one of: historical_baseline, "
                                                   "matched_comparison, rct")
    assert allowed["contract.name"].endswith("(required)")
    assert "> 0 and < 0.5" in allowed["payments.1.rates.0.significance_level"]
    assert allowed["evaluation.case_mix_adjusted"].startswith("TRUE, FALSE or a list")


def _rule(ws, cell: str):
    rules = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(rules) == 1, (ws.title, cell, rules)
    return rules[0]


def test_value_cells_have_data_validation(templates):
    wb = openpyxl.load_workbook(templates[DEFAULT_CONTRACT])
    design = _rule(wb["evaluation"], f"B{row_of(wb['evaluation'], 'evaluation.design')}")
    assert design.type == "list"
    assert design.formula1 == '"historical_baseline,matched_comparison,rct"'
    noise = _rule(wb["cohorts"], f"B{row_of(wb['cohorts'], 'cohorts.volume_factor_sd')}")
    assert (noise.type, noise.operator, noise.formula1, noise.formula2) == \
        ("decimal", "between", "0", "2")
    months = _rule(wb["contract"], f"B{row_of(wb['contract'], 'contract.length_months')}")
    assert (months.type, months.formula1, months.formula2) == ("whole", "1", "600")
    start = _rule(wb["contract"], f"B{row_of(wb['contract'], 'contract.start_date')}")
    assert start.type == "date"
    clip = f"B{row_of(wb['intervention'], 'intervention.effect.binary.max')}"
    rule = _rule(wb["intervention"], clip)
    assert rule.type == "custom" and f"{clip}>=-1" in rule.formula1 and f"{clip}<1" in \
        rule.formula1
    flag = _rule(wb["evaluation"], f"B{row_of(wb['evaluation'], 'evaluation.did_weight')}")
    assert (flag.type, flag.formula1, flag.formula2) == ("decimal", "0", "1")
    mix = f"B{row_of(wb['evaluation'], 'evaluation.case_mix_adjusted')}"
    assert not [dv for dv in wb["evaluation"].data_validations.dataValidation if mix in dv.sqref]
    roca = openpyxl.load_workbook(templates["ma-roca-pfs"])
    yes_no = _rule(roca["payments"], f"B{row_of(roca['payments'], 'payments.0.interpolate')}")
    assert yes_no.formula1 == '"TRUE,FALSE"'
    assert all(dv.showErrorMessage and dv.error for ws in wb.worksheets[1:]
               for dv in ws.data_validations.dataValidation)


def test_an_absent_section_has_rows_to_fill_in(templates):
    ws = openpyxl.load_workbook(templates[DEFAULT_CONTRACT])["sib"]
    assert load_spec(DEFAULT_CONTRACT).spec.sib is None
    rows = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
            for r in range(2, ws.max_row + 1)}
    assert {"sib.tranches.0.name", "sib.tranches.0.amount", "sib.drawdown"} <= set(rows)
    assert set(rows.values()) == {None}


def test_write_refuses_to_overwrite_and_writes_nothing_half(book_path):
    with pytest.raises(OutputError, match="file exists"):
        write_template(DEFAULT_CONTRACT, book_path)
    before = book_path.read_bytes()
    write_template("nyc-able-sib", book_path, force=True)
    assert book_path.read_bytes() != before
    assert [p.name for p in book_path.parent.iterdir()] == [book_path.name]  # no temp file left
    with pytest.raises(OutputError, match=r"must end in \.xlsx"):
        write_template(DEFAULT_CONTRACT, book_path.with_suffix(".txt"))


# -- edits made in Excel --------------------------------------------------------------------

def test_a_changed_value_is_read(book_path):
    edit(book_path, cohorts__entrants_per_period=4000, contract__start_date=dt.datetime(2016, 4, 1),
         cohorts__volume_factor_sd="0.3", contract__length_months="60.0")
    spec = load_spec(book_path).spec
    assert spec.cohorts.entrants_per_period == 4000
    assert spec.contract.start_date == dt.date(2016, 4, 1)
    assert spec.cohorts.volume_factor_sd == 0.3  # a number typed as text is still a number
    assert spec.contract.length_months == 60 and isinstance(spec.contract.length_months, int)


def test_an_emptied_value_takes_its_default(book_path):
    edit(book_path, contract__length_months=None, payments__1__rates__0__price=None)
    spec = load_spec(book_path).spec
    assert spec.contract.length_months == 84
    assert spec.payments[1].rates[0].price == 0.0


def test_a_list_item_added_as_rows_in_any_order(book_path):
    """A tiered payment added at the bottom, its fields before its type, with a blank row:
    each value is typed by the payment's type (the flag given as text)."""
    append_rows(book_path, "payments", [
        ("payments.2.interpolate", "true"),
        ("payments.2.tiers.1.at", 10), ("payments.2.tiers.1.amount", 200_000),
        (None, None),
        ("payments.2.type", "tiered"), ("payments.2.measure", "binary"),
        ("payments.2.tiers.0.at", 5), ("payments.2.tiers.0.amount", 100_000)])
    spec = load_spec(book_path).spec
    assert len(spec.payments) == 3
    added = spec.payments[2]
    assert added.type == "tiered" and added.interpolate is True
    assert [(t.at, t.amount) for t in added.tiers] == [(5, 100_000), (10, 200_000)]


def test_filling_in_an_absent_section_adds_it(book_path):
    """A bond added by filling in its empty rows; the supply chain (a bond cannot have one)
    removed by emptying its values."""
    assert load_spec(book_path).spec.supply_chain
    wb = openpyxl.load_workbook(book_path)
    for row in wb["supply_chain"].iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].value = None
    wb.save(book_path)
    edit(book_path, sib__tranches__0__name="Investor", sib__tranches__0__amount=5_000_000)
    spec = load_spec(book_path).spec
    assert spec.supply_chain == []
    assert spec.sib is not None and spec.sib.tranches[0].name == "Investor"
    assert spec.sib.tranches[0].rank == 1  # defaults for the rest


def test_overrides_apply_on_top_of_a_workbook(book_path):
    loaded = load_spec(book_path, ["cohorts.entrants_per_period=3500"])
    assert loaded.spec.cohorts.entrants_per_period == 3500
    edit(book_path, cohorts__volume_factor_sd=-5)
    assert load_spec(book_path, ["cohorts.volume_factor_sd=0.1"]).spec.cohorts \
        .volume_factor_sd == 0.1
    # a bad value from --set is not blamed on the cell
    assert problems(book_path, ("cohorts.volume_factor_sd=-6",)) == [
        f"{book_path}: --set: cohorts.volume_factor_sd: Input should be greater than or "
        "equal to 0 (got -6)"]


def test_a_formula_counts_only_through_its_saved_result(book_path):
    edit(book_path, cohorts__volume_factor_sd="=0.1+0.2")
    cell = cell_of(book_path, "cohorts.volume_factor_sd")
    assert problems(book_path) == [
        f"{book_path}: sheet 'cohorts', cell {cell}: holds the formula =0.1+0.2 with no saved "
        "result; type the value instead (pbr never calculates formulas)"]
    # As Excel saves it: the formula with its result. The result is read, nothing calculated.
    with zipfile.ZipFile(book_path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n, data in parts.items() if b"<f>0.1+0.2</f>" in data)
    parts[sheet], count = re.subn(rb"(<f>0\.1\+0\.2</f>)<v\s*/>|(<f>0\.1\+0\.2</f>)<v></v>",
                                  rb"<f>0.1+0.2</f><v>0.25</v>", parts[sheet])
    assert count == 1
    with zipfile.ZipFile(book_path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert load_spec(book_path).spec.cohorts.volume_factor_sd == 0.25


# -- problems name the file, sheet, cell and field ------------------------------------------

def test_a_bad_value_names_sheet_cell_and_field(book_path):
    edit(book_path, cohorts__volume_factor_sd=-5)
    cell = cell_of(book_path, "cohorts.volume_factor_sd")
    assert problems(book_path) == [
        f"{book_path}: sheet 'cohorts', cell {cell}: cohorts.volume_factor_sd: Input should be "
        "greater than or equal to 0 (got -5)"]


def test_text_in_a_number_cell(book_path):
    edit(book_path, cohorts__volume_factor_sd="abc", contract__length_months=84.5)
    assert problems(book_path) == [
        f"{book_path}: sheet 'contract', cell {cell_of(book_path, 'contract.length_months')}: "
        "contract.length_months: Input should be a valid integer (got 84.5)",
        f"{book_path}: sheet 'cohorts', cell {cell_of(book_path, 'cohorts.volume_factor_sd')}: "
        "cohorts.volume_factor_sd: Input should be a valid number (got 'abc')"]


def test_merged_field_or_value_cells_are_refused(book_path):
    """A merge keeps only its first cell's value, so the rows under it would read as empty
    and take their defaults without a word (0.13.0 did): a merge over the Field or Value
    column is refused, naming its cells; a merge in the notes' columns is harmless."""
    wb = openpyxl.load_workbook(book_path)
    row = row_of(wb["cohorts"], "cohorts.volume_factor_sd")
    wb["cohorts"].merge_cells(f"B{row}:B{row + 1}")
    wb["contract"].merge_cells("A3:B3")
    wb["contract"].merge_cells("C4:D4")
    wb.save(book_path)
    assert problems(book_path) == [
        f"{book_path}: sheet 'contract', cells A3:B3: merged: each field needs its own Field "
        "and Value cells; unmerge them",
        f"{book_path}: sheet 'cohorts', cells B{row}:B{row + 1}: merged: each field needs its "
        "own Field and Value cells; unmerge them"]


def test_a_value_merged_with_its_unit_is_read_and_a_merged_header_is_named(book_path):
    """A Value merged with the Unit cell beside it keeps its value: read as it is. A merge
    over the header row is said to be a merge, not a wrong header."""
    wb = openpyxl.load_workbook(book_path)
    row = row_of(wb["cohorts"], "cohorts.volume_factor_sd")
    wb["cohorts"].cell(row=row, column=2).value = 0.25
    wb["cohorts"].merge_cells(f"B{row}:C{row}")
    wb.save(book_path)
    assert read_workbook(book_path)[0]["cohorts"]["volume_factor_sd"] == 0.25
    wb["contract"].merge_cells("A1:B1")
    wb.save(book_path)
    assert problems(book_path) == [
        f"{book_path}: sheet 'contract', cells A1:B1: merged: each field needs its own Field "
        "and Value cells; unmerge them"]


def test_an_unknown_field_and_a_missing_one(book_path):
    edit(book_path, contract__name=None)
    [row] = append_rows(book_path, "contract", [("contract.colour", "red")])
    found = problems(book_path)
    assert f"{book_path}: sheet 'contract', cell B{row}: contract.colour: unknown field; " \
           "allowed here: " in found[1]
    assert found[0] == (f"{book_path}: sheet 'contract', cell {cell_of(book_path, 'contract.name')}"
                        ": contract.name: required field is missing")
    assert len(found) == 2


def test_a_cross_field_problem_names_its_cell(book_path):
    edit(book_path, payments__1__rates__0__measure="nonsense")
    [line] = problems(book_path)
    cell = cell_of(book_path, "payments.1.rates.0.measure")
    assert line.startswith(f"{book_path}: sheet 'payments', cell {cell}: "
                           "payments.1.rates.0.measure: unknown measure; allowed: binary")


def test_a_problem_with_a_list_item_names_its_rows(book_path):
    edit(book_path, population__bands__0__share=0.9)
    [line] = problems(book_path)
    assert re.match(rf"{re.escape(str(book_path))}: sheet 'population', rows 2-\d+: "
                    r"population\.bands: band shares must sum to 1", line), line


def test_a_gap_in_list_indexes(book_path):
    rows = append_rows(book_path, "payments", [("payments.3.type", "fee"),
                                               ("payments.3.annual", 1000)])
    assert problems(book_path) == [
        f"{book_path}: sheet 'payments', rows {rows[0]}-{rows[1]}: payments.3: list indexes "
        "must run 0, 1, 2, ... without gaps, but payments.2 has no values; renumber the rows "
        "or fill them in"]


def test_every_layout_problem_at_once(book_path):
    rows = append_rows(book_path, "payments", [
        ("payments.0.type", "fee"), ("trend.binary_logit_sd", 0.1), (None, 7),
        ("payments..name", "x"), ("payments", 1), (3, 1), ("payments.01.name", "x")])
    wb = openpyxl.load_workbook(book_path)
    wb.create_sheet("Notes")
    wb.save(book_path)
    found = problems(book_path)
    at = f"{book_path}: sheet 'payments', cell A"
    expected = [
        f"{at}{rows[1]}: trend.binary_logit_sd: paths on this sheet start with 'payments.'; "
        "this one belongs on sheet 'trend'",
        f"{at}{rows[2]}: a value (7) with no field path; put the field's dotted path in "
        "column A",
        f"{at}{rows[3]}: 'payments..name' is not a field path",
        f"{at}{rows[4]}: payments: is the section itself",
        f"{at}{rows[5]}: the Field cell must be a dotted path typed as text",
        f"{at}{rows[6]}: 'payments.01.name' is not a field path",
        f"{book_path}: sheet 'Notes': unknown sheet; a template has 'Read me' and one sheet "
        "per section: contract, cohorts,",
        f"{at}{rows[0]}: payments.0.type: given twice (also in row 2); keep one row",
    ]
    assert len(found) == len(expected), found
    for line, start in zip(found, expected):
        assert line.startswith(start), (line, start)


def rename_field(path: Path, old: str, new: str) -> int:
    """Type ``new`` in the Field cell of ``old``, as a workbook from an older version has it;
    returns its row."""
    wb = openpyxl.load_workbook(path)
    ws = wb[old.split(".", 1)[0]]
    row = row_of(ws, old)
    ws.cell(row=row, column=1).value = new
    wb.save(path)
    return row


def test_old_field_names_in_a_workbook_are_read_with_a_warning(book_path):
    edit(book_path, provider__credit_limit=123.0, provider__cost_of_capital="0.07")
    rows = [rename_field(book_path, "provider.credit_limit", "provider.credit_line"),
            rename_field(book_path, "provider.cost_of_capital", "provider.discount_rate")]
    with pytest.warns(PbrDeprecationWarning) as record:
        loaded = load_spec(book_path)
    assert [str(w.message) for w in record] == [
        f"provider.credit_line is now provider.credit_limit; rename it in {book_path} "
        f"(sheet 'provider', cell A{rows[0]})",
        f"provider.discount_rate is now provider.cost_of_capital; rename it in {book_path} "
        f"(sheet 'provider', cell A{rows[1]})",
    ]
    assert loaded.spec.provider.credit_limit == 123
    assert loaded.spec.provider.cost_of_capital == 0.07  # text typed as the field's number
    assert loaded.sha256 == load_spec(DEFAULT_CONTRACT, ["provider.credit_limit=123",
                                                         "provider.cost_of_capital=0.07"]).sha256


def test_a_bad_value_under_an_old_name_names_its_cell(book_path):
    edit(book_path, provider__credit_limit=-1)
    row = rename_field(book_path, "provider.credit_limit", "provider.credit_line")
    with pytest.warns(PbrDeprecationWarning):
        found = problems(book_path)
    assert found == [f"{book_path}: sheet 'provider', cell B{row}: provider.credit_limit: Input "
                     "should be greater than or equal to 0 (got -1)"]


def test_a_field_under_both_its_names_in_a_workbook(book_path):
    first = row_of(openpyxl.load_workbook(book_path)["provider"], "provider.credit_limit")
    row, = append_rows(book_path, "provider", [("provider.credit_line", 5)])
    with pytest.warns(PbrDeprecationWarning):
        found = problems(book_path)
    assert found == [
        f"{book_path}: sheet 'provider', cell A{row}: provider.credit_line: "
        f"provider.credit_limit is given by both its names (also provider.credit_limit in row "
        f"{first}); keep the row named provider.credit_limit"]


def test_a_file_that_is_not_a_workbook(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("[contract]\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"fake\.xlsx: not a readable Excel workbook"):
        load_spec(fake)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SpecError, match=r"only \.xlsx workbooks can be read as a spec"):
        load_spec(old)


def test_read_workbook_gives_plain_data_and_locations(templates):
    data, where = read_workbook(templates[DEFAULT_CONTRACT])
    assert data["contract"]["start_date"] == dt.date(2015, 2, 1)
    assert isinstance(data["payments"], list) and data["payments"][0]["type"] == "fee"
    assert "sib" not in data  # only empty rows
    ws = openpyxl.load_workbook(templates[DEFAULT_CONTRACT])["payments"]
    assert where["payments.1.rates.0.price"] == \
        f"sheet 'payments', cell B{row_of(ws, 'payments.1.rates.0.price')}"
    assert where["payments"] == "sheet 'payments'"
    assert re.fullmatch(r"sheet 'payments', rows \d+-\d+", where["payments.1"])


# -- the command line -----------------------------------------------------------------------

def cli(*args: str):
    from pbr_model.cli import app

    return CliRunner().invoke(app, list(args))


def ok(result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)


def error(result, *fragments: str) -> list[str]:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), lines
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)
    return lines


def test_cli_template_writes_the_default_contract(tmp_path):
    path = tmp_path / "t.xlsx"
    result = cli("template", str(path))
    ok(result)
    assert result.stderr == f"Wrote {path}\n" and result.stdout == ""
    assert load_spec(path).sha256 == load_spec(DEFAULT_CONTRACT).sha256
    error(cli("template", str(path)), f"{path}: file exists; use --force to replace it")
    ok(cli("template", str(path), "--from", "peterborough-sib", "--force"))
    assert load_spec(path).sha256 == load_spec("peterborough-sib").sha256


def test_cli_template_from_a_workbook_with_overrides(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    ok(cli("template", str(first), "--from", "ma-roca-pfs"))
    ok(cli("template", str(second), "--from", str(first), "--set", "contract.name==cmd|x"))
    cell = openpyxl.load_workbook(second)["contract"]["B2"]
    assert (cell.value, cell.data_type) == ("=cmd|x", "s")
    assert load_spec(second).spec.contract.name == "=cmd|x"


def test_cli_template_reports_every_problem_at_once(tmp_path):
    lines = error(cli("template", str(tmp_path / "t.txt"), "--from", "no-such-contract"),
                  "t.txt: an Excel workbook must end in .xlsx",
                  "no-such-contract: no such file")
    assert len(lines) == 2
    assert not list(tmp_path.iterdir())


def test_cli_template_help_names_the_default():
    result = cli("template", "--help")
    ok(result)
    assert "tr-crc-example" in result.stdout and "--from" in result.stdout


def test_cli_simulate_a_workbook_equals_the_toml(templates):
    def run(spec):
        result = cli("simulate", spec, "--sims", str(SIMS), "--json")
        ok(result)
        data = json.loads(result.stdout)
        return {k: v for k, v in data.items() if k != "source"}, data["source"]

    book, source = run(str(templates[DEFAULT_CONTRACT]))
    toml, _ = run(DEFAULT_CONTRACT)
    assert source == str(templates[DEFAULT_CONTRACT])
    assert book == toml


def test_cli_validate_a_workbook(templates, book_path):
    result = cli("validate", str(templates["nys-ceo-pfs"]))
    ok(result)
    sha = load_spec("nys-ceo-pfs").sha256
    assert result.stdout.strip() == f"OK  {templates['nys-ceo-pfs']}  (sha256 {sha[:12]})"
    edit(book_path, cohorts__volume_factor_sd=-5)
    error(cli("validate", str(book_path)),
          f"{book_path}: sheet 'cohorts', cell {cell_of(book_path, 'cohorts.volume_factor_sd')}"
          ": cohorts.volume_factor_sd:")


def test_cli_capital_takes_a_workbook(templates):
    from pbr_model.cli.capital import is_portfolio

    path = str(templates["nyc-able-sib"])
    assert not is_portfolio(path)
    result = cli("capital", path, "--sims", str(SIMS), "--json")
    ok(result)
    toml = cli("capital", "nyc-able-sib", "--sims", str(SIMS), "--json")
    ok(toml)
    strip = lambda text: json.loads(text.replace(path, "nyc-able-sib"))  # noqa: E731
    assert strip(result.stdout) == strip(toml.stdout)


def test_a_portfolio_area_may_be_a_workbook(templates, tmp_path):
    """Portfolios are TOML, but an area's ``spec`` may name a workbook (loaded with
    ``load_spec``), with the area's overrides on top."""
    from pbr_model.spec.portfolio import load_portfolio

    portfolio = tmp_path / "two.toml"
    portfolio.write_text(f"""
[portfolio]
name = "Two areas"

[owner]
profile = "national-prime"

[[areas]]
name = "From a workbook"
spec = "{templates[DEFAULT_CONTRACT].as_posix()}"
set = ["cohorts.entrants_per_period=3000"]

[[areas]]
name = "From TOML"
spec = "{DEFAULT_CONTRACT}"
set = ["cohorts.entrants_per_period=3000"]
""", encoding="utf-8")
    book, toml = load_portfolio(portfolio).areas
    assert book.spec.source == str(templates[DEFAULT_CONTRACT])
    assert book.spec.sha256 == toml.spec.sha256
    assert book.spec.spec.cohorts.entrants_per_period == 3000


def test_a_bad_set_under_an_old_name_is_blamed_on_the_set(book_path):
    """The value came from --set, not from the workbook's (valid) cell."""
    with pytest.warns(PbrDeprecationWarning):
        found = problems(book_path, ["provider.credit_line=-7"])
    assert found == [f"{book_path}: --set: provider.credit_limit: Input should be greater than "
                     "or equal to 0 (got -7)"]


def test_a_deleted_section_sheet_is_an_error_not_the_defaults(book_path, cli):
    # a new user's test drive: deleting the 'intervention' sheet read as costs of 0 (a net
    # of +GBP 168.84m) and 'provider' as no reserves, with `pbr validate` saying OK
    wb = openpyxl.load_workbook(book_path)
    del wb["intervention"]
    del wb["provider"]
    wb.save(book_path)
    found = problems(book_path)
    assert len(found) == 2, found
    for line, sheet in zip(sorted(found), ("intervention", "provider")):
        assert line.startswith(f"{book_path}: sheet '{sheet}': missing: a template has a "
                               "sheet for every section"), line
        assert f"add an empty sheet named '{sheet}' to take its defaults" in line
    cli.error(cli.run("validate", str(book_path)), "sheet 'intervention': missing", lines=2)


def test_an_empty_section_sheet_takes_the_sections_defaults(book_path):
    plain = load_spec(DEFAULT_CONTRACT).spec
    wb = openpyxl.load_workbook(book_path)
    del wb["intervention"]
    wb.create_sheet("intervention")      # nothing on it at all
    wb.save(book_path)
    spec = load_spec(book_path).spec
    defaults = type(plain.intervention)()
    assert spec.intervention == defaults != plain.intervention
    assert spec.cohorts == plain.cohorts


def test_a_sheet_cleared_in_excel_keeps_its_formatting_and_takes_the_defaults(book_path):
    # select all, Delete: the values go, the cells' formats and the sheet's size stay
    wb = openpyxl.load_workbook(book_path)
    ws = wb["intervention"]
    rows = ws.max_row
    for row in ws.iter_rows():
        for c in row:
            c.value = None
    wb.save(book_path)
    assert openpyxl.load_workbook(book_path)["intervention"].max_row == rows > 1
    spec = load_spec(book_path).spec
    assert spec.intervention == type(spec.intervention)()


def test_a_workbook_with_none_of_the_sections_gets_one_line(tmp_path, cli):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Budget"
    wb.active["A1"] = "something else"
    wb.save(path)
    lines = cli.error(cli.run("validate", str(path)), "sheet 'Budget': unknown sheet")
    assert not any("missing" in line for line in lines)
