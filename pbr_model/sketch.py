"""Column statistics of a matrix seen a block of rows at a time: means and percentiles that
merge exactly, whatever the blocks.

A run too large to keep its monthly (or per-cohort) arrays folds each chunk's rows into a
:class:`ColumnSketch` and drops them. Per column it keeps

* the **sum** of each random-number block's rows (a block of :data:`~pbr_model.rng.BLOCK`
  simulations summed in row order from zero), added block after block in block order: a
  fixed order of additions, so the mean is the same bit for bit however the blocks were
  grouped into chunks or spread over workers;
* a **histogram on logarithmic buckets** (the scheme of DDSketch, Masson, Rim and Lee,
  VLDB 2019): bucket ``i > 0`` holds the values in ``(g^(i-1), g^i]`` with
  ``g = (1 + a) / (1 - a)``, bucket ``-i`` their negatives, bucket 0 every value with
  ``|x| <= ZERO``. Counts are whole numbers, so merging is exact and order-free.

A percentile is read as the numpy default (linear between the two order statistics around
rank ``q (n - 1)``), each order statistic replaced by its bucket's representative
``2 g^i / (g + 1)``, which is within a relative ``a`` of every value in the bucket. So

    |estimate - exact| <= a * max(|x_(j)|, |x_(j+1)|) + ZERO

where ``x_(j), x_(j+1)`` are the two order statistics the exact percentile interpolates
between (tested in tests/test_sketch.py). With :data:`ALPHA` = 0.001 a percentile of a
cash balance of about 1,000,000 is within 1,000; :data:`ZERO` is one hundredth of a
currency unit.
"""

from __future__ import annotations

import math

import numpy as np

#: Relative accuracy of a sketched percentile (0.1%).
ALPHA = 1e-3
#: Values at or below this in absolute value count as zero [currency].
ZERO = 0.01

_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(_GAMMA)


def bucket_of(x: np.ndarray) -> np.ndarray:
    """The signed bucket index of each value (0 for ``|x| <= ZERO``), ``int64``."""
    a = np.abs(x)
    big = a > ZERO
    i = np.zeros(x.shape, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # bucket 1 holds (ZERO, ZERO g]: index ceil(log_g(|x| / ZERO))
        idx = np.ceil(np.log(a[big] / ZERO) / _LOG_GAMMA).astype(np.int64)
    i[big] = np.maximum(idx, 1) * np.sign(x[big]).astype(np.int64)
    return i


def representative(i: np.ndarray) -> np.ndarray:
    """The value a bucket stands for: ``sign * ZERO * 2 g^|i| / (g + 1)``, 0 for bucket 0."""
    i = np.asarray(i)
    mag = ZERO * 2 * np.exp(np.abs(i) * _LOG_GAMMA) / (_GAMMA + 1)
    return np.where(i == 0, 0.0, np.sign(i) * mag)


#: Bucket indexes are below this in absolute value for every finite float64.
_SPAN = 2**20


class ColumnSketch:
    """Means and percentiles of the columns of an ``(n, k)`` matrix fed in row blocks.

    :meth:`add` takes rows that start at a random-number block's edge (a chunk of whole
    blocks, the run's last one cut short) and folds them in block by block; :meth:`merge`
    adds another sketch's later rows. The block sums are kept in order and added up only
    when the mean is read, so the mean does not depend on how blocks were grouped into
    chunks or spread over workers. Counts are kept sparse: a sorted array of occupied
    (column, bucket) keys and their counts."""

    def __init__(self, k: int, block: int | None = None):
        from .rng import BLOCK
        self.k = k
        self.block = block or BLOCK
        self.n = 0
        self.valid = np.zeros(k, dtype=np.int64)     # rows that are a number, per column
        self.sums: list[np.ndarray] = []
        self.keys = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)

    def add(self, rows: np.ndarray) -> None:
        """Fold in ``(m, k)`` rows starting at a block's edge (after every row added before)."""
        rows = np.asarray(rows, dtype=np.float64)
        number = ~np.isnan(rows)
        clean = np.where(number, rows, 0.0)
        for start in range(0, len(rows), self.block):
            part = clean[start: start + self.block]
            self.sums.append(np.cumsum(part, axis=0)[-1])   # in row order from zero
        self.n += len(rows)
        self.valid += number.sum(axis=0)
        if len(rows):
            keys = (np.arange(self.k, dtype=np.int64) << 21) + bucket_of(clean) + _SPAN
            self._fold(*np.unique(keys[number], return_counts=True))

    def _fold(self, keys: np.ndarray, counts: np.ndarray) -> None:
        if not len(self.keys):
            self.keys, self.counts = keys, counts.astype(np.int64)
            return
        merged, where = np.unique(np.concatenate([self.keys, keys]), return_inverse=True)
        weights = np.concatenate([self.counts, counts]).astype(np.float64)  # exact < 2**53
        total = np.bincount(where.ravel(), weights=weights, minlength=len(merged))
        self.keys, self.counts = merged, total.astype(np.int64)

    def merge(self, later: ColumnSketch) -> None:
        """Add a sketch of the rows after this one's (its block sums follow this one's)."""
        if later.n == 0:
            return
        self.sums.extend(later.sums)
        self.n += later.n
        self.valid += later.valid
        self._fold(later.keys, later.counts)

    def mean(self) -> np.ndarray:
        """The column means ``(k,)`` of the values that are numbers (NaN where none is):
        block sums added in block order, over the count."""
        total = np.zeros(self.k)
        for s in self.sums:
            total = total + s
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.valid > 0, total / self.valid, np.nan)

    def percentiles(self, qs) -> np.ndarray:
        """Percentiles ``qs`` (0-100) of each column, ``(len(qs), k)``, read as described
        in the module's docstring."""
        if not len(self.keys):
            return np.full((len(qs), self.k), np.nan)
        cum = np.cumsum(self.counts)
        col = self.keys >> 21
        # running count before each column's first bucket
        before = np.concatenate([[0], cum])[np.searchsorted(col, np.arange(self.k))]
        out = np.full((len(qs), self.k), np.nan)
        has = self.valid > 0          # columns with no number stay NaN
        last = np.maximum(self.valid - 1, 0)
        for row, q in enumerate(qs):
            pos = q / 100 * last
            j = np.floor(pos).astype(np.int64)
            lo = self._order_stat(cum, before, j)
            hi = self._order_stat(cum, before, np.minimum(j + 1, last))
            out[row, has] = (lo + (pos - j) * (hi - lo))[has]
        return out

    def _order_stat(self, cum: np.ndarray, before: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The representative of the bucket holding each column's ``j``-th smallest value
        (``j`` per column)."""
        at = np.minimum(np.searchsorted(cum, before + j, side="right"), len(cum) - 1)
        return representative((self.keys[at] & (2**21 - 1)) - _SPAN)
