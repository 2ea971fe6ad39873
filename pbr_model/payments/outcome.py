"""TR-style outcome payments against a historical baseline.

Per cohort: a binary payment for the fall in the share who reoffend, and a
frequency payment for each reoffence avoided per reoffender, optionally only
once the binary result clears a hurdle; then caps per cohort and over the
contract (in cohort order). Worse-than-baseline results pay nothing (no
deductions). The rules are pure functions on ``(n_sims, n_cohorts)`` arrays so
they can be tested, and reused, one by one.
"""

from __future__ import annotations

import numpy as np

from ..spec.schema import BaselineOutcomePayment
from .base import PaymentFlows, PaymentInputs


def binary_units(reduction_points: np.ndarray, n: np.ndarray, unit: str) -> np.ndarray:
    """Units of binary improvement: reoffenders avoided (``"person"``,
    points x n / 100) or percentage points (``"point"``). Never negative."""
    points = np.clip(np.nan_to_num(reduction_points, nan=0.0), 0.0, None)
    return points * n / 100 if unit == "person" else points


def meets(reduction_points: np.ndarray, threshold: float | None) -> np.ndarray:
    """Where the binary reduction reaches ``threshold`` points (everywhere if None);
    an unmeasurable (NaN) cohort never meets a threshold."""
    if threshold is None:
        return np.ones(reduction_points.shape, dtype=bool)
    return np.nan_to_num(reduction_points, nan=-np.inf) >= threshold


def reoffences_avoided(frequency_reduction: np.ndarray, reoffenders: np.ndarray) -> np.ndarray:
    """Reoffences avoided: fall in reoffences per reoffender x reoffenders; never negative."""
    return np.clip(np.nan_to_num(frequency_reduction, nan=0.0), 0.0, None) * reoffenders


def cap_each(amount: np.ndarray, cap: float | None) -> np.ndarray:
    """Cap each cohort's amount."""
    return amount if cap is None else np.minimum(amount, cap)


def cap_cumulative(amount: np.ndarray, cap: float | None) -> np.ndarray:
    """Cap the running total over cohorts (last axis), paying cohorts in order until
    the cap is reached."""
    if cap is None:
        return amount
    # Each cohort gets the lesser of its amount and what the cap leaves, rather than the
    # differences of a capped running total: differencing a cumsum changes amounts by
    # rounding even where the cap does not bind, and can push a payment above its
    # per-cohort cap.
    cumulative = np.cumsum(amount, axis=-1)
    before = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], axis=-1)
    return np.minimum(amount, np.maximum(cap - before, 0.0))


def pay(mech: BaselineOutcomePayment, inputs: PaymentInputs) -> PaymentFlows:
    m = inputs.measures
    binary = np.where(
        meets(m.binary_reduction_points, mech.binary_threshold_points),
        mech.binary_price * binary_units(m.binary_reduction_points, m.n, mech.binary_unit),
        0.0,
    )
    frequency = np.where(
        meets(m.binary_reduction_points, mech.frequency_hurdle_points),
        mech.frequency_price * reoffences_avoided(m.frequency_reduction, m.reoffenders),
        0.0,
    )
    raw = binary + frequency
    paid = cap_cumulative(cap_each(raw, mech.cap_per_cohort), mech.cap_total)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(raw > 0, paid / np.where(raw > 0, raw, 1.0), 0.0)
    return PaymentFlows(
        name=mech.name,
        kind="outcome",
        monthly=inputs.timeline.at_payment_months(paid),
        by_cohort=paid,
        parts={"binary": binary * scale, "frequency": frequency * scale},
    )
