"""A JSON Schema (draft-07) for the parts of an INDIGO 4.1.0 project that ``pbr indigo``
writes, written for these tests from the facts of the standard's documentation [INDIGO]
(docs/sources.md): its data dictionary for the project model, "Formatting data" and
"Identifiers". It is not a copy of INDIGO's own ``schema/project.json``: it states, in our
words, the field names and nesting, the types, the date format and the codelists we rely
on, and it is stricter than the standard in one way: it refuses fields we did not mean to
write (``additionalProperties: false``), so a misspelt INDIGO name fails here rather than
being silently ignored by INDIGO's tools. The only extension we write, ``pbr_counts`` on a
result, is allowed by name.

Where each fact comes from (paths in the standard's project model, version 4.1.0):
- every field but a few ids and the free-text ``notes``/``status``/``source_ids`` is an
  object holding a ``value`` (the standard's "object with value" definitions);
- dates: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the date definition's pattern; "Formatting
  data: Dates");
- money: a number with no symbols or separators beside an ISO 4217 currency code
  ("Formatting data: Currencies");
- ``outcome_metrics[].id``, ``investments[].id`` and ``sources[].id`` are plain strings
  (internal identifiers, "Identifiers: Internal identifiers"); references to them
  (``outcome_metric_id``) are objects with a value;
- two figures the standard types as text: ``outcome_pricings[].maximum_price_if_all_
  targets_achieved.amount.value`` (an amount) and ``investments[].maximum_potential_loss.
  value`` (a percentage of principal); ``maximum_potential_return`` is a number;
- ``sources`` has at least one item;
- codelists: ``outcome_payments[].type`` Planned | Actual; ``results[].result_level``
  Project level | Outcome level; ``results[].result_type`` Interim | Final;
  ``outcome_payment_commitments[].result_type`` Interim | Overall;
  ``investments[].investment_type`` Debt | Equity | Combination;
  ``investments[].maximum_potential_return_type`` IRR | Average annual return;
  ``investments[].investor_repayment`` the five repayment codes (the standard spells
  "principle" in the first); unit types Individual | Other; the policy sector list
  (Criminal justice among eight); ``sources[].type`` (not written).
"""

from __future__ import annotations

DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
CURRENCY = r"^[A-Z]{3}$"

INVESTMENT_TYPES = ["Debt", "Equity", "Combination"]
RETURN_TYPES = ["IRR", "Average annual return"]
REPAYMENT = ["No repayment (no principle or return)",
             "Some repayment (but below value of principle)",
             "Principal repaid (but no net return)",
             "Principal + positive financial returns",
             "Not publicly available"]
UNIT_TYPES = ["Individual", "Other"]
POLICY_SECTORS = ["Employment and training", "Child and family welfare", "Health",
                  "Homelessness", "Education", "Criminal justice",
                  "Agriculture and environment", "Poverty reduction"]
PAYMENT_TYPES = ["Planned", "Actual"]
RESULT_LEVELS = ["Project level", "Outcome level"]
RESULT_TYPES = ["Interim", "Final"]
COMMITMENT_RESULT_TYPES = ["Interim", "Overall"]


def obj(properties: dict, required: list[str] | None = None) -> dict:
    """An object with exactly these (optional unless ``required``) properties."""
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": required or []}


def val(schema: dict) -> dict:
    """INDIGO's ``{"value": ...}`` wrapper; the value itself is required in what we write."""
    return obj({"value": schema}, ["value"])


TEXT = {"type": "string", "minLength": 1}
NUMBER = {"type": "number"}
COUNT = {"type": "number", "minimum": 0}
DATE_VALUE = val({"type": "string", "pattern": DATE})
CODE = lambda codes: val({"type": "string", "enum": codes})  # noqa: E731
SOURCE_IDS = {"type": "string", "pattern": r"^[a-z0-9-]+(,[a-z0-9-]+)*$"}
MONEY = obj({"currency": val({"type": "string", "pattern": CURRENCY}), "amount": val(NUMBER)},
            ["currency", "amount"])
PERIOD = obj({"start_date": DATE_VALUE, "end_date": DATE_VALUE}, ["start_date", "end_date"])

SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    **obj({
        "name": val(TEXT),
        "dates": obj({
            "start_date_of_service_provision": DATE_VALUE,
            "anticipated_end_date_of_service_provision": DATE_VALUE,
            "anticipated_duration_of_service_provision": val({"type": "number", "minimum": 1}),
            "anticipated_completion_date": DATE_VALUE,
            "source_ids": SOURCE_IDS}),
        "overall_project_finance": obj({
            "total_investment_commitment": obj({
                "currency": val({"type": "string", "pattern": CURRENCY}),
                "amount": obj({"exact": val(COUNT)}, ["exact"])}, ["currency", "amount"]),
            "maximum_potential_outcome_payment_v2": MONEY,
            "total_outcome_payments_made": MONEY,
            "source_ids": SOURCE_IDS}),
        "purpose_and_classifications": obj({"policy_sector": CODE(POLICY_SECTORS)}),
        "service_and_beneficiaries": obj({
            "targeted_number_service_users_or_beneficiaries_total": val(COUNT),
            "unit_type_targeted_service_users_or_beneficiaries": CODE(UNIT_TYPES),
            "actual_number_service_users_or_beneficiaries_total": val(COUNT),
            "unit_type_actual_service_users_or_beneficiaries": CODE(UNIT_TYPES)}),
        "notes": val(TEXT),
        "sources": {"type": "array", "minItems": 1, "items": obj({
            "id": TEXT, "name": val(TEXT), "notes": {"type": "string"}}, ["id"])},
        "outcome_metrics": {"type": "array", "items": obj({
            "id": TEXT,
            "definition": val(TEXT),
            "targeted_number_of_service_users_or_beneficiaries_total": val(COUNT),
            "unit_type_of_targeted_service_users_or_beneficiaries": CODE(UNIT_TYPES),
            "outcome_metric_target": val(TEXT),
            "outcome_validation_method": val(TEXT),
            "policy_sector": val(TEXT),
            "source_ids": SOURCE_IDS}, ["id"])},
        "outcome_pricings": {"type": "array", "items": obj({
            "outcome_metric_id": val(TEXT),
            "currency": val({"type": "string", "pattern": CURRENCY}),
            "price_per_unit": obj({"amount": val(COUNT)}, ["amount"]),
            "maximum_price_if_all_targets_achieved": obj(
                {"amount": val({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{2})?$"})},
                ["amount"]),
            "price_description": val(TEXT),
            "source_ids": SOURCE_IDS}, ["outcome_metric_id", "currency"])},
        "outcome_payment_commitments": {"type": "array", "items": obj({
            "maximum_potential_outcome_payment": MONEY,
            "result_type": CODE(COMMITMENT_RESULT_TYPES),
            "period": PERIOD,
            "total_outcome_payments": MONEY,
            "notes": {"type": "string"},
            "source_ids": SOURCE_IDS})},
        "investments": {"type": "array", "items": obj({
            "id": TEXT,
            "investment_commitment": obj({
                "currency": val({"type": "string", "pattern": CURRENCY}),
                "amount": obj({"exact": val(COUNT)}, ["exact"])}, ["currency", "amount"]),
            "investment_type": CODE(INVESTMENT_TYPES),
            "maximum_potential_loss": val({"type": "string",
                                           "pattern": r"^[0-9]{1,3}(\.[0-9]+)?$"}),
            "maximum_potential_return_type": CODE(RETURN_TYPES),
            "maximum_potential_return": val(COUNT),
            "investor_repayment": CODE(REPAYMENT),
            "notes": {"type": "string"},
            "source_ids": SOURCE_IDS}, ["id", "investment_commitment"])},
        "outcome_payments": {"type": "array", "items": obj({
            "outcome_metric_id": val(TEXT),
            "period": PERIOD,
            "type": CODE(PAYMENT_TYPES),
            "money": MONEY,
            "notes": {"type": "string"},
            "source_ids": SOURCE_IDS}, ["period", "type", "money"])},
        "results": {"type": "array", "items": obj({
            "outcome_metric_id": val(TEXT),
            "result_level": CODE(RESULT_LEVELS),
            "result_type": CODE(RESULT_TYPES),
            "period": PERIOD,
            "number_engaged_in_impact_bond": val(COUNT),
            "number_with_positive_social_outcomes": val(COUNT),
            "outcomes_achieved": val(TEXT),
            "pbr_counts": {"type": "object", "additionalProperties": COUNT},
            "notes": {"type": "string"},
            "source_ids": SOURCE_IDS}, ["result_level", "period"]) | {"allOf": [{
                # the two numbers only at project level (consumers sum them); a metric's
                # result names its metric and a project-level one names none
                "if": {"properties": {"result_level": {"properties": {
                    "value": {"const": "Outcome level"}}}}},
                "then": {"required": ["outcome_metric_id"], "not": {"anyOf": [
                    {"required": ["number_engaged_in_impact_bond"]},
                    {"required": ["number_with_positive_social_outcomes"]}]}},
                "else": {"not": {"anyOf": [{"required": ["outcome_metric_id"]},
                                           {"required": ["pbr_counts"]}]}}}]}},
    }, ["name", "sources", "outcome_metrics", "outcome_pricings",
        "outcome_payment_commitments", "outcome_payments"]),
}
