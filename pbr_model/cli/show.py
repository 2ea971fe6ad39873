"""``pbr show``: a contract's terms and its figures at the expected effect."""

from __future__ import annotations

from typing import Annotated

import typer

from ..analyses.show import show
from ..report.json import dumps
from ..report.show import contract_overview
from ..spec import DEFAULT_CONTRACT, load_spec
from .app import app, handles_errors, out
from .options import SetOpt, SpecArg


@app.command("show")
@handles_errors
def show_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout: "
                                          "provenance, the figures and the validated spec.")]
        = False,
) -> None:
    """Summarise a contract and its figures at the expected effect (no simulation).

    \b
    Examples:
      pbr show
      pbr show contracts/tr_crc_example.toml --set payments.1.rates.1.price=900
      pbr show peterborough-sib --json
    """
    result = show(load_spec(spec, overrides or []))
    if as_json:
        typer.echo(dumps(result.to_dict()))
    else:
        out.print(contract_overview(result))
