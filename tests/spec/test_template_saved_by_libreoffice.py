"""A template saved again by a spreadsheet application reads back to the same spec and
hash: LibreOffice Calc keeps 15 significant digits of a number, so a value with more (e.g.
nyc-able-sib's guarantee cover 0.8333333333333334) is written as its exact TOML text."""

from __future__ import annotations

import openpyxl
import pytest

from apps import needs_soffice, soffice_convert
from pbr_model.spec import bundled_contracts, load_spec
from pbr_model.spec.template import KEPT_AS_TEXT, write_template
from pbr_model.spec.workbook import read_workbook


def test_a_number_a_spreadsheet_would_round_is_written_as_text(tmp_path):
    path = write_template("nyc-able-sib", tmp_path / "able.xlsx")
    ws = openpyxl.load_workbook(path)["sib"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "sib.guarantees.0.cover")
    assert row[1].value == "0.8333333333333334" and row[1].data_type == "s"
    assert KEPT_AS_TEXT in row[4].value
    data, _ = read_workbook(path)
    assert data["sib"]["guarantees"][0]["cover"] == 0.8333333333333334


def saved_at_15_digits(path, out):
    """What LibreOffice does to the numbers of a workbook it saves: 15 significant digits."""
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    cell.value = float(f"{cell.value:.15g}")
    book.save(out)
    return out


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_numbers_rounded_as_a_spreadsheet_saves_them_keep_the_hash(tmp_path, name):
    path = write_template(name, tmp_path / "t.xlsx")
    again = saved_at_15_digits(path, tmp_path / "saved.xlsx")
    assert load_spec(again).sha256 == load_spec(name).sha256


@pytest.mark.slow
@needs_soffice
def test_every_bundled_template_saved_by_libreoffice_keeps_its_hash(tmp_path):
    names = sorted(bundled_contracts())
    books = [write_template(n, tmp_path / f"{n}.xlsx") for n in names]
    saved = soffice_convert(books, "xlsx", tmp_path / "saved")
    for name, book in zip(names, saved):
        assert load_spec(book).sha256 == load_spec(name).sha256, name
