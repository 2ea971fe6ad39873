"""End-to-end benchmark of the output files: Excel workbooks (``--xlsx``, with and without
the one-row-per-simulation sheet), ``--csv`` and ``--parquet`` tables and ``pbr template``,
as installed. Each command runs as a subprocess ``--repeats`` times, writing into a fresh
temporary folder (``--force``); wall time (median) and the child's peak resident memory
(``os.wait4``, exact per run) are measured as in ``bench_cli.py``, and the size of what was
written is reported.

The requirement checked (a floor, from issue 5): ``pbr simulate --sims 100000 --xlsx FILE``
on the default contract under 2 GB peak memory.

Usage::

    python benchmarks/bench_outputs.py                 # 3 repeats
    python benchmarks/bench_outputs.py --repeats 1 --quick   # skip the 100k-row sheet
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

from _provenance import describe
from bench_cli import bench

RSS_LIMIT_MB = 2048.0

# (label, arguments after `pbr`, with {out} for the output folder)
COMMANDS = [
    ("simulate --sims 10000 --xlsx", ["simulate", "--sims", "10000", "--xlsx", "{out}/r.xlsx"]),
    ("simulate --sims 100000 --xlsx", ["simulate", "--sims", "100000", "--xlsx", "{out}/r.xlsx"]),
    ("simulate --sims 100000 --xlsx --xlsx-sims",
     ["simulate", "--sims", "100000", "--xlsx", "{out}/r.xlsx", "--xlsx-sims"]),
    ("simulate --sims 100000 --csv", ["simulate", "--sims", "100000", "--csv", "{out}/t"]),
    ("simulate --sims 100000 --parquet", ["simulate", "--sims", "100000", "--parquet", "{out}/t"]),
    ("capital -p small-charity -p national-prime --sims 10000 --xlsx",
     ["capital", "-p", "small-charity", "-p", "national-prime", "--sims", "10000", "--xlsx",
      "{out}/c.xlsx"]),
    ("power --xlsx", ["power", "--xlsx", "{out}/p.xlsx"]),
    ("template", ["template", "{out}/t.xlsx"]),
]


def size(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per command (default 3)")
    ap.add_argument("--pbr", default=None, help="the pbr executable (default: pbr on PATH)")
    ap.add_argument("--quick", action="store_true", help="skip the 100,000-row sheet")
    args = ap.parse_args(argv)
    pbr = args.pbr or shutil.which("pbr")
    if pbr is None:
        raise SystemExit("pbr is not on PATH: pip install . first")
    print(describe(), file=sys.stderr)
    print("| command | median wall | peak memory | written |\n|---|---:|---:|---:|")
    failed = False
    for label, cmd in COMMANDS:
        if args.quick and "--xlsx-sims" in cmd:
            continue
        if "--parquet" in cmd and importlib.util.find_spec("pyarrow") is None:
            print(f"| `pbr {label}` | skipped: no pyarrow | | |")
            continue
        with tempfile.TemporaryDirectory() as out:
            r = bench([pbr, *(c.format(out=out) for c in cmd), "--force"], args.repeats)
            written = size(Path(out))
        print(f"| `pbr {label}` | {r['median']:.2f} s | {r['rss']:.0f} MB | {written:.1f} MB |",
              flush=True)
        if label == "simulate --sims 100000 --xlsx" and r["rss"] >= RSS_LIMIT_MB:
            failed = True
    print("requirement (100k + xlsx under 2 GB):", "FAIL" if failed else "PASS", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
