"""Payment mechanisms: one module per family, all behind ``pay(mech, inputs)``."""

from __future__ import annotations

from typing import Callable

from ..spec.schema import ContractSpec
from . import fee, outcome
from .base import PaymentFlows, PaymentInputs

MECHANISMS: dict[str, Callable[..., PaymentFlows]] = {
    "fee": fee.pay,
    "baseline_outcome": outcome.pay,
}


def pay_all(spec: ContractSpec, inputs: PaymentInputs) -> list[PaymentFlows]:
    """Apply every mechanism in the spec, in order."""
    return [MECHANISMS[m.type](m, inputs) for m in spec.payments]


__all__ = ["MECHANISMS", "PaymentFlows", "PaymentInputs", "pay_all"]
