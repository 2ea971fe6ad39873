"""The financed balance as a loop over scalars, for Numba to compile: a measurement for
issue 15, not part of the model (pbr-model does not depend on Numba).

:func:`balance_kernel` runs each of :func:`pbr_model.finance.cash.financed_balance`'s
whole-array operations of a month as a loop over simulations, in its order, so every number
is the same double: IEEE arithmetic is exact per operation, nothing is fused or reordered (no
fast-math), and where numpy's ``maximum``, ``minimum`` and ``clip`` pick between two equal
numbers (0 and -0) or a NaN, the kernel picks as they do. It covers every financing the model
makes: any number of sources, commitment and upfront fees, reserves whose cost of capital is
above their cash rate, sizes per simulation (a facility search) and a tracked lender.
``tests/test_benchmarks.py`` checks its bytes against numpy's, uncompiled, on random
financings; ``bench_compiled_financing.py`` checks them compiled, on a real run, and measures
what compiling it gains, alone and end to end (:func:`patch` puts the compiled kernel in the
package's place for one process).
"""

from __future__ import annotations

import numpy as np


def balance_kernel(flows, rates, size_col, below_col, fee, has_fee, upfront, has_upfront,
                   econ, has_econ, with_fees, tracked, below_total,
                   balance, drawn, paid_sum, accrued, cost_sum, lender, low, low_month):
    """The financed balance of ``flows`` ``(months, n)`` into the arrays given (``drawn``,
    ``paid_sum``, ``accrued``, ``cost_sum``, ``low_month`` zero; see :func:`run`): each of
    ``financed_balance``'s whole-array operations of a month as a loop over simulations, in
    its order, so each element is computed as numpy computes it.

    ``rates`` ``(k + 1,)``: each source's monthly cash rate, then new capital's;
    ``size_col``, ``below_col`` ``(k, n)``: each source's size and what the sources before
    it hold; ``fee`` and ``has_fee`` ``(k,)``: the monthly commitment fee; ``upfront``
    ``(k, n)`` and ``has_upfront``: the fee paid in month 0;
    ``econ`` and ``has_econ``: the monthly economic rate beyond the cash one; ``with_fees``:
    a source whose payments are not its interest alone; ``tracked``: the source whose
    lender's flows go to ``lender`` (-1: none); ``below_total`` ``(n,)``: what all the
    sources hold."""
    months, n = flows.shape
    k_src = size_col.shape[0]
    paid = np.empty((k_src + 1, n))
    charge = np.empty(n)
    b = np.zeros(n)
    for t in range(months):
        for k in range(k_src + 1):            # interest on what was drawn
            r = rates[k]
            for i in range(n):
                paid[k, i] = drawn[k, i] * r
        for k in range(k_src):                # commitment fees on what was not
            if has_fee[k]:
                f = fee[k]
                for i in range(n):
                    paid[k, i] += (size_col[k, i] - drawn[k, i]) * f
        if t == 0:
            for k in range(k_src):
                if has_upfront[k]:
                    for i in range(n):
                        paid[k, i] += upfront[k, i]
        for i in range(n):
            charge[i] = paid[0, i] + 0.0
        for k in range(1, k_src + 1):
            for i in range(n):
                charge[i] += paid[k, i]
        for k in range(k_src + 1):
            for i in range(n):
                paid_sum[k, i] += paid[k, i]
        for k in range(k_src):                # the economic cost beyond the cash one
            if not has_econ[k]:
                continue
            e = econ[k]
            count = 0
            for i in range(n):
                if drawn[k, i] > 0:
                    count += 1
            for i in range(n):
                d = drawn[k, i]
                if count == n:
                    cost = (d + accrued[k, i]) * e
                elif count > 0:
                    cost = (d + (accrued[k, i] if d > 0 else 0.0)) * e
                else:
                    cost = d * e
                part = d * rates[k] if with_fees[k] else paid[k, i]
                accrued[k, i] += cost - part
                cost_sum[k, i] += cost
        if tracked >= 0:
            for i in range(n):
                lender[t, i] = paid[tracked, i] + drawn[tracked, i]
        for i in range(n):
            v = b[i] + flows[t, i]
            v = v - charge[i]
            balance[t, i] = v
            b[i] = v
            if t == 0:
                low[i] = v
            else:
                lo = low[i]
                if v < lo:
                    low_month[i] = t
                # numpy's minimum: a NaN wins; of two equal numbers (0 and -0), the second
                if lo != lo:
                    low[i] = lo
                elif v != v:
                    low[i] = v
                else:
                    low[i] = lo if lo < v else v
            # numpy's maximum(x, 0.0): x if x > 0 or x is NaN, else 0.0 (so -0.0 gives 0.0)
            need = -v
            need = need if need > 0.0 or need != need else 0.0
            charge[i] = need                  # the month's charge is spent: need, kept
        for k in range(k_src):                # clip(need - below, 0, size)
            for i in range(n):
                s = charge[i] - below_col[k, i]
                s = s if s > 0.0 or s != s else 0.0
                z = size_col[k, i]
                drawn[k, i] = s if s < z or s != s else z
        for i in range(n):
            s = charge[i] - below_total[i]
            drawn[k_src, i] = s if s > 0.0 or s != s else 0.0
        if tracked >= 0:
            for i in range(n):
                lender[t, i] -= drawn[tracked, i]


def compile_kernel(numba):
    """:func:`balance_kernel` compiled by ``numba`` (the module), cached on disk."""
    try:
        return numba.njit(cache=True, nogil=True)(balance_kernel)
    except RuntimeError:   # no folder to cache in: compile in each process
        return numba.njit(nogil=True)(balance_kernel)


def financed(fn):
    """A stand-in for ``financed_balance`` that runs ``fn`` (the kernel, compiled or not)."""
    from pbr_model.finance.cash import BEYOND, FinancedCash

    def financed_balance(net_flow, financing, track=None):
        return FinancedCash(*run(fn, net_flow, financing, track, BEYOND))
    return financed_balance


def patch(fn) -> None:
    """Put :func:`financed` ``(fn)`` in ``financed_balance``'s place wherever the package
    calls it (``finance.cash`` and ``finance.capital``), for this process."""
    from pbr_model.finance import capital, cash
    cash.financed_balance = capital.financed_balance = financed(fn)


def run(fn, net_flow: np.ndarray, financing, track: str | None, beyond: str):
    """``financed_balance``'s arrays from ``fn`` (the kernel, compiled or not): the balance
    ``(months, n)``, the costs by name, the tracked lender's flows ``(n, months)`` or None,
    what it has drawn at the end or None, and the lowest balance and its month."""
    from pbr_model.finance.cash import monthly_rate
    n, months = net_flow.shape
    sources = financing.sources
    k_src = len(sources)
    names = [s.name for s in sources] + [beyond]
    tracked = names.index(track) if track is not None else -1
    size_col, below_col = np.empty((k_src, n)), np.empty((k_src, n))
    upfront = np.zeros((k_src, n))
    below = 0.0
    for k, s in enumerate(sources):
        size_col[k] = s.size
        below_col[k] = below
        below = below + s.size   # in the order drawn, as financed_balance adds them
        if s.upfront_fee:
            upfront[k] = s.size * s.upfront_fee
    rates = np.array([monthly_rate(s.balance_rate) for s in sources]
                     + [monthly_rate(financing.beyond_rate)])
    has_econ = np.array([s.rate != s.balance_rate for s in sources], dtype=bool)
    econ = np.array([monthly_rate(s.rate) if e else 0.0 for s, e in zip(sources, has_econ)],
                    dtype=np.float64)
    fee = np.array([s.commitment_fee / 12 for s in sources], dtype=np.float64)
    has_fee = np.array([bool(s.commitment_fee) for s in sources], dtype=bool)
    has_upfront = np.array([bool(s.upfront_fee) for s in sources], dtype=bool)
    with_fees = has_fee | has_upfront
    flows = np.ascontiguousarray(net_flow.T, dtype=np.float64)
    balance = np.empty((months, n))
    drawn, paid_sum = np.zeros((k_src + 1, n)), np.zeros((k_src + 1, n))
    accrued, cost_sum = np.zeros((k_src, n)), np.zeros((k_src, n))
    lender = np.zeros((months, n)) if track is not None else np.zeros((1, 1))
    low, low_month = np.empty(n), np.zeros(n, dtype=np.int64)
    below_total = np.broadcast_to(np.asarray(below, dtype=np.float64), (n,)).copy()
    fn(flows, rates, size_col, below_col, fee, has_fee, upfront, has_upfront, econ, has_econ,
       with_fees, tracked, below_total, balance, drawn, paid_sum, accrued, cost_sum, lender,
       low, low_month)
    costs = {name: paid_sum[k] for k, name in enumerate(names)}
    costs.update({names[k]: cost_sum[k] for k in range(k_src) if has_econ[k]})
    return (balance, costs,
            None if track is None else np.ascontiguousarray(lender.T),
            drawn[tracked].copy() if track is not None else None,
            (low, low_month) if months else None)
