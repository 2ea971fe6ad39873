"""Reading workbooks back in the tests."""


def header_row(ws, first: str) -> int:
    """The row whose first cell is ``first`` (a table's header) in sheet ``ws``."""
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == first:
            return cell.row
    raise AssertionError(f"no row starting {first!r} in {ws.title}")
