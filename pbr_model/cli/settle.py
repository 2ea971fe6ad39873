"""``pbr settle``: apply a contract's rules to observed results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError, OutputError
from ..report.excel import check_output, write_settlement_workbook
from ..report.json import dumps
from ..report.terminal import settlement_table
from ..settle import settle
from ..spec import load_spec
from .app import app, handles_errors
from .simulate import SetOpt, SpecArg, emit


@app.command("settle")
@handles_errors
def settle_cmd(
    spec: SpecArg,
    observed: Annotated[Path, typer.Option(
        "--observed", metavar="FILE.csv",
        help="Observed results: a header and one row per cohort with cohort, n, reoffenders, "
             "reoffences (and comparison_n, comparison_reoffenders, comparison_reoffences with "
             "a comparison group). See docs/settlement.md.")],
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")] = False,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", metavar="FILE",
                                                 help="Also write an Excel workbook.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --xlsx file.")] = False,
) -> None:
    """Settle a contract on observed results: each cohort's measured change, the triggers
    that fired and what each outcome mechanism pays.

    \b
    Examples:
      pbr settle peterborough-sib --observed examples/observed/peterborough.csv
      pbr settle doncaster-pbr --observed examples/observed/doncaster.csv --json
    """
    if xlsx is not None:
        try:
            check_output(xlsx, force=force)
        except OutputError as exc:
            raise InputError([f"--xlsx {p}" for p in exc.problems]) from None
    loaded = load_spec(spec, overrides or [])
    result = settle(loaded, observed)
    emit(as_json, lambda: dumps(result.to_dict()), lambda: settlement_table(result), xlsx,
         lambda path, force: write_settlement_workbook(result, path, force=force), force)
