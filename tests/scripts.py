"""Importing a script the repository keeps outside the package (tools/, benchmarks/) in
tests: one way, so no test leaves sys.path changed."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def script(folder: str, name: str) -> ModuleType:
    """The module ``ROOT/folder/name.py``, imported with ``folder`` on the path only while
    it loads (its own imports of sibling files work)."""
    path = str(ROOT / folder)
    sys.path.insert(0, path)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(path)
