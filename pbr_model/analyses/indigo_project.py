"""The parts of an INDIGO project (data standard 4.1.0) that describe a contract: outcome
metrics, outcome pricings, outcome payment commitments per payer and investments, built
from the spec alone. The figures of a run (planned and actual outcome payments, results)
are added by :mod:`pbr_model.analyses.indigo`.

INDIGO writes nearly every field as an object holding its ``value`` (``{"value": 5000000}``),
money beside its ISO 4217 ``currency``, dates as YYYY, YYYY-MM or YYYY-MM-DD, and leaves
out what is not known. The mapping, field by field, is docs/indigo.md.
"""

from __future__ import annotations

from ..designs import describe as design_label
from ..observed_indigo import month_end, month_start
from ..payments import MECHANISMS, rule_measures
from ..payments.payers import shared_caps
from ..spec.schema import ContractSpec
from ..timeline import Timeline

#: What each measure a rule can read counts (INDIGO's outcome definition).
DEFINITIONS = {
    "binary": "Share of the cohort with at least one proven reoffence in the follow-up",
    "frequency_per_offender": "Proven reoffences per person in the cohort",
    "frequency_per_reoffender": "Proven reoffences per person who reoffended",
    "reconviction_events": "Reconviction events (court appearances ending in conviction) per "
                           "person in the cohort",
    "bed_days": "Custody bed days per person in the cohort",
}
#: pbr's tranche kinds -> INDIGO's investment type codelist (Debt, Equity, Combination);
#: grants and deferred fees are neither, so they have none.
INVESTMENT_TYPE = {"senior_loan": "Debt", "junior_loan": "Debt", "equity": "Equity"}
#: The one policy sector every pbr contract is in (INDIGO's policy sector codelist).
POLICY_SECTOR = "Criminal justice"


def v(x) -> dict:
    """INDIGO's wrapped value."""
    return {"value": x}


def money(currency: str, amount: float) -> dict:
    """``{currency, amount}`` as INDIGO writes money."""
    return {"currency": v(currency), "amount": v(cents(amount))}


def cents(x: float) -> float | int:
    """A currency amount rounded to the cent (no float noise such as 11999999.9988), as a
    JSON number: whole amounts as integers."""
    return number(round(float(x), 2))


def number(x: float) -> float | int:
    """A whole amount as a JSON integer (so it reads as written), others as they are."""
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def plain(x: float) -> str:
    """A number as plain text: digits, no separators (INDIGO's formatting rule)."""
    x = round(float(x), 2)
    return str(number(x)) if x.is_integer() else f"{x:.2f}"


def metrics(spec: ContractSpec, planned: float) -> list[dict]:
    """One outcome metric per measure the payment rules read; its id is the measure's name.
    ``planned``: the people the contract plans to serve [people]."""
    out = []
    label = design_label(spec.evaluation)
    for measure in dict.fromkeys(m for m, _ in rule_measures(spec)):
        rules = [_terms(spec, m) for m in spec.payments if m.type != "fee"
                 and measure in (x for x, _ in MECHANISMS[m.type].measures(m))]
        definition = DEFINITIONS.get(measure, f"Share of the cohort with the outcome "
                                              f"'{measure}' ([[outcomes.other]])")
        out.append({
            "id": measure,
            "definition": v(definition),
            "targeted_number_of_service_users_or_beneficiaries_total": v(number(planned)),
            "unit_type_of_targeted_service_users_or_beneficiaries": v("Individual"),
            "outcome_metric_target": v("; ".join(rules)),
            "outcome_validation_method": v(label),
            "policy_sector": v(POLICY_SECTOR),
            "source_ids": "pbr-spec",
        })
    return out


def _terms(spec: ContractSpec, mech) -> str:
    cur = spec.contract.currency
    text = MECHANISMS[mech.type].describe(mech, lambda x: f"{cur} {plain(x)}",
                                          lambda x: f"{100 * x:g}%")
    return f"{mech.name}: {text}"


def pricings(spec: ContractSpec) -> list[dict]:
    """One outcome pricing per rule: a rate card's rates, a tiered schedule, a sum at risk."""
    cur = spec.contract.currency
    out = []
    for mech in spec.payments:
        if mech.type == "outcome":
            for i, r in enumerate(mech.rates):
                p = {"outcome_metric_id": v(r.measure), "currency": v(cur)}
                if r.per == "unit":
                    p["price_per_unit"] = {"amount": v(cents(r.price))}
                if len(mech.rates) == 1 and mech.cap_total is not None:
                    p["maximum_price_if_all_targets_achieved"] = {
                        "amount": v(plain(mech.cap_total))}
                p["price_description"] = v(_rate_text(spec, mech, i))
                p["source_ids"] = "pbr-spec"
                out.append(p)
        elif mech.type in ("tiered", "revenue_at_risk"):
            p = {"outcome_metric_id": v(mech.measure), "currency": v(cur)}
            most = mechanism_max(spec, mech)
            if most is not None:
                p["maximum_price_if_all_targets_achieved"] = {"amount": v(plain(most))}
            p["price_description"] = v(_terms(spec, mech))
            p["source_ids"] = "pbr-spec"
            out.append(p)
    return out


def _rate_text(spec: ContractSpec, mech, i: int) -> str:
    cur = spec.contract.currency
    r = mech.rates[i]
    unit = {"points": "percentage points", "percent": "% of the comparison",
            "absolute": "the measure's own unit"}[r.change]
    more = r.measure in {o.name for o in spec.outcomes.other}
    per = {"unit": "per extra person with the outcome" if more else "per unit avoided",
           "change": f"per unit of change ({unit})",
           "cohort": "per cohort reaching the threshold"}[r.per]
    text = (f"{mech.name}, rate {i + 1}: {cur} {plain(r.price)} {per}, on the change in "
            f"{r.measure} against the comparison, measured in {unit}")
    if r.threshold:
        text += (f"; a cohort is paid from an improvement of {r.threshold:g} ({unit}; "
                 f"{r.threshold_rule})")
    if r.pooled_threshold is not None:
        text += f"; all cohorts pooled from {r.pooled_threshold:g} ({unit})"
    if r.hurdle is not None:
        text += (f"; paid only if {r.hurdle.measure} improves by at least {r.hurdle.min:g} "
                 f"({r.hurdle.change})")
    if r.significance_level is not None:
        sides = r.significance_test.replace("_", "-")
        text += (f"; only statistically significant changes count ({sides} test at "
                 f"{r.significance_level:g})")
    if r.deduction_price:
        text += f"; {cur} {plain(r.deduction_price)} deducted per unit of worsening beyond " \
                f"{r.deduction_threshold:g}"
    if mech.cap_per_cohort is not None:
        text += f"; at most {cur} {plain(mech.cap_per_cohort)} a cohort"
    if mech.cap_total is not None:
        text += f"; at most {cur} {plain(mech.cap_total)} in all (every rate of the mechanism)"
    return text


def mechanism_max(spec: ContractSpec, mech) -> float | None:
    """The most a result-dependent mechanism can pay over the contract [currency], or None
    where its terms set no bound (a rate card with no cap)."""
    n = spec.contract.cohorts
    if mech.type == "tiered":
        top = max(t.amount for t in mech.tiers) * (n if mech.basis == "cohort" else 1)
    elif mech.type == "revenue_at_risk":
        top = mech.amount * n if mech.settle == "earn" else 0.0
    elif mech.type == "outcome":
        caps = [c for c in (mech.cap_total,
                            None if mech.cap_per_cohort is None else mech.cap_per_cohort * n)
                if c is not None]
        top = min(caps) if caps else None
    else:
        return None
    if top is not None and getattr(mech, "cap_total", None) is not None:
        top = min(top, mech.cap_total)
    return top


def payers(spec: ContractSpec) -> list[tuple[str, float | None]]:
    """Each outcome payer (the mechanism's ``payers``, else one 'commissioner') with the
    most it can pay over the contract [currency] (None: no bound), in order of appearance."""
    out: dict[str, float | None] = {}
    for mech in spec.payments:
        if mech.type == "fee":
            continue
        top = mechanism_max(spec, mech)
        shares = [(p.name, p.share, p.cap) for p in mech.payers] or [("commissioner", 1.0, None)]
        for name, share, cap in shares:
            mine = None if top is None else top * share
            if cap is not None:
                mine = cap if mine is None else min(mine, cap)
            before = out.get(name, 0.0)
            out[name] = None if (mine is None or before is None) else before + mine
    # a payer's cap is one maximum over every mechanism that names it, not one each
    for name, cap in shared_caps(spec.payments).items():
        if name in out:
            out[name] = cap if out[name] is None else min(out[name], cap)
    return list(out.items())


def commitments(spec: ContractSpec, timeline: Timeline, actual: dict[str, float] | None,
                final: bool) -> list[dict]:
    """One outcome payment commitment per payer; ``actual``: what each has paid on observed
    results (by payer name), ``final``: every cohort has its result."""
    cur = spec.contract.currency
    out = []
    last = int(max(timeline.payment_month))
    for name, top in payers(spec):
        c = {}
        if top is not None:
            c["maximum_potential_outcome_payment"] = money(cur, top)
        c["period"] = {"start_date": v(month_start(timeline, 0).isoformat()),
                       "end_date": v(month_end(timeline, last).isoformat())}
        if actual is not None and name in actual:
            c["result_type"] = v("Overall" if final else "Interim")
            c["total_outcome_payments"] = money(cur, actual[name])
        c["notes"] = (f"Outcome payer '{name}' in the pbr spec (its INDIGO organisation id and "
                      "role category are not in the spec)")
        c["source_ids"] = "pbr-spec"
        out.append(c)
    return out


def investments(spec: ContractSpec, repaid: dict[str, str] | None) -> list[dict]:
    """One investment per ``[[sib.tranches]]``; ``repaid``: INDIGO's investor repayment
    code per tranche name, from a settlement of every cohort."""
    if spec.sib is None:
        return []
    cur = spec.contract.currency
    out = []
    for i, t in enumerate(spec.sib.tranches):
        inv = {"id": f"investment{i + 1}",
               "investment_commitment": {"currency": v(cur),
                                         "amount": {"exact": v(cents(t.amount))}}}
        if t.kind in INVESTMENT_TYPE:
            inv["investment_type"] = v(INVESTMENT_TYPE[t.kind])
        if t.repaid:
            covered = sum(min(g.amount, g.cover * t.amount) for g in spec.sib.guarantees
                          if g.covers == t.name)
            # a percentage the standard types as text
            inv["maximum_potential_loss"] = v(plain(round(100 * max(0.0, 1 - covered / t.amount),
                                                          2)))
            if t.return_cap > 0:
                inv["maximum_potential_return_type"] = v("IRR")
                inv["maximum_potential_return"] = v(number(round(100 * t.return_cap, 6)))
        if repaid is not None and t.name in repaid:
            inv["investor_repayment"] = v(repaid[t.name])
        inv["notes"] = (f"Tranche '{t.name}': {t.kind.replace('_', ' ')}, repaid at rank {t.rank}"
                        + ("" if t.repaid else ", not repaid (a grant)")
                        + (f", return capped at {100 * t.return_cap:g}% a year compounding "
                           "monthly" if t.return_cap > 0 else ""))
        inv["source_ids"] = "pbr-spec"
        out.append(inv)
    return out


def repayment_code(drawn: float, received: float) -> str:
    """INDIGO's investor repayment code for money drawn and received back [currency]."""
    tol = 1e-6 * max(drawn, 1.0)
    if received <= tol:
        return "No repayment (no principle or return)"
    if received < drawn - tol:
        return "Some repayment (but below value of principle)"
    if received <= drawn + tol:
        return "Principal repaid (but no net return)"
    return "Principal + positive financial returns"
