"""Files the package writes: output paths checked before any work, and writes that are
never left half-done.

Every file goes to a temporary name in its folder and is renamed into place, so an
interrupted or failed write never leaves a partial file under a final name. An output
may never be one of the run's inputs (the spec, an observed CSV, a profile, a
portfolio): :func:`check_not_input` refuses it, ``--force`` or not.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import OutputError


def atomic_write(path: Path, write: Callable[[str], Any], what: str = "write") -> Any:
    """``write(tmp)`` to a temporary file next to ``path``, then rename it onto ``path``.

    The temporary file is removed on any failure, including KeyboardInterrupt; an
    ``OSError`` becomes ``OutputError("{path}: cannot {what} (...)")``.
    """
    tmp = None
    try:
        tmp = _create_temp(path)
        out = write(tmp)
        os.replace(tmp, path)
        return out
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{path}: cannot {what} ({exc.strerror or exc})") from None
    except BaseException:
        _remove(tmp)
        raise


def _create_temp(path: Path) -> str:
    """Create an empty ``.{name}.{random}.tmp`` next to ``path``, with the permissions
    of a new file (the umask applies, unlike ``tempfile.mkstemp``'s owner-only 0600)."""
    while True:
        tmp = str(path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp"))
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


def _remove(tmp: str | None) -> None:
    if tmp is not None:
        Path(tmp).unlink(missing_ok=True)


def check_output(path: str | Path, *, force: bool = False, suffix: str = ".xlsx",
                 kind: str = "an Excel workbook", inputs: Iterable[str | Path] = ()) -> Path:
    """Check an output file's path before any work is done; raise ``OutputError`` if
    unusable (one of ``inputs``, the files the run reads, whatever ``force`` says; wrong
    ending, a folder, exists without ``force``, folder missing or not writable, name too
    long)."""
    path = Path(path)
    clash = check_not_input([("", path)], inputs)
    if clash:
        raise OutputError([c.lstrip() for c in clash])
    if path.suffix.lower() != suffix:
        raise OutputError(f"{path}: {kind} must end in {suffix}")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if path.exists() and not force:
        raise OutputError(f"{path}: file exists; use --force to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {path.parent} cannot be written")
    if len(path.name.encode()) > MAX_NAME:
        raise OutputError(f"{path}: file name too long (at most {MAX_NAME} bytes)")
    return path


#: Longest workbook file name: the file system's 255 bytes less the temporary name's extras.
MAX_NAME = 255 - len("..12345678.tmp")



def folder_problems(folder: Path) -> list[str]:
    """Why ``folder`` cannot be written into (or created), as problem lines; empty if it can."""
    if folder.exists() and not folder.is_dir():
        return [f"{folder}: is not a folder"]
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            return [f"{folder}: folder cannot be written"]
        return []
    parent = folder.parent
    if not parent.is_dir():
        return [f"{folder}: folder {parent} does not exist"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"{folder}: cannot create the folder in {parent}"]
    return []




def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (an existing one by its inode, else by its
    resolved path)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a name the system refuses (too long, unreadable)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def check_not_input(outputs: Iterable[tuple[str, Path]], inputs: Iterable[str | Path]) -> list[str]:
    """Problem lines for every output that would overwrite one of the run's inputs.

    Parameters
    ----------
    outputs : ``(label, path)`` pairs, e.g. ``("--xlsx", Path("c.xlsx"))``; a table
        folder's files are given one by one
    inputs : the files the run reads (spec, observed CSV, profiles, portfolio); names
        that are not files (bundled contracts) are ignored
    """
    files = [Path(i) for i in inputs if i is not None and _is_file(Path(i))]
    return [f"{label} {path}: is an input of this run ({src}); write the output elsewhere"
            for label, path in outputs for src in files if same_file(path, src)]
