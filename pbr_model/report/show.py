"""``pbr show``'s view: the contract's terms and its figures at the expected effect."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from ..spec.load import LoadedSpec
from .format import Fmt, change_text, comparison_label, money, number, pct

def contract_overview(loaded: LoadedSpec, derived: dict) -> Group:
    """``pbr show``: the contract's terms and its figures at the expected effect."""
    spec = loaded.spec
    cur = spec.contract.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    c = spec.contract
    terms = Table(title=c.name, title_justify="left", show_header=False)
    terms.add_column(style="bold")
    terms.add_column()
    terms.add_row("Source", f"{loaded.source}  (sha256 {loaded.sha256[:12]})")
    terms.add_row("Starts", f"{c.start_date.isoformat()}, {c.length_months} months")
    terms.add_row("Cohorts", f"{derived['cohorts']} of {c.cohort_months} months")
    terms.add_row("Measurement", f"{c.followup_months}-month follow-up + {c.waiting_months} months "
                  f"for convictions + {c.payment_lag_months} months to pay")
    terms.add_row("First outcome payment", derived["first_outcome_payment"])
    terms.add_row("Last cash flow", f"{derived['last_cash_flow']} (month {derived['timeline_months'] - 1})")
    terms.add_row("Expected entrants", number(derived["expected_entrants"]))
    terms.add_row("Evaluation", comparison_label(spec))
    terms.add_row("Comparison", f"{pct(derived['comparison_binary_rate'])} binary, "
                  f"{derived['comparison_frequency']:.2f} reoffences per reoffender")
    eff = spec.intervention.effect
    terms.add_row("True effect (binary)", f"{pct(eff.binary.mean)} ± {pct(eff.binary.sd)}")
    terms.add_row("True effect (frequency)", f"{pct(eff.frequency.mean)} ± {pct(eff.frequency.sd)}")
    for mech in spec.payments:
        terms.add_row(f"Payment: {mech.name}", _describe(mech, cur))
    p = spec.provider
    terms.add_row("Provider", f"reserves {m(p.reserves)}, credit {m(p.credit_line)}, "
                  f"discount rate {pct(p.discount_rate)}")

    at = Table(title="At the expected effect, without noise", title_justify="left")
    at.add_column("Figure")
    at.add_column("Value", justify="right")
    at.add_row("Fee income", m(derived["fee_revenue"]))
    at.add_row("Outcome payments", m(derived["outcome_revenue"]))
    at.add_row("Share of revenue at risk", pct(derived["revenue_at_risk_share"]))
    at.add_row("Costs", m(derived["cost"]))
    at.add_row("Net result", m(derived["net"]))
    at.add_row("NPV", m(derived["npv"]))
    peak = derived["peak_month"]
    at.add_row("Peak funding need", f"{m(derived['peak_funding'])} (month {peak})" if peak >= 0
               else "none: cash never below zero")
    return Group(terms, at)


def _describe(mech, cur: str) -> str:
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    if mech.type == "fee":
        return f"fee {m(mech.annual)} a year + {m(mech.per_participant)} per entrant"
    if mech.type == "revenue_at_risk":
        verb = "repaid if" if mech.settle == "repay" else "paid if"
        return (f"{m(mech.amount)} a cohort {verb} {mech.measure} "
                f"{'misses' if mech.settle == 'repay' else 'reaches'} "
                f"{change_text(mech.change, mech.target)}")
    if mech.type == "tiered":
        tiers = ", ".join(f"{change_text(mech.change, t.at)}: {m(t.amount)}" for t in mech.tiers)
        how = "interpolated" if mech.interpolate else "stepped"
        return f"{mech.measure} tiers ({how}, {mech.basis}): {tiers}"
    parts = []
    for r in mech.rates:
        text = f"{r.measure} {m(r.price)} per {r.per}"
        if r.threshold:
            text += f" from {change_text(r.change, r.threshold)}"
        if r.pooled_threshold is not None:
            text += f", or {change_text(r.change, r.pooled_threshold)} pooled"
        if r.hurdle is not None:
            text += f" (if {r.hurdle.measure} ≥ {change_text(r.hurdle.change, r.hurdle.min)})"
        if r.significance_level is not None:
            text += f" (significant at {pct(r.significance_level)})"
        if r.deduction_price:
            text += f", less {m(r.deduction_price)} per {r.per} worse"
        parts.append(text)
    if mech.cap_per_cohort is not None:
        parts.append(f"cap {m(mech.cap_per_cohort)} a cohort")
    if mech.cap_total is not None:
        parts.append(f"cap {m(mech.cap_total)} in all")
    if mech.foundation is not None:
        parts.append(f"advance {m(mech.foundation.per_participant)} per entrant"
                     + (" with clawback" if mech.foundation.clawback else ""))
    return "; ".join(parts)


