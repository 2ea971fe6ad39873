"""Revenue at risk (HMP Doncaster): a sum per cohort that rides on meeting a target.

``settle = "repay"``: the sum was paid with the fee and is repaid (a negative
payment) when a measured cohort misses the target; ``"earn"``: it is paid only
when the target is met. Either way the flow falls in the cohort's payment month.
"""

from __future__ import annotations

import numpy as np

from ..spec.schema import RevenueAtRiskPayment
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs, change_text
from .rules import meets


def pay(mech: RevenueAtRiskPayment, inputs: PaymentInputs) -> PaymentFlows:
    change = inputs.evaluation.estimate(mech.measure).change(mech.change)
    met = meets(change, mech.target)
    if mech.settle == "repay":
        by_cohort = np.where(~met & ~np.isnan(change), -mech.amount, 0.0)
    else:
        by_cohort = np.where(met, mech.amount, 0.0)
    return PaymentFlows(name=mech.name, kind="outcome",
                        monthly=inputs.timeline.at_payment_months(by_cohort),
                        by_cohort=by_cohort, parts={mech.measure: by_cohort}, triggered=met)


def describe(mech: RevenueAtRiskPayment, money: Fmt, pct: Fmt) -> str:
    verb = "repaid if" if mech.settle == "repay" else "paid if"
    return (f"{money(mech.amount)} a cohort {verb} {mech.measure} "
            f"{'misses' if mech.settle == 'repay' else 'reaches'} "
            f"{change_text(mech.change, mech.target)}")


def measures(mech: RevenueAtRiskPayment) -> list[tuple[str, str]]:
    return [(mech.measure, mech.change)]


#: The sum at risk is a share of the core contract, not a price: --solve price leaves it.
MECHANISM = Mechanism("revenue_at_risk", pay, describe, price_fields=(), measures=measures)
