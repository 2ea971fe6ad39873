"""``pbr simulate``'s views: the summary table on screen and the run's workbook (Summary,
Assumptions, Cohorts, Cashflow, Distributions, optional Simulations)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..analyses.runs import sib_investors
from ..analyses.simulate import SimulationResult, change_column
from .book import Book
from ..designs import describe as describe_design
from ..payments import trigger_label
from .format import (Fmt, cuts_text, draws_label, measure_label, money, month_when, number, pct,
                     percent, shock_label)
from .run_sheets import cashflow_sheet, cohorts_sheet, distributions_sheet
from .sheets import (PCT_FORMAT, assumptions_sheet, check_output, money_format, provenance,
                     save_atomic, simulations_sheet, sims_sheet_row, summary_sheet)


def _row(table: FitTable, label: str, fig: dict, fmt: Fmt) -> None:
    table.add_row(label, *(fmt(fig[k]) for k in ("mean", "p5", "p50", "p95")))


def simulation_summary(result: SimulationResult) -> Group:
    """The headline table of ``pbr simulate``."""
    s = result.summary()
    cur = result.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    t = FitTable(title=s["contract"], title_justify="left",
              caption=f"{s['sims']:,} simulations{draws_label(s)} · seed {s['seed']} · "
                      f"spec {s['spec_sha256'][:12]}"
                      f" · pbr-model {s['version']}"
                      + (f" · {shock_label(s)}" if shock_label(s) else ""),
              caption_justify="left")
    t.add_column("Figure (per simulation)")
    for col in ("Mean", "P5", "P50", "P95"):
        t.add_column(col, justify="right")
    o, p, v = s["outcomes"], s["payments"], s["provider"]
    # The caseload (the people served, the outcome cohort, what costs follow) and the paid
    # volume (what per-participant fees are paid on) differ when [cohorts] sets the paid
    # volume apart or under --paid-volume-shock: then both are shown, as the fee follows
    # the second.
    _row(t, "Caseload (entrants)", s["entrants"], number)
    if s["paid_volume"] != s["entrants"]:
        _row(t, "Paid volume (fee units)", s["paid_volume"], number)
    _row(t, "Binary reoffending rate", o["binary_rate"], pct)
    _row(t, f"  {describe_design(result.spec.evaluation)}", o["comparison_binary_rate"], pct)
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
    _row(t, "Net result (before financing)", v["net"], m)
    _row(t, f"NPV at {pct(result.spec.provider.cost_of_capital)} (before financing)", v["npv"], m)
    _row(t, "Financing cost", v["financing_cost"], m)
    _row(t, "Peak funding need (after financing)", v["peak_funding"], m)
    _row(t, "  before financing", v["peak_funding_before_financing"], m)
    _row(t, "  month of peak (after financing)", v["peak_month"], number)
    if "termination" in s:
        _row(t, "Stop month (where stopped early)", s["termination"]["month"], number)
    facility = result.spec.provider.reserves + result.spec.provider.credit_limit
    probs = [("P(loss)", pct(v["prob_loss"])),
             (f"P(cash runs out beyond reserves + credit, {money(facility, cur)})",
              pct(v["prob_insolvent"])),
             ("  first month it does (median)",
              month_when(v["first_shortfall_month"]["p50"], v["first_shortfall_date"])),
             ("Month of peak funding need (median)",
              month_when(v["peak_month"]["p50"], v["peak_date"])),
             (f"P({trigger_label(result.spec)})", pct(p["prob_triggered"]))]
    # the labels follow what the mechanisms can do: a Doncaster-like contract only repays
    if "prob_any_outcome_payment" in p:
        probs.append(("P(any outcome payment)", pct(p["prob_any_outcome_payment"])))
    if "prob_repayment" in p:
        probs.append(("P(repayment)", pct(p["prob_repayment"])))
    if "termination" in s:
        probs.append(("P(stopped early)", pct(s["termination"]["prob_terminated"])))
    width = max(len(label) for label, _ in probs) + 2
    lines = Text("\n").join(Text.assemble((label.ljust(width), "bold"), value)
                            for label, value in probs)
    effect = Text.assemble(("True effect (mean): ", "bold"), cuts_text(s["true_effect"]))
    footer = Text(f"Money in {cur}; money into the provider is positive."
                  + (f" {WITH_BOND}" if v.get("with_bond") else ""), style="dim")
    return Group(t, lines, effect, footer)


#: Said wherever a [sib] spec's provider cash is shown by ``pbr simulate``.
WITH_BOND = ("With the spec's [sib], the provider is the bond's vehicle: after financing, "
             "its cash has the investors' draws in and what the waterfall pays them out (as "
             "`pbr capital`'s prime, before the overheads that adds), and reserves + credit "
             "are its own money beyond them; the "
             "financing cost is what the investors took beyond their draws (negative where "
             "they lost money or gave grants) plus its own.")


def simulation_reading(s: dict) -> list[str]:
    """Four sentences a finance officer can read aloud: what the contract pays, the
    provider's result, the cash it needs and how often results pay."""
    cur = s["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    pay, prov = s["payments"], s["provider"]
    shock = (f", with volumes {pct(s['volume_shock'], 0)} below plan"
             if s.get("volume_shock") else
             f", with {shock_label(s)} against plan" if shock_label(s) else "")
    peak_month = prov["peak_month"]["p50"]
    when = (f", around {month_when(peak_month, prov['peak_date'])} (median)"
            if peak_month == peak_month else "")
    first = prov["first_shortfall_month"]["p50"]
    first_when = (f" (first, at the median, in {month_when(first, prov['first_shortfall_date'])})"
                  if first == first else "")
    return [
        f"Across {s['sims']:,} simulations{shock}, the contract pays {m(pay['total']['p50'])} "
        f"(median; 90% of simulations between {m(pay['total']['p5'])} and "
        f"{m(pay['total']['p95'])}), of which {m(pay['outcome']['p50'])} for results.",
        f"The provider's net result is {m(prov['net']['p50'])} at the median "
        f"({m(prov['net']['p5'])} in the worst 5%), with a {percent(prov['prob_loss'])} chance "
        "of a loss.",
        f"It needs to fund up to {m(prov['peak_funding']['p50'])} at the median and "
        f"{m(prov['peak_funding']['p95'])} in the worst 5% of simulations{when}, financing "
        f"included ({m(prov['peak_funding_before_financing']['p95'])} before financing); it "
        f"runs out of cash beyond its reserves and credit in {percent(prov['prob_insolvent'])} "
        f"of them{first_when}." + (f" {WITH_BOND}" if prov.get("with_bond") else ""),
        results_sentence(pay),
    ]


def results_sentence(pay: dict) -> str:
    """How often results pay (and, where the mechanisms can take money back, repay)."""
    parts = []
    if "prob_any_outcome_payment" in pay:
        parts.append(f"Outcome payments are made in {percent(pay['prob_any_outcome_payment'])} "
                     "of simulations")
    if "prob_repayment" in pay:
        parts.append(f"{'the provider repays' if parts else 'The provider repays'} for results "
                     f"in {percent(pay['prob_repayment'])} of simulations")
    return "; ".join(parts) + "."


def simulation_book(result: SimulationResult, *, sims_sheet: bool = False) -> Book:
    """The sheets of a simulation run, in order: Summary, Assumptions, Cohorts, Cashflow,
    Distributions (with each SIB tranche's IRR when the spec has a ``[sib]``) and (with
    ``sims_sheet``) Simulations."""
    summary = result.summary()
    book = Book()
    rows = provenance(result) + [("Sign convention", "money into the provider is positive")]
    if sims_sheet:
        rows.append(sims_sheet_row(result.sims))
    summary_sheet(book, summary["contract"], rows, simulation_reading(summary), summary,
                  money_format(result.currency))
    assumptions_sheet(book, result)
    cohorts_sheet(book, result)
    cashflow_sheet(book, result, summary)
    money_fmt = money_format(result.currency)
    s = result.sim_columns
    irrs = [(f"{f.name}: IRR", f.irr, PCT_FORMAT) for f in sib_investors(result)
            if not f.grant]  # a grant has no return
    distributions_sheet(book, [("Net result", s["net"], money_fmt),
                               ("Peak funding need", s["peak_funding"], money_fmt),
                               ("Outcome payments", s["outcome"], money_fmt),
                               *irrs])
    if sims_sheet:
        simulations_sheet(book, result.simulations, result.currency)
    return book


def write_workbook(result: SimulationResult, path: str | Path, *, force: bool = False,
                   sims_sheet: bool = False) -> Path:
    """Write the run's workbook to ``path`` (see :func:`simulation_book`).

    Raises
    ------
    OutputError
        If ``path`` exists and ``force`` is false, or it cannot be written.
    """
    path = check_output(path, force=force, inputs=result.provenance.inputs)
    save_atomic(simulation_book(result, sims_sheet=sims_sheet), path)
    return path




# -- the HTML page (--html) and the notebook card ------------------------------------------------

def cash_fan_chart(result: SimulationResult, summary: dict | None = None,
                   key: str = "cash") -> tuple[str, str, str]:
    """The cumulative-cash fan of a run (the Cashflow sheet's chart, before financing) with
    the median peak funding need before financing marked as a level, as
    ``(title, svg, caption)``."""
    from .charts import cash_fan
    prov = (summary or result.summary())["provider"]
    cols = result.month_columns
    band = {s: cols[f"cumulative_{s}"] for s in ("mean", "p5", "p50", "p95")}
    months = np.arange(len(band["p50"]))
    cur = result.currency
    need = prov["peak_funding_before_financing"]["p50"]
    level = ((-need, f"peak funding need before financing, P50 {money(need, cur)}")
             if need > 0 else None)
    facility = result.spec.provider.reserves + result.spec.provider.credit_limit
    svg = cash_fan(months, band, cur, need=level, key=key,
                   limit=(-facility, f"-(reserves + credit), {money(facility, cur)}")
                   if facility > 0 else None)
    return ("Cumulative cash, before financing",
            svg, "P5 to P95 across simulations, the median and the mean, by month; dashed, the "
                 "median over simulations of each one's peak funding need before financing "
                 "(each simulation's deepest point, so below the median curve's). Money in "
                 f"{cur}; money into the provider is positive.")


def simulation_charts(result: SimulationResult, summary: dict) -> list[tuple[str, str, str]]:
    """The page's charts: the cash fan and the Distributions sheet's histograms."""
    from .charts import histograms
    s = result.sim_columns
    series = [("Net result (before financing)", s["net"], "money"),
              ("Peak funding need (after financing)", s["peak_funding"], "money"),
              ("Outcome payments", s["outcome"], "money"),
              ("Total payments (fees and outcomes)", s["fee"] + s["outcome"], "money")]
    series += [(f"{f.name}: IRR", f.irr, "pct") for f in sib_investors(result) if not f.grant]
    return [cash_fan_chart(result, summary),
            ("Distributions across simulations", histograms(series, result.currency),
             "The share of simulations in each of 25 equal bars (the workbook's Distributions "
             "sheet).")]


def simulation_page(result: SimulationResult):
    """``pbr simulate``'s HTML page (:class:`~pbr_model.report.html.Page`)."""
    from .html import Page
    s = result.summary()
    rows = provenance(result) + [("Sign convention", "money into the provider is positive")]
    return Page(s["contract"], "pbr simulate", simulation_summary(result),
                simulation_reading(s), simulation_charts(result, s), s, rows)


def write_simulation_html(result: SimulationResult, path: str | Path, *,
                          force: bool = False) -> Path:
    """Write the run's one-page HTML report to ``path`` (see :mod:`pbr_model.report.html`)."""
    from .html import write_page
    return write_page(simulation_page(result), path, force=force,
                      inputs=result.provenance.inputs)


def simulation_card(result: SimulationResult) -> str:
    """What a notebook shows for a run: the headline table and the cash fan (none for a
    run that kept its figures only)."""
    from .html import card
    return card(result.provenance.name, simulation_summary(result),
                None if result.summary_only else cash_fan_chart(result))
