"""Changes to what a mechanism pays after it has paid: price indexation (and, in
:mod:`.renegotiation`, a renegotiated price), applied to its flows month by month.

Price indexation has two conventions (``[[indexation.prices]] basis``):

* ``"service"`` (the default, as contracts usually price): a payment at the index of the
  period it pays for. A fee, paid in arrears, at the index of the month served (the cash of
  month ``m`` at month ``m - 1``'s index); its per-cohort part at the mean index of the
  cohort's entry months. An outcome payment at the mean index of its cohort's entry months
  (the pooled payment at the mean over every cohort's); the uplift is paid with the cohort's
  payment (with a foundation advance, with the reconciliation, so the cohort's total is
  exact).
* ``"payment"``: a payment at the prices in force in the month it is paid. The mechanism's
  monthly flows are multiplied by the month's factor; its per-cohort figures by the factor of
  the months they are paid in: an outcome mechanism's at the cohort's payment month (its
  pooled payment at the last cohort's), a fee's per-person part at the mean factor of the
  months after entry in which it is paid in arrears. (With a foundation advance, the advance
  is paid at its month's prices and the reconciliation at the payment month's, so the
  per-cohort figure then differs from the cash by the change in between: the monthly cash is
  exact.)

A renegotiated price (:mod:`.renegotiation`) and a payer's cap (:mod:`.payers`) act on the
cash as paid, with :func:`scale_flows`.

A mechanism's ``cap_total`` is the most it pays in cash (Peterborough's GBP 6.26m was a fixed
Big Lottery Fund commitment [BLF]; ABLE's and Roca's maxima are published in dollars
[IND]). The mechanism applies it at the spec's prices, over cohorts; where indexation or a
renegotiated price then raises the cash, :func:`cap_cash` applies it again to the running
total of the cash in payment order (until 0.24.0 an indexed or renegotiated mechanism could
pay more than its cap). ``cap_per_cohort`` stays at the spec's prices: it moves with the
index and a renegotiated price, as the prices do.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import PaymentFlows
from .rules import cap_cumulative


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


def index_by_service(flows: PaymentFlows, timeline: Timeline,
                     index: np.ndarray) -> PaymentFlows:
    """``flows`` priced at the index, ``(n_months,)`` [dimensionless], of the period each
    payment is for (basis ``"service"``): a fee's cash of month ``m`` at month ``m - 1``'s
    (fees are paid in arrears), an outcome payment at the mean over its cohort's entry
    months, a pooled payment at the mean over every cohort's."""
    months = timeline.entry_month[None, :] + np.arange(timeline.cohort_months)[:, None]
    by_cohort = index[months].mean(axis=0)                 # (n_cohorts,): over a few months
    if flows.kind == "fee":
        served = np.concatenate([index[:1], index[:-1]])  # month m's cash is for month m - 1
        return replace(
            flows,
            monthly=flows.monthly * served,
            by_cohort=flows.by_cohort * by_cohort,
            parts={k: v * by_cohort for k, v in flows.parts.items()},
            pooled=None if flows.pooled is None else flows.pooled * by_cohort.mean(),
        )
    uplift = timeline.at_payment_months(flows.by_cohort * (by_cohort - 1.0))
    pooled = None
    if flows.pooled is not None:
        pooled = flows.pooled * by_cohort.mean()
        uplift[:, timeline.payment_month[-1]] += pooled - flows.pooled
    return replace(
        flows,
        monthly=flows.monthly + uplift,
        by_cohort=flows.by_cohort * by_cohort,
        parts={k: v * by_cohort for k, v in flows.parts.items()},
        pooled=pooled,
    )


#: The cash cap binds where the running total passes it by more than this share of it, so
#: the rounding of an uplift of 1 (or of a running sum) never reads as a binding cap.
CAP_TOLERANCE = 1e-12


def cap_cash(flows: PaymentFlows, before: PaymentFlows, cap: float | None,
             timeline: Timeline) -> PaymentFlows:
    """``flows``, the cash of ``before`` raised by indexation or a renegotiated price, with
    the running total of its cash, in payment order, held to ``cap`` [currency]
    (:func:`~pbr_model.payments.rules.cap_cumulative`: repayments net, and one while the cap
    holds back more is waived), or to the most ``before`` had paid by any month where that
    is more; each month's per-cohort figures cut by the month's factor (:func:`scale_flows`).
    Only the simulations where the running total passes that cap change: the others keep
    their bytes, a simulation the raise did not reach among them."""
    if cap is None:
        return flows
    ceiling = np.maximum(cap, np.cumsum(before.monthly, axis=1).max(axis=1, initial=0.0))
    binds = (np.cumsum(flows.monthly, axis=1)
             > ceiling[:, None] * (1 + CAP_TOLERANCE)).any(axis=1)
    if not binds.any():
        return flows
    paid = cap_cumulative(flows.monthly[binds], ceiling[binds, None])
    factor = np.ones_like(flows.monthly)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor[binds] = np.where(flows.monthly[binds] != 0, paid / np.where(
            flows.monthly[binds] != 0, flows.monthly[binds], 1.0), 1.0)
    return scale_flows(flows, timeline, factor)


def index_prices(spec: ContractSpec, flows: list[PaymentFlows],
                 timeline: Timeline) -> list[PaymentFlows]:
    """Every mechanism's flows with its price indexation (``[[indexation.prices]]``, on its
    ``basis``) applied, then its ``cap_total`` on the cash (:func:`cap_cash`); mechanisms
    not indexed come back as they were. ``flows`` in spec order."""
    out = []
    for i, f in enumerate(flows):
        index = spec.price_index(i)
        uplift = 0.0 if index is None else spec.indexation.uplift(index)
        if uplift == 0:
            out.append(f)
            continue
        if index.basis == "payment":
            raised = scale_flows(f, timeline, timeline.annual_index(uplift))
        else:
            raised = index_by_service(f, timeline, timeline.annual_index(uplift))
        out.append(cap_cash(raised, f, getattr(spec.payments[i], "cap_total", None), timeline))
    return out
