"""How money changes over the contract's life: ``[indexation]`` of costs and of each payment
mechanism's prices, and ``[[renegotiation]]``: one-off changes, scheduled or triggered.

Indexation moves in annual steps from the contract start: money in contract year ``y``
(months ``12y`` to ``12y + 11``) is the spec's amount times ``(1 + uplift)^y``, so the spec's
amounts are in the prices of the contract's first year. Rates are fractions per year.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import field_validator, model_validator

from ._base import _f, _Model


class PriceIndex(_Model):
    """The indexation of one payment mechanism's prices: its payments in contract year ``y``
    are multiplied by ``(1 + uplift)^y``, where the uplift is ``rate`` held between ``floor``
    and ``cap``. ``cap`` may not be below ``floor``."""

    payment: str = _f(
        "The `name` of the [[payments]] mechanism whose prices are indexed (names must then "
        "differ).", "text", min_length=1, max_length=60)
    rate: float | None = _f(
        "Annual uplift of its prices before cap and floor; omit to follow "
        "indexation.cost_inflation (prices linked to the cost index).", "fraction per year",
        default=None, ge=-0.5, le=1)
    cap: float | None = _f("Highest uplift allowed in a year; omit for no cap.",
                           "fraction per year", default=None, ge=-0.5, le=1)
    floor: float | None = _f("Lowest uplift allowed in a year; omit for no floor.",
                             "fraction per year", default=None, ge=-0.5, le=1)
    basis: Literal["service", "payment"] = _f(
        "Which month's index prices a payment. \"service\" (the usual contract term): the "
        "period paid for, so a fee at the index of the month served (the fee for a contract "
        "year's last month, paid in arrears in the next year, at the old year's prices) and an "
        "outcome payment at the mean index of "
        "its cohort's entry months (a pooled payment: of every cohort's). \"payment\": the "
        "month it is paid.", "text", default="service")

    @model_validator(mode="after")
    def _cap_above_floor(self) -> "PriceIndex":
        if self.cap is not None and self.floor is not None and self.cap < self.floor:
            raise ValueError(f"cap ({self.cap:g}) is below floor ({self.floor:g}); the cap must "
                             "be at least the floor")
        return self


class Indexation(_Model):
    """Cost inflation and price indexation, in annual steps from the contract start. Each
    mechanism is indexed at most once. Default: none (money stays in cash terms)."""

    cost_inflation: float = _f(
        "Annual inflation of every cost (set-up, fixed, per participant and personal budgets): "
        "costs in contract year y (months 12y to 12y + 11) are the spec's x (1 + this)^y.",
        "fraction per year", default=0.0, ge=-0.5, le=1)
    prices: list[PriceIndex] = _f(
        "Price indexation, one item per indexed payment mechanism; mechanisms not listed keep "
        "their prices in cash terms.", "list", default_factory=list, max_length=20)

    def uplift(self, index: PriceIndex) -> float:
        """The annual uplift of an indexed mechanism: its rate (or the cost inflation), held
        between its floor and cap [fraction per year]."""
        rate = self.cost_inflation if index.rate is None else index.rate
        if index.cap is not None:
            rate = min(rate, index.cap)
        if index.floor is not None:
            rate = max(rate, index.floor)
        return rate


class Renegotiation(_Model):
    """A one-off change to the contract in its month, given as ``month`` (from the contract
    start) or ``date`` (exactly one of them): if its trigger is met (always, when it has
    none), the provider is paid ``lump_sum`` that month, and the mechanism named by
    ``payment`` pays ``price_factor`` times what it would have from that month on. With both
    triggers given, both must hold. It must change something."""

    name: str = _f("Label in reports (its income line).", "text", default="Renegotiation",
                   min_length=1, max_length=60)
    month: int | None = _f("Month of the change, from the contract start (month 0); at most "
                           "the last month of the timeline. Give this or `date`.", "months",
                           default=None, ge=0, le=1200)
    date: dt.date | None = _f(
        "Date of the change, as a TOML date (e.g. 2017-12-01): it falls in the month of the "
        "date, which must be from the contract's start_date to the timeline's last month. "
        "Give this or `month`.", "date", default=None, strict=False)
    net_below: float | None = _f(
        "Trigger: the provider's cumulative net cash (contract income less direct costs, "
        "before financing) over the months before its month is below this (e.g. 0: the contract "
        "is losing money). Omit for no such condition.", "currency", default=None,
        ge=-1e12)
    paid_volume_below: float | None = _f(
        "Trigger: the paid volume (units that attract a fee) of the cohort months before its "
        "month, as a share of the planned paid volume over them, is below this (e.g. 0.8: "
        "volumes 20% short of plan). Omit for no such condition.", "fraction", default=None,
        gt=0, le=10)
    lump_sum: float = _f("Paid to the provider in its month (negative: repaid by it).",
                         "currency", default=0.0, ge=-1e12)
    payment: str | None = _f(
        "The `name` of the [[payments]] mechanism whose payments change from its month on; omit "
        "for a lump sum only.", "text", default=None, min_length=1, max_length=60)
    price_factor: float = _f(
        "Factor on the named mechanism's payments from its month on (1.1 = prices up 10%).",
        "dimensionless", default=1.0, ge=0, le=100)

    @field_validator("date", mode="before")
    @classmethod
    def _a_date(cls, given: object) -> object:
        if isinstance(given, dt.datetime):
            return given.date()
        if isinstance(given, str):
            try:
                return dt.date.fromisoformat(given.strip())
            except ValueError:
                raise ValueError("not a date; write it as YYYY-MM-DD, e.g. 2017-12-01") from None
        return given

    @model_validator(mode="after")
    def _does_something(self) -> "Renegotiation":
        if (self.month is None) == (self.date is None):
            raise ValueError("give the change's month (from the contract start) or its date "
                             "(YYYY-MM-DD), not " + ("both" if self.month is not None
                                                     else "neither"))
        if self.price_factor != 1 and self.payment is None:
            raise ValueError(f"price_factor is {self.price_factor:g} but no `payment` names the "
                             "mechanism it changes; add payment = \"<mechanism name>\"")
        if self.lump_sum == 0 and (self.payment is None or self.price_factor == 1):
            raise ValueError("changes nothing: give a lump_sum, or a payment and a price_factor "
                             "other than 1")
        return self

    def month_index(self, start: dt.date) -> int:
        """The month of the change, from a contract starting on ``start`` [month index];
        negative for a date before the start month."""
        if self.month is not None:
            return self.month
        return (self.date.year - start.year) * 12 + self.date.month - start.month
