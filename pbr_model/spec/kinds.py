"""What kind of file a SPEC argument names: a contract spec, a portfolio or a provider
profile, told by its tables (or by which bundled list a name is in)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError, shown
from ..files import is_file
from .load import (WORKBOOK_SUFFIXES, bundled_contracts, bundled_name, bundled_providers,
                   read_toml, resolve)
from .reading import read_capped, workbook_sheets
from .wrong_kind import Kind, kind_of
from .portfolio import bundled_portfolios


def file_kind(spec: str | Path) -> Kind:
    """``"portfolio"`` for a TOML file with a ``[portfolio]`` table or a bundled portfolio's
    name; ``"profile"`` for a TOML file with only a ``[provider]`` table, a workbook whose
    only sheet (but ``Read me``) is ``provider``, or a bundled profile's name; ``"contract"`` for anything else (a workbook, a bundled contract's name,
    a name that is nothing: the contract loader says what is wrong with it).

    Raises
    ------
    SpecError
        When the file cannot be read as TOML (what a loader would say).
    """
    path = Path(spec)
    if not is_file(path):  # nor a name the system refuses: the loader says why
        name = bundled_name(spec)
        if name in bundled_contracts():
            return "contract"
        return ("portfolio" if name in bundled_portfolios()
                else "profile" if name in bundled_providers() else "contract")
    if path.suffix.lower() in WORKBOOK_SUFFIXES:   # a workbook is a profile or a contract
        return "profile" if kind_of(workbook_sheets(path)) == "profile" else "contract"
    return kind_of(read_toml(path)) or "contract"


def bundled_files() -> dict[Kind, dict[str, Path]]:
    """Every bundled file by kind: name -> path (contracts, portfolios, provider profiles)."""
    return {"contract": bundled_contracts(), "portfolio": bundled_portfolios(),
            "profile": bundled_providers()}


def toml_text(spec: str | Path) -> str:
    """The text of the TOML file a SPEC argument names (a file, or a bundled contract,
    portfolio or provider profile), exactly as written, comments and all: to copy and edit.

    Raises
    ------
    SpecError
        When it names no file, names a workbook, or the file is not valid TOML.
    """
    kind = file_kind(spec)
    bundled = bundled_files()[kind]
    path = resolve(spec, bundled, "contract, portfolio or provider profile" if kind == "contract"
                   else {"portfolio": "portfolio", "profile": "provider profile"}[kind])
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise SpecError(f"{shown(str(spec))}: is a workbook, not a TOML file: only a TOML file's "
                        "text can be printed (its figures: `pbr show SPEC --json`)")
    read_toml(path)  # valid TOML (so UTF-8 text with no control characters), or why not
    return read_capped(path).decode("utf-8")
