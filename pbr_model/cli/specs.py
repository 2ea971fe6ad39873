"""Commands about specs: ``list``, ``validate``, ``schema``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import SpecError
from ..report.fit import FitTable
from ..spec import load_spec, read_toml
from ..spec.kinds import bundled_files, file_kind
from ..spec.load import bundled_dir, load_profile
from ..spec.portfolio import load_portfolio
from ..spec.reference import markdown_reference
from ..spec.schema import ContractSpec
from .app import app, deprecations, fail, handles_errors, out


@app.command("list")
@handles_errors
def list_cmd() -> None:
    """List the bundled contracts, portfolios and provider profiles, and where each file
    lives (use a name wherever a SPEC, portfolio or --provider is asked for).

    \b
    Examples:
      pbr list
      pbr show tr-crc-example --toml > my_contract.toml
    """
    folder = bundled_dir()
    titles = {"contract": "Bundled contracts", "portfolio": "Bundled portfolios",
              "profile": "Bundled provider profiles"}
    for kind, files in bundled_files().items():
        table = FitTable(title=titles[kind], title_justify="left")
        table.add_column("Name")
        if kind != "profile":  # a profile's name is its file's
            table.add_column("Called")
        table.add_column("File (in the folder below)")
        for name, path in files.items():
            called = [] if kind == "profile" else [str(read_toml(path)[kind].get("name", ""))]
            table.add_row(name, *called, path.relative_to(folder).as_posix())
        out.print(table)
    out.print("The folder they are in:")
    out.print(str(folder), soft_wrap=True)  # whole, however long: it is there to be copied
    out.print("Copy one to edit it: pbr show NAME --toml > my.toml", soft_wrap=True)


@app.command("validate")
def validate_cmd(
    specs: Annotated[list[str], typer.Argument(
        help="Contract specs (TOML or .xlsx), portfolios or provider profiles: files or "
             "bundled names.")],
) -> None:
    """Check contract specs, portfolios and provider profiles, and report every problem in
    every file at once. Each file is read as what its tables say it is (a [portfolio] table:
    a portfolio, with its owner's profile and every area's spec; only a [provider] table: a
    provider profile; otherwise a contract spec), with the loader the commands that run it
    use.

    \b
    Examples:
      pbr validate tr-crc-example peterborough-sib nyc-able-sib
      pbr validate my_contract.toml my_portfolio.toml my_profile.toml
      pbr validate working-links-like small-charity
    """
    problems: list[str] = []
    for spec in specs:
        try:
            with deprecations():
                out.print(_validated(spec), markup=False, soft_wrap=True)
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        fail(problems)


def _validated(spec: str) -> str:
    """Validate one file or bundled name as what it is; its ``OK`` line."""
    kind = file_kind(spec)
    if kind == "portfolio":
        portfolio = load_portfolio(spec)
        return (f"OK  {portfolio.source}  (portfolio of {len(portfolio.areas)} "
                f"area{'s' * (len(portfolio.areas) != 1)}, sha256 {portfolio.sha256[:12]})")
    if kind == "profile":
        profile = load_profile(spec)
        return f"OK  {spec}  (provider profile {profile.name!r})"
    loaded = load_spec(spec)
    return f"OK  {loaded.source}  (sha256 {loaded.sha256[:12]})"


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
