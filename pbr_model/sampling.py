"""Where every draw of the engine comes from: a :class:`Sampler` of random draws in two
streams (normals and counts: common random numbers across volume shocks), or an
:class:`ExpectedSampler` that gives each draw's expected value (no noise: closed-form
checks and ``pbr show``). Used by :mod:`pbr_model.outcomes` and :mod:`pbr_model.designs`."""

from __future__ import annotations

import numpy as np

from .rng import before_rng, counts_rng

#: A coefficient of variation (sd / mean) at or below which a gamma draw is its mean.
NEGLIGIBLE_CV = 1e-8


class Sampler:
    """Random draws from a seeded :class:`numpy.random.Generator`, in two streams (common
    random numbers, :mod:`pbr_model.rng`): standard normals (volume factors, noise, true
    effects, trend, matching bias) from ``rng``, counts (Poisson, multinomial, binomial,
    gamma) from ``counts``, by default :func:`~pbr_model.rng.counts_rng` of ``rng``. A
    count's draw uses a number of random numbers that depends on its mean, so with one
    stream a change of volume would move every draw after it; with two, a block draws the
    same normals whatever the volumes."""

    def __init__(self, rng: np.random.Generator, counts: np.random.Generator | None = None):
        self.rng = rng
        self._counts = counts
        self._before: np.random.Generator | None = None

    @property
    def counts(self) -> np.random.Generator:
        """The generator of the counts (made on first use)."""
        if self._counts is None:
            self._counts = counts_rng(self.rng)
        return self._counts

    def standard_normal(self, size) -> np.ndarray:
        return self.rng.standard_normal(size)

    def before_normal(self, size) -> np.ndarray:
        """Standard normals for the national trend's pre-contract steps, from a stream of
        their own (:func:`~pbr_model.rng.before_rng`, made on first use): adding
        ``[[trend.before]]`` segments leaves every other draw as it was."""
        if self._before is None:
            self._before = before_rng(self.rng)
        return self._before.standard_normal(size)

    def lognormal_mean_one(self, sigma: float, size) -> np.ndarray:
        """Log-normal factors with mean exactly 1 and log-sd ``sigma``."""
        return self.lognormal_of(self.rng.standard_normal(size), sigma)

    def lognormal_of(self, z: np.ndarray, sigma: float) -> np.ndarray:
        """The mean-one log-normal factor ``exp(sigma z - sigma^2 / 2)`` of standard
        normals ``z`` drawn elsewhere."""
        return np.exp(sigma * z - sigma**2 / 2)

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        return self.counts.poisson(lam).astype(np.float64)

    def multinomial(self, n: np.ndarray, pvals: np.ndarray) -> np.ndarray:
        return self.counts.multinomial(n.astype(np.int64), pvals).astype(np.float64)

    def binomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.counts.binomial(n.astype(np.int64), p).astype(np.float64)

    def negative_binomial_sum(self, count: np.ndarray, k: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Sum of ``count`` iid NB(size k, mean mu) draws, i.e. NB(count*k, mu*count)."""
        lam = self.counts.gamma(count * k, np.divide(mu, k))
        return self.counts.poisson(lam).astype(np.float64)

    def gamma_sum(self, count: np.ndarray, mean: float, sd: float) -> np.ndarray:
        """Sum of ``count`` iid gamma(mean, sd) draws, i.e. gamma(shape count*a, scale).
        An sd below :data:`NEGLIGIBLE_CV` of the mean is read as 0 (each draw is the mean):
        its noise is below a part in 10^8, and the gamma's shape ``(mean / sd)^2`` would
        overflow for an sd such as 1e-160."""
        if sd <= mean * NEGLIGIBLE_CV or mean == 0:
            return np.asarray(count, dtype=np.float64) * mean
        return self.counts.gamma(count * (mean / sd) ** 2, sd**2 / mean)


class ExpectedSampler(Sampler):
    """Replaces every draw by its expected value: a run with no noise at all."""

    def __init__(self):
        super().__init__(rng=None)  # type: ignore[arg-type]

    def standard_normal(self, size) -> np.ndarray:
        return np.zeros(size)

    def before_normal(self, size) -> np.ndarray:
        return np.zeros(size)

    def lognormal_mean_one(self, sigma: float, size) -> np.ndarray:
        return np.ones(size)

    def lognormal_of(self, z, sigma):
        return np.ones(np.shape(z))

    def poisson(self, lam):
        return np.asarray(lam, dtype=np.float64)

    def multinomial(self, n, pvals):
        return np.asarray(n, dtype=np.float64)[..., None] * pvals

    def binomial(self, n, p):
        return np.asarray(n, dtype=np.float64) * p

    def negative_binomial_sum(self, count, k, mu):
        return np.asarray(count, dtype=np.float64) * mu

    def gamma_sum(self, count, mean, sd):
        return np.asarray(count, dtype=np.float64) * mean
