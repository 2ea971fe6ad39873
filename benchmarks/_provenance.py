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
        " + UNCOMMITTED changes to pbr_model/contracts" if dirty else " (clean)")
