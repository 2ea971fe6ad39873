"""Payment mechanisms: one module per family, all behind ``pay(mech, inputs)``."""

from __future__ import annotations

from typing import Callable

from ..spec.schema import ContractSpec
from . import at_risk, fee, outcome, tiered
from .base import PaymentFlows, PaymentInputs

MECHANISMS: dict[str, Callable[..., PaymentFlows]] = {
    "fee": fee.pay,
    "outcome": outcome.pay,
    "tiered": tiered.pay,
    "revenue_at_risk": at_risk.pay,
}


def pay_all(spec: ContractSpec, inputs: PaymentInputs) -> list[PaymentFlows]:
    """Apply every mechanism in the spec, in order."""
    return [MECHANISMS[m.type](m, inputs) for m in spec.payments]


__all__ = ["MECHANISMS", "PaymentFlows", "PaymentInputs", "pay_all"]
