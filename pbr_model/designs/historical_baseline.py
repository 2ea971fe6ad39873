"""Historical baseline (TR vs 2011, Doncaster vs 2009): the comparison is the expectation at
the spec's band rates (``population.bands``) with no trend and no effect, weighted by each
cohort's own risk mix (case-mix adjusted, TR's OGRS adjustment) or by the spec's shares.

It is fixed in the past, so nothing is drawn for it, it has no sampling noise, and the
national trend moves the measured result. An observed-results CSV may give a cohort's
baseline rate and reoffences per reoffender (``baseline_binary``, ``baseline_frequency``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..outcomes import Counts, ratio
from .base import Columns, Comparison, Design, DrawInputs, DrawnGroups, Groups

if TYPE_CHECKING:
    from ..spec.schema import ContractSpec
    from ..spec.schema import EvaluationDesign


def draw(ev: EvaluationDesign, inputs: DrawInputs) -> DrawnGroups:
    """Nothing: the baseline is computed, not drawn."""
    return DrawnGroups()


def baseline_counts(spec: ContractSpec, n_by_band: np.ndarray, measures: set[str]) -> Counts:
    """Expected counts at the historical baseline (no trend, no effect) for people
    ``n_by_band`` ``(..., n_bands)``, summed over bands."""
    bands = spec.population.bands
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    n = n_by_band.sum(axis=-1)
    k = (n_by_band * p0).sum(axis=-1)
    r = (n_by_band * p0 * m0).sum(axis=-1)
    q = spec.outcomes.events.extra_reoffence_share
    events = (n_by_band * p0 * (1 + (m0 - 1) * q)).sum(axis=-1) \
        if "reconviction_events" in measures else None
    custody = spec.outcomes.custody
    bed_days = r * custody.probability * custody.days_mean if "bed_days" in measures else None
    other = {o.name: o.base_rate * n for o in spec.outcomes.other if o.name in measures}
    return Counts(n, k, r, events, bed_days, other)


def at_spec_mix(spec: ContractSpec, n: np.ndarray) -> np.ndarray:
    """People ``n`` split over the bands at the spec's shares, ``(..., n_bands)``."""
    return n[..., None] * np.array([b.share for b in spec.population.bands])


def evaluation(spec: ContractSpec, groups: Groups) -> Comparison:
    """Against the baseline's expected counts for the treated cohorts' people: their own risk
    mix if case-mix adjusted and known, else the spec's shares (an observed CSV has no
    mix); a cohort's given baseline rate or reoffences per reoffender replace the bands'."""
    treated = groups.treated
    by_band = groups.treated_by_band
    if by_band is None or not spec.evaluation.case_mix_adjusted:
        by_band = at_spec_mix(spec, treated.n)
    base = baseline_counts(spec, by_band, spec.measures_used())
    if groups.given:
        given_b, given_f = groups.given["baseline_binary"], groups.given["baseline_frequency"]
        per_reoffender = np.where(np.isnan(given_f), ratio(base.reoffences, base.reoffenders),
                                  given_f)
        reoffenders = np.where(np.isnan(given_b), base.reoffenders, given_b * treated.n)
        base = replace(base, reoffenders=reoffenders, reoffences=reoffenders * per_reoffender)
    return Comparison(base, known=True)


def _rate(v: float) -> str | None:
    return None if 0 < v < 1 else "must be a fraction between 0 and 1, e.g. 0.475"


def _per_reoffender(v: float) -> str | None:
    return None if v >= 1 else "reoffences per reoffender must be 1 or more"


def columns(ev: EvaluationDesign) -> Columns:
    """The treated counts only; each cohort's baseline rate and reoffences per reoffender
    may be given."""
    return Columns(groups=("",), own={"baseline_binary": _rate,
                                      "baseline_frequency": _per_reoffender})


def describe(ev: EvaluationDesign) -> str:
    return "baseline (case-mix adjusted)" if ev.case_mix_adjusted else "baseline"


DESIGN = Design("historical_baseline", draw, evaluation, columns, describe)
