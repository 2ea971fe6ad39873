"""pbr-model: price and stress-test payment-by-results (PbR) and social impact
bond (SIB) contracts in offender rehabilitation.

>>> from pbr_model import load_spec, simulate
>>> result = simulate(load_spec("tr-crc-example"), sims=2000, seed=1)
>>> result.summary()["provider"]["prob_loss"]  # doctest: +SKIP
"""

from ._version import __version__
from .analyses.base import Provenance
from .analyses.simulate import SimulationResult, simulate
from .engine import DEFAULT_SEED
from .errors import InputError, OutputError, PbrError, SpecError
from .spec import ContractSpec, bundled_contracts, load_spec
from . import _moved

_moved.install()  # 0.4's module paths (pbr_model.capital, ...) still import, with a warning

__all__ = [
    "ContractSpec", "DEFAULT_SEED", "InputError", "OutputError", "PbrError", "Provenance",
    "SimulationResult", "SpecError", "__version__", "bundled_contracts", "load_spec", "simulate",
]
