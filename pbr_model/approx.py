"""Approximate draws (``--draws approx``): large count cells drawn from their normal
approximation, small ones exactly.

A count cell of the engine (one simulation, cohort and risk band) is an aggregate of many
people, so its exact law (binomial, Poisson, negative binomial, multinomial) is close to a
normal when it is large. :class:`ApproxSampler` draws such a cell as
``floor(mean + sqrt(variance - 1/12) z + 1/2)``, clipped to the law's support, with the
exact law's mean and variance and ``z`` a standard normal from the block's *counts*
generator: one normal (about 30 ns) in place of numpy's binomial (130-360 ns), Poisson
(70-110 ns) or gamma-Poisson (~140 ns). The ``1/12`` is Sheppard's correction: rounding
a normal to whole numbers adds a variance of 1/12, so the cell keeps the exact variance.

A cell is *large* when its exact law has a variance of at least :data:`MIN_VARIANCE` and
a skewness of at most :data:`MAX_SKEW` (the normal's error is led by the skewness it lacks;
for a Poisson both say ``mean >= 25``); every other cell is drawn from its exact law as in
exact mode. A multinomial row (a cohort's entrants over the risk bands) is large when
each of its conditional binomial steps is at its expected size, and is then drawn as
those steps (each band's count given the bands before it, so the total stays exact),
each step a cell as above. Gamma sums (bed-days) keep their exact gamma draw: it is
already a constant-time draw (Marsaglia-Tsang, ~60 ns), so an approximation would save
almost nothing.

The normals stream (volume factors, noise, effects, trend) is not touched, so effects and
volume factors are common random numbers with exact mode, simulation by simulation; only
the counts differ. Where no cell of a draw is large, the draw is the exact one, number for
number. Exact mode stays the default: its numbers are the distribution itself, where
approximate mode adds an error in the third and higher moments of each large cell (at
most about ``MAX_SKEW / 15 = 1.3%`` on any of its probabilities, Edgeworth's first term,
and far less on sums of many cells such as a cohort's or a contract's rates).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import InputError
from .sampling import Sampler

#: The ways to draw the counts: ``exact`` (the default) or ``approx`` (:class:`ApproxSampler`).
DRAWS = ("exact", "approx")

#: A cell whose exact law has a variance below this is drawn exactly [count^2]: at 25 the
#: cell's standard deviation is 5, so its support's bound is at least 5 sd away.
MIN_VARIANCE = 25.0

#: A cell whose exact law has a skewness above this is drawn exactly [dimensionless]:
#: the normal's first error term (Edgeworth) is ``skewness / 6 (1 - x^2) phi(x)``, at most
#: 0.2 / 6 * 0.4 = 1.3% on a probability.
MAX_SKEW = 0.2

#: Sheppard's correction: rounding a normal to whole numbers adds this to its variance.
ROUNDING_VARIANCE = 1 / 12


def check_draws(draws, name: str = "draws") -> str:
    """``draws`` if it is one of :data:`DRAWS`, else raise ``InputError`` naming ``name``,
    the value and what is allowed."""
    if not isinstance(draws, str) or draws not in DRAWS:
        raise InputError(f"{name}: must be one of {', '.join(DRAWS)} (got {draws!r})")
    return draws


def sampler_for(draws: str, rng: np.random.Generator) -> Sampler:
    """The sampler of a block's generator ``rng`` for ``draws`` (:data:`DRAWS`)."""
    return ApproxSampler(rng) if check_draws(draws) == "approx" else Sampler(rng)


def large(var: np.ndarray) -> np.ndarray:
    """Which cells of a binomial or Poisson law of variance ``var`` are large: variance at
    least :data:`MIN_VARIANCE`, which for these laws also bounds the skewness
    (``|1 - 2p| / sd`` and ``1 / sd``) by ``1 / sqrt(MIN_VARIANCE)`` = :data:`MAX_SKEW`."""
    return var >= MIN_VARIANCE


def _rounded(z: np.ndarray, mean: np.ndarray, var: np.ndarray,
             upper: np.ndarray | None) -> np.ndarray:
    """Standard normals ``z`` (written over) as whole numbers of mean ``mean`` and variance
    ``var``: ``rint(mean + sqrt(var - 1/12) z)`` (Sheppard's correction), clipped to ``[0,
    upper]`` (``upper`` None: no upper bound). A variance below 1/12 (a small cell's, whose
    number is not used) is read as 1/12, so no square root of a negative is taken."""
    sd = var - ROUNDING_VARIANCE
    np.maximum(sd, 0.0, out=sd)
    np.sqrt(sd, out=sd)
    z *= sd
    z += mean
    np.rint(z, out=z)
    np.maximum(z, 0.0, out=z)
    if upper is not None:
        np.minimum(z, upper, out=z)
    return z


class ApproxSampler(Sampler):
    """A :class:`~pbr_model.sampling.Sampler` whose large count cells are drawn from
    their normal approximation (see the module's text); normals as exact mode."""

    def _normal(self, mean: np.ndarray, var: np.ndarray, upper: np.ndarray | None) -> np.ndarray:
        """Whole numbers with mean ``mean`` and variance ``var`` (rounded normals,
        Sheppard-corrected), clipped to ``[0, upper]`` (``upper`` None: no upper bound)."""
        return _rounded(self.counts.standard_normal(np.shape(mean)), mean, var, upper)

    def _cells(self, big: np.ndarray, exact: Callable[[np.ndarray], np.ndarray],
               mean: np.ndarray, var: np.ndarray, upper: np.ndarray | None) -> np.ndarray:
        """The large cells ``big`` by :meth:`_normal`, the others by ``exact(mask)``
        (exact draws of the cells in ``mask``, first)."""
        if big.all():
            return self._normal(mean, var, upper)
        small = ~big
        drawn = exact(small)
        # The large cells' normals, in their order, placed among zeros: the rounding then
        # runs over whole arrays (each large cell's number is the one _normal gives; the
        # small cells' are overwritten), which costs less than gathering each large cell's
        # mean, variance and bound and scattering the result back.
        out = np.zeros(big.shape)
        out[big] = self.counts.standard_normal(np.count_nonzero(big))
        out = _rounded(out, mean, var, upper)
        out[small] = drawn
        return out

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        lam = np.asarray(lam, dtype=np.float64)
        big = large(lam)
        if not big.any():
            return super().poisson(lam)
        return self._cells(big, lambda m: super(ApproxSampler, self).poisson(lam[m]),
                           lam, lam, None)

    def binomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        n_b, p_b = np.broadcast_arrays(np.asarray(n, dtype=np.float64),
                                       np.asarray(p, dtype=np.float64))
        mean = n_b * p_b
        var = mean - mean * p_b
        big = large(var)
        if not big.any():
            return super().binomial(n, p)
        return self._cells(big, lambda m: super(ApproxSampler, self).binomial(n_b[m], p_b[m]),
                           mean, var, n_b)

    def negative_binomial_sum(self, count: np.ndarray, k: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """As :meth:`Sampler.negative_binomial_sum`: NB(size ``count * k``, mean
        ``count * mu``), of variance ``count mu (1 + mu / k)`` and skewness
        ``(1 + 2 mu / k) / sd``, so large when the variance is at least
        ``MIN_VARIANCE (1 + 2 mu / k)^2`` (:data:`MAX_SKEW` is ``1 / sqrt(MIN_VARIANCE)``).
        Another cell is drawn as exact mode does, a Poisson of a gamma mean, with the gamma
        exact and the Poisson by :meth:`poisson` (normal where its mean is large): the
        gamma carries the skewness."""
        c, k_b, mu_b = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64)
                                             for a in (count, k, mu)))
        ratio = mu_b / k_b
        mean = c * mu_b
        var = mean * (1 + ratio)
        skew = 1 + 2 * ratio
        big = var >= MIN_VARIANCE * skew * skew
        if not big.any():   # the exact draw's gamma, so a cell not large anywhere is as exact
            return self.poisson(self.counts.gamma(count * k, np.divide(mu, k)))
        return self._cells(
            big, lambda m: self.poisson(self.counts.gamma(c[m] * k_b[m], ratio[m])),
            mean, var, None)

    def multinomial(self, n: np.ndarray, pvals: np.ndarray) -> np.ndarray:
        """Rows ``n`` over the categories of ``pvals`` (one probability vector). A row is
        drawn as conditional steps (category ``j`` ~ binomial(what is left, ``p_j`` over the
        probability left), each by :meth:`binomial`, the last category what is left) when
        every step is large at its expected size (``n`` times the probability left times
        ``q (1 - q)``); otherwise exactly."""
        pvals = np.asarray(pvals, dtype=np.float64)
        if pvals.ndim != 1 or len(pvals) < 2:
            return super().multinomial(n, pvals)
        n_f = np.asarray(n, dtype=np.float64)
        left = 1 - np.concatenate([[0.0], np.cumsum(pvals)[:-1]])     # probability left
        q = np.divide(pvals, left, out=np.ones_like(pvals), where=left > 0)[:-1]
        q = np.minimum(q, 1.0)
        per_person = float(np.min(left[:-1] * q * (1 - q)))            # least step variance
        big = large(n_f * per_person)
        if not big.any():
            return super().multinomial(n, pvals)
        out = np.empty((*n_f.shape, len(pvals)))
        rows: tuple = (Ellipsis,)                  # every row large: no copies
        if not big.all():
            out[~big] = super().multinomial(n_f[~big], pvals)
            rows = (big,)
        rest = n_f[rows]
        for j, qj in enumerate(q):
            step = self.binomial(rest, qj)
            out[(*rows, j)] = step
            rest = rest - step
        out[(*rows, -1)] = rest
        return out
