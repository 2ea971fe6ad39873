"""Payment mechanisms: one module per family, each declaring its facets in one
:class:`~pbr_model.payments.base.Mechanism` (pay, describe, price fields, measures read),
and the registry of them by spec ``type``.

A test (``tests/payments/test_registry.py``) fails if a type the spec schema allows has
no entry here or an entry misses a facet.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..spec.schema import ContractSpec
from ..timeline import Timeline
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


def describe(mech: BaseModel, money: Fmt, pct: Fmt, shared: frozenset[str] = frozenset()) -> str:
    """One mechanism's terms in plain text (``pbr show``), e.g. ``"fee £12.00m a year +
    £600 per entrant"``; ``money`` formats an amount [currency], ``pct`` a fraction;
    ``shared``: the payers whose cap other mechanisms share (:func:`.payers.shared_caps`),
    whose cap is said to be over all of them."""
    text = MECHANISMS[mech.type].describe(mech, money, pct)
    payers = getattr(mech, "payers", ())
    if payers:
        text += "; paid by " + ", ".join(
            f"{p.name} {pct(p.share)}"
            + (f" up to {money(p.cap)}" + (" over all it pays" if p.name in shared else "")
               if p.cap is not None else "")
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


def outcome_directions(spec: ContractSpec) -> frozenset[str]:
    """Which ways the spec's result-dependent mechanisms can move money: ``"pay"`` (to the
    provider: rates, tiers, revenue at risk that is earned) and ``"repay"`` (from it:
    deductions, revenue at risk that is repaid). A fee moves neither."""
    ways: set[str] = set()
    for m in spec.payments:
        if m.type == "outcome":
            ways.add("pay")
            if any(r.deduction_price > 0 for r in m.rates):
                ways.add("repay")
        elif m.type == "tiered":
            ways.add("pay")
        elif m.type == "revenue_at_risk":
            ways.add("pay" if m.settle == "earn" else "repay")
    return frozenset(ways)


def first_result_month(spec: ContractSpec, timeline: Timeline) -> int | None:
    """The first month a payment for results can fall due [month index]: cohort 1's payment
    month where a mechanism pays per cohort (rates, per-cohort tiers, revenue at risk), the
    last cohort's where tiers pay once on the pooled result (NYC ABLE, Massachusetts Roca);
    None when nothing is paid for results (fees only)."""
    months = [int(timeline.payment_month[-1] if m.type == "tiered" and m.basis == "pooled"
                  else timeline.payment_month[0]) for m in spec.payments if m.type != "fee"]
    return min(months, default=None)


def pays_only_back(spec: ContractSpec) -> bool:
    """Whether results can only take money back (Doncaster: revenue at risk repaid on a
    missed target), so "P(any outcome payment)" means nothing and is not shown."""
    return outcome_directions(spec) == {"repay"}


def trigger_label(spec: ContractSpec) -> str:
    """What 'triggered' means for the spec's result mechanisms, for labels: "target met"
    where every one is revenue at risk, else "outcome payment triggered"."""
    kinds = {m.type for m in spec.payments if m.type != "fee"}
    return "target met" if kinds == {"revenue_at_risk"} else "outcome payment triggered"


__all__ = ["MECHANISMS", "Mechanism", "PaymentFlows", "PaymentInputs", "describe",
           "first_result_month", "outcome_directions", "pay_all", "pays_only_back",
           "price_fields", "rule_measures",
           "scale_prices", "trigger_label"]
