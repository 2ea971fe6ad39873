"""Excel input workbooks, read: a workbook written by :func:`~.template.write_template`
(and edited) read back as spec data.

:func:`read_workbook` reads such a workbook into the plain data
:func:`~pbr_model.spec.load.read_toml` returns, with the cell of every field, so
that a validation error names the sheet, the cell and the field. Only the Field and
Value columns are read; an empty value omits the field (its default applies). A
field's old name (see :mod:`.renames`) is read as its new one, with a warning.
Nothing in a workbook is ever executed: a formula counts only through the result
Excel saved with it.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel

from ..errors import MAX_ECHO, SpecError, clip, short
from ._base import MAX_LIST_ITEMS
from .fields import field_type, kinds
from .reading import parse_value
from .reading import MAX_DEPTH
from .renames import new_path, warn_renamed
from .schema import ContractSpec
from .template import COLUMNS, README

#: The largest workbook read, on disk and unzipped [bytes], and the most rows a sheet may
#: have: a template is about 40 KB (180 KB unzipped) and a few hundred rows, so more is not
#: a spec (and reading it would take minutes and gigabytes).
MAX_WORKBOOK_BYTES = 5_000_000
MAX_UNZIPPED_BYTES = 10_000_000
MAX_ROWS = 10_000

_PART = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class _Cell:
    """A Field/Value pair read from a sheet (``value`` None: empty); ``given`` is the path as
    written, ``path`` its new spelling if it was an old one."""

    sheet: str
    row: int
    path: str
    value: Any
    given: str

    @property
    def where(self) -> str:
        return _at(self.sheet, f"B{self.row}")


def _at(sheet: str, cell: str | None = None) -> str:
    return f"sheet '{sheet}'" + (f", cell {cell}" if cell else "")


class _Problems(list):
    """Reading problems, one line each: ``FILE: sheet 'x', cell A5: message``."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def add(self, where: str, message: str) -> None:
        self.append(f"{self.source}: {where}: {message}")


def read_workbook(path: str | Path, root: type[BaseModel] = ContractSpec
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    """Read an input workbook into plain spec data and the cell of every field.

    Parameters
    ----------
    path : an ``.xlsx`` file written by :func:`write_template` (and edited)
    root : what it holds: a contract spec (a sheet per section), or a provider profile
        (:class:`~pbr_model.spec.parties.ProfileFile`: one ``provider`` sheet)

    Returns
    -------
    data : dict
        Nested plain data, the shape :func:`~pbr_model.spec.load.read_toml` returns.
    where : dict
        Dotted path -> location: ``"sheet 'payments', cell B7"`` for a field (empty or
        not), ``"sheet 'payments', rows 7-15"`` for a list item or sub-section, ``"sheet
        'payments'"`` for a section.

    Raises
    ------
    SpecError
        With one line per problem, each naming the file, sheet and cell: not a workbook,
        unknown sheets, rows without a path, malformed or repeated paths, formulas with no
        saved result, Excel errors, gaps in list indexes.
    """
    path = Path(path)
    books = _open(path)
    problems = _Problems(str(path))
    cells = [c for name in books[0].sheetnames if name != README
             for c in _sheet_cells(books, name, problems, root)]
    # a deleted sheet must not read as its section's defaults; a workbook with none of the
    # sections is not a template at all, which its "unknown sheet" lines say
    present = set(books[0].sheetnames)
    missing = [n for n in root.model_fields if n not in present]
    if len(missing) < len(root.model_fields):
        for name in missing:
            problems.add(_at(name), "missing: a template has a sheet for every section, even "
                         "one left at its defaults, so a deleted sheet is never read as the "
                         "defaults without notice; copy it back from a workbook `pbr template` "
                         f"writes, or add an empty sheet named '{name}' to take its defaults")
    data, where = _assemble(cells, problems, root)
    if problems:
        raise SpecError(list(problems))
    return data, where


def _open(path: Path) -> tuple[Workbook, Workbook | None]:
    """The workbook with formulas, and with Excel's saved results if it has any formula."""
    if path.suffix.lower() != ".xlsx":
        raise SpecError(f"{path}: only .xlsx workbooks can be read as a spec; save it as an "
                        "Excel Workbook (.xlsx)")
    try:
        _check_size(path)
        book = load_workbook(path, data_only=False)
        for ws in book.worksheets:
            if ws.max_row > MAX_ROWS:
                raise SpecError(f"{path}: {_at(ws.title)}: has {ws.max_row:,} rows, more than "
                                f"the {MAX_ROWS:,} a sheet of an input workbook may have; "
                                "delete the rows below the fields")
        has_formula = any(c.data_type == "f" for ws in book.worksheets
                          for row in ws.iter_rows(max_col=2) for c in row)
        values = load_workbook(path, data_only=True) if has_formula else None
    except SpecError:
        raise
    except OSError as exc:
        raise SpecError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError,
            AttributeError, SyntaxError) as exc:  # a damaged file: openpyxl raises any of these
        raise SpecError(f"{path}: not a readable Excel workbook (.xlsx): {exc}") from None
    return book, values


def _check_size(path: Path) -> None:
    """Refuse a workbook too large to be a template, before openpyxl unpacks it."""
    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise SpecError(f"{path}: larger than {MAX_WORKBOOK_BYTES:,} bytes, the most an input "
                        "workbook may be; is it the right file?")
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(item.file_size for item in archive.infolist())
    if unzipped > MAX_UNZIPPED_BYTES:
        raise SpecError(f"{path}: unpacks to {unzipped:,} bytes, more than the "
                        f"{MAX_UNZIPPED_BYTES:,} an input workbook may; is it the right file?")


def _sheet_cells(books: tuple[Workbook, Workbook | None], name: str,
                 problems: _Problems, root: type[BaseModel]) -> list[_Cell]:
    """The Field/Value pairs of one section sheet (blank rows skipped)."""
    book, values = books
    ws = book[name]
    if name not in root.model_fields or not hasattr(ws, "iter_rows"):
        problems.add(_at(name), f"unknown sheet; a template has '{README}' and one sheet per "
                     "section: " + ", ".join(root.model_fields))
        return []
    # a merge keeps only its first cell's value: one over rows of the Field or Value column,
    # or joining a Field to its Value, would leave cells that read as empty (a Value merged
    # with the Unit beside it keeps its value, so it is harmless)
    merged = [r for r in ws.merged_cells.ranges
              if r.min_col <= 2 and (r.max_row > r.min_row or r.min_col == 1 < r.max_col)]
    for cells in sorted(merged, key=lambda r: (r.min_row, r.min_col)):
        problems.add(f"{_at(name)}, cells {cells.coord}", "merged: each field needs its own "
                     "Field and Value cells; unmerge them")
    if merged:
        return []
    if all(c.value is None for row in ws.iter_rows(max_col=2) for c in row):
        return []   # nothing in its Field or Value cells (cleared): the section's defaults
    header = [_text(ws.cell(row=1, column=j).value).lower() for j in (1, 2)]
    if header != ["field", "value"]:
        problems.add(_at(name, "A1"), "the first row must be the header: " + ", ".join(COLUMNS))
        return []
    out = []
    for field, value in ws.iter_rows(min_row=2, max_col=2):
        cell = _read_row(field, value, values[name] if values else None, name, problems, root)
        if cell is not None:
            out.append(cell)
    return out


def _read_row(field, value, cached_ws, sheet: str, problems: _Problems,
              root: type[BaseModel]) -> _Cell | None:
    """One row's path and value; None for a blank row or a problem (recorded)."""
    content = _value(value, cached_ws, sheet, problems)
    path = field.value
    if path is None or (isinstance(path, str) and not path.strip()):
        if content is not _BAD and not _empty(content):
            problems.add(_at(sheet, field.coordinate), f"a value ({short(content)}) with no field "
                         "path; put the field's dotted path in column A")
        return None
    if field.data_type == "f" or not isinstance(path, str):
        problems.add(_at(sheet, field.coordinate), "the Field cell must be a dotted path typed "
                     f"as text, e.g. {sheet}.name (got {short(path)})")
        return None
    path = path.strip()
    problem = _path_problem(path, sheet, root)
    if problem:
        problems.add(_at(sheet, field.coordinate), problem)
        return None
    if content is _BAD:
        return None
    new = new_path(path)
    if new is not None:
        warn_renamed(path, new, f"rename it in {problems.source} ({_at(sheet, field.coordinate)})")
    return _Cell(sheet, field.row, new or path, None if _empty(content) else content, path)


def _path_problem(path: str, sheet: str, root: type[BaseModel]) -> str | None:
    parts = path.split(".")
    if len(path) > MAX_ECHO or len(parts) > MAX_DEPTH:
        return (f"{clip(path)} is too long to be a field path (at most {MAX_ECHO} characters "
                f"and {MAX_DEPTH} parts)")
    if not all(_PART.match(p) for p in parts):
        return (f"{short(path)} is not a field path: names or 0-based indexes joined by dots, "
                "e.g. payments.0.rates.1.price")
    big = next((p for p in parts if p.isdigit() and (len(p) > 6 or int(p) >= MAX_LIST_ITEMS)),
               None)
    if big is not None:
        return (f"{clip(path)}: list index {clip(big)} is too large; a list in a spec "
                f"has at most {MAX_LIST_ITEMS:,} items (indexes 0 to {MAX_LIST_ITEMS - 1})")
    if parts[0] == sheet and len(parts) == 1:
        return f"{path}: is the section itself; give each of its fields a row of its own"
    if parts[0] != sheet:
        home = (f"belongs on sheet '{parts[0]}'" if parts[0] in root.model_fields
                else "names no section")
        return f"{path}: paths on this sheet start with '{sheet}.'; this one {home}"
    return None


_BAD = object()  # a value cell that could not be read (its problem is recorded)


def _value(cell, cached_ws, sheet: str, problems: _Problems) -> Any:
    """A value cell's content, a formula's saved result, or ``_BAD`` after a problem."""
    if cell.data_type == "f":
        result = cached_ws[cell.coordinate] if cached_ws is not None else None
        if result is None or result.value is None:
            problems.add(_at(sheet, cell.coordinate), f"holds the formula "
                         f"{clip(str(cell.value))} with no saved result; type the value "
                         "instead (pbr never calculates formulas)")
            return _BAD
        cell = result
    if cell.data_type == "e":
        problems.add(_at(sheet, cell.coordinate), f"holds the Excel error {cell.value}; type "
                     "a value")
        return _BAD
    return cell.value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _assemble(cells: list[_Cell], problems: _Problems,
              root: type[BaseModel]) -> tuple[dict, dict[str, str]]:
    """Nested data from the cells (values typed by the schema) and every path's location."""
    where: dict[str, str] = {}
    seen: dict[str, _Cell] = {}
    tree: dict = {}
    placed = []
    for cell in cells:
        first = seen.get(cell.path)
        if first is not None and first.given == cell.given:
            problems.add(_at(cell.sheet, f"A{cell.row}"), f"{cell.path}: given twice (also in "
                         f"row {first.row}); keep one row")
            continue
        if first is not None:
            problems.add(_at(cell.sheet, f"A{cell.row}"), f"{cell.given}: {cell.path} is given "
                         f"by both its names (also {first.given} in row {first.row}); keep the "
                         f"row named {cell.path}")
            continue
        seen[cell.path] = cell
        where[cell.path] = cell.where
        if cell.value is not None and _insert(tree, cell, problems):
            placed.append(cell)
    for cell in placed:  # after all rows: a payment's fields are typed by its `type` row
        _type(tree, cell.path, root)
    _containers(cells, where)
    return _lists(tree, "", where, problems), where


def _keys(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def _insert(tree: dict, cell: _Cell, problems: _Problems) -> bool:
    keys = _keys(cell.path)
    node = tree
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            above = ".".join(str(k) for k in keys[: depth + 1])
            problems.add(_at(cell.sheet, f"A{cell.row}"), f"{cell.path}: {above} has a value "
                         "of its own, so it cannot also have fields; empty one of the two")
            return False
        node = child
    if isinstance(node.get(keys[-1]), dict):
        problems.add(_at(cell.sheet, f"A{cell.row}"), f"{cell.path}: has fields of its own; "
                     "give them values, not it")
        return False
    node[keys[-1]] = cell.value
    return True


def _type(tree: dict, path: str, root: type[BaseModel]) -> None:
    """Give a value in ``tree`` the type its field takes."""
    keys = _keys(path)
    node = tree
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = _coerce(node[keys[-1]], kinds(field_type(keys, tree, root)))


def _coerce(value: Any, kinds: set[str]) -> Any:
    """A cell's value in the type its field takes; what does not fit is left for validation
    to report. Excel dates become dates, whole numbers ints for whole-number fields, numbers
    text for text fields, and text is read as a TOML value (number, list, date) elsewhere."""
    if not kinds or isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.date() if "date" in kinds and value.time() == dt.time() else value
    if isinstance(value, (int, float)):
        if "int" in kinds and "float" not in kinds and float(value).is_integer():
            return int(value)
        if kinds <= {"date", "none"}:
            return _serial_date(value)
        if kinds <= {"text", "none"}:
            return str(int(value)) if float(value).is_integer() else repr(value)
        return value
    if isinstance(value, str) and not kinds & {"text", "other"}:
        text = value.strip()
        if "bool" in kinds and text.lower() in ("true", "false"):
            return text.lower() == "true"
        parsed = parse_value(text)
        return value if isinstance(parsed, str) else _coerce(parsed, kinds)
    return value


def _serial_date(value: float) -> Any:
    """An Excel date serial (a date cell that lost its format) as a date."""
    try:
        stamp = from_excel(value)
    except (ValueError, OverflowError, TypeError):
        return value
    return stamp.date() if isinstance(stamp, dt.datetime) and stamp.time() == dt.time() else value


def _containers(cells: list[_Cell], where: dict[str, str]) -> None:
    """Locate every list item and sub-section by its rows, and every section by its sheet."""
    spans: dict[str, tuple[str, int, int]] = {}
    for cell in cells:
        parts = cell.path.split(".")
        where.setdefault(parts[0], _at(cell.sheet))
        for depth in range(2, len(parts)):
            prefix = ".".join(parts[:depth])
            sheet, lo, hi = spans.get(prefix, (cell.sheet, cell.row, cell.row))
            spans[prefix] = (sheet, min(lo, cell.row), max(hi, cell.row))
    for prefix, (sheet, lo, hi) in spans.items():
        rows = f"row {lo}" if lo == hi else f"rows {lo}-{hi}"
        where.setdefault(prefix, f"{_at(sheet)}, {rows}")


def _lists(node: Any, path: str, where: dict[str, str], problems: _Problems) -> Any:
    """Turn tables keyed by indexes into lists, reporting gaps (``payments.0`` and
    ``payments.2`` with no ``payments.1``)."""
    if not isinstance(node, dict):
        return node
    out = {k: _lists(v, f"{path}{k}.", where, problems) for k, v in node.items()}
    if not out or not all(isinstance(k, int) for k in out):
        return {str(k): v for k, v in out.items()}
    indexes = sorted(out)
    missing = [i for i in range(indexes[-1] + 1) if i not in out]
    if missing:
        after = f"{path}{next(i for i in indexes if i > missing[0])}"
        problems.add(where.get(after, _at(path.split(".", 1)[0])),
                     f"{after}: list indexes must run 0, 1, 2, ... without gaps, but "
                     f"{path}{missing[0]} has no values; renumber the rows or fill them in")
    return [out[i] for i in indexes]
