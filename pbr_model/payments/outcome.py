"""Outcome payments by rate card (TR, Peterborough, NYS CEO).

Per cohort, each rate prices the improvement on one measure once its threshold
(and any hurdle and significance test) is met, and deducts for worsening if it
has a deduction price. Rates add up; then the caps apply, per cohort and over
the contract in cohort order. A rate with a pooled trigger is assessed again on
all cohorts together and pays, with the last cohort's payment, the pooled
amount less what the cohorts were paid (Peterborough). With a foundation,
advances are paid as people enter and reconciled when each result is known.
"""

from __future__ import annotations

import numpy as np

from ..measure import Estimate, Measurement
from ..spec.schema import OutcomePayment, Rate
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs, change_text, unique_labels
from .rules import beyond, cap_cumulative, cap_each, meets, significant


def _quantity(est: Estimate, change: np.ndarray, per: str) -> np.ndarray:
    """What the price multiplies: units avoided, change units, or 1 per cohort."""
    if per == "unit":
        return np.nan_to_num(est.units())
    if per == "change":
        return np.nan_to_num(change)
    return np.ones(change.shape)


def rate_amount(rate: Rate, evaluation: Measurement) -> tuple[np.ndarray, np.ndarray]:
    """One rate's payment and trigger per cohort (or pooled, given a pooled evaluation).

    With ``threshold_rule = "cliff"`` a cohort that reaches the threshold is paid for its
    whole improvement (and deducted for its whole worsening beyond the deduction
    threshold); with ``"corridor"`` only for the part beyond the threshold.

    Returns
    -------
    amount : payment, negative for a deduction [currency]
    triggered : where the rate's conditions for payment were met [bool]
    """
    est = evaluation.estimate(rate.measure)
    change = est.change(rate.change)
    sides = 1 if rate.significance_test == "one_sided" else 2
    ok = meets(change, rate.threshold) & significant(est.z(), rate.significance_level,
                                                      sides=sides)
    if rate.hurdle is not None:
        h = rate.hurdle
        ok &= meets(evaluation.estimate(h.measure).change(h.change), h.min)
    qty = _quantity(est, change, rate.per)
    corridor = rate.threshold_rule == "corridor"
    paid = np.maximum(qty, 0.0)
    if corridor:
        paid = (np.maximum(np.nan_to_num(change) - rate.threshold, 0.0) if rate.per == "change"
                else paid * beyond(change, rate.threshold))
    amount = np.where(ok, rate.price * paid, 0.0)
    if rate.deduction_price > 0:
        worse = (np.nan_to_num(change, nan=0.0) < -rate.deduction_threshold) \
            & significant(est.z(), rate.significance_level, direction=-1, sides=sides)
        lost = 1.0 if rate.per == "cohort" else np.maximum(-qty, 0.0)
        if corridor:
            lost = (np.maximum(-np.nan_to_num(change) - rate.deduction_threshold, 0.0)
                    if rate.per == "change" else lost * beyond(-change, rate.deduction_threshold))
        amount = amount - np.where(worse, rate.deduction_price * lost, 0.0)
    return amount, ok


def pay(mech: OutcomePayment, inputs: PaymentInputs) -> PaymentFlows:
    ev, tl = inputs.evaluation, inputs.timeline
    results = [rate_amount(rate, ev) for rate in mech.rates]
    raw = sum(a for a, _ in results)
    triggered = np.logical_or.reduce([t for _, t in results])
    earned = cap_cumulative(cap_each(raw, mech.cap_per_cohort), mech.cap_total)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(raw != 0, earned / np.where(raw != 0, raw, 1.0), 0.0)
    labels = unique_labels([r.measure for r in mech.rates])
    parts = {label: a * scale for label, (a, _) in zip(labels, results)}

    # Pooled triggers: assessed once all cohorts are known, paying what cohorts did not.
    pooled = np.zeros(len(raw))
    pooled_triggered = np.zeros(len(raw), dtype=bool)
    pool = ev.pooled() if any(r.pooled_threshold is not None for r in mech.rates) else None
    for i, rate in enumerate(mech.rates):
        if rate.pooled_threshold is None:
            continue
        amount, ok = rate_amount(rate.model_copy(update={"threshold": rate.pooled_threshold}),
                                 pool)
        top_up = np.where(ok[:, 0], np.maximum(amount[:, 0] - parts[labels[i]].sum(1), 0), 0)
        pooled += top_up
        pooled_triggered |= ok[:, 0]
    if mech.cap_total is not None:
        pooled = np.minimum(pooled, np.maximum(mech.cap_total - earned.sum(1), 0.0))

    monthly = tl.at_payment_months(earned)
    by_cohort = earned
    if mech.foundation is not None:
        f = mech.foundation
        advance = f.per_participant * inputs.entrants
        settle = earned - advance if f.clawback else np.maximum(earned - advance, 0.0)
        monthly = tl.in_arrears(advance) + tl.at_payment_months(settle)
        by_cohort = advance + settle
        # the rates' parts already sum to what was earned; what else the cohort keeps is
        # the advance beyond it (zero with clawback), so the parts still sum to by_cohort
        parts["foundation advance kept"] = by_cohort - earned
    monthly[:, tl.payment_month[-1]] += pooled
    return PaymentFlows(name=mech.name, kind="outcome", monthly=monthly, by_cohort=by_cohort,
                        parts=parts, triggered=triggered, pooled=pooled,
                        pooled_triggered=pooled_triggered if pool is not None else None)


def describe(mech: OutcomePayment, money: Fmt, pct: Fmt) -> str:
    parts = []
    for r in mech.rates:
        text = f"{r.measure} {money(r.price)} per {r.per}"
        if r.threshold:
            text += f" from {change_text(r.change, r.threshold)}"
            if r.threshold_rule == "corridor":
                text += " (only the improvement beyond it)"
        if r.pooled_threshold is not None:
            text += f", or {change_text(r.change, r.pooled_threshold)} pooled"
        if r.hurdle is not None:
            text += f" (if {r.hurdle.measure} ≥ {change_text(r.hurdle.change, r.hurdle.min)})"
        if r.significance_level is not None:
            sided = ", one-sided" if r.significance_test == "one_sided" else ""
            text += f" (significant at {pct(r.significance_level)}{sided})"
        if r.deduction_price:
            text += f", less {money(r.deduction_price)} per {r.per} worse"
            if r.deduction_threshold:
                text += (f" beyond {change_text(r.change, r.deduction_threshold)}"
                         + (" (only the worsening beyond it)"
                            if r.threshold_rule == "corridor" else ""))
        parts.append(text)
    if mech.cap_per_cohort is not None:
        parts.append(f"cap {money(mech.cap_per_cohort)} a cohort")
    if mech.cap_total is not None:
        parts.append(f"cap {money(mech.cap_total)} in all")
    if mech.foundation is not None:
        parts.append(f"advance {money(mech.foundation.per_participant)} per entrant"
                     + (" with clawback" if mech.foundation.clawback else ""))
    return "; ".join(parts)


def measures(mech: OutcomePayment) -> list[tuple[str, str]]:
    """Every rate's measure, then every hurdle's."""
    return [(r.measure, r.change) for r in mech.rates] + [
        (r.hurdle.measure, r.hurdle.change) for r in mech.rates if r.hurdle is not None]


#: Caps and advances scale with the prices, so every payment scales exactly with the factor.
MECHANISM = Mechanism(
    "outcome", pay, describe,
    price_fields=("rates.*.price", "rates.*.deduction_price", "foundation.per_participant",
                  "cap_per_cohort", "cap_total", "payers.*.cap"),
    measures=measures)
