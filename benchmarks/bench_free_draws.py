"""What a run costs beyond its count draws: the time no approximation of the draws removes.

Runs one ``pbr`` command (by default the national portfolio, ``capital tr-national --sims
100000 --workers 2``, the run of issue 15's 15 s floor for ``--draws approx``) three ways,
each a subprocess of this Python:

- **exact**: as it is;
- **approx**: with ``--draws approx``;
- **free counts**: every count draw (binomial, multinomial, Poisson, negative-binomial and
  gamma sums) replaced by its expected value, rounded to a whole number (a multinomial
  row's last category takes what is left, so a row keeps its total), at almost no cost;
  the normals (effects, trend, volume factors) are drawn as usual. Everything else runs as
  in the other two: every area is measured, paid, costed and financed, every owner's
  balance carried and its facility sized. Its numbers are not a model's (there is no
  count noise), so its JSON is thrown away: it is a timing device.

and prints a markdown table of wall and CPU seconds (the process and the workers it
waited for). The free-counts run is the least any way of drawing the counts could take,
fewer numbers or faster ones: what is left is the engine's work around the draws.

Usage::

    python benchmarks/bench_free_draws.py                         # the national portfolio
    python benchmarks/bench_free_draws.py --args "capital tr-national --sims 20000"
    python benchmarks/bench_free_draws.py --args "simulate --sims 100000"
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

from _provenance import compile_bytecode, describe

DEFAULT = "capital tr-national --sims 100000 --workers 2"


@functools.cache
def free_counts_sampler():
    """A ``pbr_model.sampling.Sampler`` class whose count draws (binomial, multinomial,
    Poisson, negative-binomial and gamma sums) each give their expected value rounded to a
    whole number (a multinomial row's last category what is left), its normals as before."""
    from pbr_model.sampling import Sampler

    class FreeCounts(Sampler):
        def poisson(self, lam):
            return np.rint(np.asarray(lam, dtype=np.float64))

        def binomial(self, n, p):
            n, p = np.broadcast_arrays(np.asarray(n, dtype=np.float64),
                                       np.asarray(p, dtype=np.float64))
            return np.rint(n * p)

        def multinomial(self, n, pvals):
            n = np.asarray(n, dtype=np.float64)
            out = np.floor(n[..., None] * np.asarray(pvals, dtype=np.float64))
            out[..., -1] = n - out[..., :-1].sum(axis=-1)
            return out

        def negative_binomial_sum(self, count, k, mu):
            count, k, mu = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64)
                                                 for a in (count, k, mu)))
            return np.rint(count * mu)

        def gamma_sum(self, count, mean, sd):
            return np.asarray(count, dtype=np.float64) * mean

    return FreeCounts


def free_sampler_for(draws: str, rng: np.random.Generator):
    """In place of ``pbr_model.engine.sampler_for``: every block's sampler draws its
    counts for free, whatever ``draws`` asks."""
    return free_counts_sampler()(rng)


def child(mode: str, args: list[str]) -> None:
    """Run ``pbr ARGS`` in this process, its counts free when ``mode`` is ``free``."""
    if mode == "free":
        import pbr_model.engine as engine
        engine.sampler_for = free_sampler_for   # before any worker is forked
    sys.argv = ["pbr", *args]
    from pbr_model.cli import main
    main()


def run(mode: str, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, with the workers it waited for) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", mode, *args],
                              stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{mode} run of pbr {shlex.join(args)} failed "
                             f"({proc.returncode}):\n{err.read().decode()[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1], argv[2:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--args", default=DEFAULT, help=f"pbr arguments (default: {DEFAULT})")
    ap.add_argument("--floor", type=float, default=None,
                    help="a wall-time floor to compare with, seconds (0: none; default: 15 "
                         "for the default run, the issue's floor, none for another)")
    args = ap.parse_args(argv)
    if args.floor is None:
        args.floor = 15.0 if args.args == DEFAULT else 0.0
    base = [*shlex.split(args.args), "--json"]
    print(f"Measured: {describe()}; {compile_bytecode()}; {os.cpu_count()} CPUs; load "
          f"average before {os.getloadavg()[0]:.2f}.\n")
    print(f"`pbr {args.args}`\n")
    print("| counts drawn | wall s | CPU s |")
    print("|---|---:|---:|")
    rows = {}
    for mode, extra, label in (("exact", [], "exactly (the default)"),
                               ("approx", ["--draws", "approx"], "`--draws approx`"),
                               ("free", [], "free (their expected values)")):
        wall, cpu = rows[mode] = run(mode, [*base, *extra])
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |", flush=True)
        print(f"  {mode}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr)
    free, approx = rows["free"][0], rows["approx"][0]
    print(f"\nWith its counts free, the run takes {free / approx:.0%} of the approximate "
          f"run's wall time: the rest of the engine's work.", end="")
    if not args.floor:
        print()
    elif free > args.floor:
        print(f" Against a floor of {args.floor:g} s, the free-counts run alone takes "
              f"{free / args.floor:.1f}x it: no way of drawing the counts meets it, the "
              f"work around them would have to shrink too.")
    else:
        print(f" Against a floor of {args.floor:g} s, the free-counts run is within it: "
              f"faster or fewer draws could meet it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
