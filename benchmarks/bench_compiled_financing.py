"""What a compiled kernel gains: the financed balance, compiled, against numpy's.

A measurement for issue 15's unmet floor (``--draws approx`` on the national portfolio at
100,000 simulations in 15 s), not part of the model. The piece of the work around the
draws that is a loop by nature is :func:`pbr_model.finance.cash.financed_balance`, the
month-by-month balance with its financing carried in it. ``financing_kernel.py`` holds the
same loop over scalars (:func:`financing_kernel.balance_kernel`: any financing the model
makes, the same bytes); Numba (``pip install numba``, **not** a dependency of pbr-model)
compiles it. Without Numba the script says so and exits 2.

Two measurements:

* **the balance alone** (default): the flows are a real run's, ``cash_in - cash_out`` of
  ``pbr simulate CONTRACT --sims N``, financed by the contract's own provider. For each N
  the script times numpy's function and the compiled kernel (the best of ``--repeats``,
  after one call that compiles it, whose time is reported apart) and checks that the
  kernel gives the same bytes: the balance month by month, each source's cost, the lowest
  balance and its month. It exits 1 if any differ.
* **end to end** (``--cli "ARGS"``, repeatable): ``pbr ARGS`` run as it is and with the
  compiled kernel put in ``financed_balance``'s place (:func:`financing_kernel.patch`),
  alternately, ``--repeats`` times each in a fresh process: the median wall time, the CPU
  time of the process and its workers, the largest resident size of any one of them, and
  whether every run printed the same output (give ``--json``: the figures to the last
  digit; it exits 1 if not). Numba's import and its compiler (about 0.2 s and 100 MB in
  each process) count here.

Usage::

    pip install numba
    python benchmarks/bench_compiled_financing.py
    python benchmarks/bench_compiled_financing.py --contract peterborough-sib --sims 1024 4096
    python benchmarks/bench_compiled_financing.py --repeats 3 \\
        --cli "capital tr-national --sims 100000 --draws approx --workers 2 --json"
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import financing_kernel
from _provenance import describe

HERE = Path(__file__).resolve().parent

# one run of ``pbr ARGS`` in this process (compiled: with the kernel in place), then its
# CPU time and largest resident size, its workers' included, written to the file named
RUNNER = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
out, compiled, args = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
if compiled:
    import numba, financing_kernel
    financing_kernel.patch(financing_kernel.compile_kernel(numba))
from pbr_model.cli import main
sys.argv = ["pbr", *args]
try:
    main()
except SystemExit as e:
    code = e.code or 0
else:
    code = 0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({{"code": code, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
            "rss_mib": max(me.ru_maxrss, kids.ru_maxrss) / 1024}}, open(out, "w"))
"""


def kernel_balance(fn, net_flow: np.ndarray, financing):
    """``fn`` (the kernel, compiled or not) on ``net_flow`` ``(n_sims, n_months)``: a
    :class:`~pbr_model.finance.cash.FinancedCash`, as ``financed_balance`` returns."""
    return financing_kernel.financed(fn)(net_flow, financing)


def same_bytes(reference, mine) -> list[str]:
    """What differs between two :class:`~pbr_model.finance.cash.FinancedCash`."""
    bad = [] if reference.by_month.tobytes() == mine.by_month.tobytes() else ["balance"]
    bad += [f"cost of {k}" for k, v in reference.costs.items()
            if k not in mine.costs or v.tobytes() != mine.costs[k].tobytes()]
    if list(reference.costs) != list(mine.costs):
        bad.append("the costs' names")
    for name in ("lender", "outstanding"):
        a, b = getattr(reference, name), getattr(mine, name)
        if (a is None) != (b is None) or (a is not None and a.tobytes() != b.tobytes()):
            bad.append(name)
    if reference.by_month.shape[0]:
        if reference.low.tobytes() != mine.low.tobytes():
            bad.append("lowest balance")
        if not np.array_equal(reference.low_month, mine.low_month):
            bad.append("its month")
    return bad


def end_to_end(commands: list[str], repeats: int) -> bool:
    """Each ``pbr`` command as it is and compiled, alternately, ``repeats`` times each;
    whether any printed output differed between the runs (use ``--json``: the figures to
    the last digit)."""
    print("| command | financing | wall (median) | CPU (median) | largest process | "
          "same output |")
    print("|---|---|---:|---:|---:|---|")
    failed = False
    for command in commands:
        args = shlex.split(command)
        runs: dict[str, list[dict]] = {"numpy": [], "compiled": []}
        outputs: set[str] = set()   # every run's printed output: one, if the bytes agree
        for _ in range(repeats):
            for label, flag in (("numpy", "0"), ("compiled", "1")):
                with tempfile.NamedTemporaryFile(suffix=".json") as out:
                    t = time.perf_counter()
                    done = subprocess.run(
                        [sys.executable, "-c", RUNNER.format(here=str(HERE)), out.name, flag,
                         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    wall = time.perf_counter() - t
                    figures = json.loads(Path(out.name).read_text() or "{}")
                if done.returncode or figures.get("code"):
                    raise SystemExit(f"pbr {command} failed ({label}):\n{done.stderr[-2000:]}")
                runs[label].append({"wall": wall, **figures})
                outputs.add(done.stdout)
        same = len(outputs) == 1
        failed |= not same
        for label, rs in runs.items():
            print(f"| `pbr {command}` | {label} | "
                  f"{statistics.median(r['wall'] for r in rs):.2f} s | "
                  f"{statistics.median(r['cpu'] for r in rs):.2f} s | "
                  f"{max(r['rss_mib'] for r in rs):,.0f} MiB | {'yes' if same else 'NO'} |")
    return failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contract", default="tr-crc-example", help="bundled contract or path")
    ap.add_argument("--sims", type=int, nargs="+", default=[4096, 16384])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--cli", action="append", default=[], metavar="ARGS",
                    help="time `pbr ARGS` end to end, as it is and compiled (repeatable)")
    args = ap.parse_args(argv)
    if args.repeats < 1 or min(args.sims) < 1:
        ap.error("--repeats and --sims must be at least 1")
    try:
        import numba
    except ImportError:
        print("bench_compiled_financing.py needs Numba, which pbr-model does not depend on: "
              "pip install numba", file=sys.stderr)
        return 2
    print(f"Measured: {describe()}; numba {numba.__version__}")
    if args.cli:
        return 1 if end_to_end(args.cli, args.repeats) else 0
    from pbr_model.analyses.simulate import simulate
    from pbr_model.errors import PbrError
    from pbr_model.finance.cash import financed_balance, financing_of
    from pbr_model.spec import load_spec

    try:
        spec = load_spec(args.contract)
    except PbrError as e:   # a portfolio, too: the kernel carries one provider's financing
        print(f"Error: {e}\n(bench_compiled_financing.py takes one contract, not a "
              "portfolio)", file=sys.stderr)
        return 2
    financing = financing_of(spec.spec.provider)
    t0 = time.perf_counter()
    kernel = financing_kernel.compile_kernel(numba)
    kernel_balance(kernel, np.zeros((1, 2)), financing)
    compile_s = time.perf_counter() - t0
    print(f"\n`{args.contract}`, its provider's financing "
          f"({', '.join(s.name for s in financing.sources)}, then new capital); "
          f"compiling the kernel (or loading it from Numba's cache) took {compile_s:.2f} s "
          "(once per process)\n")
    print("| simulations | months | numpy | compiled | speed-up | same bytes |")
    print("|---:|---:|---:|---:|---:|---|")
    failed = False
    for n in args.sims:
        result = simulate(spec, n, detail=True)
        net = np.asarray(result.cash_in - result.cash_out, dtype=np.float64)
        mine = reference = None
        best_np = best_nb = float("inf")
        for _ in range(args.repeats):
            t = time.perf_counter()
            reference = financed_balance(net, financing)
            best_np = min(best_np, time.perf_counter() - t)
            t = time.perf_counter()
            mine = kernel_balance(kernel, net, financing)
            best_nb = min(best_nb, time.perf_counter() - t)
        bad = same_bytes(reference, mine)
        failed |= bool(bad)
        print(f"| {n:,} | {net.shape[1]} | {1e3 * best_np:.2f} ms | {1e3 * best_nb:.2f} ms | "
              f"{best_np / best_nb:.1f}x | {'yes' if not bad else 'NO: ' + ', '.join(bad)} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
