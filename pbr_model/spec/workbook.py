"""Excel input workbooks: a contract spec as a workbook, and a workbook read back as a spec.

:func:`write_template` writes a ``Read me`` sheet, then one sheet per top-level
section of the spec (``contract``, ``cohorts``, ... in schema order) with one row
per field: ``Field`` (dotted path from the top of the spec, as for ``--set``),
``Value``, ``Unit``, ``Allowed`` and ``Description``. Value cells carry Excel data
validation (choices, bounds, dates). A section or list that is absent (``sib``
without a bond, an empty ``supply_chain``, a rate without a ``hurdle``) still gets
its rows, with empty values, so that it can be filled in.

:func:`read_workbook` reads such a workbook back into the plain data
:func:`~pbr_model.spec.load.read_toml` returns, with the cell of every field, so
that a validation error names the sheet, the cell and the field. Only the Field and
Value columns are read; an empty value omits the field (its default applies).
Nothing in a workbook is ever executed: a formula counts only through the result
Excel saved with it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .._version import __version__
from ..errors import SpecError
from ..files import atomic_write, check_output
from .fields import _unit
from .load import LoadedSpec, parse_value
from .schema import ContractSpec

README = "Read me"
COLUMNS = ("Field", "Value", "Unit", "Allowed", "Description")
WIDTHS = (46, 24, 22, 40, 110)
VALUE_FILL = PatternFill("solid", start_color="FFF2CC")  # pale yellow: the cells to edit
DATE_FORMAT = "yyyy-mm-dd"
_PART = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|0|[1-9][0-9]*)$")
_NUMBER_KINDS = {"int", "float"}


# -- reading the schema ---------------------------------------------------------------------------

def _unwrap(ann: Any) -> Any:
    """``Annotated[X, ...]`` -> ``X``."""
    return typing.get_args(ann)[0] if typing.get_origin(ann) is Annotated else ann


def _members(ann: Any) -> tuple[Any, ...]:
    """The members of a union (``X | None`` included), or ``(ann,)``."""
    ann = _unwrap(ann)
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return tuple(_unwrap(a) for a in typing.get_args(ann))
    return (ann,)


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _submodel(ann: Any) -> type[BaseModel] | None:
    """The model of a (possibly optional) sub-section field, else None."""
    models = [m for m in _members(ann) if _is_model(m)]
    rest = [m for m in _members(ann) if not _is_model(m) and m is not type(None)]
    return models[0] if len(models) == 1 and not rest else None


def _variants(ann: Any) -> dict[str, type[BaseModel]]:
    """A tagged union of models (the payments) as ``{type tag: model}``; {} otherwise."""
    out: dict[str, type[BaseModel]] = {}
    for member in _members(ann):
        if not _is_model(member) or "type" not in member.model_fields:
            return {}
        tag = member.model_fields["type"].annotation
        if typing.get_origin(tag) is not Literal:
            return {}
        out.update({t: member for t in typing.get_args(tag)})
    return out if len(_members(ann)) > 1 else {}


def _list_item(ann: Any) -> Any | None:
    """The item type of a list of models (or of tagged models); None for other fields."""
    ann = _unwrap(ann)
    if typing.get_origin(ann) is not list:
        return None
    item = typing.get_args(ann)[0]
    return item if _is_model(_unwrap(item)) or _variants(item) else None


def _kinds(ann: Any) -> set[str]:
    """What a field accepts, as a set of: int, float, bool, text, date, list, none, other."""
    kinds: set[str] = set()
    for member in _members(ann):
        if typing.get_origin(member) is Literal:
            kinds.add("text")
        elif typing.get_origin(member) is list:
            kinds.add("list")
        elif member is type(None):
            kinds.add("none")
        else:
            kinds.add({bool: "bool", int: "int", float: "float", str: "text",
                       dt.date: "date"}.get(member, "other"))
    return kinds


def _choices(ann: Any) -> tuple[str, ...]:
    return tuple(a for m in _members(ann) if typing.get_origin(m) is Literal
                 for a in typing.get_args(m))


def _bounds(info: FieldInfo) -> dict[str, float]:
    """Numeric bounds of a field from its constraints: ``{"ge": 0, "le": 1}``."""
    out = {}
    for meta in info.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(meta, attr, None) is not None:
                out[attr] = getattr(meta, attr)
    return out


def _lengths(info: FieldInfo) -> tuple[int | None, int | None, str | None]:
    lo = hi = pattern = None
    for meta in info.metadata:
        lo = getattr(meta, "min_length", None) if lo is None else lo
        hi = getattr(meta, "max_length", None) if hi is None else hi
        pattern = getattr(meta, "pattern", None) if pattern is None else pattern
    return lo, hi, pattern


def _num(x: float) -> str:
    """A bound for people: ``1,000,000``, ``0.5``, ``-1``."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"


# -- the rows of a template ---------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateRow:
    """One row of a section sheet: a leaf field, its value (None: empty) and its schema.
    ``absent``: the row is under a section or list item the spec does not have."""

    path: str
    value: Any
    info: FieldInfo
    choices: tuple[str, ...] = ()
    note: str = ""
    absent: bool = False

    @property
    def kinds(self) -> set[str]:
        return _kinds(self.info.annotation)

    @property
    def description(self) -> str:
        return " ".join(p for p in (self.info.description or "", self.note) if p)


def template_rows(spec: ContractSpec) -> Iterator[TemplateRow]:
    """Every leaf field of ``spec`` in schema order, lists by index, plus empty rows for
    absent optional sections and the first item of empty lists (to be filled in)."""
    yield from _rows(ContractSpec, spec, "")


def _rows(model: type[BaseModel], value: BaseModel | None, prefix: str,
          tags: tuple[str, ...] = ()) -> Iterator[TemplateRow]:
    absent = value is None
    for name, info in model.model_fields.items():
        path = prefix + name
        current = None if absent else getattr(value, name)
        sub, item = _submodel(info.annotation), _list_item(info.annotation)
        if sub is not None:
            yield from _rows(sub, current, path + ".")
        elif item is not None:
            yield from _item_rows(item, current or [], path)
        elif tags and name == "type":
            yield TemplateRow(path, current, info, tags,
                              "Changing it changes which fields this item has.", absent)
        else:
            yield TemplateRow(path, current, info, _choices(info.annotation), absent=absent)


def _item_rows(item: Any, values: list, path: str) -> Iterator[TemplateRow]:
    variants = _variants(item)
    tags = tuple(variants)
    for i, value in enumerate(values):
        yield from _rows(type(value), value, f"{path}.{i}.", tags)
    if values:
        return
    if not variants:
        yield from _rows(_unwrap(item), None, f"{path}.0.")
        return
    info = next(iter(variants.values())).model_fields["type"]
    yield TemplateRow(f"{path}.0.type", None, info, tags,
                      f"None yet. To add one, give its type here and add its fields as rows "
                      f"{path}.0.FIELD (see docs/contract-spec.md).", absent=True)


def allowed(row: TemplateRow) -> str:
    """The Allowed column: what the value may be, and whether it is required."""
    kinds, bounds = row.kinds, _bounds(row.info)
    if row.choices:
        text = "one of: " + ", ".join(row.choices)
    elif "bool" in kinds:
        text = "TRUE or FALSE"
    elif "date" in kinds:
        text = "date YYYY-MM-DD"
    elif "list" in kinds:
        text = ("number, or a list, e.g. [100, 120]" if kinds & _NUMBER_KINDS
                else "list, e.g. [0.1, 0.2]")
    elif kinds & _NUMBER_KINDS:
        text = ("whole number" if "float" not in kinds else "number") + _bounds_text(bounds)
    else:
        text = "text" + _text_limits(row.info)
    return f"{text} ({_presence(row.info, row.absent)})"


def _bounds_text(bounds: dict[str, float]) -> str:
    if "ge" in bounds and "le" in bounds:
        return f" from {_num(bounds['ge'])} to {_num(bounds['le'])}"
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = [f"{symbols[k]} {_num(v)}" for k, v in bounds.items()]
    return (" " + " and ".join(parts)) if parts else ""


def _text_limits(info: FieldInfo) -> str:
    lo, hi, pattern = _lengths(info)
    parts = []
    if hi is not None:
        parts.append(f"{lo or 0} to {hi} characters" if lo else f"up to {hi} characters")
    if pattern is not None:
        parts.append(f"matching {pattern}")
    return (", " + ", ".join(parts)) if parts else ""


def _presence(info: FieldInfo, absent: bool = False) -> str:
    if info.is_required():
        return "required if this section or item is used" if absent else "required"
    default = info.default
    if default is None or default is PydanticUndefined:
        return "optional"
    if isinstance(default, bool):
        return f"optional, default {str(default).upper()}"
    if isinstance(default, (int, float)):
        return f"optional, default {_num(default)}"
    return f"optional, default {default}"


def _validation(row: TemplateRow, cell: str) -> DataValidation | None:
    """Excel data validation for a value cell, or None when Excel cannot check the field
    (text lists, a number-or-list). ``cell`` is the cell's coordinate, for custom rules."""
    kinds, bounds = row.kinds, _bounds(row.info)
    if row.choices or "bool" in kinds:
        items = row.choices or ("TRUE", "FALSE")
        return _dv("list", formula1='"' + ",".join(items) + '"')
    if "date" in kinds:
        return _dv("date", "between", "DATE(1900,1,1)", "DATE(9999,12,31)")
    if "list" in kinds or not kinds & _NUMBER_KINDS:
        lo, hi, _ = _lengths(row.info)
        if "text" in kinds and hi is not None:
            return _dv("textLength", "between", str(lo or 0), str(hi))
        return None
    kind = "decimal" if "float" in kinds else "whole"
    if set(bounds) == {"ge", "le"}:
        return _dv(kind, "between", _formula_num(bounds["ge"]), _formula_num(bounds["le"]))
    operators = {"ge": "greaterThanOrEqual", "gt": "greaterThan", "le": "lessThanOrEqual",
                 "lt": "lessThan"}
    if len(bounds) == 1:
        (key, bound), = bounds.items()
        return _dv(kind, operators[key], _formula_num(bound))
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    tests = [f"ISNUMBER({cell})", *(f"{cell}{symbols[k]}{_formula_num(v)}"
                                    for k, v in bounds.items())]
    if kind == "whole":
        tests.append(f"{cell}=INT({cell})")
    return _dv("custom", formula1="AND(" + ",".join(tests) + ")")


def _dv(kind: str, operator: str | None = None, formula1: str | None = None,
        formula2: str | None = None) -> DataValidation:
    return DataValidation(type=kind, operator=operator, formula1=formula1, formula2=formula2,
                          allow_blank=True, showErrorMessage=True, showInputMessage=True)


def _formula_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


# -- writing ----------------------------------------------------------------------------------

def _put(ws, row: int, col: int, value: Any, number_format: str | None = None):
    """Write a cell; text is always text, so a spec string starting '=' is never a formula."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def write_template(spec: LoadedSpec | ContractSpec | str | Path, path: str | Path, *,
                   force: bool = False) -> Path:
    """Write an input workbook for ``spec`` to ``path``.

    Parameters
    ----------
    spec : a loaded spec, a ``ContractSpec``, or a path or bundled name to load
    path : the ``.xlsx`` file to write
    force : replace ``path`` if it exists

    Returns
    -------
    Path
        The file written (under a temporary name, then renamed).

    Raises
    ------
    OutputError
        If ``path`` does not end in ``.xlsx``, exists and ``force`` is false, or cannot be
        written.
    """
    path = check_output(path, force=force)
    loaded = LoadedSpec.of(spec)
    rows = list(template_rows(loaded.spec))
    wb = Workbook()
    _readme_sheet(wb.active, loaded)
    for section in ContractSpec.model_fields:
        _section_sheet(wb.create_sheet(section),
                       [r for r in rows if r.path.split(".", 1)[0] == section])
    atomic_write(path, wb.save, "write workbook")
    return path


def _section_sheet(ws, rows: list[TemplateRow]) -> None:
    for j, name in enumerate(COLUMNS, 1):
        _put(ws, 1, j, name).font = Font(bold=True)
    rules: dict[tuple, DataValidation] = {}
    for i, row in enumerate(rows, 2):
        _put(ws, i, 1, row.path)
        cell = _put(ws, i, 2, _cell_value(row.value),
                    DATE_FORMAT if isinstance(row.value, dt.date) else None)
        cell.fill = VALUE_FILL
        _put(ws, i, 3, _unit(row.info))
        _put(ws, i, 4, allowed(row))
        _put(ws, i, 5, row.description)
        _add_validation(ws, rules, row, cell.coordinate)
    ws.freeze_panes = "B2"
    for j, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(j)].width = width


def _add_validation(ws, rules: dict[tuple, DataValidation], row: TemplateRow,
                    coordinate: str) -> None:
    """Give a value cell its rule; cells with the same rule share one (Excel keeps a list)."""
    dv = _validation(row, coordinate)
    if dv is None:
        return
    text = allowed(row)
    key = (dv.type, dv.operator, dv.formula1, dv.formula2, text)
    if dv.type != "custom" and key in rules:
        rules[key].add(coordinate)
        return
    dv.error, dv.errorTitle = text[:255], "Not allowed here"
    dv.prompt, dv.promptTitle = text[:255], "Allowed"
    ws.add_data_validation(dv)
    dv.add(coordinate)
    rules[key] = dv


def _cell_value(value: Any) -> Any:
    """What to put in a value cell: lists as TOML literal text, the rest as is."""
    return _toml_literal(value) if isinstance(value, list) else value


def _toml_literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value))


def _readme_sheet(ws, loaded: LoadedSpec) -> None:
    ws.title = README
    _put(ws, 1, 1, "pbr-model input workbook").font = Font(bold=True, size=14)
    meta = [("Contract", loaded.spec.contract.name), ("Source spec", loaded.source),
            ("Spec SHA-256", loaded.sha256), ("pbr-model version", __version__),
            ("Written (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))]
    for i, (label, value) in enumerate(meta, 3):
        _put(ws, i, 1, label).font = Font(bold=True)
        _put(ws, i, 2, value)
    top = 4 + len(meta)
    _put(ws, top, 1, "How to use it").font = Font(bold=True)
    for i, line in enumerate(HOW_TO, top + 1):
        _put(ws, i, 2, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 120


HOW_TO = [
    "This workbook is a pbr-model contract spec: each sheet after this one is a section of "
    "the spec, each row one field. Field is the dotted path from the top of the spec (as for "
    "--set).",
    "Change only the Value column (yellow). Unit, Allowed and Description are for reading; "
    "they are ignored, as is this sheet.",
    "Leave a value empty to omit the field: its default applies (see Allowed). Required fields "
    "need a value.",
    "Type numbers as numbers, dates as dates (YYYY-MM-DD), yes/no as TRUE or FALSE, and a list "
    "of numbers as text, e.g. [100, 120, 140].",
    "To add a list item (a payment, a rate, a risk band, a tranche), add rows with the next "
    "index, e.g. payments.2.type and payments.2.annual. Indexes start at 0 and run without "
    "gaps; to remove an item, delete its rows and renumber any after it.",
    "Rows with empty values under an absent section (sib without a bond, a rate's hurdle, the "
    "first item of an empty list) are there to be filled in: give any of them a value and the "
    "section is added, with defaults for the rest.",
    "Do not rename or add sheets. Rows may be in any order; blank rows are ignored.",
    "Formulas count only through the result Excel saved with them (pbr never calculates): "
    "typed values are safest.",
    "Run it: pbr simulate THIS.xlsx (or any command that takes a SPEC); check it: pbr validate "
    "THIS.xlsx. Problems name the sheet, the cell and the field.",
]


# -- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Cell:
    """A Field/Value pair read from a sheet (``value`` None: empty)."""

    sheet: str
    row: int
    path: str
    value: Any

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


def read_workbook(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Read an input workbook into plain spec data and the cell of every field.

    Parameters
    ----------
    path : an ``.xlsx`` file written by :func:`write_template` (and edited)

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
             for c in _sheet_cells(books, name, problems)]
    data, where = _assemble(cells, problems)
    if problems:
        raise SpecError(list(problems))
    return data, where


def _open(path: Path) -> tuple[Workbook, Workbook | None]:
    """The workbook with formulas, and with Excel's saved results if it has any formula."""
    if path.suffix.lower() != ".xlsx":
        raise SpecError(f"{path}: only .xlsx workbooks can be read as a spec; save it as an "
                        "Excel Workbook (.xlsx)")
    try:
        book = load_workbook(path, data_only=False)
        has_formula = any(c.data_type == "f" for ws in book.worksheets
                          for row in ws.iter_rows(max_col=2) for c in row)
        values = load_workbook(path, data_only=True) if has_formula else None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError,
            AttributeError, SyntaxError) as exc:  # a damaged file: openpyxl raises any of these
        raise SpecError(f"{path}: not a readable Excel workbook (.xlsx): {exc}") from None
    return book, values


def _sheet_cells(books: tuple[Workbook, Workbook | None], name: str,
                 problems: _Problems) -> list[_Cell]:
    """The Field/Value pairs of one section sheet (blank rows skipped)."""
    book, values = books
    ws = book[name]
    if name not in ContractSpec.model_fields or not hasattr(ws, "iter_rows"):
        problems.add(_at(name), f"unknown sheet; a template has '{README}' and one sheet per "
                     "section: " + ", ".join(ContractSpec.model_fields))
        return []
    header = [_text(ws.cell(row=1, column=j).value).lower() for j in (1, 2)]
    if header != ["field", "value"]:
        problems.add(_at(name, "A1"), "the first row must be the header: " + ", ".join(COLUMNS))
        return []
    out = []
    for field, value in ws.iter_rows(min_row=2, max_col=2):
        cell = _read_row(field, value, values[name] if values else None, name, problems)
        if cell is not None:
            out.append(cell)
    return out


def _read_row(field, value, cached_ws, sheet: str, problems: _Problems) -> _Cell | None:
    """One row's path and value; None for a blank row or a problem (recorded)."""
    content = _value(value, cached_ws, sheet, problems)
    path = field.value
    if path is None or (isinstance(path, str) and not path.strip()):
        if content is not _BAD and not _empty(content):
            problems.add(_at(sheet, field.coordinate), f"a value ({content!r}) with no field "
                         "path; put the field's dotted path in column A")
        return None
    if field.data_type == "f" or not isinstance(path, str):
        problems.add(_at(sheet, field.coordinate), "the Field cell must be a dotted path typed "
                     f"as text, e.g. {sheet}.name (got {path!r})")
        return None
    path = path.strip()
    problem = _path_problem(path, sheet)
    if problem:
        problems.add(_at(sheet, field.coordinate), problem)
        return None
    if content is _BAD:
        return None
    return _Cell(sheet, field.row, path, None if _empty(content) else content)


def _path_problem(path: str, sheet: str) -> str | None:
    parts = path.split(".")
    if not all(_PART.match(p) for p in parts):
        return (f"{path!r} is not a field path: names or 0-based indexes joined by dots, "
                "e.g. payments.0.rates.1.price")
    if parts[0] == sheet and len(parts) == 1:
        return f"{path}: is the section itself; give each of its fields a row of its own"
    if parts[0] != sheet:
        home = (f"belongs on sheet '{parts[0]}'" if parts[0] in ContractSpec.model_fields
                else "names no section")
        return f"{path}: paths on this sheet start with '{sheet}.'; this one {home}"
    return None


_BAD = object()  # a value cell that could not be read (its problem is recorded)


def _value(cell, cached_ws, sheet: str, problems: _Problems) -> Any:
    """A value cell's content, a formula's saved result, or ``_BAD`` after a problem."""
    if cell.data_type == "f":
        result = cached_ws[cell.coordinate] if cached_ws is not None else None
        if result is None or result.value is None:
            problems.add(_at(sheet, cell.coordinate), f"holds the formula {cell.value!s} with "
                         "no saved result; type the value instead (pbr never calculates "
                         "formulas)")
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


def _assemble(cells: list[_Cell], problems: _Problems) -> tuple[dict, dict[str, str]]:
    """Nested data from the cells (values typed by the schema) and every path's location."""
    where: dict[str, str] = {}
    seen: dict[str, _Cell] = {}
    tree: dict = {}
    placed = []
    for cell in cells:
        if cell.path in seen:
            problems.add(_at(cell.sheet, f"A{cell.row}"), f"{cell.path}: given twice (also in "
                         f"row {seen[cell.path].row}); keep one row")
            continue
        seen[cell.path] = cell
        where[cell.path] = cell.where
        if cell.value is not None and _insert(tree, cell, problems):
            placed.append(cell)
    for cell in placed:  # after all rows: a payment's fields are typed by its `type` row
        _type(tree, cell.path)
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


def _type(tree: dict, path: str) -> None:
    """Give a value in ``tree`` the type its field takes."""
    keys = _keys(path)
    node = tree
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = _coerce(node[keys[-1]], _kinds(_annotation(keys, tree)))


def _annotation(keys: list[str | int], tree: dict) -> Any:
    """The schema type at a path (a payment's model chosen by its ``type``), or None when
    the path names no field (validation then reports it)."""
    ann: Any = ContractSpec
    node: Any = tree
    for key in keys:
        ann = _concrete(ann, node)
        lists = [m for m in _members(ann) if typing.get_origin(m) is list]
        if _is_model(ann) and isinstance(key, str) and key in ann.model_fields:
            ann = ann.model_fields[key].annotation
        elif isinstance(key, int) and lists:
            ann = typing.get_args(lists[0])[0]
        else:
            return None
        node = node.get(key) if isinstance(node, dict) else None
    return ann


def _concrete(ann: Any, node: Any) -> Any:
    """A sub-section's model (optional, or tagged by ``type``), else the type unchanged."""
    variants = _variants(ann)
    if variants:
        return variants.get(node.get("type")) if isinstance(node, dict) else None
    return _submodel(ann) or ann


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
