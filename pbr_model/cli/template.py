"""``pbr template``: write an Excel input workbook for a contract spec or a provider profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, PbrError
from ..files import check_output
from ..spec import DEFAULT_CONTRACT, load_spec
from ..spec.kinds import file_kind
from ..spec.load import load_profile
from .app import app, err, handles_errors
from .options import SetOpt


@app.command("template")
@handles_errors
def template_cmd(
    file: Annotated[Path, typer.Argument(
        metavar="FILE.xlsx", help="The workbook to write (must end in .xlsx).")],
    source: Annotated[str, typer.Option(
        "--from", metavar="SPEC",
        help="Spec to start from: a TOML file, a bundled contract name (see `pbr list`) or "
             "another template workbook.")] = DEFAULT_CONTRACT,
    overrides: SetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write an Excel input workbook for a contract: one sheet per section of the spec, one
    row per field with its unit, what is allowed and a description, and data validation on
    the values. Edit the Value column, then use the workbook wherever a SPEC is asked for.
    Without --from it starts from the bundled tr-crc-example contract. From a provider
    profile (a bundled one, see `pbr providers`, or your own file) it writes a workbook of
    the organisation's own finances and seat terms (one sheet, `provider`), for
    `pbr capital SPEC --provider FILE.xlsx` or a supply chain entry's `profile`.

    \b
    Examples:
      pbr template my_contract.xlsx                     # from tr-crc-example
      pbr template able.xlsx --from nyc-able-sib
      pbr template big.xlsx --from my_contract.toml --set cohorts.entrants_per_period=3500
      pbr validate my_contract.xlsx                     # after editing it
      pbr template charity.xlsx --from small-charity    # a provider profile
      pbr simulate my_contract.xlsx --sims 20000
    """
    problems = []
    try:  # the source as FILE is said alone: --force would not help
        check_output(file, force=force, inputs=[source])
    except PbrError as exc:
        problems.extend(exc.problems)
    profile = _is_profile(source)
    try:
        loaded = (load_profile(source, overrides or []) if profile
                  else load_spec(source, overrides or []))
    except PbrError as exc:  # keep collecting: every problem at once
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    from ..spec.template import write_profile_template, write_template  # openpyxl: only here
    if profile:
        write_profile_template(loaded, file, source, force=force)
    else:
        write_template(loaded, file, force=force)
    err.print(f"Wrote {file}", markup=False, soft_wrap=True)


def _is_profile(source: str) -> bool:
    """A provider profile (bundled name, TOML or workbook file), not a contract spec."""
    try:
        return file_kind(source) == "profile"
    except PbrError:
        return False  # the spec loader says what is wrong with it
