"""What the commands share: their options, the output files (``Outputs``), the run checks
and ``emit``, which writes the files, then prints the JSON object or the view."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable, Iterable, Optional

import typer

from ..approx import DRAWS, MAX_SKEW, MIN_VARIANCE, check_draws
from ..engine import DEFAULT_CHUNK, MAX_SIMS, check_run_args, resolve_shocks
from ..errors import InputError, OutputError, PbrError
from ..memory import check_memory, check_spool_disk, spool_held
from ..parallel import check_executor, open_executor, resolve_threads
from ..files import check_not_input, check_output, same_file
from ..report.export import DESCRIPTIONS, METADATA, check_export, table_file, write_tables
from ..report.json import dumps
from ..report.sheets import MAX_SHEET_SIMS, RECORD_KEYS, run_date
from ..spec import LoadedSpec, load_spec
from .app import err, out

FLAGS = {"sims": "--sims", "seed": "--seed", "chunk_size": "--chunk-size"}

#: What --sims allows, for its help.
SIMS_LIMIT = (f"(1 to {MAX_SIMS:,}; a run whose memory estimate is more than the machine has "
              "is refused before it starts, with the most that fit)")


SpecArg = Annotated[str, typer.Argument(
    help="Contract spec: a TOML file, an Excel workbook made by `pbr template`, or the name of "
         "a bundled contract (see `pbr list`).",
    show_default=True)]


SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="PATH=VALUE",
    help="Override any spec field by dotted path (repeatable); lists by 0-based index, "
         "e.g. --set payments.1.rates.0.price=2500.")]


ShockOpt = Annotated[float, typer.Option(
    "--volume-shock", metavar="SHARE",
    help="Stress both volumes: the planned paid volume and the planned caseload fall by this "
         "share (0.3 = 30% fewer; -0.2 = 20% more), so per-participant fees and costs fall "
         "together; fixed costs and the annual fee stay as planned. For the paid volume to "
         "fall while the caseload does not, use --paid-volume-shock.")]


PaidShockOpt = Annotated[Optional[float], typer.Option(
    "--paid-volume-shock", metavar="SHARE",
    help="Stress: the planned paid volume (what per-participant fees are paid on) falls by "
         "this share (0.3 = 30% fewer), whatever --volume-shock says; costs follow the "
         "caseload.")]


CaseloadShockOpt = Annotated[Optional[float], typer.Option(
    "--caseload-shock", metavar="SHARE",
    help="Stress: the planned caseload (who is supervised, costs money and is measured) falls "
         "by this share (negative for a rise: -0.2 = 20% more), whatever --volume-shock says.")]


#: The volume shocks' flags, for their messages.
SHOCK_FLAGS = {"volume_shock": "--volume-shock", "paid_volume_shock": "--paid-volume-shock",
               "caseload_shock": "--caseload-shock"}


DrawsOpt = Annotated[str, typer.Option(
    "--draws", metavar="|".join(DRAWS),
    help=f"How counts are drawn. exact (the default): every count (entrants, reoffenders, "
         f"reoffences, takers...) from its exact law. approx: a faster mode that draws each "
         f"large count (variance {MIN_VARIANCE:g} or more, skewness {MAX_SKEW:g} or less) from "
         f"its normal approximation, rounded, with the exact mean and variance, so results "
         f"move within Monte Carlo error; effects and volume factors stay as in exact mode. "
         f"See docs/methodology.md.")]


ChunkOpt = Annotated[int, typer.Option(
    "--chunk-size", metavar="N",
    help="Simulations per chunk of work (memory only; results never change).")]


WorkersOpt = Annotated[int, typer.Option(
    "--workers", metavar="N",
    help="Run the chunks of simulations in N local worker processes (1, the default: in this "
         "process). Every number is the same for any N.")]


DaskOpt = Annotated[Optional[str], typer.Option(
    "--dask", metavar="ADDRESS",
    help="Run the chunks on the workers of the Dask scheduler at ADDRESS, e.g. "
         "tcp://10.0.0.5:8786 (needs pip install 'pbr-model[dask]'). Every number is the "
         "same as in one process.")]


ThreadsOpt = Annotated[Optional[int], typer.Option(
    "--threads", metavar="N",
    help="Run the chunks of simulations on N threads of this process (default: one per core, "
         "at most 4, but a portfolio runs on worker processes; 1: one after another). Every "
         "number is the same for any N.",
    show_default=False)]


#: The executor's flags, for their messages.
EXECUTOR_FLAGS = {"workers": "--workers", "dask": "--dask", "threads": "--threads"}


def executor_for(workers: int, dask: str | None, threads: int | None = None):
    """The executor ``--workers``/``--dask``/``--threads`` ask for, as a context manager
    (``None``: this process, one chunk after another); see
    :func:`pbr_model.parallel.open_executor`."""
    return open_executor(workers, dask, EXECUTOR_FLAGS, threads)


def report_of(command: str):
    """A command's views and writers, :mod:`pbr_model.report.<command>`, imported when first
    used: a ``--json`` run needs none of them (nor rich, which they lay text out with)."""
    import importlib
    return importlib.import_module(f"pbr_model.report.{command}")


def on_this_machine(workers: int, dask: str | None, threads: int | None) -> dict[str, int]:
    """The worker processes and threads a run uses on this machine, as
    :func:`~pbr_model.memory.check_memory`'s keywords (``workers``, ``threads``); one of
    each with ``--dask`` (its workers are elsewhere) or when the flags are not valid (they
    are said first)."""
    try:
        check_executor(workers, dask, None, threads)
    except InputError:
        return {"workers": 1, "threads": 1}
    if dask is not None:
        return {"workers": 1, "threads": 1}
    return {"workers": workers, "threads": resolve_threads(threads, workers, dask)}


def spool_folder(outputs: Outputs) -> Path | None:
    """Where a streamed run writing --csv or --parquet tables spools its arrays
    (:mod:`pbr_model.analyses.spool`): the first table folder if it exists, else its
    parent (which must: :func:`~pbr_model.report.export.check_export`), so the temporary
    files are on the disk the tables go to; None without tables."""
    for _, folder in outputs.table_folders():
        # (os.path.isdir, which never raises: an unusable path is said with the others)
        return folder if os.path.isdir(folder) else folder.parent
    return None


def _path(value: str) -> Path:
    """An output path as given; an empty one is refused (``Path("")`` is the current
    folder, so ``--csv ""`` would otherwise write the tables where the command runs)."""
    if isinstance(value, Path):
        return value
    if not value.strip():
        raise typer.BadParameter("an empty path; give a file or folder name (. for here)")
    return Path(value)


XlsxOpt = Annotated[Optional[Path], typer.Option(
    "--xlsx", metavar="FILE", parser=_path,
    help="Also write an Excel workbook: Summary (the --json figures with a plain-English "
         "reading), Assumptions and the command's own sheets.")]


XlsxSimsOpt = Annotated[bool, typer.Option(
    "--xlsx-sims",
    help=f"Add a Simulations sheet to the --xlsx workbook, one row per simulation (at most "
         f"{MAX_SHEET_SIMS:,}; use --csv or --parquet for more).")]


HtmlOpt = Annotated[Optional[Path], typer.Option(
    "--html", metavar="FILE", parser=_path,
    help="Also write a one-page HTML report: the headline figures, a plain-English reading, "
         "charts and the provenance, in one self-contained file (opens with no network; see "
         "docs/html.md).")]


def table_options(tables: str):
    """The ``--csv`` and ``--parquet`` options of a command that writes ``tables`` (named in
    its help, so it promises only the tables it writes)."""
    csv = Annotated[Optional[Path], typer.Option(
        "--csv", metavar="DIR", parser=_path,
        help=f"Also write CSV files, one per table ({tables}), with metadata.json, into DIR "
             "(created if missing, in a folder that exists); docs/data.md describes their "
             "columns.")]
    parquet = Annotated[Optional[Path], typer.Option(
        "--parquet", metavar="DIR", parser=_path,
        help="As --csv, as Parquet files (needs pyarrow: pip install 'pbr-model[parquet]').")]
    return csv, parquet


ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Replace existing output files (--xlsx, --html, and the tables --csv or "
                    "--parquet would write).")]


@dataclass(frozen=True)
class Outputs:
    """The files a command was asked to write besides the screen."""

    xlsx: Path | None = None
    csv: Path | None = None
    parquet: Path | None = None
    force: bool = False
    xlsx_sims: bool = False
    html: Path | None = None

    def problems(self, tables: Iterable[str] = (), inputs: Iterable[str | Path] = ()) -> list[str]:
        """Every problem with the output paths, checked before the run starts: unusable
        paths, files that exist without --force, and any output that is one of the run's
        ``inputs`` (spec, observed CSV, profiles, portfolio), which --force never allows."""
        tables, inputs = list(tables), list(inputs)
        clashes = {str(path): check_not_input([(flag, path)], inputs)
                   for flag, path in self.files(tables)}
        taken = {path for path, lines in clashes.items() if lines}
        problems = []
        if self.xlsx is not None and str(Path(self.xlsx)) not in taken:
            try:
                check_output(self.xlsx, force=self.force)
            except OutputError as exc:
                problems.extend(f"--xlsx {p}" for p in exc.problems)
        if self.html is not None and str(Path(self.html)) not in taken:
            from ..report.html import check_html
            try:
                check_html(self.html, force=self.force)
            except OutputError as exc:
                problems.extend(f"--html {p}" for p in exc.problems)
        if self.xlsx_sims and self.xlsx is None:
            problems.append("--xlsx-sims: adds a sheet to the --xlsx workbook; give --xlsx FILE")
        for fmt, folder in (("csv", self.csv), ("parquet", self.parquet)):
            if folder is not None:
                try:
                    check_export(folder, fmt, tables, force=self.force)
                except OutputError as exc:  # an input in the way is said once, below
                    problems.extend(f"--{fmt} {p}" for p in exc.problems
                                    if not any(p.startswith(f"{t}:") for t in taken))
        return (problems + [line for lines in clashes.values() for line in lines]
                + self.conflicts(tables))

    def conflicts(self, tables: Iterable[str] = ()) -> list[str]:
        """Outputs that would collide with each other, found before the run: two flags
        writing one file (``--csv d --parquet d`` both write ``d/metadata.json``), or an
        output file where another flag's folder would be (or inside it)."""
        tables = list(tables)
        folders = [(f"--{fmt}", Path(folder)) for fmt, folder in
                   (("csv", self.csv), ("parquet", self.parquet)) if folder is not None]
        problems, same_folder = [], False
        if len(folders) == 2 and same_file(folders[0][1], folders[1][1]):
            same_folder = True
            problems.append(f"--csv {folders[0][1]} and --parquet {folders[1][1]}: the same "
                            f"folder, and both write {METADATA}; give each its own folder")
        files = self.files(tables)
        for i, (flag_a, a) in enumerate(files):
            for flag_b, b in files[i + 1:]:
                if same_folder and a.name == b.name and a.name in DESCRIPTIONS:
                    continue
                if same_file(a, b):
                    problems.append(f"{flag_a} {a} and {flag_b} {b}: both would write one "
                                    "file; give them different names")
        for flag_f, folder in folders:
            for flag, path in files:
                if flag != flag_f and any(same_file(path, f) for f in (folder, *folder.parents)
                                          if f != Path(".")):
                    problems.append(f"{flag_f} {folder}: {flag} writes the file {path} there; "
                                    "a folder cannot also be a file")
        return problems

    def table_folders(self) -> list[tuple[str, Path]]:
        """``(format, folder)`` of each table set asked for (--csv, --parquet)."""
        return [(fmt, Path(folder)) for fmt, folder in (("csv", self.csv),
                                                         ("parquet", self.parquet))
                if folder is not None]

    def files(self, tables: Iterable[str] = ()) -> list[tuple[str, Path]]:
        """Every file the outputs would write, as ``(flag, path)``."""
        files = [] if self.xlsx is None else [("--xlsx", Path(self.xlsx))]
        if self.html is not None:
            files.append(("--html", Path(self.html)))
        for fmt, folder in (("csv", self.csv), ("parquet", self.parquet)):
            if folder is not None:
                files += [(f"--{fmt}", Path(folder) / table_file(t, fmt)) for t in tables]
                files += [(f"--{fmt}", Path(folder) / d) for d in DESCRIPTIONS]
        return files

    def write(self, result, figures: dict, workbook: Callable[..., Path],
              page: Callable[..., Path] | None = None) -> list[str]:
        """Write what was asked for: ``workbook(path, force=)`` for --xlsx, ``page(path,
        force=)`` for --html, ``result.tables()`` with ``figures`` (the command's JSON
        object) as provenance for --csv/--parquet. Returns what was written, for the
        closing message."""
        written = []
        if self.xlsx is not None:
            workbook(self.xlsx, force=self.force)
            written.append(str(self.xlsx))
        if self.html is not None:
            if page is None:  # a command that offers --html passes its page writer
                raise TypeError("--html given but no page writer")
            page(self.html, force=self.force)
            written.append(str(self.html))
        for fmt, folder in (("csv", self.csv), ("parquet", self.parquet)):
            if folder is not None:
                # a result's tables as chunks when it offers them (a portfolio), else tables()
                chunked = getattr(result, "table_chunks", result.tables)
                with table_progress(result, fmt) as tick:
                    paths = write_tables(folder, fmt, chunked(),
                                         run_metadata(result, figures), force=self.force,
                                         inputs=result.provenance.inputs, tick=tick)
                written.append(f"{len(paths)} files to {folder}")
        return written


@contextlib.contextmanager
def table_progress(result, fmt: str):
    """A ``tick(rows)`` for :func:`~pbr_model.report.export.write_tables` drawing a bar of
    the rows written (a run's ``table_rows()`` gives the total; without it, no bar):
    1,000,000 simulations' CSV tables take minutes to write."""
    rows = getattr(result, "table_rows", None)
    if rows is None:
        yield None
        return
    from .progress import LazyProgress
    total, done = sum(rows().values()), 0
    with LazyProgress(f"Writing {fmt.upper() if fmt == 'csv' else fmt.title()} tables",
                      unit="rows") as bar:
        def tick(n: int) -> None:
            nonlocal done
            done += n
            bar(done, total)
        yield tick


def run_metadata(result, figures: dict) -> dict:
    """What ``metadata.json`` records of a run: the command line, the provenance fields
    of its JSON object ``figures`` (spec hash, seed, version...) and when it ran."""
    meta = {"command": shlex.join(["pbr", *sys.argv[1:]])}
    meta.update({k: figures[k] for k in RECORD_KEYS if k in figures})
    meta["created_utc"] = run_date(result)
    notes = getattr(result, "table_notes", None)   # how a table's figures were found
    if notes is not None:
        meta.update(notes())
    return meta


def run_problems(sims: int, seed: int, chunk_size: int = DEFAULT_CHUNK,
                 volume_shock: float | None = None, outputs: Outputs | None = None,
                 tables: Iterable[str] = (), inputs: Iterable[str | Path] = (),
                 paid_volume_shock: float | None = None,
                 caseload_shock: float | None = None, workers: int = 1,
                 dask: str | None = None, draws: str = "exact",
                 threads: int | None = None) -> list[str]:
    """Every problem with the run options shared by the commands, as ``Error:`` lines."""
    problems = []
    checks = [lambda: check_run_args(sims, seed, chunk_size, FLAGS),
              lambda: check_executor(workers, dask, EXECUTOR_FLAGS, threads),
              lambda: check_draws(draws, "--draws")]
    if volume_shock is not None:
        checks.append(lambda: resolve_shocks(volume_shock, paid_volume_shock, caseload_shock,
                                             SHOCK_FLAGS))
    for check in checks:
        try:
            check()
        except InputError as exc:
            problems.extend(exc.problems)
    if outputs is not None:
        problems.extend(outputs.problems(tables, inputs))
    return problems


def load_checked(spec: str, overrides: list[str] | None, problems: list[str],
                 command: str | None = None, sims: int | None = None,
                 chunk_size: int = DEFAULT_CHUNK, detail: bool | None = None,
                 workers: int = 1, threads: int = 1,
                 spool: Path | None = None,
                 tables: Iterable[tuple[str, Path]] = (),
                 parties: int | None = None) -> LoadedSpec:
    """Load the spec and raise every problem at once: the flags' ``problems`` (said first)
    and the spec's, so a bad ``--sims`` never hides a bad spec; then, if both are good,
    whether ``sims`` simulations of ``command`` fit in the machine's memory
    (:func:`pbr_model.memory.check_memory`) and, for a run that spools its arrays
    (``spool``: the folder, :func:`spool_folder`), in the free disk space of its folder and
    of the ``tables`` it writes (``(format, folder)``), before any work. ``parties``: a
    capital run's (None: the spec's prime and supply chain)."""
    loaded = None
    try:
        loaded = load_spec(spec, overrides or [])
    except PbrError as exc:
        problems = [*problems, *exc.problems]
    if problems:
        raise InputError(problems)
    if command is not None:
        held = 0 if spool is None else spool_held([loaded.spec], sims, chunk_size, workers,
                                                  threads)
        tables = list(tables)
        if parties is None:
            parties = 1 + len(loaded.spec.supply_chain)
        check_memory([loaded.spec], sims, command, chunk_size, detail=detail, workers=workers,
                     threads=threads, held=held, parties=parties, tables=bool(tables))
        if spool is not None:
            check_spool_disk([loaded.spec], sims, spool, tables)
    return loaded


def emit(result, as_json: bool, figures: Callable[[], dict], view: Callable[[], object],
         outputs: Outputs, workbook: Callable[..., Path],
         page: Callable[..., Path] | None = None) -> None:
    """Write the files ``outputs`` asks for (``page(path, force=)`` writes --html), then
    print the JSON object ``figures()`` or the view, then say what was written (on stderr,
    so stdout stays one JSON object)."""
    d = figures() if as_json or outputs.csv or outputs.parquet else None
    written = outputs.write(result, d, workbook, page)
    if as_json:
        typer.echo(dumps(d))
    else:
        out.print(view())
    for what in written:
        err.print(f"Wrote {what}", markup=False, soft_wrap=True)


def sims_sheet_note(outputs: Outputs, sims: int) -> None:
    """Say so on stderr when the Simulations sheet will hold only the first rows."""
    if outputs.xlsx_sims and sims > MAX_SHEET_SIMS:
        err.print(f"Note: the Simulations sheet holds the first {MAX_SHEET_SIMS:,} of "
                  f"{sims:,} simulations; use --csv or --parquet for all of them.",
                  markup=False, soft_wrap=True)


