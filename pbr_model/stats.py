"""Summary statistics across simulations, and sums whose rounding never depends on
how the rows were chunked.

Reproducibility rule: a figure of simulation ``i`` must not depend on which other
simulations were in its chunk, nor on the BLAS library or its threads. A matrix
product (``@``, ``np.dot``) hands its sums to BLAS, whose kernels add in an order
that changes with the block shape and the thread count, so the last bits of a row's
result can move when the chunk size does. Every sum over months (or any other axis
within a row) therefore goes through :func:`row_sum` or :func:`row_dot`: numpy's own
reduction along a contiguous last axis, which adds each row in one fixed order fixed
by the row's length alone.
"""

from __future__ import annotations

import math

import numpy as np

#: The percentiles every distribution is summarised by, as ``{label: percent}``.
PERCENTILES = {"p5": 5, "p50": 50, "p95": 95}


def stats(values) -> dict[str, float]:
    """Mean and percentiles (linear interpolation) of per-simulation values, NaN ignored.

    Parameters
    ----------
    values : ``(n_sims,)`` in any unit

    Returns
    -------
    ``{"mean", "p5", "p50", "p95"}`` in the unit of ``values``; all NaN when no value is
    a number
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"mean": float("nan"), **{k: float("nan") for k in PERCENTILES}}
    q = percentiles(v, list(PERCENTILES.values()))
    return {"mean": float(v.mean()), **{k: float(x) for k, x in zip(PERCENTILES, q)}}


def percentiles(values: np.ndarray, qs) -> list[float]:
    """Percentiles ``qs`` (0-100) of the numbers ``values`` (1-D, none NaN), as
    ``np.percentile(values, qs)`` gives them (its default, linear interpolation between the
    order statistics around rank ``q (n - 1)``), number for number
    (``tests/test_fast_paths.py``).

    numpy finds its order statistics with ``np.unique``, whose first call imports
    ``numpy.ma`` (a twentieth of a second, more than the percentiles of a run); the same
    order statistics come from one ``np.partition``, and the interpolation below is numpy's:
    ``a + (b - a) g`` below ``g = 1/2``, ``b - (b - a)(1 - g)`` from it."""
    if any(not 0 <= q <= 100 for q in qs):
        raise ValueError(f"percentiles must be from 0 to 100 (got {list(qs)})")
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    last = n - 1
    at = []
    for q in qs:
        rank = last * (q / 100)
        low = math.floor(rank)
        at.append((rank, low, last if rank >= last else low, last if rank >= last else low + 1))
    # the order statistics numpy selects (the least and greatest too), in the same partition
    ordered = np.partition(v, sorted({0, last, *(i for *_, a, b in at for i in (a, b))}))
    out = []
    for rank, low, i, j in at:
        a, b = ordered[i], ordered[j]
        gamma = rank - (-1 if i == last and rank >= last else low)
        diff = b - a
        out.append(float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma))
    return out


def percentile_rows(values: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    """``{"p5", "p50", "p95"}`` of ``values`` along ``axis`` (linear interpolation)."""
    q = np.percentile(values, list(PERCENTILES.values()), axis=axis)
    return dict(zip(PERCENTILES, q))


def running_mean(values: np.ndarray) -> float:
    """The mean of ``values`` (1-D) added one after another from 0, then divided by their
    number: what ``a.mean(axis=0)`` gives for each column of a C-ordered ``(n, k)`` array
    with ``k >= 2`` (numpy adds down the rows one row at a time), where numpy's own mean of
    a 1-D array adds pairwise. ``tests/analyses/test_spool.py`` checks the two agree bit for bit."""
    v = np.asarray(values, dtype=np.float64)
    return float((np.cumsum(v)[-1] + 0.0) / len(v))   # + 0.0: a sum from 0 is never -0.0


def row_sum(a: np.ndarray) -> np.ndarray:
    """Sum along the last axis, each row added in the same order whatever the other rows.

    Parameters
    ----------
    a : ``(..., n)``

    Returns
    -------
    ``a.shape[:-1]``
    """
    return np.ascontiguousarray(a, dtype=np.float64).sum(axis=-1)


def band_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the last axis when it is short (risk bands), the same numbers as
    ``a.sum(axis=-1)`` at a seventh of its cost.

    numpy adds a row of fewer than 8 numbers one after another, starting from 0 (so a row of
    ``-0.0`` sums to ``0.0``), but its reduction machinery costs far more per row than the
    additions; here the same additions run column by column over every row at once. Rows of
    8 or more (which numpy adds pairwise) and other dtypes than float64 and int64 go to
    numpy. ``tests/test_fast_paths.py`` checks the two agree bit for bit (on numpy 2.4 and
    1.26; the one difference found by a wider search is the sign bit of a NaN made from
    ``inf`` and ``-inf`` in one row of a reversed or strided array, which counts of people
    never are). ``a`` is ``(..., n)``; the result ``a.shape[:-1]``.
    """
    a = np.asarray(a)
    n = a.shape[-1] if a.ndim else 0
    if not 1 <= n < 8 or a.dtype not in (np.float64, np.int64):
        return a.sum(axis=-1)
    out = a[..., 0] + a.dtype.type(0)    # a new array; 0.0 + -0.0 is 0.0, as numpy starts
    for j in range(1, n):
        out += a[..., j]
    return out


def row_dot(a: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row of ``a`` times ``weights``, summed as :func:`row_sum` sums (no BLAS).

    Parameters
    ----------
    a : ``(..., n)``
    weights : ``(n,)``

    Returns
    -------
    ``a.shape[:-1]``
    """
    return row_sum(np.asarray(a, dtype=np.float64) * np.asarray(weights, dtype=np.float64))


def leading_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the first axis, adding one slice after another in order.

    numpy adds over a leading axis one slice at a time while other axes remain, but
    pairwise once the others have length 1 (a chunk of one simulation), so the same
    sum would round differently by chunk; this always adds in order.

    Parameters
    ----------
    a : ``(n, ...)``

    Returns
    -------
    ``a.shape[1:]``
    """
    out = np.zeros(a.shape[1:], dtype=np.float64)
    for part in a:
        out += part
    return out
