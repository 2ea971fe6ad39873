"""Payment mechanisms: one module per family, each declaring its facets in one
:class:`~pbr_model.payments.base.Mechanism` (pay, describe, price fields, measures read),
and the registry of them by spec ``type``.

A test (``tests/payments/test_registry.py``) fails if a type the spec schema allows has
no entry here or an entry misses a facet.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..spec.schema import ContractSpec
from . import at_risk, fee, outcome, prices, tiered
from .adjust import index_prices
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs
from .payers import split_all

#: Spec ``type`` -> its mechanism. ``MECHANISMS[m.type](m, inputs)`` pays.
MECHANISMS: dict[str, Mechanism] = {
    m.type: m for m in (fee.MECHANISM, outcome.MECHANISM, tiered.MECHANISM, at_risk.MECHANISM)}


def pay_all(spec: ContractSpec, inputs: PaymentInputs) -> list[PaymentFlows]:
    """Apply every mechanism in the spec, in order, each at its indexed prices
    (``[indexation]``; see :mod:`.adjust`) and split between its payers, each capped
    (``payers``; see :mod:`.payers`)."""
    flows = [MECHANISMS[m.type].pay(m, inputs) for m in spec.payments]
    return split_all(spec, index_prices(spec, flows, inputs.timeline), inputs.timeline)


def describe(mech: BaseModel, money: Fmt, pct: Fmt) -> str:
    """One mechanism's terms in plain text (``pbr show``), e.g. ``"fee £12.00m a year +
    £600 per entrant"``; ``money`` formats an amount [currency], ``pct`` a fraction."""
    text = MECHANISMS[mech.type].describe(mech, money, pct)
    payers = getattr(mech, "payers", ())
    if payers:
        text += "; paid by " + ", ".join(
            f"{p.name} {pct(p.share)}" + (f" up to {money(p.cap)}" if p.cap is not None else "")
            for p in payers)
    return text


def price_fields(mech: BaseModel) -> list[tuple[str, float]]:
    """The fields ``--solve price`` scales in one mechanism: ``(path in the mechanism,
    value)`` in order, e.g. ``("rates.0.price", 3000.0)`` [currency]."""
    return list(prices.expand(mech, MECHANISMS[mech.type].price_fields))


def scale_prices(mech: BaseModel, factor: float) -> BaseModel:
    """One mechanism with its price fields multiplied by ``factor`` and validated again;
    a mechanism without prices comes back equal. Raises ``InputError`` if a scaled value
    is out of range."""
    return prices.scale(mech, MECHANISMS[mech.type].price_fields, factor)


def rule_measures(spec: ContractSpec) -> list[tuple[str, str]]:
    """The (measure, change) pairs the payment rules read, in spec order, once each."""
    pairs = (pair for m in spec.payments for pair in MECHANISMS[m.type].measures(m))
    return list(dict.fromkeys(pairs))


__all__ = ["MECHANISMS", "Mechanism", "PaymentFlows", "PaymentInputs", "describe", "pay_all",
           "price_fields", "rule_measures", "scale_prices"]
