"""Internal rate of return, many cash-flow rows at once.

``numpy_financial.irr`` solves one row at a time through polynomial roots; a
simulation needs tens of thousands of rows, so :func:`irr` brackets the root
and polishes it with safeguarded Newton steps, vectorised over rows. Where a
row has one sign change (outflows, then inflows) the rate is unique and the two
agree.

Sign convention (as numpy-financial): money into the party is positive. Flows
are monthly, month 0 first, and month ``t`` is discounted by ``t`` months.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..stats import row_dot, row_sum

#: Search bracket for the monthly rate [fraction per month]: from losing 99.99% a
#: month to gaining 1,000% a month.
RATE_BRACKET = (-0.9999, 10.0)
#: Convergence tolerance on ``log(1 + rate)``: the monthly rate is found to about
#: ``1e-12 * (1 + rate)``.
TOLERANCE = 1e-12
#: Most solver steps; bisection alone would need about 45 to reach TOLERANCE.
MAX_ITERATIONS = 100
#: Monthly rates where the net present value is first evaluated, to find the sign
#: changes (hence the roots) nearest 0; denser near 0, where rates are.
_GRID = np.array([RATE_BRACKET[0], -0.99, -0.95, -0.9, -0.8, -0.6, -0.4, -0.25, -0.15, -0.1,
                  -0.06, -0.04, -0.025, -0.015, -0.01, -0.006, -0.003, -0.001, 0.0, 0.001,
                  0.003, 0.006, 0.01, 0.015, 0.025, 0.04, 0.06, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0,
                  2.0, 4.0, RATE_BRACKET[1]])


def irr(flows: np.ndarray) -> np.ndarray:
    """Internal rate of return of each row of monthly cash flows.

    Parameters
    ----------
    flows : ``(..., n_months)`` [currency], money into the party positive, month 0 first

    Returns
    -------
    rate : ``flows.shape[:-1]`` [fraction per month]: the rate at which the net
        present value of the row is 0 (see :func:`annualise` for a yearly rate)

    Raises
    ------
    InputError
        ``flows`` has no months, or holds NaN or infinity.

    Notes
    -----
    Failure policy, row by row:

    - all flows zero, or no negative flow: NaN (nothing was put in, so there is no rate);
    - no positive flow (but some negative): -1.0, everything was lost (-100%);
    - the net present value has the same sign at every rate of a grid spanning
      :data:`RATE_BRACKET` (from -0.9999 to 10 a month, dense near 0): NaN. This is
      the case when the rate lies outside the bracket (e.g. losing more than 99.99% a
      month) or, for flows with several sign changes, when two rates fall between
      neighbouring grid rates.

    Otherwise the grid interval nearest rate 0 on each side where the net present
    value changes sign brackets a root, found to :data:`TOLERANCE` by Newton steps
    that fall back to bisection when they would leave the bracket or stall; of the
    (at most two) roots, the one closer to 0 is returned. Flows with one sign change
    (outflows, then inflows) have exactly one rate above -1, and this is it, as from
    ``numpy_financial.irr``. Flows with several sign changes can have several rates:
    ``numpy_financial.irr`` returns the one closest to 0, and so does this unless
    two of them fall in one grid interval.

    Examples
    --------
    >>> float(annualise(irr(np.array([-100.0] + [0.0] * 11 + [110.0]))))  # doctest: +ELLIPSIS
    0.1000...
    """
    f = np.asarray(flows, dtype=np.float64)
    if f.ndim == 0 or f.shape[-1] == 0:
        raise InputError(f"irr: flows need at least one month (got shape {f.shape})")
    if not np.isfinite(f).all():
        raise InputError("irr: flows hold NaN or infinity; give finite amounts")
    shape = f.shape[:-1]
    f = f.reshape(-1, f.shape[-1])
    positive, negative = (f > 0).any(axis=1), (f < 0).any(axis=1)
    out = np.full(f.shape[0], np.nan)
    out[negative & ~positive] = -1.0
    rows = np.flatnonzero(positive & negative)
    if rows.size:
        out[rows] = np.expm1(_solve(f[rows]))
    return out.reshape(shape)


def annualise(monthly_rate: np.ndarray | float) -> np.ndarray:
    """Yearly rate equivalent to a monthly one, ``(1 + r) ** 12 - 1``.

    Parameters
    ----------
    monthly_rate : any shape [fraction per month]; -1 gives -1, NaN gives NaN

    Returns
    -------
    same shape [fraction per year]
    """
    return (1.0 + np.asarray(monthly_rate, dtype=np.float64)) ** 12 - 1.0


def _npv(f: np.ndarray, first: np.ndarray, last: np.ndarray, u: np.ndarray):
    """Net present value of each row at ``log(1 + rate) = u``, and its derivative in
    ``u``, both scaled by the same positive factor per row.

    Discount factors ``exp(-t u)`` overflow for long rows near either end of the
    bracket; scaling each row by its largest factor among non-zero flows (the first
    month for ``u >= 0``, the last for ``u < 0``) keeps every factor in (0, 1]. Signs
    and the Newton step ``value / derivative`` are unchanged by the scale.
    """
    t = np.arange(f.shape[1], dtype=np.float64)
    ref = np.where(u >= 0, first, last).astype(np.float64)
    # months outside [first, last] hold no flow, so clipping their factors is harmless
    exponent = np.minimum(-(t[None, :] - ref[:, None]) * u[:, None], 0.0)
    fw = f * np.exp(exponent)
    return row_sum(fw), -row_dot(fw, t)


class _GridNPV:
    """Sign-faithful net present value of rows at :data:`_GRID` rates, one grid rate at a
    time by :func:`~pbr_model.stats.row_dot` (a matrix product would round each row
    differently as the number of rows changes), for the rows asked: each row's value is
    the one it has alone, so a search may ask only the rows it still needs.

    Rows are shifted so that every discount factor is at most 1 (no overflow) and the
    flow that dominates is weighted 1 (no underflow of the sign): to start at their
    first flow for rates >= 0, to end at their last flow for rates < 0.
    """

    def __init__(self, f: np.ndarray, first: np.ndarray, last: np.ndarray):
        n, m = f.shape
        self.t = t = np.arange(m)
        take = first[:, None] + t
        self.from_first = np.take_along_axis(f, np.minimum(take, m - 1), axis=1) * (take < m)
        take = last[:, None] - (m - 1) + t
        self.to_last = np.take_along_axis(f, np.maximum(take, 0), axis=1) * (take >= 0)
        self.u = np.log1p(_GRID)

    def sign(self, g: int, rows: np.ndarray) -> np.ndarray:
        """Sign of the net present value of ``rows`` at grid rate ``g``."""
        ug, m = self.u[g], self.t.size
        if ug < 0:
            return np.sign(row_dot(self.to_last[rows], np.exp((m - 1 - self.t) * ug)))
        return np.sign(row_dot(self.from_first[rows], np.exp(-self.t * ug)))


def _nearest_change(grid: _GridNPV, at_zero: np.ndarray, zero: int, step: int):
    """For each row, the grid interval nearest rate 0 on one side (``step`` 1: above,
    -1: below) where the net present value changes sign (or is 0 at an end): the index
    of its lower grid rate, whether there is one, and the sign at its lower rate. Walks
    outwards from rate 0 and stops for each row at its first change, so the grid rates
    beyond are never valued."""
    n = at_zero.size
    found = np.zeros(n, dtype=bool)
    interval = np.zeros(n, dtype=np.int64)
    lower_sign = np.zeros(n)
    pending = np.arange(n)
    near = at_zero  # the sign at the interval's end on rate 0's side
    g = zero
    while pending.size and 0 <= g + step < _GRID.size:
        far = grid.sign(g + step, pending)
        change = near * far <= 0
        rows = pending[change]
        found[rows] = True
        interval[rows] = min(g, g + step)
        lower_sign[rows] = (near if step > 0 else far)[change]
        pending, near = pending[~change], far[~change]
        g += step
    return interval, found, lower_sign


def _solve(f: np.ndarray) -> np.ndarray:
    """``log(1 + irr)`` of rows that have both signs, ``(n_rows,)``; NaN where unbracketed."""
    n, m = f.shape
    nonzero = f != 0
    first = nonzero.argmax(axis=1)
    last = m - 1 - nonzero[:, ::-1].argmax(axis=1)
    zero = int(np.flatnonzero(_GRID == 0)[0])
    grid = _GridNPV(f, first, last)
    at_zero = grid.sign(zero, np.arange(n))
    # the sign change nearest rate 0 on each side; the nearer root of the two is kept
    i_below, has_below, sign_below = _nearest_change(grid, at_zero, zero, -1)
    i_above, has_above, sign_above = _nearest_change(grid, at_zero, zero, 1)
    rows = np.concatenate([np.flatnonzero(has_below), np.flatnonzero(has_above)])
    interval = np.concatenate([i_below[has_below], i_above[has_above]])
    sign_lo = np.concatenate([sign_below[has_below], sign_above[has_above]])
    u_grid = grid.u
    roots = _polish(f[rows], first[rows], last[rows], u_grid[interval], u_grid[interval + 1],
                    sign_lo)
    out = np.full(n, np.nan)
    # fill the farther candidates first so that the nearer one wins
    order = np.argsort(-np.abs(np.expm1(roots)), kind="stable")
    out[rows[order]] = roots[order]
    return out


def _polish(f, first, last, lo, hi, sign_lo) -> np.ndarray:
    """Root in ``log(1 + rate)`` of each row inside its bracket ``[lo, hi]``, where the
    net present value has sign ``sign_lo`` at ``lo`` and changes sign by ``hi``."""
    out = np.empty(f.shape[0])
    active = np.arange(f.shape[0])
    x = 0.5 * (lo + hi)
    step_before = hi - lo
    step = step_before.copy()
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        value, slope = _npv(f[active], first[active], last[active], x)
        same = np.sign(value) == sign_lo
        lo = np.where(same, x, lo)
        hi = np.where(same, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - value / slope
        # Newton when it stays inside the bracket and at least halves the step before
        # last (so it cannot stall); bisection otherwise
        bisect = ~((newton > lo) & (newton < hi)) | (np.abs(newton - x) > 0.5 * np.abs(step_before))
        x_new = np.where(bisect, 0.5 * (lo + hi), newton)
        step_before, step = step, x_new - x
        x = np.where(value == 0, x, x_new)
        done = (value == 0) | (np.abs(step) <= TOLERANCE * (1 + np.abs(x))) | (hi - lo <= TOLERANCE)
        out[active[done]] = x[done]
        keep = ~done
        active, x, lo, hi, sign_lo = active[keep], x[keep], lo[keep], hi[keep], sign_lo[keep]
        step_before, step = step_before[keep], step[keep]
    out[active] = x  # not reached in practice: bisection alone converges well within the limit
    return out
