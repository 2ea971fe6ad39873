"""``pbr power``: how likely the contract is to pay, by true effect."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from ..analyses.power import MAX_EFFECTS, POWER_TABLES, parse_effects, power
from ..engine import DEFAULT_SEED
from ..errors import InputError
from ..spec import DEFAULT_CONTRACT
from .app import app, handles_errors
from .options import (SIMS_LIMIT, DaskOpt, DrawsOpt, ForceOpt, HtmlOpt, Outputs, SetOpt, SpecArg,
                      ThreadsOpt, WorkersOpt, XlsxOpt, emit, executor_for, load_checked,
                      on_this_machine, report_of, run_problems, table_options)
from .progress import LazyProgress

#: This command's views and writers, imported when first used (``--json`` needs none).
views = partial(report_of, "power")


CsvOpt, ParquetOpt = table_options("power (one row per true effect)")

@app.command("power")
@handles_errors
def power_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    effects: Annotated[str, typer.Option(
        "--effects", metavar="START:STOP:STEP",
        help="True effects to try, as relative reductions from -0.9 to 0.9 (STOP included; "
             f"at most {MAX_EFFECTS}), or a comma list.")]
        = "0:0.1:0.01",
    sims: Annotated[int, typer.Option(
        "--sims", "-n", help=f"Simulations per effect {SIMS_LIMIT}.")] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same for every "
                                      "effect).")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")] = False,
    xlsx: XlsxOpt = None,
    html: HtmlOpt = None,
    csv: CsvOpt = None,
    parquet: ParquetOpt = None,
    force: ForceOpt = False,
    workers: WorkersOpt = 1,
    dask: DaskOpt = None,
    threads: ThreadsOpt = None,
    draws: DrawsOpt = "exact",
) -> None:
    """Payment power: for each true effect, the chance outcome payments are triggered, the
    expected outcome payment and the chance of a loss; the break-even effect, the effect
    that gives a 90% chance of being paid, and the chance of being paid for noise.

    \b
    Examples:
      pbr power
      pbr power tr-crc-example --effects 0:0.08:0.005 --sims 5000
      pbr power tr-crc-example --set cohorts.entrants_per_period=600 --json
      pbr power --xlsx power.xlsx
      pbr power --html power.html              # the curves on one page
    """
    outputs = Outputs(xlsx, csv, parquet, force, html=html)
    problems = run_problems(sims, seed, outputs=outputs, tables=POWER_TABLES, inputs=[spec],
                            workers=workers, dask=dask, draws=draws, threads=threads)
    grid = None
    try:
        grid = parse_effects(effects)
    except InputError as exc:
        problems.extend(exc.problems)
    # each effect's run keeps its figures only, as a streamed run does (detail=False)
    loaded = load_checked(spec, overrides, problems, "power", sims, detail=False,
                          **on_this_machine(workers, dask, threads))
    with executor_for(workers, dask, threads) as executor, LazyProgress("Effects") as bar:
        result = power(loaded, grid, sims=sims, seed=seed, progress=bar, executor=executor,
                       draws=draws)
    emit(result, as_json, result.to_dict, lambda: views().power_table(result), outputs,
         lambda path, force: views().write_power_workbook(result, path, force=force),
         lambda path, force: views().write_power_html(result, path, force=force))

