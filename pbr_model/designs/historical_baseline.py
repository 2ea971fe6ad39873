"""Historical baseline (TR vs 2011, Doncaster vs 2009): the comparison is the baseline's
counts for the treated cohorts' people, with no trend and no effect, weighted by each
cohort's own risk mix (case-mix adjusted, TR's OGRS adjustment) or by the spec's shares,
measure by measure (``case_mix_adjusted``: TR adjusted only the binary rate).

The baseline rates are the spec's band rates, known exactly; or, with ``baseline_size``,
one year of that size drawn once per simulation, so the baseline carries the sampling error
of the year it was measured in (and the measured change regresses to the mean). Either way
the national trend moves the measured result. An observed-results CSV may give a cohort's
baseline rate and reoffences per reoffender (``baseline_binary``, ``baseline_frequency``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..outcomes import Counts, ratio
from ..stats import band_sum
from .base import Columns, Comparison, Design, DrawInputs, DrawnGroups, Groups

if TYPE_CHECKING:
    from ..spec.schema import ContractSpec
    from ..spec.schema import EvaluationDesign


def draw(ev: EvaluationDesign, inputs: DrawInputs) -> DrawnGroups:
    """Nothing when the baseline rates are known exactly; with ``baseline_size``, the
    baseline year once per simulation: ``rint(baseline_size x share_b)`` people per band,
    reoffenders ``Binomial(n_b, p0_b)`` and every other count as the engine draws a group's,
    ``(n_sims, 1, n_bands)``."""
    if ev.baseline_size is None:
        return DrawnGroups()
    shape = (inputs.entrants.shape[0], 1, inputs.p0.shape[0])
    n = np.broadcast_to(np.rint(ev.baseline_size * inputs.shares), shape)
    return DrawnGroups(baseline=inputs.group(n, np.broadcast_to(inputs.p0, shape),
                                             np.broadcast_to(inputs.m0, shape)))


def baseline_counts(spec: ContractSpec, n_by_band: np.ndarray, measures: set[str]) -> Counts:
    """Expected counts at the historical baseline (no trend, no effect) for people
    ``n_by_band`` ``(..., n_bands)``, summed over bands."""
    bands = spec.population.bands
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    n = band_sum(n_by_band)
    k = band_sum(n_by_band * p0)
    r = band_sum(n_by_band * p0 * m0)
    q = spec.outcomes.events.extra_reoffence_share
    events = band_sum(n_by_band * p0 * (1 + (m0 - 1) * q)) \
        if "reconviction_events" in measures else None
    custody = spec.outcomes.custody
    bed_days = r * custody.probability * custody.days_mean if "bed_days" in measures else None
    other = {o.name: o.base_rate * n for o in spec.outcomes.other if o.name in measures}
    return Counts(n, k, r, events, bed_days, other)


def measured_counts(spec: ContractSpec, n_by_band: np.ndarray, year: Counts) -> Counts:
    """Counts for people ``n_by_band`` ``(n_sims, n_cohorts, n_bands)`` at the per-person
    rates a drawn baseline ``year`` ``(n_sims, 1, n_bands)`` measured in each band, summed
    over bands; a band with no one in the baseline year takes the spec's rates."""
    expected = baseline_counts(spec, np.eye(len(spec.population.bands)), _measures(year))

    def at_rates(count: np.ndarray | None, fallback: np.ndarray | None):
        if count is None:
            return None
        rate = np.where(year.n > 0, ratio(count, year.n), fallback)
        return band_sum(n_by_band * rate)

    return Counts(band_sum(n_by_band), at_rates(year.reoffenders, expected.reoffenders),
                  at_rates(year.reoffences, expected.reoffences),
                  at_rates(year.events, expected.events),
                  at_rates(year.bed_days, expected.bed_days),
                  {k: at_rates(v, expected.other[k]) for k, v in year.other.items()})


def _measures(year: Counts) -> set[str]:
    """The derived measures a drawn group carries counts for."""
    return ({"reconviction_events"} if year.events is not None else set()) \
        | ({"bed_days"} if year.bed_days is not None else set()) | set(year.other)


def at_spec_mix(spec: ContractSpec, n: np.ndarray) -> np.ndarray:
    """People ``n`` split over the bands at the spec's shares, ``(..., n_bands)``."""
    return n[..., None] * np.array([b.share for b in spec.population.bands])


def per_measure(ev: EvaluationDesign, adjusted: Counts, unadjusted: Counts,
                measures: set[str]) -> Counts:
    """The baseline's counts with each measure at its own mix: ``adjusted`` (the cohort's
    own) for the measures ``case_mix_adjusted`` lists, ``unadjusted`` (the spec's shares) for
    the rest. Reoffences follow reoffences per reoffender's choice (scaled to the chosen
    reoffenders), unless a rule reads reoffences per offender and none per reoffender."""
    def pick(measure: str) -> Counts:
        return adjusted if ev.adjusts(measure) else unadjusted

    reoffenders = pick("binary").reoffenders
    if "frequency_per_offender" in measures and "frequency_per_reoffender" not in measures:
        reoffences = pick("frequency_per_offender").reoffences
    else:
        own = pick("frequency_per_reoffender")
        reoffences = reoffenders * ratio(own.reoffences, own.reoffenders)
    return Counts(adjusted.n, reoffenders, reoffences, pick("reconviction_events").events,
                  pick("bed_days").bed_days, adjusted.other)


def evaluation(spec: ContractSpec, groups: Groups) -> Comparison:
    """Against the baseline's counts for the treated cohorts' people: their own risk mix
    for the measures case-mix adjusted (when the mix is known), else the spec's shares (an
    observed CSV has no mix), at the spec's band rates or a drawn baseline year's; a
    cohort's given baseline rate or reoffences per reoffender replace the bands'."""
    treated, ev, measures = groups.treated, spec.evaluation, spec.measures_used()
    by_band = groups.treated_by_band
    spec_mix = by_band is None or ev.case_mix_adjusted is False

    def counts(n_by_band: np.ndarray) -> Counts:
        if groups.baseline is None:
            return baseline_counts(spec, n_by_band, measures)
        return measured_counts(spec, n_by_band, groups.baseline)

    if spec_mix or ev.case_mix_adjusted is True:
        base = counts(at_spec_mix(spec, treated.n) if spec_mix else by_band)
    else:
        base = per_measure(ev, counts(by_band), counts(at_spec_mix(spec, treated.n)), measures)
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
    """e.g. ``"baseline (case-mix adjusted: binary)"``."""
    adjusted = ev.case_mix_adjusted
    if adjusted is True:
        return "baseline (case-mix adjusted)"
    return f"baseline (case-mix adjusted: {', '.join(adjusted)})" if adjusted else "baseline"


DESIGN = Design("historical_baseline", draw, evaluation, columns, describe)
