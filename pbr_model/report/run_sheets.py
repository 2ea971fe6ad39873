"""The sheets of a simulated run, shared by the simulate, capital and portfolio workbooks:
``Cohorts`` (per-cohort percentiles), ``Cashflow`` (monthly percentiles with a native line
chart of the cumulative-cash fan and a marker at the peak funding need) and
``Distributions`` (histograms with native bar charts)."""

from __future__ import annotations

import numpy as np

from ..analyses.simulate import SimulationResult
from ..payments import pays_only_back
from ..stats import stats
from .book import Book, FontStyle, Sheet
from .format import money, number, pct
from .sheets import (COUNT_FORMAT, PCT_FORMAT, RATIO_FORMAT, STATS, data_table, money_format, put,
                     stat_label, widths)
from .xlcharts import ACCENT, DARK, axes, fan, marker

#: Bars in each histogram of the ``Distributions`` sheet.
BINS = 25


#: Cohorts sheet: (column of ``SimulationResult.cohorts``, heading, statistics, format).
COHORT_FIGURES = [
    ("entrants", "Caseload (entrants)", STATS, COUNT_FORMAT),
    ("paid_volume", "Paid volume (fee units)", STATS, COUNT_FORMAT),
    ("binary_rate", "Reoffending rate", STATS, PCT_FORMAT),
    ("comparison_binary_rate", "Comparison rate", ["p50"], PCT_FORMAT),
    ("binary_reduction_points", "Reduction (points)", STATS, RATIO_FORMAT),
    ("frequency", "Reoffences per reoffender", ["p50"], RATIO_FORMAT),
    ("comparison_frequency", "Comparison reoffences per reoffender", ["p50"], RATIO_FORMAT),
    ("fee_payment", "Fee", ["mean"], None),
    ("outcome_payment", "Outcome payment", STATS, None),
]


def cohort_table(result: SimulationResult) -> tuple[list[str], list[list], list[str | None]]:
    """Per cohort: first entry month, payment month, the percentiles across simulations of
    :data:`COHORT_FIGURES`, and the chance its outcome payment is triggered and is paid
    (above zero). Returns header, rows and cell formats."""
    money_fmt = money_format(result.currency)
    tl = result.timeline
    dates = tl.dates()
    k = tl.n_cohorts
    header = ["Cohort", "First entry month", "Entry date", "Payment month", "Payment date"]
    formats: list[str | None] = [None, "0", "yyyy-mm", "0", "yyyy-mm"]
    columns = [list(range(k)), tl.entry_month.tolist(), [dates[m] for m in tl.entry_month],
               tl.payment_month.tolist(), [dates[m] for m in tl.payment_month]]
    for col, label, which, fmt in COHORT_FIGURES:
        per = result.cohort_stats(col)
        for s in which:
            header.append(f"{label} {stat_label(s)}")
            formats.append(fmt or money_fmt)
            columns.append([p[s] for p in per])
    # a mechanism that only repays (Doncaster) is never "paid": show how often it repays
    last = (("P(repaid)", "outcome_repaid") if pays_only_back(result.spec) else
            ("P(outcome paid)", "outcome_paid"))
    for label, share in (("P(triggered)", "triggered"), last):
        header.append(label)
        formats.append(PCT_FORMAT)
        columns.append([p["mean"] for p in result.cohort_stats(share)])
    return header, [list(r) for r in zip(*columns)], formats


def cohorts_sheet(book: Book, result: SimulationResult) -> Sheet:
    """``Cohorts``: one row per cohort (see :func:`cohort_table`), filterable."""
    ws = book.sheet("Cohorts")
    header, rows, formats = cohort_table(result)
    data_table(ws, header, rows, formats, "Cohorts")
    ws.freeze_panes = "B2"
    widths(ws, [7, 8, 8, 8, 8] + [12] * (len(header) - 5))
    return ws


CASH_SERIES = [("cash_in", "Cash in"), ("cash_out", "Cash out"), ("net_flow", "Net flow"),
               ("cumulative", "Cumulative cash")]


def cashflow_sheet(book: Book, result: SimulationResult, summary: dict | None = None) -> Sheet:
    """``Cashflow``: monthly mean and percentiles of cash in, cash out, net flow and
    cumulative cash; on ``Charts``, a line chart of the cumulative-cash fan (before
    financing) with a diamond at the median peak funding need before financing, in the
    median month of that peak. ``summary``: the run's
    :meth:`~SimulationResult.summary` if already at hand."""
    ws = book.sheet("Cashflow")
    money_fmt = money_format(result.currency)
    months = result.months
    header = ["Month", "Date"]
    cols = []
    for key, label in CASH_SERIES:
        for s in STATS:
            header.append(f"{label} {stat_label(s)}")
            cols.append(f"{key}_{s}")
    # the fan is of cash before financing, so its marker is the need before financing
    peak = (summary or result.summary())["provider"]
    need = peak["peak_funding_before_financing"]["p50"]
    month = peak["peak_month_before_financing"]["p50"]
    # a half month rounds down, as the summary's date does (analyses/base.month_dates)
    marker = int(month) if need > 0 and month == month else None
    header.append("Peak funding need before financing P50")
    rows = []
    for m, rec in months.iterrows():
        rows.append([int(m), rec["date"], *(float(rec[c]) for c in cols),
                     -need if m == marker else None])
    data_table(ws, header, rows, [None, "yyyy-mm", *([money_fmt] * (len(cols) + 1))], "Cashflow")
    ws.freeze_panes = "C2"
    widths(ws, [7, 8] + [12.5] * (len(header) - 2))
    first = 3 + 3 * len(STATS)  # the cumulative-cash columns
    title = "Cumulative cash before financing: P5, P50 and P95 across simulations"
    if marker is not None:
        date = months.loc[marker, "date"]
        title += (f"; peak funding need before financing P50 {money(need, result.currency)}, "
                  f"median month {date:%b %Y} (month {marker})")
    chart = cash_chart(book, ws, title, result.currency, [first + 1, first + 2, first + 3],
                       len(months), "Data: the Cashflow sheet (cumulative cash P5, P50, P95)")
    if marker is not None:
        peak_marker(chart, ws, len(header), len(months))
    return ws


def cash_chart(book: Book, ws: Sheet, title: str, currency: str, columns: list[int],
               n_rows: int, note: str = ""):
    """A native line chart of cumulative cash by month on the ``Charts`` sheet: one
    series per column of ``ws`` (a header in row 1, ``n_rows`` months below; months in
    column 1); three columns (P5, P50, P95) are drawn as a fan."""
    from openpyxl.chart import LineChart, Reference
    chart = LineChart()
    chart.title = title
    for col in columns:
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n_rows + 1),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n_rows + 1))
    axes(chart, "Month from contract start", f"Cumulative cash ({currency})",
         y_format=money_format(currency))
    chart.x_axis.tickLblSkip = chart.x_axis.tickMarkSkip = 12 if n_rows > 36 else 1
    if len(columns) == 3:
        fan(chart)
    book.chart(chart, note)
    return chart


def peak_marker(chart, ws: Sheet, column: int, n_rows: int) -> None:
    """Add ``column`` (empty but for one month) to ``chart`` as a filled diamond, no line."""
    from openpyxl.chart import Reference
    chart.add_data(Reference(ws, min_col=column, min_row=1, max_row=n_rows + 1),
                   titles_from_data=True)
    marker(chart.series[-1], ACCENT, "diamond", 11)
    chart.display_blanks = "gap"


def histogram(values: np.ndarray, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of ``values`` (NaN left out) in ``bins`` equal bars (one bar when
    every value is the same)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:  # one value (e.g. a grant's IRR of -100% in every simulation): one bar
        return np.array([v.size]), np.array([lo, hi])
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return counts, edges


def distributions_sheet(book: Book, series: list[tuple[str, np.ndarray, str]],
                        note: str = "") -> Sheet:
    """``Distributions``: for each (title, per-simulation values, cell format), its mean
    and percentiles, a histogram table (from, to, simulations, share, cumulative share)
    and a native bar chart beside it. NaN values (e.g. an IRR that does not exist) are
    left out and counted."""
    from openpyxl.chart import BarChart, Reference
    ws = book.sheet("Distributions")
    row = 1
    if note:
        put(ws, row, 1, note)
        row += 2
    for title, values, fmt in series:
        if row > 3:  # each distribution (table and chart) on a printed page of its own
            ws.row_breaks.append(row - 1)
        v = np.asarray(values, dtype=np.float64)
        s = stats(v)
        missing = int(np.isnan(v).sum())
        put(ws, row, 1, title).font = FontStyle(bold=True, size=12)
        line = "   ".join(f"{stat_label(k)} {_show(s[k], fmt)}" for k in STATS)
        if missing:
            line += f"   ({missing:,} of {v.size:,} simulations have none)"
        put(ws, row + 1, 1, line)
        top = row + 3
        counts, edges = histogram(v)
        total = max(int(counts.sum()), 1)
        cum = np.cumsum(counts) / total
        rows = [[float(edges[i]), float(edges[i + 1]), int(c), c / total, float(cum[i])]
                for i, c in enumerate(counts)]
        end = data_table(ws, ["From", "To", "Simulations", "Share", "Cumulative share"], rows,
                     [fmt, fmt, COUNT_FORMAT, PCT_FORMAT, PCT_FORMAT], f"Hist_{title}", top)
        if rows:
            chart = BarChart()
            chart.type, chart.gapWidth, chart.legend = "col", 10, None
            chart.title = title
            chart.height, chart.width = 11, 18
            chart.add_data(Reference(ws, min_col=4, min_row=top, max_row=top + len(rows)),
                           titles_from_data=True)
            axes(chart, "Lower edge of the bar", "Share of simulations", y_format="0%",
                 y_min=0)
            chart.series[0].graphicalProperties.solidFill = DARK
            chart.series[0].graphicalProperties.line.solidFill = DARK
            chart.set_categories(Reference(ws, min_col=1, min_row=top + 1,
                                           max_row=top + len(rows)))
            ws.add_chart(chart, f"G{row}")
        row = max(end, row + 23) + 2
    widths(ws, [18, 18, 13, 10, 16])
    return ws


def _show(value: float, fmt: str) -> str:
    if fmt == PCT_FORMAT:
        return pct(value)
    if fmt in (COUNT_FORMAT, RATIO_FORMAT, "0"):
        return number(value, 2 if fmt == RATIO_FORMAT else 0)
    return number(value)


