"""How much memory a run needs, estimated from its spec before any work, and how much
the machine has: ``--sims`` has a ceiling tied to memory.

A run that keeps its detail (:mod:`pbr_model.analyses.stream`: every simulation's monthly
cash flows and per-cohort results, kept while they fit in 256 MiB; above that a run is
streamed, and ``pbr simulate`` or ``pbr capital`` writing --csv/--parquet spools its arrays
to disk instead, :func:`spool_held`, :func:`check_spool_disk`) grows with the simulations:

    bytes ~ BASE + FACTOR[command] x (sims x sum(per_sim) + 0.75 x min(chunk, sims) x max(per_sim))
    per_sim = 8 x (12 x months + 24 x cohorts)      (for each of a portfolio's areas)

A streamed run keeps only per-simulation figures, ``STREAMED`` bytes a simulation and
area, and sketches of fixed size (``SKETCHES``), so ``sims x sum(per_sim)`` becomes
``sims x STREAMED x areas + SKETCHES``. With ``--workers N`` each worker works on a chunk of
its own: the chunk term counts N times, plus ``WORKER`` for each worker's own interpreter;
with ``--threads N`` (one process) the chunk term counts N times and nothing more.

``months`` is the contract's timeline to its last cash flow and ``cohorts`` its cohorts;
8 bytes is one float64; a chunk of simulations (``--chunk-size``, 8,192 by default) needs
about three quarters as much again while it is worked on (in a portfolio, one area's chunk
at a time, so the largest area's). The constants were calibrated by measuring the peak resident
memory of runs on the bundled contracts (``/usr/bin/time``-style ``ru_maxrss``, version
0.7.0 and 0.8.0, 2,000 to 200,000 simulations) and rounded up, so the estimate is above every
measured run; measured again at 0.13.0 it is 6-104% above them (docs/methodology.md,
section 10, gives the runs). The available memory is the least of the
kernel's ``MemAvailable``, the process's address-space limit (``ulimit -v``) and its
control group's limit, where they are known.
"""

from __future__ import annotations

import os
import resource
import shutil
from collections.abc import Iterable
from pathlib import Path
from types import EllipsisType

from .engine import COHORT_COLUMNS, DEFAULT_CHUNK, MAX_SIMS
from .errors import InputError
from .spec.schema import ContractSpec
from .timeline import Timeline

#: Memory of the interpreter, numpy, pandas and the package before any simulation
#: [bytes] (measured: 140 MiB at 1 simulation).
BASE = 200 * 2**20
#: float64 values kept per simulation and month, and per simulation and cohort.
PER_MONTH = 12
PER_COHORT = 24
#: Working memory of a chunk of simulations, as a share of what they keep.
PER_CHUNK = 0.75
#: How much more than ``pbr simulate`` each command keeps per simulation (capital adds
#: the parties' finances; power and breakeven hold a second run's figures while they
#: compare; a portfolio is its areas').
FACTOR = {"simulate": 1.0, "capital": 2.0, "power": 1.5, "breakeven": 1.5, "portfolio": 1.0}
#: The same for what a streamed run keeps per simulation (``STREAMED``), where it differs:
#: a streamed capital run of one contract (0.19.0) holds each party's figures and a sketch
#: of its balance besides the contract's. Fitted at 0.19.0 to runs of the default contract
#: (its three parties): see :data:`STREAMED`.
STREAMED_FACTOR = {**FACTOR, "capital": 2.75}
#: The parties ``capital``'s factors were fitted with (the default contract's prime and
#: two subcontractors). Each further party keeps, per simulation, its figures (16 numbers)
#: and, in a run that keeps its arrays, its monthly balance and net flows (two numbers a
#: month), or, streamed, :data:`EXTRA_PARTY_STREAMED` (its figures and the growth of its
#: balance sketch: at 300,000 simulations of the default contract, eight named providers
#: peaked at 1,765 MiB and its own three parties at 928 MiB, 585 bytes a simulation for
#: each party more, measured at 0.19.0) [bytes].
FIT_PARTIES = 3
EXTRA_PARTY_STREAMED = 640
#: A streamed capital run's sketch of each party's monthly balance, and the copies made
#: as it is merged, beyond :data:`SKETCHES` [bytes]: fitted at 0.19.0 to the peak of the
#: default contract's runs at 100,000 and 200,000 simulations writing a workbook (756 and
#: 991 MiB on two threads, 539 and 719 MiB on one), which the estimate without it
#: undercut at 200,000 (884 and 708 MiB).
PARTY_SKETCH = 48 * 2**20
#: What a capital run writing its tables holds per simulation and party while it builds
#: the ``parties`` table (its 15 columns, and the copy joining the parties' frames makes)
#: [bytes]: at 0.19.0 ``--parquet`` at 1,000,000 simulations of the default contract
#: peaked at 2,524 MiB in one process on two threads (``/usr/bin/time``) against 2,704 MiB
#: estimated without this term, a margin of 7% for a table built whole at the end.
PARTY_TABLE = 2 * 8 * 16
#: What a streamed run keeps per simulation and area [bytes]: about 60 float64 figures.
#: (Times :data:`STREAMED_FACTOR`. A streamed ``pbr capital`` of the default contract,
#: measured at 0.19.0: 844, 1,216 and 1,729 MiB at 250,000, 500,000 and 1,000,000
#: simulations in one process with two threads, and 1,993 MiB at 1,000,000 with
#: ``--workers 2``, all processes; estimated, with :data:`PARTY_SKETCH`, 1,095, 1,430,
#: 2,102 and 2,222 MiB.)
STREAMED = 8 * 64
#: The sketches of a streamed run (months and cohorts of every area, and the owners') [bytes].
SKETCHES = 64 * 2**20
#: Each local worker process's own memory [bytes].
WORKER = 120 * 2**20
#: A spooled run (:mod:`pbr_model.analyses.spool`) holds, besides a streamed run's figures,
#: the arrays of up to this many finished chunks per worker or thread (sent back, waiting
#: their turn, and copied as they are written), and while its tables are written frames of
#: up to ``TABLE_WRITING`` bytes. Calibrated, then rounded up, on ``pbr simulate --sims
#: 1000000 --workers 2`` at 0.18.0: 1,432 MiB measured writing CSV and 1,521 MiB writing
#: Parquet (all processes) against 1,048 MiB estimated for the streamed run alone; with
#: these the estimate is 1,650 MiB.
SPOOL_CHUNKS = 4
TABLE_WRITING = 256 * 2**20


#: A run keeps its per-simulation monthly and per-cohort arrays while they take at most
#: this many bytes (over every area of a portfolio); above it they are streamed
#: (:mod:`pbr_model.analyses.stream`).
DETAIL_BYTES = 256 * 2**20


def detail_bytes(timelines: list[Timeline], sims: int) -> int:
    """Bytes of a run's kept monthly (cash in, outcome in, cash out) and per-cohort arrays."""
    return sims * sum(8 * (3 * t.n_months + len(COHORT_COLUMNS) * t.n_cohorts)
                      for t in timelines)


def keeps_detail(timelines: list[Timeline], sims: int, detail: bool | None) -> bool:
    """Whether a run keeps its per-simulation arrays: ``detail`` if given, else whether they
    fit in :data:`DETAIL_BYTES` (read when called, so it can be changed)."""
    if detail is None:
        return detail_bytes(timelines, sims) <= DETAIL_BYTES
    if not isinstance(detail, bool):
        raise InputError(f"detail: True, False or None (got {detail!r})")
    return detail


def bytes_per_sim(spec: ContractSpec) -> int:
    """Estimated memory one simulation of ``spec`` keeps [bytes] (before ``FACTOR``)."""
    months = Timeline.from_spec(spec).n_months
    return 8 * (PER_MONTH * months + PER_COHORT * spec.contract.cohorts)


def streams(specs: list[ContractSpec], sims: int, detail: bool | None = None) -> bool:
    """Whether a run of ``specs`` (a portfolio's areas, or one spec) is streamed, whatever
    the command (see the module)."""
    return not keeps_detail([Timeline.from_spec(s) for s in specs], sims, detail)


#: The most a streamed portfolio's owner-by-owner tasks may hold at once (every area's light
#: records until its plan is read, :func:`one_pass_bytes`); above it a run reads its plan in
#: a pass of its own (:func:`pbr_model.analyses.passes.owner_pass`).
ONE_PASS_BYTES = 512 * 2**20


def one_pass_bytes(owner_timelines: list[list[Timeline]], sims: int, workers: int = 1) -> int:
    """What the one-pass tasks running at once hold [bytes]: each owner's task keeps, per
    simulation and area, its cash in, outcome in and cash out each month, its entrants per
    cohort and its fee and outcome totals until the area's plan is read; ``workers`` tasks
    run at once (the owners holding most, at worst). ``owner_timelines``: each owner's
    areas' calendars."""
    held = sorted((sims * sum(8 * (3 * t.n_months + t.n_cohorts + 2) for t in timelines)
                   for timelines in owner_timelines), reverse=True)
    return sum(held[:max(1, workers)])


def _per_sim(specs: list[ContractSpec], command: str, streamed: bool = False,
             workers: int = 1, threads: int = 1, parties: int = FIT_PARTIES,
             tables: bool = False) -> tuple[float, float, float]:
    """What each simulation keeps, summed over the areas; what a chunk's working memory
    needs per simulation (the largest area's, as a portfolio works on one area's chunk at a
    time, once per worker process or thread); and the fixed part beyond ``BASE`` (an
    interpreter per worker process beyond this one) [bytes, after ``FACTOR``]. ``capital``
    of one contract adds what its ``parties`` beyond :data:`FIT_PARTIES` keep, streamed a
    sketch of each one's balance (:data:`PARTY_SKETCH`) and, writing ``tables``, its
    ``parties`` table."""
    per = [bytes_per_sim(s) for s in specs]
    f = FACTOR[command]
    kept = STREAMED_FACTOR[command] * STREAMED * len(per) if streamed else f * sum(per)
    fixed = (SKETCHES if streamed else 0) + (workers - 1) * WORKER
    if command == "capital":
        fixed += parties * PARTY_SKETCH if streamed else 0
        months = Timeline.from_spec(specs[0]).n_months
        kept += max(0, parties - FIT_PARTIES) * (EXTRA_PARTY_STREAMED if streamed
                                                 else 8 * (2 * months + 16))
        kept += parties * PARTY_TABLE if tables else 0
    return kept, f * PER_CHUNK * max(per) * max(workers, threads), fixed


def estimate(specs: Iterable[ContractSpec], sims: int, command: str,
             chunk_size: int = DEFAULT_CHUNK, detail: bool | None = None,
             workers: int = 1, held: int = 0, threads: int = 1, parties: int = FIT_PARTIES,
             tables: bool = False) -> int:
    """Estimated peak memory of ``command`` run on ``specs`` (a portfolio's areas, or one
    spec) with ``sims`` simulations in chunks of ``chunk_size`` [bytes], on ``workers``
    processes or ``threads`` threads of this one; ``held``: what a one-pass portfolio's
    tasks hold besides (:func:`one_pass_bytes`); ``parties``, ``tables``: a capital run's
    (:func:`_per_sim`)."""
    specs = list(specs)
    kept, work, fixed = _per_sim(specs, command, streams(specs, sims, detail), workers,
                                 threads, parties, tables)
    return int(BASE + fixed + held + sims * kept + min(chunk_size, sims) * work)


def max_sims(specs: Iterable[ContractSpec], available: int, command: str,
             chunk_size: int = DEFAULT_CHUNK, detail: bool | None = None,
             workers: int = 1, held: int = 0, threads: int = 1, parties: int = FIT_PARTIES,
             tables: bool = False) -> int:
    """The most simulations whose estimate fits in ``available`` bytes (0 if none); ``held``
    counted as fixed (it is at most :data:`ONE_PASS_BYTES`)."""
    specs = list(specs)
    best = 0
    for streamed in ((False, True) if detail is not True else (False,)):
        kept, work, fixed = _per_sim(specs, command, streamed, workers, threads, parties,
                                     tables)
        room = available - BASE - fixed - held
        fits = (room - chunk_size * work) / kept          # a full chunk at work
        if fits < chunk_size:                             # fewer simulations than a chunk
            fits = room / (kept + work)
        fits = int(fits)
        if streams(specs, max(fits, 1), detail) == streamed:
            best = max(best, fits)
    return max(0, best)


def _meminfo() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _address_space() -> int | None:
    """What the address-space limit (``ulimit -v``) leaves this process [bytes]."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        used = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, soft - used)
    except (OSError, ValueError, IndexError):
        return None


def _cgroup() -> int | None:
    """What the control group's memory limit (cgroup v2) leaves [bytes]."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Memory this process can still use [bytes]: the least of what the kernel says is
    available, the address-space limit and the control group's limit; None if unknown."""
    known = [m for m in (_meminfo(), _address_space(), _cgroup()) if m is not None]
    return min(known) if known else None


def check_memory(specs: Iterable[ContractSpec], sims: int, command: str,
                 chunk_size: int = DEFAULT_CHUNK, flag: str = "--sims",
                 detail: bool | None = None, workers: int = 1, held: int = 0,
                 threads: int = 1, parties: int = FIT_PARTIES, tables: bool = False,
                 available: int | None | EllipsisType = ...) -> None:
    """Raise ``InputError`` if the run's estimated memory is more than is available,
    giving the estimate, what is available and the most simulations that fit (and, on
    several threads or workers, that fewer would need less); ``parties``, ``tables``: a
    capital run's (:func:`_per_sim`); ``available``: what :func:`available_memory` said
    when the run was planned (``...``, the default: ask it now)."""
    specs = list(specs)
    if available is ...:
        available = available_memory()
    if available is None:
        return
    mine = {"parties": parties, "tables": tables}
    need = estimate(specs, sims, command, chunk_size, detail, workers, held, threads, **mine)
    if need > available:
        fits = min(max_sims(specs, available, command, chunk_size, detail, workers, held,
                            threads, **mine), MAX_SIMS)
        raise InputError(
            f"{flag}: {sims:,} simulations need about {_size(need)} of memory (estimated "
            f"from the contract's months and cohorts); this machine has {_size(available)} "
            f"available, enough for about {fits:,}: use --sims {fits:,} or fewer"
            + (", or a smaller --chunk-size" if chunk_size > DEFAULT_CHUNK else "")
            + (", or fewer --workers" if workers > 1 else "")
            + (", or --threads 1" if threads > 1 and estimate(
                specs, sims, command, chunk_size, detail, workers, held, **mine) <= available
               else ""))


def spool_held(specs: Iterable[ContractSpec], sims: int, chunk_size: int = DEFAULT_CHUNK,
               workers: int = 1, threads: int = 1) -> int:
    """What a spooled run holds besides a streamed run's figures [bytes]: see
    :data:`SPOOL_CHUNKS` (0 for a run that keeps its arrays in memory and spools nothing)."""
    timelines = [Timeline.from_spec(s) for s in specs]
    if keeps_detail(timelines, sims, None):
        return 0
    chunk = min(chunk_size, sims)
    return int(SPOOL_CHUNKS * max(workers, threads) * detail_bytes(timelines, chunk)
               + TABLE_WRITING)


#: Bytes of a table file per byte of the spooled arrays it is written from, by format: CSV
#: text 2 (1,000,000 simulations of the default contract: 10.9 GB of CSV from 5.5 GB of
#: arrays at 0.18.0), Parquet at most 1 (compressed binary).
TABLE_BYTES = {"csv": 2.0, "parquet": 1.0}


def check_spool_disk(specs: Iterable[ContractSpec], sims: int, where,
                     tables: Iterable[tuple[str, Path]]) -> None:
    """Raise ``InputError`` if a streamed run's spool (:mod:`pbr_model.analyses.spool`:
    its monthly and per-cohort arrays, :func:`detail_bytes`, in the folder ``where``) and
    the tables written while it is there (``tables``: ``(format, folder)``, estimated by
    :data:`TABLE_BYTES`) would not fit in the free space of their disks; nothing for a run
    that keeps its arrays in memory."""
    tables = list(tables)
    timelines = [Timeline.from_spec(s) for s in specs]
    if not tables or keeps_detail(timelines, sims, None):
        return
    spool = detail_bytes(timelines, sims)
    need: dict[int, list] = {}        # per disk: bytes, the folder to name, what goes there
    try:
        for label, folder, size in (("the run's temporary files", Path(where), spool), *(
                (f"the --{fmt} tables", Path(folder), int(TABLE_BYTES[fmt] * spool))
                for fmt, folder in tables)):
            at = folder if os.path.isdir(folder) else folder.parent
            disk = need.setdefault(os.stat(at).st_dev, [0, at, []])
            disk[0] += size
            disk[2].append(f"{label} {_size(size)}")
        room = [(n, at, labels, shutil.disk_usage(at).free) for n, at, labels in need.values()]
    except OSError:
        return          # said when the files are written, if it is a problem
    fmt, folder = tables[0]
    for n, at, labels, free in room:
        if n > free:
            raise InputError(
                f"--{fmt} {folder}: {sims:,} simulations are written to disk as the run goes, "
                f"then their tables: about {_size(n)} in {at} ({', '.join(labels)}; "
                f"estimated), which has {_size(free)} free: free some space, or run fewer "
                "simulations")


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"
