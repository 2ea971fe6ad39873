"""How money changes over the contract's life: ``[indexation]`` of costs and of each payment
mechanism's prices.

Indexation moves in annual steps from the contract start: money in contract year ``y``
(months ``12y`` to ``12y + 11``) is the spec's amount times ``(1 + uplift)^y``, so the spec's
amounts are in the prices of the contract's first year. Rates are fractions per year.
"""

from __future__ import annotations

from pydantic import model_validator

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
