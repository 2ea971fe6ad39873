"""``datapackage.json``: the tables of a ``--csv`` or ``--parquet`` export described as a
Frictionless Data Package (https://specs.frictionlessdata.io/data-package/, version 1), so
tools that read data packages (frictionless, the Data Package libraries for R, Julia,
JavaScript, ...) open the folder with each column's type and unit.

What it holds (docs/data.md gives an example):

* ``profile``: ``tabular-data-package`` for CSV; ``data-package`` for Parquet (a Tabular
  Data Resource must be CSV or inline JSON in version 1); ``name`` (lower case, from the
  command and the contract file), ``title`` (the contract's name), ``created`` (ISO 8601);
* ``resources``: one per table, in the order written: ``name``, ``path`` (the file beside
  it), ``profile``, ``format``, ``mediatype``, ``encoding`` (CSV), ``bytes``, ``hash``
  (``sha256:...``), ``rows`` and ``schema.fields``: ``name``, ``type`` (Table Schema:
  ``integer``, ``number``, ``boolean``, ``date``, ``datetime``, ``string``) and, where the
  column has one, ``unit`` (a custom property: ``currency``, ``people``, ``fraction``, ...);
* ``pbr``: the run's provenance (command, spec hash, seed, sims, versions, platform, shocks,
  currency, when it ran), the same keys as ``metadata.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

DATAPACKAGE = "datapackage.json"
MEDIATYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
#: The key under which the run's provenance is kept (a custom property, allowed by the spec).
PROVENANCE_KEY = "pbr"


def field_types(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's Table Schema type, from its dtype: a datetime column whose values are
    all midnight is a ``date`` (written ``2015-02-01``)."""
    import pandas as pd
    types = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kind = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = "integer"
        elif pd.api.types.is_float_dtype(dtype):
            kind = "number"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            values = frame[column].dropna()
            kind = "date" if (values == values.dt.normalize()).all() else "datetime"
        else:  # text, or dates kept as Python objects
            values = frame[column].dropna()
            first = values.iloc[0] if len(values) else None
            kind = ("datetime" if isinstance(first, dt.datetime) else
                    "date" if isinstance(first, dt.date) else "string")
        types[str(column)] = kind
    return types


def package_name(meta: dict) -> str:
    """A Data Package ``name``: lower case letters, digits, ``-``, ``_`` and ``.`` only."""
    command = str(meta.get("command", "pbr")).split()
    words = command[:2] + [Path(str(meta.get("source", ""))).stem]
    return _slug("-".join(w for w in words if w), "pbr-tables", strip="-._")


def _slug(text: str, default: str, strip: str = "-") -> str:
    """``text`` in lower case with every run of other characters than letters, digits,
    ``.``, ``_`` and ``-`` as one ``-`` (a Data Package name); ``default`` if none is left."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip(strip) or default


def file_facts(path: Path) -> dict[str, Any]:
    """``bytes`` and ``hash`` (``sha256:<hex>``) of a written file."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"bytes": size, "hash": f"sha256:{digest.hexdigest()}"}


def data_package(meta: dict, fmt: str, tables: dict[str, dict], folder: Path,
                 staged: dict[str, str] | None = None) -> dict:
    """The ``datapackage.json`` object of an export.

    Parameters
    ----------
    meta : the run's provenance (``metadata.json`` less ``format`` and ``tables``)
    fmt : ``"csv"`` or ``"parquet"``
    tables : name -> ``{"file", "rows", "columns": {column: unit or None},
        "types": {column: Table Schema type}}``, in the order written
    folder : where the files are (read for their size and hash)
    staged : file name -> the temporary file it is still written under, read instead
    """
    resources = []
    for name, t in tables.items():
        fields = []
        for column, unit in t["columns"].items():
            field = {"name": column, "type": t["types"].get(column, "string")}
            if unit is not None:
                field["unit"] = unit
            fields.append(field)
        resource = {"name": _resource_name(name), "path": t["file"],
                    "profile": "tabular-data-resource" if fmt == "csv" else "data-resource",
                    "format": fmt, "mediatype": MEDIATYPES[fmt]}
        if fmt == "csv":
            resource["encoding"] = "utf-8"
        resource.update(file_facts(Path((staged or {}).get(t["file"], folder / t["file"]))))
        resource.update(rows=t["rows"], schema={"fields": fields})
        resources.append(resource)
    package = {"profile": "tabular-data-package" if fmt == "csv" else "data-package",
               "name": package_name(meta)}
    if meta.get("contract"):
        package["title"] = str(meta["contract"])
    if meta.get("created_utc"):
        package["created"] = str(meta["created_utc"]).replace(" ", "T") + "Z"
    package["resources"] = resources
    package[PROVENANCE_KEY] = meta
    return package


def _resource_name(name: str) -> str:
    return _slug(name, "table")
