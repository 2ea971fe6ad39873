"""A streamed run's per-cohort and monthly arrays kept on disk, so its tables can be written.

A run too large to keep every simulation's arrays in memory is streamed
(:mod:`pbr_model.analyses.stream`): its chunks fold them into sketches. A run asked for its
``cohorts``, ``cashflows`` and ``months`` tables (``--csv``, ``--parquet``) needs them whole,
so a streamed run given a folder to spool into also writes each chunk's arrays there, in
simulation order, as the chunk arrives; memory then holds a chunk, not the run. The tables
are read back a few thousand simulations at a time, the ``months`` percentiles and the
per-cohort figures one month or cohort at a time.

On disk an array of ``(sims, k)`` (``k`` cohorts or months) is one file of ``k`` runs of
``sims`` values, the run of column ``j`` at ``j * sims``: a month's (or a cohort's) values
over every simulation are one read, and a chunk of simulations is ``k`` reads. The files
are raw, native-endian and temporary: they live in a hidden folder
(``.pbr-spool-{pid}-*``) removed by :meth:`Spool.close`, when the spool is
garbage-collected, or at exit. A process killed outright (SIGKILL) cannot remove it: the
next spool made in the same folder removes every spool folder of ours whose process is no
longer running (:func:`pbr_model.files.sweep`, as for temporary files; not on Windows,
where a process cannot be asked whether it runs).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import OutputError
from ..files import sweep

#: Prefix of a spool's temporary folder; its name goes on with the process id.
PREFIX = ".pbr-spool-"
#: A spool folder's name: the prefix, the id of the process that made it, random letters.
NAME = re.compile(re.escape(PREFIX) + r"(?P<pid>[1-9][0-9]{0,9})-[a-z0-9_]+")


class Spool:
    """Arrays ``(sims, k)`` written a chunk of rows at a time, in row order; read by column
    (:meth:`column`) or by rows (:meth:`rows`)."""

    def __init__(self, where: str | Path, sims: int):
        sweep(Path(where), NAME, folders=True)   # spools a killed process left
        with _said(where, "make a temporary folder in"):
            self.dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=where))
        self.sims = int(sims)
        self.filled = 0                                  # rows written so far
        self._files: dict[str, tuple[BinaryIO, int, np.dtype]] = {}   # name: (file, k, dtype)
        self._close = weakref.finalize(self, _remove, self.dir, self._files)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` removed the files."""
        return not self._close.alive

    def add(self, arrays: dict[str, np.ndarray]) -> None:
        """The next rows of each array (every array ``(rows, k)``, the same ``rows``; the
        first chunk fixes each name's ``k`` and dtype)."""
        rows = {np.shape(a)[0] for a in arrays.values()}
        if len(rows) != 1:
            raise ValueError(f"spool: arrays of different lengths {sorted(rows)}")
        n = rows.pop()
        if self.filled + n > self.sims:
            raise ValueError(f"spool: {self.filled + n:,} rows for {self.sims:,} simulations")
        for name, a in arrays.items():
            a = np.asarray(a)
            if name not in self._files:
                with _said(self.dir, "write the run's arrays in"):
                    f = open(self.dir / f"{len(self._files)}.bin", "x+b")  # noqa: SIM115
                self._files[name] = (f, a.shape[1], a.dtype)        # (closed by close())
            f, k, dtype = self._files[name]
            if a.shape[1:] != (k,) or a.dtype != dtype:
                raise ValueError(f"spool: {name} is {a.dtype}{a.shape[1:]}, "
                                 f"not {dtype}{(k,)} as before")
            columns = np.ascontiguousarray(a.T)         # (k, rows): one write per column
            with _said(self.dir, "write the run's arrays in"):
                for j in range(k):
                    f.seek((j * self.sims + self.filled) * dtype.itemsize)
                    f.write(columns[j].data)
                f.flush()          # a full disk is said here, not when the file is closed
        self.filled += n

    def column(self, name: str, j: int) -> np.ndarray:
        """Column ``j`` of array ``name`` over every simulation, ``(sims,)``."""
        f, k, dtype = self._file(name)
        if not 0 <= j < k:
            raise IndexError(f"spool: {name} has {k} columns (got {j})")
        return self._read(f, dtype, j * self.sims, self.sims)

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` of array ``name``, ``(stop - start, k)``."""
        f, k, dtype = self._file(name)
        out = np.empty((k, stop - start), dtype=dtype)
        for j in range(k):
            out[j] = self._read(f, dtype, j * self.sims + start, stop - start)
        return out.T

    def _file(self, name: str) -> tuple[BinaryIO, int, np.dtype]:
        """Array ``name``'s file, width and dtype, once every row is written."""
        if self.closed:
            raise ValueError(f"spool: {self.dir} was closed: its arrays are gone")
        if self.filled != self.sims:
            raise ValueError(f"spool: {self.filled:,} of {self.sims:,} rows written")
        if name not in self._files:
            raise KeyError(f"spool: no array {name!r} (it has {', '.join(self._files)})")
        return self._files[name]

    def _read(self, f: BinaryIO, dtype: np.dtype, first: int, count: int) -> np.ndarray:
        out = np.empty(count, dtype=dtype)
        with _said(self.dir, "read the run's arrays from"):
            f.seek(first * dtype.itemsize)
            if f.readinto(out.data.cast("B")) != out.nbytes:
                raise OSError(f"{self.dir}: a file of the run's arrays was cut short")
        return out

    def close(self) -> None:
        """Remove the spool's files (idempotent)."""
        self._close()


@contextlib.contextmanager
def _said(folder, what: str):
    """An ``OSError`` (a full disk) as the ``OutputError`` the command says in one line."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{folder}: cannot {what} it ({exc.strerror or exc}); the tables of "
                          "a run this large go through a temporary folder there") from None


def _remove(folder: Path, files: dict) -> None:
    for f, _, _ in files.values():
        try:
            f.close()
        except OSError:        # what a full disk left in its buffer: the file goes anyway
            pass
    files.clear()
    shutil.rmtree(folder, ignore_errors=True)
