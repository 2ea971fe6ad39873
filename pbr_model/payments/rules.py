"""The pure rules payment mechanisms are built from, on ``(n_sims, n_cohorts)`` arrays.

Each one is small and tested on its own (edges exactly at thresholds and caps):
thresholds, significance, caps per cohort and in total, tiered schedules.
An unmeasurable cohort (NaN) never meets a threshold and is never significant.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np


#: Tails below this take the critical value from the lower tail (exact for tiny levels); at
#: or above it, from ``1 - tail`` as always (the same bits as earlier versions).
TINY_TAIL = 1e-9


def meets(change: np.ndarray, threshold: float | None) -> np.ndarray:
    """Where ``change`` reaches ``threshold`` (``>=``; everywhere if None, except NaN)."""
    change = np.asarray(change, dtype=np.float64)
    if threshold is None:
        return ~np.isnan(change)
    return np.nan_to_num(change, nan=-np.inf) >= threshold


def z_critical(level: float, sides: int = 2) -> float:
    """Critical value of a z-test at ``level``: two-sided (``sides=2``: 0.05 -> 1.960) or
    one-sided (``sides=1``: 0.05 -> 1.645)."""
    if sides not in (1, 2):
        raise ValueError(f"a z-test has 1 or 2 sides (got {sides!r})")
    tail = level / sides
    if tail >= TINY_TAIL:
        return NormalDist().inv_cdf(1 - tail)
    # 1 - tail keeps fewer of a small tail's digits (and is 1 below 1.1e-16, where inv_cdf
    # has no answer); the lower tail is exact by symmetry. A tail that underflows to 0 (a
    # level of 5e-324, halved) is read as the smallest positive float: z = 38.5.
    return -NormalDist().inv_cdf(max(tail, math.ulp(0.0)))


def significant(z: np.ndarray, level: float | None, direction: int = 1,
                sides: int = 2) -> np.ndarray:
    """Where ``z`` is significant at ``level`` in ``direction`` (+1 better, -1 worse) by a
    ``sides``-sided test; everywhere if ``level`` is None."""
    z = np.asarray(z, dtype=np.float64)
    if level is None:
        return np.ones(z.shape, dtype=bool)
    return np.nan_to_num(direction * z, nan=-np.inf) >= z_critical(level, sides)


def beyond(change: np.ndarray, threshold: float) -> np.ndarray:
    """The share of an improvement that lies beyond ``threshold`` (a corridor pays only
    that): ``(change - threshold) / change`` where ``change > threshold``, else 0. Units
    avoided are proportional to the change, so this share of them is the units beyond the
    threshold [fraction]."""
    change = np.nan_to_num(np.asarray(change, dtype=np.float64), nan=-np.inf)
    over = change > threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(over, (change - threshold) / np.where(over, change, 1.0), 0.0)


def cap_each(amount: np.ndarray, cap: float | None) -> np.ndarray:
    """Cap each cohort's amount."""
    return amount if cap is None else np.minimum(amount, cap)


def cap_cumulative(amount: np.ndarray, cap: float | None) -> np.ndarray:
    """Cap the running total over cohorts (or months: the last axis), in order: after each,
    the total paid is ``min(cap, the total owed so far)``, deductions (negative amounts)
    netted. So cohorts are paid in order until the cap is reached; a deduction while the
    total owed is within the cap is repaid and frees room under it, and one while the cap
    holds back more than the deduction is waived (it comes off what the cap held back;
    beyond that, only the rest is repaid)."""
    if cap is None:
        return amount
    # Each cohort gets the lesser of its amount and what the cap leaves, rather than the
    # differences of a capped running total: differencing a cumsum changes amounts by
    # rounding even where the cap does not bind, and can push a payment above its
    # per-cohort cap. Only a deduction after the total owed passed the cap is read off the
    # capped running total.
    cumulative = np.cumsum(amount, axis=-1)
    before = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], axis=-1)
    paid = np.minimum(amount, np.maximum(cap - before, 0.0))
    held_back = (amount < 0) & (before > cap)
    if held_back.any():
        paid = np.where(held_back, np.minimum(cumulative, cap) - cap, paid)
    return paid


def tier_amount(change: np.ndarray, at: list[float], amount: list[float],
                interpolate: bool) -> np.ndarray:
    """Payment from a tiered schedule: nothing below the first tier, the last amount
    above the last; between tiers the tier reached (stepped) or a straight line
    between neighbouring tiers (interpolated)."""
    change = np.nan_to_num(np.asarray(change, dtype=np.float64), nan=-np.inf)
    at_a, amount_a = np.asarray(at, dtype=np.float64), np.asarray(amount, dtype=np.float64)
    if interpolate:
        paid = np.interp(change, at_a, amount_a)
    else:
        paid = amount_a[np.clip(np.searchsorted(at_a, change, side="right") - 1, 0, None)]
    return np.where(change >= at_a[0], paid, 0.0)
