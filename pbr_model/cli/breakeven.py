"""``pbr breakeven``: the effect, personal budget, price or fee level at which a provider breaks
even."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Optional

import typer
from ..analyses.breakeven import (BREAKEVEN_TABLES, SOLVES, breakeven, check_fees, check_solve,
                                  parse_target)
from ..analyses.parties import check_seats
from ..scenarios import FEE_PARTS
from ..engine import DEFAULT_SEED
from ..errors import InputError, PbrError
from ..spec import DEFAULT_CONTRACT
from ..spec.load import load_profile
from .app import app, handles_errors
from .capital import SEAT_FLAGS
from .options import (SIMS_LIMIT, CaseloadShockOpt, DrawsOpt, PaidShockOpt, DaskOpt, ForceOpt,
                      HtmlOpt, Outputs, SetOpt, ShockOpt, SpecArg, ThreadsOpt, WorkersOpt, XlsxOpt,
                      emit, executor_for, load_checked, on_this_machine, report_of, run_problems,
                      table_options)
from .progress import LazyProgress

#: This command's views and writers, imported when first used (``--json`` needs none).
views = partial(report_of, "breakeven")


CsvOpt, ParquetOpt = table_options("trials (every value tried) and, for --solve price, prices")

@app.command("breakeven")
@handles_errors
def breakeven_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    solve: Annotated[Optional[str], typer.Option(
        "--solve", metavar="|".join(SOLVES),
        help="Required. What to solve for: 'effect' (smallest known true effect on every "
             "outcome), 'personal_budget' (largest budget per participant who takes it up), "
             "'price' (smallest factor on every outcome price, tier amount, cap and "
             "foundation) or 'fee' (smallest factor on the fees --fees names).")] = None,
    fees: Annotated[str, typer.Option(
        "--fees", metavar="|".join(FEE_PARTS),
        help="With --solve fee: scale every fee mechanism's annual and per-participant fee "
             "('both'), or only one of them.")] = "both",
    target: Annotated[str, typer.Option(
        "--target", metavar="expected-net|prob-loss=P",
        help="What the provider needs: expected net >= 0, or a chance of a loss of at most P.")]
        = "expected-net",
    provider: Annotated[Optional[str], typer.Option(
        "--provider", "-p", metavar="NAME",
        help="Judge by this provider profile's net after financing, in a seat of its own on "
             "its profile's terms (bundled name, see `pbr providers`, or TOML file). Omit for "
             "the contract's own net before financing.")] = None,
    share: Annotated[Optional[float], typer.Option(
        "--share", metavar="SHARE", help="With --provider: its seat's share of the work "
                                         "(1 = the whole contract).")] = None,
    fee_share: Annotated[Optional[float], typer.Option(
        "--fee-share", metavar="SHARE", help="With --provider: the share of the fee on its "
                                             "work passed to it.")] = None,
    pbr_share: Annotated[Optional[float], typer.Option(
        "--pbr-share", metavar="SHARE", help="With --provider: the share of the PbR risk on "
                                             "its work it carries.")] = None,
    sims: Annotated[int, typer.Option(
        "--sims", "-n", help=f"Simulations per value tried {SIMS_LIMIT}.")]
        = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same for every value "
                                      "tried).")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    volume_shock: ShockOpt = 0.0,
    paid_volume_shock: PaidShockOpt = None,
    caseload_shock: CaseloadShockOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]
        = False,
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
    """Break-even: the value of one parameter at which the provider's target is just met,
    found by root-finding on simulations that share one seed (so the answer is stable).
    Prints the answer, the bracket it was found in, the objective there with its Monte
    Carlo standard error, and the spec as it stands for comparison.

    \b
    Examples:
      pbr breakeven --solve effect
      pbr breakeven tr-crc-example --solve personal_budget --target prob-loss=0.2
      pbr breakeven tr-crc-example --solve price --provider small-charity --sims 1000
      pbr breakeven tr-crc-example --solve fee --fees annual
      pbr breakeven tr-crc-example --solve fee -p small-charity --share 0.1 --fee-share 0.9
      pbr breakeven peterborough-sib --solve effect --volume-shock 0.3 --json
      pbr breakeven --solve effect --xlsx breakeven.xlsx
    """
    outputs = Outputs(xlsx, csv, parquet, force, html=html)
    problems = run_problems(sims, seed, volume_shock=volume_shock,
                            paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                            outputs=outputs,
                            tables=BREAKEVEN_TABLES, inputs=[spec, provider], workers=workers,
                            dask=dask, draws=draws, threads=threads)
    name = goal = profile = None
    if solve is None:
        problems.append(f"--solve: required; one of {', '.join(SOLVES)}")
    else:
        try:
            name = check_solve(solve, "--solve")
        except InputError as exc:
            problems.extend(exc.problems)
    try:
        goal = parse_target(target, "--target")
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        fees = check_fees(fees, "--fees")
        if fees != "both" and name not in (None, "fee"):
            problems.append(f"--fees: only with --solve fee (got --fees {fees} with "
                            f"--solve {name})")
    except InputError as exc:
        problems.extend(exc.problems)
    if provider is not None:
        try:
            profile = load_profile(provider)
        except PbrError as exc:  # keep collecting: every problem at once
            problems.extend(f"--provider {p}" for p in exc.problems)
    try:
        check_seats([profile] if profile else [], share, pbr_share, SEAT_FLAGS,
                    fee_share=fee_share)
    except InputError as exc:
        if provider is None or profile is not None:  # a bad --provider is said already
            problems.extend(exc.problems)
    # with --provider each trial is a capital run, which holds its parties' figures too
    loaded = load_checked(spec, overrides, problems,
                          "breakeven" if provider is None else "capital", sims,
                          parties=1, **on_this_machine(workers, dask, threads))
    with executor_for(workers, dask, threads) as executor, LazyProgress("Solving") as bar:
        result = breakeven(loaded, name, goal, profile, sims=sims, seed=seed,
                           volume_shock=volume_shock, fees=fees, share=share,
                           fee_share=fee_share, pbr_share=pbr_share,
                           paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                           progress=bar, executor=executor, draws=draws)
    emit(result, as_json, result.to_dict, lambda: views().breakeven_view(result), outputs,
         lambda path, force: views().write_breakeven_workbook(result, path, force=force),
         lambda path, force: views().write_breakeven_html(result, path, force=force))

