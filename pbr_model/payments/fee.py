"""Fee for service: a per-participant fee and/or a fixed annual price.

The per-participant fee is paid on the paid volume (the units that attract a fee,
``[cohorts] paid_volume_per_period``; by default the caseload) in the month after
entry; the annual price in 12 equal instalments, each paid in the month after the
service month (in arrears), for the contract length, whatever the volumes.
"""

from __future__ import annotations

from ..spec.schema import FeePayment
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs


def pay(mech: FeePayment, inputs: PaymentInputs) -> PaymentFlows:
    tl = inputs.timeline
    per_person = mech.per_participant * inputs.paid                       # (S, C)
    monthly = tl.in_arrears(per_person)
    monthly[:, 1 : tl.contract_months + 1] += mech.annual / 12
    # The annual price pays for months, not cohorts: only per-person fees are
    # attributed to cohorts.
    return PaymentFlows(name=mech.name, kind="fee", monthly=monthly, by_cohort=per_person,
                        parts={"per_participant": per_person})


def describe(mech: FeePayment, money: Fmt, pct: Fmt) -> str:
    # The per-participant fee is paid on the paid volume, which is the caseload only by
    # default ([cohorts] paid_volume_per_period): "per paid unit" says which.
    return f"fee {money(mech.annual)} a year + {money(mech.per_participant)} per paid unit"


def measures(mech: FeePayment) -> list[tuple[str, str]]:
    return []


#: Fees are paid whatever the outcome: they are not prices and read no measure.
MECHANISM = Mechanism("fee", pay, describe, price_fields=(), measures=measures)
