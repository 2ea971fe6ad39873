"""``pbr settle``: apply a contract's rules to observed results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..analyses.settle import SETTLEMENT_TABLES, settle
from ..report.settle import settlement_view, write_settlement_html, write_settlement_workbook
from .app import app, handles_errors
from .options import (ForceOpt, HtmlOpt, Outputs, SetOpt, SpecArg, XlsxOpt, emit, load_checked,
                      table_options)


CsvOpt, ParquetOpt = table_options("cohorts and mechanisms")

@app.command("settle")
@handles_errors
def settle_cmd(
    spec: SpecArg,
    observed: Annotated[Optional[Path], typer.Option(
        "--observed", metavar="FILE.csv",
        help="Observed results: a header and one row per cohort with cohort, n, reoffenders, "
             "reoffences (and comparison_n, comparison_reoffenders, comparison_reoffences with "
             "a comparison group). See docs/settlement.md.")] = None,
    indigo: Annotated[Optional[Path], typer.Option(
        "--indigo", metavar="FILE.json",
        help="Instead of --observed: an INDIGO project (4.1.0 JSON, e.g. written by pbr "
             "indigo) whose results are settled and whose actual outcome payments are set "
             "beside the settlement's. See docs/indigo.md.")] = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")] = False,
    xlsx: XlsxOpt = None,
    html: HtmlOpt = None,
    csv: CsvOpt = None,
    parquet: ParquetOpt = None,
    force: ForceOpt = False,
) -> None:
    """Settle a contract on observed results: each cohort's measured change, the triggers
    that fired and what each outcome mechanism pays. The examples' observed files are in
    the repository's examples/observed/ (not installed by pip).

    \b
    Examples:
      pbr settle peterborough-sib --observed examples/observed/peterborough.csv
      pbr settle doncaster-pbr --observed examples/observed/doncaster.csv --json
      pbr settle peterborough-sib --indigo examples/observed/peterborough_indigo.json
    """
    outputs = Outputs(xlsx, csv, parquet, force, html=html)
    given = [f for f in (observed, indigo) if f is not None]
    problems = outputs.problems(SETTLEMENT_TABLES, inputs=[spec, *given])
    if len(given) != 1:
        problems.append("give the observed results once: --observed FILE.csv or --indigo "
                        "FILE.json" + (" (not both)" if given else ""))
    loaded = load_checked(spec, overrides, problems)
    result = settle(loaded, observed, indigo=indigo)
    emit(result, as_json, result.to_dict, lambda: settlement_view(result), outputs,
         lambda path, force: write_settlement_workbook(result, path, force=force),
         lambda path, force: write_settlement_html(result, path, force=force))

