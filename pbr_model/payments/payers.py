"""Several outcome payers sharing one mechanism's payments (NYS CEO and Roca: the state and
the US Department of Labor), each with its own maximum.

The convention: each payer pays its ``share`` of every payment the mechanism makes (after
the mechanism's own caps and indexation), month by month, until its ``cap`` is reached;
what a payer's cap stops is not paid by the other payers, so the provider gets less. A cap
binds on the running total in payment order, as ``cap_total`` does over cohorts
(:func:`~pbr_model.payments.rules.cap_cumulative`): a repayment (negative payment) is
shared by the same shares and frees room under a cap. The mechanism's per-cohort figures
are cut by the month's factor, as indexation scales them (:func:`.adjust.scale_flows`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from pydantic import BaseModel

from ..timeline import Timeline
from .adjust import scale_flows
from .base import PaymentFlows
from .rules import cap_cumulative

#: A cap is said to bind when it stops more than this [currency]: half a penny, so float
#: rounding of a share is never a binding cap.
BIND_TOLERANCE = 0.005


@dataclass(frozen=True)
class PayerFlows:
    """What one payer paid under one mechanism.

    Attributes
    ----------
    name : the payer's
    mechanism : the mechanism's name
    share, cap : its terms (``cap`` None: no cap)
    monthly : paid by month, ``(n_sims, n_months)`` [currency]
    due : its share of what the mechanism would have paid without the payers' caps,
        ``(n_sims,)`` [currency]
    """

    name: str
    mechanism: str
    share: float
    cap: float | None
    monthly: np.ndarray
    due: np.ndarray

    @property
    def paid(self) -> np.ndarray:
        """Paid over the contract, ``(n_sims,)`` [currency]."""
        return self.monthly.sum(axis=1)

    @property
    def cap_binds(self) -> np.ndarray:
        """Where its cap was reached (paid within :data:`BIND_TOLERANCE` of it) or stopped
        more than that, ``(n_sims,)`` [bool]; never without a cap."""
        if self.cap is None:
            return np.zeros(self.due.shape, dtype=bool)
        paid = self.paid
        return (self.due - paid > BIND_TOLERANCE) | (paid >= self.cap - BIND_TOLERANCE)


def split_payers(mech: BaseModel, flows: PaymentFlows, timeline: Timeline) -> PaymentFlows:
    """``flows`` of ``mech`` split between its payers, each capped (rules in the module
    docstring); a mechanism without payers comes back as it was."""
    payers = getattr(mech, "payers", ())
    if not payers:
        return flows
    out, cut = [], np.zeros_like(flows.monthly)
    for p in payers:
        due = p.share * flows.monthly
        paid = cap_cumulative(due, p.cap)
        cut += due - paid
        out.append(PayerFlows(p.name, flows.name, p.share, p.cap, paid, due.sum(axis=1)))
    if cut.any():
        # each month's payment cut by what the caps stopped; exactly 1 where none binds
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(flows.monthly != 0,
                              (flows.monthly - cut) / np.where(flows.monthly != 0,
                                                               flows.monthly, 1.0), 1.0)
        flows = scale_flows(flows, timeline, factor)
    return replace(flows, payers=tuple(out))


def split_all(spec, flows: list[PaymentFlows], timeline: Timeline) -> list[PaymentFlows]:
    """Every mechanism's flows split between its payers (``flows`` in spec order)."""
    return [split_payers(m, f, timeline) for m, f in zip(spec.payments, flows)]
