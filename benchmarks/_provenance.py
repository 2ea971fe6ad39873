"""Which pbr_model a benchmark measured: version, location and (in a git checkout) commit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

import pbr_model


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def compile_bytecode() -> str:
    """Compile the package's bytecode, as ``pip install`` does, and say so.

    A start-up timing is a user's only once the package's ``.pyc`` files exist: a wheel
    install writes them, an editable install writes them on first import, but not where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machine), and then every run
    compiles the whole package again (about 0.3 s of ``pbr simulate``)."""
    import compileall
    pkg = Path(pbr_model.__file__).resolve().parent
    ok = compileall.compile_dir(str(pkg), quiet=1)
    return ("bytecode compiled first (as pip install does)" if ok
            else "bytecode NOT all compiled: start-up includes compiling")


def describe() -> str:
    pkg = Path(pbr_model.__file__).resolve().parent
    root = pkg.parent
    text = f"pbr_model {pbr_model.__version__} from {pkg}; numpy {np.__version__}"
    commit = _git(root, "rev-parse", "--short", "HEAD")
    if commit is None:
        return text + "; not a git checkout" + (
            f" (PBR_BENCH_COMMIT={os.environ['PBR_BENCH_COMMIT']})"
            if "PBR_BENCH_COMMIT" in os.environ else "")
    dirty = _git(root, "status", "--porcelain", "--", "pbr_model", "contracts")
    return text + f"; commit {commit}" + (
        " + UNCOMMITTED changes to pbr_model/ or contracts/" if dirty else " (clean)")
