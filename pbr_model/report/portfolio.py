"""A portfolio on screen: each area alone and the owner's combined need, side by side,
and what holding the areas together saves. Reads
:class:`~pbr_model.portfolio.PortfolioResult`; computes nothing."""

from __future__ import annotations

from openpyxl import Workbook
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .capital import funding_rows
from .excel import (PCT_FORMAT, _header, _money_format, _put, _title_and_meta, _widths,
                    cash_chart, check_output, figure_columns, save_atomic)
from .format import money, pct


def _rows(cur: str) -> list[tuple]:
    """(label, value-of-summary-dict, format) rows: those of ``pbr capital``'s table."""
    return [("Share of the work held", lambda p: p.get("owner_share", float("nan")), pct),
            *funding_rows(cur)]


def portfolio_table(result) -> Group:
    """The side-by-side table: one column per area (the area alone on the owner's
    finances) and ``Owner (combined)``, then the diversification lines."""
    d = result.to_dict()
    cur = d["currency"]
    shock = f" · volume shock {pct(d['volume_shock'], 0)}" if d["volume_shock"] else ""
    t = Table(title=f"{d['portfolio']}: capital for the owner and per area",
              title_justify="left",
              caption=f"{d['sims']:,} simulations · seed {d['seed']} · portfolio "
                      f"{d['sha256'][:12]} · pbr-model {d['version']}{shock}",
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
                      "trend. Financing: reserves and new capital at the cost of capital, "
                      "credit at its rate.", style="dim"))


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


def write_portfolio_workbook(result, path, *, force: bool = False):
    """Write a portfolio's workbook: ``Portfolio`` (owner and each area side by side, with
    provenance and diversification), ``Owner cash`` (the owner's monthly cumulative cash
    P5/P50/P95 with a chart) and ``Areas`` (each area's source and spec hash)."""
    path = check_output(path, force=force)
    d = result.to_dict()
    money_fmt = _money_format(d["currency"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Portfolio"
    meta = [("Source", d["source"]), ("Portfolio SHA-256", d["sha256"]), ("Seed", d["seed"]),
            ("Simulations", d["sims"]), ("Volume shock", d["volume_shock"]),
            ("pbr-model version", d["version"]), ("Currency", d["currency"]),
            ("Owner", d["owner"]["name"]),
            ("Sign convention", "money into the owner is positive")]
    top = _title_and_meta(ws, d["portfolio"], meta)
    row = figure_columns(ws, top, [*(a["name"] for a in d["areas"]), "Owner (combined)"],
                         _rows(d["currency"]), [*d["areas"], d["owner"]], money_fmt) + 1
    for q in ("p95", "p99"):
        f = d["diversification"][f"peak_funding_{q}"]
        for key in ("standalone_sum", "combined", "saving", "saving_share"):
            _put(ws, row, 1, f"Peak funding {q.upper()}: {key.replace('_', ' ')}")
            _put(ws, row, 2, f[key], PCT_FORMAT if key == "saving_share" else money_fmt)
            row += 1

    cash = wb.create_sheet("Owner cash")
    _header(cash, 1, ["Month", "Date", "Mean", "P5", "P50", "P95"])
    months = result.owner.months
    for i, (month, rec) in enumerate(months.iterrows(), 2):
        _put(cash, i, 1, int(month))
        _put(cash, i, 2, rec["date"], "yyyy-mm")
        for j, q in enumerate(("mean", "p5", "p50", "p95"), 3):
            _put(cash, i, j, float(rec[q]), money_fmt)
    cash_chart(cash, "Owner's cumulative cash: P5, P50 and P95", d["currency"], [4, 5, 6],
               len(months), "H2")
    _widths(cash, [8, 10, 18, 18, 18, 18])

    areas = wb.create_sheet("Areas")
    _header(areas, 1, ["Area", "Contract", "Source", "Spec SHA-256", "Cohorts", "Owner share"])
    for i, a in enumerate(d["areas"], 2):
        for j, key in enumerate(("name", "contract", "source", "spec_sha256", "cohorts"), 1):
            _put(areas, i, j, a[key])
        _put(areas, i, 6, a["owner_share"], PCT_FORMAT)
    _widths(areas, [20, 50, 30, 66, 10, 12])
    save_atomic(wb, path)
    return path
