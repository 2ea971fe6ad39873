"""Changes to what a mechanism pays after it has paid: price indexation (and, in
:mod:`.renegotiation`, a renegotiated price), applied to its flows month by month.

The convention: a payment is made at the prices in force in the month it is paid. So a
mechanism's monthly flows are multiplied by the month's factor; its per-cohort figures
by the factor of the months they are paid in: an outcome mechanism's at the cohort's
payment month (its pooled payment at the last cohort's), a fee's per-person part at the
mean factor of the months after entry in which it is paid in arrears. (With a foundation
advance, the advance is paid at its month's prices and the reconciliation at the payment
month's, so the per-cohort figure then differs from the cash by the change in between:
the monthly cash is exact.)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import PaymentFlows


def scale_flows(flows: PaymentFlows, timeline: Timeline, factor: np.ndarray) -> PaymentFlows:
    """``flows`` with each month's payments multiplied by ``factor``, ``(n_months,)`` or
    ``(n_sims, n_months)`` [dimensionless], and its per-cohort figures to match."""
    f = np.broadcast_to(factor, flows.monthly.shape)
    if flows.kind == "fee":
        months = timeline.entry_month[None, :] + 1 + np.arange(timeline.cohort_months)[:, None]
        months = np.minimum(months, timeline.n_months - 1)
        per_cohort = f[:, months].mean(axis=1)   # (n_sims, n_cohorts): over a few months
    else:
        per_cohort = f[:, timeline.payment_month]
    return replace(
        flows,
        monthly=flows.monthly * f,
        by_cohort=flows.by_cohort * per_cohort,
        parts={k: v * per_cohort for k, v in flows.parts.items()},
        pooled=None if flows.pooled is None else flows.pooled * f[:, timeline.payment_month[-1]],
    )


def index_prices(spec: ContractSpec, flows: list[PaymentFlows],
                 timeline: Timeline) -> list[PaymentFlows]:
    """Every mechanism's flows with its price indexation (``[[indexation.prices]]``) applied;
    mechanisms not indexed come back as they were. ``flows`` in spec order."""
    out = []
    for i, f in enumerate(flows):
        index = spec.price_index(i)
        uplift = 0.0 if index is None else spec.indexation.uplift(index)
        out.append(f if uplift == 0 else
                   scale_flows(f, timeline, timeline.annual_index(uplift)))
    return out
