"""How a sheet prints and how tall its rows are (for :mod:`pbr_model.report.book`).

Every sheet prints landscape, fitted to one page wide, its table's header row on every page
and its name and page number at the top; a spreadsheet does not grow a row to fit wrapped
text on opening, so rows holding wrapped text are given their height here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .book import Sheet

#: Every printed page's header (sheet name, page of pages) and footer (the file's name).
PAGE_HEADER = "&A · page &P of &N"
PAGE_FOOTER = "&F"
#: Height of one line of text in a row [points] (openpyxl's default row height).
LINE_HEIGHT = 15.0


def print_setup(ws, sheet: Sheet) -> None:
    """Landscape, one page wide (as many pages down as it takes), the header row on every
    page, the sheet's name and page number at the top, the manual page breaks."""
    from openpyxl.worksheet.pagebreak import Break
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = PAGE_HEADER
    ws.oddFooter.center.text = PAGE_FOOTER
    row = _frozen_row(sheet.freeze_panes)   # a table's header: the row above the panes
    if row:
        ws.print_title_rows = f"{row}:{row}"
    for r in sheet.row_breaks:
        ws.row_breaks.append(Break(id=r))


def _frozen_row(freeze: str | None) -> int | None:
    """The last frozen row of a freeze cell such as ``"B25"`` (24), None if none."""
    digits = re.sub(r"\D", "", freeze or "")
    return int(digits) - 1 if digits and int(digits) > 1 else None


def row_heights(sheet: Sheet) -> dict[int, float]:
    """The height of each row holding wrapped text [points]: enough lines for its longest
    text at its column's width (openpyxl writes no height of its own, and a spreadsheet
    does not grow a row on opening)."""
    heights: dict[int, float] = {}
    for (r, c), cell in sheet.cells.items():
        if not cell.wrap or cell.value is None:
            continue
        width = sum(sheet.widths[k - 1] if k <= len(sheet.widths) else 8.43
                    for k in range(c, c + cell.span))
        lines = _lines(str(cell.value), max(width, 1) * (0.92 if cell.font else 1.0))
        heights[r] = max(heights.get(r, LINE_HEIGHT), LINE_HEIGHT * lines)
    return heights


def _lines(text: str, chars: float) -> int:
    """Lines ``text`` takes wrapped at word boundaries within ``chars`` characters."""
    lines = 0
    for para in text.split("\n"):
        n, used = 1, 0
        for word in para.split():
            if used and used + 1 + len(word) > chars:
                n, used = n + 1, len(word)
            else:
                used += len(word) + (1 if used else 0)
            while used > chars:  # a word longer than the column breaks anywhere
                n, used = n + 1, used - int(chars)
        lines += n
    return lines
