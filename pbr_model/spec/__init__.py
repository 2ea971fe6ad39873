"""Contract specs: schema, loading, overrides and the bundled contracts."""

from .load import (
    DEFAULT_CONTRACT,
    LoadedSpec,
    apply_overrides,
    bundled_contracts,
    load_spec,
    read_toml,
    resolve,
    spec_sha256,
    validate,
)
from .schema import ContractSpec

__all__ = [
    "DEFAULT_CONTRACT", "ContractSpec", "LoadedSpec", "apply_overrides", "bundled_contracts",
    "load_spec", "read_toml", "resolve", "spec_sha256", "validate",
]
