"""``pbr capital`` on screen and in Excel: each party side by side, the investors and
the commissioner. Reads :class:`~pbr_model.analyses.capital.CapitalResult`; computes nothing."""

from __future__ import annotations

import math
from pathlib import Path

from rich import box
from rich.console import Group
from .fit import FitTable
from rich.text import Text

from ..finance.commissioner import repays_only
from ..spec.fields import flatten
from .book import Book
from .party_sheets import commissioner_sheet, investor_sheet
from .run_sheets import cash_chart, cashflow_sheet, cohorts_sheet, distributions_sheet
from .sheets import (PCT_FORMAT, assumptions_sheet, check_output, data_table, figure_columns,
                     money_format, provenance, save_atomic, simulations_sheet, sims_sheet_row,
                     summary_sheet, widths)
from .format import FINANCING_NOTE, percent, money, month_when, number, pct, shock_label, draws_label
from .commissioner import commissioner_lines


def funding_rows(cur: str) -> list[tuple]:
    """(label, value-of-summary-dict, format) rows of a party's capital figures, shared by
    ``pbr capital``'s table and workbook and the portfolio's. Peaks, running out and
    capital are read from the balance after financing (docs/finance.md section 3)."""
    m = lambda v: money(v, cur)  # noqa: E731
    return [
        ("Reserves + credit", lambda p: p["available"], m),
        ("Peak funding need P50 (after financing)", lambda p: p["peak_funding"]["p50"], m),
        ("  P95", lambda p: p["peak_funding"]["p95"], m),
        ("  P99", lambda p: p["peak_funding"]["p99"], m),
        ("  P95 before financing", lambda p: p["peak_funding_before_financing"]["p95"], m),
        ("  month of peak (median where any)",
         lambda p: month_when(p["peak_month"]["p50"], p.get("peak_date")), str),
        ("P(runs out of cash)", lambda p: p["prob_insolvent"], pct),
        ("  first month it does (median)",
         lambda p: month_when(p["first_shortfall_month"]["p50"], p.get("first_shortfall_date")),
         str),
        ("Capital for P(out of cash) <= 5%", lambda p: p["capital_required"]["p95"], m),
        ("  <= 1%", lambda p: p["capital_required"]["p99"], m),
        ("  beyond reserves + credit (5%)", lambda p: p["additional_capital"]["p95"], m),
        ("  beyond reserves + credit (1%)", lambda p: p["additional_capital"]["p99"], m),
        ("Expected net before financing", lambda p: p["net"]["mean"], m),
        ("Expected financing cost", lambda p: p["financing_cost"], m),
        ("Expected net after financing", lambda p: p["net_after_financing"], m),
        ("P(loss after financing)", lambda p: p["prob_loss_after_financing"], pct),
    ]


def facility_rows(cur: str) -> list[tuple]:
    """Rows of the social investment facility sized for each party (section 4 of
    docs/finance.md): its size for 5% and 1% risk, its cost and the investor's side."""
    m = lambda v: money(v, cur)  # noqa: E731
    rows = [("Social investment facility at", lambda p: p["facility"]["rate"], pct)]
    for key, level in (("p95", "5%"), ("p99", "1%")):
        rows += [
            (f"  size for P(out of cash) <= {level}", lambda p, k=key: p["facility"][k]["size"], m),
            ("    its cost to the party (mean)", lambda p, k=key: p["facility"][k]["cost"], m),
            ("    investor's return a year, after losses",
             lambda p, k=key: p["facility"][k]["investor_return"], pct),
            ("    investor's expected loss", lambda p, k=key: p["facility"][k]["investor_loss"], m),
        ]
    return rows


def _facility_words(p: dict, m) -> str:
    """The narrative's words on the facility sized at 5%, '' without one."""
    if "facility" not in p:
        return ""
    f = p["facility"]
    if f["p95"]["size"] is None or math.isnan(f["p95"]["size"]):
        return (f" (no social investment facility at {pct(f['rate'])} does: its interest and "
                "fees outgrow it)")
    words = (f" (a social investment facility of {m(f['p95']['size'])} at {pct(f['rate'])}, "
             f"costing it {m(f['p95']['cost'])}")
    if f["p95"].get("investor_loss") is not None and f["p95"].get("investor_return") is not None:
        # what the investor would make of it: one no investor would offer reads as such
        words += (f"; the investor's expected loss {m(f['p95']['investor_loss'])}, its return "
                  f"{pct(f['p95']['investor_return'])} a year")
    return words + ")"


#: How a seat's fee is paid (``fee_basis``), on screen.
FEE_BASIS = {"contract": "the contract's volume", "caseload": "caseload served"}


def _party_rows(cur: str) -> list[tuple]:
    return [
        ("Role", lambda p: p["role"], str),
        ("Share of the work", lambda p: p["terms"]["share"], pct),
        ("  of the fee on it passed down", lambda p: p["terms"]["fee_share"], pct),
        ("  fee paid on", lambda p: FEE_BASIS[p["terms"]["fee_basis"]], str),
        ("  of its PbR risk carried", lambda p: p["terms"]["pbr_share"], pct),
        *funding_rows(cur),
        *facility_rows(cur),
    ]


def capital_table(result) -> Group:
    """The side-by-side table of ``pbr capital``."""
    d = result.to_dict()
    cur = d["currency"]
    shock = f" · {shock_label(d)}" if shock_label(d) else ""
    t = FitTable(title=f"{d['contract']}: who can carry the risk", title_justify="left",
              caption=f"{d['sims']:,} simulations{draws_label(d)} · seed {d['seed']} · spec "
                      f"{d['spec_sha256'][:12]} · pbr-model {d['version']}{shock}",
              caption_justify="left")
    t.add_column("Per party")
    for p in d["providers"]:
        t.add_column(p["name"], justify="right")
    for label, get, fmt in _party_rows(cur):
        t.add_row(label, *(fmt(get(p)) for p in d["providers"]))
    parts = [t]
    if d["investors"]:
        parts.append(investor_table(d["investors"], d["guarantees"], cur))
    parts.append(commissioner_lines(d["commissioner"], cur, repays_only(result.result.spec)))
    parts.append(Text(f"Money in {cur}; money into each party is positive. {FINANCING_NOTE} "
                      "The facility is drawn after reserves and credit; its terms are profile "
                      "fields (defaults are assumptions); what is still drawn at the end is "
                      "the investor's loss.", style="dim"))
    return Group(*parts)


def investor_table(investors: list[dict], guarantees: list[dict], cur: str,
                   observed: bool = False) -> Group:
    """Each tranche's figures; ``observed`` for one settled outcome (no spread). The IRR
    shown is among the simulations where something came back, beside the chance that
    nothing did (P(total loss)); a grant shows what it funded and no return or loss."""
    title = ("Social investors on these results (IRR a year)" if observed else
             "Social investors (mean drawn and received; IRR a year where not a total loss)")
    t = FitTable(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              collapse_padding=True)
    t.add_column("Tranche", min_width=18)
    cols = ["Drawn", "Received", *([] if observed else ["P(total loss)"]),
            "IRR" if observed else "IRR P50", *([] if observed else ["P5 to P95"]),
            "Multiple", "Loss" if observed else "P(loss)"]
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)
    for i in investors:
        head = [i["name"], money(i["drawn"]["mean"], cur), money(i["received"]["mean"], cur)]
        if i.get("grant"):
            t.add_row(*head, *([] if observed else ["-"]), "grant",
                      *([] if observed else ["not repaid"]), "-", "-")
            continue
        irr = i["irr"] if observed else i["irr_given_not_total_loss"]
        spread = [] if observed else [f"{pct(irr['p5'])} to {pct(irr['p95'])}"]
        t.add_row(*head, *([] if observed else [pct(i["prob_total_loss"])]),
                  pct(irr["p50"]), *spread, number(i["multiple"]["mean"], 2),
                  money(i["expected_loss"], cur) if observed else pct(i["prob_loss"]))
    lines = [Text(f"{g['name']} (on {g['covers']}): pays {money(g['expected_paid'], cur)}")
             if observed else
             Text(f"{g['name']} (on {g['covers']}): called in {pct(g['prob_called'])} of "
                  f"simulations, paying {money(g['expected_paid'], cur)} on average")
             for g in guarantees]
    return Group(t, *lines)


def capital_reading(d: dict) -> list[str]:
    """A sentence per party (can it carry this?), and one on the investors."""
    cur = d["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    lines = []
    for p in d["providers"]:
        lines.append(
            f"{p['name']} ({p['role']}): financing included, needs to fund up to "
            f"{m(p['peak_funding']['p50'])} at the median and {m(p['peak_funding']['p95'])} in "
            f"the worst 5% ({m(p['peak_funding_before_financing']['p95'])} before financing), "
            f"peaking around {month_when(p['peak_month']['p50'], p.get('peak_date'))}, against "
            f"{m(p['available'])} of reserves and credit; it runs out of cash in "
            f"{percent(p['prob_insolvent'])} of simulations, and needs "
            f"{m(p['additional_capital']['p95'])} more to keep that chance to 5% (as new "
            "capital, its cost of capital paid in cash as it compounds; held as reserves, "
            "less would do)"
            + _facility_words(p, m) +
            f". Expected net after financing: {m(p['net_after_financing'])} "
            f"({percent(p['prob_loss_after_financing'])} chance of a loss).")
    for t in d["investors"]:
        if t.get("grant"):
            lines.append(f"Grant {t['name']}: funds {m(t['drawn']['mean'])} of costs on "
                         "average and is not repaid (no return, no loss).")
            continue
        lines.append(
            f"Investor {t['name']} ({t['kind']}): {percent(t['prob_total_loss'])} chance of "
            f"losing everything; otherwise a median IRR of "
            f"{pct(t['irr_given_not_total_loss']['p50'])}; {percent(t['prob_loss'])} chance "
            f"of losing money, expected loss {m(t['expected_loss'])}.")
    return lines


def capital_book(result, *, sims_sheet: bool = False) -> Book:
    """``pbr capital``'s sheets: Summary (the JSON, with a reading), Capital (parties
    side by side), Cash by party (with a chart of the medians), Investors (if any),
    Commissioner, Cohorts, Cashflow (the contract's), Distributions (each party's net
    after financing and peak funding need, each tranche's IRR), Assumptions, Parties'
    terms and (with ``sims_sheet``) Simulations."""
    from openpyxl.utils import get_column_letter  # (openpyxl only when a workbook is made)
    d = result.to_dict()
    money_fmt = money_format(d["currency"])
    book = Book()
    meta = provenance(result.result) + [
        ("Sign convention", "money into each party is positive")]
    if sims_sheet:
        meta.append(sims_sheet_row(result.result.sims))
    summary_sheet(book, d["contract"], meta, capital_reading(d), d, money_fmt)

    ws = book.sheet("Capital")
    figure_columns(ws, 1, [p["name"] for p in d["providers"]], _party_rows(d["currency"]),
                   d["providers"], money_fmt)

    cash = book.sheet("Cash by party")
    names = ["Month", "Date"]
    for p in result.parties:
        names += [f"{p.seat.name} P5", f"{p.seat.name} P50", f"{p.seat.name} P95"]
    dates = result.parties[0].months["date"]
    rows = [[int(month), date, *(float(p.months.loc[month, q]) for p in result.parties
                                 for q in ("p5", "p50", "p95"))]
            for month, date in dates.items()]
    data_table(cash, names, rows, [None, "yyyy-mm", *[money_fmt] * (len(names) - 2)], "Cash_by_party")
    cash.freeze_panes = "C2"
    widths(cash, [7, 8] + [13] * (3 * len(result.parties)))
    # one chart per party, each on its own scale: a charity's line beside a prime's a
    # hundred times larger would be flat on one axis
    for k, p in enumerate(result.parties):
        first = 3 + 3 * k
        cash_chart(book, cash, f"{p.seat.name}: cash balance after financing (P5, P50 and P95 "
                   "across simulations)", d["currency"], [first, first + 1, first + 2],
                   len(dates), f"Data: the Cash by party sheet, columns "
                   f"{get_column_letter(first)} to {get_column_letter(first + 2)}")

    if d["investors"]:
        investor_sheet(book, d["investors"], d["guarantees"], money_fmt)
    commissioner_sheet(book, d["commissioner"], money_fmt)
    cohorts_sheet(book, result.result)
    cashflow_sheet(book, result.result)
    series = []
    for p in result.parties:
        series.append((f"{p.seat.name}: net after financing", p.figures.net_after_financing,
                       money_fmt))
        series.append((f"{p.seat.name}: peak funding need", p.figures.peak_funding, money_fmt))
    for f in result.tranche_figures:
        if not f.grant:  # a grant has no return
            series.append((f"{f.name}: IRR", f.irr, PCT_FORMAT))
    distributions_sheet(book, series)
    assumptions_sheet(book, result.result)
    prof = book.sheet("Parties' terms")
    rows = [[p.seat.name, f.path, f.value] for p in result.parties for f in flatten(p.seat.profile)]
    data_table(prof, ["Party", "Field", "Value"], rows, [None, None, None], "Terms")
    widths(prof, [24, 36, 60])
    if sims_sheet:
        simulations_sheet(book, result.result.simulations, d["currency"])
    return book


def write_capital_workbook(result, path: str | Path, *, force: bool = False,
                           sims_sheet: bool = False) -> Path:
    """Write ``pbr capital``'s workbook (see :func:`capital_book`)."""
    path = check_output(path, force=force, inputs=result.provenance.inputs)
    save_atomic(capital_book(result, sims_sheet=sims_sheet), path)
    return path


def providers_table(profiles: dict) -> Group:
    """``pbr providers``: each profile's finances and seat terms, then its description."""
    t = FitTable(title="Bundled provider profiles", title_justify="left", box=box.SIMPLE_HEAD,
              pad_edge=False, collapse_padding=True)
    t.add_column("Name", no_wrap=True)
    for col in ("Reserves", "Credit", "at", "Capital", "Overheads", "Share", "PbR"):
        t.add_column(col, justify="right", no_wrap=True)
    notes = []
    for name, p in profiles.items():
        # profiles are currency-free: amounts are in whichever contract they are used with
        t.add_row(name, money(p.reserves, "").strip(), money(p.credit_limit, "").strip(),
                  pct(p.credit_cost, 0),
                  pct(p.cost_of_capital, 0), pct(p.overheads, 0), pct(p.share, 0),
                  pct(p.pbr_share, 0))
        notes.append(Text(f"{name}: {p.description}"))
    return Group(t, *notes, Text(
        "Amounts are in the currency of the contract a profile is used with. Credit is drawn "
        "at the rate under 'at'; 'Capital' is the cost of capital a year; 'PbR' the share of "
        "the PbR risk on its work it carries. Use a profile with `pbr capital --provider "
        "NAME`, or copy its file from contracts/providers/ and change it.", style="dim"))


# -- the HTML page (--html) and the notebook card ------------------------------------------------

def party_chart(names: list[str], parties: list, available: list[float | None], currency: str,
                title: str, key: str = "parties") -> tuple[str, str, str]:
    """The parties side by side, one panel each on its own scale: each one's balance after
    financing by month (P5 to P95, P50, mean) and its reserves and credit."""
    import numpy as np

    from .charts import party_panels
    panels = []
    for name, party, avail in zip(names, parties, available):
        band = {s: np.asarray(party.month_columns[s]) for s in ("mean", "p5", "p50", "p95")}
        panels.append((name, np.arange(len(band["p50"])), band, avail))
    return (title, party_panels(panels, currency, key=key),
            "Each panel on its own scale: the balance after financing by month, P5 to P95 "
            "across simulations, the median and the mean; dotted, minus the party's reserves "
            f"and credit (below it, the party has run out). Money in {currency}.")


def capital_page(result):
    """``pbr capital``'s HTML page: the parties side by side and each party's
    distributions (the contract's own cash fan is ``pbr simulate``'s: its provider is the
    spec's, not a party on this page)."""
    from .charts import histograms
    from .html import Page
    d = result.to_dict()
    cur = d["currency"]
    charts = [party_chart([p["name"] for p in d["providers"]], result.parties,
                          [p["available"] for p in d["providers"]], cur,
                          "Cash by party, after financing")]
    series = []
    for p in result.parties:
        series.append((f"{p.seat.name}: net after financing", p.figures.net_after_financing,
                       "money"))
        series.append((f"{p.seat.name}: peak funding need", p.figures.peak_funding, "money"))
    series += [(f"{f.name}: IRR", f.irr, "pct") for f in result.tranche_figures if not f.grant]
    charts.append(("Distributions across simulations", histograms(series, cur),
                   "The share of simulations in each of 25 equal bars."))
    rows = provenance(result.result) + [("Sign convention", "money into each party is positive")]
    return Page(d["contract"], "pbr capital", capital_table(result), capital_reading(d), charts,
                d, rows)


def write_capital_html(result, path: str | Path, *, force: bool = False) -> Path:
    """Write ``pbr capital``'s one-page HTML report to ``path``."""
    from .html import write_page
    return write_page(capital_page(result), path, force=force, inputs=result.provenance.inputs)


def capital_card(result) -> str:
    """What a notebook shows for ``capital(...)``: the table and the parties' cash (no
    chart for a run that kept its figures only)."""
    from .html import card
    d = result.to_dict()
    chart = None if any(p.month_columns is None for p in result.parties) else \
        party_chart([p["name"] for p in d["providers"]], result.parties,
                    [p["available"] for p in d["providers"]], d["currency"],
                    "Cash by party, after financing")
    return card(d["contract"], capital_table(result), chart)
