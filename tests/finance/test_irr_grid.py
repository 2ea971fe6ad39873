"""The IRR's bracketing walks the rate grid outwards from 0 only as far as each row needs,
and finds exactly the brackets (hence the rates, bit for bit) of valuing every row at
every grid rate, as before 0.9."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model.finance import irr as irr_module
from pbr_model.finance.irr import _GRID, _polish, irr
from pbr_model.stats import row_dot


def full_grid_irr(flows: np.ndarray) -> np.ndarray:
    """Every row valued at every grid rate, then the sign changes nearest 0 polished."""
    f = np.asarray(flows, dtype=np.float64)
    out = np.full(f.shape[0], np.nan)
    positive, negative = (f > 0).any(axis=1), (f < 0).any(axis=1)
    out[negative & ~positive] = -1.0
    idx = np.flatnonzero(positive & negative)
    f = f[idx]
    n, m = f.shape
    nonzero = f != 0
    first = nonzero.argmax(axis=1)
    last = m - 1 - nonzero[:, ::-1].argmax(axis=1)
    t = np.arange(m)
    take = first[:, None] + t
    from_first = np.take_along_axis(f, np.minimum(take, m - 1), axis=1) * (take < m)
    take = last[:, None] - (m - 1) + t
    to_last = np.take_along_axis(f, np.maximum(take, 0), axis=1) * (take >= 0)
    u = np.log1p(_GRID)
    sign = np.sign(np.stack([row_dot(to_last, np.exp((m - 1 - t) * ug)) if ug < 0
                             else row_dot(from_first, np.exp(-t * ug)) for ug in u], axis=1))
    change = sign[:, :-1] * sign[:, 1:] <= 0
    zero = int(np.flatnonzero(_GRID == 0)[0])
    below, above = change[:, :zero], change[:, zero:]
    has_below, has_above = below.any(axis=1), above.any(axis=1)
    i_below = zero - 1 - below[:, ::-1].argmax(axis=1)
    i_above = zero + above.argmax(axis=1)
    rows = np.concatenate([np.flatnonzero(has_below), np.flatnonzero(has_above)])
    interval = np.concatenate([i_below[has_below], i_above[has_above]])
    roots = _polish(f[rows], first[rows], last[rows], u[interval], u[interval + 1],
                    sign[rows, interval])
    solved = np.full(n, np.nan)
    order = np.argsort(-np.abs(np.expm1(roots)), kind="stable")
    solved[rows[order]] = roots[order]
    out[idx] = np.expm1(solved)
    return out


def rows(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 1, (2000, 49)) * rng.choice([0.0, 1.0, 1e6, 1e-3], (2000, 49))
    f[:400, :6] = -np.abs(f[:400, :6]) - 1           # outflows first, then anything
    f[400:800, :] = np.where(rng.random((400, 49)) < 0.9, 0.0, f[400:800])
    f[800:1000] = np.abs(f[800:1000])                 # no outflow: NaN
    f[1000:1100] = -np.abs(f[1000:1100])              # no inflow: -1
    conventional = np.concatenate([-rng.uniform(1, 5, (300, 12)),
                                   rng.uniform(0, 1, (300, 37))], axis=1)
    f[1100:1400] = conventional * rng.uniform(0.5, 3, (300, 1))
    return f


@pytest.mark.parametrize("seed", [0, 1])
def test_the_rates_are_those_of_the_full_grid_bit_for_bit(seed):
    f = rows(seed)
    assert irr(f).tobytes() == full_grid_irr(f).tobytes()


def test_a_conventional_row_values_only_the_grid_rates_it_needs(monkeypatch):
    """Outflows then inflows at about 2% a month: above rate 0 the grid is valued only up
    to the first grid rate past the root; the side below, with no sign change, is walked
    to its end."""
    f = np.array([[-100.0] * 6 + [40.0] * 18])
    valued = []
    real = irr_module._GridNPV.sign

    def counted(self, g, which):
        valued.append(g)
        return real(self, g, which)

    monkeypatch.setattr(irr_module._GridNPV, "sign", counted)
    rate = irr(f)[0]
    assert 0.01 < rate < 0.025
    zero = int(np.flatnonzero(_GRID == 0)[0])
    above = [g for g in valued if g > zero]
    assert _GRID[max(above)] == 0.025  # the first grid rate past the root; none beyond
    assert min(valued) == 0            # below: to the end of the grid
