"""The sketch's documented error bound, checked on a column set (used by the streamed-run
tests)."""

from __future__ import annotations

import numpy as np

from pbr_model.sketch import ALPHA, ZERO
from pbr_model.stats import PERCENTILES


def within_sketch_bound(estimate, values: np.ndarray, label: str) -> None:
    """Each column's sketched percentiles against the exact ones of ``values`` ``(n, k)``:
    within ALPHA of the larger of the two order statistics they interpolate, plus ZERO.
    ``estimate``: the percentiles by label (``"p5"``...) or a callable of the percentile."""
    s = np.sort(values, axis=0)
    n = len(values)
    for q in PERCENTILES.values():
        pos = q / 100 * (n - 1)
        j = int(np.floor(pos))
        bound = ALPHA * np.maximum(np.abs(s[j]), np.abs(s[min(j + 1, n - 1)])) + ZERO
        exact = np.percentile(values, q, axis=0)
        got = estimate[f"p{q}"] if isinstance(estimate, dict) else estimate(q)
        assert np.all(np.abs(np.asarray(got) - exact) <= bound * (1 + 1e-9)), (label, q)
