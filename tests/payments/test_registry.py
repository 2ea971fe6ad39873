"""pbr_model.payments registry: every mechanism type the spec schema allows declares all
four facets (pay, describe, price fields, measures read), each working on instances
built from its pydantic model, so a new type that forgets one fails here; and on every
bundled contract describe, scale_prices and rule_measures reproduce ``pbr show``,
``pbr breakeven --solve price`` and ``ContractSpec.rule_measures()``.

The mechanism types come from the schema's discriminated union, never a hand list.
"""

from __future__ import annotations

import types
import typing

import numpy as np
import pytest
from pydantic import BaseModel

from pbr_model import payments
from pbr_model.errors import InputError
from pbr_model.payments import MECHANISMS, Mechanism, PaymentFlows, PaymentInputs
from pbr_model.spec import bundled_contracts, load_spec
from pbr_model.spec.schema import MEASURES, PAYMENT_TYPES, Change, OutcomePayment, Payment
from pbr_model.spec.payments import Payer
from strategies import make_evaluation, simple_timeline

#: Spec ``type`` -> pydantic model, read from the ``payments`` union.
SCHEMA_TYPES: dict[str, type[BaseModel]] = {
    typing.get_args(model.model_fields["type"].annotation)[0]: model
    for model in typing.get_args(typing.get_args(Payment)[0])}


def _strip_optional(annotation):
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return inner
    return annotation


def _value(annotation, default, full: bool):
    """A valid value for a field of this type: nested sections and list items built the
    same way, numbers 0.25 (inside every payment field's range, and never a default, so
    scaling shows), switches the other way from their default, text and choices as their
    default."""
    annotation = _strip_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return instance_data(annotation, full)
    if typing.get_origin(annotation) is list:
        if typing.get_args(annotation)[0] is Payer:  # four payers: shares 0.25 sum to 1
            return [{**instance_data(Payer, full), "name": f"payer {i}"} for i in range(4)]
        return [_value(typing.get_args(annotation)[0], None, full)]
    if typing.get_origin(annotation) is typing.Literal:
        return default if default is not None else typing.get_args(annotation)[0]
    if annotation is bool:
        return not default if isinstance(default, bool) else True
    if annotation is str:
        return default if isinstance(default, str) else "binary"   # a valid measure name
    if annotation is float:
        return 0.25
    raise TypeError(f"teach _value to build a {annotation!r}")


def instance_data(model: type[BaseModel], full: bool) -> dict:
    """Data for ``model``: every field (``full``) or only the required ones."""
    return {name: _value(f.annotation, None if f.is_required() else f.get_default(
        call_default_factory=True), full)
        for name, f in model.model_fields.items() if full or f.is_required()}


def build(model: type[BaseModel], full: bool) -> BaseModel:
    return model.model_validate(instance_data(model, full))


def leaves(data, prefix: str = ""):
    """``(dotted path, value)`` of every scalar in a dumped model."""
    items = data.items() if isinstance(data, dict) else (
        enumerate(data) if isinstance(data, list) else None)
    if items is None:
        yield prefix.rstrip("."), data
        return
    for key, value in items:
        yield from leaves(value, f"{prefix}{key}.")


by_type = pytest.mark.parametrize("kind", sorted(SCHEMA_TYPES))


@pytest.fixture(params=[(kind, full) for kind in sorted(SCHEMA_TYPES) for full in (False, True)],
                ids=lambda p: f"{p[0]}-{'full' if p[1] else 'minimal'}")
def instance(request) -> tuple[str, BaseModel]:
    """``(type, mechanism)`` for each type: with only its required fields, or with all."""
    kind, full = request.param
    return kind, build(SCHEMA_TYPES[kind], full)


# -- completeness ---------------------------------------------------------------------------

def test_every_type_the_schema_allows_has_a_registry_entry():
    assert SCHEMA_TYPES == PAYMENT_TYPES
    assert set(MECHANISMS) == set(SCHEMA_TYPES)


@by_type
def test_an_entry_declares_every_facet(kind):
    entry = MECHANISMS[kind]
    assert isinstance(entry, Mechanism)
    assert entry.type == kind
    assert callable(entry.pay) and callable(entry.describe) and callable(entry.measures)
    assert isinstance(entry.price_fields, tuple)
    assert all(isinstance(p, str) for p in entry.price_fields)
    assert len(set(entry.price_fields)) == len(entry.price_fields)


def test_pay_returns_flows_for_every_month(instance):
    kind, mech = instance
    n = np.full((2, 3), 1000.0)
    ev = make_evaluation(n, np.array([[300.0, 400.0, 350.0], [420.0, 380.0, 0.0]]),
                         comparison_reoffenders=np.full(n.shape, 400.0))
    inputs = PaymentInputs(simple_timeline(3), n, ev)
    flows = MECHANISMS[kind].pay(mech, inputs)
    assert isinstance(flows, PaymentFlows)
    assert flows.monthly.shape == (2, inputs.timeline.n_months)
    assert flows.by_cohort.shape == n.shape
    # calling the entry pays, as settle does
    np.testing.assert_array_equal(MECHANISMS[kind](mech, inputs).monthly, flows.monthly)


def test_describe_gives_one_line_of_text(instance):
    text = payments.describe(instance[1], lambda v: f"£{v:g}", lambda v: f"{100 * v:g}%")
    assert isinstance(text, str) and text.strip() and "\n" not in text


@by_type
def test_price_fields_name_numeric_fields_of_the_model(kind):
    for path in MECHANISMS[kind].price_fields:
        annotation: object = SCHEMA_TYPES[kind]
        for step in path.split("."):
            annotation = _strip_optional(annotation)
            if step == "*":
                assert typing.get_origin(annotation) is list, f"{kind}: {path}: * needs a list"
                annotation = typing.get_args(annotation)[0]
            else:
                assert step in annotation.model_fields, f"{kind}: {path}: no field {step!r}"
                annotation = annotation.model_fields[step].annotation
        assert _strip_optional(annotation) is float, f"{kind}: {path} is not a number"


@by_type
def test_scale_prices_multiplies_the_price_fields_and_nothing_else(kind):
    mech = build(SCHEMA_TYPES[kind], full=True)
    named = dict(payments.price_fields(mech))
    # every declared path names something in an instance with every section present
    for pattern in MECHANISMS[kind].price_fields:
        parts = pattern.split(".")
        assert any(len(p.split(".")) == len(parts) and all(
            a == b or a == "*" for a, b in zip(parts, p.split("."))) for p in named), pattern
    scaled = payments.scale_prices(mech, 2.0)
    assert type(scaled) is type(mech)
    before, after = dict(leaves(mech.model_dump())), dict(leaves(scaled.model_dump()))
    assert before.keys() == after.keys() and named.keys() <= before.keys()
    for path, value in before.items():
        assert after[path] == (2 * value if path in named else value), path
    assert payments.scale_prices(mech, 1.0) == mech


def test_measures_are_valid_pairs_as_the_spec_reads_them(instance):
    kind, mech = instance
    pairs = MECHANISMS[kind].measures(mech)
    changes = typing.get_args(Change)
    assert all(m in MEASURES and c in changes for m, c in pairs), pairs
    spec = load_spec("tr-crc-example").spec.model_copy(update={"payments": [mech]})
    assert payments.rule_measures(spec) == spec.rule_measures()


def test_rule_measures_over_every_type_in_spec_order_once_each():
    mechs = [build(model, full=True) for model in SCHEMA_TYPES.values()]
    tr = load_spec("tr-crc-example").spec
    spec = tr.model_copy(update={"payments": [*tr.payments, *mechs]})
    assert payments.rule_measures(spec) == spec.rule_measures()
    assert len(set(payments.rule_measures(spec))) == len(payments.rule_measures(spec))


# -- price paths ----------------------------------------------------------------------------

def test_paths_into_a_list_expand_item_by_item_and_skip_omitted_sections():
    data = {"type": "outcome", "cap_total": 9.0,
            "rates": [{"price": 1.0, "deduction_price": 2.0}, {"price": 3.0}]}
    rates = [("rates.0.price", 1.0), ("rates.0.deduction_price", 2.0),
             ("rates.1.price", 3.0), ("rates.1.deduction_price", 0.0)]
    assert payments.price_fields(OutcomePayment.model_validate(data)) \
        == [*rates, ("cap_total", 9.0)]
    with_foundation = OutcomePayment.model_validate(
        {**data, "foundation": {"per_participant": 4.0}})
    assert payments.price_fields(with_foundation) \
        == [*rates, ("foundation.per_participant", 4.0), ("cap_total", 9.0)]


@pytest.mark.parametrize("factor, field", [(-1.0, "rates.0.price"), (1e9, "cap_total"),
                                           (float("nan"), "rates.0.price")])
def test_a_scaled_value_out_of_range_is_an_input_error_naming_it(factor, field):
    mech = OutcomePayment.model_validate({"type": "outcome", "name": "TR", "cap_total": 1e4,
                                          "rates": [{"price": 700.0}]})
    with pytest.raises(InputError, match=rf"'TR' {field}: .* x price factor .* is out of range"):
        payments.scale_prices(mech, factor)


# -- the bundled contracts: what pbr show and pbr breakeven --solve price print -------------

#: ``pbr show``'s "Payment:" rows, in spec order.
SHOWN = {
    "doncaster-pbr": ["fee £24.00m a year + £0 per paid unit",
                      "£2.40m a cohort repaid if binary misses 5 points"],
    "ma-roca-pfs": ["bed_days tiers (interpolated, pooled): 5%: $0, 10%: $3.14m, 25%: $12.57m, "
                    "40%: $22.00m, 55%: $27.00m; paid by Commonwealth of Massachusetts 55.6% "
                    "up to $15.00m, US Department of Labor 44.4% up to $12.00m"],
    "nyc-able-sib": ["bed_days tiers (stepped, pooled): 8.5%: $4.80m, 10%: $9.60m, "
                     "11%: $10.07m, 12%: $10.19m, 13%: $10.35m, 16%: $10.93m, 20%: $11.71m"],
    "nys-ceo-pfs": ["fee $0 a year + $820 per paid unit; paid by New York State 100.0% up "
                    "to $10.45m over all it pays",
                    "bed_days $1,386 per unit from 8%; employment $49,230 per unit from "
                    "5 points; cap $21.54m in all; paid by New York State 48.5% up to "
                    "$10.45m over all it pays, US Department of Labor 51.5% up to $11.10m"],
    "peterborough-sib": ["reconviction_events £20,850 per unit from 10%, or 7.5% pooled; "
                         "cap £6.26m in all"],
    # TR's rules: significant binary cuts paid, significant rises deducted [MoJ21a]
    "tr-crc-example": ["fee £12.00m a year + £600 per paid unit",
                       "binary £3,000 per unit (significant at 5.0%), less £3,000 per unit "
                       "worse; frequency_per_reoffender £700 per unit "
                       "(if binary ≥ 0 points); cap £2.00m a cohort"],
    "tr-crc-any-cut": ["fee £12.00m a year + £600 per paid unit",
                       "binary £3,000 per unit; frequency_per_reoffender £700 per unit "
                       "(if binary ≥ 0 points); cap £2.00m a cohort"],
}

#: The ``--set`` paths ``pbr breakeven --solve price`` scales, in the order it lists them.
PRICED = {
    "doncaster-pbr": [],
    "ma-roca-pfs": [*(f"payments.0.tiers.{j}.amount" for j in range(5)), "payments.0.cap_total",
                    "payments.0.payers.0.cap", "payments.0.payers.1.cap"],
    "nyc-able-sib": [*(f"payments.0.tiers.{j}.amount" for j in range(7)),
                     "payments.0.cap_total"],
    "nys-ceo-pfs": ["payments.1.rates.0.price", "payments.1.rates.0.deduction_price",
                    "payments.1.rates.1.price", "payments.1.rates.1.deduction_price",
                    "payments.1.cap_total", "payments.1.payers.0.cap",
                    "payments.1.payers.1.cap"],
    "peterborough-sib": ["payments.0.rates.0.price", "payments.0.rates.0.deduction_price",
                         "payments.0.cap_total"],
    "tr-crc-example": ["payments.1.rates.0.price", "payments.1.rates.0.deduction_price",
                       "payments.1.rates.1.price", "payments.1.rates.1.deduction_price",
                       "payments.1.cap_per_cohort"],
    "tr-crc-any-cut": ["payments.1.rates.0.price", "payments.1.rates.0.deduction_price",
                       "payments.1.rates.1.price", "payments.1.rates.1.deduction_price",
                       "payments.1.cap_per_cohort"],
}


def test_the_bundled_contracts_are_all_here():
    assert set(SHOWN) == set(PRICED) == set(bundled_contracts())


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_describe_reproduces_pbr_show(name):
    from pbr_model.report.format import money, pct

    spec = load_spec(name).spec
    cur = spec.contract.currency
    shared = frozenset(payments.payers.shared_caps(spec.payments))
    assert [payments.describe(m, lambda v: money(v, cur), pct, shared)
            for m in spec.payments] == SHOWN[name]


def test_describe_words_every_term_of_a_rate_card():
    mech = OutcomePayment.model_validate({
        "type": "outcome", "cap_per_cohort": 50.0, "cap_total": 90.0,
        "foundation": {"per_participant": 3.0},
        "rates": [{"price": 10.0, "threshold": 2.0, "significance_level": 0.05,
                   "deduction_price": 4.0},
                  {"measure": "frequency_per_reoffender", "change": "absolute", "per": "change",
                   "price": 5.0, "pooled_threshold": 0.5,
                   "hurdle": {"measure": "binary", "change": "points", "min": 0.0}}]})
    text = payments.describe(mech, lambda v: f"£{v:g}", lambda v: f"{100 * v:g}%")
    assert text == ("binary £10 per unit from 2 points (significant at 5%), less £4 per unit "
                    "worse; frequency_per_reoffender £5 per change, or 0.5 pooled (if binary "
                    "≥ 0 points); cap £50 a cohort; cap £90 in all; advance £3 per entrant "
                    "with clawback")


@pytest.mark.parametrize("name", sorted(PRICED))
def test_scale_prices_reproduces_breakeven_on_the_bundled_contracts(name):
    spec = load_spec(name).spec
    named = {f"payments.{i}.{path}": value for i, m in enumerate(spec.payments)
             for path, value in payments.price_fields(m)}
    assert list(named) == PRICED[name]
    k = 0.5959294394528708            # a factor breakeven tried on tr-crc-example
    scaled = spec.model_copy(update={"payments": [payments.scale_prices(m, k)
                                                  for m in spec.payments]})
    before, after = dict(leaves(spec.model_dump())), dict(leaves(scaled.model_dump()))
    for path, value in before.items():
        assert after[path] == (value * k if path in named else value), path
