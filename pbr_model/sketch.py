"""Column statistics of a matrix seen a block of rows at a time: means and percentiles that
merge exactly, whatever the blocks.

A run too large to keep its monthly (or per-cohort) arrays folds each chunk's rows into a
:class:`ColumnSketch` and drops them. Per column it keeps

* the **sum** of each random-number block's rows (a block of :data:`~pbr_model.rng.BLOCK`
  simulations summed in row order from zero), added block after block in block order: a
  fixed order of additions, so the mean is the same bit for bit however the blocks were
  grouped into chunks or spread over workers;
* a **histogram on logarithmic buckets** (relative-error buckets as in DDSketch [MRL19]), cut from the bits of the float64 itself: a positive value's
  bucket is its bit pattern with all but the top :data:`MANTISSA_BITS` bits of the
  mantissa dropped, so each power of two is split into 1,024 buckets of equal width; a
  negative value goes in the mirror bucket and every ``|x| <= ZERO`` in bucket 0. No
  logarithm is taken, so a chunk is sketched at the speed of a few integer operations a
  value. Counts are whole numbers, so merging is exact and order-free.

A percentile is read as the numpy default (linear between the two order statistics around
rank ``q (n - 1)``), each order statistic replaced by its bucket's midpoint, which is within
a relative :data:`ALPHA` ``= 2^-(MANTISSA_BITS + 1)`` (0.049%) of every value in the bucket.
So

    |estimate - exact| <= ALPHA * max(|x_(j)|, |x_(j+1)|) + ZERO

where ``x_(j), x_(j+1)`` are the two order statistics the exact percentile interpolates
between (tested in tests/test_sketch.py). A percentile of a cash balance of about
1,000,000 is thus within about 500. Each column's exact least and greatest values are kept
too (they merge exactly) and a percentile is clamped to them, so a constant column (a fixed
monthly fee) reads exactly and no percentile falls outside the values seen.
"""

from __future__ import annotations

import numpy as np

#: Mantissa bits a bucket keeps: 2**10 buckets in each power of two.
MANTISSA_BITS = 10
#: Relative accuracy of a sketched percentile: half a bucket's relative width.
ALPHA = 2.0 ** -(MANTISSA_BITS + 1)
#: Values at or below this in absolute value count as zero (far below a penny or a
#: percentage point's millionth, so it serves money and rates alike).
ZERO = 1e-9

_SHIFT = 52 - MANTISSA_BITS
#: Bucket indexes lie in (-2**21, 2**21): a key is column << 23 | (bucket + 2**22).
_SPAN = 2**22
_COLUMN_SHIFT = 23


def bucket_of(x: np.ndarray) -> np.ndarray:
    """The signed bucket index of each value (0 for ``|x| <= ZERO``), ``int64``; ``x`` holds
    no NaN (:meth:`ColumnSketch.add` counts only numbers)."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    i = a.view(np.int64) >> _SHIFT            # a new array: the magnitude's bucket
    np.negative(i, out=i, where=x < 0)
    np.copyto(i, 0, where=a <= ZERO)
    return i


def representative(i: np.ndarray) -> np.ndarray:
    """The value a bucket stands for: the midpoint of its values' range, signed; 0 for
    bucket 0."""
    i = np.asarray(i, dtype=np.int64)
    m = np.abs(i)
    lo = (m << _SHIFT).view(np.float64)
    hi = ((m + 1) << _SHIFT).view(np.float64)
    return np.where(i == 0, 0.0, np.sign(i) * (lo + (hi - lo) / 2))


class ColumnSketch:
    """Means and percentiles of the columns of an ``(n, k)`` matrix fed in row blocks.

    :meth:`add` takes rows that start at a random-number block's edge (a chunk of whole
    blocks, the run's last one cut short) and folds them in block by block; :meth:`merge`
    adds another sketch's later rows. The block sums are kept in order and added up only
    when the mean is read, so the mean does not depend on how blocks were grouped into
    chunks or spread over workers. Counts are kept sparse: a sorted array of occupied
    (column, bucket) keys and their counts."""

    def __init__(self, k: int, block: int | None = None, histogram: bool = True):
        from .rng import BLOCK
        self.k = k
        self.histogram = histogram     # False: means only (percentiles are NaN)
        self.block = block or BLOCK
        self.n = 0
        self.valid = np.zeros(k, dtype=np.int64)     # rows that are a number, per column
        self.low = np.full(k, np.inf)                 # exact least and greatest numbers
        self.high = np.full(k, -np.inf)
        self.sums: list[np.ndarray] = []
        self._keys = np.zeros(0, dtype=np.int64)
        self._counts = np.zeros(0, dtype=np.int64)
        self._queued: list[tuple[np.ndarray, np.ndarray]] = []
        self._queued_n = 0

    def add(self, rows: np.ndarray) -> None:
        """Fold in ``(m, k)`` rows starting at a block's edge (after every row added before)."""
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.k:
            raise ValueError(f"rows must be (m, {self.k}), got {rows.shape}")
        nan = np.isnan(rows)
        missing = bool(nan.any())
        clean = np.where(nan, 0.0, rows) if missing else rows
        for start in range(0, len(rows), self.block):
            part = clean[start: start + self.block]
            # one block's column sums, added in row order from zero (a fixed order: the
            # block's rows and shape are the run's, not the chunk's)
            self.sums.append(np.add.reduce(part, axis=0) if part.shape[1] > 1
                             else np.cumsum(part, axis=0)[-1])
        self.n += len(rows)
        self.valid += len(rows) - (nan.sum(axis=0) if missing else 0)
        if len(rows) and not missing:   # no NaN: what nanmin and nanmax run, without a copy
            self.low = np.fmin(self.low, np.fmin.reduce(rows, axis=0))
            self.high = np.fmax(self.high, np.fmax.reduce(rows, axis=0))
        elif len(rows):
            with np.errstate(invalid="ignore"):
                self.low = np.fmin(self.low, np.nanmin(np.where(nan, np.inf, rows), axis=0))
                self.high = np.fmax(self.high, np.nanmax(np.where(nan, -np.inf, rows), axis=0))
        if len(rows) and self.histogram:
            keys = _keys(bucket_of(clean))
            self._fold(*_counted(keys[~nan] if missing else keys.ravel()))

    def _fold(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Queue sorted unique ``keys`` and their ``counts``; they are added in when the queue
        holds as many keys as the sketch (or when the sketch is read), so a run of many small
        merges costs a few passes over the keys rather than one each."""
        self._queued.append((keys, counts.astype(np.int64, copy=False)))
        self._queued_n += len(keys)
        if self._queued_n > max(len(self._keys), 1 << 16):
            self._settle()

    def _settle(self) -> None:
        """Add the queued keys and counts in: one stable sort of the sorted runs (timsort
        merges them in a pass each), then equal keys' counts summed. Counts are whole
        numbers, so the result is the same whatever was queued when."""
        if not self._queued:
            return
        if not len(self._keys) and len(self._queued) == 1:   # one run, sorted and unique
            (self._keys, self._counts), = self._queued
        else:
            keys = np.concatenate([self._keys, *(k for k, _ in self._queued)])
            counts = np.concatenate([self._counts, *(c for _, c in self._queued)])
            order = np.argsort(keys, kind="stable")
            keys, counts = keys[order], counts[order]
            first = np.empty(len(keys), dtype=bool)
            first[:1] = True
            np.not_equal(keys[1:], keys[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            self._keys = keys[starts]
            self._counts = np.add.reduceat(counts, starts) if len(keys) else counts
        # emptied only once the counts are in (an interruption above loses nothing)
        self._queued, self._queued_n = [], 0

    @property
    def keys(self) -> np.ndarray:
        """The sorted occupied (column, bucket) keys."""
        self._settle()
        return self._keys

    @property
    def counts(self) -> np.ndarray:
        """The count of each key of :attr:`keys`."""
        self._settle()
        return self._counts

    def __getstate__(self) -> dict:
        self._settle()      # a sketch sent to another process travels settled
        return self.__dict__.copy()

    def merge(self, later: ColumnSketch) -> None:
        """Add a sketch of the rows after this one's (its block sums follow this one's)."""
        if later.n == 0:
            return
        self.sums.extend(later.sums)
        self.n += later.n
        self.valid += later.valid
        self.low = np.fmin(self.low, later.low)
        self.high = np.fmax(self.high, later.high)
        if len(later.keys):
            self._fold(later.keys, later.counts)

    def total(self) -> np.ndarray:
        """The column sums ``(k,)`` of the values that are numbers: block sums added in
        block order."""
        total = np.zeros(self.k)
        for s in self.sums:
            total = total + s
        return total

    def mean(self) -> np.ndarray:
        """The column means ``(k,)`` of the values that are numbers (NaN where none is)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.valid > 0, self.total() / self.valid, np.nan)

    def percentiles(self, qs) -> np.ndarray:
        """Percentiles ``qs`` (0-100) of each column, ``(len(qs), k)``, read as described
        in the module's docstring."""
        if not len(self.keys):
            return np.full((len(qs), self.k), np.nan)
        cum = np.cumsum(self.counts)
        col = self.keys >> _COLUMN_SHIFT
        # running count before each column's first bucket
        before = np.concatenate([[0], cum])[np.searchsorted(col, np.arange(self.k))]
        out = np.full((len(qs), self.k), np.nan)
        has = self.valid > 0          # columns with no number stay NaN
        last = np.maximum(self.valid - 1, 0)
        for row, q in enumerate(qs):
            pos = q / 100 * last
            j = np.floor(pos).astype(np.int64)
            up = np.minimum(j + 1, last)
            lo, hi = self._order_stat(cum, before, j), self._order_stat(cum, before, up)
            # the first and last order statistics are known exactly: the least and greatest
            lo = np.where(j == 0, self.low, np.where(j == last, self.high, lo))
            hi = np.where(up == 0, self.low, np.where(up == last, self.high, hi))
            with np.errstate(invalid="ignore"):   # columns with no number: inf - inf, masked
                out[row, has] = np.clip(lo + (pos - j) * (hi - lo), self.low, self.high)[has]
        return out

    def _order_stat(self, cum: np.ndarray, before: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The representative of the bucket holding each column's ``j``-th smallest value
        (``j`` per column)."""
        at = np.minimum(np.searchsorted(cum, before + j, side="right"), len(cum) - 1)
        return representative((self.keys[at] & (2 * _SPAN - 1)) - _SPAN)


def _keys(buckets: np.ndarray) -> np.ndarray:
    """The key ``column << 23 | (bucket + 2**22)`` of each bucket index of an ``(m, k)``
    matrix, column ``j`` being the matrix's ``j``-th, ``(m, k)`` ``int64``."""
    k = buckets.shape[-1]
    return buckets + ((np.arange(k, dtype=np.int64) << _COLUMN_SHIFT) + _SPAN)


#: Keys below this fit 32 bits (at most 512 columns), which sort in half the time.
_NARROW = 2**32


def _counted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``keys`` (1-D, ``int64``, each in ``[0, k << 23)``) and how many
    times each occurs: what ``np.unique(keys, return_counts=True)`` gives, sorted as 32-bit
    numbers where they fit (a sort of whole numbers is the same sort at any width)."""
    if not len(keys):
        return keys.astype(np.int64), np.zeros(0, dtype=np.int64)
    narrow = int(keys.max()) < _NARROW
    ordered = keys.astype(np.uint32) if narrow else keys.copy()
    ordered.sort()
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = len(ordered) - starts[-1]
    return ordered[starts].astype(np.int64), counts
