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
        first, span = self._entry_block()
        if span:  # periods back to back (as from a spec): each month gets 0 + one share
            block = out[:, first:first + span].reshape(len(out), -1, self.cohort_months)
            if self.cohort_months <= 6:   # month j of every period at once: for
                for j in range(self.cohort_months):   # quarters a third of the time of
                    block[:, :, j] += share           # the one add broadcast over months
            else:   # (which is the faster for a year's months)
                block += share[:, :, None]
            return out
        for j in range(self.cohort_months):  # a handful of months, not simulations
            out[:, self.entry_month + j] += share
        return out

    def _entry_block(self) -> tuple[int, int]:
        """``(first month, months)`` of the entry periods when they follow one another
        without gap or overlap inside the timeline; ``(0, 0)`` otherwise."""
        entry, m = np.asarray(self.entry_month), self.cohort_months
        if entry.ndim != 1 or entry.size == 0 or m < 1:
            return 0, 0
        first = int(entry[0])
        span = entry.size * m
        if first < 0 or first + span > self.n_months or \
                not np.array_equal(entry, first + np.arange(entry.size) * m):
            return 0, 0
        return first, span

    def in_arrears(self, per_cohort: np.ndarray) -> np.ndarray:
        """Spread per-cohort amounts over the entry months, each paid one month later."""
        out = np.zeros((per_cohort.shape[0], self.n_months))
        out[:, 1:] = self.spread_over_entry_months(per_cohort)[:, :-1]
        return out

    def at_payment_months(self, per_cohort: np.ndarray) -> np.ndarray:
        """Place per-cohort payments ``(n_sims, n_cohorts)`` in their payment months."""
        out = np.zeros((per_cohort.shape[0], self.n_months))
        # cohorts paid in the same month are added in cohort order, as np.add.at adds
        for months, cohorts in self._payment_rounds():
            out[:, months] += per_cohort[:, cohorts]
        return out

    def _payment_rounds(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The cohorts in rounds, ``(payment months, cohorts)`` each: round ``r`` holds the
        ``r``-th cohort paid in each month, so no month appears twice in a round."""
        month = np.asarray(self.payment_month)
        rounds: list[list[int]] = []
        seen: dict[int, int] = {}
        for c, m in enumerate(month.tolist()):
            r = seen.get(m, 0)
            seen[m] = r + 1
            if r == len(rounds):
                rounds.append([])
            rounds[r].append(c)
        return [(month[np.array(r)], np.array(r)) for r in rounds]

    def annual_index(self, uplift: float) -> np.ndarray:
        """The factor on money in each month under an annual uplift, ``(n_months,)``:
        ``(1 + uplift)^y`` in contract year ``y`` (months ``12y`` to ``12y + 11``), 1 in the
        first year [dimensionless]."""
        return (1.0 + uplift) ** (np.arange(self.n_months) // 12)

    def dates(self) -> list[dt.date]:
        """First day of every month on the timeline."""
        y, m = self.start_date.year, self.start_date.month - 1
        return [dt.date(y + (m + i) // 12, (m + i) % 12 + 1, 1) for i in range(self.n_months)]
