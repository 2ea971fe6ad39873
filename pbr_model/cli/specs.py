"""Commands about specs: ``list``, ``validate``, ``schema``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from ..errors import SpecError
from ..spec import bundled_contracts, load_spec, read_toml
from ..spec.reference import markdown_reference
from ..spec.schema import ContractSpec
from .app import app, deprecations, fail, handles_errors, out


@app.command("list")
@handles_errors
def list_cmd() -> None:
    """List the bundled contracts (use a name wherever a SPEC is asked for).

    \b
    Example:
      pbr list
    """
    table = Table(title="Bundled contracts", title_justify="left")
    table.add_column("Name")
    table.add_column("Contract")
    table.add_column("File")
    for name, path in bundled_contracts().items():
        contract = read_toml(path).get("contract", {})
        table.add_row(name, str(contract.get("name", "")), path.name)
    out.print(table)


@app.command("validate")
def validate_cmd(
    specs: Annotated[list[str], typer.Argument(help="Spec files or bundled contract names.")],
) -> None:
    """Check contract specs and report every problem in every file at once.

    \b
    Examples:
      pbr validate contracts/*.toml
      pbr validate my_contract.toml
    """
    problems: list[str] = []
    for spec in specs:
        try:
            with deprecations():
                loaded = load_spec(spec)
        except SpecError as exc:
            problems.extend(exc.problems)
        else:
            out.print(f"OK  {loaded.source}  (sha256 {loaded.sha256[:12]})", markup=False,
                      soft_wrap=True)
    if problems:
        fail(problems)


@app.command("schema")
def schema_cmd(
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the field reference as Markdown tables instead.")] = False,
) -> None:
    """Print the JSON Schema of a contract spec (for editors that check TOML).

    \b
    Examples:
      pbr schema > pbr-contract.schema.json
      pbr schema --markdown
    """
    if markdown:
        typer.echo(markdown_reference(), nl=False)
    else:
        typer.echo(json.dumps(ContractSpec.model_json_schema(), indent=2))
