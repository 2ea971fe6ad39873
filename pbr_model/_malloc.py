"""Freed memory kept for the next array, for the ``pbr`` command on glibc.

The engine makes and frees arrays of a few megabytes (a block's months by simulations)
thousands of times a run. glibc's ``malloc`` hands each such array fresh pages from the
kernel (``mmap``) and gives them back when it is freed, so every array's first write
faults its pages in again; with several threads, each has its own arena and their page
faults queue on the process's memory map. Measured on this project's 2-core machine
(``pbr simulate --sims 10000 --threads 2``, engine in process, medians of 7): 51,000 page
faults and 0.20 s of system time, against 14 faults and 0.005 s with the settings below,
and the run 0.48 s to 0.36 s wall (docs/scaling.md, "Memory allocation").

:func:`keep_freed_memory` asks glibc (``mallopt``) to serve arrays up to 1 GiB from its
heap, to keep freed memory for the next one instead of trimming it, and to use one arena
for every thread. Peak memory is what the live arrays need plus what fragmentation leaves,
measured in docs/scaling.md; a number computed is the same bits either way (allocation
does not enter arithmetic). The entry point (:func:`pbr_model.cli.main`) calls it for a
command, and ``--workers`` processes, forked, inherit it. A program that imports
``pbr_model`` as a library keeps its own allocator settings. Not on glibc (macOS, Windows,
musl), or where the user set glibc's allocator variables (``MALLOC_*_``,
``GLIBC_TUNABLES``) or ``PBR_MALLOC=system``, nothing is changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: glibc's ``mallopt`` parameters (malloc.h) and what the command sets them to.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
SETTINGS = ((M_MMAP_THRESHOLD, 1 << 30),   # arrays up to 1 GiB from the heap, not mmap
            (M_TRIM_THRESHOLD, 1 << 30),   # keep up to 1 GiB freed at the heap's top
            (M_ARENA_MAX, 1))              # one arena: threads reuse each other's memory

#: Environment variables by which a user sets glibc's allocator: any of them leaves it be.
USER_VARIABLES = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                  "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "GLIBC_TUNABLES")


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the command should set the allocator: on glibc, with none of
    :data:`USER_VARIABLES` set and ``PBR_MALLOC`` not ``system``."""
    environ = os.environ if environ is None else environ
    if environ.get("PBR_MALLOC", "").strip().lower() == "system":
        return False
    if any(name in environ for name in USER_VARIABLES):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):  # not glibc (or no confstr at all)
        return False


def keep_freed_memory(environ: Mapping[str, str] | None = None) -> bool:
    """Apply :data:`SETTINGS` with glibc's ``mallopt`` when :func:`wanted`; whether all
    were applied. A setting glibc refuses is left as it was (no error: only speed
    depends on it)."""
    if not wanted(environ):
        return False
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all([mallopt(param, value) == 1 for param, value in SETTINGS])
