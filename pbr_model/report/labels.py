"""Readable names and units of the figures a command's JSON holds, for the workbook's
Summary (and any other view that names a figure).

A figure's key is the JSON's path joined with dots (``providers[small-charity].peak_funding``,
see :func:`pbr_model.report.sheets.figure_rows`). Its label is the words of each part of
that path (:data:`WORDS`), a named list item by its name, a list position by its number;
its unit follows from the cell format the key is given. A part with no words is written as
it is; :func:`missing_words` names such parts, and a test fails on any of them, so a new
figure gets a label when it is added.
"""

from __future__ import annotations

import re

#: Each part of a figure's key (a JSON key) in words.
WORDS = {
    # sections
    "provider": "provider", "providers": "", "payments": "payments", "outcomes": "outcomes",
    "plan": "plan", "commissioner": "commissioner", "payers": "", "pays_for": "pays for",
    "investors": "investors", "guarantees": "guarantees", "owner": "owner", "owners": "",
    "areas": "", "diversification": "diversification", "national": "all areas",
    "shared": "shared", "trend": "national trend", "true_effect": "true effect",
    "measured_change": "measured change", "termination": "stopped early",
    "renegotiation": "renegotiation", "context": "now", "at_answer": "at the answer",
    "current": "the spec now", "prices": "price", "bracket": "bracket",
    "shown_bracket": "bracket as shown", "search_range": "search range", "target": "target",
    "calibrated": "calibrated", "mechanisms": "", "missing_cohorts": "cohort with no result",
    "implied": "what the effect means", "break_even_implied": "break-even effect means",
    "effect_for_90pct_paid_implied": "effect for 90% paid means", "terms": "terms",
    "facility": "social investment facility", "capital_required": "capital required",
    "additional_capital": "capital beyond reserves and credit",
    "financing_by_source": "financing cost by source", "peak_funding_p95": "peak need P95",
    "peak_funding_p99": "peak need P99", "net_after_financing_stats": "net after financing",
    "before": "before", "payback_month": "month of payback",
    # percentiles as parts of a path (not the Summary's columns)
    "mean": "mean", "p5": "P5", "p50": "P50", "p95": "P95 (5% risk)", "p99": "P99 (1% risk)",
    # figures
    "contract": "contract", "name": "name", "role": "role", "kind": "kind", "type": "type",
    "entrants": "caseload (entrants)", "paid_volume": "paid volume (fee units)",
    "binary_rate": "binary reoffending rate", "comparison_binary_rate": "comparison group's rate",
    "binary_reduction_points": "measured reduction (points)",
    "frequency": "reoffences per reoffender", "reoffences_avoided": "reoffences avoided",
    "binary_change_points": "binary rate change (points)",
    "frequency_per_reoffender_change_absolute": "reoffences per reoffender change",
    "reconviction_events_change_percent": "reconviction events change (%)",
    "bed_days_change_percent": "bed days change (%)",
    "employment_change_points": "employment change (points)",
    "fee": "fee income", "fees": "fees", "outcome": "outcome payments", "total": "total",
    "outcome_share": "outcome payments' share of the total",
    "prob_triggered": "P(triggered)", "prob_any_outcome_payment": "P(any outcome payment)",
    "prob_repayment": "P(repayment)", "prob_renegotiated": "P(renegotiated)",
    "prob_terminated": "P(stopped early)", "month": "month", "cost": "costs", "net": "net result",
    "npv": "NPV", "revenue": "revenue", "financing_cost": "financing cost",
    "peak_funding": "peak funding need", "peak_funding_before_financing":
        "peak funding need before financing",
    "peak_month": "month of peak need", "peak_date": "month of peak need (date)",
    "peak_month_before_financing": "month of peak need before financing",
    "peak_date_before_financing": "month of peak need before financing (date)",
    "first_shortfall_month": "first month out of cash",
    "with_bond": "with the [sib]'s draws and waterfall after financing",
    "first_shortfall_date": "first month out of cash (date)",
    "prob_loss": "P(loss)", "prob_insolvent": "P(runs out of cash)",
    "prob_runs_out": "P(runs out of cash)", "prob_loss_after_financing":
        "P(loss after financing)",
    "net_after_financing": "expected net after financing", "new_capital": "new capital",
    "reserves": "reserves", "credit": "credit", "available": "reserves + credit",
    "share": "share", "fee_share": "share of the fee passed down", "fee_basis": "fee paid on",
    "pbr_share": "share of PbR risk carried", "owner_share": "owner's share of the work",
    "cost_of_capital": "cost of capital", "overheads": "overheads",
    "credit_limit": "credit limit", "credit_rate": "credit rate",
    "reserves_rate": "interest the reserves earn", "rate": "rate", "size": "size",
    "commitment_fee": "commitment fee", "arrangement_fee": "arrangement fee",
    "investor_return": "investor's return a year", "investor_loss": "investor's expected loss",
    "investor_prob_loss": "investor's P(loss)", "prob_drawn": "P(drawn)",
    # the commissioner
    "total_paid": "total paid", "fees_paid": "fees paid", "outcome_paid": "outcome payments paid",
    "pv_paid": "present value of payments (real, prices of the contract's start)",
    "discount_rate": "discount rate (real)", "inflation": "inflation deflating the cash",
    "cost_per_reoffence_avoided": "paid per reoffence avoided",
    "outcome_cost_per_reoffence_avoided": "outcome payments per reoffence avoided",
    "cost_per_reoffence": "cost of a reoffence", "value_of_avoided": "value of reoffences avoided",
    "net_savings_vs_outcome": "net savings against outcome payments",
    "net_savings_vs_total": "net savings against all payments",
    "pv_value_of_avoided": "present value of reoffences avoided (real, prices of the start)",
    "npv_vs_outcome": "net present value against outcome payments (upper bound: every "
                      "reoffence avoided credited to them)",
    "npv_vs_total": "net present value against all payments (lower bound: the whole service "
                    "charged to reoffending)",
    "prob_npv_vs_outcome_negative": "P(net present value against outcome payments below 0)",
    "prob_npv_vs_total_negative": "P(net present value against all payments below 0)",
    "paid_for_noise": "paid for noise: P(triggered) at no effect",
    "paid_for_noise_se": "paid for noise: Monte Carlo s.e.",
    "paid_any_for_noise": "paid for noise: P(any payment) at no effect",
    "expected_paid_for_noise": "paid for noise: expected outcome payment",
    "expected_paid_for_noise_se": "paid for noise: expected payment's s.e.",
    "paid_given_no_drawn_effect": "P(pays | drawn effect nil or harmful)",
    "prob_no_effect": "P(drawn effect nil or harmful)",
    "paid_without_avoided": "P(pays though no reoffences avoided)",
    "expected_paid": "expected paid", "paid": "paid", "cap": "cap",
    "prob_cap_binds": "P(cap reached)", "mechanism": "mechanism", "covers": "covers",
    "prob_called": "P(called)",
    # investors
    "drawn": "drawn", "received": "received", "irr": "IRR a year",
    "irr_given_not_total_loss": "IRR a year, where not a total loss", "multiple": "multiple",
    "prob_total_loss": "P(total loss)", "prob_payback": "P(paid back)",
    "expected_loss": "expected loss", "grant": "grant (not repaid)",
    # a portfolio
    "combined": "held together", "standalone_sum": "areas alone, summed", "saving": "saving",
    "saving_share": "saving (share)", "mean_saving": "mean saving per simulation",
    "volume_correlation": "volume correlation", "effect_correlation": "effect correlation",
    "correlation": "correlation", "binary_logit_drift": "binary rate drift (logit a year)",
    "binary_logit_sd": "binary rate spread (logit)",
    "frequency_log_drift": "frequency drift (log a year)",
    "frequency_log_sd": "frequency spread (log)", "periods": "periods", "cohorts": "cohorts",
    "source": "source", "spec_sha256": "spec SHA-256", "total_payments": "total payments",
    "outcome_payments": "outcome payments",
    # power
    "effect_stated_as": "effect stated as", "stated_as": "stated as",
    "break_even_effect": "break-even effect (expected net >= 0)",
    "break_even_effect_on_grid": "break-even effect, first grid point",
    "effect_for_90pct_paid": "effect for a 90% chance of payment",
    "effect_for_90pct_paid_on_grid": "effect for a 90% chance, first grid point",
    "break_even_effect_below_grid": "break-even met at the lowest effect tried",
    "effect_for_90pct_paid_below_grid": "90% chance met at the lowest effect tried",
    "baseline_binary_rate": "baseline binary rate", "binary_cut": "binary rate cut",
    "binary_points": "binary rate cut (points)", "frequency_cut": "per-reoffender cut",
    # breakeven
    "solve": "solved for", "parameter": "parameter", "unit": "unit", "label": "label",
    "objective": "objective", "status": "status", "value": "value",
    "expected_net": "expected net", "metric": "metric", "se": "Monte Carlo s.e.",
    "meets_target": "meets the target", "standard_error": "answer's Monte Carlo s.e.",
    "slope": "slope of expected net", "step": "step", "shown": "answer as shown",
    "tolerance": "tolerance", "steps": "steps", "trials": "values tried", "mode": "mode",
    "path": "field", "at_answer_price": "at the answer",
    "fee_per_participant": "fee per participant",
    "outcome_per_participant": "outcome payment per participant",
    "cost_per_participant": "cost per participant", "outcome_per_taker":
        "outcome payment per budget taker",
    "expected_budget_takers": "expected budget takers",
    # settle
    "cohort_total": "cohorts' total", "pooled": "pooled", "pooled_status": "pooled trigger",
    "total_payment": "total outcome payments", "field": "field", "to": "to", "note": "note",
    "actual_payments": "actual payment (INDIGO)", "date": "date",
    "actual": "paid, as recorded", "settled": "as settled here", "difference": "difference",
}

_PART = re.compile(r"([^.\[]+)(?:\[([^\]]*)\])?")


def _parts(key: str) -> list[tuple[str, str | None]]:
    """(JSON key, list item's name or None) for each part of a dotted key."""
    return [(m.group(1), m.group(2)) for m in _PART.finditer(key)]


def label(key: str) -> str:
    """A figure's readable name, e.g. ``providers[small-charity].facility.p95.size`` ->
    ``small-charity: social investment facility: P95 (5% risk): size``."""
    words: list[str] = []
    proper = False  # the label opens with a name (a party's, a tranche's): kept as written
    for part, name in _parts(key):
        if part.isdigit():  # a position in a list: the item's number, from 1
            words.append(f"#{int(part) + 1}")
            continue
        text = WORDS.get(part, part.replace("_", " "))
        if text:
            words.append(text)
        if name is not None:
            proper = proper or not words
            words.append(name)
    text = ": ".join(words)
    return text if proper else text[:1].upper() + text[1:]


def missing_words(key: str) -> list[str]:
    """The parts of ``key`` that have no words in :data:`WORDS` (a test keeps this empty)."""
    return [part for part, _ in _parts(key) if not part.isdigit() and part not in WORDS]


def unit(number_format: str | None, value, currency: str, key: str = "") -> str:
    """A figure's unit from its cell format (:func:`pbr_model.report.sheets.number_format_for`),
    value and key: the currency, ``%``, ``percentage points``, ``month``, ``cohort``, ``count``,
    ``ratio``, ``yes/no`` or ``text``."""
    if key.rsplit(".", 1)[-1].endswith("_points"):  # a change in a rate, e.g. -4.5 points
        return "percentage points"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, str):
        return "year-month" if re.fullmatch(r"\d{4}-\d{2}", value) else "text"
    if number_format is None:
        return ""
    parts = key.split(".")
    if len(parts) > 1 and parts[-1].isdigit() and parts[-2].endswith("cohorts"):
        return "cohort"   # a list of cohorts (number_format_for gives them "0", as months)
    if "%" in number_format:
        return "%"
    if '"' in number_format:  # a money format: the currency's symbol in quotes
        return currency
    return {"0": "month", "#,##0": "count", "0.00": "ratio", "0.000": "model units",
            "0.0000": "factor"}.get(number_format, "")
