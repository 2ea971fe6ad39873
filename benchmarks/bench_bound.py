"""How far a run is from its random-number bound: the time its exact draws take.

For one contract (``pbr simulate``) or portfolio (``pbr capital``) and a number of
simulations, measures

(a) ``python -c "import numpy"``, wall time of a subprocess;
(b) the draws: one run in this process records every call the engine makes on its
    random-number generators (method, arguments, and which generator: its seed
    sequence), then only those calls are replayed, generator by generator in the order
    made, on fresh generators seeded the same way. The replay gives the same numbers
    (checked, call by call); its time is the least any run with these exact draws could
    take. Not timed: converting counts to floats, or anything else the engine does
    with the draws;
(c) the engine in this process (the command's work after imports: load, simulate,
    summarise, write the JSON to nowhere) and the CLI end to end (a subprocess of the
    installed ``pbr``, start-up included, JSON to a file), both with any ``--extra`` flags
    (e.g. ``--workers=2``; the draws are recorded from a serial run, which makes the same;
    the engine's CPU seconds are then this process's alone, not its workers');

and prints a markdown table with the ratio end to end / (numpy import + draws): medians of
``--repeats`` rounds, each round measuring (b), (c) in process, (a) and (c) end to end in
turn (so a machine whose speed drifts moves a round's bound and run alike), then each
round's own ratio. A portfolio's areas and blocks can be drawn on both cores at once, so
its bound is numpy import + draws / 2 (the two-core bound); a single contract's is numpy
import + draws.

Usage::

    python benchmarks/bench_bound.py                              # tr-crc-example, 10,000
    python benchmarks/bench_bound.py tr-national --sims 2000      # a portfolio (capital)
    python benchmarks/bench_bound.py peterborough-sib --command capital --repeats 3
    python benchmarks/bench_bound.py --sims 10000 --extra=--workers=2  # flags for the run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from _provenance import compile_bytecode, describe

import pbr_model.rng as rng_module
from pbr_model.spec.kinds import file_kind

#: Generator methods the engine draws with (anything else is forwarded unrecorded).
DRAWS = ("standard_normal", "normal", "poisson", "multinomial", "binomial", "gamma",
         "negative_binomial", "random", "uniform", "integers", "exponential", "choice",
         "beta", "hypergeometric", "multivariate_hypergeometric", "lognormal")


@dataclass
class Draw:
    """One call on a generator: its method, arguments and a fingerprint of its result."""
    key: tuple
    method: str
    args: tuple
    kwargs: dict
    fingerprint: tuple

    def shape(self) -> str:
        shapes = [str(np.shape(a)) for a in self.args if np.ndim(a)]
        return f"{self.method}{'(' + ', '.join(shapes) + ')' if shapes else ''}"


def _fingerprint(out) -> tuple:
    a = np.asarray(out)
    return a.shape, str(a.dtype), a.tobytes().__hash__()


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


@dataclass
class Recorder:
    """Every draw made on the generators :mod:`pbr_model.rng` makes while it records, and
    each generator's seed sequence, by a key of its own (the order it was made in and its
    spawn key)."""
    draws: list[Draw] = field(default_factory=list)
    seeds: dict[tuple, np.random.SeedSequence] = field(default_factory=dict)

    def generator(self, bit_generator) -> "RecordingGenerator":
        # one key per generator made: a run may make the same seed's generator twice
        # (capital's second run at effect 0), each drawing from the start of its stream
        seq = bit_generator.seed_seq
        key = (len(self.seeds), tuple(seq.spawn_key))
        self.seeds[key] = seq
        return RecordingGenerator(np.random.Generator(bit_generator), key, self)


class RecordingGenerator:
    """A :class:`numpy.random.Generator` that notes each draw (see :class:`Recorder`)."""

    def __init__(self, gen: np.random.Generator, key: tuple, recorder: Recorder):
        self._gen, self._key, self._recorder = gen, key, recorder

    def __getattr__(self, name):
        attr = getattr(self._gen, name)
        if name not in DRAWS:
            return attr

        def draw(*args, **kwargs):
            out = attr(*args, **kwargs)
            self._recorder.draws.append(Draw(self._key, name, tuple(map(_copy, args)),
                                             {k: _copy(v) for k, v in kwargs.items()},
                                             _fingerprint(out)))
            return out
        return draw


class _Numpy:
    """numpy as :mod:`pbr_model.rng` sees it while recording: its generators record."""

    def __init__(self, recorder: Recorder):
        self.random = _Random(recorder)

    def __getattr__(self, name):
        return getattr(np, name)


class _Random:
    def __init__(self, recorder: Recorder):
        self._recorder = recorder

    def Generator(self, bit_generator):  # noqa: N802 (numpy's name)
        return self._recorder.generator(bit_generator)

    def __getattr__(self, name):
        return getattr(np.random, name)


@contextlib.contextmanager
def recording():
    """Record the draws of everything run inside (generators made by pbr_model.rng)."""
    recorder = Recorder()
    saved = rng_module.np
    rng_module.np = _Numpy(recorder)
    try:
        yield recorder
    finally:
        rng_module.np = saved


def distinct_generators(recorder: Recorder) -> dict[tuple, list[Draw]]:
    """The recorded draws by generator, leaving out a generator that repeats an earlier
    one: the same seed sequence making the same draws (a portfolio's owner tasks each draw
    a block's national trend again; a contract's ``capital`` runs effect 0 twice). A run
    needs those numbers once, so the bound counts them once."""
    by_generator: dict[tuple, list[Draw]] = {}
    for d in recorder.draws:
        by_generator.setdefault(d.key, []).append(d)
    seen, out = set(), {}
    for key, draws in by_generator.items():
        seq = recorder.seeds[key]
        sig = (seq.entropy, tuple(seq.spawn_key),
               tuple((d.method, d.fingerprint) for d in draws))
        if sig not in seen:
            seen.add(sig)
            out[key] = draws
    return out


def replay(recorder: Recorder, check: bool = False) -> tuple[float, float]:
    """Seconds (wall, CPU) to make the recorded draws again on fresh generators (made
    inside the timing, as a run makes them); with ``check``, raise unless every draw is
    the same."""
    by_generator = distinct_generators(recorder)
    outputs = []
    t0, c0 = time.perf_counter(), time.process_time()
    for key, draws in by_generator.items():
        seq = recorder.seeds[key]
        gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            seq.entropy, spawn_key=seq.spawn_key, pool_size=seq.pool_size)))
        for d in draws:
            out = getattr(gen, d.method)(*d.args, **d.kwargs)
            if check:
                outputs.append((d, out))
    seconds = (time.perf_counter() - t0, time.process_time() - c0)
    for d, out in outputs:
        if _fingerprint(out) != d.fingerprint:
            raise AssertionError(f"replayed {d.shape()} differs from the run's draw")
    return seconds


def run_in_process(argv: list[str]) -> tuple[float, float]:
    """Seconds (wall, CPU of this process) for the CLI's work here (imports already
    done), output dropped."""
    from pbr_model.cli import main
    saved = sys.argv
    sys.argv = ["pbr", *argv]
    sink = io.StringIO()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with contextlib.redirect_stdout(sink):
            main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise SystemExit(f"pbr {' '.join(argv)} failed ({exc.code})") from None
    finally:
        sys.argv = saved
    return time.perf_counter() - t0, time.process_time() - c0


def wall(cmd: list[str]) -> tuple[float, float]:
    """Seconds (wall, CPU) of a subprocess: CPU is user + system of the child and of the
    processes it waited for (its workers), from ``os.wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime


#: Flags that send a run's chunks to other processes (its numbers are the same without).
EXECUTOR_FLAGS = ("--workers", "--dask")


def serial(argv: list[str]) -> list[str]:
    """``argv`` without ``--workers``/``--dask`` (and their values) and with ``--workers 1``
    (a portfolio's default is worker processes): the same draws, all made in this process,
    where they can be recorded."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in EXECUTOR_FLAGS:
            skip = True
        elif not a.startswith(tuple(f + "=" for f in EXECUTOR_FLAGS)):
            out.append(a)
    return [*out, "--workers", "1"]


def measure(spec: str, sims: int, command: str | None, repeats: int, pbr: str | None,
            extra: list[str], seed: int | None = None) -> dict:
    """Every figure of the table for one run (see the module docstring)."""
    portfolio = file_kind(spec) == "portfolio"
    command = command or ("capital" if portfolio else "simulate")
    argv = [command, spec, "--sims", str(sims), "--json", *extra]
    if seed is not None:
        argv += ["--seed", str(seed)]
    with recording() as rec:  # serially: with --workers the draws would be made elsewhere
        run_in_process(serial(argv))
    if not rec.draws:
        raise SystemExit(f"pbr {' '.join(argv)} made no recorded draw")
    replay(rec, check=True)
    exe = pbr or shutil.which("pbr", path=os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    # the repeats are interleaved, a round of each measure at a time, so a machine that
    # speeds up or slows down during the benchmark moves the bound and the run alike
    draws, engine, numpy_import, cli = [], [], [], []
    for _ in range(repeats):
        draws.append(replay(rec))
        engine.append(run_in_process(argv))
        numpy_import.append(wall([sys.executable, "-c", "import numpy"]))
        if exe:
            cli.append(wall([exe, *argv]))
    cores = 2 if portfolio else 1
    kept = distinct_generators(rec)
    out = {"spec": spec, "command": command, "sims": sims, "portfolio": portfolio,
           "calls": sum(map(len, kept.values())), "generators": len(kept), "cores": cores,
           "repeated": len(rec.seeds) - len(kept),
           "extra": extra, "shapes": _shape_counts(kept)}
    for i, kind in enumerate(("wall", "cpu")):  # medians, wall and CPU seconds
        med = lambda runs: statistics.median(r[i] for r in runs)  # noqa: E731
        figures = {"numpy_import": med(numpy_import), "draws": med(draws),
                   "engine": med(engine), "cli": med(cli) if cli else float("nan")}
        figures["bound"] = figures["numpy_import"] + figures["draws"] / cores
        out[kind] = figures
        # each round's own ratio, end to end / bound: its spread says how steady the machine was
        out[f"{kind}_rounds"] = [c[i] / (n[i] + d[i] / cores)
                                 for c, n, d in zip(cli, numpy_import, draws)]
    return out


def _shape_counts(by_generator: dict[tuple, list[Draw]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for draws in by_generator.values():
        for d in draws:
            counts[d.method] = counts.get(d.method, 0) + 1
    return counts


def approximate(extra: list[str]) -> bool:
    """Whether the run's flags ask for ``--draws approx`` (its bound is then the draws
    approximate mode makes: normals where cells are large)."""
    flags = " ".join(extra).replace("=", " ").split()
    return any(a == "--draws" and b == "approx" for a, b in zip(flags, flags[1:]))


def table(r: dict) -> str:
    w, c = r["wall"], r["cpu"]
    draws_label = "draws" if r["cores"] == 1 else "draws / 2 (two-core bound)"
    run = f"pbr {r['command']} {r['spec']} --sims {r['sims']:,}" + \
        (" " + " ".join(r["extra"]) if r["extra"] else "")
    rows = [("(a) `python -c \"import numpy\"`", "numpy_import"),
            (f"(b) the {'approximate' if approximate(r['extra']) else 'exact'} draws, replayed",
             "draws"),
            (f"bound: (a) + {draws_label}", "bound"),
            ("(c) engine in process (after imports)", "engine"),
            ("(c) CLI end to end", "cli")]
    lines = [f"`{run}`: {r['calls']:,} draw calls on {r['generators']:,} generators "
             f"({', '.join(f'{k} {v:,}' for k, v in sorted(r['shapes'].items()))})"
             + (f"; {r['repeated']:,} generators that repeat an earlier one's draws are "
                "counted once" if r["repeated"] else ""),
             "", "| what | wall s | CPU s |", "|---|---:|---:|"]
    lines += [f"| {label} | {w[key]:.3f} | {c[key]:.3f} |" for label, key in rows]
    lines += [f"| **ratio end to end / bound** | **{w['cli'] / w['bound']:.1f}x** | "
              f"{c['cli'] / c['bound']:.1f}x |",
              f"| ratio engine / {draws_label} | {w['engine'] / (w['draws'] / r['cores']):.1f}x | "
              f"{c['engine'] / (c['draws'] / r['cores']):.1f}x |"]
    if r.get("wall_rounds"):
        lines += ["", "Each round's own ratio (its bound and run measured together): "
                  + ", ".join(f"{x:.1f}x" for x in r["wall_rounds"]) + " wall; "
                  + ", ".join(f"{x:.1f}x" for x in r["cpu_rounds"]) + " CPU."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec", nargs="?", default="tr-crc-example",
                    help="bundled contract or portfolio, or a TOML file (default tr-crc-example)")
    ap.add_argument("--sims", type=int, default=10_000, help="simulations (default 10000)")
    ap.add_argument("--command", choices=["simulate", "capital"], default=None,
                    help="default: simulate for a contract, capital for a portfolio")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of each (default 3)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: pbr's)")
    ap.add_argument("--pbr", default=None,
                    help="the pbr executable (default: the one beside this Python, else on PATH)")
    ap.add_argument("--extra", action="append", default=[],
                    help="a further flag for the run, e.g. --extra=--workers=2 (repeatable)")
    args = ap.parse_args(argv)
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
          file=sys.stderr)
    bytecode = compile_bytecode()
    r = measure(args.spec, args.sims, args.command, args.repeats, args.pbr, args.extra,
                args.seed)
    print(f"Measured: {describe()}; {bytecode}; {os.cpu_count()} CPUs; medians of {args.repeats} interleaved rounds; "
          f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}. The target "
          f"is wall time; CPU seconds (user + system) are less moved by other work on the "
          f"machine.\n")
    print(table(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
