"""Revenue at risk (HMP Doncaster): a sum per cohort that rides on meeting a target.

``settle = "repay"``: the sum was paid with the fee and is repaid (a negative
payment) when a measured cohort misses the target; ``"earn"``: it is paid only
when the target is met. Either way the flow falls in the cohort's payment month.
"""

from __future__ import annotations

import numpy as np

from ..spec.schema import RevenueAtRiskPayment
from .base import PaymentFlows, PaymentInputs
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
