"""A file of the wrong kind, told by its tables and said in one line: a portfolio or a
provider profile given where a contract spec is asked for, or a contract spec or a
portfolio where a provider profile is (rather than every field the other kind lacks)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError
from .reading import workbook_sheets


def not_a_contract(data: dict, spec: str | Path) -> None:
    """Refuse a portfolio or a provider profile given where a contract spec is asked for,
    saying what it is and where it goes (rather than listing the contract fields it lacks)."""
    if "portfolio" in data:
        raise SpecError(f"{spec}: is a portfolio (it has a [portfolio] table), not a contract "
                        f"spec; run it with `pbr capital {spec}`, check it with `pbr validate`")
    if data and set(data) == {"provider"}:
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
    if data is None:
        if "contract" in workbook_sheets(path):
            raise SpecError(f"{source}: is a contract spec workbook (it has a contract sheet), "
                            f"not a provider profile; use it as a SPEC, e.g. `pbr capital "
                            f"{source}`; {PROFILE_IS}")
        return
    if "portfolio" in data:
        raise SpecError(f"{source}: is a portfolio (it has a [portfolio] table), not a provider "
                        f"profile; run it with `pbr capital {source}`; {PROFILE_IS}")
    if "contract" in data:
        raise SpecError(f"{source}: is a contract spec (it has a [contract] table), not a "
                        f"provider profile; use it as a SPEC, e.g. `pbr capital {source}`; "
                        f"{PROFILE_IS}")
