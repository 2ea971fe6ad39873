"""The contract's calendar and the people it serves: ``[contract]``, ``[cohorts]``,
``[population]`` (risk bands and their baseline reoffending). The national ``[trend]`` is
in :mod:`.trend` (re-exported here).

Money in the contract currency, time in months, rates as fractions.
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import field_validator, model_validator

from ._base import _f, _Model
from .trend import Trend, TrendSegment  # noqa: F401 (re-exported)

#: The longest wait allowed from a cohort's period end to its result (result_lag_months), and
#: from its result month to its payment date [months]: 20 years.
MAX_LAG_MONTHS = 240


#: What every output says beside a calibrated figure.
CALIBRATED_NOTE = "reproducing it is a check of arithmetic, not validation"


class Calibrated(_Model):
    """A figure of this spec that was set so the model reproduces a published result (a
    price nobody published, chosen so the published outcome pays what was paid). Outputs
    that show it say so: reproducing the result it was calibrated to checks the arithmetic,
    it does not validate the model."""

    field: str = _f("The calibrated field's path, as --set names it (e.g. "
                    "'payments.0.rates.0.price'); it must exist in the spec.", "text",
                    min_length=1, max_length=200)
    to: str = _f("The published figure it was calibrated to, with its source key(s) in "
                 "[brackets].", "text", min_length=1, max_length=300)

    def note(self) -> str:
        """``"<field> calibrated to <to>: reproducing it is a check of arithmetic, ..."``."""
        return f"{self.field} calibrated to {self.to}: {CALIBRATED_NOTE}"


class Contract(_Model):
    """The contract's identity and calendar. Cohorts must start during the contract:
    ``first_cohort_month + n_cohorts x cohort_months <= length_months``. Per-cohort result
    lags and payment dates have one value per cohort; payment dates are in cohort order and
    none before its cohort's result month."""

    name: str = _f("Contract name shown in reports.", "text", min_length=1, max_length=200)
    calibrated: list[Calibrated] = _f(
        "Figures of this spec calibrated to a published result ([[contract.calibrated]]: "
        "`field` and `to`); `pbr show` and `pbr settle` say beside them that reproducing that "
        "result is a check of arithmetic, not validation. Empty = none.", "list",
        default_factory=list, max_length=50)
    currency: str = _f(
        "ISO 4217 code of the currency all money is in.", "text", default="GBP",
        pattern=r"^[A-Z]{3}$",
    )
    start_date: dt.date = _f("First day of the contract (month 0): a TOML date, e.g. 2015-02-01.",
                             "date", strict=False)
    length_months: int = _f(
        "Length of the service contract; fixed costs and annual fees run for this long.",
        "months", default=84, ge=1, le=600,
    )
    cohort_months: int = _f(
        "Length of one cohort period (3 = quarterly cohorts).", "months", default=3, ge=1, le=24,
    )
    n_cohorts: int | None = _f(
        "Number of cohorts; default: as many whole cohort periods as fit in the contract.",
        "cohorts", default=None, ge=1, le=400,
    )
    followup_months: int = _f(
        "Follow-up period in which reoffences count (MoJ proven reoffending: 12).",
        "months", default=12, ge=1, le=60,
    )
    waiting_months: int = _f(
        "Further wait for offences to be proven by conviction or caution (MoJ: 6).",
        "months", default=6, ge=0, le=36,
    )
    payment_lag_months: int = _f(
        "Months from a cohort's result month (the first month after its result is published) "
        "to its outcome payment; 0: paid in the result month.",
        "months", default=3, ge=0, le=36,
    )

    first_cohort_month: int = _f(
        "Months from the contract start to the first cohort's first entry month (TR: 8, the "
        "first payment cohort entering from Oct 2015 under a contract from Feb 2015). People "
        "served before it are in no cohort: fixed costs and annual fees run from month 0.",
        "months", default=0, ge=0, le=599,
    )
    result_lag_months: int | list[int] | None = _f(
        "Months from the end of a cohort's period to its result month, the first month after "
        "its result is published (the result month is the month after the cohort's period + "
        "this): one number for every cohort, or one per cohort. Each at least followup_months "
        "+ waiting_months (the earliest a result can be known), which is the default (TR: 22: "
        "the Oct-Dec 2015 cohort's result was published in Oct 2017, so its result month is "
        "Nov 2017). The payment falls payment_lag_months after the result month.",
        "months", default=None,
    )
    payment_dates: list[dt.date] | None = _f(
        "Date of each cohort's outcome payment, one per cohort in cohort order (TOML dates, "
        "e.g. [2014-08-01, 2017-06-01]); a payment falls in the month of its date. Replaces "
        "result_lag_months + payment_lag_months. Dates may not fall before their cohort's "
        "result month, nor go back in time from one cohort to the next; pooled payments fall "
        "with the last cohort's; none more than 240 months after its cohort's result month "
        "(the cap on result_lag_months). Omit to use the lags.", "dates", default=None,
    )

    @field_validator("payment_dates", mode="before")
    @classmethod
    def _dates(cls, given: object) -> object:
        """Read each date, naming the position and value of one that is not a date (a
        ``--set`` list with a bad date arrives as one string)."""
        if isinstance(given, str) and given.strip().startswith("["):
            inner = given.strip()[1:].rstrip().removesuffix("]")
            given = [item.strip() for item in inner.split(",")] if inner.strip() else []
        if not isinstance(given, list):
            return given
        out = []
        for i, item in enumerate(given):
            if isinstance(item, dt.datetime):
                item = item.date()
            elif isinstance(item, str):
                try:
                    item = dt.date.fromisoformat(item.strip().strip("'\""))
                except ValueError:
                    raise ValueError(f"payment_dates[{i}] is {item!r}: not a date; write each "
                                     "date as YYYY-MM-DD, e.g. 2017-06-01") from None
            elif not isinstance(item, dt.date):
                raise ValueError(f"payment_dates[{i}] is {item!r}: not a date; write each "
                                 "date as YYYY-MM-DD, e.g. 2017-06-01")
            out.append(item)
        return out

    @model_validator(mode="after")
    def _cohorts_fit(self) -> "Contract":
        room = self.length_months - self.first_cohort_month
        if self.n_cohorts is None:
            if room < self.cohort_months:
                raise ValueError(
                    f"length_months ({self.length_months}) less first_cohort_month "
                    f"({self.first_cohort_month}) leaves {room} months, shorter than one cohort "
                    f"period ({self.cohort_months}); lengthen the contract or start the first "
                    "cohort earlier"
                )
        elif self.first_cohort_month + self.n_cohorts * self.cohort_months > self.length_months:
            raise ValueError(
                f"first_cohort_month + n_cohorts x cohort_months = {self.first_cohort_month} + "
                f"{self.n_cohorts * self.cohort_months} months, longer than length_months "
                f"({self.length_months}); cohorts must start during the contract"
            )
        problems = self._calendar_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _calendar_problems(self) -> list[str]:
        """What is wrong with the per-cohort result lags and payment dates."""
        n, known = self.cohorts, self.followup_months + self.waiting_months
        out = []
        lags = self.result_lag_months
        if isinstance(lags, list) and len(lags) != n:
            out.append(f"result_lag_months has {len(lags)} value{'s' * (len(lags) != 1)} but "
                       f"the contract has {n} cohorts; give one number per cohort or a single "
                       "number")
            lags = None
        elif lags is not None:
            for i, lag in enumerate(lags if isinstance(lags, list) else [lags]):
                if not known <= lag <= MAX_LAG_MONTHS:
                    where = f"result_lag_months[{i}]" if isinstance(lags, list) \
                        else "result_lag_months"
                    out.append(f"{where} is {lag}: a result cannot be published before "
                               f"followup_months + waiting_months = {known} months after its "
                               "cohort ends; give a number from that to 240")
        dates = self.payment_dates
        if dates is None:
            return out
        if len(dates) != n:
            out.append(f"payment_dates has {len(dates)} date{'s' * (len(dates) != 1)} but the "
                       f"contract has {n} cohorts; "
                       "give one date per cohort, in cohort order")
            return out
        # with bad lags, the dates are checked against the earliest result months (None
        # would read the bad lags again)
        results = self.result_months(lags if not out else known)
        for i, day in enumerate(dates):
            month = months_between(self.start_date, day)
            if month > results[i] + MAX_LAG_MONTHS:
                out.append(f"payment_dates[{i}] is {day.isoformat()} (month {month}), more than "
                           f"{MAX_LAG_MONTHS} months after cohort {i + 1}'s result month "
                           f"{results[i]} ({add_months(self.start_date, results[i]).isoformat()}"
                           "); pay it by "
                           f"{add_months(self.start_date, results[i] + MAX_LAG_MONTHS).isoformat()}")
            if month < results[i]:
                out.append(f"payment_dates[{i}] is {day.isoformat()} (month {month}), before "
                           f"cohort {i + 1}'s result month {results[i]} "
                           f"({add_months(self.start_date, results[i]).isoformat()}); pay it "
                           "on or after that")
            if i and day < dates[i - 1]:
                out.append(f"payment_dates[{i}] is {day.isoformat()}, earlier than cohort "
                           f"{i}'s date {dates[i - 1].isoformat()}: dates must be in cohort "
                           "order (equal dates are allowed)")
        return out

    @property
    def cohorts(self) -> int:
        """Number of cohorts [cohorts]."""
        return self.n_cohorts or (self.length_months - self.first_cohort_month) // self.cohort_months

    def result_months(self, lags: int | list[int] | None = None) -> list[int]:
        """Each cohort's result month, the first month after its result is published: the
        month after its period plus its result lag (``lags``, default the spec's; omitted:
        follow-up plus waiting) [month index]."""
        lags = self.result_lag_months if lags is None else lags
        n, cm = self.cohorts, self.cohort_months
        if lags is None:
            lags = self.followup_months + self.waiting_months
        each = lags if isinstance(lags, list) else [lags] * n
        return [self.first_cohort_month + (c + 1) * cm + each[c] for c in range(n)]

    def payment_months(self) -> list[int]:
        """Month each cohort's outcome payment is made [month index]."""
        if self.payment_dates is not None:
            return [months_between(self.start_date, d) for d in self.payment_dates]
        return [m + self.payment_lag_months for m in self.result_months()]


def months_between(start: dt.date, day: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``day``'s (days ignored) [months]."""
    return (day.year - start.year) * 12 + day.month - start.month


def add_months(start: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``start``'s month."""
    y, m = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + y, m + 1, 1)


class Cohorts(_Model):
    """Who enters the service, what is paid for, and how uncertain both are.

    Two volumes (DOMAIN.md section 4: TR's paid volumes came in 16-48% below plan while
    the caseload supervised rose about 20%, as docs/finance.md cites):

    * the **caseload**, ``entrants_per_period``: the people supervised, who are the outcome
      cohort and who cost money (per-participant costs, personal budgets). Entrants in
      cohort c of simulation s are Poisson with mean ``E_c x V_s x eps_sc``;
    * the **paid volume**, ``paid_volume_per_period``: the units that attract a
      per-participant fee (sentences or orders paid for). Paid volume in cohort c of
      simulation s is ``P_c x W_s x eps_sc x N_sc / (E_c V_s eps_sc)``: its own plan and
      factor, with the caseload's period and counting noise.

    ``V_s`` and ``W_s`` are lognormal with mean 1, log-sds ``volume_factor_sd`` and
    ``paid_volume_factor_sd`` and correlation ``paid_caseload_correlation`` between their
    logs. Left at their defaults the paid volume is the caseload, as before these fields.
    Volumes per period are from 0 to 10,000,000; a list must have one value per cohort."""

    entrants_per_period: float | list[float] = _f(
        "Expected caseload entering per cohort period: the people supervised, who form the "
        "outcome cohort and whose per-participant costs and personal budgets are paid; one "
        "number for every period, or one per cohort.",
        "people per period",
    )
    volume_factor_sd: float = _f(
        "Sd of the log of the caseload factor drawn once per simulation (mean 1): "
        "systematic over- or under-referral of people to supervise for the whole contract.",
        "log scale", default=0.0, ge=0, le=2,
    )
    period_noise_sd: float = _f(
        "Sd of the log of independent period-to-period noise in volumes (mean 1); the paid "
        "volume shares it.",
        "log scale", default=0.0, ge=0, le=2,
    )
    paid_volume_per_period: float | list[float] | None = _f(
        "Expected paid volume per cohort period: the units that attract a per-participant "
        "fee (e.g. sentences or orders paid for); one number or one per cohort. Omitted: "
        "entrants_per_period (the fee is paid on the caseload).",
        "units per period", default=None,
    )
    paid_volume_factor_sd: float | None = _f(
        "Sd of the log of the paid-volume factor drawn once per simulation (mean 1). "
        "Omitted: volume_factor_sd.",
        "log scale", default=None, ge=0, le=2,
    )
    paid_caseload_correlation: float = _f(
        "Correlation between the logs of the paid-volume and caseload factors (1: they move "
        "together; 0: independent; negative: paid volume falls as the caseload rises).",
        "correlation", default=1.0, ge=-1, le=1,
    )

    @model_validator(mode="after")
    def _positive(self) -> "Cohorts":
        for name in ("entrants_per_period", "paid_volume_per_period"):
            given = getattr(self, name)
            if given is None:
                continue
            values = given if isinstance(given, list) else [given]
            if not values:
                raise ValueError(f"{name} is an empty list; give at least one number")
            bad = [v for v in values if not (0 <= v <= 10_000_000)]
            if bad:
                raise ValueError(
                    f"{name} must be between 0 and 10,000,000 per period (got {bad[0]!r})"
                )
        return self

    @property
    def paid_factor_sd(self) -> float:
        """Log-sd of the paid-volume factor [log scale]."""
        return self.volume_factor_sd if self.paid_volume_factor_sd is None \
            else self.paid_volume_factor_sd

    @property
    def paid_is_caseload(self) -> bool:
        """True when the paid volume is the caseload itself (no paid-volume field set apart
        from the defaults): then the fee is paid on the entrants, as before these fields."""
        return (self.paid_volume_per_period is None
                and self.paid_factor_sd == self.volume_factor_sd
                and (self.paid_caseload_correlation == 1 or self.volume_factor_sd == 0))


class RiskBand(_Model):
    """One risk band (e.g. an OGRS band) of the cohort."""

    name: str = _f("Band name.", "text", min_length=1, max_length=60)
    share: float = _f("Share of entrants in this band; shares sum to 1.", "fraction", ge=0, le=1)
    binary_rate: float = _f(
        "Baseline 12-month proven reoffending rate: share with at least one proven reoffence.",
        "fraction", gt=0, lt=1,
    )
    reoffences_per_reoffender: float = _f(
        "Baseline mean proven reoffences per reoffender (at least 1).",
        "reoffences per reoffender", ge=1, le=100,
    )
    dispersion: float = _f(
        "Negative-binomial size k of reoffences beyond the first: smaller is more over-dispersed "
        "(variance of the extra count = mu + mu^2 / k). At least 0.001: below it almost every "
        "extra count is 0 and the mean rests on a few astronomically large ones (and at "
        "5e-324, mu / k overflows).",
        "dimensionless", default=1.0, ge=0.001, le=1e6,
    )

    def poisson_gamma_problem(self) -> str | None:
        """Why no Poisson-gamma offending model fits this band, or None: a gamma mixture of
        Poissons only adds zeros, so it needs ``1 - binary_rate > exp(-mean count)``, i.e.
        ``reoffences_per_reoffender > -log(1 - binary_rate) / binary_rate``
        (:mod:`pbr_model.effects`)."""
        p, m = self.binary_rate, self.reoffences_per_reoffender
        least = -math.log1p(-p) / p
        if m > least:
            return None
        return (f"intervention.effect.offending_rate needs a Poisson-gamma offending model in "
                f"every band, but band {self.name!r} (binary_rate {p:g}, "
                f"reoffences_per_reoffender {m:g}) has fewer people with no reoffence "
                f"({1 - p:.4g}) than a Poisson count of mean {p * m:.4g} gives "
                f"({math.exp(-p * m):.4g}); raise its reoffences_per_reoffender above "
                f"{least:.4g} or state the effect per measure (binary, frequency)")


class Population(_Model):
    """The cohort's risk mix and its historical (baseline) reoffending. Band shares
    must sum to 1 and band names be unique."""

    bands: list[RiskBand] = _f("Risk bands; at least one.", "list", min_length=1, max_length=50)

    @field_validator("bands")
    @classmethod
    def _shares(cls, bands: list[RiskBand]) -> list[RiskBand]:
        total = sum(b.share for b in bands)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"band shares must sum to 1 (they sum to {total:.6g})")
        names = [b.name for b in bands]
        if len(set(names)) != len(names):
            raise ValueError(f"band names must be unique (got {names})")
        return bands
