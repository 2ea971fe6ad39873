"""A portfolio on screen: each area alone and the owner's combined need, side by side,
and what holding the areas together saves. Reads
:class:`~pbr_model.portfolio.PortfolioResult`; computes nothing."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .format import money, number, pct


def _rows(cur: str) -> list[tuple]:
    """(label, value-of-summary-dict, format) rows: the labels of ``pbr capital``'s table."""
    m = lambda v: money(v, cur)  # noqa: E731
    return [
        ("Share of the work held", lambda p: p.get("owner_share"), lambda v: "-" if v is None
         else pct(v)),
        ("Reserves + credit", lambda p: p["available"], m),
        ("Peak funding need P50", lambda p: p["peak_funding"]["p50"], m),
        ("  P95", lambda p: p["peak_funding"]["p95"], m),
        ("  P99", lambda p: p["peak_funding"]["p99"], m),
        ("  month of peak (median)", lambda p: p["peak_month"]["p50"], number),
        ("P(runs out of cash)", lambda p: p["prob_insolvent"], pct),
        ("Capital for P(out of cash) <= 5%", lambda p: p["capital_required"]["p95"], m),
        ("  <= 1%", lambda p: p["capital_required"]["p99"], m),
        ("Expected net before financing", lambda p: p["net"]["mean"], m),
        ("Expected financing cost", lambda p: p["financing_cost"], m),
        ("Expected net after financing", lambda p: p["net_after_financing"], m),
        ("P(loss after financing)", lambda p: p["prob_loss_after_financing"], pct),
    ]


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
