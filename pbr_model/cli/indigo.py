"""``pbr indigo``: write a contract and a run as an INDIGO project (JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..analyses.indigo import INDIGO_TABLES, indigo_export
from ..engine import DEFAULT_SEED
from ..errors import OutputError
from ..files import check_output
from ..report.indigo import indigo_view, write_indigo
from .app import app, err, handles_errors
from .options import (SIMS_LIMIT, Outputs, SetOpt, SpecArg, _path, emit, load_checked,
                      run_problems)


@app.command("indigo")
@handles_errors
def indigo_cmd(
    spec: SpecArg,
    out: Annotated[Path, typer.Option(
        "--out", metavar="FILE.json", parser=_path,
        help="Write the INDIGO project here (a new .json file; --force to replace one).")],
    observed: Annotated[Optional[Path], typer.Option(
        "--observed", metavar="FILE.csv",
        help="Observed results (as pbr settle reads them): adds each cohort's results and the "
             "actual outcome payments pbr settle finds on them. See docs/settlement.md.")] = None,
    sims: Annotated[int, typer.Option(
        "--sims", "-n", help=f"Simulations behind the planned outcome payments {SIMS_LIMIT}."
    )] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; with the spec and version it "
                                      "fixes every number.")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object to stdout (the provenance, the sections' sizes "
                       "and the project) instead of the summary.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
) -> None:
    """Export a contract and a run to the INDIGO impact-bond data standard (4.1.0): outcome
    metrics, pricings, commitments per payer, investments, planned outcome payments (the
    mean over the simulations, by month) and, with --observed, results and actual outcome
    payments. Read it back with pbr settle --indigo. See docs/indigo.md. The observed file
    below is in the repository's examples/observed/ (not installed by pip).

    \b
    Examples:
      pbr indigo peterborough-sib --out peterborough.json --sims 1000
      pbr indigo doncaster-pbr --observed examples/observed/doncaster.csv --out d.json --sims 1000
      pbr settle doncaster-pbr --indigo d.json
    """
    outputs = Outputs(force=force)
    inputs = [spec, *([observed] if observed is not None else [])]
    problems = run_problems(sims, seed, outputs=outputs, tables=INDIGO_TABLES, inputs=inputs)
    try:
        check_output(out, force=force, suffix=".json", kind="an INDIGO project (JSON)",
                     inputs=inputs)
    except OutputError as exc:
        problems.extend(f"--out {p}" for p in exc.problems)
    loaded = load_checked(spec, overrides, problems, "simulate", sims, detail=True)
    result = indigo_export(loaded, sims=sims, seed=seed, observed=observed)
    write_indigo(result, out, force=force)
    emit(result, as_json, result.to_dict, lambda: indigo_view(result, out), outputs,
         lambda path, force: path)
    err.print(f"Wrote {out}", markup=False, soft_wrap=True)
