"""End-to-end benchmark of the installed CLI: ``pbr simulate --sims N --json``.

Runs the command as a subprocess several times per N and prints a markdown table of
wall time (median and minimum over the repeats) and the child's peak resident memory.

Usage::

    python benchmarks/bench_cli.py                    # N = 10000 and 100000, 5 repeats
    python benchmarks/bench_cli.py 10000 50000        # other sizes
    python benchmarks/bench_cli.py --repeats 9 10000
    python benchmarks/bench_cli.py --pbr /path/to/bin/pbr 10000   # a given executable

How it measures
---------------
* Wall time: ``time.perf_counter()`` from just before the child is started to just after
  it is reaped, so it includes interpreter start-up, imports, loading the default contract,
  the simulation and writing the JSON (to a temporary file, not a terminal).
* Peak memory: the child's ``ru_maxrss`` as returned by ``os.wait4(pid)`` for that one
  child (Linux: kilobytes; the peak of the process and of any children it waited for).
  This is exact per run. Deltas of ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` are *not* used:
  that field is the maximum over all children ever reaped, not a sum, so a run smaller
  than an earlier one would be invisible. ``/usr/bin/time -v`` reports the same number.
* CPU: user + system seconds of the child, from the same ``wait4`` rusage.

``pbr`` is looked up on PATH as seen by this Python (under pyenv that is the interpreter's own
``bin/pbr`` entry-point script; a pyenv *shim* typed in a shell adds a few tens of
milliseconds); the resolved path is printed to stderr. A start-up row
(``pbr --help``: imports and CLI only, no simulation) is included for reference, with
``pbr --version`` and numpy's own import (``python -c "import numpy"`` with the interpreter
that runs ``pbr``) beside it: the start-up floor is ``pbr --version`` within 2x numpy's
import (issue 15), printed as a PASS/FAIL line (informational: it does not set the exit code).

The requirement checked (a floor): ``pbr simulate --sims 10000`` under 3 s wall and under
1 GB peak memory on the 2-core benchmark machine. The median decides PASS/FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _provenance import compile_bytecode, describe

WALL_LIMIT_S = 3.0
#: ``pbr --version`` within this multiple of numpy's import (the start-up floor).
VERSION_OVER_NUMPY = 2.0
RSS_LIMIT_MB = 1024.0
REQUIREMENT_SIMS = 10_000


def run_once(cmd: list[str]) -> tuple[float, float, float, bytes]:
    """Run ``cmd``; return (wall s, peak RSS MB, CPU s, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr.decode()}")
    return wall, ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime, stdout


def bench(cmd: list[str], repeats: int, check_json: int | None = None) -> dict:
    walls, rss, cpu = [], [], []
    for _ in range(repeats):
        w, r, c, stdout = run_once(cmd)
        if check_json is not None:
            summary = json.loads(stdout)
            assert summary["sims"] == check_json, summary["sims"]
        walls.append(w)
        rss.append(r)
        cpu.append(c)
    return {"median": statistics.median(walls), "min": min(walls), "rss": max(rss),
            "rss_median": statistics.median(rss), "cpu": statistics.median(cpu),
            "walls": walls, "rsss": rss}


def _interpreter(exe: str) -> str:
    """The Python that runs the ``pbr`` script (its ``#!`` line), else this one."""
    try:
        with open(exe, "rb") as f:
            first = f.readline().decode(errors="replace").strip()
    except OSError:
        return sys.executable
    path = first[2:].strip().split()[0] if first.startswith("#!") else ""
    return path if path and os.path.isfile(path) else sys.executable


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sims", nargs="*", type=int, default=[10_000, 100_000],
                    help="simulation counts (default: 10000 100000)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per count (default 5)")
    ap.add_argument("--pbr", default=None, help="the pbr executable (default: pbr on PATH)")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up rows (numpy import, `pbr --version`, `pbr --help`)")
    args = ap.parse_args(argv)

    exe = args.pbr or shutil.which("pbr")
    if exe is None:
        raise SystemExit("pbr not found on PATH; install the package or pass --pbr")
    print(f"pbr: {exe}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{args.repeats} runs each", file=sys.stderr)

    bytecode = compile_bytecode()
    print(f"Measured: {describe()}; {bytecode}; {os.cpu_count()} CPUs; {args.repeats} runs each.\n")
    rows = []
    if not args.no_startup:
        rows.append(("numpy import", bench([_interpreter(exe), "-c", "import numpy"],
                                           args.repeats)))
        rows.append(("`pbr --version`", bench([exe, "--version"], args.repeats)))
        rows.append(("start-up (`pbr --help`)", bench([exe, "--help"], args.repeats)))
    for n in args.sims:
        res = bench([exe, "simulate", "--sims", str(n), "--json"], args.repeats, check_json=n)
        rows.append((f"{n:,}", res))
        print(f"  sims={n}: wall s " + ", ".join(f"{w:.2f}" for w in res["walls"])
              + "; peak RSS MB " + ", ".join(f"{r:.0f}" for r in res["rsss"]), file=sys.stderr)

    print("| sims | median wall s | min wall s | peak RSS MB (max of runs) | "
          "peak RSS MB (median) | median CPU s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for label, r in rows:
        print(f"| {label} | {r['median']:.2f} | {r['min']:.2f} | {r['rss']:.0f} | "
              f"{r['rss_median']:.0f} | {r['cpu']:.2f} |")

    status = 0
    times = {label: r["median"] for label, r in rows}
    if "`pbr --version`" in times:
        ratio = times["`pbr --version`"] / times["numpy import"]
        print(f"\nStart-up (`pbr --version` within {VERSION_OVER_NUMPY:g}x numpy's import): "
              f"{'PASS' if ratio <= VERSION_OVER_NUMPY else 'FAIL'} ({ratio:.2f}x: "
              f"{times['`pbr --version`']:.3f} s against {times['numpy import']:.3f} s)")
    for label, r in rows:
        if label == f"{REQUIREMENT_SIMS:,}":
            ok = r["median"] < WALL_LIMIT_S and r["rss"] < RSS_LIMIT_MB
            print(f"\nRequirement (--sims {REQUIREMENT_SIMS:,}: < {WALL_LIMIT_S:g} s wall, "
                  f"< {RSS_LIMIT_MB:.0f} MB peak): {'PASS' if ok else 'FAIL'} "
                  f"(median {r['median']:.2f} s, peak {r['rss']:.0f} MB)")
            status = 0 if ok else 1
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
