"""Workbooks of ``pbr power``, ``pbr breakeven`` and ``pbr settle``: the common Summary
and Assumptions sheets (:mod:`pbr_model.report.excel`) around each command's own sheet.
They read the result objects; they compute nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl.chart import LineChart, Reference, ScatterChart, Series

from .book import BOLD, Book
from .capital import investor_sheet
from .excel import (PCT_FORMAT, _header, _money_format, _put, _table, _widths,
                    assumptions_sheet, check_output, provenance, run_date, save_atomic,
                    summary_sheet)
from .format import money, pct

# -- power ----------------------------------------------------------------------------------------

#: The Power sheet: (column of ``PowerResult.table``, heading, money or not).
POWER_COLUMNS = [
    ("prob_triggered", "P(triggered)", False), ("cohorts_triggered", "Cohorts triggered", False),
    ("prob_paid", "P(any outcome payment)", False), ("outcome_mean", "Outcome payments mean", True),
    ("outcome_p5", "Outcome payments P5", True), ("outcome_p95", "Outcome payments P95", True),
    ("net_mean", "Net mean", True), ("npv_mean", "NPV mean", True), ("prob_loss", "P(loss)", False),
]


def power_reading(d: dict) -> list[str]:
    def effect(value):
        return pct(value) if value is not None else "not reached on this grid"
    top = d["effects"][-1]
    return [
        f"With {d['sims']:,} simulations per true effect: the contract breaks even (expected "
        f"net >= 0) at a true effect of {effect(d['break_even_effect'])}, and the provider "
        f"has a 90% chance of outcome payments at {effect(d['effect_for_90pct_paid'])}.",
        f"With no true effect at all, payments are still triggered in "
        f"{pct(d['paid_for_noise'], 0)} of simulations: the chance of being paid for noise.",
        f"At the largest true effect tried, {pct(top['effect'])}, expected outcome payments are "
        f"{money(top['outcome_mean'], d['currency'])} and expected net "
        f"{money(top['net_mean'], d['currency'])}.",
    ]


def write_power_workbook(result, path: str | Path, *, force: bool = False) -> Path:
    """``pbr power``'s workbook: Summary, Power (the curve, with charts of the chance of
    being paid and of the expected payments and net by true effect) and Assumptions."""
    path = check_output(path, force=force)
    d = result.to_dict()
    money_fmt = _money_format(d["currency"])
    book = Book()
    summary_sheet(book, d["contract"], provenance(result), power_reading(d), d, money_fmt,
                  skip=("effects",))
    ws = book.sheet("Power")
    header = ["True effect", *(label for _, label, _ in POWER_COLUMNS)]
    rows = [[float(e), *(float(r[c]) for c, _, _ in POWER_COLUMNS)]
            for e, r in result.table.iterrows()]
    formats = [PCT_FORMAT, *(money_fmt if is_money else PCT_FORMAT
                             for _, _, is_money in POWER_COLUMNS)]
    _table(ws, header, rows, formats, "Power")
    ws.freeze_panes = "B2"
    _widths(ws, [12] + [18] * len(POWER_COLUMNS))
    n = len(rows)
    for title, cols, axis, anchor, fmt in (
            ("Chance of being paid, by true effect", [2, 4], "Probability", "L2", "0%"),
            ("Expected outcome payments and net, by true effect", [5, 8], d["currency"], "L24",
             None)):
        chart = LineChart()
        chart.title, chart.height, chart.width = title, 10, 20
        chart.y_axis.title, chart.x_axis.title = axis, "True effect (relative reduction)"
        if fmt:
            chart.y_axis.number_format = fmt
        for col in cols:
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1),
                           titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        ws.add_chart(chart, anchor)
    assumptions_sheet(book, result)
    save_atomic(book, path)
    return path


# -- breakeven ------------------------------------------------------------------------------------

def _value_format(solve: str, money_fmt: str) -> str:
    return {"effect": PCT_FORMAT, "personal_budget": money_fmt}.get(solve, "0.0000")


def breakeven_reading(d: dict) -> list[str]:
    cur = d["currency"]
    unit = d["solve"]

    def show(x):
        if x is None:
            return "none"
        return pct(x, 2) if unit == "effect" else (money(x, cur) if unit == "personal_budget"
                                                   else f"x{x:.4f}")
    whose = ("the contract's net" if d["provider"] is None
             else f"{d['provider']}'s net after financing")
    status = {"solved": f"The target is just met at a {d['parameter']} of {show(d['value'])}.",
              "at_bound": f"The target holds across the whole search range; the answer is its "
                          f"end, {show(d['value'])}.",
              "not_reached": "The target cannot be met anywhere in the search range "
                             f"{show(d['search_range'][0])} to {show(d['search_range'][1])}."}
    a = d["at_answer"]
    if d["target"]["kind"] == "expected-net":
        se = f" (Monte Carlo standard error {money(a['se'], cur)})"
        loss = f"the chance of a loss {pct(a['prob_loss'], 0)}"
    else:
        se = ""
        loss = (f"the chance of a loss {pct(a['prob_loss'], 1)} (Monte Carlo standard error "
                f"{pct(a['se'], 1)})")
    return [
        f"Target: {d['target']['label']}, judged on {whose}. {status[d['status']]}",
        f"There, expected net is {money(a['expected_net'], cur)}{se} and {loss}. As the "
        f"spec stands ({show(d['current']['value'])}), expected net is "
        f"{money(d['current']['expected_net'], cur)}.",
    ]


def write_breakeven_workbook(result, path: str | Path, *, force: bool = False) -> Path:
    """``pbr breakeven``'s workbook: Summary, Breakeven (every value tried, in order, with
    a chart of expected net against the value; for ``price``, the prices scaled) and
    Assumptions."""
    path = check_output(path, force=force)
    d = result.to_dict()
    money_fmt = _money_format(d["currency"])
    fmt = _value_format(d["solve"], money_fmt)
    formats = {k: fmt for k in ("value", "bracket.0", "bracket.1", "search_range.0",
                                "search_range.1", "tolerance", "at_answer.value",
                                "current.value")}
    if d["target"]["kind"] != "expected-net":  # the metric is P(loss), in its own unit
        formats.update(dict.fromkeys(("at_answer.metric", "current.metric", "at_answer.se",
                                      "current.se"), PCT_FORMAT))
    book = Book()
    extra = {"Volume shock": d["volume_shock"]} if d["volume_shock"] else {}
    summary_sheet(book, d["contract"], provenance(result, **extra), breakeven_reading(d), d,
                  money_fmt, skip=("trace",), formats=formats)
    ws = book.sheet("Breakeven")
    rows = [[i, t["value"], t["expected_net"], t["prob_loss"]] for i, t in enumerate(d["trace"], 1)]
    end = _table(ws, ["Trial", d["parameter"], "Expected net", "P(loss)"], rows,
                 [None, fmt, money_fmt, PCT_FORMAT], "Trials")
    chart = ScatterChart()
    chart.title = f"Expected net by {d['parameter']} (every value tried)"
    chart.style, chart.height, chart.width = 13, 10, 20
    chart.x_axis.title, chart.y_axis.title = d["parameter"], f"Expected net ({d['currency']})"
    series = Series(Reference(ws, min_col=3, min_row=2, max_row=len(rows) + 1),
                    Reference(ws, min_col=2, min_row=2, max_row=len(rows) + 1),
                    title="Expected net")
    series.marker.symbol = "circle"
    series.graphicalProperties.line.noFill = True
    chart.series.append(series)
    ws.add_chart(chart, "G2")
    if d["prices"]:
        keys = list(d["prices"][0])
        _table(ws, keys, [[p[k] for k in keys] for p in d["prices"]],
               [None] + [money_fmt] * (len(keys) - 1), "Prices", end + 1)
    ws.freeze_panes = "A2"
    _widths(ws, [8, 36, 18, 10])
    assumptions_sheet(book, result)
    save_atomic(book, path)
    return path


# -- settle ---------------------------------------------------------------------------------------

def settlement_reading(d: dict) -> list[str]:
    cur = d["currency"]
    lines = [f"On the observed results, the contract pays {money(d['total_payment'], cur)} in "
             "outcome payments" + (" (a negative total is repaid)." if d["total_payment"] < 0
                                   else ".")]
    for m in d["mechanisms"]:
        lines.append(f"{m['name']} ({m['type']}) pays {money(m['total'], cur)} on these "
                     "results.")
    return lines


def write_settlement_workbook(settlement, path: str | Path, *, force: bool = False) -> Path:
    """Write a settlement's workbook: ``Summary`` (provenance, a reading and the JSON but
    the per-cohort rows), ``Settlement`` (one row per cohort), ``Totals`` (per
    mechanism), ``Investors`` (with a ``[sib]`` and every cohort observed) and
    ``Assumptions`` (the spec)."""
    path = check_output(path, force=force)
    money_fmt = _money_format(settlement.currency)
    d = settlement.to_dict()
    wb = Book()
    meta = [("Source", settlement.source), ("Spec SHA-256", settlement.spec_sha256),
            ("Observed results", settlement.observed),
            ("Observed SHA-256", settlement.observed_sha256),
            ("pbr-model version", settlement.version), ("Run date (UTC)", run_date(settlement)),
            ("Currency", settlement.currency),
            ("Sign convention", "money into the provider is positive; negative = repaid")]
    summary_sheet(wb, d["contract"], meta, settlement_reading(d), d, money_fmt,
                  skip=("cohorts",))
    ws = wb.sheet("Settlement")
    table = settlement.cohorts
    _header(ws, 1, ["cohort", *table.columns])
    for i, (cohort, rec) in enumerate(table.iterrows(), 2):
        _put(ws, i, 1, int(cohort))
        for j, col in enumerate(table.columns, 2):
            v = rec[col]
            v = bool(v) if isinstance(v, (bool, np.bool_)) else v
            if isinstance(v, float) and np.isnan(v):
                v = None
            fmt = money_fmt if col.endswith("payment") else (
                "0.000" if col.endswith((":treated", ":comparison", ":change")) else None)
            _put(ws, i, j, v, fmt)
    ws.add_table("Settlement", 1, len(table.columns) + 1, len(table))
    ws.freeze_panes = "B2"
    _widths(ws, [8] + [22] * len(table.columns))

    tot = wb.sheet("Totals")
    rows = [[m["name"], m["type"], m["cohort_total"], m["pooled"], m["pooled_status"] or "",
             m["total"]] for m in settlement.mechanisms]
    row = _table(tot, ["Mechanism", "Type", "Cohorts", "Pooled", "Pooled trigger", "Total"],
                 rows, [None, None, money_fmt, money_fmt, None, money_fmt], "Totals") + 1
    _put(tot, row, 1, "Total outcome payments").font = BOLD
    _put(tot, row, 6, settlement.total_payment, money_fmt)
    _widths(tot, [30, 20, 16, 16, 16, 16])
    if settlement.investors:
        investor_sheet(wb, settlement.investors, settlement.guarantees or [], money_fmt,
                       observed=True)
    assumptions_sheet(wb, settlement)
    save_atomic(wb, path)
    return path
