"""``pbr breakeven``'s views: on screen, the answer, how it was found, the objective there
and the spec as it stands; its workbook, with every trial on a scatter chart. Reads
:class:`~pbr_model.analyses.breakeven.BreakevenResult`; computes nothing."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..analyses.breakeven import BreakevenResult
from .book import Book
from .format import percent, SYMBOLS, cuts_text, money, number, pct, shock_label, draws_label
from .sheets import (PCT_FORMAT, assumptions_sheet, check_output, data_table, money_format,
                     provenance, save_atomic, summary_sheet, widths)
from .xlcharts import DARK, axes, marker


def show_value(solve: str, x: float, step: float, currency: str) -> str:
    """A value of the parameter ``solve`` solves for, written to ``step`` (a power of ten)
    [parameter units]: an effect as a percentage, a budget in money, a factor as ``x1.23``."""
    digits = max(0, -round(math.log10(step)))
    if solve == "effect":
        return pct(x, max(digits - 2, 0))
    if solve == "personal_budget":
        sign, sym = "-" if x < 0 else "", SYMBOLS.get(currency, currency + " ")
        return f"{sign}{sym}{number(abs(x), digits)}"
    return f"x{number(x, digits)}"


def _value(r: BreakevenResult, x: float, step: float | None = None) -> str:
    """The parameter as read, to the answer's step (or ``step``)."""
    return show_value(r.solve, x, r.step if step is None else step, r.currency)


def _se(r: BreakevenResult) -> str:
    """The answer's standard error, written to the answer's step."""
    if r.standard_error is None:
        return "MC s.e. not estimable: the objective is flat at the answer"
    se = max(r.standard_error, r.step)
    text = (f"{number(100 * se, max(0, -round(math.log10(r.step))) - 2)} points"
            if r.solve == "effect" else _value(r, se).lstrip("x"))
    return f"MC s.e. {text}"


def breakeven_view(r: BreakevenResult) -> Group:
    """A few lines: the answer, how it was found, the objective there, and the spec now."""
    cur = r.currency
    whose = "the contract's net" if r.provider is None else \
        f"{r.provider.name}'s net after financing (its own seat, on its profile's terms)"
    lo, hi = r.search_range
    head = Text(f"{r.spec.contract.name}: break-even {r.parameter}", style="bold")
    if r.status == "not_reached":
        best = hi if (r.solve != "personal_budget") else lo
        answer = Text.assemble(("Not reached: ", "bold"),
                               f"{r.target.label} fails even at {_value(r, best)}, the most "
                               f"favourable end of the range searched ({_value(r, lo)} to "
                               f"{_value(r, hi)}); the best value tried was "
                               f"{_value(r, r.answer.x)}.")
    elif r.status == "at_bound":
        edge = "highest" if r.solve == "personal_budget" else "lowest"
        answer = Text.assemble(("Answer: ", "bold"), f"{_value(r, r.shown)} ({r.target.label} "
                               f"holds across the whole range {_value(r, lo)} to {_value(r, hi)}; "
                               f"this is its {edge} end).")
    else:
        word = "largest" if r.solve == "personal_budget" else "smallest"
        tol = f"{r.tolerance:g}" if r.solve in ("price", "fee") \
            else _value(r, r.tolerance, r.tolerance)
        blo, bhi = r.shown_bracket
        answer = Text.assemble(("Answer: ", "bold"), f"{_value(r, r.shown)} ({_se(r)}), the "
                               f"{word} value with {r.target.label}; bracket {_value(r, blo)} "
                               f"to {_value(r, bhi)} after {r.steps} steps "
                               f"({r.trials} values tried, tolerance {tol}; both rounded to the "
                               f"answer's s.e.).")
    a, c = r.answer, r.current
    where = "best value tried" if r.status == "not_reached" else "answer"
    lines = [head, answer]
    if r.implied is not None:
        lines.append(Text(f"That effect means: {cuts_text(r.implied)} (at the baseline mix)."))
    lines += [
        Text(f"At the {where}: expected net {money(a.expected_net, cur)} "
             f"(MC s.e. {money(a.se_net, cur)}), P(loss) {pct(a.prob_loss)} "
             f"(MC s.e. {pct(a.se_prob)}); result = {whose}."),
        Text(f"The spec now ({_value(r, r.current_value)}"
             + (", its effect uncertain" if r.solve == "effect" else "")
             + f"): expected net {money(c.expected_net, cur)}, P(loss) {pct(c.prob_loss)}."),
    ]
    ctx = r.context
    pay = f"Expected outcome payment per participant now: {money(ctx['outcome_per_participant'], cur)}"
    if r.solve == "personal_budget" and ctx["outcome_per_taker"] is not None:
        pay += (f"; per budget taker {money(ctx['outcome_per_taker'], cur)} (what outcome "
                "payments alone could fund)")
    lines.append(Text(pay + "."))
    parts: list = [Text("\n").join(lines)]
    if r.prices:
        t = FitTable(title=("Fees" if r.solve == "fee" else "Prices") + " at the answer",
                  title_justify="left")
        for col, justify in (("Field (--set path)", "left"), ("Now", "right"),
                             ("At the answer", "right")):
            t.add_column(col, justify=justify)
        for p in r.prices:
            t.add_row(p["path"], money(p["current"], cur),
                      "-" if p["at_answer"] is None else money(p["at_answer"], cur))
        parts.append(t)
    parts.append(Text(
        f"{r.sims:,} simulations per value{draws_label(r.provenance.to_dict())} · "
        f"seed {r.seed} · spec {r.spec_sha256[:12]} · "
        f"pbr-model {r.version}" + (f" · {shock_label(r.provenance.to_dict())}"
                                    if r.shocked else ""), style="dim"))
    parts.append(Text("The answer is where the simulated objective, with this seed, crosses the "
                      "target (every value tried uses the same random numbers); the s.e. says "
                      "how much another seed could move the objective there.", style="dim"))
    return Group(*parts)


#: The Breakeven sheet's table of prices (for ``--solve price`` and ``fee``).
PRICE_HEADER = ["Field (--set path)", "Now", "At the answer"]


def _value_format(solve: str, money_fmt: str) -> str:
    return {"effect": PCT_FORMAT, "personal_budget": money_fmt}.get(solve, "0.0000")


def breakeven_reading(d: dict) -> list[str]:
    cur = d["currency"]
    unit = d["solve"]

    def show(x):
        if x is None:
            return "none"
        return show_value(unit, x, d["step"], cur)
    whose = ("the contract's net" if d["provider"] is None
             else f"{d['provider']}'s net after financing")
    answer_se = d["standard_error"]
    error = "" if answer_se is None else (
        f" (Monte Carlo standard error {show(max(answer_se, d['step'])).lstrip('x')}; the search "
        f"bracket, rounded to it, is {show(d['shown_bracket'][0])} to "
        f"{show(d['shown_bracket'][1])})")
    status = {"solved": f"The target is just met at a {d['parameter']} of "
                        f"{show(d['shown'])}{error}.",
              "at_bound": f"The target holds across the whole search range; the answer is its "
                          f"end, {show(d['shown'])}.",
              "not_reached": "The target cannot be met anywhere in the search range "
                             f"{show(d['search_range'][0])} to {show(d['search_range'][1])}."}
    a = d["at_answer"]
    if d["target"]["kind"] == "expected-net":
        se = f" (Monte Carlo standard error {money(a['se'], cur)})"
        loss = f"the chance of a loss {percent(a['prob_loss'])}"
    else:
        se = ""
        loss = (f"the chance of a loss {pct(a['prob_loss'], 1)} (Monte Carlo standard error "
                f"{pct(a['se'], 1)})")
    implied = (f" That effect means: {cuts_text(d['implied'])}, at the baseline mix."
               if d.get("implied") else "")
    return [
        f"Target: {d['target']['label']}, judged on {whose}. {status[d['status']]}{implied}",
        f"There, expected net is {money(a['expected_net'], cur)}{se} and {loss}. As the "
        f"spec stands ({show(d['current']['value'])}), expected net is "
        f"{money(d['current']['expected_net'], cur)}.",
    ]


def figure_formats(d: dict, money_fmt: str) -> dict[str, str]:
    """The formats of the figures whose unit is the solved-for value's (an effect, a factor
    or money) or the target metric's, where a key alone cannot tell (the Summary's and the
    page's)."""
    fmt = _value_format(d["solve"], money_fmt)
    formats = {k: fmt for k in ("value", "bracket.0", "bracket.1", "search_range.0",
                                "search_range.1", "tolerance", "at_answer.value",
                                "current.value", "standard_error", "step", "shown",
                                "shown_bracket.0", "shown_bracket.1")}
    if d["target"]["kind"] != "expected-net":  # the metric is P(loss), in its own unit
        formats.update(dict.fromkeys(("at_answer.metric", "current.metric", "at_answer.se",
                                      "current.se"), PCT_FORMAT))
    return formats


def write_breakeven_workbook(result, path: str | Path, *, force: bool = False) -> Path:
    """``pbr breakeven``'s workbook: Summary, Breakeven (every value tried, in order, with
    a chart of expected net against the value; for ``price``, the prices scaled) and
    Assumptions."""
    from openpyxl.chart import Reference, ScatterChart, Series
    path = check_output(path, force=force, inputs=result.provenance.inputs)
    d = result.to_dict()
    money_fmt = money_format(d["currency"])
    formats = figure_formats(d, money_fmt)
    fmt = formats["value"]
    book = Book()
    summary_sheet(book, d["contract"], provenance(result), breakeven_reading(d), d,
                  money_fmt, skip=("trace",), formats=formats)
    ws = book.sheet("Breakeven")
    rows = [[i, t["value"], t["expected_net"], t["prob_loss"]] for i, t in enumerate(d["trace"], 1)]
    end = data_table(ws, ["Trial", d["parameter"], "Expected net", "P(loss)"], rows,
                 [None, fmt, money_fmt, PCT_FORMAT], "Trials")
    chart = ScatterChart()
    chart.title = f"Expected net by {d['parameter']} (every value tried)"
    chart.style = 13
    series = Series(Reference(ws, min_col=3, min_row=2, max_row=len(rows) + 1),
                    Reference(ws, min_col=2, min_row=2, max_row=len(rows) + 1),
                    title="Expected net")
    chart.series.append(series)
    marker(series, DARK, "circle", 8)
    axes(chart, d["parameter"], f"Expected net ({d['currency']})", y_format=money_fmt)
    chart.x_axis.number_format = fmt
    chart.x_axis.numFmt.sourceLinked = False
    chart.legend = None
    book.chart(chart, "Data: the Breakeven sheet (each trial's value and expected net)")
    if d["prices"]:
        data_table(ws, PRICE_HEADER, [[p["path"], p["current"], p["at_answer"]]
                                      for p in d["prices"]],
                   [None, money_fmt, money_fmt], "Prices", end + 1)
    ws.freeze_panes = "A2"
    widths(ws, [max(8, *(len(p["path"]) + 2 for p in d["prices"])) if d["prices"] else 8,
                22, 16, 10])
    assumptions_sheet(book, result)
    save_atomic(book, path)
    return path




# -- the HTML page (--html) and the notebook card ------------------------------------------------

def trials_figure(r: BreakevenResult) -> tuple[str, str, str]:
    """Every value tried: expected net and P(loss) against the value, answer marked."""
    import numpy as np

    from .charts import trials_chart
    d = r.to_dict()
    trace = d["trace"]
    values = np.array([t["value"] for t in trace], dtype=float)
    nets = np.array([t["expected_net"] for t in trace], dtype=float)
    losses = np.array([t["prob_loss"] for t in trace], dtype=float)
    show = lambda x: show_value(d["solve"], x, d["step"], d["currency"])  # noqa: E731
    answer = None if d["status"] == "not_reached" else d["shown"]
    svg = trials_chart(values, nets, losses, d["currency"], d["parameter"], show,
                       answer=answer, current=d["current"]["value"])
    return (f"Every {d['parameter']} tried", svg,
            "Each point a value the search tried (numbered in order), on the same random "
            f"numbers; dashed, the answer; dotted, the spec as it stands. Target: "
            f"{d['target']['label']}.")


def breakeven_page(result: BreakevenResult):
    """``pbr breakeven``'s HTML page."""
    from .html import Page
    d = result.to_dict()
    return Page(d["contract"], "pbr breakeven", breakeven_view(result), breakeven_reading(d),
                [trials_figure(result)], d, provenance(result), skip=("trace",),
                formats=figure_formats(d, money_format(d["currency"])))


def write_breakeven_html(result: BreakevenResult, path: str | Path, *,
                         force: bool = False) -> Path:
    """Write ``pbr breakeven``'s one-page HTML report to ``path``."""
    from .html import write_page
    return write_page(breakeven_page(result), path, force=force,
                      inputs=result.provenance.inputs)


def breakeven_card(result: BreakevenResult) -> str:
    """What a notebook shows for ``breakeven(...)``: the answer and the values tried."""
    from .html import card
    return card(result.spec.contract.name, breakeven_view(result), trials_figure(result))
