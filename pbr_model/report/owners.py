"""A portfolio with several owners on screen and in its workbook: one row per owner (its
figures on its own areas and finances), one per area (its owner's seat in it alone) and
the commissioner's national totals. Reads the portfolio's JSON dict; computes nothing."""

from __future__ import annotations

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from .format import FINANCING_NOTE, money, pct, shock_label, draws_label
from .sheets import PCT_FORMAT, bold_header, put, widths

#: (header, value-of-summary-dict, kind) columns of the owners' and areas' tables.
COLUMNS = (
    ("Reserves + credit", lambda p: p["available"], "money"),
    ("Peak need P50", lambda p: p["peak_funding"]["p50"], "money"),
    ("P95", lambda p: p["peak_funding"]["p95"], "money"),
    ("P99", lambda p: p["peak_funding"]["p99"], "money"),
    ("P(runs out)", lambda p: p["prob_insolvent"], "pct"),
    ("Capital for 5%", lambda p: p["capital_required"]["p95"], "money"),
    ("for 1%", lambda p: p["capital_required"]["p99"], "money"),
    ("Financing cost", lambda p: p["financing_cost"], "money"),
    ("Net after financing", lambda p: p["net_after_financing"], "money"),
)


def _fmt(kind: str, value, cur: str) -> str:
    return pct(value) if kind == "pct" else money(value, cur)


def owners_table(d: dict) -> Group:
    """The owners' table (one row per owner), the areas' table (one row per area, its
    owner's seat in it alone) and the national totals."""
    cur = d["currency"]
    shock = f" · {shock_label(d)}" if shock_label(d) else ""
    caption = (f"{d['sims']:,} simulations{draws_label(d)} · seed {d['seed']} · portfolio "
               f"{d['spec_sha256'][:12]} · pbr-model {d['version']}{shock}")
    owners = FitTable(title=f"{d['contract']}: capital for each owner on its own areas",
                   title_justify="left", caption=caption, caption_justify="left")
    owners.add_column("Owner")
    owners.add_column("Areas", justify="right")
    areas = FitTable(title="Each area alone on its owner's finances", title_justify="left")
    areas.add_column("Area")
    areas.add_column("Owner")
    for header, _, _ in COLUMNS:
        owners.add_column(header, justify="right")
        areas.add_column(header, justify="right")
    for o in d["owners"]:
        owners.add_row(o["name"], str(len(o["areas"])),
                       *(_fmt(kind, get(o), cur) for _, get, kind in COLUMNS))
    for a in d["areas"]:
        areas.add_row(a["name"], a["owner"], *(_fmt(kind, get(a), cur) for _, get, kind in COLUMNS))
    return Group(owners, areas, national_lines(d["national"], cur),
                 Text(f"Money in {cur}; money into each owner is positive. Every area shares "
                      "one national trend and a national volume factor (correlation "
                      f"{d['shared']['volume_correlation']:g}); an owner's areas share its "
                      f"operating model (effect correlation "
                      f"{d['shared']['effect_correlation']:g}); different owners' effects are "
                      f"independent. {FINANCING_NOTE}", style="dim"))


def national_lines(nat: dict, cur: str) -> Text:
    """What the commissioner pays over every area: fees, outcome payments and their total
    (mean, P5, P95)."""
    lines = [(label, f"mean {money(nat[key]['mean'], cur)}; P5 {money(nat[key]['p5'], cur)}; "
                     f"P95 {money(nat[key]['p95'], cur)}")
             for label, key in (("Fees", "fees"), ("Outcome payments", "outcome_payments"),
                                ("Total", "total_payments"))]
    width = max(len(label) for label, _ in lines) + 2
    return Text("Commissioner's payments, all areas\n", style="bold") + Text("\n").join(
        Text.assemble((label.ljust(width), "bold"), value) for label, value in lines)


def owners_reading(d: dict) -> list[str]:
    """Plain sentences for the workbook's Summary."""
    cur = d["currency"]
    biggest = max(d["owners"], key=lambda o: o["peak_funding"]["p95"])
    out = sum(1 for o in d["owners"] if o["prob_insolvent"] > 0.05)
    return [
        f"{len(d['owners'])} owners hold {len(d['areas'])} areas; {biggest['name']} needs the "
        f"most funding: up to {money(biggest['peak_funding']['p95'], cur)} in the worst 5%.",
        f"{out} of {len(d['owners'])} owners run out of cash in more than 5% of simulations.",
        f"The commissioner pays {money(d['national']['total_payments']['mean'], cur)} on "
        f"average over every area (fees and outcome payments).",
    ]


def owners_sheet(book, d: dict, money_fmt: str) -> None:
    """``Portfolio``: one row per owner, then one per area, then the national totals."""
    ws = book.sheet("Portfolio")
    headers = [h for h, _, _ in COLUMNS]
    bold_header(ws, 1, ["Owner", "Areas", *headers])
    row = 2
    for o in d["owners"]:
        put(ws, row, 1, o["name"])
        put(ws, row, 2, len(o["areas"]))
        for j, (_, get, kind) in enumerate(COLUMNS, 3):
            put(ws, row, j, get(o), PCT_FORMAT if kind == "pct" else money_fmt)
        row += 1
    row += 1
    bold_header(ws, row, ["Area", "Owner", *headers])
    row += 1
    for a in d["areas"]:
        put(ws, row, 1, a["name"])
        put(ws, row, 2, a["owner"])
        for j, (_, get, kind) in enumerate(COLUMNS, 3):
            put(ws, row, j, get(a), PCT_FORMAT if kind == "pct" else money_fmt)
        row += 1
    row += 1
    for label, key in (("Commissioner: fees", "fees"),
                       ("Commissioner: outcome payments", "outcome_payments"),
                       ("Commissioner: total payments", "total_payments")):
        for q in ("mean", "p5", "p50", "p95"):
            put(ws, row, 1, f"{label} ({q})")
            put(ws, row, 2, d["national"][key][q], money_fmt)
            row += 1
    widths(ws, [44, 40] + [18] * len(COLUMNS))
