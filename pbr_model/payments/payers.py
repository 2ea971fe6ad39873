"""Several outcome payers sharing one mechanism's payments (NYS CEO and Roca: the state and
the US Department of Labor), each with its own maximum.

The convention: each payer pays its ``share`` of every payment the mechanism makes (after
the mechanism's own caps and indexation), month by month, until its ``cap`` is reached;
what a payer's cap stops is not paid by the other payers, so the provider gets less. A cap
binds on the running total in payment order, as ``cap_total`` does over cohorts
(:func:`~pbr_model.payments.rules.cap_cumulative`: what is paid so far is the cap or the
total owed so far, net of repayments, whichever is less): a repayment (negative payment) is
shared by the same shares; within the cap it frees room under it, and while the cap holds
back more than it, it is waived. The mechanism's per-cohort figures
are cut by the month's factor, as indexation scales them (:func:`.adjust.scale_flows`).

A payer named by several mechanisms (NYS CEO: New York State pays the transitional-jobs
payments and a share of the outcome payments) has **one** cap, its maximum
over the contract, as published maximum payments are: the running total of what it owes
under all of them is capped month by month (:func:`~pbr_model.payments.rules.cap_cumulative`),
and a month's cut falls on the payments it owes that month, in proportion to each (or, where
the cap waives part of a repayment, on its repayments). The spec must give such a
payer the same cap wherever it names it
(:func:`pbr_model.spec.payments.shared_cap_problems`).
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
    paid_under_cap : where other mechanisms share its cap, what it paid under all of them,
        ``(n_sims,)`` [currency]; None where the cap is this mechanism's alone
    """

    name: str
    mechanism: str
    share: float
    cap: float | None
    monthly: np.ndarray
    due: np.ndarray
    #: A cap shared with other mechanisms: what the payer paid under all of them,
    #: ``(n_sims,)`` [currency]; None where the cap is this mechanism's alone
    paid_under_cap: np.ndarray | None = None

    @property
    def paid(self) -> np.ndarray:
        """Paid over the contract, ``(n_sims,)`` [currency]."""
        return self.monthly.sum(axis=1)

    @property
    def cap_binds(self) -> np.ndarray:
        """Where its cap was reached (paid within :data:`BIND_TOLERANCE` of it, under every
        mechanism that shares the cap) or stopped more than that here, ``(n_sims,)``
        [bool]; never without a cap."""
        if self.cap is None:
            return np.zeros(self.due.shape, dtype=bool)
        paid = self.paid
        under = paid if self.paid_under_cap is None else self.paid_under_cap
        return (self.due - paid > BIND_TOLERANCE) | (under >= self.cap - BIND_TOLERANCE)


def split_payers(mech: BaseModel, flows: PaymentFlows, timeline: Timeline,
                 shared: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> PaymentFlows:
    """``flows`` of ``mech`` split between its payers, each capped (rules in the module
    docstring); a mechanism without payers comes back as it was. ``shared``: for a payer
    whose cap other mechanisms share, ``(cut share, paid under the cap)`` from
    :func:`shared_cuts`."""
    payers = getattr(mech, "payers", ())
    if not payers:
        return flows
    out, cut = [], np.zeros_like(flows.monthly)
    for p in payers:
        due = p.share * flows.monthly
        if shared and p.name in shared:
            fraction, paid_under_cap = shared[p.name]
            # the cut comes off payments (fraction > 0: the cap stops some) or off repayments
            # (fraction < 0: it waives some); the other kind is paid as owed
            cut_from = np.where(fraction > 0, np.maximum(due, 0.0),
                                np.where(fraction < 0, np.minimum(due, 0.0), 0.0))
            paid = due - cut_from * np.abs(fraction)
        else:
            paid, paid_under_cap = cap_cumulative(due, p.cap), None
        cut += due - paid
        out.append(PayerFlows(p.name, flows.name, p.share, p.cap, paid, due.sum(axis=1),
                              paid_under_cap))
    if cut.any():
        # each month's payment cut by what the caps stopped; exactly 1 where none binds
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(flows.monthly != 0,
                              (flows.monthly - cut) / np.where(flows.monthly != 0,
                                                               flows.monthly, 1.0), 1.0)
        flows = scale_flows(flows, timeline, factor)
    return replace(flows, payers=tuple(out))


def shared_caps(payments) -> dict[str, float]:
    """The caps that several mechanisms share: ``{payer: cap}`` for each capped payer that
    more than one of ``payments`` names (the spec gives it the same cap in each)."""
    named: dict[str, list[float | None]] = {}
    for m in payments:
        for p in getattr(m, "payers", ()):
            named.setdefault(p.name, []).append(p.cap)
    return {name: caps[0] for name, caps in named.items()
            if len(caps) > 1 and caps[0] is not None}


def shared_cuts(spec, flows: list[PaymentFlows]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each cap several mechanisms share (:func:`shared_caps`): what the payer owes under
    all of them is capped on its running total, month by month (:func:`.rules.cap_cumulative`),
    and the month's cut is taken from the payments it owes that month in proportion (or, where
    the cap waives part of a repayment, from its repayments). Returns
    ``{payer: (fraction of each month's payments cut, or minus the fraction of its
    repayments waived, (n_sims, n_months); paid under the cap, (n_sims,))}``."""
    out = {}
    for name, cap in shared_caps(spec.payments).items():
        owed, owed_out, owed_back = 0.0, 0.0, 0.0   # all it owes; its payments; repayments
        for m, f in zip(spec.payments, flows):
            for p in getattr(m, "payers", ()):
                if p.name == name:
                    due = p.share * f.monthly
                    owed = owed + due
                    owed_out = owed_out + np.maximum(due, 0.0)
                    owed_back = owed_back + np.minimum(due, 0.0)
        paid = cap_cumulative(owed, cap)
        # what the cap stops: > 0 comes off the month's payments, < 0 (a repayment the cap
        # waives) off its repayments; exactly 0 where the cap does not bind
        cut = owed - paid
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(cut > 0, cut / np.where(owed_out > 0, owed_out, 1.0),
                                np.where(cut < 0, -cut / np.where(owed_back < 0, owed_back, -1.0),
                                         0.0))
        out[name] = (fraction, paid.sum(axis=1))
    return out


def split_all(spec, flows: list[PaymentFlows], timeline: Timeline) -> list[PaymentFlows]:
    """Every mechanism's flows split between its payers (``flows`` in spec order), a cap
    that several mechanisms share applied to them together (:func:`shared_cuts`)."""
    shared = shared_cuts(spec, flows)
    return [split_payers(m, f, timeline, shared) for m, f in zip(spec.payments, flows)]
