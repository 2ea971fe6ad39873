"""Tiered schedules (NYC ABLE, Massachusetts Roca): a payment set by the tier of
improvement reached, stepped or interpolated, per cohort or once on the pooled result."""

from __future__ import annotations

import numpy as np

from ..spec.schema import TieredPayment
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs, change_text
from .rules import cap_cumulative, meets, tier_amount


def pay(mech: TieredPayment, inputs: PaymentInputs) -> PaymentFlows:
    tl = inputs.timeline
    at = [t.at for t in mech.tiers]
    amounts = [t.amount for t in mech.tiers]
    n_sims = inputs.entrants.shape[0]
    if mech.basis == "cohort":
        change = inputs.evaluation.estimate(mech.measure).change(mech.change)
        by_cohort = cap_cumulative(tier_amount(change, at, amounts, mech.interpolate),
                                   mech.cap_total)
        return PaymentFlows(name=mech.name, kind="outcome",
                            monthly=tl.at_payment_months(by_cohort), by_cohort=by_cohort,
                            parts={mech.measure: by_cohort}, triggered=meets(change, at[0]))
    change = inputs.evaluation.pooled().estimate(mech.measure).change(mech.change)[:, 0]
    pooled = tier_amount(change, at, amounts, mech.interpolate)
    if mech.cap_total is not None:
        pooled = np.minimum(pooled, mech.cap_total)
    monthly = np.zeros((n_sims, tl.n_months))
    monthly[:, tl.payment_month[-1]] = pooled
    zeros = np.zeros(inputs.entrants.shape)
    return PaymentFlows(name=mech.name, kind="outcome", monthly=monthly, by_cohort=zeros,
                        parts={}, triggered=None, pooled=pooled,
                        pooled_triggered=meets(change, at[0]))


def describe(mech: TieredPayment, money: Fmt, pct: Fmt) -> str:
    tiers = ", ".join(f"{change_text(mech.change, t.at)}: {money(t.amount)}" for t in mech.tiers)
    how = "interpolated" if mech.interpolate else "stepped"
    return f"{mech.measure} tiers ({how}, {mech.basis}): {tiers}"


def measures(mech: TieredPayment) -> list[tuple[str, str]]:
    return [(mech.measure, mech.change)]


MECHANISM = Mechanism("tiered", pay, describe, price_fields=("tiers.*.amount", "cap_total",
                                                                "payers.*.cap"),
                      measures=measures)
