"""Fuzz the Excel input workbook (``pbr template``): Value cells of other types (text for
numbers, formulas, dates, huge and non-finite numbers), Field cells changed (typos, list
indices of a billion, paths repeated), rows and sheets added or removed. Every run must exit
0, or exit 2 with ``Error:`` lines; never a traceback."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import NASTY_NUMBERS, NASTY_TEXT, check, fuzz_settings, run

SOURCES = ["peterborough-sib", "doncaster-pbr"]

cell_values = st.one_of(
    st.sampled_from(NASTY_NUMBERS), st.sampled_from(NASTY_TEXT[:20]),
    st.sampled_from(["=1+1", "=A1", "=HYPERLINK(\"http://x\",\"y\")", "#N/A", "TRUE", None]),
    st.booleans(), st.integers(-(2**53), 2**53), st.floats(-1e6, 1e6),
    st.dates(dt.date(1900, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(9999, 12, 31)),
)
field_names = st.sampled_from(["payments.1000000000.type", "payments.0.typo", "contract",
                               "contract.name.x", "", "population.bands.99.share",
                               "cohorts.entrants_per_period", "x" * 300, "=A1",
                               "payments.-1.type", "contract..name"])


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    out = {}
    for source in SOURCES:
        path = folder / f"{source}.xlsx"
        assert run(["template", str(path), "--from", source]).kind == "ok"
        out[source] = path.read_bytes()
    return out


@pytest.mark.slow
@fuzz_settings(10)
@given(data=st.data())
def test_template_workbooks(templates, data):
    source = data.draw(st.sampled_from(SOURCES), label="source")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.xlsx"
        path.write_bytes(templates[source])
        book = openpyxl.load_workbook(path)
        sheets = [ws for ws in book.worksheets if ws.max_column >= 2 and ws.max_row >= 2]
        changes = []
        for _ in range(data.draw(st.integers(1, 4), label="changes")):
            ws = data.draw(st.sampled_from(sheets))
            row = data.draw(st.integers(2, ws.max_row + 1))
            op = data.draw(st.sampled_from(["value", "value", "value", "field", "clear",
                                            "drop_sheet", "rename_sheet"]))
            if op == "value":
                ws.cell(row=row, column=2, value=data.draw(cell_values))
            elif op == "field":
                ws.cell(row=row, column=1, value=data.draw(field_names))
                ws.cell(row=row, column=2, value=data.draw(cell_values))
            elif op == "clear":
                ws.delete_rows(row)
            elif op == "drop_sheet" and len(book.worksheets) > 1:
                book.remove(ws)
                sheets.remove(ws)
                if not sheets:
                    break
            elif op == "rename_sheet":
                ws.title = data.draw(st.sampled_from(["Sheet", "x", "contract2"]))
            changes.append(f"{op} {ws.title}!{row}")
        book.save(path)
        note = {"changes.txt": "\n".join(changes).encode()}
        check("workbook", ["validate", path], note)
        check("workbook", ["simulate", path, "--sims", "20"], note)
