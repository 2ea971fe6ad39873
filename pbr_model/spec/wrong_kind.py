"""What kind of file a spec file is, told by its tables (a workbook: its sheets), and a file
of the wrong kind said in one line: a portfolio or a provider profile given where a contract
spec is asked for, a contract spec or a portfolio where a provider profile is, or a results
workbook where either is (rather than every field the other kind lacks, or every sheet a
spec workbook does not have)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Literal

from ..errors import SpecError, shown
from .reading import workbook_sheets
from .schema import ContractSpec

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
    if kind is None and not set(data) & set(ContractSpec.model_fields):
        has = (f"its tables are {', '.join(f'[{shown(k)}]' for k in list(data)[:5])}"
               f"{', ...' if len(data) > 5 else ''}" if data else "it has no table at all")
        raise SpecError(f"{spec}: has none of a contract spec's tables ({has}); a contract "
                        "spec has [contract], [cohorts], [population], [payments] and the "
                        "rest, as `pbr show --toml tr-crc-example` prints")


#: What a provider profile is, said after a file that is not one.
PROFILE_IS = ("a provider profile has only a [provider] table (a workbook: only a provider "
              "sheet), as `pbr template FILE.xlsx --from small-charity` writes; see "
              "`pbr providers`")


def not_a_profile(data: dict | None, path: Path, source: str) -> None:
    """Refuse a contract spec or a portfolio given where a provider profile is asked for
    (``--provider``, a supply chain entry's ``profile``), saying what it is. ``data``: the
    TOML file's tables, or None for a workbook (told by its sheets, and refused too if it
    is a results workbook); ``source``: the file as given."""
    sheets = workbook_sheets(path) if data is None else None
    kind = kind_of(data if sheets is None else sheets)
    if kind == "portfolio":
        raise SpecError(f"{source}: is a portfolio (it has a [portfolio] table), not a provider "
                        f"profile; run it with `pbr capital {source}`; {PROFILE_IS}")
    if kind == "contract":
        what = ("a contract spec workbook (it has a contract sheet)" if data is None
                else "a contract spec (it has a [contract] table)")
        raise SpecError(f"{source}: is {what}, not a provider profile; use it as a SPEC, e.g. "
                        f"`pbr capital {source}`; {PROFILE_IS}")
    if sheets is not None:
        not_results(path, source, "provider profile", sheets)


#: The sheet every results workbook opens with (what ``--xlsx`` writes, from any command);
#: a spec workbook's sheets are its sections, in lower case.
RESULTS_SHEET = "Summary"


def not_results(path: Path, source: str, asked: str, sheets: list[str] | None = None) -> None:
    """Refuse a results workbook (a :data:`RESULTS_SHEET` sheet and no spec section) given
    where a spec workbook is asked for (``asked``: ``"contract spec"`` or ``"provider
    profile"``), in one line naming the spec it was made from when it says, rather than one
    line per sheet a spec workbook does not have. ``source``: the file as given; ``sheets``:
    its sheets, if already read."""
    sheets = workbook_sheets(path) if sheets is None else sheets
    if RESULTS_SHEET not in sheets or kind_of(sheets) is not None:
        return
    meta = results_meta(path)
    if meta is None:  # not ours (no pbr-model version in its Summary): the loader says why
        return
    made, kind = meta
    what = (f"{source}: is a results workbook (its {RESULTS_SHEET} sheet is what a command's "
            f"--xlsx writes), not a {asked}")
    if asked != "contract spec":
        raise SpecError(f"{what}; {PROFILE_IS}")
    if made is None:
        raise SpecError(f"{what}; give the spec it was made from, or edit one written by "
                        "`pbr template FILE.xlsx --from SPEC`")
    if kind == "portfolio":
        raise SpecError(f"{what}; it was made from the portfolio {made}: run it with "
                        f"`pbr capital {made}`")
    raise SpecError(f"{what}; it was made from {made}: give that as the SPEC, or edit a copy "
                    f"written by `pbr template FILE.xlsx --from {made}`")


def results_meta(path: Path) -> tuple[str | None, str | None] | None:
    """For a results workbook of pbr's (its Summary carries a ``pbr-model version`` row):
    the spec it says it was made from (its ``Source`` row, as shown; None if it does not
    say) and that spec's kind (``Spec kind``). None for any other workbook, one too large
    for an input workbook, or one that cannot be read."""
    try:
        from openpyxl import load_workbook  # only on this error's path

        from .workbook import _check_size
        _check_size(path)
        book = load_workbook(path, read_only=True)
        try:
            rows = book[RESULTS_SHEET].iter_rows(max_row=20, max_col=2, values_only=True)
            meta = {r[0]: r[1] for r in rows if len(r) == 2 and isinstance(r[0], str)}
        finally:
            book.close()
    except Exception:  # a damaged workbook: the loader says what is wrong  # noqa: BLE001
        return None
    if "pbr-model version" not in meta:
        return None
    found, kind = meta.get("Source"), meta.get("Spec kind")
    return (shown(found) if isinstance(found, str) and found.strip() else None,
            kind if isinstance(kind, str) else None)
