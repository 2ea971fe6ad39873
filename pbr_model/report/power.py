"""``pbr power``'s views: the power table on screen and its workbook (curves as line charts)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..payments import trigger_label
from .book import Book
from .format import percent, Fmt, cuts_text, money, number, pct, draws_label
from .sheets import (PCT_FORMAT, RATIO_FORMAT, assumptions_sheet, check_output, data_table,
                     money_format, provenance, save_atomic, summary_sheet, widths)
from .xlcharts import DARK, SECOND, axes, line, marker_on_line

def noise_text(n: dict, currency: str) -> str:
    """The paid-for-noise figures (:func:`pbr_model.finance.commissioner.paid_for_noise`) in
    one phrase: P(triggered) with its s.e., and the expected outcome payment with its s.e."""
    text = pct(n["paid_for_noise"])
    if "paid_for_noise_se" in n:
        text += (f" (MC s.e. {pct(n['paid_for_noise_se'])}); expected outcome payment "
                 f"{money(n['expected_paid_for_noise'], currency)} (MC s.e. "
                 f"{money(n['expected_paid_for_noise_se'], currency)})")
    return text


def goal(spec) -> str:
    """What P(triggered) is a chance of, in words."""
    return "meeting the target" if trigger_label(spec) == "target met" else "being paid"


def power_table(p) -> Group:
    """``pbr power``: payment probability and expected payments by true effect."""
    cur = p.currency
    m: Fmt = lambda v: money(v, cur)  # noqa: E731
    t = FitTable(title=f"{p.spec.contract.name}: payment power", title_justify="left",
              caption=f"{p.sims:,} simulations per effect{draws_label(p.provenance.to_dict())} · "
                      f"seed {p.seed} · spec "
                      f"{p.spec_sha256[:12]} · pbr-model {p.version}", caption_justify="left")
    d = p.to_dict()
    rate = d["effect_stated_as"] == "offending_rate"
    # the payment columns follow what the mechanisms can do (see PowerResult.table)
    paid = [(c, label) for c, label in (("prob_paid", "P(any payment)"),
                                        ("prob_repaid", "P(repayment)")) if c in p.curve]
    trig = "P(target met)" if trigger_label(p.spec) == "target met" else "P(triggered)"
    for col in ("True effect" + (" (offending rate)" if rate else ""), "Binary cut", "in points",
                "Per-reoffender cut", trig, "Cohorts triggered",
                *(label for _, label in paid), "Outcome mean", "Outcome P5", "Outcome P95",
                "Net mean", "P(loss)"):
        t.add_column(col, justify="right")
    for effect, r in p.rows():
        t.add_row(pct(effect), pct(r["binary_cut"]), number(r["binary_points"], 2),
                  pct(r["frequency_cut"]), pct(r["prob_triggered"]),
                  pct(r["cohorts_triggered"]), *(pct(r[c]) for c, _ in paid),
                  m(r["outcome_mean"]), m(r["outcome_p5"]), m(r["outcome_p95"]),
                  m(r["net_mean"]), pct(r["prob_loss"]))

    def effect(value, on_grid, below, implied):
        if value is None:
            return "not reached on this grid"
        if below:
            return (f"at or below {pct(value)} (already met at the lowest effect tried; "
                    f"add lower effects to place it): {cuts_text(implied)}")
        return (f"{pct(value)} (interpolated; first grid point {pct(on_grid)}): "
                f"{cuts_text(implied)}")

    lines = Text("\n").join([
        Text.assemble(("Break-even effect (expected net >= 0): ", "bold"),
                      effect(p.break_even_effect, p.break_even_on_grid,
                             p.break_even_below_grid, d["break_even_implied"])),
        Text.assemble((f"Effect for a 90% chance of {goal(p.spec)}: ", "bold"),
                      effect(p.effect_for_90pct_paid, p.paid_90_on_grid,
                             p.paid_90_below_grid, d["effect_for_90pct_paid_implied"])),
        Text.assemble(("Met by noise (P(target met) at no true effect): "
                       if trig == "P(target met)" else
                       "Paid for noise (P(triggered) at no true effect: noise, and any trend "
                       "the design does not remove): ", "bold"),
                      noise_text(p.noise or {"paid_for_noise": p.paid_for_noise}, p.currency)),
    ])
    what = ("a known relative cut in the underlying offending rate (the binary and "
            "per-reoffender cuts beside it follow from it" if rate else
            "a known relative reduction in the binary rate and in reoffences per reoffender "
            "(the cuts beside it are what it means at the baseline mix")
    return Group(t, lines, Text(f"True effect: {what}; and a relative improvement in any "
                                f"other outcome). {trig}: any cohort's (or the pooled) "
                                "trigger met.", style="dim"))


def power_columns(table) -> list[tuple[str, str, bool | None]]:
    """The Power sheet's columns present in ``table``: P(any outcome payment) is not there
    for a mechanism that only repays, whose P(repayment) takes its place; a mechanism that
    can do both has P(repayment) last (so the charts' columns do not move)."""
    cols = [c for c in POWER_COLUMNS if c[0] in table]
    if "prob_repaid" in table:
        entry = ("prob_repaid", "P(repayment)", False)
        cols = cols[:2] + [entry] + cols[2:] if "prob_paid" not in table else cols + [entry]
    return cols


#: The Power sheet: (column of ``PowerResult.table``, heading, money (True), a share (False)
#: or a ratio (None)).
POWER_COLUMNS = [
    ("prob_triggered", "P(triggered)", False), ("cohorts_triggered", "Cohorts triggered", False),
    ("prob_paid", "P(any outcome payment)", False), ("outcome_mean", "Outcome payments mean", True),
    ("outcome_p5", "Outcome payments P5", True), ("outcome_p95", "Outcome payments P95", True),
    ("net_mean", "Net mean", True), ("npv_mean", "NPV mean", True), ("prob_loss", "P(loss)", False),
    ("binary_cut", "Implied binary cut", False), ("binary_points", "Implied binary points", None),
    ("frequency_cut", "Implied per-reoffender cut", False),
]


def power_reading(d: dict, target: bool = False) -> list[str]:
    """The Summary sheet's sentences; ``target``: the result mechanisms are revenue at risk,
    so 'triggered' means the target was met (no payment follows from it)."""
    def effect(value, below=False):
        if value is None:
            return "not reached on this grid"
        return f"at or below {pct(value)} (the lowest effect tried)" if below else pct(value)
    top = d["effects"][-1]
    implied = d["break_even_implied"]
    return [
        f"With {d['sims']:,} simulations per true effect: the contract breaks even (expected "
        f"net >= 0) at a true effect of "
        f"{effect(d['break_even_effect'], d.get('break_even_effect_below_grid', False))}"
        + (f" ({cuts_text(implied)})" if implied else "") + ", and the provider "
        + ("has a 90% chance of meeting the target at " if target
           else "has a 90% chance of outcome payments at ")
        + effect(d["effect_for_90pct_paid"], d.get("effect_for_90pct_paid_below_grid", False))
        + ".",
        (f"With no true effect at all, the target is still met in "
         f"{percent(d['paid_for_noise'])} of simulations (Monte Carlo standard error "
         f"{pct(d['paid_for_noise_se'], 1)}): the chance of meeting it by noise." if target else
         f"With no true effect at all, payments are still triggered in "
         f"{percent(d['paid_for_noise'])} of simulations (Monte Carlo standard error "
         f"{pct(d['paid_for_noise_se'], 1)}): the chance of being paid for noise."),
        f"At the largest true effect tried, {pct(top['effect'])}, expected outcome payments are "
        f"{money(top['outcome_mean'], d['currency'])} and expected net "
        f"{money(top['net_mean'], d['currency'])}.",
    ]


def write_power_workbook(result, path: str | Path, *, force: bool = False) -> Path:
    """``pbr power``'s workbook: Summary, Power (the curve, with charts of the chance of
    being paid and of the expected payments and net by true effect) and Assumptions."""
    from openpyxl.chart import LineChart, Reference
    path = check_output(path, force=force, inputs=result.provenance.inputs)
    d = result.to_dict()
    money_fmt = money_format(d["currency"])
    book = Book()
    target = goal(result.spec) == "meeting the target"
    summary_sheet(book, d["contract"], provenance(result), power_reading(d, target), d,
                  money_fmt, skip=("effects",))
    ws = book.sheet("Power")
    columns = power_columns(result.table)
    header = ["True effect", *(label for _, label, _ in columns)]
    rows = [[float(e), *(float(r[c]) for c, _, _ in columns)]
            for e, r in result.table.iterrows()]
    formats = [PCT_FORMAT, *(money_fmt if is_money else PCT_FORMAT if is_money is False
                             else RATIO_FORMAT for _, _, is_money in columns)]
    data_table(ws, header, rows, formats, "Power")
    ws.freeze_panes = "B2"
    widths(ws, [10] + [13] * len(columns))
    n = len(rows)
    for title, cols, axis, fmt, bounds in (
            ("Chance of being paid, by true effect", [2, 4], "Probability", "0%", (0, 1)),
            ("Expected outcome payments and net, by true effect", [5, 8], d["currency"],
             money_fmt, (None, None))):
        chart = LineChart()
        chart.title = title
        for col in cols:
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1),
                           titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        axes(chart, "True effect (relative reduction)", axis, y_format=fmt,
             y_min=bounds[0], y_max=bounds[1])
        for series, color in zip(chart.series, (DARK, SECOND)):
            line(series, color, 2.0)
            marker_on_line(series, color)
        book.chart(chart, "Data: the Power sheet")
    assumptions_sheet(book, result)
    save_atomic(book, path)
    return path




# -- the HTML page (--html) and the notebook card ------------------------------------------------

def power_chart(result) -> tuple[str, str, str]:
    """The power curves: the chance of being paid and the expected payments and net, by
    true effect, with the break-even effect and the effect for a 90% chance marked."""
    from .charts import power_curves
    c = result.curve
    trig = "P(target met)" if trigger_label(result.spec) == "target met" else "P(triggered)"
    probs = [(label, c[col]) for col, label in (("prob_triggered", trig),
                                                ("prob_paid", "P(any outcome payment)"),
                                                ("prob_repaid", "P(repayment)")) if col in c]
    lines = [("Outcome payments (mean)", c["outcome_mean"]), ("Net (mean)", c["net_mean"])]
    svg = power_curves(c["effect"], probs, lines, result.currency,
                       break_even=result.break_even_effect,
                       for_90=result.effect_for_90pct_paid)
    return ("Power curves", svg,
            f"{result.sims:,} simulations per true effect. Dashed: the effect for a 90% chance "
            f"of {goal(result.spec)} (left) and the break-even effect, where expected net "
            "reaches zero (right), both interpolated.")


def power_page(result):
    """``pbr power``'s HTML page."""
    from .html import Page
    from .sheets import provenance
    d = result.to_dict()
    target = goal(result.spec) == "meeting the target"
    return Page(d["contract"], "pbr power", power_table(result), power_reading(d, target),
                [power_chart(result)], d, provenance(result), skip=("effects",))


def write_power_html(result, path: str | Path, *, force: bool = False) -> Path:
    """Write ``pbr power``'s one-page HTML report to ``path``."""
    from .html import write_page
    return write_page(power_page(result), path, force=force, inputs=result.provenance.inputs)


def power_card(result) -> str:
    """What a notebook shows for ``power(...)``: the table and the curves."""
    from .html import card
    return card(result.spec.contract.name, power_table(result), power_chart(result))
