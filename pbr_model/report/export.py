"""Data output for researchers: the result tables as CSV or Parquet files.

``--csv DIR`` and ``--parquet DIR`` write one file per table (``{name}.csv`` or
``{name}.parquet``), a ``datapackage.json`` (a Frictionless Data Package describing
every table: :mod:`.datapackage`) and a ``metadata.json`` describing the run (spec hash,
seed, version, command line, ...) and every table written: its file, its number of
rows and the unit of each column (from ``DataFrame.attrs["units"]``; ``null``
when there is none).

Rules
-----
* A named index (``sim``, ``cohort``, ``month``) becomes ordinary leading
  columns; an unnamed index is not written.
* CSV keeps full float precision (Python's shortest round-trip repr), writes
  dates as ISO 8601 (``2025-01-01``), booleans as ``True``/``False`` and missing
  values as empty cells.
* Text that Excel would read as a formula is defused, in CSV only: a string
  value or column name that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return and is not a number gets a
  single quote ``'`` in front (``=SUM(A1)`` is written ``'=SUM(A1)``). Numeric
  columns are never touched (``-5.0`` stays ``-5.0``), and Parquet keeps every
  value as it is.
* Parquet needs pyarrow, the optional extra ``pip install 'pbr-model[parquet]'``.
  A Parquet file carries its own units and provenance in its Arrow schema metadata:
  each field with a unit has ``unit`` in its field metadata, and the schema has
  ``pbr.table`` (the table's name), ``pbr.units`` (JSON: column -> unit or null) and
  ``pbr.provenance`` (JSON: the run's provenance, as in ``metadata.json``).
* Big tables may be given as a callable yielding chunks with the same columns:
  CSV writes the header once and appends each chunk; Parquet writes one row
  group per chunk, so memory stays bounded.
* Every file is written under a temporary name in the folder and renamed into
  place, so a failed or interrupted write never leaves a half-written file under
  a final name. An old ``datapackage.json`` and ``metadata.json`` are removed first and
  the new ones written last (``metadata.json`` very last): while a ``metadata.json``
  exists, it and ``datapackage.json`` describe the tables beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import OutputError
from ..files import check_not_input, commit, discard, folder_problems, stage
from ..files import written as written_here
from .datapackage import DATAPACKAGE, data_package, field_types
from .json import clean

FORMATS = ("csv", "parquet")
METADATA = "metadata.json"
#: The files beside the tables that describe them, in the order written (after the tables).
DESCRIPTIONS = (DATAPACKAGE, METADATA)
#: Parquet schema metadata keys (bytes, as Arrow keeps them).
PARQUET_KEYS = {"table": b"pbr.table", "units": b"pbr.units", "provenance": b"pbr.provenance",
                "unit": b"unit"}
PARQUET_HINT = "parquet output needs pyarrow: pip install 'pbr-model[parquet]' (or use --csv)"

if TYPE_CHECKING:  # pandas is imported when tables are written, not before
    import pandas as pd

    #: A table: one frame, or a callable yielding chunks (same columns) for big tables.
    Table = pd.DataFrame | Callable[[], Iterable[pd.DataFrame]]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def table_file(name: str, fmt: str) -> str:
    """The file name a table is written to, e.g. ``simulations.csv``."""
    return f"{name}.{fmt}"


def check_export(folder: str | Path, fmt: str, names: Iterable[str], *,
                 force: bool = False) -> Path:
    """Check an export folder before any work is done; create nothing.

    Parameters
    ----------
    folder : the folder to write into; created by :func:`write_tables` if missing
    fmt : one of :data:`FORMATS`
    names : the tables to write (file ``{name}.{fmt}`` each, plus :data:`DESCRIPTIONS`)
    force : replace files that already exist

    Returns
    -------
    Path
        ``folder`` as a path.

    Raises
    ------
    OutputError
        With every problem at once: unknown format, ``folder`` is not a folder, its
        parent does not exist or cannot be written, a file exists and ``force`` is
        false, or Parquet is asked for and pyarrow is not installed.
    """
    folder = Path(folder)
    names = _check_names(names)
    problems = []
    if fmt not in FORMATS:
        problems.append(f"{folder}: unknown table format {fmt!r} (use one of {', '.join(FORMATS)})")
    found = folder_problems(folder)
    problems += found
    if fmt in FORMATS and not found and folder.is_dir() and not force:
        files = [table_file(n, fmt) for n in names] + list(DESCRIPTIONS)
        problems += [f"{folder / f}: file exists; use --force to replace it"
                     for f in files if (folder / f).exists()]
    if fmt == "parquet" and not _have_pyarrow():
        problems.append(f"{folder}: {PARQUET_HINT}")
    if problems:
        raise OutputError(problems)
    return folder


def write_tables(folder: str | Path, fmt: str, tables: dict[str, Table], metadata: dict, *,
                 force: bool = False, inputs: Iterable[str | Path] = (),
                 tick: Callable[[int], None] | None = None) -> list[Path]:
    """Write each table, then ``datapackage.json`` and ``metadata.json``, into ``folder``.

    Parameters
    ----------
    folder : the folder; created if missing (its parent must exist)
    fmt : ``"csv"`` or ``"parquet"``
    tables : table name -> a frame, or a callable yielding chunks with the same columns
    metadata : provenance of the run (spec hash, seed, version, command line, ...);
        ``metadata.json`` holds it plus ``"format"`` and ``"tables"``
        (``{name: {"file", "rows", "columns": {column: unit or null}}}``)
    force : replace files that already exist
    inputs : the files the run read; none may be replaced, ``force`` or not
    tick : called with the number of rows of each chunk once it is written (progress)

    Returns
    -------
    list of Path
        The files written, tables in the given order, then ``datapackage.json`` and
        ``metadata.json``.

    Raises
    ------
    OutputError
        If the folder or a file is unusable (see :func:`check_export`) or cannot be
        written. Every file is written under a temporary name first and renamed into
        place only when all are written, so a failure while writing (a full disk) leaves
        the folder as it was, an older set and its ``metadata.json`` included; a failure
        while renaming takes back what this call renamed (an older ``metadata.json`` is
        then gone: the folder is not a whole set). Temporary files are removed either way,
        and the folder too if this call made it and it is empty again.
    """
    folder = check_export(folder, fmt, tables, force=force)
    described_by = [folder / d for d in DESCRIPTIONS]
    files = [folder / table_file(n, fmt) for n in tables] + described_by
    clash = check_not_input([("", f) for f in files], inputs)
    if clash:
        raise OutputError([c.lstrip() for c in clash])
    made = not folder.exists()
    _make(folder)
    staged: list[tuple[str, Path]] = []
    committed = len(written_here)
    try:
        _stage_set(folder, fmt, tables, metadata, described_by, staged, tick)
        _forget_old_description(folder)  # from here the old set is being replaced
        commit(staged)
    except BaseException:
        discard(staged)  # those staged but not renamed into place
        _undo(written_here[committed:], folder if made else None)
        raise
    return [path for _, path in staged]


def _stage_set(folder: Path, fmt: str, tables: dict[str, Table], metadata: dict,
               described_by: list[Path], staged: list[tuple[str, Path]],
               tick: Callable[[int], None] | None = None) -> None:
    """Write every table, then ``datapackage.json`` and ``metadata.json``, each to a
    temporary file in ``folder`` (appended to ``staged`` as ``(tmp, path)``): nothing is
    renamed into place until all are written."""
    described, types = {}, {}
    for name, table in tables.items():
        path = folder / table_file(name, fmt)
        if fmt == "csv":
            tmp, (rows, units, types[name]) = stage(
                path, lambda tmp, t=table: _write_csv(tmp, _chunks(t, tick)))
        else:
            tmp, (rows, units, types[name]) = stage(
                path, lambda tmp, t=table, n=name: _write_parquet(tmp, _chunks(t, tick), n,
                                                                  metadata))
        staged.append((tmp, path))
        described[name] = {"file": path.name, "rows": rows, "columns": units}
    package = data_package(_plain(metadata), fmt, {n: {**d, "types": types[n]}
                                                   for n, d in described.items()}, folder,
                           {path.name: tmp for tmp, path in staged})
    meta = {**metadata, "format": fmt, "tables": described}
    for path, obj in zip(described_by, (package, meta)):  # metadata.json last
        text = metadata_json(obj) + "\n"
        tmp, _ = stage(path, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"))
        staged.append((tmp, path))


def _undo(paths: list[Path], made: Path | None) -> None:
    """Remove the files of a set that were renamed into place before it failed (and from
    the list of files this process wrote), and the folder ``made`` if it is empty again."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(ValueError):
            written_here.remove(path)
    if made is not None:
        with contextlib.suppress(OSError):
            made.rmdir()


def _make(folder: Path) -> None:
    """Create the folder if it is missing."""
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create folder ({exc.strerror or exc})") from None


def _forget_old_description(folder: Path) -> None:
    """Remove an old ``datapackage.json`` and ``metadata.json`` before the new tables are
    renamed into place: they come back last, so while they exist they describe the tables
    beside them, whole."""
    for name in (METADATA, DATAPACKAGE):  # metadata.json first: it says the rest is whole
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError as exc:
            raise OutputError(f"{folder / name}: cannot replace ({exc.strerror or exc})") from None


def metadata_json(meta: dict) -> str:
    """Strict, indented JSON: NaN and infinities as null, numpy scalars as numbers,
    dates as ISO 8601, anything else unknown as its ``str``."""
    return json.dumps(clean(_plain(meta)), indent=2, allow_nan=False, default=str)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with formula-like text defused for spreadsheets (see the module notes):
    in text columns and in the column names (which can come from a spec, e.g. a payment
    mechanism's name). The input is not modified.
    """
    text = [c for c in frame.columns if _is_text(frame[c].dtype)]
    names = [_defuse(c) for c in frame.columns]
    if not text and names == list(frame.columns):
        return frame
    out = frame.copy(deep=False)
    for column in text:
        out[column] = frame[column].astype(object).map(_defuse)
    out.columns = names
    return out


def _defuse(value: Any) -> Any:
    if (isinstance(value, str) and value.startswith(_FORMULA_START)
            and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _is_text(dtype) -> bool:
    import pandas as pd
    return pd.api.types.is_object_dtype(dtype) or isinstance(
        dtype, (pd.StringDtype, pd.CategoricalDtype))


def _check_names(names: Iterable[str]) -> list[str]:
    """Table names are plain file names chosen by the code; anything else is a bug."""
    names = list(names)
    for name in names:
        if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
            raise ValueError(f"table name {name!r} is not a plain file name")
    return names


def _have_pyarrow() -> bool:
    try:  # both: either may be cached in sys.modules without the other
        importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        return False
    return True


def _chunks(table: Table, tick: Callable[[int], None] | None = None) -> Iterator[pd.DataFrame]:
    """The table as frames ready to write: a named index becomes columns; an unnamed
    one is dropped (the writers pass ``index=False``). ``tick(rows)`` after each frame is
    written (when the next is asked for, or the last is done)."""
    import pandas as pd
    frames = [table] if isinstance(table, pd.DataFrame) else table()
    columns = None
    for frame in frames:
        if any(n is not None for n in frame.index.names):
            frame = frame.reset_index()  # keeps attrs (the units)
        if columns is None:
            columns = list(frame.columns)
        elif list(frame.columns) != columns:
            raise ValueError(f"chunk columns {list(frame.columns)} differ from {columns}")
        yield frame
        if tick is not None:
            tick(len(frame))


def _units(frame: pd.DataFrame) -> dict[str, str | None]:
    units = frame.attrs.get("units") or {}
    return {str(c): units.get(c) for c in frame.columns}


def _write_csv(tmp: str, chunks: Iterator[pd.DataFrame]) -> tuple[int, dict, dict]:
    """Header once, then every chunk; returns (rows, units and Table Schema types of the
    first chunk's columns)."""
    rows, units, types = 0, {}, {}
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        for i, frame in enumerate(chunks):
            if i == 0:  # as the header is written (a name may be defused)
                units = {_defuse(c): u for c, u in _units(frame).items()}
                types = {_defuse(c): t for c, t in field_types(frame).items()}
            csv_safe(frame).to_csv(f, index=False, header=(i == 0))
            rows += len(frame)
    return rows, units, types


def _write_parquet(tmp: str, chunks: Iterator[pd.DataFrame], name: str,
                   provenance: dict) -> tuple[int, dict, dict]:
    """One row group per chunk (a single frame: one row group), with the units and the
    run's provenance in the schema metadata (see the module notes); returns (rows, units,
    Table Schema types)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = next(chunks, None)
    if first is None:
        pq.write_table(pa.table({}, metadata=_schema_metadata(name, {}, provenance)), tmp)
        return 0, {}, {}
    units = _units(first)
    schema = _described(pa.Schema.from_pandas(first, preserve_index=False), name, units,
                        provenance, first.attrs)
    rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for frame in itertools.chain([first], chunks):
            table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            writer.write_table(table, row_group_size=max(len(frame), 1))
            rows += len(frame)
    return rows, units, field_types(first)


def _schema_metadata(name: str, units: dict, provenance: dict) -> dict[bytes, bytes]:
    return {PARQUET_KEYS["table"]: name.encode(),
            PARQUET_KEYS["units"]: _compact(units), PARQUET_KEYS["provenance"]: _compact(provenance)}


def _compact(obj: Any) -> bytes:
    """Strict one-line JSON (as :func:`metadata_json`), as bytes for Arrow metadata."""
    return json.dumps(clean(_plain(obj)), allow_nan=False, default=str,
                      separators=(",", ":")).encode()


def _described(schema, name: str, units: dict, provenance: dict, attrs: dict):
    """``schema`` with each field's unit in its metadata and the table's name, units and
    the run's provenance in the schema's (pandas' own metadata kept)."""
    import pyarrow as pa
    fields = [f.with_metadata({**(f.metadata or {}), PARQUET_KEYS["unit"]: units[f.name].encode()})
              if units.get(f.name) else f for f in schema]
    meta = {**(schema.metadata or {}), **_schema_metadata(name, units, provenance)}
    if attrs:  # as pandas' to_parquet keeps them, so read_parquet gives them back
        meta[b"PANDAS_ATTRS"] = _compact(attrs)
    return pa.schema(fields, metadata=meta)


def _plain(obj: Any) -> Any:
    """Numpy scalars, tuples, dates and paths as plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    if isinstance(obj, (dt.date, dt.datetime)):  # a pandas Timestamp is a datetime
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return obj
