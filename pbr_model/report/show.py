"""``pbr show``'s view: the contract's terms and its figures at the expected effect."""

from __future__ import annotations

from rich.console import Group
from .fit import FitTable

from ..payments import describe, pays_only_back
from ..payments.payers import shared_caps
from ..payments.base import change_text
from ..analyses.show import ShowResult
from ..designs import describe as describe_design
from ..spec.contract import add_months
from .format import Fmt, cuts_text, measure_label, money, number, pct


def contract_overview(result: ShowResult) -> Group:
    """``pbr show``: the contract's terms and its figures at the expected effect."""
    loaded, derived = result.loaded, result.figures
    spec = loaded.spec
    cur = spec.contract.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    c = spec.contract
    terms = FitTable(title=c.name, title_justify="left", show_header=False)
    terms.add_column(style="bold", no_wrap=True)  # a long field path folds beside it instead
    terms.add_column()
    terms.add_row("Source", f"{loaded.source}  (sha256 {loaded.sha256[:12]})")
    terms.add_row("Starts", f"{c.start_date.isoformat()}, {c.length_months} months")
    first = (f", the first from {add_months(c.start_date, c.first_cohort_month).isoformat()} "
             f"(month {c.first_cohort_month})" if c.first_cohort_month else "")
    terms.add_row("Cohorts", f"{derived['cohorts']} of {c.cohort_months} months{first}")
    terms.add_row("Measurement", _measurement(c))
    first_paid = derived["first_outcome_payment"]
    first_month = derived["first_outcome_payment_month"]
    terms.add_row("First outcome payment",
                  "none: nothing is paid for results" if first_paid is None else
                  f"none: results can only take money back, first due {first_paid} (month "
                  f"{first_month}) if a target is missed" if pays_only_back(spec) else
                  f"{first_paid} (month {first_month}), if earned")
    terms.add_row("Last cash flow", f"{derived['last_cash_flow']} (month {derived['timeline_months'] - 1})")
    terms.add_row("Expected caseload (entrants)", number(derived["expected_entrants"]))
    if derived["expected_paid_volume"] != derived["expected_entrants"]:
        terms.add_row("Expected paid volume (fee units)", number(derived["expected_paid_volume"]))
    terms.add_row("Evaluation", describe_design(spec.evaluation))
    if spec.evaluation.attrition:
        terms.add_row("Attrition", f"{pct(spec.evaluation.attrition)} of each cohort lost to "
                      "data matching: measured on the rest; fees and costs on everyone")
    terms.add_row("Comparison", f"{pct(derived['comparison_binary_rate'])} binary, "
                  f"{number(derived['comparison_frequency'], 2)} reoffences per reoffender")
    eff = spec.intervention.effect
    if eff.states_rate:
        rate = eff.offending_rate
        terms.add_row("True effect (offending rate)", f"{pct(rate.mean)} ± {pct(rate.sd)}")
    else:
        terms.add_row("True effect (binary)", f"{pct(eff.binary.mean)} ± {pct(eff.binary.sd)}")
        terms.add_row("True effect (frequency)",
                      f"{pct(eff.frequency.mean)} ± {pct(eff.frequency.sd)}")
    if eff.by_band is not None:
        terms.add_row("Effect by band", ", ".join(
            f"{b.name} x{v:g}" for b, v in zip(spec.population.bands, eff.by_band)))
    terms.add_row("Implied at the mean", cuts_text(derived, "implied_"))
    if spec.trend.before or spec.trend.correlation:
        terms.add_row("National trend", _trend(spec, derived))
    shared = frozenset(shared_caps(spec.payments))
    for mech in spec.payments:
        terms.add_row(f"Payment: {mech.name}", describe(mech, m, pct, shared))
    for cal in c.calibrated:
        terms.add_row("Calibrated", cal.note())
    ix = spec.indexation
    if ix.cost_inflation or ix.prices:
        terms.add_row("Indexation", "; ".join(
            [f"costs {pct(ix.cost_inflation)} a year"]
            + [f"{p.payment} {pct(ix.uplift(p))} a year"
               + (" (by payment month)" if p.basis == "payment" else "") for p in ix.prices]))
    for r in spec.renegotiation:
        terms.add_row(f"Renegotiation: {r.name}", _renegotiation(r, m, pct))
    if spec.termination is not None:
        terms.add_row("Termination", _termination(spec.termination, m, pct))
    p = spec.provider
    bond = ("" if spec.sib is None else
            f", beyond the bond's {m(sum(t.amount for t in spec.sib.tranches))}")
    terms.add_row("Provider", f"reserves {m(p.reserves)}, credit {m(p.credit_limit)}{bond}, "
                  f"cost of capital {pct(p.cost_of_capital)}")

    at = FitTable(title="At the expected effect, without noise", title_justify="left")
    at.add_column("Figure")
    at.add_column("Value", justify="right")
    at.add_row("Fee income", m(derived["fee_revenue"]))
    at.add_row("Outcome payments", m(derived["outcome_revenue"]))
    at.add_row("Outcome payments, true effect 0", _zero_effect(derived, m))
    at.add_row("Share of revenue at risk", pct(derived["revenue_at_risk_share"]))
    at.add_row("Costs", m(derived["cost"]))
    at.add_row("Net result", m(derived["net"]))
    at.add_row("NPV", m(derived["npv"]))
    before = derived["peak_month_before_financing"]
    at.add_row("Peak funding need, before financing",
               f"{m(derived['peak_funding_before_financing'])} (month {before})" if before >= 0
               else "none: cash never below zero")
    peak = derived["peak_month"]
    at.add_row("  after the bond and financing" if spec.sib is not None else
               "  after financing",
               f"{m(derived['peak_funding'])} (month {peak})" if peak >= 0
               else "none: cash never below zero")
    return Group(terms, at)




def _zero_effect(derived: dict, m: Fmt) -> str:
    """The outcome payments with the service's true effect at 0, and their share of the
    payments at the expected effect: against a historical baseline, what the trend pays."""
    zero, expected = derived["outcome_revenue_zero_effect"], derived["outcome_revenue"]
    share = f" ({pct(zero / expected)} of the above)" if expected > 0 and zero > 0 else ""
    return m(zero) + share


def _trend(spec, derived: dict) -> str:
    """The national trend's expected move by the first cohort, pre-contract periods included,
    and whether the measured change carries it (a historical comparison does)."""
    t, ev = spec.trend, spec.evaluation
    historical = ev.design == "historical_baseline" or ev.comparison_period == "historical"
    binary = number(derived["trend_binary_points_cohort_1"], 1, sign=True)
    frequency = number(100 * derived["trend_frequency_change_cohort_1"], 1, sign=True)
    text = (f"expected by cohort 1: {binary} points binary, {frequency}% reoffences per "
            "reoffender")
    if t.before:
        text += (f", after {t.periods_before} periods of {spec.contract.cohort_months} months "
                 "between the baseline and the first cohort")
    text += ("; included in the measured change" if historical
             else "; the concurrent comparison shares it")
    if t.correlation:
        text += f"; binary-frequency step correlation {t.correlation:g}"
    if any(cal.field.startswith("trend.") for cal in spec.contract.calibrated):
        text += "; calibrated to the published record (see Calibrated): a check of arithmetic"
    return text


def _measurement(c) -> str:
    """How long from a cohort's end to its payment, in words."""
    text = f"{c.followup_months}-month follow-up + {c.waiting_months} months for convictions"
    if c.payment_dates is not None:
        return text + "; paid on " + ", ".join(d.isoformat() for d in c.payment_dates)
    if c.result_lag_months is not None:
        lags = c.result_lag_months
        text = (f"result published {lags if isinstance(lags, int) else '/'.join(map(str, lags))} "
                f"months after each cohort ends ({text})")
    return text + f" + {c.payment_lag_months} months to pay"


def _renegotiation(r, m: Fmt, pct: Fmt) -> str:
    """A renegotiation's terms in words."""
    what = []
    if r.lump_sum:
        what.append(f"{m(r.lump_sum)} lump sum")
    if r.payment is not None and r.price_factor != 1:
        what.append(f"{r.payment} x {r.price_factor:g} from then on")
    when = []
    if r.net_below is not None:
        when.append(f"net cash so far below {m(r.net_below)}")
    if r.paid_volume_below is not None:
        when.append(f"paid volume so far below {pct(r.paid_volume_below)} of plan")
    at = f"month {r.month}" if r.month is not None else r.date.isoformat()
    return (f"{at}: " + " and ".join(what)
            + (" if " + " and ".join(when) if when else ""))


def _termination(t, m: Fmt, pct: Fmt) -> str:
    """Early termination terms in words."""
    parts = []
    if t.break_month is not None:
        parts.append(f"break at month {t.break_month}")
    if t.rule is not None:
        r = t.rule
        parts.append(f"stop at month {r.decision_month} if {measure_label(r.measure)} "
                     f"improved less than {change_text(r.change, r.stop_below)} so far")
    parts.append(f"cohorts in flight {'paid' if t.in_flight == 'paid' else 'not paid'}")
    if t.compensation or t.compensation_fee_share:
        parts.append(f"compensation {m(t.compensation)} + {pct(t.compensation_fee_share)} of "
                     "the annual fee left")
    return "; ".join(parts)
