"""Reading spec files and ``--set`` values into plain data, within limits: a file's size,
how deep tables and lists nest (see docs/contract-spec.md, "Limits")."""

from __future__ import annotations

import hashlib
import pickle
import tomllib
from pathlib import Path
from typing import Any

from ..errors import OverrideError, SpecError, clip
from ..text import other_encoding
from ._base import MAX_LIST_ITEMS

#: The largest spec, profile or portfolio file read [bytes]: the largest bundled file is
#: 28 KB, so a file near this is a mistake (a log, a data dump), not a contract; and Python's
#: TOML parser takes seconds a megabyte.
MAX_FILE_BYTES = 1_000_000
#: The deepest nesting of tables and lists read: the schema's deepest field is six levels
#: down (``payments.0.rates.0.hurdle.level``), so more is never a contract.
MAX_DEPTH = 32


#: Valid TOML texts already parsed, by the SHA-256 of their bytes: their data, pickled (a
#: copy is 50 times faster than parsing again, and the caller may change it). A portfolio
#: reads its areas' contract and their supply chains' profiles once per area: tr-national
#: parsed the same few files 114 times (0.17 s).
_PARSED: dict[bytes, bytes] = {}
#: At most this many bytes of them are kept (the bundled files together are about 200 KB);
#: past it, a text is parsed each time it is read.
MAX_PARSED_BYTES = 16 * 2**20


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file into plain data (TOML cannot execute code).

    At most :data:`MAX_FILE_BYTES` are read, tables and lists may nest at most
    :data:`MAX_DEPTH` deep, and a list may hold at most ``MAX_LIST_ITEMS`` items."""
    raw = read_capped(path)
    key = hashlib.sha256(raw).digest()
    if key in _PARSED:   # the same text parsed before: a fresh copy of its data
        return pickle.loads(_PARSED[key])
    if raw[:4] == b"PK\x03\x04":
        raise SpecError(f"{path}: is a zip archive (an Excel workbook?), not TOML; a workbook "
                        "made by `pbr template` must be named .xlsx")
    encoding = other_encoding(raw)
    if encoding is not None:
        raise SpecError(f"{path}: is {encoding} text (it starts with a {encoding} byte-order "
                        "mark); TOML must be UTF-8: save it as UTF-8")
    try:  # a UTF-8 byte-order mark (Notepad, Excel) is not TOML, but means no harm
        data = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a text file (TOML must be UTF-8): byte {exc.start + 1} "
                        "is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: {_too_deep('tables and lists')}") from None
    if depth(data) > MAX_DEPTH:
        raise SpecError(f"{path}: {_too_deep('tables and lists')}")
    long = long_list(data)
    if long is not None:
        raise SpecError(f"{path}: {long}")
    kept = pickle.dumps(data)
    if sum(map(len, _PARSED.values())) + len(kept) <= MAX_PARSED_BYTES:
        _PARSED[key] = kept
    return data


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, refusing a file larger than ``limit`` without reading it all."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SpecError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise SpecError(f"{path}: larger than {limit:,} bytes, the most a spec file may be; "
                        "is it the right file?")
    return raw


def depth(data: Any) -> int:
    """How deep tables and lists nest in ``data`` (a plain value: 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level + 1)
            if level + 1 > MAX_DEPTH:
                break  # deep enough to refuse: walk no further
            stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict)
                                                  else node) if isinstance(v, (dict, list)))
    return deepest


def long_list(data: Any) -> str | None:
    """What is wrong if a list in ``data`` (nested no deeper than :data:`MAX_DEPTH`) holds
    more than ``MAX_LIST_ITEMS`` items, naming its path; else None."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list) and len(node) > MAX_LIST_ITEMS:
            return (f"{clip(path) or 'the value'}: a list of {len(node):,} items, more than the "
                    f"{MAX_LIST_ITEMS:,} any list in a spec may hold")
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in items
                     if isinstance(v, (dict, list)))
    return None


def _too_deep(what: str) -> str:
    return f"{what} nest more than {MAX_DEPTH} deep, deeper than any field of a spec"


def parse_value(text: str) -> Any:
    """Read an override's VALUE as a TOML value (number, bool, date, string,
    list, inline table); anything else is taken as a plain string. A value nested more
    than :data:`MAX_DEPTH` deep is an :class:`OverrideError`."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise OverrideError(_too_deep("lists and tables in the value")) from None
    if depth(value) > MAX_DEPTH:
        raise OverrideError(_too_deep("lists and tables in the value"))
    long = long_list(value)
    if long is not None:
        raise OverrideError(long)
    return value


def workbook_sheets(path: Path) -> list[str]:
    """A workbook's sheets but the ``Read me``, read from its index (no spreadsheet library:
    this runs on every SPEC argument); [] when it cannot be read (the loader says why)."""
    import re
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            index = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return []
    names = re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', index)
    return [n for n in names if n != "Read me"]
