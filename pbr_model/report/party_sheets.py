"""The workbook sheets of what the parties beyond the provider get: ``Investors`` (each SIB
tranche and guarantee, simulated or settled) and ``Commissioner`` (what it pays and buys),
shared by ``pbr capital`` and ``pbr settle``."""

from __future__ import annotations

from .book import Book
from .format import pct
from .sheets import (PCT_FORMAT, STATS, bold_header, data_table, number_format_for, put,
                     stat_label, widths)


def investor_sheet(book: Book, investors: list[dict], guarantees: list[dict],
                   money_fmt: str, observed: bool = False) -> None:
    """``Investors``: one row per tranche (drawn, received, IRR, multiple: mean and
    percentiles; P(loss), expected loss, P(payback)), then the guarantees. ``observed``:
    one settled outcome, so one value each (drawn, received, IRR, multiple, loss, repaid)."""
    inv = book.sheet("Investors")
    if observed:
        header = ["Tranche", "Kind", "Drawn", "Received", "IRR", "Multiple", "Loss",
                  "Paid back"]
        rows = [[t["name"], "grant (not repaid)" if t.get("grant") else t["kind"],
                 t["drawn"]["mean"], t["received"]["mean"],
                 t["irr"]["mean"], t["multiple"]["mean"], t["expected_loss"],
                 t["prob_payback"] == 1] for t in investors]
        formats = [None, None, money_fmt, money_fmt, PCT_FORMAT, "0.00", money_fmt, None]
    else:
        # the IRR among simulations that are not a total loss, beside P(total loss); the
        # IRR over all simulations (-100% included) last, for completeness
        cols = ["drawn", "received", "irr_given_not_total_loss", "multiple", "irr"]
        names = {"drawn": "Drawn", "received": "Received", "multiple": "Multiple",
                 "irr_given_not_total_loss": "IRR where not a total loss",
                 "irr": "IRR, all simulations"}
        header = (["Tranche", "Kind", "P(total loss)"]
                  + [f"{names[c]} {stat_label(s)}" for c in cols for s in STATS]
                  + ["P(loss)", "Expected loss", "P(payback)"])
        formats = [None, None, PCT_FORMAT] + [
            PCT_FORMAT if c.startswith("irr") else ("0.00" if c == "multiple" else money_fmt)
            for c in cols for _ in STATS] + [PCT_FORMAT, money_fmt, PCT_FORMAT]
        rows = [[t["name"], "grant (not repaid)" if t.get("grant") else t["kind"],
                 t["prob_total_loss"], *(t[c][s] for c in cols for s in STATS),
                 t["prob_loss"], t["expected_loss"], t["prob_payback"]] for t in investors]
    row = data_table(inv, header, rows, formats, "Investors") + 1
    n_columns = len(header)
    if guarantees:
        if observed:
            header = ["Guarantee", "Covers", "Paid"]
            rows = [[g["name"], g["covers"], g["expected_paid"]] for g in guarantees]
            formats = [None, None, money_fmt]
        else:
            header = ["Guarantee", "Covers", *(f"Paid {stat_label(s)}" for s in STATS),
                      "P(called)", "Expected paid"]
            rows = [[g["name"], g["covers"], *(g["paid"][s] for s in STATS), g["prob_called"],
                     g["expected_paid"]] for g in guarantees]
            formats = [None, None, *[money_fmt] * 4, PCT_FORMAT, money_fmt]
        data_table(inv, header, rows, formats, "Guarantees", row)
    inv.freeze_panes = "B2"
    widths(inv, [30, 14] + [12.5] * (n_columns - 2))


def commissioner_sheet(book: Book, c: dict, money_fmt: str) -> None:
    """``Commissioner``: what it pays and what it buys (mean and percentiles)."""
    com = book.sheet("Commissioner")
    bold_header(com, 1, ["Figure", *STATS, "Value"])
    figures = {k: v for k, v in c.items() if k != "payers"}
    for i, (key, value) in enumerate(figures.items(), 2):
        put(com, i, 1, key)
        fmt = number_format_for(key, money_fmt)
        if isinstance(value, dict):
            for j, s in enumerate(STATS, 2):
                put(com, i, j, value[s], fmt)
        else:
            put(com, i, 2 + len(STATS), value, fmt)
    com.add_table("Commissioner", 1, 2 + len(STATS), len(figures))
    if c.get("payers"):
        # one row per payer: what it pays a share of, its one cap over all of it, its figures
        header = ["Payer", "Pays", "Cap (over all it pays)", *(f"paid {s}" for s in STATS),
                  "outcome paid mean", "P(cap reached)", "Paid for noise",
                  "Paid for noise s.e.", "Expected paid for noise"]
        rows = [[p["name"], "; ".join(f"{pct(t['share'])} of {t['mechanism']}"
                                      for t in p["pays_for"]), p["cap"],
                 *(p["paid"][s] for s in STATS), p["outcome_paid"]["mean"],
                 p["prob_cap_binds"], p.get("paid_for_noise"), p.get("paid_for_noise_se"),
                 p.get("expected_paid_for_noise")]
                for p in c["payers"]]
        formats = [None, None, money_fmt, *[money_fmt] * len(STATS), money_fmt, PCT_FORMAT,
                   PCT_FORMAT, PCT_FORMAT, money_fmt]
        below = data_table(com, header, rows, formats, "Payers", len(figures) + 3)
        # and each share as a number, one row per payer and mechanism, to reconcile from
        shares = [[p["name"], t["mechanism"], t["share"]] for p in c["payers"]
                  for t in p["pays_for"]]
        data_table(com, ["Payer", "Mechanism", "Share"], shares, [None, None, PCT_FORMAT],
                   "PayerShares", below + 2)
    com.freeze_panes = "B2"
    widths(com, [40] + [18] * (len(STATS) + 9))
