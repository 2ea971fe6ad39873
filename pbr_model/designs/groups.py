"""What the designs with a drawn group (matched comparison, RCT) share: how the group and
a difference-in-differences pre-period are drawn, compared and read from a CSV.

The group has ``ratio`` people per treated person in each cell (the same risk mix, as
matching intends), drawn like the treated but without the effect: living through the
same national trend (concurrent) or none (historical), its log odds of reoffending off by
a matching bias drawn once per simulation. With ``did_weight > 0`` both groups are drawn
again for the period before the service (baseline rates, no trend, no effect, the
comparison's bias), and the counterfactual becomes ``C + w (T_pre - C_pre)``. A person's
reoffending in the pre-period may be correlated with the post-period's
(``pre_post_correlation``), and the treated pre-period shifted (``pre_period_logit_shift``,
an Ashenfelter dip), which a randomised control group shares unless the DiD leg's
comparison is non-randomised (``did_comparison``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..outcomes import Counts, expit, logit, tree_map
from .base import Columns, Comparison, DrawInputs, DrawnGroups, Groups

if TYPE_CHECKING:
    from ..spec.schema import ContractSpec
    from ..spec.schema import EvaluationDesign


def draw(ev: EvaluationDesign, inputs: DrawInputs, same_area: bool = False) -> DrawnGroups:
    """The comparison group (and, for a DiD blend, both groups' pre-periods). ``same_area``:
    the group lives in the treated cohorts' area and was randomised from the same referrals
    (an RCT's control group), so it shares the area's own deviation (``[area]``) and the
    treated pre-period's shift (``pre_period_logit_shift``, unless ``did_comparison`` says
    the DiD leg's comparison is non-randomised); a matched comparison group is national and
    shares neither."""
    # drawn even when matching_bias_sd is 0 (always so for an RCT), so every design with a
    # group takes the same random numbers
    bias = ev.matching_bias_sd * inputs.sampler.standard_normal((inputs.entrants.shape[0], 1, 1))
    concurrent = ev.comparison_period == "concurrent"
    shared = concurrent and same_area
    n_c = np.rint(ev.ratio * inputs.entrants)
    trend = 0
    if concurrent:
        trend = (inputs.trend_logit + inputs.area_logit if shared else inputs.trend_logit)
        trend = trend[:, :, None]
    p_c = expit(logit(inputs.p0)[None, None, :] + trend + bias)
    if concurrent:
        m_c = inputs.m_counterfactual_area if shared else inputs.m_counterfactual
    else:
        m_c = np.broadcast_to(inputs.m0, p_c.shape)
    comparison = effective(inputs.group, n_c, p_c, m_c, ev.design_effect)
    if ev.did_weight <= 0:
        return DrawnGroups(comparison)
    # the pre-period: the same people before the service, at the baseline level (and the
    # treated's dip, shared by a randomised control group)
    shift = ev.pre_period_logit_shift
    p_pre = np.broadcast_to(inputs.p0 if shift == 0 else expit(logit(inputs.p0) + shift),
                            inputs.entrants.shape)
    # a randomised control group shares the dip; the DiD leg of Roca's evaluation compared
    # enrolees with a non-randomised group, which does not (did_comparison)
    shares_dip = same_area and ev.did_comparison == "control"
    p_c_pre = expit(logit(inputs.p0) + bias + (shift if shares_dip else 0.0))
    rho = ev.pre_post_correlation
    if rho == 0:   # independent of the post-period (the draws before pre_post_correlation)
        treated_pre = inputs.group(inputs.entrants, p_pre, inputs.m0)
        comparison_pre = effective(inputs.group, n_c, p_c_pre, inputs.m0, ev.design_effect)
        return DrawnGroups(comparison, treated_pre, comparison_pre)
    sampler = inputs.sampler
    k_t = pre_reoffenders(sampler, inputs.entrants, inputs.treated.reoffenders,
                          inputs.p_treated, p_pre, rho)
    treated_pre = inputs.group(inputs.entrants, p_pre, inputs.m0, reoffenders=k_t)
    k_c = pre_reoffenders(sampler, n_c, comparison.reoffenders, p_c, p_c_pre, rho)
    comparison_pre = inputs.group(n_c, p_c_pre, inputs.m0, reoffenders=k_c)
    return DrawnGroups(comparison, treated_pre, comparison_pre)


def joint_reoffending(p_post: np.ndarray, p_pre: np.ndarray,
                      rho: float) -> tuple[np.ndarray, np.ndarray]:
    """A person's chance of reoffending in the pre-period given that they did, and given
    that they did not, reoffend in the post-period: ``(p11 / p1, (p2 - p11) / (1 - p1))``,
    with ``p11 = p1 p2 + rho sqrt(p1 (1 - p1) p2 (1 - p2))`` the chance of both (a bivariate
    Bernoulli with correlation ``rho``), clipped to what the marginal rates allow,
    ``max(0, p1 + p2 - 1) <= p11 <= min(p1, p2)``: where ``rho`` is infeasible the cell
    takes the nearest feasible correlation [fraction]."""
    p1, p2 = np.broadcast_arrays(np.asarray(p_post, dtype=np.float64),
                                 np.asarray(p_pre, dtype=np.float64))
    p11 = p1 * p2 + rho * np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    p11 = np.clip(p11, np.maximum(0.0, p1 + p2 - 1), np.minimum(p1, p2))
    with np.errstate(invalid="ignore", divide="ignore"):
        given_yes = np.where(p1 > 0, p11 / np.where(p1 > 0, p1, 1), p2)
        given_no = np.where(p1 < 1, (p2 - p11) / np.where(p1 < 1, 1 - p1, 1), p2)
    return np.clip(given_yes, 0.0, 1.0), np.clip(given_no, 0.0, 1.0)


def pre_reoffenders(sampler, n: np.ndarray, k_post: np.ndarray, p_post: np.ndarray,
                    p_pre: np.ndarray, rho: float) -> np.ndarray:
    """Pre-period reoffenders of cells of ``n`` people of whom ``k_post`` reoffended in the
    post-period, exactly in aggregate: ``Binomial(K, p11/p1) + Binomial(n - K, p01/(1 - p1))``
    (:func:`joint_reoffending`) [people]."""
    given_yes, given_no = joint_reoffending(p_post, p_pre, rho)
    return sampler.binomial(k_post, given_yes) + sampler.binomial(n - k_post, given_no)


def effective(group, n: np.ndarray, p: np.ndarray, m: np.ndarray, design_effect: float) -> Counts:
    """A group of ``n`` people whose counts vary as a group of ``n / design_effect`` (a
    matched group drawn with replacement: Kish's design effect): drawn at that effective
    size (at least 1 where ``n > 0``) and scaled back up to ``n``, so its rates have the
    effective size's variance. At ``design_effect = 1`` it is ``group(n, p, m)``."""
    if design_effect == 1:
        return group(n, p, m)
    n_eff = np.where(n > 0, np.maximum(np.rint(n / design_effect), 1.0), 0.0)
    scale = np.where(n_eff > 0, n / np.where(n_eff > 0, n_eff, 1.0), 0.0)
    return tree_map(lambda a: a * scale, group(n_eff, p, m))


def evaluation(spec: ContractSpec, groups: Groups) -> Comparison:
    """Against the group's own counts, which have sampling noise, blended with the DiD
    estimate by ``did_weight``."""
    return Comparison(groups.comparison, known=False, treated_pre=groups.treated_pre,
                      comparison_pre=groups.comparison_pre,
                      did_weight=spec.evaluation.did_weight,
                      design_effect=spec.evaluation.design_effect)


def columns(ev: EvaluationDesign) -> Columns:
    """Both groups' counts, and with a DiD blend both groups' pre-period counts."""
    pre = ("pre_", "comparison_pre_") if ev.did_weight > 0 else ()
    return Columns(groups=("", "comparison_"), pre=pre)


def describe(group: str, ev: EvaluationDesign) -> str:
    """``group`` ('matched comparison group', 'control group') with its size per treated
    person, whether it is historical and any DiD weight, e.g. ``"control group, 0.958 per
    person, 20.0% DiD"``."""
    label = f"{group}, {ev.ratio:g} per person"
    if ev.comparison_period == "historical":
        label = "historical " + label
    if ev.design_effect != 1:
        label += f", design effect {ev.design_effect:g}"
    if ev.did_weight > 0:
        label += f", {100 * ev.did_weight:.1f}% DiD"
    return label
