"""``pbr capital`` and ``pbr providers``: who can carry a contract's risk."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Optional

import typer

from ..analyses.capital import CAPITAL_TABLES, capital
from ..analyses.parties import check_seats
from ..analyses.portfolio import PORTFOLIO_TABLES, run_portfolio
from ..analyses import parties as _parties
from ..analyses.passes import balanced, one_pass_held, owner_pass
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED
from ..errors import InputError, PbrError
from ..files import check_not_input
from .. import memory
from ..memory import check_memory, estimate, streams
from ..parallel import AUTO_WORKERS, cores, workers_can_start
from ..spec import DEFAULT_CONTRACT
from ..spec.kinds import file_kind
from ..spec.load import bundled_providers, load_profile
from ..spec.portfolio import load_portfolio
from .app import app, handles_errors, out
from .options import (SIMS_LIMIT, CaseloadShockOpt, DrawsOpt, PaidShockOpt, ChunkOpt, DaskOpt,
                      ForceOpt, HtmlOpt, Outputs, SetOpt, ShockOpt, SpecArg, ThreadsOpt,
                      XlsxOpt, XlsxSimsOpt, emit, executor_for, load_checked,
                      on_this_machine, report_of, run_problems, sims_sheet_note, spool_folder,
                      table_options)
from .progress import LazyProgress

#: This command's views and writers, and a portfolio's, imported when first used
#: (``--json`` needs none).
views, portfolio_views = partial(report_of, "capital"), partial(report_of, "portfolio")

#: The library's argument names as the command's flags, for its messages.
SEAT_FLAGS = {"share": "--share", "fee_share": "--fee-share", "pbr_share": "--pbr-share",
              "providers": "--provider"}

#: ``--workers`` of ``pbr capital``: unless given, a portfolio's run goes to local worker
#: processes (see :func:`auto_workers`), a contract's stays in this process.
CapitalWorkersOpt = Annotated[Optional[int], typer.Option(
    "--workers", metavar="N",
    help="Run the chunks of simulations in N local worker processes (default: 1, in this "
         "process; for a portfolio one per core, at most 4, fewer if memory is short, unless "
         "--threads or --dask is given). Every number is the same for any N.",
    show_default=False)]

CsvOpt, ParquetOpt = table_options(
    "simulations, cohorts, months, cashflows, parties and, with a [sib], investors; for a "
    "portfolio: owner, areas and owner_months")

@app.command("capital")
@handles_errors
def capital_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    providers: Annotated[Optional[list[str]], typer.Option(
        "--provider", "-p", metavar="NAME",
        help="Provider profile: bundled name (see `pbr providers`) or TOML file; repeatable. "
             "Each is put in a seat of its own on its profile's terms. Omit for the spec's "
             "prime and supply chain.")] = None,
    sims: Annotated[int, typer.Option(
        "--sims", "-n", help=f"Number of simulations {SIMS_LIMIT}.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = DEFAULT_SEED,
    share: Annotated[Optional[float], typer.Option(
        "--share", metavar="SHARE", help="Put every --provider in a seat of this share of the "
                                         "work (1 = the whole contract).")] = None,
    fee_share: Annotated[Optional[float], typer.Option(
        "--fee-share", metavar="SHARE", help="Share of the fee on its work passed to every "
                                             "--provider (below 1: the prime keeps a top slice).")]
        = None,
    pbr_share: Annotated[Optional[float], typer.Option(
        "--pbr-share", metavar="SHARE", help="Share of the PbR risk on its work every "
                                             "--provider carries (0 = paid per participant at the plan).")]
        = None,
    volume_shock: ShockOpt = 0.0,
    paid_volume_shock: PaidShockOpt = None,
    caseload_shock: CaseloadShockOpt = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]
        = False,
    xlsx: XlsxOpt = None,
    xlsx_sims: XlsxSimsOpt = False,
    html: HtmlOpt = None,
    csv: CsvOpt = None,
    parquet: ParquetOpt = None,
    force: ForceOpt = False,
    chunk_size: ChunkOpt = DEFAULT_CHUNK,
    workers: CapitalWorkersOpt = None,
    dask: DaskOpt = None,
    threads: ThreadsOpt = None,
    draws: DrawsOpt = "exact",
) -> None:
    """Who can carry the risk: the contract through each party's eyes, side by side. Peak
    funding need and its month, the chance of running out of cash, the capital that keeps
    that chance at 5% and 1%, financing cost and profit after financing; social investors'
    returns when the spec has a [sib]; what the commissioner pays and buys. SPEC may also be
    a portfolio (a TOML with a [portfolio] table, or a bundled one such as
    working-links-like): capital for its owner and per area under one national trend.

    \b
    Examples:
      pbr capital                                   # the spec's prime and supply chain
      pbr capital tr-crc-example -p national-prime -p small-charity -p social-investor-backed
      pbr capital tr-crc-example -p small-charity --volume-shock 0.3 --json
      pbr capital nyc-able-sib --xlsx able.xlsx
      pbr capital nyc-able-sib --html able.html      # one page: parties side by side
      pbr capital working-links-like                # a portfolio of three areas
      pbr capital tr-national --draws approx        # faster, approximate counts
      pbr capital -p small-charity --csv tables/    # per-simulation tables for pandas
    """
    outputs = Outputs(xlsx, csv, parquet, force, xlsx_sims, html)
    # the table and --json read figures only: a streamed run then sketches no monthly balance
    prints_only = all(path is None for path in (xlsx, html, csv, parquet))
    # what the spec is, read once (a file is parsed to tell: a workbook opened)
    portfolio_run = is_portfolio(spec)
    # a portfolio with none of --workers, --threads, --dask: worker processes, one per core
    auto = workers is None and threads is None and dask is None and portfolio_run
    workers = 1 if workers is None else workers
    if threads is None and portfolio_run:
        # a portfolio's tasks hold every area's months and step through many small arrays
        # (so hold the interpreter's lock more often): one thread unless asked, and worker
        # processes for every core (docs/scaling.md, "Threads")
        threads = 1
    problems = run_problems(sims, seed, chunk_size, volume_shock=volume_shock,
                            paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                            outputs=outputs,
                            tables=PORTFOLIO_TABLES if portfolio_run else CAPITAL_TABLES,
                            inputs=[spec, *(providers or [])], workers=workers, dask=dask,
                            draws=draws, threads=threads)
    machine = on_this_machine(workers, dask, threads)   # processes and threads here
    profiles = []
    for name in providers or []:
        try:
            profiles.append(load_profile(name))
        except PbrError as exc:  # keep collecting: every problem at once
            problems.extend(f"--provider {p}" for p in exc.problems)
    try:
        check_seats(profiles, share, pbr_share, SEAT_FLAGS, fee_share=fee_share)
    except InputError as exc:
        problems.extend(exc.problems)
    if portfolio_run:
        if profiles or any(t is not None for t in (share, fee_share, pbr_share)):
            problems.append(f"--provider/--share/--fee-share/--pbr-share: {spec} is a "
                            "portfolio; its owner is named in its [owner] table")
        portfolio = None
        try:
            portfolio = load_portfolio(spec, overrides or [])
        except PbrError as exc:  # said with the flags' problems
            problems.extend(exc.problems)
        if portfolio is not None:
            # the files the portfolio names (owner's profile, areas' specs) are inputs too
            problems.extend(p for p in check_not_input(outputs.files(PORTFOLIO_TABLES),
                                                       portfolio.inputs) if p not in problems)
        if problems:
            raise InputError(problems)
        shocks = (volume_shock, paid_volume_shock, caseload_shock)
        specs = [a.spec.spec for a in portfolio.areas]
        available = memory.available_memory()   # read once: the choice and the check agree
        if auto:
            workers = auto_workers(portfolio, sims, chunk_size, outputs, shocks, available)
            machine = on_this_machine(workers, dask, threads)
        detail, held = portfolio_plan(portfolio, sims, machine, dask is not None, outputs,
                                      shocks)
        check_memory(specs, sims, "portfolio", chunk_size, detail=detail, held=held,
                     available=available, **machine)
        sims_sheet_note(outputs, sims)
        with executor_for(workers, dask, threads) as executor, \
                LazyProgress("Simulating areas") as bar:
            result = run_portfolio(portfolio, sims=sims, seed=seed, volume_shock=volume_shock,
                                   paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                                   chunk_size=chunk_size, progress=bar, executor=executor,
                                   detail=detail, draws=draws, summary_only=prints_only)
        emit(result, as_json, result.to_dict, lambda: portfolio_views().portfolio_table(result),
             outputs,
             lambda path, force: portfolio_views().write_portfolio_workbook(
                 result, path, force=force, sims_sheet=xlsx_sims),
             lambda path, force: portfolio_views().write_portfolio_html(result, path,
                                                                        force=force))
        return
    # a run too large to keep its arrays splits each chunk between the parties as it goes;
    # with --csv/--parquet it spools the contract's arrays to disk for its tables
    spool = spool_folder(outputs)
    loaded = load_checked(spec, overrides, problems, "capital", sims, chunk_size, spool=spool,
                          tables=outputs.table_folders(), parties=len(profiles) or None,
                          **machine)
    sims_sheet_note(outputs, sims)
    # one bar over the contract's run and the commissioner's run at no effect after it
    with executor_for(workers, dask, threads) as executor, \
            LazyProgress("Simulating, then at no effect") as bar:
        result = capital(loaded, profiles, sims=sims, seed=seed, share=share,
                         pbr_share=pbr_share, fee_share=fee_share, volume_shock=volume_shock,
                         paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                         chunk_size=chunk_size, progress=bar, executor=executor, draws=draws,
                         spool=spool, summary_only=prints_only)
    try:
        emit(result, as_json, result.to_dict, lambda: views().capital_table(result), outputs,
             lambda path, force: views().write_capital_workbook(result, path, force=force,
                                                                sims_sheet=xlsx_sims),
             lambda path, force: views().write_capital_html(result, path, force=force))
    finally:
        result.result.close()   # a spooled run's temporary files




def is_portfolio(spec: str) -> bool:
    """A bundled portfolio's name, or a TOML file with a ``[portfolio]`` table (never a
    workbook: portfolios are TOML only)."""
    try:
        return file_kind(spec) == "portfolio"
    except PbrError:
        return False  # not readable as TOML: let the spec loader report it


@app.command("providers")
@handles_errors
def providers_cmd() -> None:
    """List the bundled provider profiles (for `pbr capital --provider`).

    \b
    Examples:
      pbr providers
    """
    out.print(views().providers_table({name: load_profile(name)
                                       for name in bundled_providers()}))


def portfolio_plan(portfolio, sims: int, machine: dict[str, int], on_dask: bool,
                   outputs: Outputs, shocks: tuple) -> tuple[bool | None, int]:
    """How a portfolio's run goes with ``machine``'s processes and threads: whether it keeps
    every area's arrays (``run_portfolio``'s ``detail``; None: as they fit) and what its
    owner-by-owner tasks hold besides [bytes], for the memory check."""
    busy = max(machine.values())   # chunks worked on at once on this machine
    # a portfolio too large to keep every area's arrays streams, --csv or not: its owner
    # and areas tables are the same per simulation; owner_months is then sketched
    # (PortfolioResult.table_notes says so in metadata.json)
    detail = None
    tables = outputs.csv is not None or outputs.parquet is not None
    # the first simulations a streamed run draws owner by owner (all of them: one pass),
    # locally only (a Dask cluster's workers are not counted here)
    head = 0 if on_dask else owner_pass(portfolio, sims, busy, *shocks)
    if head == sims <= _parties.PLAN_SIMS and not tables \
            and outputs.xlsx is None and outputs.html is None and balanced(portfolio, busy):
        detail = False   # only printed figures, the same streamed: one faster pass
    # what the owners' tasks hold, where run_portfolio will run them (streamed); added to
    # the whole run's estimate although they finish before the stream starts: a
    # deliberate over-count (at most ONE_PASS_BYTES), so the check errs towards refusing
    streamed = streams([a.spec.spec for a in portfolio.areas], sims, detail)
    held = one_pass_held(portfolio, head, busy) if head and streamed else 0
    return detail, held


def auto_workers(portfolio, sims: int, chunk_size: int, outputs: Outputs,
                 shocks: tuple, available: int | None) -> int:
    """The local worker processes a portfolio's run uses when none of ``--workers``,
    ``--threads`` and ``--dask`` is given: one per core, at most
    :data:`~pbr_model.parallel.AUTO_WORKERS`, and the most of those whose memory estimate
    fits in ``available`` bytes (None: unknown; each process holds a chunk and an
    interpreter); 1 if none does, so the memory check says what would, and 1 where worker
    processes cannot start here (:func:`~pbr_model.parallel.workers_can_start`). Every
    number is the same for any count."""
    specs = [a.spec.spec for a in portfolio.areas]
    most = min(cores(), AUTO_WORKERS)
    if most > 1 and not workers_can_start():
        return 1
    for n in range(most, 1, -1):
        machine = {"workers": n, "threads": 1}
        detail, held = portfolio_plan(portfolio, sims, machine, False, outputs, shocks)
        if available is None or estimate(specs, sims, "portfolio", chunk_size, detail,
                                         held=held, **machine) <= available:
            return n
    return 1
