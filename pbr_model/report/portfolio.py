"""A portfolio on screen: each area alone and the owner's combined need, side by side,
and what holding the areas together saves. Reads
:class:`~pbr_model.analyses.portfolio.PortfolioResult`; computes nothing."""

from __future__ import annotations

from rich.console import Group
from .fit import FitTable
from rich.text import Text

from .capital import funding_rows
from .book import Book
from .run_sheets import cash_chart, distributions_sheet
from .sheets import (PCT_FORMAT, assumptions_sheet, check_output, data_table, figure_columns,
                     money_format, provenance, put, save_atomic, simulations_sheet,
                     sims_sheet_row, summary_sheet, widths)
from .format import FINANCING_NOTE, percent, money, pct, shock_label, draws_label
from .owners import owners_reading, owners_sheet, owners_table


def _rows(cur: str) -> list[tuple]:
    """(label, value-of-summary-dict, format) rows: those of ``pbr capital``'s table."""
    return [("Share of the work held", lambda p: p.get("owner_share", float("nan")), pct),
            *funding_rows(cur)]


def portfolio_table(result) -> Group:
    """The side-by-side table: one column per area (the area alone on the owner's
    finances) and ``Owner (combined)``, then the diversification lines."""
    d = result.to_dict()
    if "owners" in d:
        return owners_table(d)
    cur = d["currency"]
    shock = f" · {shock_label(d)}" if shock_label(d) else ""
    t = FitTable(title=f"{d['contract']}: capital for the owner and per area",
              title_justify="left",
              caption=f"{d['sims']:,} simulations{draws_label(d)} · seed {d['seed']} · portfolio "
                      f"{d['spec_sha256'][:12]} · pbr-model {d['version']}{shock}",
              caption_justify="left")
    t.add_column(f"Owner: {d['owner']['name']}")
    for a in d["areas"]:
        t.add_column(a["name"], justify="right")
    t.add_column("Owner (combined)", justify="right", style="bold")
    columns = [*d["areas"], d["owner"]]
    for label, get, fmt in _rows(cur):
        t.add_row(label, *(fmt(get(c)) for c in columns))
    return Group(t, diversification_lines(d["diversification"], cur),
                 Text(f"Money in {cur}; money into the owner is positive. Each area column is "
                      "that area alone on the owner's finances; all areas share one national "
                      "trend, a national volume factor (correlation "
                      f"{d['shared']['volume_correlation']:g}) and the owner's operating model "
                      f"(effect correlation {d['shared']['effect_correlation']:g}). "
                      f"{FINANCING_NOTE}", style="dim"))


def diversification_lines(div: dict, cur: str) -> Text:
    """What holding the areas together saves, at P95 and P99 of the peak funding need."""
    m = lambda v: money(v, cur)  # noqa: E731
    lines = []
    for q in ("p95", "p99"):
        f = div[f"peak_funding_{q}"]
        lines.append((f"Peak funding {q.upper()}: areas alone, summed",
                      f"{m(f['standalone_sum'])}; together {m(f['combined'])}; saving "
                      f"{m(f['saving'])} ({pct(f['saving_share'])})"))
    lines.append(("Mean saving per simulation", m(div["mean_saving"])))
    width = max(len(label) for label, _ in lines) + 2
    return Text("Diversification\n", style="bold") + Text("\n").join(
        Text.assemble((label.ljust(width), "bold"), value) for label, value in lines)


def portfolio_reading(d: dict) -> list[str]:
    cur = d["currency"]
    o = d["owner"]
    f = d["diversification"]["peak_funding_p95"]
    return [
        f"The owner ({o['name']}) needs to fund up to {money(o['peak_funding']['p50'], cur)} at "
        f"the median and {money(o['peak_funding']['p95'], cur)} in the worst 5% across its "
        f"{len(d['areas'])} areas; it runs out of cash in {percent(o['prob_insolvent'])} of "
        "simulations.",
        f"Held together, the areas' P95 peak funding need is {money(f['combined'], cur)} against "
        f"{money(f['standalone_sum'], cur)} for the areas alone: a saving of "
        f"{money(f['saving'], cur)} ({percent(f['saving_share'])}).",
    ]


def write_portfolio_workbook(result, path, *, force: bool = False, sims_sheet: bool = False):
    """Write a portfolio's workbook: ``Summary`` (the JSON, with a reading), ``Portfolio``
    (owner and each area side by side, and diversification), ``Owner cash`` (the owner's
    monthly cumulative cash P5/P50/P95 with a chart), ``Distributions`` (the owner's net
    after financing and peak funding need), ``Areas`` (each area's source and spec hash),
    ``Assumptions`` (the portfolio file's fields, then each area's spec as run, its paths
    prefixed with the area's name) and (with ``sims_sheet``) ``Simulations``: the owner's
    figures per simulation."""
    path = check_output(path, force=force, inputs=result.provenance.inputs)
    d = result.to_dict()
    money_fmt = money_format(d["currency"])
    book = Book()
    several = "owners" in d
    owner_label = (f"{len(d['owners'])} owners" if several else d["owner"]["name"])
    meta = provenance(result) + [
        ("Owner", owner_label), ("Sign convention", "money into the owner is positive")]
    if sims_sheet:
        meta.append(sims_sheet_row(d["sims"]))
    summary_sheet(book, d["contract"], meta,
                  owners_reading(d) if several else portfolio_reading(d), d, money_fmt)
    if several:
        owners_sheet(book, d, money_fmt)
    else:
        ws = book.sheet("Portfolio")
        row = figure_columns(ws, 1, [*(a["name"] for a in d["areas"]), "Owner (combined)"],
                             _rows(d["currency"]), [*d["areas"], d["owner"]], money_fmt) + 1
        for q in ("p95", "p99"):
            f = d["diversification"][f"peak_funding_{q}"]
            for key in ("standalone_sum", "combined", "saving", "saving_share"):
                put(ws, row, 1, f"Peak funding {q.upper()}: {key.replace('_', ' ')}")
                put(ws, row, 2, f[key], PCT_FORMAT if key == "saving_share" else money_fmt)
                row += 1

    cash = book.sheet("Owner cash")
    rows = [[*([o.name] if several else []), int(m), rec["date"],
             *(float(rec[q]) for q in ("mean", "p5", "p50", "p95"))]
            for o in result.owners for m, rec in o.party.months.iterrows()]
    data_table(cash, [*(["Owner"] if several else []), "Month", "Date", "Mean", "P5", "P50",
                      "P95"], rows,
               [*([None] if several else []), None, "yyyy-mm", *[money_fmt] * 4], "Owner_cash")
    cash.freeze_panes = "D2" if several else "C2"
    if not several:  # one chart for one owner; with several the table holds them all
        cash_chart(book, cash, "Owner's cumulative cash: P5, P50 and P95", d["currency"],
                   [4, 5, 6], len(rows), "Data: the Owner cash sheet")
    widths(cash, [*([40] if several else []), 8, 10, 18, 18, 18, 18])
    distributions_sheet(book, [
        (f"{o.name}: {what}", values, money_fmt) for o in result.owners
        for what, values in (("net after financing", o.party.figures.net_after_financing),
                             ("peak funding need", o.party.figures.peak_funding))]
        if several else [("Owner: net after financing", result.owner.figures.net_after_financing,
                          money_fmt),
                         ("Owner: peak funding need", result.owner.figures.peak_funding,
                          money_fmt)])

    areas = book.sheet("Areas")
    rows = [[a["name"], a["contract"], a["source"], a["spec_sha256"], a["cohorts"],
             a["owner_share"]] for a in d["areas"]]
    data_table(areas, ["Area", "Contract", "Source", "Spec SHA-256", "Cohorts", "Owner share"], rows,
           [None, None, None, None, None, PCT_FORMAT], "Areas")
    widths(areas, [20, 50, 30, 66, 10, 12])
    p = result.portfolio
    assumptions_sheet(book, result, models=[("", p.file)] + [
        (f"{a.name}: ", a.spec.spec) for a in p.areas])
    if sims_sheet:
        owner = result.tables()["owner"].set_index("sim").drop(
            columns=["role"] if several else ["party", "role"])
        simulations_sheet(book, owner, d["currency"])
    save_atomic(book, path)
    return path


# -- the HTML page (--html) and the notebook card ------------------------------------------------

def _party_chart(result, d: dict) -> tuple[str, str, str]:
    """Each owner's combined balance (or, with one owner, each area alone and the owner
    combined), side by side, each on its own scale."""
    from .capital import party_chart
    cur = d["currency"]
    if "owners" in d:
        return party_chart([o.name for o in result.owners], [o.party for o in result.owners],
                           [o.party.summary.get("available") for o in result.owners], cur,
                           "Each owner's cash, after financing")
    names = [*(a["name"] for a in d["areas"]), f"{d['owner']['name']} (combined)"]
    parties = [*(a.party for a in result.areas), result.owner]
    available = [*(a.get("available") for a in d["areas"]), d["owner"].get("available")]
    return party_chart(names, parties, available, cur,
                       "Cash by area alone and the owner combined, after financing")


def portfolio_page(result):
    """A portfolio's HTML page: the side-by-side table, each party's cash and the owner's
    distributions."""
    from .charts import histograms
    from .html import Page
    d = result.to_dict()
    several = "owners" in d
    series = [(f"{o.name}: {what}", values, "money") for o in result.owners
              for what, values in (("net after financing", o.party.figures.net_after_financing),
                                   ("peak funding need", o.party.figures.peak_funding))]
    charts = [_party_chart(result, d),
              ("Distributions across simulations", histograms(series, d["currency"]),
               "The share of simulations in each of 25 equal bars.")]
    owner = f"{len(d['owners'])} owners" if several else d["owner"]["name"]
    rows = provenance(result) + [("Owner", owner),
                                 ("Sign convention", "money into the owner is positive")]
    return Page(d["contract"], "pbr capital (portfolio)", portfolio_table(result),
                owners_reading(d) if several else portfolio_reading(d), charts, d, rows)


def write_portfolio_html(result, path, *, force: bool = False):
    """Write a portfolio's one-page HTML report to ``path``."""
    from .html import write_page
    return write_page(portfolio_page(result), path, force=force,
                      inputs=result.provenance.inputs)


def portfolio_card(result) -> str:
    """What a notebook shows for ``portfolio(...)``: the table and each party's cash (no
    chart for a run that kept its figures only)."""
    from .html import card
    d = result.to_dict()
    kept = all(o.party.month_columns is not None for o in result.owners)
    return card(d["contract"], portfolio_table(result), _party_chart(result, d) if kept else None)
