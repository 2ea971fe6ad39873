"""One BLAS thread for the ``pbr`` command unless the user chose a number.

The engine never hands simulation rows to BLAS (a matrix product would round by block
shape, :mod:`pbr_model.stats`), so BLAS threads only start, wait and compete with the
engine for cores (see docs/scaling.md, "BLAS threads"). BLAS reads its thread count once,
when numpy is first imported, so the entry point (:func:`pbr_model.cli.main`) calls
:func:`for_the_command` before anything imports numpy. A program that imports
``pbr_model`` as a library keeps its own settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

#: The variables OpenBLAS, OpenMP and MKL read their thread counts from.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread(environ: MutableMapping[str, str] | None = None) -> bool:
    """Set each of :data:`BLAS_THREAD_VARIABLES` to 1 unless one of them is set (a number
    the user chose is kept, and then none is added). Returns whether they were set."""
    environ = os.environ if environ is None else environ
    if any(name in environ for name in BLAS_THREAD_VARIABLES):
        return False
    for name in BLAS_THREAD_VARIABLES:
        environ.setdefault(name, "1")
    return True


def for_the_command() -> bool:
    """:func:`one_blas_thread`, if numpy is not imported yet (after that BLAS would not
    read it: a program that imported numpy and then runs the command keeps its settings)."""
    return "numpy" not in sys.modules and one_blas_thread()
