"""The units of a run's columns (for docs, JSON, workbooks, tables and xarray): each
named column's in :data:`UNITS`, an outcome payer's by its pattern, and a rule measure's
pooled change by its kind."""

from __future__ import annotations

from ..engine import PAYER_COLUMNS

#: Units of every column of the result tables (for docs, JSON and workbooks).
UNITS: dict[str, str] = {
    "entrants": "people", "paid_volume": "units that attract a fee",
    "volume_factor": "factor (mean 1)", "paid_volume_factor": "factor (mean 1)",
    "reoffenders": "people", "reoffences": "reoffences",
    "binary_rate": "fraction", "comparison_binary_rate": "fraction",
    "binary_reduction_points": "percentage points", "frequency": "reoffences per reoffender",
    "comparison_frequency": "reoffences per reoffender", "triggered": "bool",
    "pooled_payment": "currency",
    "renegotiation": "currency", "renegotiated": "bool",
    "frequency_reduction": "reoffences per reoffender",
    "counterfactual_reoffenders": "people (expected)",
    "counterfactual_reoffences": "reoffences (expected)",
    "reoffences_avoided": "reoffences (vs expected counterfactual)",
    "pv_reoffences_avoided": "reoffences (each discounted to the start at the commissioner's "
                             "real rate from when it falls)",
    "pv_paid": "currency (present value at the start, real)",
    "pv_outcome_paid": "currency (present value at the start, real)",
    "effect_binary": "fraction", "effect_frequency": "fraction",
    "fee": "currency", "outcome": "currency", "fee_payment": "currency",
    "outcome_payment": "currency",
    "revenue": "currency", "cost": "currency", "net": "currency", "npv": "currency",
    "min_cash": "currency", "peak_funding": "currency", "peak_month": "month index",
    "insolvent": "bool", "payment_month": "month index",
    "peak_funding_before_financing": "currency", "peak_month_before_financing": "month index",
    "first_shortfall_month": "month index",
    "financing_cost": "currency",
    "cash_in": "currency", "cash_out": "currency", "net_flow": "currency",
    "cumulative": "currency", "terminated": "bool", "termination_month": "month index",
}


def change_unit(column: str) -> str:
    """The unit of a rule measure's pooled change column (``..._change_points``...)."""
    kind = column.rsplit("_change_", 1)[1]
    return {"points": "percentage points", "percent": "percent of the comparison"}.get(
        kind, "measure units")


def payer_unit(column: str) -> str | None:
    """The unit of an outcome payer's column (``paid_by:NYS``...), else None."""
    for pattern, unit in PAYER_COLUMNS.items():
        if column.startswith(pattern.format("")):
            return unit
    return None


def unit_of(column: str) -> str:
    """The unit of any per-simulation column: a named one's, a payer's, else a change's."""
    return UNITS.get(column) or payer_unit(column) or change_unit(column)
