"""Files the package writes: output paths checked before any work, and writes that are
never left half-done.

Every file goes to a temporary name in its folder and is renamed into place, so an
interrupted or failed write never leaves a partial file under a final name. An output
may never be one of the run's inputs (the spec, an observed CSV, a profile, a
portfolio): :func:`check_not_input` refuses it, ``--force`` or not.

A temporary file is named ``.{name}.{pid}-{8 hex digits}.tmp`` (the pid of the process
writing it). A write removes its own on any failure, Ctrl-C or SIGTERM; only a process killed
outright (SIGKILL) or a crash can leave one behind, and the next write into the same folder
removes it (:func:`sweep`): a file of exactly that naming whose process is no longer
running on this machine, or one of the older naming (``.{name}.{8 hex digits}.tmp``,
before 0.8; and any on Windows, where a process cannot be asked after) not modified for
an hour. Nothing else in the folder is touched.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from .errors import OutputError, shown
from .stopping import stop_point

#: Our temporary files: ``.{name}.{pid}-{hex}.tmp``, and before 0.8 ``.{name}.{hex}.tmp``.
TEMP = re.compile(r"\.(?P<name>.+)\.(?:(?P<pid>[1-9][0-9]{0,9})-)?[0-9a-f]{8}\.tmp")
#: How long a temporary file of the older naming (no pid) must be left unmodified before
#: it is swept [s]: far longer than any write takes.
OLD_TEMP_AGE = 3600.0

#: The files this process has renamed into place (for the message when interrupted).
written: list[Path] = []


def stage(path: Path, write: Callable[[str], Any], what: str = "write") -> tuple[str, Any]:
    """``write(tmp)`` to a temporary file next to ``path``, left there for :func:`commit`
    to rename into place: ``(tmp, what write returned)``. As :func:`atomic_write`, the
    temporary file is removed on any failure and an ``OSError`` is an ``OutputError``."""
    tmp = None
    stop_point()   # a stop that was lost where it arrived is acted on before a file is begun
    try:
        sweep(path.parent)
        # named before it is created, so an interruption at any point removes it
        tmp = _temp_name(path)
        while not _create(tmp):
            tmp = _temp_name(path)
        return tmp, write(tmp)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{path}: cannot {what} ({exc.strerror or exc})") from None
    except BaseException:
        _remove(tmp)
        raise


def commit(staged: list[tuple[str, Path]], what: str = "write") -> None:
    """Rename each staged ``(tmp, path)`` into place, in order, each then counted as
    written; on any failure the ones not yet renamed are removed (the caller takes back
    the ones that were, if the set must be whole)."""
    for i, (tmp, path) in enumerate(staged):
        try:
            stop_point()   # (as in stage: before each file is put in place)
            os.replace(tmp, path)
        except BaseException as exc:
            discard(staged[i:])
            if isinstance(exc, OSError):
                raise OutputError(f"{path}: cannot {what} ({exc.strerror or exc})") from None
            raise
        written.append(path)


def discard(staged: Iterable[tuple[str, Path]]) -> None:
    """Remove the temporary files of staged ``(tmp, path)`` pairs (any already renamed into
    place are gone from their temporary names: nothing to do)."""
    for tmp, _ in staged:
        try:
            _remove(tmp)
        except OSError:  # cleaning up after a failure: the failure is what is said
            pass


def atomic_write(path: Path, write: Callable[[str], Any], what: str = "write") -> Any:
    """``write(tmp)`` to a temporary file next to ``path``, then rename it onto ``path``
    (:func:`stage`, then :func:`commit`).

    Stale temporary files of ours in the folder are swept first (:func:`sweep`). The
    temporary file is removed on any failure, including KeyboardInterrupt (and SIGTERM,
    which the command line turns into an exception); an ``OSError`` becomes
    ``OutputError("{path}: cannot {what} (...)")``.
    """
    tmp, out = stage(path, write, what)
    commit([(tmp, path)], what)
    return out


def in_memory(save: Callable[[IO[bytes]], Any]) -> Callable[[str], Any]:
    """A ``write`` for :func:`atomic_write` that builds the file in memory with
    ``save(buffer)`` and writes it out in one go: for writers that leave a file open when
    a write fails (openpyxl's zip archive, which would try again, and fail again, when it
    is collected, printing a traceback after the ``Error:`` line on a full disk)."""
    def write(tmp: str) -> Any:
        buffer = io.BytesIO()
        out = save(buffer)
        with open(tmp, "wb") as f:
            f.write(buffer.getbuffer())
        return out
    return write


def sweep(folder: Path, pattern: re.Pattern = TEMP, folders: bool = False) -> list[Path]:
    """Remove the stale temporary files of ours in ``folder`` (see the module notes);
    return them. Only regular files of exactly our naming, owned by this user, whose
    writing process is not running on this machine (or, of the older naming, unmodified
    for :data:`OLD_TEMP_AGE`). Anything that cannot be read or removed is left.
    ``pattern`` (with a ``pid`` group) and ``folders``: sweep folders of that naming instead
    (a run's spool, :mod:`pbr_model.analyses.spool`), only by their process, never by age,
    and not on Windows (a folder's time is not that of the files written in it)."""
    removed = []
    if folders and os.name == "nt":
        return removed
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
            kind = entry.is_dir if folders else entry.is_file
            if not kind(follow_symlinks=False) or not mine:
                continue
            if match["pid"] and os.name != "nt":  # (on Windows signal 0 would end a process)
                stale = not _running(int(match["pid"]))
            else:
                stale = not folders and now - st.st_mtime > OLD_TEMP_AGE
            if stale:
                if folders:
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _running(pid: int) -> bool:
    """Whether a process ``pid`` may be running on this machine (ours or another
    user's); True when that cannot be told."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:  # beyond any process id
        return False
    except OSError:  # e.g. PermissionError: it runs, as another user
        return True
    return True


def _temp_name(path: Path) -> str:
    """``.{name}.{pid}-{random}.tmp`` next to ``path``."""
    return str(path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"))


def _create(tmp: str) -> bool:
    """Create the empty file ``tmp`` (False if the name is taken), with the permissions
    of a new file (the umask applies, unlike ``tempfile.mkstemp``'s owner-only 0600)."""
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        return True
    except FileExistsError:
        return False


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
    problem = unusable(path)
    if problem:
        raise OutputError(problem)
    clash = check_not_input([("", path)], inputs)
    if clash:
        raise OutputError([c.lstrip() for c in clash])
    if path.suffix.lower() != suffix:
        if path.name.lower() == suffix:  # ".xlsx" is a hidden file's name with no ending
            raise OutputError(f"{path}: {kind} needs a name before {suffix}, e.g. "
                              f"results{suffix}")
        raise OutputError(f"{path}: {kind} must end in {suffix}")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if path.exists() and not force:
        raise OutputError(f"{path}: file exists; use --force to replace it")
    if path.parent.exists() and not path.parent.is_dir():
        raise OutputError(f"{path}: {path.parent} is not a folder")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {path.parent} cannot be written")
    if len(path.name.encode()) > MAX_NAME:
        raise OutputError(f"{path}: file name too long (at most {MAX_NAME} bytes)")
    return path


#: Longest workbook file name: the file system's 255 bytes less the temporary name's
#: extras (a process id has at most 7 digits on Linux, 5 on macOS).
MAX_NAME = 255 - len("..1234567-12345678.tmp")



def folder_problems(folder: Path) -> list[str]:
    """Why ``folder`` cannot be written into (or created), as problem lines; empty if it can."""
    problem = unusable(folder)
    if problem:
        return [problem]
    if folder.exists() and not folder.is_dir():
        return [f"{folder}: is not a folder"]
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            return [f"{folder}: folder cannot be written"]
        return []
    parent = folder.parent
    if parent.exists() and not parent.is_dir():
        return [f"{folder}: {parent} is not a folder"]
    if not parent.is_dir():
        return [f"{folder}: folder {parent} does not exist (only the last folder of the path "
                "is created)"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"{folder}: cannot create the folder in {parent}"]
    return []




def unusable(path: Path) -> str | None:
    """Why the system will not look ``path`` up at all (a name longer than it allows, a NUL
    byte), as a problem line; None when it will, whether or not the file exists."""
    try:
        path.exists()
    except OSError as exc:
        return f"{shown(str(path))}: cannot use this path ({exc.strerror or exc})"
    except ValueError as exc:
        return f"{shown(str(path))}: cannot use this path ({exc})"
    return None


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


def is_file(path: str | Path) -> bool:
    """Whether ``path`` names a regular file; False, not an error, for a name the system
    refuses (too long, a NUL byte, a folder that cannot be read)."""
    try:
        return Path(path).is_file()
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
    files = [Path(i) for i in inputs if i is not None and is_file(i)]
    return [f"{label} {path}: is an input of this run ({src}); write the output elsewhere"
            for label, path in outputs for src in files if same_file(path, src)]
