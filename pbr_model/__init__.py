"""pbr-model: price and stress-test payment-by-results (PbR) and social impact
bond (SIB) contracts in offender rehabilitation.

>>> from pbr_model import load_spec, simulate
>>> result = simulate(load_spec("tr-crc-example"), sims=2000, seed=1)
>>> result.summary()["provider"]["prob_loss"]  # doctest: +SKIP

The names below are imported when first used (PEP 562), so ``import pbr_model`` and
``pbr --version`` do not pay for numpy, pydantic and the engine until they are needed.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from . import _moved

_moved.install()  # 0.4's module paths (pbr_model.capital, ...) still import, with a warning

#: Public name -> the module that defines it (imported on first use).
_LAZY = {
    "ContractSpec": ".spec", "bundled_contracts": ".spec", "load_spec": ".spec",
    "DEFAULT_SEED": ".engine", "Provenance": ".analyses.base",
    "SimulationResult": ".analyses.simulate", "simulate": ".analyses.simulate",
    "InputError": ".errors", "OutputError": ".errors", "PbrError": ".errors",
    "SpecError": ".errors",
}

__all__ = [
    "ContractSpec", "DEFAULT_SEED", "InputError", "OutputError", "PbrError", "Provenance",
    "SimulationResult", "SpecError", "__version__", "bundled_contracts", "load_spec", "simulate",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # once: later look-ups find it directly
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
