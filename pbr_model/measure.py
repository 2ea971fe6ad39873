"""What the evaluator sees: each cohort's measured results against its comparison.

This issue implements the historical-baseline design (TR vs 2011, Doncaster vs
2009): the comparison is the baseline rates of ``population.bands``, weighted by
each cohort's own risk mix (case-mix adjustment). The national trend moves the
measured result because the baseline is fixed in the past.

Arrays are ``(n_sims, n_cohorts)``; a cohort with no entrants (or, for
frequency, no reoffenders) has NaN measures and is paid nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .outcomes import Outcomes
from .spec.schema import ContractSpec


@dataclass(frozen=True)
class Measures:
    """Per (simulation, cohort) results as the evaluator measures them.

    Attributes
    ----------
    n : cohort size [people]
    reoffenders, reoffences : measured counts [people], [reoffences]
    binary_rate : reoffenders / n [fraction]
    baseline_binary_rate : case-mix-adjusted baseline rate [fraction]
    binary_reduction_points : 100 x (baseline - measured) [percentage points]; positive is better
    frequency : reoffences per reoffender [reoffences per reoffender]
    baseline_frequency : case-mix-adjusted baseline per reoffender [reoffences per reoffender]
    frequency_reduction : baseline - measured [reoffences per reoffender]; positive is better
    """

    n: np.ndarray
    reoffenders: np.ndarray
    reoffences: np.ndarray
    binary_rate: np.ndarray
    baseline_binary_rate: np.ndarray
    binary_reduction_points: np.ndarray
    frequency: np.ndarray
    baseline_frequency: np.ndarray
    frequency_reduction: np.ndarray


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def historical_baseline(spec: ContractSpec, outcomes: Outcomes) -> Measures:
    """Measure each cohort against the case-mix-adjusted historical baseline."""
    p0 = np.array([b.binary_rate for b in spec.population.bands])
    m0 = np.array([b.reoffences_per_reoffender for b in spec.population.bands])
    N = outcomes.entrants
    n = N.sum(axis=2)
    k = outcomes.reoffenders.sum(axis=2)
    r = outcomes.reoffences.sum(axis=2)
    expected_k = (N * p0).sum(axis=2)
    expected_r = (N * p0 * m0).sum(axis=2)
    binary = _ratio(k, n)
    base_binary = _ratio(expected_k, n)
    freq = _ratio(r, k)
    base_freq = _ratio(expected_r, expected_k)
    return Measures(
        n=n,
        reoffenders=k,
        reoffences=r,
        binary_rate=binary,
        baseline_binary_rate=base_binary,
        # from counts, not the difference of two rounded rates, so a result exactly at a
        # whole-point threshold meets it
        binary_reduction_points=100 * _ratio(expected_k - k, n),
        frequency=freq,
        baseline_frequency=base_freq,
        frequency_reduction=base_freq - freq,
    )
