"""What the Frictionless Data Package specification (version 1) requires of a
``datapackage.json``, written from its documentation (https://specs.frictionlessdata.io/:
Data Package, Data Resource, Tabular Data Resource, Table Schema), for the tests of
``--csv``/``--parquet`` exports. The ``frictionless`` library would check the same and more,
but brings some twenty dependencies for one test; these are the rules we rely on."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from pathlib import Path

#: Names: lower case alphanumerics and ``.``, ``_``, ``-`` (Data Package, Data Resource).
NAME = re.compile(r"^[a-z0-9._-]+$")
#: Table Schema field types.
TYPES = {"string", "number", "integer", "boolean", "object", "array", "date", "time",
         "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any"}
#: ``hash``: hex digest, optionally prefixed by the algorithm (md5 when none is given).
HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-f]+)$")
MEDIATYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")  # RFC 6838 type/subtype
TRUE, FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}  # defaults


def problems(package: dict, folder: Path) -> list[str]:
    """Every way ``package`` (read from ``folder``) breaks the specification; [] if none."""
    out = []
    if not isinstance(package.get("resources"), list) or not package["resources"]:
        return ["resources: required, a non-empty array"]
    if "name" in package and not NAME.match(str(package["name"])):
        out.append(f"name {package['name']!r}: lower case letters, digits, . _ - only")
    if "created" in package:
        try:
            dt.datetime.fromisoformat(str(package["created"]).replace("Z", "+00:00"))
        except ValueError:
            out.append(f"created {package['created']!r}: not RFC 3339")
    profile = package.get("profile", "data-package")
    names = [r.get("name") for r in package["resources"]]
    if len(set(names)) != len(names):
        out.append("resources: names must be unique")
    for i, r in enumerate(package["resources"]):
        out += [f"resources[{i}].{p}" for p in _resource(r, folder, profile)]
    return out


def _resource(r: dict, folder: Path, package_profile: str) -> list[str]:
    out = []
    if not NAME.match(str(r.get("name", ""))):
        out.append(f"name {r.get('name')!r}: required; lower case letters, digits, . _ - only")
    path = r.get("path")
    if ("path" in r) == ("data" in r):
        return out + ["exactly one of path and data is required"]
    if not isinstance(path, str) or path.startswith("/") or ".." in Path(path).parts \
            or "\\" in path or re.match(r"^\w+:", path):
        return out + [f"path {path!r}: a relative POSIX path, inside the package"]
    file = folder / path
    if not file.is_file():
        return out + [f"path {path!r}: no such file beside datapackage.json"]
    if "mediatype" in r and not MEDIATYPE.match(r["mediatype"]):
        out.append(f"mediatype {r['mediatype']!r}")
    if "bytes" in r and r["bytes"] != file.stat().st_size:
        out.append(f"bytes {r['bytes']} but the file has {file.stat().st_size}")
    if "hash" in r:
        m = HASH.match(r["hash"])
        if not m:
            out.append(f"hash {r['hash']!r}")
        elif hashlib.new(m.group(1) or "md5", file.read_bytes()).hexdigest() != m.group(2):
            out.append("hash does not match the file")
    tabular = r.get("profile") == "tabular-data-resource"
    if package_profile == "tabular-data-package" and not tabular:
        out.append("a tabular data package holds only tabular data resources")
    schema = r.get("schema")
    if tabular and not isinstance(schema, dict):
        return out + ["schema: required for a tabular data resource"]
    if tabular and not (r.get("format") == "csv" or path.endswith(".csv")):
        out.append("a tabular data resource is CSV (or inline JSON)")
    if isinstance(schema, dict):
        fields = schema.get("fields")
        if not isinstance(fields, list):
            return out + ["schema.fields: required, an array"]
        for j, f in enumerate(fields):
            if not isinstance(f.get("name"), str):
                out.append(f"schema.fields[{j}].name: required, a string")
            if f.get("type", "string") not in TYPES:
                out.append(f"schema.fields[{j}].type {f.get('type')!r}: not a Table Schema type")
        if tabular:
            out += _csv_matches(file, fields)
    return out


def _csv_matches(file: Path, fields: list[dict]) -> list[str]:
    """The CSV's header is the fields' names in order, and each value reads as its type
    (an empty cell is missing, the default missingValues)."""
    with open(file, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        if header != [f["name"] for f in fields]:
            return [f"schema.fields: names {[f['name'] for f in fields]} but header {header}"]
        out = []
        for n, row in enumerate(rows):
            for value, field in zip(row, fields):
                if value != "" and not _reads(value, field.get("type", "string")):
                    out.append(f"row {n + 1} {field['name']}: {value!r} is not a {field['type']}")
            if out or n > 2000:  # enough to know the types
                break
        return out


def _reads(value: str, kind: str) -> bool:
    try:
        if kind == "integer":
            int(value)
        elif kind == "number":
            float(value)  # NaN, INF and -INF are allowed numbers
        elif kind == "boolean":
            return value in TRUE | FALSE
        elif kind == "date":
            dt.date.fromisoformat(value)
        elif kind == "datetime":
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
