"""``pbr simulate``: Monte Carlo a contract and report payments and cash."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from ..errors import InputError, OutputError
from ..report.excel import check_output, write_workbook
from ..report.json import summary_json
from ..report.terminal import simulation_summary
from ..simulate import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args, check_volume_shock, simulate
from ..spec import DEFAULT_CONTRACT, load_spec
from .app import app, err, handles_errors, out
from .progress import LazyProgress

FLAGS = {"sims": "--sims", "seed": "--seed", "chunk_size": "--chunk-size"}

SpecArg = Annotated[str, typer.Argument(
    help="Contract spec: a TOML file, or the name of a bundled contract (see `pbr list`).",
    show_default=True)]
SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="PATH=VALUE",
    help="Override any spec field by dotted path (repeatable); lists by 0-based index, "
         "e.g. --set payments.1.rates.0.price=2500.")]
ShockOpt = Annotated[float, typer.Option(
    "--volume-shock", metavar="SHARE",
    help="Stress: expected entrants fall by this share (0.3 = 30% fewer) on top of the random "
         "volume factor; fixed costs and the annual fee stay as planned.")]


def run_problems(sims: int, seed: int, chunk_size: int = DEFAULT_CHUNK,
                 volume_shock: float | None = None, xlsx: Path | None = None,
                 force: bool = False) -> list[str]:
    """Every problem with the run options shared by the commands, as ``Error:`` lines."""
    problems = []
    checks = [lambda: check_run_args(sims, seed, chunk_size, FLAGS)]
    if volume_shock is not None:
        checks.append(lambda: check_volume_shock(volume_shock, "--volume-shock"))
    for check in checks:
        try:
            check()
        except InputError as exc:
            problems.extend(exc.problems)
    if xlsx is not None:
        try:
            check_output(xlsx, force=force)
        except OutputError as exc:
            problems.extend(f"--xlsx {p}" for p in exc.problems)
    return problems


def emit(as_json: bool, to_json: Callable[[], str], view: Callable[[], object],
         xlsx: Path | None = None, write: Callable | None = None, force: bool = False) -> None:
    """Write the workbook if asked, then print the JSON or the view, then say what was
    written (on stderr, so stdout stays one JSON object)."""
    if xlsx is not None:
        write(xlsx, force=force)
    if as_json:
        typer.echo(to_json())
    else:
        out.print(view())
    if xlsx is not None:
        err.print(f"Wrote {xlsx}", markup=False, soft_wrap=True)


@app.command("simulate")
@handles_errors
def simulate_cmd(
    spec: SpecArg = DEFAULT_CONTRACT,
    sims: Annotated[int, typer.Option("--sims", "-n", help="Number of simulations.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; with the spec and version it "
                                      "fixes every number.")] = DEFAULT_SEED,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout "
                                          "instead of the table.")] = False,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", metavar="FILE",
                                                 help="Also write an Excel workbook.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --xlsx file.")] = False,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Simulations per chunk of work "
                                            "(memory only; results never change).")] = DEFAULT_CHUNK,
    volume_shock: ShockOpt = 0.0,
) -> None:
    """Simulate a contract: what it pays, how uncertain that is, and the cash it needs.

    \b
    Examples:
      pbr simulate
      pbr simulate tr-crc-example --sims 50000 --seed 7 --xlsx run.xlsx
      pbr simulate my_contract.toml --set intervention.effect.binary.mean=0.1 --json
      pbr simulate tr-crc-example --volume-shock 0.3     # volumes 30% below plan
    """
    problems = run_problems(sims, seed, chunk_size, volume_shock, xlsx, force)
    if problems:
        raise InputError(problems)
    loaded = load_spec(spec, overrides or [])
    with LazyProgress("Simulating") as bar:
        result = simulate(loaded, sims=sims, seed=seed, chunk_size=chunk_size,
                          volume_shock=volume_shock, progress=bar)
    emit(as_json, lambda: summary_json(result), lambda: simulation_summary(result), xlsx,
         lambda path, force: write_workbook(result, path, force=force), force)
