"""How figures look on screen: money, rates, counts."""

from __future__ import annotations

import math
from typing import Callable

SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}


def money(value: float, currency: str) -> str:
    """Compact money: ``£7.40m``, ``-£12,300``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sym = SYMBOLS.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e9:
        return f"{sign}{sym}{v / 1e9:.2f}bn"
    if v >= 1e5:  # from 100k in millions, so a column of money reads in one unit
        return f"{sign}{sym}{v / 1e6:.2f}m"
    return f"{sign}{sym}{v:,.0f}"


def pct(value: float, digits: int = 1) -> str:
    """A fraction as a percentage."""
    if value is None or math.isnan(value):
        return "-"
    return f"{100 * value:.{digits}f}%"


#: How every capital view carries financing (docs/finance.md section 3), said under it.
FINANCING_NOTE = ("Financing is carried in the balance, compounding monthly: credit at its "
                  "rate, new capital at the cost of capital, reserves at the interest they "
                  "would have earned (reserves_rate, default 0); the rest of reserves' cost of "
                  "capital is an economic cost in the net after financing, not cash.")


def change_pct(value: float, digits: int = 1) -> str:
    """A relative change as a signed percentage (``+50.0%``, ``-6.0%``), so a rise is not
    read as a level."""
    if value is None or math.isnan(value):
        return "-"
    return f"{100 * value + 0.0:+.{digits}f}%"


def percent(value: float) -> str:
    """A chance or share in words: a whole percentage, with as many decimals (up to two)
    as it takes never to read 0% or 100% for a value that is not exactly that: ``42%``,
    ``0.3%``, ``99.7%``, ``<0.01%``, ``-<0.01%``; ``-`` when missing."""
    if value is None or math.isnan(value):
        return "-"
    if value == 0 or value == 1 or abs(value) >= 10:
        return f"{100 * value:.0f}%"
    for digits in (0, 1, 2):
        text = f"{100 * value:.{digits}f}"
        if float(text) not in (0.0, 100.0, -0.0):
            return text + "%"
    if -0.5 < value < 0:   # a hair below zero (a saving that is a tiny cost)
        return "-<0.01%"
    return "<0.01%" if 0 < value < 0.5 else ">99.99%" if value < 1 else f"{100 * value:.2f}%"


def shock_label(d: dict) -> str:
    """The volume shocks of a run (its provenance keys) in a few words, '' if none:
    ``volume shock 30%`` when both volumes took the same shock, else e.g.
    ``paid volume -30%, caseload +20%`` (the change from plan)."""
    paid, caseload = d.get("paid_volume_shock") or 0.0, d.get("caseload_shock") or 0.0
    if not paid and not caseload:
        return ""
    if paid == caseload:
        return f"volume shock {pct(paid, 0)}"
    # + 0.0 turns -0.0 into 0.0, so no shock reads +0%
    return f"paid volume {-100 * paid + 0.0:+.0f}%, caseload {-100 * caseload + 0.0:+.0f}%"


def draws_label(d: dict) -> str:
    """`` · approximate draws`` when a run's counts were drawn approximately (its JSON
    object has ``draws``: ``--draws approx``), else ''."""
    return " · approximate draws" if d.get("draws", "exact") != "exact" else ""


def cuts_text(cuts: dict, prefix: str = "") -> str:
    """What a stated effect implies for each measure (:func:`pbr_model.effects.implied_cuts`,
    its keys read after ``prefix``), e.g. ``binary rate -5.7% (-2.39 pts at 42.0%), per
    reoffender -4.6%`` (reoffences per reoffender), opening with the offending-rate cut when
    the effect is stated as one."""
    get = lambda key: cuts.get(prefix + key)  # noqa: E731
    text = (f"binary rate {change_pct(-get('binary_cut'))} "
            f"({-get('binary_points') + 0.0:+.2f} pts at {pct(get('baseline_binary_rate'))}), "
            f"per reoffender {change_pct(-get('frequency_cut'))}")
    if get("stated_as") == "offending_rate":
        text = f"offending rate {change_pct(-get('offending_rate'))} = " + text
    return text


def number(value: float, digits: int = 0, sign: bool = False) -> str:
    """``value`` with thousands separators and ``digits`` decimals (a ``+`` before a
    positive one with ``sign``); "-" where it is undefined (None or NaN)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{value:{'+' if sign else ''},.{digits}f}"


#: How a measure is named on screen.
MEASURE_LABELS = {
    "binary": "Binary rate", "frequency_per_offender": "Reoffences per offender",
    "frequency_per_reoffender": "Reoffences per reoffender",
    "reconviction_events": "Events per offender", "bed_days": "Bed days per offender",
}


def measure_label(measure: str) -> str:
    return MEASURE_LABELS.get(measure, measure.replace("_", " ").capitalize() + " rate")


#: A formatter of one figure for the screen.
Fmt = Callable[[float], str]




def month_when(month: float, date: str | None) -> str:
    """A month index with its calendar month, e.g. ``"Sep 2019 (month 56)"``; ``"-"`` when
    it never happened (``month`` NaN). ``date`` is ``"YYYY-MM"``."""
    if month != month or date is None:
        return "-"
    import datetime as dt
    return f"{dt.date.fromisoformat(date + '-01'):%b %Y} (month {month:.0f})"
