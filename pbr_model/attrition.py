"""Attrition: people the evaluator cannot measure (``[evaluation] attrition``).

Records are lost to data matching: one Justice Data Lab study analysed 142 of the 203
records it was sent (about 30% lost; from the issue that asked for this, see
docs/methodology.md). The service still serves, and is paid fees for, and costs, everyone;
the evaluator measures only the matched people.

Each person is matched independently with probability ``1 - a`` (missing at random: matching
does not depend on reoffending), so in each (simulation, cohort, band) cell the measured
people are ``M ~ Binomial(N, 1 - a)``, and the measured and unmeasured sub-cells are drawn
separately from the same chance of reoffending ``p`` and reoffences per reoffender ``m``.
That is exact: given ``M``, the two sub-cells are independent, and their sums have the
distribution of the whole cell's counts (binomials and negative binomials of a common ``p``
and ``k`` add). The split is drawn only when ``a > 0``, so a contract without attrition
draws exactly the random numbers it always drew.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .sampling import Sampler

#: ``draw(sampler, n, p, k, m) -> (reoffenders, reoffences)``: a cell's counts, exactly
#: (:func:`pbr_model.outcomes.draw_cell_counts`).
CellDraw = Callable[..., tuple[np.ndarray, np.ndarray]]


def draw_matched(sampler: Sampler, attrition: float, draw: CellDraw, n: np.ndarray,
                 p: np.ndarray, k: np.ndarray, m: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
    """Everyone's reoffenders and reoffences, and the matched people's counts.

    Parameters
    ----------
    attrition : share of people lost to data matching, ``a`` [fraction, 0 <= a < 1]
    draw : the engine's exact draw of a cell's counts
    n, p, k, m : people per cell [people], chance of any proven reoffence [fraction],
        negative-binomial size of further reoffences, reoffences per reoffender, each
        broadcast to ``(n_sims, n_cohorts, n_bands)``

    Returns
    -------
    reoffenders, reoffences : everyone's [people], [reoffences]
    matched : ``(people, reoffenders, reoffences)`` of the measured people, or None when
        ``attrition`` is 0 (then everyone is measured and nothing more is drawn)
    """
    if attrition <= 0:
        return (*draw(sampler, n, p, k, m), None)
    measured = sampler.binomial(n, 1.0 - attrition)
    k_m, r_m = draw(sampler, measured, p, k, m)
    k_u, r_u = draw(sampler, n - measured, p, k, m)
    return k_m + k_u, r_m + r_u, (measured, k_m, r_m)
