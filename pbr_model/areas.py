"""The area's own deviation from the national trend (``[area]``), drawn for one block.

An area's log odds of reoffending in cohort ``c`` of simulation ``s`` is its baseline's, plus
the national trend ``T_sc``, plus

    A_sc = sd_A Z_s + sd_P Z_sc        Z_s, Z_sc independent standard normals

a persistent deviation drawn once per simulation and an area-by-period one drawn per cohort;
the same for log reoffences per reoffender. So two cohorts' deviations have correlation
``sd_A^2 / (sd_A^2 + sd_P^2)``. The deviations move the treated cohorts' counterfactual and
any group living in the same area (an RCT's control group), not a national comparison
group (see :mod:`pbr_model.designs.groups`).

Random numbers: the normals come from the sampler's normal stream right after the national
trend's, and only those of a non-zero sd are drawn, so a spec without ``[area]`` draws
exactly what it drew before the section existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sampling import Sampler
from .spec.area import Area


@dataclass(frozen=True)
class AreaDeviation:
    """The area's deviations, each ``(n_sims, n_cohorts)``, or the scalar 0.0 when the area
    draws none (adding 0.0 leaves the national figures bit for bit as they were).

    Attributes
    ----------
    logit : deviation of the log odds of reoffending [log odds]
    log_frequency : deviation of log reoffences per reoffender [log]
    """

    logit: np.ndarray | float = 0.0
    log_frequency: np.ndarray | float = 0.0


def _deviation(sampler: Sampler, sd: float, period_sd: float, n_sims: int,
               n_periods: int) -> np.ndarray | float:
    """``sd Z_s + period_sd Z_sc``, ``(n_sims, n_periods)``, drawing only what is non-zero."""
    out: np.ndarray | float = 0.0
    if sd > 0:
        out = sd * sampler.standard_normal((n_sims, 1)) * np.ones((1, n_periods))
    if period_sd > 0:
        out = out + period_sd * sampler.standard_normal((n_sims, n_periods))
    return out


def draw_area(sampler: Sampler, area: Area, n_sims: int, n_periods: int) -> AreaDeviation:
    """Draw the area's deviations for a block: binary (persistent, then per period), then
    frequency (persistent, then per period), each normal only if its sd is above 0."""
    if not area.is_on:
        return AreaDeviation()
    return AreaDeviation(
        _deviation(sampler, area.binary_logit_sd, area.binary_logit_period_sd, n_sims,
                   n_periods),
        _deviation(sampler, area.frequency_log_sd, area.frequency_log_period_sd, n_sims,
                   n_periods))


def per_reoffender(m0: np.ndarray, log_shift: np.ndarray | float) -> np.ndarray:
    """Reoffences per reoffender ``max(1, m0_b exp(shift_sc))``, ``(n_sims, n_cohorts,
    n_bands)`` [reoffences], for band baselines ``m0`` ``(n_bands,)`` and a log shift
    ``(n_sims, n_cohorts)`` (the national trend, with or without the area's deviation)."""
    return np.maximum(m0[None, None, :] * np.exp(np.asarray(log_shift)[:, :, None]), 1.0)
