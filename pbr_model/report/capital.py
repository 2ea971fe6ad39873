"""``pbr capital`` on screen and in Excel: each party side by side, the investors and
the commissioner. Reads :class:`~pbr_model.capital.CapitalResult`; computes nothing."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..spec.fields import flatten
from .excel import (PCT_FORMAT, STATS, _assumptions_sheet, _header, _money_format, _put,
                    _title_and_meta, _widths, cash_chart, check_output, figure_columns,
                    save_atomic)
from .format import money, number, pct


def funding_rows(cur: str) -> list[tuple]:
    """(label, value-of-summary-dict, format) rows of a party's capital figures, shared by
    ``pbr capital``'s table and workbook and the portfolio's."""
    m = lambda v: money(v, cur)  # noqa: E731
    return [
        ("Reserves + credit", lambda p: p["available"], m),
        ("Peak funding need P50", lambda p: p["peak_funding"]["p50"], m),
        ("  P95", lambda p: p["peak_funding"]["p95"], m),
        ("  P99", lambda p: p["peak_funding"]["p99"], m),
        ("  month of peak (median where any)", lambda p: p["peak_month"]["p50"], number),
        ("P(runs out of cash)", lambda p: p["prob_insolvent"], pct),
        ("Capital for P(out of cash) <= 5%", lambda p: p["capital_required"]["p95"], m),
        ("  <= 1%", lambda p: p["capital_required"]["p99"], m),
        ("  beyond reserves + credit (5%)", lambda p: p["additional_capital"]["p95"], m),
        ("  beyond reserves + credit (1%)", lambda p: p["additional_capital"]["p99"], m),
        ("Expected net before financing", lambda p: p["net"]["mean"], m),
        ("Expected financing cost", lambda p: p["financing_cost"], m),
        ("Expected net after financing", lambda p: p["net_after_financing"], m),
        ("P(loss after financing)", lambda p: p["prob_loss_after_financing"], pct),
    ]


def _party_rows(cur: str) -> list[tuple]:
    return [
        ("Role", lambda p: p["role"], str),
        ("Share of the work", lambda p: p["terms"]["share"], pct),
        ("  of the fee on it passed down", lambda p: p["terms"]["fee_share"], pct),
        ("  of its PbR risk carried", lambda p: p["terms"]["pbr_share"], pct),
        *funding_rows(cur),
    ]


def capital_table(result) -> Group:
    """The side-by-side table of ``pbr capital``."""
    d = result.to_dict()
    cur = d["currency"]
    shock = f" · volume shock {pct(d['volume_shock'], 0)}" if d["volume_shock"] else ""
    t = Table(title=f"{d['contract']}: who can carry the risk", title_justify="left",
              caption=f"{d['sims']:,} simulations · seed {d['seed']} · spec "
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
    parts.append(commissioner_lines(d["commissioner"], cur))
    parts.append(Text(f"Money in {cur}; money into each party is positive. Financing: reserves "
                      "and new capital at the cost of capital, credit at its rate.", style="dim"))
    return Group(*parts)


def investor_table(investors: list[dict], guarantees: list[dict], cur: str,
                   observed: bool = False) -> Group:
    """Each tranche's figures; ``observed`` for one settled outcome (no spread)."""
    title = ("Social investors on these results (IRR a year)" if observed else
             "Social investors (mean drawn and received; IRR a year)")
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              collapse_padding=True)
    t.add_column("Tranche", min_width=18)
    cols = ["Drawn", "Received", "IRR" if observed else "IRR P50",
            *([] if observed else ["P5 to P95"]), "Multiple", "Loss" if observed else "P(loss)"]
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)
    for i in investors:
        spread = [] if observed else [f"{pct(i['irr']['p5'])} to {pct(i['irr']['p95'])}"]
        t.add_row(i["name"], money(i["drawn"]["mean"], cur), money(i["received"]["mean"], cur),
                  pct(i["irr"]["p50"]), *spread, number(i["multiple"]["mean"], 2),
                  money(i["expected_loss"], cur) if observed else pct(i["prob_loss"]))
    lines = [Text(f"{g['name']} (on {g['covers']}): pays {money(g['expected_paid'], cur)}")
             if observed else
             Text(f"{g['name']} (on {g['covers']}): called in {pct(g['prob_called'])} of "
                  f"simulations, paying {money(g['expected_paid'], cur)} on average")
             for g in guarantees]
    return Group(t, *lines)


def commissioner_lines(c: dict, cur: str) -> Text:
    m = lambda v: money(v, cur)  # noqa: E731
    lines = [
        ("Commissioner pays (mean)", f"{m(c['total_paid']['mean'])} "
         f"(fees {m(c['fees_paid']['mean'])}, outcomes {m(c['outcome_paid']['mean'])}); "
         f"PV at {pct(c['discount_rate'])} {m(c['pv_paid']['mean'])}"),
        ("Reoffences avoided (mean, P5-P95)", f"{number(c['reoffences_avoided']['mean'])} "
         f"({number(c['reoffences_avoided']['p5'])} to {number(c['reoffences_avoided']['p95'])})"),
        ("Paid per reoffence avoided", f"{m(c['cost_per_reoffence_avoided'])} in all, "
         f"{m(c['outcome_cost_per_reoffence_avoided'])} in outcome payments"),
        ("P(pays | the service has no true effect)",
         f"{pct(c['paid_for_noise'])} (no effect in {pct(c['prob_no_effect'])} of simulations)"),
        ("P(pays though no reoffences avoided)", pct(c["paid_without_avoided"])),
    ]
    if c.get("cost_per_reoffence") is not None:
        lines.append((f"Net savings at {m(c['cost_per_reoffence'])} a reoffence (mean)",
                      f"{m(c['net_savings_vs_outcome']['mean'])} against outcome payments, "
                      f"{m(c['net_savings_vs_total']['mean'])} against all payments"))
    else:
        lines.append(("Net savings", "give commissioner.cost_per_reoffence to see them"))
    width = max(len(label) for label, _ in lines) + 2
    return Text("Commissioner\n", style="bold") + Text("\n").join(
        Text.assemble((label.ljust(width), "bold"), value) for label, value in lines)


def write_capital_workbook(result, path: str | Path, *, force: bool = False) -> Path:
    """Write ``pbr capital``'s workbook: ``Parties`` (side by side, with provenance),
    ``Cash by party`` (monthly cumulative cash P5/P50/P95 per party, with a chart of
    the medians), ``Investors`` (if any), ``Commissioner`` and ``Assumptions``."""
    path = check_output(path, force=force)
    d = result.to_dict()
    money_fmt = _money_format(d["currency"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Parties"
    meta = [("Source", d["source"]), ("Spec SHA-256", d["spec_sha256"]), ("Seed", d["seed"]),
            ("Simulations", d["sims"]), ("Volume shock", d["volume_shock"]),
            ("pbr-model version", d["version"]), ("Currency", d["currency"]),
            ("Sign convention", "money into each party is positive")]
    top = _title_and_meta(ws, d["contract"], meta)
    figure_columns(ws, top, [p["name"] for p in d["providers"]], _party_rows(d["currency"]),
                   d["providers"], money_fmt)

    cash = wb.create_sheet("Cash by party")
    names = ["Month", "Date"]
    for p in result.parties:
        names += [f"{p.seat.name} P5", f"{p.seat.name} P50", f"{p.seat.name} P95"]
    _header(cash, 1, names)
    dates = result.parties[0].months["date"]
    for i, (month, date) in enumerate(dates.items(), 2):
        _put(cash, i, 1, int(month))
        _put(cash, i, 2, date, "yyyy-mm")
        for k, p in enumerate(result.parties):
            rec = p.months.loc[month]
            for j, q in enumerate(("p5", "p50", "p95")):
                _put(cash, i, 3 + 3 * k + j, float(rec[q]), money_fmt)
    cash.freeze_panes = "C2"
    _widths(cash, [8, 10] + [18] * (3 * len(result.parties)))
    n = len(result.parties)
    cash_chart(cash, "Cumulative cash by party (median across simulations)", d["currency"],
               [4 + 3 * k for k in range(n)], len(dates), f"{get_column_letter(4 + 3 * n)}2")

    if d["investors"]:
        inv = wb.create_sheet("Investors")
        cols = ["name", "kind", "drawn", "received", "irr", "multiple"]
        _header(inv, 1, ["Tranche", "Kind"] + [f"{c} {s}" for c in cols[2:] for s in STATS]
                + ["P(loss)", "Expected loss"])
        for i, t in enumerate(d["investors"], 2):
            _put(inv, i, 1, t["name"])
            _put(inv, i, 2, t["kind"])
            j = 3
            for c in cols[2:]:
                fmt = PCT_FORMAT if c == "irr" else ("0.00" if c == "multiple" else money_fmt)
                for s in STATS:
                    _put(inv, i, j, t[c][s], fmt)
                    j += 1
            _put(inv, i, j, t["prob_loss"], PCT_FORMAT)
            _put(inv, i, j + 1, t["expected_loss"], money_fmt)
        _widths(inv, [30, 14] + [14] * 18)

    com = wb.create_sheet("Commissioner")
    _header(com, 1, ["Figure", *STATS, "Value"])
    for i, (key, value) in enumerate(d["commissioner"].items(), 2):
        _put(com, i, 1, key)
        fmt = PCT_FORMAT if key.startswith("paid_") or key.endswith("_rate") else (
            "#,##0" if key == "reoffences_avoided" else money_fmt)
        if isinstance(value, dict):
            for j, s in enumerate(STATS, 2):
                _put(com, i, j, value[s], fmt)
        else:
            _put(com, i, 2 + len(STATS), value, fmt)
    _widths(com, [40] + [18] * (len(STATS) + 1))

    _assumptions_sheet(wb.create_sheet("Assumptions"), result.result)
    prof = wb.create_sheet("Parties' terms")
    _header(prof, 1, ["Party", "Field", "Value"])
    row = 2
    for p in result.parties:
        for f in flatten(p.seat.profile):
            _put(prof, row, 1, p.seat.name)
            _put(prof, row, 2, f.path)
            _put(prof, row, 3, f.value)
            row += 1
    _widths(prof, [24, 36, 60])
    save_atomic(wb, path)
    return path


def providers_table(profiles: dict) -> Group:
    """``pbr providers``: each profile's finances and seat terms, then its description."""
    t = Table(title="Bundled provider profiles", title_justify="left", box=box.SIMPLE_HEAD,
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
