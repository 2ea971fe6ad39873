"""The national ``[trend]``: the common shock that moves reoffending whatever the service does,
from the historical baseline through every cohort of the contract.

Rates and frequencies move as random walks over cohort periods: in the log odds of the binary
rate and in the log of reoffences per reoffender. ``[[trend.before]]`` segments are the periods
between the baseline and the first cohort (a historical baseline measured years before the
contract carries those years of drift into every measured change); ``correlation`` ties each
period's binary step to its frequency step.
"""

from __future__ import annotations

from ._base import _f, _Model

#: The most pre-contract segments a trend may have, and cohort periods in one segment.
MAX_SEGMENTS = 10
MAX_SEGMENT_PERIODS = 200


class TrendSegment(_Model):
    """Cohort periods between the historical baseline and the first cohort with one drift and
    one sd, in the same units as the contract-period fields of `[trend]`."""

    periods: int = _f(
        "Cohort periods in this segment (each as long as contract.cohort_months).",
        "cohort periods", ge=1, le=MAX_SEGMENT_PERIODS,
    )
    binary_logit_drift: float = _f(
        "Mean change per cohort period in the log odds of reoffending in this segment.",
        "log odds per period", default=0.0, ge=-1, le=1)
    binary_logit_sd: float = _f(
        "Sd of the change per cohort period in the log odds in this segment.",
        "log odds per period", default=0.0, ge=0, le=1)
    frequency_log_drift: float = _f(
        "Mean change per period in log reoffences per reoffender in this segment.",
        "log per period", default=0.0, ge=-1, le=1)
    frequency_log_sd: float = _f(
        "Sd of the change per period in log reoffences per reoffender in this segment.",
        "log per period", default=0.0, ge=0, le=1)


class Trend(_Model):
    """National trend: a common shock a historical baseline does not remove.

    Random walks per simulation over cohort periods, starting from the baseline level: in the
    log odds of the binary rate and in the log of reoffences per reoffender. The walk's value
    at cohort c is the sum of every `[[trend.before]]` step (the periods from the baseline
    to the first cohort, in time order) plus the contract steps up to and including cohort c;
    with no `before` segments cohort 1 is one step from the baseline. Each period's binary
    and frequency steps have correlation `correlation`. At most 10 segments.
    """

    binary_logit_drift: float = _f("Mean change per cohort period in the log odds of reoffending.",
                                   "log odds per period", default=0.0, ge=-1, le=1)
    binary_logit_sd: float = _f("Sd of the change per cohort period in the log odds.",
                                "log odds per period", default=0.0, ge=0, le=1)
    frequency_log_drift: float = _f("Mean change per period in log reoffences per reoffender.",
                                    "log per period", default=0.0, ge=-1, le=1)
    frequency_log_sd: float = _f("Sd of the change per period in log reoffences per reoffender.",
                                 "log per period", default=0.0, ge=0, le=1)
    correlation: float = _f(
        "Correlation between the binary (log odds) step and the frequency (log) step of the "
        "same period, in every period before and during the contract (negative: fewer "
        "reoffenders, each reoffending more).", "correlation", default=0.0, ge=-1, le=1)
    before: list[TrendSegment] = _f(
        "Segments of cohort periods between the historical baseline and the first cohort, in "
        "time order from the baseline, each with its own drift and sd; empty: the walk starts "
        "at the baseline level one period before the first cohort.", "list",
        default_factory=list, max_length=MAX_SEGMENTS)

    @property
    def periods_before(self) -> int:
        """Cohort periods from the baseline to the first cohort's step [periods]."""
        return sum(s.periods for s in self.before)
