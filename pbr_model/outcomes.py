"""Cohorts x risk bands x simulations -> entrants, reoffenders, reoffences.

The engine counts people; it never loops over them. Every (simulation, cohort,
risk band) cell is drawn from the exact distribution of its aggregate counts:

* entrants ``N ~ Poisson(E_c * V_s * eps_sc)`` split over bands by a multinomial;
* reoffenders ``K ~ Binomial(N, p)``;
* reoffences ``R = K + X`` where each reoffender has ``1 + NB(k, mu)`` reoffences,
  so the sum of the extras is ``X ~ NB(K k, mu)``, drawn exactly as a
  gamma-Poisson mixture ``X ~ Poisson(Gamma(shape=K k, scale=mu / k))``.

The groups an evaluation design compares the treated with (a comparison or control
group, pre-periods) are drawn by the design (:mod:`pbr_model.designs`), after the
treated cohorts, through the same :func:`draw_cell_counts`.

Array convention: simulations first, ``(n_sims, n_cohorts, n_bands)``.
Every draw goes through a :class:`Sampler`, normals and counts from streams of their own
(common random numbers: a volume shock leaves the effects and factors as they were), so the same code runs with random
draws or with their expected values (``ExpectedSampler``: the no-noise case used
for closed-form checks and ``pbr show``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np

from .areas import draw_area, per_reoffender
from .attrition import draw_matched
from .effects import band_cuts, true_cuts
from .sampling import ExpectedSampler, Sampler  # noqa: F401 (the engine's draws)
from .spec.schema import ContractSpec, EffectDistribution
from .trend import draw_trend, random_walk  # noqa: F401 (the national trend, re-exported)


@dataclass(frozen=True)
class Counts:
    """One group's counts, each ``(n_sims, n_cohorts, n_bands)``.

    Attributes
    ----------
    n : people [people]
    reoffenders : people with at least one proven reoffence [people]
    reoffences : proven reoffences [reoffences]
    events : reconviction events, or None if no rule reads them [events]
    bed_days : custody bed days, or None if no rule reads them [days]
    other : successes of each ``[[outcomes.other]]`` outcome a rule reads [people]
    """

    n: np.ndarray
    reoffenders: np.ndarray
    reoffences: np.ndarray
    events: np.ndarray | None = None
    bed_days: np.ndarray | None = None
    other: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcomes:
    """Counts for one block of simulations; arrays are ``(n_sims, n_cohorts, n_bands)``
    unless stated.

    Attributes
    ----------
    treated : the service's cohorts
    comparison : the matched comparison group or the RCT's control group (None for a
        historical baseline, whose comparison is computed, not drawn)
    treated_pre, comparison_pre : both groups in the period before the service, for a
        difference-in-differences estimate (None unless ``evaluation.did_weight > 0``)
    counterfactual_reoffenders, counterfactual_reoffences : expected counts had the treated
        not received the service (same trend) [people], [reoffences]
    effect_binary, effect_frequency : true relative reductions, ``(n_sims,)`` [fraction]
        (with ``offending_rate`` or ``by_band``: at the baseline mix, :mod:`.effects`)
    effect_other : true relative improvement of each other outcome, ``(n_sims,)`` [fraction]
    trend_logit, trend_log_frequency : national trend, ``(n_sims, n_cohorts)`` [log odds], [log]
    budget_takers : participants taking up the personal budget, ``(n_sims, n_cohorts)`` [people]
    paid_volume : units that attract a per-participant fee, ``(n_sims, n_cohorts)`` [units];
        the entrants themselves unless ``[cohorts]`` sets the paid volume apart (None:
        the entrants, for outcomes built by hand)
    volume_factor, paid_volume_factor : the caseload and paid-volume factors, ``(n_sims,)``
        [dimensionless, mean 1]
    baseline : a historical baseline year drawn with its sampling error, by band,
        ``(n_sims, 1, n_bands)``, or None (the baseline rates are known exactly)
    measured : the treated people the evaluator can measure, when some are lost to data
        matching (``evaluation.attrition``, :mod:`.attrition`); None: everyone is measured
    """

    treated: Counts
    comparison: Counts | None
    treated_pre: Counts | None
    comparison_pre: Counts | None
    counterfactual_reoffenders: np.ndarray
    counterfactual_reoffences: np.ndarray
    effect_binary: np.ndarray
    effect_frequency: np.ndarray
    effect_other: dict[str, np.ndarray]
    trend_logit: np.ndarray
    trend_log_frequency: np.ndarray
    budget_takers: np.ndarray
    paid_volume: np.ndarray | None = None
    volume_factor: np.ndarray | None = None
    paid_volume_factor: np.ndarray | None = None
    baseline: Counts | None = None
    measured: Counts | None = None

    @property
    def entrants(self) -> np.ndarray:
        return self.treated.n

    @property
    def reoffenders(self) -> np.ndarray:
        return self.treated.reoffenders

    @property
    def reoffences(self) -> np.ndarray:
        return self.treated.reoffences


def tree_map(fn: Callable[..., np.ndarray], *items):
    """Apply ``fn`` to matching arrays of several Outcomes/Counts (or dicts of arrays),
    keeping None: used to join, cut and sum blocks without naming every field."""
    first = items[0]
    if first is None:
        return None
    if isinstance(first, np.ndarray):
        return fn(*items)
    if isinstance(first, dict):
        return {k: tree_map(fn, *(i[k] for i in items)) for k in first}
    return type(first)(**{f.name: tree_map(fn, *(getattr(i, f.name) for i in items))
                          for f in fields(first)})


def expected_entrants(spec: ContractSpec) -> np.ndarray:
    """Expected entrants per cohort, ``(n_cohorts,)`` [people]."""
    e = spec.cohorts.entrants_per_period
    return np.broadcast_to(np.asarray(e, dtype=np.float64), (spec.contract.cohorts,)).copy()


@dataclass(frozen=True)
class Shared:
    """Standard normals every area of a portfolio shares, each ``(n_sims,)``, and the share
    of each area's variance they carry (:mod:`pbr_model.analyses.portfolio`).

    An area's standard normal is ``sqrt(share) z_shared + sqrt(1 - share) z_own``, so two
    areas' normals have correlation ``share``, and at ``share = 0`` the area's own draw is
    used unchanged.

    Attributes
    ----------
    volume : national part of the log caseload factor [standard normal]
    paid : national part of the log paid-volume factor's own term (the part not
        correlated with the caseload) [standard normal]
    effect_binary, effect_frequency : the owner's part of the true effects [standard normal]
    volume_share : share of the variance of each area's log volume factors that is national
        [fraction]
    effect_share : share of the variance of each area's true effects that is the owner's
        [fraction]
    """

    volume: np.ndarray
    paid: np.ndarray
    effect_binary: np.ndarray
    effect_frequency: np.ndarray
    volume_share: float = 0.0
    effect_share: float = 0.0


def mix(shared: np.ndarray | None, own: np.ndarray, share: float) -> np.ndarray:
    """``sqrt(share) shared + sqrt(1 - share) own``: a standard normal whose correlation
    with another area's is ``share``; ``own`` itself (the same bits) when ``share`` is 0."""
    if shared is None or share == 0:
        return own
    return np.sqrt(share) * np.reshape(shared, np.shape(own)) + np.sqrt(1 - share) * own


def draw_effect(sampler: Sampler, dist: EffectDistribution, n_sims: int,
                shared: np.ndarray | None = None, share: float = 0.0) -> np.ndarray:
    """True effect per simulation: clipped normal, ``(n_sims,)`` [fraction]; with
    ``shared`` normals, ``share`` of its variance is theirs (see :class:`Shared`)."""
    z = mix(shared, sampler.standard_normal(n_sims), share)
    return np.clip(dist.mean + dist.sd * z, dist.min, dist.max)


def draw_cell_counts(sampler: Sampler, n: np.ndarray, p: np.ndarray, k: np.ndarray,
                     mean_per_reoffender: np.ndarray,
                     reoffenders: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reoffenders and reoffences for cells of ``n`` people, exactly (``reoffenders`` given,
    e.g. drawn jointly with another period's: only the reoffences are drawn).

    Parameters
    ----------
    n : people per cell [people]
    p : probability of at least one proven reoffence [fraction]
    k : negative-binomial size of reoffences beyond the first [dimensionless]
    mean_per_reoffender : mean reoffences per reoffender, >= 1 [reoffences]

    Returns
    -------
    reoffenders, reoffences : arrays of the broadcast shape [people], [reoffences]
    """
    reoffenders = sampler.binomial(n, p) if reoffenders is None else reoffenders
    extra = sampler.negative_binomial_sum(reoffenders, k, np.maximum(mean_per_reoffender - 1, 0))
    return reoffenders, reoffenders + extra


def logit(p):
    """Log odds of a probability [log odds]."""
    return np.log(p) - np.log1p(-p)


def expit(x):
    """Probability of log odds [fraction]. Below -709 log odds exp overflows and the
    probability is its limit, 0 (its true value is below 1e-308)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0: a ratio of counts, e.g. reoffences per
    reoffender."""
    some = den > 0
    with np.errstate(invalid="ignore", divide="ignore"):  # where den <= 0: replaced below
        q = np.true_divide(num, den)
    if np.all(some):   # the usual case: the quotients as they are (np.where would copy them)
        return np.asarray(q)
    return np.where(some, q, np.nan)


def simulate_outcomes(spec: ContractSpec, sampler: Sampler, n_sims: int, *,
                      trend: tuple[np.ndarray, np.ndarray] | None = None,
                      shared: Shared | None = None) -> Outcomes:
    """Draw one block of simulations. The order of draws is fixed, so a block's
    numbers depend only on its generator and size.

    ``trend`` : a national trend drawn elsewhere (``t_logit, t_freq``, each
    ``(n_sims, n_cohorts)`` [log odds], [log]; see :func:`draw_trend`), shared by
    several contracts in a portfolio. Given, it replaces the trend draw and
    ``spec.trend`` is not read; omitted, the trend is drawn here, in the same place
    in the order of draws as always.

    ``shared`` : standard normals shared by a portfolio's areas (:class:`Shared`), mixed
    into this contract's own volume and effect draws; omitted, the draws are its own.

    Common random numbers: the normals (volume factors, period noise, true effects,
    trend, the area's deviation if any, the design's matching bias) and the counts come from the sampler's two streams,
    so a volume shock (a spec whose planned volumes differ) draws the same effects and
    factors, simulation by simulation, as the unshocked spec with the same seed; only
    the counts differ. The paid-volume factor's own normal, when ``[cohorts]`` needs one,
    is the last normal of the block, so a spec that does not set the paid volume apart
    draws exactly what it would without the paid volume.
    """
    C = spec.contract.cohorts
    bands = spec.population.bands
    shares = np.array([b.share for b in bands])
    shares = shares / shares.sum()
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    k = np.array([b.dispersion for b in bands])

    vol = spec.cohorts
    z_case = mix(None if shared is None else shared.volume,
                 sampler.standard_normal((n_sims, 1)), 0.0 if shared is None
                 else shared.volume_share)
    volume = sampler.lognormal_of(z_case, vol.volume_factor_sd)
    noise = sampler.lognormal_mean_one(vol.period_noise_sd, (n_sims, C))
    lam = expected_entrants(spec)[None, :] * volume * noise
    total = sampler.poisson(lam)
    entrants = sampler.multinomial(total, shares)                       # (S, C, B)

    eff = spec.intervention.effect
    e_share = 0.0 if shared is None else shared.effect_share
    # an offending-rate effect takes the binary effect's normals (common random numbers)
    e_bin = draw_effect(sampler, eff.offending_rate if eff.states_rate else eff.binary, n_sims,
                        None if shared is None else shared.effect_binary, e_share)
    e_freq = draw_effect(sampler, eff.frequency, n_sims,
                         None if shared is None else shared.effect_frequency, e_share)
    if trend is None:
        t_logit, t_freq = draw_trend(sampler, spec.trend, n_sims, C)
    else:
        t_logit, t_freq = (np.asarray(a, dtype=np.float64) for a in trend)
        if t_logit.shape != (n_sims, C) or t_freq.shape != (n_sims, C):
            raise ValueError(f"trend: arrays must be (n_sims, n_cohorts) = ({n_sims}, {C}); "
                             f"got {t_logit.shape} and {t_freq.shape}")

    area = draw_area(sampler, spec.area, n_sims, C)   # its own deviation: pbr_model.areas
    p_cf = expit(logit(p0)[None, None, :] + (t_logit + area.logit)[:, :, None])
    m_cf = per_reoffender(m0, t_freq + area.log_frequency)
    cut_bin, cut_freq = band_cuts(spec, e_bin, e_freq)  # (S, 1, B): by band, or as stated
    p_tr = np.clip(p_cf * (1 - cut_bin), 0.0, 1.0)
    m_tr = np.maximum(m_cf * (1 - cut_freq), 1.0)

    reoffenders, reoffences, matched = draw_matched(sampler, spec.evaluation.attrition,
                                                    draw_cell_counts, entrants, p_tr, k, m_tr)
    takers = sampler.binomial(total, spec.intervention.personal_budget.take_up)

    # Everything below is drawn after the draws above, so adding a measure or a comparison
    # group leaves the treated cohorts' numbers as they were.
    used = spec.measures_used()
    others = [o for o in spec.outcomes.other if o.name in used]
    e_other = {o.name: draw_effect(sampler, o.effect, n_sims) for o in others}
    base_other = {o.name: o.base_rate for o in others}
    treated_other = {
        o.name: np.clip(o.base_rate * (1 + (1 if o.higher_is_better else -1) * e_other[o.name]),
                        0.0, 1.0)[:, None, None]
        for o in others
    }
    treated = _extend(sampler, spec, used, Counts(entrants, reoffenders, reoffences),
                      treated_other)
    seen = None if matched is None else _extend(sampler, spec, used, Counts(*matched),
                                                treated_other)

    # the design's groups are drawn with this module's primitives, so its registry is
    # imported here rather than at the top (it imports this module)
    from .designs import DESIGNS, DrawInputs

    def group(n, p, m, reoffenders=None) -> Counts:
        return _group(sampler, spec, used, n, p, k, m, base_other, reoffenders)

    measured = treated if seen is None else seen   # who the evaluator can see
    drawn = DESIGNS[spec.evaluation.design].draw(spec.evaluation, DrawInputs(
        sampler, measured.n, p0, m0, t_logit, per_reoffender(m0, t_freq), group,
        area_logit=area.logit, m_counterfactual_area=m_cf, p_treated=p_tr, treated=measured,
        shares=shares))
    paid, paid_factor = draw_paid_volume(sampler, spec, z_case, volume, noise, lam, total,
                                         shared)
    return Outcomes(
        treated=treated,
        comparison=drawn.comparison,
        treated_pre=drawn.treated_pre,
        comparison_pre=drawn.comparison_pre,
        counterfactual_reoffenders=entrants * p_cf,
        counterfactual_reoffences=entrants * p_cf * m_cf,
        **dict(zip(("effect_binary", "effect_frequency"), true_cuts(spec, e_bin, e_freq))),
        effect_other=e_other,
        trend_logit=t_logit,
        trend_log_frequency=t_freq,
        budget_takers=takers,
        paid_volume=paid,
        volume_factor=volume[:, 0],
        paid_volume_factor=paid_factor[:, 0],
        baseline=drawn.baseline,
        measured=seen,
    )


def planned_paid_volume(spec: ContractSpec) -> np.ndarray:
    """Expected paid volume per cohort, ``(n_cohorts,)`` [units]: ``paid_volume_per_period``,
    or the caseload plan when it is not given."""
    p = spec.cohorts.paid_volume_per_period
    if p is None:
        return expected_entrants(spec)
    return np.broadcast_to(np.asarray(p, dtype=np.float64), (spec.contract.cohorts,)).copy()


def draw_paid_volume(sampler: Sampler, spec: ContractSpec, z_case: np.ndarray,
                     volume: np.ndarray, noise: np.ndarray, lam: np.ndarray, total: np.ndarray,
                     shared: Shared | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Paid volume per cohort ``(n_sims, n_cohorts)`` [units] and the paid-volume factor
    ``(n_sims, 1)``.

    The log paid-volume factor is ``sd_p (rho z_case + sqrt(1 - rho^2) z_2) - sd_p^2 / 2``
    with ``z_case`` the caseload factor's standard normal and ``z_2`` a standard normal of
    its own (drawn here, last in the block, only if ``sd_p > 0`` and ``|rho| < 1``; in a
    portfolio partly national, as ``z_case`` is). Paid volume is
    ``P_c W_s eps_sc N_sc / lam_sc``: the paid plan times its factor, with the caseload's
    period noise ``eps`` and counting noise ``N / lam`` (1 where ``lam`` is 0). When the
    spec does not set the paid volume apart, it is the entrants ``N`` themselves.
    """
    vol = spec.cohorts
    if vol.paid_is_caseload:
        return total, volume
    sd, rho = vol.paid_factor_sd, vol.paid_caseload_correlation
    z_paid = rho * z_case
    if sd > 0 and abs(rho) < 1:
        own = mix(None if shared is None else shared.paid,
                  sampler.standard_normal((z_case.shape[0], 1)),
                  0.0 if shared is None else shared.volume_share)
        z_paid = z_paid + np.sqrt(1 - rho**2) * own
    factor = sampler.lognormal_of(z_paid, sd)
    with np.errstate(invalid="ignore", divide="ignore"):
        counting = np.where(lam > 0, total / np.where(lam > 0, lam, 1), 1.0)
    return planned_paid_volume(spec)[None, :] * factor * noise * counting, factor


def _group(sampler: Sampler, spec: ContractSpec, used: set[str], n, p, k, m,
           other_p: dict[str, float], reoffenders=None) -> Counts:
    """Draw a whole group (comparison, control or a pre-period) cell by cell."""
    reoffenders, reoffences = draw_cell_counts(sampler, n, p, k, m, reoffenders)
    return _extend(sampler, spec, used, Counts(n, reoffenders, reoffences), other_p)


def _extend(sampler: Sampler, spec: ContractSpec, used: set[str], counts: Counts,
            other_p: dict) -> Counts:
    """Add the measures derived from a group's counts that some rule reads: reconviction
    events (thinned extra reoffences), custody bed days (binomial episodes, gamma days)
    and other binary outcomes (binomial at their own rate)."""
    events = bed_days = None
    if "reconviction_events" in used:
        q = spec.outcomes.events.extra_reoffence_share
        extra = counts.reoffences - counts.reoffenders
        events = counts.reoffenders + (extra if q == 1 else sampler.binomial(extra, q))
    if "bed_days" in used:
        c = spec.outcomes.custody
        episodes = sampler.binomial(counts.reoffences, c.probability)
        bed_days = sampler.gamma_sum(episodes, c.days_mean, c.days_sd)
    other = {name: sampler.binomial(counts.n, np.broadcast_to(p, counts.n.shape))
             for name, p in other_p.items()}
    return Counts(counts.n, counts.reoffenders, counts.reoffences, events, bed_days, other)
