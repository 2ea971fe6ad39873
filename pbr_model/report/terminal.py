"""Terminal tables (rich) for simulation results and contract overviews."""

from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..results import SimulationResult, change_column
from ..spec.schema import MEASURES
from ..spec.load import LoadedSpec
from .capital import investor_table
from .format import measure_label, money, number, pct

Fmt = Callable[[float], str]


def _row(table: Table, label: str, fig: dict, fmt: Fmt) -> None:
    table.add_row(label, *(fmt(fig[k]) for k in ("mean", "p5", "p50", "p95")))


def simulation_summary(result: SimulationResult) -> Group:
    """The headline table of ``pbr simulate``."""
    s = result.summary()
    cur = result.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    t = Table(title=s["contract"], title_justify="left",
              caption=f"{s['sims']:,} simulations · seed {s['seed']} · spec {s['spec_sha256'][:12]}"
                      f" · pbr-model {s['version']}"
                      + (f" · volume shock {pct(s['volume_shock'], 0)}" if s["volume_shock"] else ""),
              caption_justify="left")
    t.add_column("Figure (per simulation)")
    for col in ("Mean", "P5", "P50", "P95"):
        t.add_column(col, justify="right")
    o, p, v = s["outcomes"], s["payments"], s["provider"]
    _row(t, "Entrants", s["entrants"], number)
    _row(t, "Binary reoffending rate", o["binary_rate"], pct)
    _row(t, f"  {comparison_label(result.spec)}", o["comparison_binary_rate"], pct)
    _row(t, "  measured reduction, points", o["binary_reduction_points"], lambda x: number(x, 2))
    _row(t, "Reoffences per reoffender", o["frequency"], lambda x: number(x, 2))
    shown = (change_column("binary", "points"),
             change_column("frequency_per_reoffender", "absolute"))
    for column, fig in o["measured_change"].items():
        if column not in shown:  # the other measures the contract pays on
            measure, kind = column.rsplit("_change_", 1)
            unit = {"points": " (points)", "percent": " %"}.get(kind, "")
            _row(t, f"{measure_label(measure)}, change{unit}", fig, lambda x: number(x, 2))
    _row(t, "Fee income", p["fee"], m)
    _row(t, "Outcome payments", p["outcome"], m)
    _row(t, "Total revenue", p["total"], m)
    _row(t, "Costs", v["cost"], m)
    _row(t, "Net result", v["net"], m)
    _row(t, f"NPV at {pct(result.spec.provider.discount_rate)}", v["npv"], m)
    _row(t, "Peak funding need", v["peak_funding"], m)
    _row(t, "  month of peak", v["peak_month"], number)
    facility = result.spec.provider.reserves + result.spec.provider.credit_line
    probs = [("P(loss)", v["prob_loss"]),
             (f"P(cash need > reserves + credit, {money(facility, cur)})", v["prob_insolvent"]),
             ("P(outcome payment triggered)", p["prob_triggered"]),
             ("P(any outcome payment)", p["prob_any_outcome_payment"])]
    width = max(len(label) for label, _ in probs) + 2
    lines = Text("\n").join(Text.assemble((label.ljust(width), "bold"), pct(value))
                            for label, value in probs)
    footer = Text(f"Money in {cur}; money into the provider is positive.", style="dim")
    return Group(t, lines, footer)


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


def comparison_label(spec) -> str:
    """What the treated cohorts are compared with, in words."""
    ev = spec.evaluation
    if ev.design == "historical_baseline":
        label = "baseline (case-mix adjusted)" if ev.case_mix_adjusted else "baseline"
    else:
        group = "matched comparison group" if ev.design == "matched_comparison" else "control group"
        label = f"{group}, {ev.ratio:g} per person"
        if ev.comparison_period == "historical":
            label = "historical " + label
        if ev.did_weight > 0:
            label += f", {pct(ev.did_weight)} DiD"
    return label


def _change(kind: str, value: float) -> str:
    return {"points": f"{value:g} points", "percent": f"{value:g}%"}.get(kind, f"{value:g}")


def _describe(mech, cur: str) -> str:
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    if mech.type == "fee":
        return f"fee {m(mech.annual)} a year + {m(mech.per_participant)} per entrant"
    if mech.type == "revenue_at_risk":
        verb = "repaid if" if mech.settle == "repay" else "paid if"
        return (f"{m(mech.amount)} a cohort {verb} {mech.measure} "
                f"{'misses' if mech.settle == 'repay' else 'reaches'} "
                f"{_change(mech.change, mech.target)}")
    if mech.type == "tiered":
        tiers = ", ".join(f"{_change(mech.change, t.at)}: {m(t.amount)}" for t in mech.tiers)
        how = "interpolated" if mech.interpolate else "stepped"
        return f"{mech.measure} tiers ({how}, {mech.basis}): {tiers}"
    parts = []
    for r in mech.rates:
        text = f"{r.measure} {m(r.price)} per {r.per}"
        if r.threshold:
            text += f" from {_change(r.change, r.threshold)}"
        if r.pooled_threshold is not None:
            text += f", or {_change(r.change, r.pooled_threshold)} pooled"
        if r.hurdle is not None:
            text += f" (if {r.hurdle.measure} ≥ {_change(r.hurdle.change, r.hurdle.min)})"
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


def settlement_table(s) -> Group:
    """``pbr settle``: each cohort's measured change, the triggers and the payments."""
    cur = s.currency
    t = Table(title=f"{s.spec.contract.name}: settlement on {s.observed}", title_justify="left",
              caption=f"spec {s.spec_sha256[:12]} · observed {s.observed_sha256[:12]} · "
                      f"pbr-model {s.version}", caption_justify="left")
    t.add_column("Cohort", justify="right")
    t.add_column("n", justify="right")
    for m, c in s.measures:
        t.add_column(f"{measure_label(m)}\ntreated vs comparison", justify="right")
        t.add_column(f"change\n({c})", justify="right")
    for mech in s.mechanisms:
        t.add_column(f"{mech['name']}\ntriggered / paid", justify="right")
    t.add_column("Paid on\n(date)", justify="right")
    fmt = {"points": lambda v: number(v, 2), "percent": lambda v: number(v, 1) + "%",
           "absolute": lambda v: number(v, 3)}
    for cohort, r in s.cohorts[s.cohorts["observed"]].iterrows():
        cells = [str(cohort), number(r["n"])]
        for m, c in s.measures:
            cells.append(f"{_value(m, r[f'{m}:treated'])} vs {_value(m, r[f'{m}:comparison'])}")
            cells.append(fmt[c](r[f"{m}:change"]))
        for mech in s.mechanisms:
            cells.append(f"{'yes' if r[mech['name'] + ':triggered'] else 'no'} / "
                         f"{money(r[mech['name'] + ':payment'], cur)}")
        cells.append(r["payment_date"])
        t.add_row(*cells)
    lines = []
    for mech in s.mechanisms:
        if mech["pooled_status"] is not None:
            text = f"{mech['name']}: pooled trigger {mech['pooled_status']}"
            if mech["pooled_status"] == "not assessed":
                text += " (needs every cohort's result)"
            elif mech["pooled"]:
                text += f", pays {money(mech['pooled'], cur)}"
            lines.append(text)
        lines.append(f"{mech['name']}: {money(mech['total'], cur)} in all")
    if s.missing:
        lines.append("No result yet for cohort(s) " + ", ".join(map(str, s.missing))
                     + ": not paid, not counted.")
    lines.append(f"Total outcome payments: {money(s.total_payment, cur)} "
                 "(negative = repaid to the commissioner; fees are not settled)")
    extra = []
    if s.investors:
        extra.append(investor_table(s.investors, s.guarantees or [], cur, observed=True))
    elif s.spec.sib is not None:
        lines.append("Social investors: assessed once every cohort has a result.")
    return Group(t, Text("\n".join(lines)), *extra,
                 Text("Change = treated minus comparison; negative is fewer (better for "
                      "reoffending measures).", style="dim"))


def _value(measure: str, v: float) -> str:
    return pct(v) if MEASURES.get(measure, True) else number(v, 2)  # rates as percentages


def power_table(p) -> Group:
    """``pbr power``: payment probability and expected payments by true effect."""
    cur = p.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    t = Table(title=f"{p.spec.contract.name}: payment power", title_justify="left",
              caption=f"{p.sims:,} simulations per effect · seed {p.seed} · spec "
                      f"{p.spec_sha256[:12]} · pbr-model {p.version}", caption_justify="left")
    for col in ("True effect", "P(triggered)", "Cohorts triggered", "P(any payment)",
                "Outcome mean", "Outcome P5", "Outcome P95", "Net mean", "P(loss)"):
        t.add_column(col, justify="right")
    for effect, r in p.table.iterrows():
        t.add_row(pct(effect), pct(r["prob_triggered"]), pct(r["cohorts_triggered"]),
                  pct(r["prob_paid"]),
                  m(r["outcome_mean"]), m(r["outcome_p5"]), m(r["outcome_p95"]),
                  m(r["net_mean"]), pct(r["prob_loss"]))

    def effect(value, on_grid):
        if value is None:
            return "not reached on this grid"
        return f"{pct(value)} (interpolated; first grid point {pct(on_grid)})"

    lines = Text("\n").join([
        Text.assemble(("Break-even effect (expected net >= 0): ", "bold"),
                      effect(p.break_even_effect, p.break_even_on_grid)),
        Text.assemble(("Effect for a 90% chance of being paid: ", "bold"),
                      effect(p.effect_for_90pct_paid, p.paid_90_on_grid)),
        Text.assemble(("Paid for noise (P(triggered) at no true effect): ", "bold"),
                      pct(p.paid_for_noise)),
    ])
    return Group(t, lines, Text("True effect: a known relative reduction in the binary rate and "
                                "in reoffences per reoffender (and a relative improvement in any "
                                "other outcome). P(triggered): any cohort's (or the pooled) "
                                "trigger met.", style="dim"))
