"""Renegotiation (``[[renegotiation]]``): one-off changes to a running contract, scheduled or
triggered per simulation (the Ministry of Justice added about GBP 342m to the CRC contracts in
2017 [NAO17][NAO19t]).

Each item, in list order, is assessed in its month (its ``month``, or the month of its
``date``) on the simulation as it stands (after the
items before it): a trigger on the provider's cumulative net cash before that month, or on
the paid volume so far against the plan. Where it is met, its lump sum is paid that month, as an
income line of its own (kind ``"fee"``: paid whatever the outcome), and the named mechanism's
payments from that month on are multiplied by its price factor (at the prices in force when
paid, as :mod:`.adjust` does for indexation). Vectorised over simulations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..outcomes import planned_paid_volume
from ..spec.schema import ContractSpec
from ..stats import row_sum
from .adjust import cap_cash, scale_flows
from .base import PaymentFlows, PaymentInputs


@dataclass(frozen=True)
class Renegotiated:
    """The contract's payments after its renegotiations.

    Attributes
    ----------
    flows : every mechanism's flows, in spec order, after any price changes
    lines : one income line per renegotiation, its lump sum, ``monthly`` ``(n_sims, n_months)``
        [currency]
    met : where each renegotiation applied, ``(n_sims, n_renegotiations)`` [bool]
    """

    flows: list[PaymentFlows]
    lines: list[PaymentFlows]
    met: np.ndarray

    @property
    def lump_sums(self) -> np.ndarray:
        """The renegotiations' lump sums per simulation, ``(n_sims,)`` [currency]."""
        return sum((line.total for line in self.lines), np.zeros(self.met.shape[0]))


def renegotiate(spec: ContractSpec, flows: list[PaymentFlows], costs: np.ndarray,
                inputs: PaymentInputs) -> Renegotiated:
    """Apply ``spec.renegotiation`` to the mechanisms' ``flows`` (spec order).

    Parameters
    ----------
    costs : the provider's direct costs, ``(n_sims, n_months)`` [currency], positive
    inputs : what the mechanisms were paid on (the calendar and the paid volume per cohort,
        ``(n_sims, n_cohorts)`` [units], which the volume trigger reads)
    """
    timeline, paid = inputs.timeline, inputs.paid
    flows = list(flows)
    n_sims = costs.shape[0]
    names = [m.name for m in spec.payments]
    lines: list[PaymentFlows] = []
    met_all = np.ones((n_sims, len(spec.renegotiation)), dtype=bool)
    for k, r in enumerate(spec.renegotiation):  # a few items, not simulations
        month = r.month_index(spec.contract.start_date)
        met = np.ones(n_sims, dtype=bool)
        if r.net_below is not None:
            income = sum((f.monthly for f in [*flows, *lines]), np.zeros_like(costs))
            met &= row_sum((income - costs)[:, : month]) < r.net_below
        if r.paid_volume_below is not None:
            entered = row_sum(timeline.spread_over_entry_months(paid)[:, : month])
            planned = row_sum(timeline.spread_over_entry_months(
                planned_paid_volume(spec)[None, :])[:, : month])[0]
            # before any entry is planned there is no shortfall to trigger on
            met &= (planned > 0) & (entered < r.paid_volume_below * planned)
        monthly = np.zeros_like(costs)
        monthly[:, month] = np.where(met, r.lump_sum, 0.0)
        lines.append(PaymentFlows(name=r.name, kind="fee", monthly=monthly,
                                  by_cohort=np.zeros(paid.shape)))
        if r.payment is not None and r.price_factor != 1:
            i = names.index(r.payment)
            factor = np.ones_like(costs)
            factor[:, month:] = np.where(met, r.price_factor, 1.0)[:, None]
            # a cash maximum stays one at the new price (.adjust.cap_cash)
            flows[i] = cap_cash(scale_flows(flows[i], timeline, factor), flows[i],
                                getattr(spec.payments[i], "cap_total", None), timeline)
        met_all[:, k] = met
    return Renegotiated(flows, lines, met_all)
