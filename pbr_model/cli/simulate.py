"""``pbr simulate``: Monte Carlo a contract and report payments and cash."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from ..analyses.simulate import SIMULATION_TABLES, simulate
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED
from ..spec import DEFAULT_CONTRACT
from .app import app, handles_errors
from .options import (SIMS_LIMIT, CaseloadShockOpt, DrawsOpt, PaidShockOpt, ChunkOpt, DaskOpt,
                      ForceOpt, HtmlOpt, Outputs, SetOpt, ShockOpt, SpecArg, ThreadsOpt,
                      WorkersOpt, XlsxOpt, XlsxSimsOpt, emit, executor_for, load_checked,
                      on_this_machine, report_of, run_problems, sims_sheet_note, spool_folder,
                      table_options)
from .progress import LazyProgress

#: This command's views and writers, imported when first used (``--json`` needs none).
views = partial(report_of, "simulate")

CsvOpt, ParquetOpt = table_options("simulations, cohorts, months and cashflows")

@app.command("simulate")
@handles_errors
def simulate_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    sims: Annotated[int, typer.Option(
        "--sims", "-n", help=f"Number of simulations {SIMS_LIMIT}.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; with the spec and version it "
                                      "fixes every number.")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout "
                                          "instead of the table.")] = False,
    xlsx: XlsxOpt = None,
    xlsx_sims: XlsxSimsOpt = False,
    html: HtmlOpt = None,
    csv: CsvOpt = None,
    parquet: ParquetOpt = None,
    force: ForceOpt = False,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    volume_shock: ShockOpt = 0.0,
    paid_volume_shock: PaidShockOpt = None,
    caseload_shock: CaseloadShockOpt = None,
    workers: WorkersOpt = 1,
    dask: DaskOpt = None,
    threads: ThreadsOpt = None,
    draws: DrawsOpt = "exact",
) -> None:
    """Simulate a contract: what it pays, how uncertain that is, and the cash it needs.

    \b
    Examples:
      pbr simulate
      pbr simulate tr-crc-example --sims 50000 --seed 7 --xlsx run.xlsx
      pbr simulate tr-crc-example --html report.html     # one page with charts
      pbr simulate my_contract.toml --set intervention.effect.binary.mean=0.1 --json
      pbr simulate tr-crc-example --volume-shock 0.3     # volumes 30% below plan
      pbr simulate --csv tables/                         # per-simulation tables for pandas
      pbr simulate --sims 1000000 --workers 2            # in 2 processes; same numbers
      pbr simulate tr-crc-example --sims 100000 --draws approx   # faster, approximate counts
    """
    outputs = Outputs(xlsx, csv, parquet, force, xlsx_sims, html)
    problems = run_problems(sims, seed, chunk_size, volume_shock, outputs, SIMULATION_TABLES,
                            paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                            inputs=[spec], workers=workers, dask=dask, draws=draws,
                            threads=threads)
    # --csv/--parquet: a run too large to keep its arrays in memory spools them to disk
    spool = spool_folder(outputs)
    loaded = load_checked(spec, overrides, problems, "simulate", sims, chunk_size,
                          spool=spool, tables=outputs.table_folders(),
                          **on_this_machine(workers, dask, threads))
    sims_sheet_note(outputs, sims)
    with executor_for(workers, dask, threads) as executor, LazyProgress("Simulating") as bar:
        result = simulate(loaded, sims=sims, seed=seed, chunk_size=chunk_size,
                          volume_shock=volume_shock,
                          paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                          progress=bar, executor=executor, draws=draws,
                          spool=spool,
                          # the workbook's and page's investor returns need the monthly cash
                          investors=xlsx is not None or html is not None,
                          # the table and --json read the per-simulation figures alone
                          summary_only=all(path is None for path in (xlsx, html, csv, parquet)))
    try:   # the views and writers (and rich) are imported when used: --json needs none
        emit(result, as_json, result.summary, lambda: views().simulation_summary(result),
             outputs, lambda path, force: views().write_workbook(result, path, force=force,
                                                                 sims_sheet=xlsx_sims),
             lambda path, force: views().write_simulation_html(result, path, force=force))
    finally:
        result.close()   # a spooled run's temporary files

