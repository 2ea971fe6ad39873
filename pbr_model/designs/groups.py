"""What the designs with a drawn group (matched comparison, RCT) share: how the group and
a difference-in-differences pre-period are drawn, compared and read from a CSV.

The group has ``ratio`` people per treated person in each cell (the same risk mix, as
matching intends), drawn like the treated but without the effect: living through the
same national trend (concurrent) or none (historical), its log odds of reoffending off by
a matching bias drawn once per simulation. With ``did_weight > 0`` both groups are drawn
again for the period before the service (baseline rates, no trend, no effect, the
comparison's bias), and the counterfactual becomes ``C + w (T_pre - C_pre)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..outcomes import expit, logit
from .base import Columns, Comparison, DrawInputs, DrawnGroups, Groups

if TYPE_CHECKING:
    from ..spec.schema import ContractSpec
    from ..spec.schema import EvaluationDesign


def draw(ev: EvaluationDesign, inputs: DrawInputs) -> DrawnGroups:
    """The comparison group (and, for a DiD blend, both groups' pre-periods)."""
    # drawn even when matching_bias_sd is 0 (always so for an RCT), so every design with a
    # group takes the same random numbers
    bias = ev.matching_bias_sd * inputs.sampler.standard_normal((inputs.entrants.shape[0], 1, 1))
    concurrent = ev.comparison_period == "concurrent"
    n_c = np.rint(ev.ratio * inputs.entrants)
    trend = inputs.trend_logit[:, :, None] if concurrent else 0
    p_c = expit(logit(inputs.p0)[None, None, :] + trend + bias)
    m_c = inputs.m_counterfactual if concurrent else np.broadcast_to(inputs.m0, p_c.shape)
    comparison = inputs.group(n_c, p_c, m_c)
    if ev.did_weight <= 0:
        return DrawnGroups(comparison)
    # the pre-period: the same people before the service, at the baseline level
    p_pre = np.broadcast_to(inputs.p0, inputs.entrants.shape)
    treated_pre = inputs.group(inputs.entrants, p_pre, inputs.m0)
    comparison_pre = inputs.group(n_c, expit(logit(inputs.p0) + bias), inputs.m0)
    return DrawnGroups(comparison, treated_pre, comparison_pre)


def evaluation(spec: ContractSpec, groups: Groups) -> Comparison:
    """Against the group's own counts, which have sampling noise, blended with the DiD
    estimate by ``did_weight``."""
    return Comparison(groups.comparison, known=False, treated_pre=groups.treated_pre,
                      comparison_pre=groups.comparison_pre,
                      did_weight=spec.evaluation.did_weight)


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
    if ev.did_weight > 0:
        label += f", {100 * ev.did_weight:.1f}% DiD"
    return label
