"""Reading a small CSV file the user gives (``pbr settle --observed``), within bounded
time and memory, refusing what cannot be read back unambiguously.

The file must be a regular file (not a folder, pipe or device) of at most
:data:`MAX_BYTES`; at most that many bytes (and one more, to know it is too big) are
ever read, so ``/dev/zero`` or a runaway export is refused at once. It must be UTF-8 (a
byte-order mark is fine; UTF-16 is named as such). Cells are comma-separated and may be
quoted; a cell may not hold a line break (a quoted ``"10\\n00"`` would otherwise read as
``1000`` or as two lines), a control character (NUL, escape...), a bidirectional-text
control, or more than :data:`MAX_CELL` characters. Blank lines and lines starting with
``#`` are skipped.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .text import SEPARATORS, other_encoding, unsafe

#: Largest file read [bytes]: an observed-results CSV has one short row per cohort.
MAX_BYTES = 4 * 2**20
#: Longest cell [characters].
MAX_CELL = 200
#: Most columns in a row.
MAX_COLUMNS = 1_000
#: Most rows after the header.
MAX_ROWS = 10_000
#: A character no cell may hold: a control character but tab (line breaks are said apart),
#: a bidirectional-text control, a Unicode line or paragraph separator.
UNSAFE = unsafe("\x00-\x08\x0a-\x1f", SEPARATORS)
SAVE_AS = "save it as UTF-8 (in Excel: 'CSV UTF-8')"


@dataclass(frozen=True)
class Table:
    """A CSV file as read: its bytes, its header and its rows, each with its line number
    in the file (the header's first line is 1 when the file opens with it)."""

    raw: bytes
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


def short(value: str, limit: int = 40) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters (with the full length)."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value):,} characters)"


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES, kind: str = "a CSV file",
               too_big: str = "an observed-results CSV has one short row per cohort") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ``InputError`` otherwise
    (``kind`` names what to give, ``too_big`` why the limit is enough)."""
    path = Path(path)
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path}: is a folder; give {kind}")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: is not a regular file (a pipe, device or socket); "
                             f"give {kind}")
        if st.st_size > max_bytes:
            raise InputError(_too_big(path, max_bytes, too_big))
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # it grew, or its size was not known (/proc)
        raise InputError(_too_big(path, max_bytes, too_big))
    return raw


def _too_big(path: Path, max_bytes: int, why: str) -> str:
    return f"{path}: larger than {max_bytes:,} bytes, the most read; {why}"


def decode(path: str | Path, raw: bytes) -> str:
    """UTF-8 text (a byte-order mark dropped); ``InputError`` naming the line otherwise."""
    if raw[:4] == b"PK\x03\x04":  # a zip archive: what an Excel workbook is
        raise InputError(f"{path}: is a zip archive (an Excel workbook?), not CSV text; "
                         f"{SAVE_AS}")
    name = other_encoding(raw)
    if name is not None:
        raise InputError(f"{path}: is {name} text; {SAVE_AS}")
    if b"\x00" in raw[:2]:
        raise InputError(f"{path}: looks like UTF-16 text (a NUL byte at the start); {SAVE_AS}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 "
                         f"text; {SAVE_AS}") from None


def cell_problem(text: str) -> str | None:
    """What makes one cell unreadable, or None."""
    if len(text) > MAX_CELL:
        return f"{len(text):,} characters; at most {MAX_CELL:,}"
    if "\n" in text or "\r" in text:
        return ("a line break inside a cell (a quoted cell over two lines, or a quote "
                "left open); put each cell on one line")
    found = UNSAFE.search(text)
    if found is not None:
        ch = found.group()
        name = unicodedata.name(ch, "") or {0: "NUL", 0x1B: "ESCAPE"}.get(ord(ch), "control")
        return f"control character U+{ord(ch):04X} ({name}); only printable text is allowed"
    return None


def read_table(path: str | Path, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """Read a CSV file with a header row, every problem with its cells at once.

    Raises
    ------
    InputError
        The file cannot be read, is too big, is not UTF-8, is empty, has more than
        ``max_rows`` rows or :data:`MAX_COLUMNS` columns, or has unreadable cells (each
        named by line and column, its value shortened).
    """
    raw = read_bytes(path, max_bytes)
    reader = csv.reader(io.StringIO(decode(path, raw), newline=""))
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    last = 0
    # a cell is at most the file: let the csv module read it, so it is named below
    limit = csv.field_size_limit(max_bytes + 1)
    try:
        for cells in reader:
            line, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if len(cells) > MAX_COLUMNS:
                problems.append(f"{path}: line {line}: {len(cells):,} cells; at most "
                                f"{MAX_COLUMNS:,}")
                break
            names = header or []
            for j, text in enumerate(cells):
                problem = cell_problem(text)
                if problem:
                    col = (f"column {names[j].strip()}" if j < len(names)
                           else f"cell {j + 1}")
                    where = "header, " if header is None else ""
                    problems.append(f"{path}: line {line}, {where}{col}: {problem} "
                                    f"(got {short(text)})")
            if header is None:
                header, header_line = cells, line
            elif len(rows) == max_rows:
                problems.append(f"{path}: more than {max_rows:,} rows after the header; "
                                f"at most {max_rows:,} (one per cohort)")
                break
            else:
                rows.append((line, cells))
            if len(problems) >= 50:  # enough to act on
                break
    except csv.Error as exc:
        problems.append(f"{path}: line {last + 1}: not readable as CSV ({exc})")
    finally:
        csv.field_size_limit(limit)
    if problems:
        raise InputError(problems)
    if header is None:
        raise InputError(f"{path}: empty file; expected a header row and one row per cohort")
    return Table(raw, header_line, [h.strip() for h in header], rows)
