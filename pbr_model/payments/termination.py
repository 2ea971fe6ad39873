"""Early termination (``[termination]``): which simulations stop, when, and what that
does to the cohorts, the results that are paid and the compensation.

The stop month ``m`` of a simulation is the first month not served: the earlier of a
scheduled ``break_month`` and, where the stopping rule's interim result falls short, its
``decision_month``; ``contract_months`` where neither applies. Then:

- cohorts starting in month ``m`` or later are not served: their counts are removed from
  what is measured (no entrants' costs, no fees, no results, nothing pooled);
- cohorts that started earlier are in flight: with ``in_flight = "paid"`` their results
  are measured and paid as the contract says; with ``"unpaid"`` only the results paid by
  month ``m`` are, and no result payment (pooled ones included) falls after it;
- the annual fee and fixed costs stop with month ``m`` (see :mod:`.fee` and
  :func:`pbr_model.finance.cash.monthly_costs`);
- compensation (a lump sum plus a share of the annual fees the remaining months would have
  paid) is paid in month ``m``.

The interim result is the rule's measure pooled over the cohorts whose results are published
by the decision month (the calendar's result months), computed from the same counts the
evaluator measures. Everything is vectorised over simulations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..measure import Measurement
from ..outcomes import tree_map
from ..spec.schema import ContractSpec, FeePayment
from ..timeline import Timeline
from .base import PaymentFlows
from .fee import annual_by_month


@dataclass(frozen=True)
class Stop:
    """Where and when each simulation stopped.

    Attributes
    ----------
    month : first month not served, ``(n_sims,)`` [month index]; ``contract_months`` where
        the contract ran its length
    terminated : stopped before ``contract_months``, ``(n_sims,)`` [bool]
    served : cohorts that started before the stop, ``(n_sims, n_cohorts)`` [bool]
    paid : cohorts whose results are paid, ``(n_sims, n_cohorts)`` [bool]
    interim : the stopping rule's interim result (:func:`interim_change`), ``(n_sims,)``
        [its ``change`` units]; None without a rule
    """

    month: np.ndarray
    terminated: np.ndarray
    served: np.ndarray
    paid: np.ndarray
    interim: np.ndarray | None = None

    def pooled_due_after(self, timeline: Timeline) -> np.ndarray:
        """Where the contract stopped before the last cohort's payment month, when a pooled
        payment is due, ``(n_sims,)`` [bool]."""
        return self.terminated & (timeline.payment_month[-1] > self.month)


def keep_cohorts(evaluation: Measurement, keep: np.ndarray) -> Measurement:
    """The measurement with the counts of cohorts where ``keep`` ``(n_sims, n_cohorts)`` is
    False set to 0 (no one to measure: NaN measures, nothing paid, nothing pooled)."""
    def cut(a: np.ndarray) -> np.ndarray:
        k = keep.reshape(keep.shape + (1,) * (a.ndim - keep.ndim))
        return np.where(k, a, 0).astype(a.dtype, copy=False)
    return replace(evaluation, treated=tree_map(cut, evaluation.treated),
                   comparison=tree_map(cut, evaluation.comparison),
                   treated_pre=tree_map(cut, evaluation.treated_pre),
                   comparison_pre=tree_map(cut, evaluation.comparison_pre))


def result_month(spec: ContractSpec, timeline: Timeline) -> np.ndarray:
    """Month each cohort's result is published, ``(n_cohorts,)`` [month index]."""
    if timeline.result_month is not None:
        return timeline.result_month
    return np.array(spec.contract.result_months(), dtype=np.int64)


def interim_change(spec: ContractSpec, timeline: Timeline, evaluation: Measurement
                   ) -> np.ndarray:
    """The stopping rule's interim result, ``(n_sims,)`` [its ``change`` units]: the
    measure's improvement pooled over the cohorts known by the decision month."""
    rule = spec.termination.rule
    known = result_month(spec, timeline) <= rule.decision_month
    keep = np.broadcast_to(known, evaluation.n.shape)
    pooled = keep_cohorts(evaluation, keep).pooled()
    return pooled.estimate(rule.measure).change(rule.change)[:, 0]


def stop(spec: ContractSpec, timeline: Timeline, evaluation: Measurement) -> Stop | None:
    """Each simulation's stop (see the module docstring); None without ``[termination]``."""
    t = spec.termination
    if t is None:
        return None
    n_sims = evaluation.n.shape[0]
    end = timeline.contract_months
    month = np.full(n_sims, end if t.break_month is None else min(t.break_month, end))
    interim = None
    if t.rule is not None:
        interim = interim_change(spec, timeline, evaluation)
        with np.errstate(invalid="ignore"):
            short = interim < t.rule.stop_below  # NaN: no
        month = np.where(short, np.minimum(month, t.rule.decision_month), month)
    served = timeline.entry_month[None, :] < month[:, None]
    terminated = month < end
    paid = served
    if t.in_flight == "unpaid":   # only where it stopped: a contract that ran its length
        # pays every cohort on its terms, after its last month too (0.23.0 dropped those)
        paid = served & (~terminated[:, None]
                         | (timeline.payment_month[None, :] <= month[:, None]))
    return Stop(month, terminated, served, paid, interim)


def lapse(flows: PaymentFlows, s: Stop, timeline: Timeline) -> PaymentFlows:
    """An outcome mechanism's flows with nothing paid after the stop month where the
    contract stopped (``in_flight = "unpaid"``): a pooled payment, due with the last
    cohort's, lapses too. Fees and simulations that ran their length are unchanged."""
    if flows.kind != "outcome":
        return flows
    months = np.arange(flows.monthly.shape[1])
    after = s.terminated[:, None] & (months[None, :] > s.month[:, None])
    lapsed = s.pooled_due_after(timeline)   # the pooled assessment
    pooled, met = flows.pooled, flows.pooled_triggered
    if pooled is not None:
        pooled = np.where(lapsed, 0.0, pooled)
    if met is not None:
        met = met & ~lapsed
    return replace(flows, monthly=np.where(after, 0.0, flows.monthly), pooled=pooled,
                   pooled_triggered=met)


def compensation(spec: ContractSpec, timeline: Timeline, s: Stop) -> PaymentFlows | None:
    """What termination pays the provider in the stop month, where it stopped: the lump sum
    plus ``compensation_fee_share`` of the annual fees (at each year's price) the months
    from the stop to the contract's end would have paid; None if the terms pay nothing."""
    t = spec.termination
    if t.compensation == 0 and t.compensation_fee_share == 0:
        return None
    n_sims = len(s.month)
    remaining = np.zeros(n_sims)
    for mech in spec.payments:
        if isinstance(mech, FeePayment):
            cum = np.concatenate([[0.0], np.cumsum(annual_by_month(mech, timeline))])
            remaining += cum[-1] - cum[s.month]
    amount = np.where(s.terminated, t.compensation + t.compensation_fee_share * remaining, 0.0)
    monthly = np.zeros((n_sims, timeline.n_months))
    monthly[np.arange(n_sims), s.month] = amount
    return PaymentFlows(name="Termination compensation", kind="fee", monthly=monthly,
                        by_cohort=np.zeros((n_sims, timeline.n_cohorts)))


def measured(spec: ContractSpec, timeline: Timeline, evaluation: Measurement
             ) -> tuple[Stop | None, Measurement, Measurement]:
    """Each simulation's :class:`Stop` (None without ``[termination]``), the measurement of
    the cohorts served, and that of the cohorts whose results are paid: what the simulation
    (:func:`pbr_model.engine.finish`) and a settlement of observed results
    (:func:`pbr_model.analyses.settle.settle`) both pay on."""
    s = stop(spec, timeline, evaluation)
    if s is None:
        return None, evaluation, evaluation
    served = keep_cohorts(evaluation, s.served)
    return s, served, keep_cohorts(served, s.paid)


def stopped_flows(spec: ContractSpec, timeline: Timeline, flows: list[PaymentFlows],
                  s: Stop | None) -> list[PaymentFlows]:
    """The mechanisms' ``flows`` (spec order) where the contract stopped: with
    ``in_flight = "unpaid"`` nothing is paid after the stop (:func:`lapse`); then the
    compensation's flows, if the terms pay any, after the mechanisms'. Unchanged without a
    stop."""
    if s is None:
        return list(flows)
    if spec.termination.in_flight == "unpaid":
        flows = [lapse(f, s, timeline) for f in flows]
    return [*flows, *[f for f in [compensation(spec, timeline, s)] if f is not None]]


def pooled_lapsed(spec: ContractSpec, timeline: Timeline, s: Stop) -> np.ndarray:
    """Where a pooled assessment lapses, ``(n_sims,)`` [bool]: the contract stopped with
    nothing paid after the stop (``in_flight = "unpaid"``) before the pooled payment was
    due (:func:`lapse`)."""
    if spec.termination.in_flight != "unpaid":
        return np.zeros(len(s.month), dtype=bool)
    return s.pooled_due_after(timeline)
