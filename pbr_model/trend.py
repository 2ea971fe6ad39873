"""The national trend, drawn: random walks in the log odds of reoffending and in log
reoffences per reoffender, from the historical baseline through every cohort.

A walk's value at cohort c (1-based) is the sum of every pre-contract step (the
``[[trend.before]]`` segments: the cohort periods between the baseline and the first cohort)
plus the contract steps of cohorts 1 to c. Each period's binary step ``a_b + s_b z_b`` and
frequency step ``a_f + s_f (rho z_b + sqrt(1 - rho^2) z_f)`` share the standard normal
``z_b``, so their correlation is ``rho`` (``trend.correlation``), before and during the
contract.

Order of draws (common random numbers): the contract periods' binary normals, then their
frequency normals, as always; the pre-contract binary normals and frequency normals,
``(n_sims, periods before)`` each, come from a stream of their own
(:meth:`~pbr_model.sampling.Sampler.before_normal`), drawn only if there are segments. So
adding or changing segments moves no other draw of the block (volumes, effects, the contract
steps), and with no segments and ``rho = 0`` the walks are bit for bit those drawn before
these fields existed.

Array convention: simulations first, ``(n_sims, n_periods)``. Every sum is a cumulative sum
along a row, so a simulation's walk does not depend on how many rows its block has.
"""

from __future__ import annotations

import numpy as np

from .sampling import Sampler
from .spec.trend import Trend


def random_walk(sampler: Sampler, drift: float, sd: float, n_sims: int, n_periods: int) -> np.ndarray:
    """Cumulative random walk from the baseline level, ``(n_sims, n_periods)``."""
    steps = drift + sd * sampler.standard_normal((n_sims, n_periods))
    return np.cumsum(steps, axis=1)


def correlated(z_b: np.ndarray, z_f: np.ndarray, rho: float) -> np.ndarray:
    """``rho z_b + sqrt(1 - rho^2) z_f``: a standard normal with correlation ``rho`` with
    ``z_b``; ``z_f`` itself (the same bits) when ``rho`` is 0."""
    if rho == 0:
        return z_f
    return rho * z_b + np.sqrt(1 - rho**2) * z_f


def segment_steps(trend: Trend) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each pre-contract period's binary drift and sd and frequency drift and sd, in time
    order from the baseline, each ``(periods before,)`` [log odds], [log] per period."""
    def per_period(name: str) -> np.ndarray:
        return np.repeat([getattr(s, name) for s in trend.before],
                         [s.periods for s in trend.before]).astype(np.float64)

    return (per_period("binary_logit_drift"), per_period("binary_logit_sd"),
            per_period("frequency_log_drift"), per_period("frequency_log_sd"))


def draw_trend(sampler: Sampler, trend: Trend, n_sims: int,
               n_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """The national trend: random walks in the log odds of reoffending and in log
    reoffences per reoffender, each ``(n_sims, n_periods)`` [log odds], [log], the value at
    each cohort including every pre-contract step (see the module docstring)."""
    rho = trend.correlation
    z_b = sampler.standard_normal((n_sims, n_periods))
    z_f = correlated(z_b, sampler.standard_normal((n_sims, n_periods)), rho)
    steps_b = trend.binary_logit_drift + trend.binary_logit_sd * z_b
    steps_f = trend.frequency_log_drift + trend.frequency_log_sd * z_f
    before = trend.periods_before
    if before:
        pre_b = sampler.before_normal((n_sims, before))
        pre_f = correlated(pre_b, sampler.before_normal((n_sims, before)), rho)
        drift_b, sd_b, drift_f, sd_f = segment_steps(trend)
        steps_b = np.concatenate([drift_b + sd_b * pre_b, steps_b], axis=1)
        steps_f = np.concatenate([drift_f + sd_f * pre_f, steps_f], axis=1)
    return np.cumsum(steps_b, axis=1)[:, before:], np.cumsum(steps_f, axis=1)[:, before:]

