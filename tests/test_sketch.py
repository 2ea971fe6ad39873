"""The mergeable column sketch of streamed runs (pbr_model.sketch): its percentiles are within
the documented error bound of numpy's exact ones, and nothing it gives depends on how the
rows were grouped into chunks."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model.sketch import ALPHA, ZERO, ColumnSketch, bucket_of, representative

QS = [0, 1, 5, 25, 50, 75, 95, 99, 100]


def _columns(n: int, seed: int = 3) -> np.ndarray:
    """Columns shaped like the model's: signed cash balances, skewed payments with a mass at
    zero, negatives only, a constant, heavy tails, huge values, probabilities."""
    rng = np.random.default_rng(seed)
    return np.column_stack([
        rng.normal(-2e5, 1e6, n),
        np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(12, 1.5, n)),
        -rng.exponential(1e5, n),
        np.full(n, 1234.5),
        rng.standard_t(2, n) * 1e4,
        rng.normal(3e9, 1e7, n),
        rng.random(n) < 0.4,
    ]).astype(np.float64)


def _bound(x: np.ndarray, q: float) -> np.ndarray:
    """The module's bound for percentile ``q`` of each column of ``x``."""
    s = np.sort(x, axis=0)
    pos = q / 100 * (len(x) - 1)
    j = int(np.floor(pos))
    around = np.maximum(np.abs(s[j]), np.abs(s[min(j + 1, len(x) - 1)]))
    return ALPHA * around + ZERO


def _fed(x: np.ndarray, chunk: int) -> ColumnSketch:
    whole = ColumnSketch(x.shape[1])
    for start in range(0, len(x), chunk):
        part = ColumnSketch(x.shape[1])
        part.add(x[start: start + chunk])
        whole.merge(part)
    return whole


@pytest.mark.parametrize("n", [1, 2, 7, 1_500, 40_000])
def test_percentiles_are_within_the_bound_of_the_exact_ones(n):
    x = _columns(n)
    sketch = _fed(x, 2048)
    got = sketch.percentiles(QS)
    exact = np.percentile(x, QS, axis=0)
    for row, q in enumerate(QS):
        # 1e-9: a value on a bucket edge may fall either side by a rounding of the log
        assert np.all(np.abs(got[row] - exact[row]) <= _bound(x, q) * (1 + 1e-9)), q


def test_the_bound_is_not_loose():
    """The estimates use their error: somewhere the error is over half the bound (a sketch
    that kept every value exactly would pass the bound test above, not this)."""
    x = _columns(20_000)
    got, exact = _fed(x, 4096).percentiles(QS), np.percentile(x, QS, axis=0)
    ratios = [np.max((np.abs(got[r] - exact[r]) / _bound(x, q))[:3]) for r, q in enumerate(QS)]
    assert max(ratios) > 0.5


def test_means_are_exact_up_to_rounding():
    x = _columns(30_000)
    np.testing.assert_allclose(_fed(x, 3072).mean(), x.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("chunks", [(1024,), (1024, 3072), (8192, 2048), (30_000,)])
def test_nothing_depends_on_how_blocks_are_grouped_into_chunks(chunks):
    """Chunks of whole blocks of 1,024 rows, grouped any way, give the same bits."""
    x = _columns(25_000)
    reference = _fed(x, 1024)
    sizes = iter(chunks * 100)
    sketch, start = ColumnSketch(x.shape[1]), 0
    while start < len(x):
        part = ColumnSketch(x.shape[1])
        size = next(sizes)
        part.add(x[start: start + size])
        sketch.merge(part)
        start += size
    assert sketch.mean().tobytes() == reference.mean().tobytes()
    assert sketch.percentiles(QS).tobytes() == reference.percentiles(QS).tobytes()
    np.testing.assert_array_equal(sketch.keys, reference.keys)
    np.testing.assert_array_equal(sketch.counts, reference.counts)


def test_missing_values_are_left_out_as_stats_leaves_them_out():
    x = _columns(5_000)
    x[::3, 0] = np.nan
    x[:, 1] = np.nan
    sketch = _fed(x, 1024)
    mean, q = sketch.mean(), sketch.percentiles([5, 50, 95])
    kept = x[~np.isnan(x[:, 0]), 0]
    assert mean[0] == pytest.approx(kept.mean(), rel=1e-12)
    for row, level in enumerate([5, 50, 95]):
        exact = np.percentile(kept, level)
        assert abs(q[row, 0] - exact) <= _bound(kept[:, None], level)[0] * (1 + 1e-9)
    assert np.isnan(mean[1]) and np.all(np.isnan(q[:, 1]))
    assert sketch.valid[0] == len(kept) and sketch.valid[1] == 0


def test_a_bucket_stands_for_every_value_in_it_within_alpha():
    x = np.concatenate([np.geomspace(ZERO * 1.0001, 1e12, 5000), -np.geomspace(0.02, 1e9, 500)])
    rep = representative(bucket_of(x))
    assert np.all(np.abs(rep - x) <= ALPHA * np.abs(x) * (1 + 1e-9))
    assert np.all(representative(bucket_of(np.array([0.0, ZERO, -ZERO / 2]))) == 0)


def test_a_constant_column_reads_exactly_and_no_percentile_leaves_the_range():
    """A fixed monthly fee is the same in every simulation: its percentiles are that fee, not
    its bucket's midpoint; and every percentile lies within the values seen."""
    x = _columns(3_000)
    x[:, 3] = 4_200_000.0
    sketch = _fed(x, 1024)
    q = sketch.percentiles(QS)
    assert np.all(q[:, 3] == 4_200_000.0)
    assert np.all((q >= x.min(axis=0)) & (q <= x.max(axis=0)))
    np.testing.assert_array_equal(q[0], x.min(axis=0))
    np.testing.assert_array_equal(q[-1], x.max(axis=0))


def test_small_rates_are_not_read_as_zero():
    rates = np.random.default_rng(5).uniform(0.001, 0.009, (4_000, 2))
    q = _fed(rates, 1024).percentiles([50])
    assert np.all(np.abs(q[0] - np.percentile(rates, 50, axis=0)) <= ALPHA * 0.009 + ZERO)


def test_queued_merges_settle_to_the_counts_of_every_value_seen():
    """Merges are queued and settled in batches (a stable sort of sorted runs): whatever
    was queued when, the occupied buckets and their counts are those of all the values
    at once, a sketch sent to another process travels settled, and reading settles."""
    import pickle

    rng = np.random.default_rng(11)
    k = 40
    parts = []
    for _ in range(30):  # enough keys that the queue settles several times on the way
        rows = rng.lognormal(10, 3, size=(1024, k)) * rng.choice([-1.0, 0.0, 1.0], (1024, k))
        part = ColumnSketch(k)
        part.add(rows)
        parts.append(part)
    merged = ColumnSketch(k)
    settles = 0
    for part in parts:
        before = len(merged._queued)
        merged.merge(part)
        settles += len(merged._queued) < before + 1
    assert settles > 1        # the queue did settle part way, not only when read
    keys = np.concatenate([p.keys for p in parts])
    counts = np.concatenate([p.counts for p in parts])
    ref_keys, where = np.unique(keys, return_inverse=True)
    ref_counts = np.bincount(where.ravel(), weights=counts, minlength=len(ref_keys))
    single = ColumnSketch(k)    # one queued run is taken as it is: sorted and unique
    single.merge(parts[0])
    np.testing.assert_array_equal(single.keys, parts[0].keys)
    np.testing.assert_array_equal(single.counts, parts[0].counts)
    sent = pickle.loads(pickle.dumps(merged))
    assert not sent._queued
    np.testing.assert_array_equal(sent.keys, ref_keys)
    np.testing.assert_array_equal(merged.keys, ref_keys)
    np.testing.assert_array_equal(merged.counts, ref_counts.astype(np.int64))
    assert merged.counts.dtype == np.int64
    assert merged.n == 30 * 1024
    np.testing.assert_array_equal(sent.percentiles([5, 50, 95]), merged.percentiles([5, 50, 95]))


@pytest.mark.parametrize("k", [1, 7, 511, 512, 700])
def test_counting_keys_gives_what_numpys_unique_gives(k):
    """The keys are counted with a sort of 32-bit numbers where they fit (at most 512
    columns) and of 64-bit ones where not; either way the distinct keys, their order and
    their counts are numpy's ``unique(..., return_counts=True)``, with and without
    missing values left out, and so are the bucket indexes."""
    from pbr_model.sketch import _counted, _keys
    rng = np.random.default_rng(k)
    x = _columns(40, seed=k)[:, rng.integers(0, 7, k)] * rng.choice([-1.0, 1.0], k)
    odd = rng.random(x.shape) < 0.1
    x[odd] = rng.choice([0.0, -0.0, ZERO, -ZERO / 2, 1e300, -5e-300], size=int(odd.sum()))
    mag = np.abs(x).view(np.int64) >> (52 - 10)
    expected_buckets = np.where(np.abs(x) <= ZERO, 0, np.where(x > 0, mag, -mag))
    buckets = bucket_of(x)
    assert buckets.dtype == np.int64 and np.array_equal(buckets, expected_buckets)
    keys = _keys(buckets)
    assert np.array_equal(keys, (np.arange(k) << 23) + buckets + 2**22)
    for kept in (np.ones(x.shape, dtype=bool), rng.random(x.shape) < 0.7):
        got = _counted(keys[kept])
        want = np.unique(keys[kept], return_counts=True)
        assert [a.dtype for a in got] == [a.dtype for a in want]
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    empty = _counted(keys[:0].ravel())
    assert [len(a) for a in empty] == [0, 0] and [a.dtype for a in empty] == [np.int64] * 2


def test_signed_zeros_give_the_least_and_greatest_numpys_nanmin_gives():
    """A column of signed zeros: the kept least and greatest are what ``np.nanmin`` and
    ``np.nanmax`` give (0.14.0 read them so), whatever the rows' grouping into chunks."""
    rng = np.random.default_rng(4)
    x = rng.choice([0.0, -0.0], (64, 2))
    for chunk in (1, 2, 4, 64):
        s = ColumnSketch(2, block=1)
        for start in range(0, len(x), chunk):
            s.add(x[start:start + chunk])
        lows = [np.nanmin(x[start:start + chunk], axis=0) for start in range(0, len(x), chunk)]
        highs = [np.nanmax(x[start:start + chunk], axis=0) for start in range(0, len(x), chunk)]
        want_low, want_high = np.full(2, np.inf), np.full(2, -np.inf)
        for lo, hi in zip(lows, highs):
            want_low, want_high = np.fmin(want_low, lo), np.fmax(want_high, hi)
        assert s.low.tobytes() == want_low.tobytes() and s.high.tobytes() == want_high.tobytes()
