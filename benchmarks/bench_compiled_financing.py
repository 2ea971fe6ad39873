"""What a compiled kernel would gain: the financed balance, compiled, against numpy's.

A feasibility measurement for issue 15's unmet floor (``--draws approx`` on the national
portfolio at 100,000 simulations in 15 s), not part of the model. The README and
docs/scaling.md say that only compiled per-area kernels could reach that floor; this
measures one such kernel on the piece of the work around the draws that is a loop by
nature: :func:`pbr_model.finance.cash.financed_balance`, the month-by-month balance with
its financing carried in it (13% of a free-counts national run).

The kernel here is :func:`balance_kernel`, plain Python over scalars, in the order of
:func:`~pbr_model.finance.cash.financed_balance`'s operations, month by month with every
simulation of a month in one inner loop (so a compiler can run several simulations at
once). It covers a provider's usual financing: two sources drawn in order (reserves and
credit, either first), each with a cash rate, a size, any commitment fee and any economic
cost beyond the cash one (the reserves' cost of capital), and new capital beyond them; no
upfront fee. Numba (``pip install numba``, **not** a dependency of pbr-model) compiles it;
without Numba the script says so and exits 2.

The flows are a real run's: ``cash_in - cash_out`` of ``pbr simulate CONTRACT --sims N``,
financed by the contract's own provider. For each N the script times numpy's function and
the compiled kernel (the best of ``--repeats``, after one call that compiles it, whose
time is reported apart), and checks that the kernel gives the same bytes: the balance
month by month, each source's financing cost and the economic cost, the lowest balance
and its month. It exits 1 if any differ.

Usage::

    pip install numba
    python benchmarks/bench_compiled_financing.py
    python benchmarks/bench_compiled_financing.py --contract peterborough-sib --sims 1024 4096
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from _provenance import describe


def balance_kernel(flows, rate0, rate1, rate_beyond, size0, size1, fee0, fee1,
                   econ0, econ1, has_econ0, has_econ1, balance, drawn0, drawn1, beyond,
                   paid0, paid1, paid_beyond, accrued0, accrued1, cost0, cost1, b, low,
                   low_month):
    """The financed balance of ``flows`` ``(n_months, n_sims)`` into the given arrays (all
    zero but ``balance``, ``low``), for two sources and new capital beyond; the same
    operations, in the same order, as ``financed_balance`` carries out on whole rows."""
    months, n = flows.shape
    below1 = size0 + 0.0            # what the first source holds, added as it adds it
    total = below1 + size1
    for t in range(months):
        # economic cost: numpy's branch for the month depends on how many simulations have
        # drawn on each source
        count0 = 0
        count1 = 0
        for i in range(n):
            if drawn0[i] > 0:
                count0 += 1
            if drawn1[i] > 0:
                count1 += 1
        for i in range(n):
            d0 = drawn0[i]
            d1 = drawn1[i]
            db = beyond[i]
            p0 = d0 * rate0
            if fee0 != 0.0:
                p0 += (size0 - d0) * fee0
            p1 = d1 * rate1
            if fee1 != 0.0:
                p1 += (size1 - d1) * fee1
            pb = db * rate_beyond
            charge = p0 + 0.0
            charge += p1
            charge += pb
            paid0[i] += p0
            paid1[i] += p1
            paid_beyond[i] += pb
            if has_econ0:
                if count0 == n:
                    c = (d0 + accrued0[i]) * econ0
                elif count0:
                    c = (d0 + (accrued0[i] if d0 > 0 else 0.0)) * econ0
                else:
                    c = d0 * econ0
                accrued0[i] += c - (d0 * rate0 if fee0 != 0.0 else p0)
                cost0[i] += c
            if has_econ1:
                if count1 == n:
                    c = (d1 + accrued1[i]) * econ1
                elif count1:
                    c = (d1 + (accrued1[i] if d1 > 0 else 0.0)) * econ1
                else:
                    c = d1 * econ1
                accrued1[i] += c - (d1 * rate1 if fee1 != 0.0 else p1)
                cost1[i] += c
            v = b[i] + flows[t, i]
            v = v - charge
            balance[t, i] = v
            b[i] = v
            if t == 0:
                low[i] = v
            else:
                if v < low[i]:
                    low_month[i] = t
                lo = low[i]
                if lo != lo or v != v:      # numpy's minimum keeps a NaN
                    if lo == lo:            # and argmin's month is the first NaN's
                        low_month[i] = t
                    low[i] = lo if lo != lo else v
                else:                       # and of two equal numbers (0 and -0) the second
                    low[i] = lo if lo < v else v
            # numpy's maximum(x, 0.0) keeps x only if it is greater (or NaN): -0.0 gives 0.0;
            # so does financed_balance's clip to [0, size] (its sizes a (sources, 1) array)
            need = -v
            need = need if need > 0.0 or need != need else 0.0
            s = need - 0.0
            s = s if s > 0.0 or s != s else 0.0
            drawn0[i] = s if s <= size0 or s != s else size0
            s = need - below1
            s = s if s > 0.0 or s != s else 0.0
            drawn1[i] = s if s <= size1 or s != s else size1
            s = need - total
            beyond[i] = s if s > 0.0 or s != s else 0.0


def compiled_balance(kernel, net_flow: np.ndarray, financing):
    """:func:`balance_kernel` (``kernel``: it, or it compiled) on ``net_flow`` ``(n_sims,
    n_months)``, the arrays ``financed_balance`` returns: the balance month by month, the
    costs by source name, and the lowest balance and its month."""
    from pbr_model.finance.cash import BEYOND, monthly_rate
    s = financing.sources
    if len(s) != 2 or any(x.upfront_fee for x in s) or any(np.ndim(x.size) for x in s):
        raise ValueError("the kernel covers two sources of one size each and no upfront fee")
    flows = np.ascontiguousarray(net_flow.T)
    months, n = flows.shape
    # drawn0, drawn1, beyond, paid0, paid1, paid_beyond, accrued0, accrued1, cost0, cost1, b
    state = [np.zeros(n) for _ in range(11)]
    balance, low, low_month = np.empty((months, n)), np.empty(n), np.zeros(n, dtype=np.int64)
    has_econ = [x.rate != x.balance_rate for x in s]   # a cost beyond the cash one
    econ = [monthly_rate(x.rate) if e else 0.0 for x, e in zip(s, has_econ)]
    kernel(flows, monthly_rate(s[0].balance_rate), monthly_rate(s[1].balance_rate),
           monthly_rate(financing.beyond_rate), float(s[0].size), float(s[1].size),
           s[0].commitment_fee / 12, s[1].commitment_fee / 12, *econ, *has_econ, balance,
           *state, low, low_month)
    paid, cost = state[3:6], state[8:10]
    costs = {s[0].name: paid[0], s[1].name: paid[1], BEYOND: paid[2]}
    costs.update({x.name: c for x, c, e in zip(s, cost, has_econ) if e})
    return balance, costs, low, low_month


def same_bytes(reference, mine) -> list[str]:
    """What differs between numpy's :class:`FinancedCash` and :func:`compiled_balance`'s."""
    balance, costs, low, low_month = mine
    bad = [] if reference.by_month.tobytes() == balance.tobytes() else ["balance"]
    bad += [f"cost of {k}" for k, v in reference.costs.items()
            if k not in costs or v.tobytes() != costs[k].tobytes()]
    if reference.low.tobytes() != low.tobytes():
        bad.append("lowest balance")
    if not np.array_equal(reference.low_month, low_month):
        bad.append("its month")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contract", default="tr-crc-example", help="bundled contract or path")
    ap.add_argument("--sims", type=int, nargs="+", default=[4096, 16384])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    if args.repeats < 1 or min(args.sims) < 1:
        ap.error("--repeats and --sims must be at least 1")
    try:
        import numba
    except ImportError:
        print("bench_compiled_financing.py needs Numba, which pbr-model does not depend on: "
              "pip install numba", file=sys.stderr)
        return 2
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
    kernel = numba.njit(balance_kernel)
    compiled_balance(kernel, np.zeros((1, 2)), financing)
    compile_s = time.perf_counter() - t0
    print(f"Measured: {describe()}; numba {numba.__version__}")
    print(f"\n`{args.contract}`, its provider's financing "
          f"({', '.join(s.name for s in financing.sources)}, then new capital); "
          f"compiling the kernel took {compile_s:.2f} s (once per process)\n")
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
            mine = compiled_balance(kernel, net, financing)
            best_nb = min(best_nb, time.perf_counter() - t)
        bad = same_bytes(reference, mine)
        failed |= bool(bad)
        print(f"| {n:,} | {net.shape[1]} | {1e3 * best_np:.2f} ms | {1e3 * best_nb:.2f} ms | "
              f"{best_np / best_nb:.1f}x | {'yes' if not bad else 'NO: ' + ', '.join(bad)} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
