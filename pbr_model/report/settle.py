"""``pbr settle``'s views: the settlement table on screen and its workbook."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..spec.schema import MEASURES
from .book import BOLD, Book
from .capital import investor_table
from .party_sheets import investor_sheet
from .format import measure_label, money, number, pct
from .sheets import (assumptions_sheet, bold_header, check_output, data_table, money_format, put,
                     provenance, save_atomic, summary_sheet, widths)

def settlement_table(s) -> Group:
    """``pbr settle``: each cohort's measured change, the triggers and the payments."""
    cur = s.currency
    t = FitTable(title=f"{s.spec.contract.name}: settlement on {s.observed}", title_justify="left",
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
    for cohort, r in s.observed_rows():
        cells = [str(cohort), number(r["n"])]
        for m, c in s.measures:
            cells.append(f"{_value(m, r[f'{m}:treated'])} vs {_value(m, r[f'{m}:comparison'])}")
            cells.append(fmt[c](r[f"{m}:change"]))
        for mech in s.mechanisms:
            cells.append(f"{'yes' if r[mech['name'] + ':triggered'] else 'no'} / "
                         f"{money(r[mech['name'] + ':payment'], cur)}")
        cells.append("not served" if not r.get("served", True) else
                     "lapsed" if r.get("lapsed", False) else r["payment_date"])
        t.add_row(*cells)
    lines = []
    for mech in s.mechanisms:
        if mech["pooled_status"] is not None:
            text = f"{mech['name']}: pooled trigger {mech['pooled_status']}"
            if mech["pooled_status"] == "not assessed":
                text += " (needs every cohort's result)"
            elif mech["pooled_status"] == "lapsed":
                text += " (the contract stopped before it was due)"
            elif mech["pooled"]:
                text += f", pays {money(mech['pooled'], cur)}"
            lines.append(text)
        lines.append(f"{mech['name']}: {money(mech['total'], cur)} in all")
        lines += [f"  {c['note']}" for c in s.calibrated if c["mechanism"] == mech["name"]]
    lines += stop_lines(s.termination, cur)
    unserved = set(s.termination["not_served"]) if s.termination else set()
    waiting = [c for c in s.missing if c not in unserved]
    if waiting:
        lines.append("No result yet for cohort(s) " + ", ".join(map(str, waiting))
                     + ": not paid, not counted.")
    lines.append(f"Total outcome payments: {money(s.total_payment, cur)} "
                 "(negative = repaid to the commissioner; fees are not settled)")
    lines += renegotiation_lines(s.renegotiations, cur)
    extra = []
    if s.investors:
        extra.append(investor_table(s.investors, s.guarantees or [], cur, observed=True))
        extra += [Text(c["note"]) for c in s.calibrated if c["mechanism"] is None]
    elif s.spec.sib is not None:
        lines.append("Social investors: assessed once every cohort whose result can be paid "
                     "has one.")
    return Group(t, Text("\n".join(lines)), *extra,
                 Text("Change = treated minus comparison; negative is fewer (better for "
                      "reoffending measures).", style="dim"))


def renegotiation_lines(items: list[dict] | None, cur: str) -> list[str]:
    """Each renegotiation as read on the observed results, a line each; none without."""
    lines = []
    for r in items or []:
        if not r["applied"]:
            lines.append(f"{r['name']} ({r['date']}): its trigger was not met on these "
                         "results; nothing changed.")
            continue
        what = []
        if r["lump_sum"]:
            what.append(f"a lump sum of {money(r['lump_sum'], cur)}, paid with the fees "
                        "(not in the outcome total)")
        if r["payment"] is not None and r["price_factor"] != 1:
            what.append(f"{r['payment']} at {number(r['price_factor'], 2)} times its price "
                        "from then on (in the payments above)")
        lines.append(f"{r['name']} ({r['date']}): " + ("; ".join(what) or "applied") + ".")
    return lines


def _listed(cohorts: list[int]) -> str:
    return ("cohort " if len(cohorts) == 1 else "cohorts ") + ", ".join(map(str, cohorts))


def stop_lines(term: dict | None, cur: str) -> list[str]:
    """What ``[termination]`` did on the observed results (the settlement's
    ``termination``), a sentence a line; none without one."""
    if term is None:
        return []
    rule, lines = term["rule"], []
    if rule is not None:
        unit = "%" if rule["change"] == "percent" else f" {rule['change']}"
        label = measure_label(rule["measure"])
        label = label[:1].lower() + label[1:] if label[1:2].islower() else label
        read = (f"the interim improvement in {label} read in month "
                f"{rule['decision_month']} on {_listed(rule['read_on'])}")
        if not rule.get("read", True):
            rule_text = (f"before its stopping rule's decision month, "
                         f"{rule['decision_month']}")
        elif rule["interim_improvement"] is None:
            rule_text = (f"its stopping rule could not be read: no cohort published by month "
                         f"{rule['decision_month']} has a result")
        else:
            below = rule["interim_improvement"] < rule["stop_below"]
            rule_text = (f"{read} was {number(rule['interim_improvement'], 1)}{unit}, "
                         f"{'below' if below else 'not below'} the "
                         f"{number(rule['stop_below'], 1)}{unit} its stopping rule needs")
    if not term["stopped"]:
        lines.append("The contract ran its length"
                     + (f": {rule_text}." if rule is not None else "."))
        return lines
    why = (f"by its stopping rule: {rule_text}" if term["by"] == "rule"
           else "at its scheduled break" + (f" ({rule_text})" if rule is not None else ""))
    lines.append(f"The contract stopped in month {term['month']} ({term['date']}) {why}.")
    if term["not_served"]:
        lines.append(f"Not served after the stop: {_listed(term['not_served'])}.")
    if term["observed_not_served"]:
        lines.append(f"The results given for {_listed(term['observed_not_served'])} are not "
                     "paid: the contract did not serve them.")
    if term["lapsed"]:
        lines.append(f"In flight at the stop, results not paid (in_flight = \"unpaid\"): "
                     f"{_listed(term['lapsed'])}.")
    if term["compensation"]:
        lines.append(f"Compensation paid in the stop month: {money(term['compensation'], cur)} "
                     "(with the fees, not in the outcome total).")
    return lines


def _value(measure: str, v: float) -> str:
    return pct(v) if MEASURES.get(measure, True) else number(v, 2)  # rates as percentages


def settlement_reading(d: dict) -> list[str]:
    cur = d["currency"]
    lines = [f"On the observed results, the contract pays {money(d['total_payment'], cur)} in "
             "outcome payments" + (" (a negative total is repaid)." if d["total_payment"] < 0
                                   else ".")]
    for m in d["mechanisms"]:
        lines.append(f"{m['name']} ({m['type']}) pays {money(m['total'], cur)} on these "
                     "results.")
    lines += stop_lines(d.get("termination"), cur)
    lines += renegotiation_lines(d.get("renegotiations"), cur)
    lines += [f"Calibrated: {c['note']}." for c in d.get("calibrated", [])]
    return lines


def write_settlement_workbook(settlement, path: str | Path, *, force: bool = False) -> Path:
    """Write a settlement's workbook: ``Summary`` (provenance, a reading and the JSON but
    the per-cohort rows), ``Settlement`` (one row per cohort), ``Totals`` (per
    mechanism), ``Investors`` (with a ``[sib]`` and every cohort observed) and
    ``Assumptions`` (the spec)."""
    path = check_output(path, force=force, inputs=settlement.provenance.inputs)
    money_fmt = money_format(settlement.currency)
    d = settlement.to_dict()
    wb = Book()
    meta = provenance(settlement, observed_results=settlement.observed,
                      observed_sha256=settlement.observed_sha256) + [
        ("Sign convention", "money into the provider is positive; negative = repaid")]
    summary_sheet(wb, d["contract"], meta, settlement_reading(d), d, money_fmt,
                  skip=("cohorts",))
    ws = wb.sheet("Settlement")
    table = settlement.cohorts
    bold_header(ws, 1, ["cohort", *table.columns])
    for i, (cohort, rec) in enumerate(table.iterrows(), 2):
        put(ws, i, 1, int(cohort))
        for j, col in enumerate(table.columns, 2):
            v = rec[col]
            v = bool(v) if isinstance(v, (bool, np.bool_)) else v
            if isinstance(v, float) and np.isnan(v):
                v = None
            fmt = money_fmt if col.endswith("payment") else (
                "0.000" if col.endswith((":treated", ":comparison", ":change")) else None)
            put(ws, i, j, v, fmt)
    ws.add_table("Settlement", 1, len(table.columns) + 1, len(table))
    ws.freeze_panes = "B2"
    widths(ws, [8] + [14] * len(table.columns))

    tot = wb.sheet("Totals")
    rows = [[m["name"], m["type"], m["cohort_total"], m["pooled"], m["pooled_status"] or "",
             m["total"]] for m in settlement.mechanisms]
    row = data_table(tot, ["Mechanism", "Type", "Cohorts", "Pooled", "Pooled trigger", "Total"],
                 rows, [None, None, money_fmt, money_fmt, None, money_fmt], "Totals") + 1
    put(tot, row, 1, "Total outcome payments").font = BOLD
    put(tot, row, 6, settlement.total_payment, money_fmt)
    widths(tot, [30, 20, 16, 16, 16, 16])
    if settlement.investors:
        investor_sheet(wb, settlement.investors, settlement.guarantees or [], money_fmt,
                       observed=True)
    assumptions_sheet(wb, settlement)
    save_atomic(wb, path)
    return path




# -- the HTML page (--html) and the notebook card ------------------------------------------------

def cohort_figure(s) -> tuple[str, str, str]:
    """Per observed cohort: each mechanism's payment and each measure's change."""
    from .charts import cohort_bars
    rows = list(s.observed_rows())
    cohorts = np.array([c for c, _ in rows], dtype=float)
    payments = [(m["name"], np.array([r[f"{m['name']}:payment"] for _, r in rows], dtype=float))
                for m in s.mechanisms]
    changes = [(f"{measure_label(m)} ({c})",
                np.array([np.nan if r[f"{m}:change"] is None else r[f"{m}:change"]
                          for _, r in rows], dtype=float)) for m, c in s.measures]
    return ("Settlement by cohort", cohort_bars(cohorts, payments, changes, s.currency),
            "Each cohort with a result: what each mechanism pays it (negative = repaid), and "
            "each measure's change, treated minus comparison (negative is fewer).")


def settlement_view(settlement) -> Group:
    """The settlement table and, settled from an INDIGO project, the project's actual
    outcome payments beside it (the terminal view and the page's headline)."""
    if settlement.actual_payments is None:
        return settlement_table(settlement)
    from .indigo import actual_payments_table, skipped_note
    note = skipped_note(settlement)
    return Group(settlement_table(settlement), actual_payments_table(settlement),
                 *([note] if note is not None else []))


def settlement_page(settlement):
    """``pbr settle``'s HTML page."""
    from .html import Page
    d = settlement.to_dict()
    rows = provenance(settlement, observed_results=settlement.observed,
                      observed_sha256=settlement.observed_sha256) + [
        ("Sign convention", "money into the provider is positive; negative = repaid")]
    return Page(d["contract"], "pbr settle", settlement_view(settlement),
                settlement_reading(d), [cohort_figure(settlement)], d, rows, skip=("cohorts",))


def write_settlement_html(settlement, path: str | Path, *, force: bool = False) -> Path:
    """Write ``pbr settle``'s one-page HTML report to ``path``."""
    from .html import write_page
    return write_page(settlement_page(settlement), path, force=force,
                      inputs=settlement.provenance.inputs)


def settlement_card(settlement) -> str:
    """What a notebook shows for ``settle(...)``: the table and the per-cohort chart."""
    from .html import card
    return card(settlement.spec.contract.name, settlement_table(settlement),
                cohort_figure(settlement))
