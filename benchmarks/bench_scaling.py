"""Scaling benchmark: wall time and peak memory of whole CLI runs at 1 and 2 workers.

Runs each case as a subprocess (the installed ``pbr``) and samples, every 0.1 s, the
memory of the process **and all its children** summed (proportional set size from
``/proc/PID/smaps_rollup``, so pages a forked worker shares with the parent count once);
prints a markdown table.

Usage::

    python benchmarks/bench_scaling.py                      # the default cases below
    python benchmarks/bench_scaling.py --quick              # small sizes, for a smoke run
    python benchmarks/bench_scaling.py --case "simulate --sims 1000000" --workers 1 2

Default cases (the issue's targets): ``simulate`` of the default contract at 1,000,000
simulations (under 2 GB), ``capital`` of it at 1,000,000 (its parties: memory bounded
whatever ``--sims`` is), and ``capital tr-national`` (the 21-area national portfolio) at
100,000 simulations (under 2 GB), each with ``--workers 1`` and ``2``. Every run's JSON is
compared across worker counts (the numbers must be identical; ``created_utc`` aside).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from _provenance import describe

CASES = ["simulate --sims 1000000", "capital --sims 1000000", "capital tr-national --sims 100000"]
QUICK = ["simulate --sims 20000", "capital --sims 20000", "capital tr-national --sims 2000"]


def _tree_rss(pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:   # proportional set size: pages shared by parent and workers counted once
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) * 1024 for line in f
                             if line.startswith("Pss:"))
        except (OSError, ValueError, IndexError):
            pass
        stack.extend(children.get(p, []))
    return total


def run(cmd: list[str]) -> tuple[float, float, dict]:
    """Wall seconds, peak summed PSS of the process tree in MiB, and the parsed JSON."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}):\n"
                             f"{err.read().decode()[-3000:]}")
        figures = json.loads(out.read())
    figures.pop("created_utc", None)
    return wall, peak / 2**20, figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", help="pbr arguments (repeatable)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--pbr", default=None, help="the pbr executable (default: on PATH)")
    args = ap.parse_args(argv)
    exe = args.pbr or shutil.which("pbr")
    if exe is None:
        raise SystemExit("pbr not found on PATH; install the package or pass --pbr")
    cases = args.case or (QUICK if args.quick else CASES)
    print(f"Measured: {describe()}; {os.cpu_count()} CPUs; load average before "
          f"{os.getloadavg()[0]:.2f}.\n")
    print("| run | workers | wall s | peak memory MiB (all processes) | same numbers |")
    print("|---|---:|---:|---:|---|")
    for case in cases:
        first = None
        for w in args.workers:
            cmd = [exe, *shlex.split(case), "--workers", str(w), "--json"]
            wall, peak, figures = run(cmd)
            same = "reference" if first is None else ("yes" if figures == first else "NO")
            first = figures if first is None else first
            print(f"| `pbr {case}` | {w} | {wall:.1f} | {peak:.0f} | {same} |", flush=True)
            print(f"  {case} workers={w}: {wall:.1f} s, {peak:.0f} MiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
