"""A workbook laid out in memory and streamed to disk by openpyxl's write-only mode.

Report writers place cells at (row, column) on a :class:`Sheet`, as they would on an
openpyxl worksheet, and add charts, Excel tables and a print setup; :meth:`Book.save`
then writes every sheet row by row with a write-only workbook, so a large sheet (one
row per simulation, see :meth:`Sheet.stream`) never holds a Python object per cell.
This is also the one place cell values are converted: numpy and pandas scalars become
plain numbers and dates, NaN becomes an empty cell, and every string is written as
text, so a spec's ``=HYPERLINK(...)`` is never a formula.

openpyxl is imported when a workbook is saved (and charts are made by the writers'
functions), never when this module is: a command that writes no workbook does not
load it. A cell's look is a :class:`FontStyle`, made an openpyxl ``Font`` on saving.
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


#: A chart's size on the ``Charts`` sheet (width, height) [cm], and the rows each chart's
#: page takes there: a chart and its note fit one landscape page, A4 or US letter.
CHART_SIZE = (24.0, 13.5)
CHART_ROWS = 30


@dataclass(frozen=True)
class FontStyle:
    """A cell's font: bold, and a size in points (None: the default)."""

    bold: bool = False
    size: float | None = None


BOLD = FontStyle(bold=True)


def plain(value: Any) -> Any:
    """A value openpyxl writes as itself: numpy/pandas scalars to Python, NaN/NaT to
    ``None``, containers to their text."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    pd = sys.modules.get("pandas")  # a pandas value exists only if pandas was imported
    if pd is not None and isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    if pd is not None and value is pd.NaT:
        return None
    return value


#: How a true/false cell shows: Excel shows a boolean as TRUE/FALSE whatever its format,
#: LibreOffice shows it through the format (as 1/0 under General).
BOOL_FORMAT = '"TRUE";"TRUE";"FALSE"'


@dataclass
class SheetCell:
    """One cell's value and look (the attributes report writers set); ``wrap``: the
    text wraps within the column's width (the row grows to hold it)."""

    value: Any = None
    number_format: str | None = None
    font: FontStyle | None = None
    wrap: bool = False
    span: int = 1  # columns the cell is merged across, from its own (wrapped text there)


@dataclass
class Sheet:
    """One worksheet laid out in memory.

    Attributes
    ----------
    title : the sheet's name
    cells : (row, column) -> :class:`SheetCell`, both 1-based
    freeze_panes : the top-left cell that is not frozen, e.g. ``"B2"``
    widths : column widths, from column A
    charts : (chart, anchor cell) pairs
    tables : Excel tables (filterable ranges) as (display name, range) pairs
    row_breaks : rows after which a printed page ends (so a chart is never cut)

    Every sheet prints landscape, its columns fitted to one page wide, with the sheet's
    name and the page number at the top of each page.
    """

    title: str
    cells: dict[tuple[int, int], SheetCell] = field(default_factory=dict)
    freeze_panes: str | None = None
    widths: list[float] = field(default_factory=list)
    charts: list[tuple[Any, str]] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)
    row_breaks: list[int] = field(default_factory=list)
    _stream: tuple[list[str], Iterable[list], list[str | None]] | None = None

    def cell(self, row: int, column: int, value: Any = None) -> SheetCell:
        """The cell at (row, column), created if new; ``value`` is stored if given."""
        c = self.cells.setdefault((row, column), SheetCell())
        if value is not None:
            c.value = value
        return c

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    def add_chart(self, chart, anchor: str) -> None:
        self.charts.append((chart, anchor))

    def add_table(self, name: str, first_row: int, n_columns: int, n_rows: int,
                  first_col: int = 1) -> None:
        """Make the block under a header at ``first_row`` an Excel table (filterable).
        The header's cells must be unique text."""
        if n_rows < 1 or n_columns < 1:
            return  # Excel refuses a table with no data rows
        from openpyxl.utils import get_column_letter
        ref = (f"{get_column_letter(first_col)}{first_row}:"
               f"{get_column_letter(first_col + n_columns - 1)}{first_row + n_rows}")
        self.tables.append((_table_name(name), ref))

    def stream(self, header: list[str], rows: Iterable[list], formats: list[str | None],
               table: str | None = None, n_rows: int | None = None) -> None:
        """Rows written after the laid-out cells, straight from an iterator (a large
        table): a bold header, then ``rows`` with ``formats`` per column. With ``table``
        and ``n_rows``, the block is an Excel table."""
        self._stream = (header, rows, formats)
        if table and n_rows:
            top = self.max_row + 1
            self.add_table(table, top, len(header), n_rows)


def _table_name(name: str) -> str:
    """An Excel table display name: letters, digits and underscores, not like a cell."""
    clean = re.sub(r"\W", "_", name).strip("_") or "Table"
    return clean if clean[0].isalpha() else f"T_{clean}"


class Book:
    """Sheets laid out in memory; :meth:`save` streams them to an ``.xlsx`` file."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def sheet(self, title: str) -> Sheet:
        """A new sheet at the end of the book."""
        ws = Sheet(title)
        self.sheets.append(ws)
        return ws

    def chart(self, chart, note: str = "") -> None:
        """Put ``chart`` on the ``Charts`` sheet (made on first use, after ``Summary``),
        below the charts already there: each chart its own printed page, at
        :data:`CHART_SIZE`, with ``note`` (where its data is) above it."""
        charts = next((s for s in self.sheets if s.title == "Charts"), None)
        if charts is None:
            charts = Sheet("Charts")
            charts.widths = [12] * 14
            at = 1 if self.sheets and self.sheets[0].title == "Summary" else len(self.sheets)
            self.sheets.insert(at, charts)
        top = len(charts.charts) * CHART_ROWS + 1
        if charts.charts:
            charts.row_breaks.append(top - 1)
        if note:
            charts.cell(top, 1, note)
        chart.width, chart.height = CHART_SIZE
        charts.add_chart(chart, f"A{top + 1}")

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.sheets]

    def save(self, filename) -> None:
        """Write the workbook to ``filename`` (openpyxl write-only mode)."""
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        names: set[str] = set()
        try:
            for sheet in self.sheets:
                _render(wb.create_sheet(sheet.title), sheet, names)
            wb.save(filename)
        except BaseException:
            _abandon(wb)
            raise


def _abandon(wb) -> None:
    """Close the sheets' row streams and scratch files after a failed save, so nothing
    is left open (or complains when collected)."""
    for ws in wb.worksheets:
        try:
            if getattr(ws, "_rows", None) is not None:
                ws._rows.close()
        except Exception:  # the stream's file may be gone already
            pass
        writer = getattr(ws, "_writer", None)
        try:
            if writer is not None:
                writer.out and os.path.exists(writer.out) and os.remove(writer.out)
        except Exception:
            pass


def _render(ws, sheet: Sheet, table_names: set[str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableStyleInfo
    for j, width in enumerate(sheet.widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = width
    if sheet.freeze_panes:
        ws.freeze_panes = sheet.freeze_panes
    from .pagesetup import print_setup, row_heights
    print_setup(ws, sheet)  # before the first row: write-only mode writes it first
    for row, height in row_heights(sheet).items():
        ws.row_dimensions[row].height = height
    for (r, c), cell in sheet.cells.items():
        if cell.span > 1:
            last = get_column_letter(c + cell.span - 1)
            ws.merged_cells.add(f"{get_column_letter(c)}{r}:{last}{r}")
    for name, ref in sheet.tables:
        table = Table(displayName=_unique(name, table_names), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        table._initialise_columns()
        table.autoFilter = AutoFilter(ref=ref)
        with warnings.catch_warnings():  # we name the columns (_name_table_columns)
            warnings.simplefilter("ignore", UserWarning)
            ws.add_table(table)
    for row in _rows(ws, sheet):
        ws.append(row)
    _name_table_columns(ws, sheet)
    for chart, anchor in sheet.charts:
        ws.add_chart(chart, anchor)


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out.lower() in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out.lower())
    return out


def _name_table_columns(ws, sheet: Sheet) -> None:
    """Excel needs each table column named as its header cell."""
    from openpyxl.utils import range_boundaries
    for table in ws.tables.values():
        min_col, row, _, _ = range_boundaries(table.ref)
        for i, col in enumerate(table.tableColumns):
            col.name = _header_text(sheet, row, min_col + i)


def _header_text(sheet: Sheet, row: int, column: int) -> str:
    if (row, column) in sheet.cells:
        return str(sheet.cells[(row, column)].value)
    if sheet._stream is not None:
        header = sheet._stream[0]
        if 0 < column <= len(header):
            return str(header[column - 1])
    return f"Column{column}"


class _Cells:
    """Makes the write-only cells of one sheet (openpyxl's classes looked up once)."""

    def __init__(self, ws) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
        self.ws, self.make, self.font_of = ws, WriteOnlyCell, Font
        self.fonts: dict[FontStyle, Any] = {}
        self.wrapped = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")

    def __call__(self, value: Any, number_format: str | None = None,
                 font: FontStyle | None = None, wrap: bool = False, top: bool = False):
        """A cell; ``wrap``: its text wraps; ``top``: it sits at the top of a row made
        tall by a wrapped neighbour (as the wrapped text does)."""
        value = plain(value)
        if value is None and number_format is None and font is None:
            return None
        cell = self.make(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula
        if isinstance(value, bool) and number_format is None:
            number_format = BOOL_FORMAT
        if number_format:
            cell.number_format = number_format
        if wrap or top:
            cell.alignment = self.wrapped if wrap else self.top
        if font is not None:
            if font not in self.fonts:
                self.fonts[font] = (self.font_of(bold=True, size=font.size) if font.bold
                                    else self.font_of(size=font.size))
            cell.font = self.fonts[font]
        return cell


def _rows(ws, sheet: Sheet) -> Iterator[list]:
    _cell = _Cells(ws)
    by_row: dict[int, dict[int, SheetCell]] = {}
    for (r, c), cell in sheet.cells.items():
        by_row.setdefault(r, {})[c] = cell
    last = max(by_row, default=0)
    for r in range(1, last + 1):
        cols = by_row.get(r, {})
        width = max(cols, default=0)
        tall = any(cell.wrap for cell in cols.values())
        yield [_cell(cols[c].value, cols[c].number_format, cols[c].font, cols[c].wrap, tall)
               if c in cols
               else None for c in range(1, width + 1)]
    if sheet._stream is not None:
        header, rows, formats = sheet._stream
        yield [_cell(h, font=BOLD) for h in header]
        for values in rows:
            yield [_cell(v, f) for v, f in zip(values, formats)]


def frame_rows(frame: pd.DataFrame) -> Iterator[list]:
    """A data frame's rows as lists, index first, in blocks (for :meth:`Sheet.stream`)."""
    for start in range(0, len(frame), 4096):
        block = frame.iloc[start:start + 4096].reset_index()
        yield from block.itertuples(index=False, name=None)

