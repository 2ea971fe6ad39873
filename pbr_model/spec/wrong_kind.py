"""What kind of file a spec file is, told by its tables (a workbook: its sheets), and a file
of the wrong kind said in one line: a portfolio or a provider profile given where a contract
spec is asked for, or a contract spec or a portfolio where a provider profile is (rather than
every field the other kind lacks)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Literal

from ..errors import SpecError
from .reading import workbook_sheets

Kind = Literal["contract", "portfolio", "profile"]


def kind_of(names: Collection[str]) -> Kind | None:
    """The kind a file's top-level tables (a workbook's sheets but ``Read me``) make it: a
    ``[portfolio]`` table a portfolio, only a ``[provider]`` table a provider profile, a
    ``[contract]`` table a contract spec; None for none of these (its loader says what is
    wrong with it)."""
    if "portfolio" in names:
        return "portfolio"
    if names and set(names) == {"provider"}:
        return "profile"
    return "contract" if "contract" in names else None


def not_a_contract(data: dict, spec: str | Path) -> None:
    """Refuse a portfolio or a provider profile given where a contract spec is asked for,
    saying what it is and where it goes (rather than listing the contract fields it lacks)."""
    kind = kind_of(data)
    if kind == "portfolio":
        raise SpecError(f"{spec}: is a portfolio (it has a [portfolio] table), not a contract "
                        f"spec; run it with `pbr capital {spec}`, check it with `pbr validate`")
    if kind == "profile":
        raise SpecError(f"{spec}: is a provider profile (only a [provider] table), not a "
                        f"contract spec; give it to `pbr capital` or `pbr breakeven` with "
                        f"--provider {spec}, check it with `pbr validate`")


#: What a provider profile is, said after a file that is not one.
PROFILE_IS = ("a provider profile has only a [provider] table (a workbook: only a provider "
              "sheet), as `pbr template FILE.xlsx --from small-charity` writes; see "
              "`pbr providers`")


def not_a_profile(data: dict | None, path: Path, source: str) -> None:
    """Refuse a contract spec or a portfolio given where a provider profile is asked for
    (``--provider``, a supply chain entry's ``profile``), saying what it is. ``data``: the
    TOML file's tables, or None for a workbook (told by its sheets); ``source``: the file
    as given."""
    kind = kind_of(workbook_sheets(path) if data is None else data)
    if kind == "portfolio":
        raise SpecError(f"{source}: is a portfolio (it has a [portfolio] table), not a provider "
                        f"profile; run it with `pbr capital {source}`; {PROFILE_IS}")
    if kind == "contract":
        what = ("a contract spec workbook (it has a contract sheet)" if data is None
                else "a contract spec (it has a [contract] table)")
        raise SpecError(f"{source}: is {what}, not a provider profile; use it as a SPEC, e.g. "
                        f"`pbr capital {source}`; {PROFILE_IS}")
