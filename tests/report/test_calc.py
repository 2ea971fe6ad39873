"""Every command's workbook opened for real in LibreOffice Calc (headless): converted to
PDF, its pages read back (no error values, every page one page wide with its header row,
a sane number of pages per sheet, booleans as TRUE/FALSE), and converted to xlsx again
to check the charts keep series that hold numbers. Two LibreOffice calls for all the
workbooks (one per target format), as tools/render_workbooks.py makes them for a person.
Skipped, saying what to install, where LibreOffice or poppler-utils is absent."""

from __future__ import annotations

import re

import openpyxl
import pytest
from typer.testing import CliRunner

from apps import needs
from scripts import script
from pbr_model.cli import app

pytestmark = [pytest.mark.slow, needs("soffice", "pdftotext")]

#: What a spreadsheet shows for a formula or value it cannot compute.
ERRORS = re.compile(r"#VALUE!|#REF!|#NAME\?|#DIV/0!|#NUM!|#NULL!|#N/A|Err:\d{3}")
#: Rows a printed page of a table holds at the least, one page wide (a sheet split
#: across pages by its columns, or printed small, takes far more pages than this allows).
ROWS_A_PAGE = 15


@pytest.fixture(scope="module")
def tool():
    return script("tools", "render_workbooks")


def _run(args: list[str]) -> None:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (args, res.output)


@pytest.fixture(scope="module")
def converted(tool, tmp_path_factory):
    """name -> (workbook, its PDF, the workbook saved again by LibreOffice)."""
    out = tmp_path_factory.mktemp("calc")
    books = tool.write_workbooks(out, sims=200, run=_run)
    pdfs = tool.convert(books, out / "pdf")
    again = tool.convert(books, out / "again", to="xlsx")
    return {b.stem: (b, pdf, x) for b, pdf, x in zip(books, pdfs, again)}


def test_every_command_converts_with_no_error_values(tool, converted):
    assert set(converted) == set(tool.COMMANDS)
    for name, (_, pdf, _) in converted.items():
        text = "\f".join(tool.page_texts(pdf))
        assert not ERRORS.findall(text), (name, ERRORS.findall(text)[:5])


def test_every_page_is_one_page_wide_with_its_header_and_few_pages(tool, converted):
    for name, (book, pdf, _) in converted.items():
        wb = openpyxl.load_workbook(book)
        pages = tool.page_texts(pdf)
        per_sheet = tool.sheet_pages(pdf)
        # every page names its sheet, and every sheet prints
        assert "?" not in per_sheet and set(per_sheet) == set(wb.sheetnames), (name, per_sheet)
        for ws in wb.worksheets:
            if ws.title == "Charts":  # a page per chart
                assert per_sheet[ws.title] == len(ws._charts), (name, per_sheet)
            elif ws.title == "Distributions":  # a page per histogram and its table
                assert per_sheet[ws.title] == len(ws.tables), (name, per_sheet)
            else:
                most = -(-ws.max_row // ROWS_A_PAGE)
                assert per_sheet[ws.title] <= most, (name, ws.title, ws.max_row, per_sheet)
        for ws in wb.worksheets:
            first = ws.cell(1, 1).value
            if ws.title in ("Summary", "Charts", "Distributions") or not first:
                continue
            last = ws.cell(1, ws.max_column).value  # a table's header across row 1
            mine = [p for p in pages if re.search(rf"^\s*{re.escape(ws.title)} · page", p, re.M)]
            for page in mine:  # the header row on every page, first to last column
                words = " ".join(page.split())
                assert re.findall(r"\w+", str(first))[0] in words, (name, ws.title)
                assert re.findall(r"\w+", str(last))[-1] in words, (name, ws.title, last)


def test_booleans_read_true_or_false(tool, converted):
    pages = tool.page_texts(converted["settle-sib"][1])
    settlement = next(p for p in pages if "payment_date" in p.split())
    rows = [line.split() for line in settlement.splitlines() if re.match(r"\s*[1-3]\s", line)]
    assert rows and all(r[1] == "TRUE" for r in rows), rows  # every cohort observed
    investors = next(p for p in pages if "Tranche" in p.split())
    assert "FALSE" in investors.split()  # paid back: no


def _numbers(wb, ref: str) -> list:
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    got = ws[cells.replace("$", "")]
    return [c.value for row in (got if isinstance(got, tuple) else ((got,),))
            for c in (row if isinstance(row, tuple) else (row,))]


def test_charts_keep_their_data_through_libreoffice(converted):
    for name, (book, _, again) in converted.items():
        mine, theirs = openpyxl.load_workbook(book), openpyxl.load_workbook(again)
        for ws in mine.worksheets:
            charts = ws._charts
            kept = theirs[ws.title]._charts
            assert len(kept) == len(charts), (name, ws.title)
            for chart in kept:
                assert chart.series, (name, ws.title)
                for series in chart.series:
                    values = _numbers(theirs, series.val.numRef.f if series.val is not None
                                      else series.yVal.numRef.f)
                    assert any(isinstance(v, (int, float)) for v in values), (name, ws.title)
