"""``pbr settle``: apply a contract's rules to observed results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..analyses.settle import SETTLEMENT_TABLES, settle
from ..report.settle import settlement_table, write_settlement_html, write_settlement_workbook
from .app import app, handles_errors
from .options import (ForceOpt, HtmlOpt, Outputs, SetOpt, SpecArg, XlsxOpt, emit, load_checked,
                      table_options)


CsvOpt, ParquetOpt = table_options("cohorts and mechanisms")

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
    xlsx: XlsxOpt = None,
    html: HtmlOpt = None,
    csv: CsvOpt = None,
    parquet: ParquetOpt = None,
    force: ForceOpt = False,
) -> None:
    """Settle a contract on observed results: each cohort's measured change, the triggers
    that fired and what each outcome mechanism pays.

    \b
    Examples:
      pbr settle peterborough-sib --observed examples/observed/peterborough.csv
      pbr settle doncaster-pbr --observed examples/observed/doncaster.csv --json
    """
    outputs = Outputs(xlsx, csv, parquet, force, html=html)
    problems = outputs.problems(SETTLEMENT_TABLES, inputs=[spec, observed])
    loaded = load_checked(spec, overrides, problems)
    result = settle(loaded, observed)
    emit(result, as_json, result.to_dict, lambda: settlement_table(result), outputs,
         lambda path, force: write_settlement_workbook(result, path, force=force),
         lambda path, force: write_settlement_html(result, path, force=force))
