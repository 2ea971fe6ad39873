"""The contract calendar: which month each cash flow falls in.

Time is in whole months from contract start (month 0 is ``contract.start_date``).
The first cohort enters ``first_cohort_month`` months after the start, and each
cohort period's entrants arrive evenly over its months. Cohort ``c``'s result month,
the first month after its result is published, is ``result_lag_months`` (default
``followup_months + waiting_months``, one number or one per cohort) after the month after
its period, and it is paid ``payment_lag_months`` after that, unless the spec gives each
cohort's ``payment_dates``. (TR: cohort Oct-Dec 2015, result published Oct 2017, result
month and payment Nov 2017: month 8 + 3 + 22 = 33.) The timeline runs from
month 0 to the last payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .spec.schema import ContractSpec


@dataclass(frozen=True)
class Timeline:
    """Month indexes for one contract.

    Attributes
    ----------
    n_months : months from contract start to the last cash flow, inclusive [months]
    contract_months : service months (fixed costs and annual fees run for these) [months]
    cohort_months : months in one cohort period [months]
    entry_month : first entry month of each cohort, ``(n_cohorts,)`` [month index]
    payment_month : month each cohort's outcome payment is made, ``(n_cohorts,)`` [month index]
    start_date : date of month 0
    result_month : each cohort's result month, the first month after its result is published,
        ``(n_cohorts,)`` [month index];
        None: not known (a timeline built by hand)
    """

    n_months: int
    contract_months: int
    cohort_months: int
    entry_month: np.ndarray
    payment_month: np.ndarray
    start_date: dt.date
    result_month: np.ndarray | None = None

    @classmethod
    def from_spec(cls, spec: ContractSpec) -> "Timeline":
        c = spec.contract
        n = c.cohorts
        entry = c.first_cohort_month + np.arange(n) * c.cohort_months
        result = np.array(c.result_months(), dtype=np.int64)
        payment = np.array(c.payment_months(), dtype=np.int64)
        # fees are paid in arrears, so the last service month is paid in month `length_months`
        n_months = int(max(c.length_months + 1, payment.max() + 1))
        return cls(n_months, c.length_months, c.cohort_months, entry, payment, c.start_date,
                   result)

    @property
    def n_cohorts(self) -> int:
        return len(self.entry_month)

    def spread_over_entry_months(self, per_cohort: np.ndarray) -> np.ndarray:
        """Spread per-cohort amounts ``(n_sims, n_cohorts)`` evenly over each cohort's
        entry months, giving ``(n_sims, n_months)``."""
        out = np.zeros((per_cohort.shape[0], self.n_months))
        share = per_cohort / self.cohort_months
        for j in range(self.cohort_months):  # a handful of months, not simulations
            out[:, self.entry_month + j] += share
        return out

    def in_arrears(self, per_cohort: np.ndarray) -> np.ndarray:
        """Spread per-cohort amounts over the entry months, each paid one month later."""
        out = np.zeros((per_cohort.shape[0], self.n_months))
        out[:, 1:] = self.spread_over_entry_months(per_cohort)[:, :-1]
        return out

    def at_payment_months(self, per_cohort: np.ndarray) -> np.ndarray:
        """Place per-cohort payments ``(n_sims, n_cohorts)`` in their payment months."""
        out = np.zeros((per_cohort.shape[0], self.n_months))
        np.add.at(out, (slice(None), self.payment_month), per_cohort)
        return out

    def annual_index(self, uplift: float) -> np.ndarray:
        """The factor on money in each month under an annual uplift, ``(n_months,)``:
        ``(1 + uplift)^y`` in contract year ``y`` (months ``12y`` to ``12y + 11``), 1 in the
        first year [dimensionless]."""
        return (1.0 + uplift) ** (np.arange(self.n_months) // 12)

    def dates(self) -> list[dt.date]:
        """First day of every month on the timeline."""
        y, m = self.start_date.year, self.start_date.month - 1
        return [dt.date(y + (m + i) // 12, (m + i) % 12 + 1, 1) for i in range(self.n_months)]
