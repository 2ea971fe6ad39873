"""End-to-end benchmark of the finance commands: ``pbr capital`` (a spec's supply chain,
three provider profiles, a SIB, a portfolio) and ``pbr breakeven``, as installed.

Each command runs as a subprocess ``--repeats`` times; wall time (median) and the child's
peak resident memory (``os.wait4``, exact per run) are measured as in ``bench_cli.py``.

Usage::

    python benchmarks/bench_finance.py                 # 3 repeats
    python benchmarks/bench_finance.py --repeats 5
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _provenance import describe
from bench_cli import bench

COMMANDS = [
    ["capital", "--sims", "10000", "--json"],
    ["capital", "-p", "national-prime", "-p", "small-charity", "-p", "social-investor-backed",
     "--sims", "10000", "--json"],
    ["capital", "ma-roca-pfs", "--sims", "10000", "--json"],
    # in one process, as its figures were first recorded (a portfolio's default since 0.21.0
    # is worker processes, which a one-owner portfolio at 10,000 gains nothing from)
    ["capital", "working-links-like", "--sims", "10000", "--json", "--threads", "1"],
    ["capital", "--sims", "100000", "--json"],
    ["breakeven", "--solve", "effect", "--json"],
    ["breakeven", "--solve", "price", "-p", "small-charity", "--json"],
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per command (default 3)")
    ap.add_argument("--pbr", default=None, help="the pbr executable (default: pbr on PATH)")
    args = ap.parse_args(argv)
    pbr = args.pbr or shutil.which("pbr")
    if pbr is None:
        raise SystemExit("pbr is not on PATH: pip install . first")
    print(describe(), file=sys.stderr)
    print("| command | median wall | peak memory |\n|---|---:|---:|")
    for cmd in COMMANDS:
        r = bench([pbr, *cmd], args.repeats)
        print(f"| `pbr {' '.join(c for c in cmd if c != '--json')}` | {r['median']:.2f} s | "
              f"{r['rss']:.0f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
