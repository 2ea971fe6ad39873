"""What a ``[termination]`` did to a settlement of observed results: whether and when the
contract stopped, why, and which cohorts it left unserved or unpaid
(:func:`pbr_model.analyses.settle.settle`'s ``termination``).

The stop is the simulation's (:mod:`pbr_model.payments.termination`), read on the observed
results: a scheduled break stops the contract in its month; a stopping rule reads the
interim result pooled over the cohorts published by its decision month that have a result
in the file, and stops the contract where it falls short. Where none of those cohorts has a
result the rule cannot be read, and the contract is not stopped by it (as a simulation with
no one measured by then is not).
"""

from __future__ import annotations

import numpy as np

from ..payments import termination
from ..spec.schema import ContractSpec
from ..timeline import Timeline


def _cohorts(mask: np.ndarray) -> list[int]:
    """The cohorts (from 1) where ``mask`` ``(n_cohorts,)`` is True."""
    return [int(i) + 1 for i in np.flatnonzero(mask)]


def stopped_summary(spec: ContractSpec, timeline: Timeline, present: np.ndarray,
                    stop: termination.Stop | None, compensation: float) -> dict | None:
    """The settlement's ``termination`` object; None without a ``[termination]``.

    Keys: ``stopped`` (bool); ``month`` and ``date`` (the first month not served, its
    index and first day, ISO; None where it ran its length); ``by`` ('break', 'rule' or
    None); ``rule`` (None without one, else its ``decision_month``, ``measure``,
    ``change``, ``stop_below``, ``read``: False where a break stopped the contract before
    the decision month, ``read_on``: the cohorts published by the decision month that have
    a result (none where it was not read), and ``interim_improvement``, the measure's
    improvement pooled over them in ``change`` units, positive where the treated did
    better, None where ``read_on`` is empty);
    ``in_flight``; ``not_served`` (cohorts starting at or after the stop);
    ``observed_not_served`` (those of them the file gives a result for: not paid);
    ``lapsed`` (cohorts served whose results fall after the stop and are not paid);
    ``compensation``, what the settlement's flows paid for the stop [currency]."""
    t = spec.termination
    if t is None or stop is None:
        return None
    month = int(stop.month[0])
    stopped = bool(stop.terminated[0])
    rule = by = None
    if t.rule is not None:
        # a break before the decision month stops the contract before the rule is read
        read = not stopped or month >= t.rule.decision_month
        known = termination.result_month(spec, timeline) <= t.rule.decision_month
        read_on = known & present & read
        change = float(stop.interim[0])   # read as stop() read it
        rule = {"decision_month": t.rule.decision_month, "measure": t.rule.measure,
                "change": t.rule.change, "stop_below": t.rule.stop_below, "read": read,
                "read_on": _cohorts(read_on),
                "interim_improvement": change if read_on.any() and np.isfinite(change) else None}
        if stopped and month == t.rule.decision_month and rule["interim_improvement"] is not None \
                and change < t.rule.stop_below:
            by = "rule"
    if stopped and by is None:
        by = "break"
    not_served = ~stop.served[0]
    return {
        "stopped": stopped,
        "month": month if stopped else None,
        "date": timeline.dates()[month].isoformat() if stopped else None,
        "by": by,
        "rule": rule,
        "in_flight": t.in_flight,
        "not_served": _cohorts(not_served),
        "observed_not_served": _cohorts(not_served & present),
        "lapsed": _cohorts(stop.served[0] & ~stop.paid[0]),
        "compensation": compensation,
    }
