"""Contract specs: schema, loading, overrides and the bundled contracts."""

from .load import (
    DEFAULT_CONTRACT,
    LoadedSpec,
    bundled_contracts,
    load_spec,
    read_toml,
    resolve,
    spec_sha256,
    validate,
)
from .overrides import apply_overrides
from .schema import ContractSpec

__all__ = [
    "DEFAULT_CONTRACT", "ContractSpec", "LoadedSpec", "apply_overrides", "bundled_contracts",
    "load_spec", "read_toml", "read_workbook", "resolve", "spec_sha256", "validate",
    "write_template",
]


def __getattr__(name: str):
    """The Excel input workbook functions, imported on first use so that a command that
    reads no workbook never imports openpyxl."""
    if name == "read_workbook":
        from .workbook import read_workbook

        return read_workbook
    if name == "write_template":
        from .template import write_template

        return write_template
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
