"""``pbr show``: a contract's terms and its figures at the expected effect, or with
``--toml`` a spec's file as written (to copy and edit)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..analyses.show import show
from ..report.json import dumps
from ..report.show import contract_overview
from ..spec import DEFAULT_CONTRACT, load_spec
from .app import app, fail, handles_errors, out
from .options import SetOpt, SpecArg


@app.command("show")
@handles_errors
def show_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout: "
                                          "provenance, the figures and the validated spec.")]
        = False,
    as_toml: Annotated[bool, typer.Option(
        "--toml", help="Print the TOML file SPEC names exactly as written, its source comments "
                       "and all, to copy and edit: `pbr show NAME --toml > my.toml`. Also "
                       "for a bundled portfolio or provider profile (see `pbr list`). Not "
                       "with --set or --json: edit the copy instead.")] = False,
) -> None:
    """Summarise a contract and its figures at the expected effect (no simulation).

    \b
    Examples:
      pbr show
      pbr show tr-crc-example --set payments.1.rates.1.price=900
      pbr show peterborough-sib --json
      pbr show peterborough-sib --toml > my_contract.toml
    """
    if as_toml:
        _print_toml(spec, overrides or [], as_json)
        return
    result = show(load_spec(spec, overrides or []))
    if as_json:
        typer.echo(dumps(result.to_dict()))
    else:
        out.print(contract_overview(result))


def _print_toml(spec: str, overrides: list[str], as_json: bool) -> None:
    """The file's text, byte for byte, so ``> my.toml`` copies it."""
    from ..spec.kinds import toml_text
    problems = []
    if overrides:
        problems.append(f"--toml prints {spec} as written, so --set {overrides[0]} cannot be "
                        "applied to it: drop --set and edit the copy")
    if as_json:
        problems.append("--toml and --json: give one (--toml prints the file, --json its "
                        "figures)")
    if problems:
        fail(problems)
    typer.echo(toml_text(spec), nl=False)
