"""Ending a contract early: ``[termination]`` (a scheduled break and/or a stopping rule on
interim results), what happens to cohorts in flight, and compensation.

Month ``m`` is the stop month: the service runs in months ``0 .. m - 1`` and not from
``m`` on; the stop takes effect in month ``m`` (see :mod:`pbr_model.payments.termination`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ._base import _f, _Model
from .payments import CHANGE_HELP, Change


class StoppingRule(_Model):
    """A stopping rule evaluated once, at `decision_month`, on the interim result: the
    measure's improvement over all cohorts whose results are known by then, pooled. Where
    that improvement is below `stop_below` the contract stops in `decision_month` (ABLE
    ended after 3 of 4 years on an interim finding). Where no one was measured
    it does not stop."""

    decision_month: int = _f(
        "Month the interim result is read and the contract stopped if it falls short; at least "
        "one cohort's result must be published by then (see result_lag_months); "
        "at most length_months (where it stops nothing).",
        "month index", ge=1, le=600)
    measure: str = _f("Measure the rule reads (as for rates).", "text", default="binary")
    change: Change = _f(CHANGE_HELP, "text", default="points")
    stop_below: float = _f("The contract stops where the interim improvement (in `change` "
                           "units) is below this.", "per change unit", ge=-1e6, le=1e6)


class Termination(_Model):
    """Early termination: a scheduled break at `break_month`, a stopping rule, or both
    (whichever comes first). From the stop month on no one enters (cohorts starting then or
    later are not served: no costs, no fees, no results), fixed costs and annual fees stop,
    and compensation is paid in the stop month. Cohorts that started before it are in flight:
    they complete their entry period and the follow-up. Give a break or a rule (or both)."""

    break_month: int | None = _f(
        "Scheduled break: the service stops at the start of this month (TR ended 14 months "
        "early, after 70 of 84 months); at most length_months (where it stops "
        "nothing). Omit for none.", "month index", default=None,
        ge=1, le=600)
    rule: StoppingRule | None = _f("Stopping rule on interim results; omit for none.",
                                   "section", default=None)
    in_flight: Literal["paid", "unpaid"] = _f(
        "Cohorts in flight at the stop: 'paid' = their results are still measured and paid as "
        "the contract says; 'unpaid' = the contract lapses: no result payment falls after the "
        "stop month (foundation advances already paid are reconciled against nothing).",
        "text", default="paid")
    compensation: float = _f("Lump sum paid to the provider in the stop month.", "currency",
                             default=0.0, ge=0)
    compensation_fee_share: float = _f(
        "Further compensation: this share of the annual fees the remaining contract months "
        "would have paid (at the year's price), paid in the stop month.", "fraction",
        default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _something(self) -> "Termination":
        if self.break_month is None and self.rule is None:
            raise ValueError("give break_month, rule or both (or remove [termination])")
        return self
