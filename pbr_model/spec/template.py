"""Excel input workbooks, written: a contract spec as a workbook to edit.

:func:`write_template` writes a ``Read me`` sheet, then one sheet per top-level
section of the spec (``contract``, ``cohorts``, ... in schema order) with one row
per field: ``Field`` (dotted path from the top of the spec, as for ``--set``),
``Value``, ``Unit``, ``Allowed`` and ``Description``. Value cells carry Excel data
validation (choices, bounds, dates). A section or list that is absent (``sib``
without a bond, an empty ``supply_chain``, a rate without a ``hurdle``) still gets
its rows, with empty values, so that it can be filled in. :mod:`.workbook` reads
such a workbook back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .._version import __version__
from ..files import atomic_write, check_output, in_memory
from . import fields
from .load import LoadedSpec
from .parties import ProfileFile, ProviderProfile
from .schema import ContractSpec

README = "Read me"
COLUMNS = ("Field", "Value", "Unit", "Allowed", "Description")
WIDTHS = (46, 24, 22, 40, 110)
VALUE_FILL = PatternFill("solid", start_color="FFF2CC")  # pale yellow: the cells to edit
DATE_FORMAT = "yyyy-mm-dd"
_NUMBER_KINDS = {"int", "float"}


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
        return fields.kinds(self.info.annotation)

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
        sub, item = fields.submodel(info.annotation), fields.list_item(info.annotation)
        if sub is not None:
            yield from _rows(sub, current, path + ".")
        elif item is not None:
            yield from _item_rows(item, current or [], path)
        elif tags and name == "type":
            yield TemplateRow(path, current, info, tags,
                              "Changing it changes which fields this item has.", absent)
        else:
            yield TemplateRow(path, current, info, fields.choices(info.annotation),
                              absent=absent)


def _item_rows(item: Any, values: list, path: str) -> Iterator[TemplateRow]:
    variants = fields.variants(item)
    tags = tuple(variants)
    for i, value in enumerate(values):
        yield from _rows(type(value), value, f"{path}.{i}.", tags)
    if values:
        return
    if not variants:
        yield from _rows(fields.unwrap(item), None, f"{path}.0.")
        return
    info = next(iter(variants.values())).model_fields["type"]
    yield TemplateRow(f"{path}.0.type", None, info, tags,
                      f"None yet. To add one, give its type here and add its fields as rows "
                      f"{path}.0.FIELD (see docs/contract-spec.md).", absent=True)


def allowed(row: TemplateRow) -> str:
    """The Allowed column: what the value may be, and whether it is required."""
    kinds, bounds = row.kinds, fields.bounds(row.info)
    if row.choices:
        text = "one of: " + ", ".join(row.choices)
    elif kinds >= {"bool", "list"}:
        text = 'TRUE, FALSE or a list, e.g. ["binary"]'
    elif "bool" in kinds:
        text = "TRUE or FALSE"
    elif "date" in kinds:
        text = "date YYYY-MM-DD"
    elif "list" in kinds:
        text = ("number, or a list, e.g. [100, 120]" if kinds & _NUMBER_KINDS
                else "list of dates, e.g. [2014-08-01, 2017-06-01]"
                if fields.unit(row.info) == "dates" else "list, e.g. [0.1, 0.2]")
    elif kinds & _NUMBER_KINDS:
        text = ("whole number" if "float" not in kinds else "number") + _bounds_text(bounds)
    else:
        text = "text" + _text_limits(row.info)
    return f"{text} ({_presence(row.info, row.absent)})"


def _bounds_text(bounds: dict[str, float]) -> str:
    if "ge" in bounds and "le" in bounds:
        return f" from {_num(bounds['ge'])} to {_num(bounds['le'])}"
    parts = [f"{fields.BOUND_SYMBOLS[k]} {_num(v)}" for k, v in bounds.items()]
    return (" " + " and ".join(parts)) if parts else ""


def _text_limits(info: FieldInfo) -> str:
    lo, hi, pattern = fields.lengths(info)
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
    kinds, bounds = row.kinds, fields.bounds(row.info)
    if kinds >= {"bool", "list"}:   # a yes/no or a list (case_mix_adjusted): Excel cannot check
        return None
    if row.choices or "bool" in kinds:
        items = row.choices or ("TRUE", "FALSE")
        return _dv("list", formula1='"' + ",".join(items) + '"')
    if "date" in kinds:
        return _dv("date", "between", "DATE(1900,1,1)", "DATE(9999,12,31)")
    if "list" in kinds or not kinds & _NUMBER_KINDS:
        lo, hi, _ = fields.lengths(row.info)
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
    tests = [f"ISNUMBER({cell})", *(f"{cell}{fields.BOUND_SYMBOLS[k]}{_formula_num(v)}"
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
        If ``path`` is the spec it starts from, does not end in ``.xlsx``, exists and
        ``force`` is false, or cannot be written.
    """
    from .profiles import profiles_moved  # (it reads profiles with the loader)
    loaded = LoadedSpec.of(spec)
    meta = [("Contract", loaded.spec.contract.name), ("Source spec", loaded.source),
            ("Spec SHA-256", loaded.sha256)]
    return _write(path, force, loaded.source, meta, ContractSpec,
                  list(template_rows(profiles_moved(loaded, Path(path)))))


def write_profile_template(profile: ProviderProfile, path: str | Path, source: str = "", *,
                           force: bool = False) -> Path:
    """Write an input workbook for a provider profile (an organisation's own finances and
    seat terms): a ``Read me`` sheet and one ``provider`` sheet, a row per field, read back
    by :func:`pbr_model.spec.load.load_profile` to the same profile. ``source`` is the
    profile it came from (a bundled name or file), never replaced. Raises as
    :func:`write_template`."""
    meta = [("Provider profile", profile.name), ("Source profile", source)]
    return _write(path, force, source, meta, ProfileFile,
                  list(_rows(ProfileFile, ProfileFile(provider=profile), "")))


def _write(path, force: bool, source: str, meta: list, root: type[BaseModel],
           rows: list[TemplateRow]) -> Path:
    path = check_output(path, force=force, inputs=[source] if source else [])
    wb = Workbook()
    _readme_sheet(wb.active, meta)
    for section in root.model_fields:
        _section_sheet(wb.create_sheet(section),
                       [r for r in rows if r.path.split(".", 1)[0] == section])
    atomic_write(path, in_memory(wb.save), "write workbook")
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
        _put(ws, i, 3, fields.unit(row.info))
        _put(ws, i, 4, allowed(row))
        _put(ws, i, 5, row.description if _kept_exactly(row.value)
             else f"{row.description} {KEPT_AS_TEXT}".strip())
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


#: Significant digits a spreadsheet keeps of a number: LibreOffice Calc saves 15.
SPREADSHEET_DIGITS = 15
KEPT_AS_TEXT = ("Written as text to keep all its digits (a spreadsheet keeps 15 significant "
                "digits of a number); type a number to change it.")


def _cell_value(value: Any) -> Any:
    """What to put in a value cell: lists as TOML literal text; a number a spreadsheet
    would round on saving (more than 15 significant digits: ``0.8333333333333334``) as its
    exact TOML text too, so a workbook saved by LibreOffice reads back to the same spec and
    hash (text is read as a TOML value); the rest as is."""
    if isinstance(value, list) or not _kept_exactly(value):
        return _toml_literal(value)
    return value


def _kept_exactly(value: Any) -> bool:
    """Whether a spreadsheet keeps ``value`` as it is when it saves it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return float(f"{value:.{SPREADSHEET_DIGITS}g}") == value and abs(value) < 2 ** 53


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


def _readme_sheet(ws, meta: list[tuple[str, str]]) -> None:
    ws.title = README
    _put(ws, 1, 1, "pbr-model input workbook").font = Font(bold=True, size=14)
    meta = [*meta, ("pbr-model version", __version__),
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
    "This workbook is a pbr-model contract spec (or provider profile): each sheet after this "
    "one is a section of it, each row one field. Field is the dotted path from the top (as for "
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
    "THIS.xlsx. Problems name the sheet, the cell and the field. A provider profile: pbr "
    "capital SPEC --provider THIS.xlsx, or name it as a supply chain entry's profile.",
]
