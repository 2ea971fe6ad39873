"""Old module paths that still import, with a deprecation warning.

Version 0.5 moved each command's analysis into :mod:`pbr_model.analyses`. Code written
for 0.4, e.g. ``from pbr_model.capital import capital``, keeps working: the old name is
served by a thin module whose attributes are the new module's, and importing it warns
(:class:`~pbr_model.errors.PbrDeprecationWarning`) with the import to write instead.
``pbr_model.simulate`` is not among them: that name is the :func:`simulate` function,
as it always was (``from pbr_model import simulate``).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings

from .errors import PbrDeprecationWarning

#: Old module -> the module that holds its names now.
MOVED = {
    "pbr_model.results": "pbr_model.analyses.simulate",
    "pbr_model.capital": "pbr_model.analyses.capital",
    "pbr_model.portfolio": "pbr_model.analyses.portfolio",
    "pbr_model.power": "pbr_model.analyses.power",
    "pbr_model.breakeven": "pbr_model.analyses.breakeven",
    "pbr_model.settle": "pbr_model.analyses.settle",
    "pbr_model.overview": "pbr_model.analyses.show",
}


class _Finder:
    """A meta path finder and loader of the old paths (the protocols by their methods:
    ``importlib.abc``'s base classes would import ``importlib.resources`` at start-up)."""

    def find_spec(self, fullname, path=None, target=None):
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):
        return None  # a plain module, filled in below

    def exec_module(self, module: types.ModuleType) -> None:
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} is now {new}; import from {new}",
                      PbrDeprecationWarning, stacklevel=2)
        target = importlib.import_module(new)
        module.__getattr__ = lambda name: getattr(target, name)  # PEP 562
        module.__dir__ = lambda: dir(target)
        module.__doc__ = f"Moved to {new}."


def install() -> None:
    """Serve the old paths (once per interpreter)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
