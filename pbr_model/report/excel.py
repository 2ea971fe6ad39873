"""Excel workbook of a simulation run (openpyxl, native charts).

Sheets: ``Summary`` (the same figures as ``--json``, with the run's
provenance), ``Assumptions`` (every spec field: dotted path, value, unit,
description) and ``Cashflow`` (monthly percentiles with a native line chart of
the cumulative-cash fan). The file is written under a temporary name and
renamed, so a failed write never leaves a half-written workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..errors import OutputError
from ..results import PERCENTILES, SimulationResult
from ..spec.fields import flatten
from .format import SYMBOLS, number, pct

STATS = ["mean", *PERCENTILES]
PCT_FORMAT = "0.0%"


def _money_format(currency: str) -> str:
    sym = SYMBOLS.get(currency, currency + " ")
    return f'"{sym}"#,##0;-"{sym}"#,##0'


def _put(ws, row: int, col: int, value: Any, number_format: str | None = None):
    """Write a cell; text is always text (a spec string starting '=' is not a formula)."""
    if isinstance(value, (list, tuple, dict)):
        value = str(value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def _header(ws, row: int, names: list[str]) -> None:
    for j, name in enumerate(names, 1):
        _put(ws, row, j, name).font = Font(bold=True)


def _widths(ws, widths: list[int]) -> None:
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _figure_rows(summary: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """Flatten the summary into (dotted key, value) rows; stats dicts stay whole."""
    rows = []
    for key, value in summary.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) == set(STATS):
            rows.append((path, value))
        elif isinstance(value, dict):
            rows.extend(_figure_rows(value, path + "."))
        else:
            rows.append((path, value))
    return rows


def _format_for(key: str, money_fmt: str) -> str | None:
    leaf = key.rsplit(".", 1)[-1]
    if leaf.startswith("prob_") or leaf.endswith("_rate") or leaf.endswith("_share"):
        return PCT_FORMAT
    if key.startswith(("payments.", "provider.")) and leaf not in ("peak_month",):
        return money_fmt
    if leaf in ("frequency", "binary_reduction_points") or ".measured_change." in key:
        return "0.00"
    return "#,##0"


def _title_and_meta(ws, title: str, meta: list[tuple[str, Any]]) -> int:
    """A bold title, then label/value rows from row 3; returns the first free row after a gap."""
    _put(ws, 1, 1, title).font = Font(bold=True, size=14)
    for i, (label, value) in enumerate(meta, 3):
        _put(ws, i, 1, label).font = Font(bold=True)
        _put(ws, i, 2, value)
    return 3 + len(meta) + 1


def _summary_sheet(ws, result: SimulationResult) -> None:
    summary = result.summary()
    money_fmt = _money_format(result.currency)
    ws.title = "Summary"
    meta = [
        ("Source", result.source), ("Spec SHA-256", result.spec_sha256),
        ("Seed", result.seed), ("Simulations", result.sims), ("Sampling", result.sampling),
        ("pbr-model version", result.version),
        ("Run date (UTC)", result.created.strftime("%Y-%m-%d %H:%M:%S")),
        ("Currency", result.currency),
        ("Sign convention", "money into the provider is positive"),
    ]
    top = _title_and_meta(ws, summary["contract"], meta)
    _header(ws, top, ["Figure", "Mean", "P5", "P50", "P95", "Value"])
    row = top + 1
    for key, value in _figure_rows(summary):
        if key in ("contract", "source", "spec_sha256", "version", "seed", "sims", "sampling",
                   "currency"):
            continue
        fmt = _format_for(key, money_fmt)
        _put(ws, row, 1, key)
        if isinstance(value, dict):
            for j, stat in enumerate(STATS, 2):
                _put(ws, row, j, value[stat], fmt)
        else:
            _put(ws, row, 6, value, fmt)
        row += 1
    ws.freeze_panes = ws.cell(row=top + 1, column=2)
    _widths(ws, [38, 16, 16, 16, 16, 16])
    ws.print_options.gridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _assumptions_sheet(ws, result) -> None:
    _header(ws, 1, ["Field", "Value", "Unit", "Description"])
    for i, f in enumerate(flatten(result.spec), 2):
        value = f.value.isoformat() if isinstance(f.value, dt.date) else f.value
        _put(ws, i, 1, f.path)
        _put(ws, i, 2, value)
        _put(ws, i, 3, f.unit)
        _put(ws, i, 4, f.description)
    ws.freeze_panes = "A2"
    _widths(ws, [44, 22, 22, 100])


def _cashflow_sheet(ws, result: SimulationResult) -> None:
    money_fmt = _money_format(result.currency)
    months = result.months
    cols = ["cash_in_p50", "cash_out_p50", "net_flow_p50",
            "cumulative_p5", "cumulative_p50", "cumulative_p95", "cumulative_mean"]
    names = ["Month", "Date", "Cash in P50", "Cash out P50", "Net flow P50",
             "Cumulative cash P5", "Cumulative cash P50", "Cumulative cash P95",
             "Cumulative cash mean"]
    _header(ws, 1, names)
    for i, (month, rec) in enumerate(months.iterrows(), 2):
        _put(ws, i, 1, int(month))
        _put(ws, i, 2, rec["date"], "yyyy-mm")
        for j, col in enumerate(cols, 3):
            _put(ws, i, j, float(rec[col]), money_fmt)
    ws.freeze_panes = "C2"
    _widths(ws, [8, 10] + [20] * len(cols))

    cash_chart(ws, "Cumulative cash: P5, P50 and P95 across simulations", result.currency,
               [6, 7, 8], len(months), "K2")


def cash_chart(ws, title: str, currency: str, columns: list[int], n_rows: int,
               anchor: str) -> None:
    """A native line chart of cumulative cash by month: one series per column of ``ws``
    (a header in row 1, ``n_rows`` months below; months in column 1), at ``anchor``."""
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = f"Cumulative cash ({currency})"
    chart.x_axis.title = "Month from contract start"
    chart.height, chart.width = 10, 24
    for col in columns:
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n_rows + 1),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n_rows + 1))
    ws.add_chart(chart, anchor)


def figure_columns(ws, top: int, names: list[str], rows: list[tuple], columns: list[dict],
                   money_fmt: str) -> int:
    """Figures side by side from row ``top``: a header (``Figure`` and ``names``), then one
    row per ``(label, get, fmt)`` with ``get(column)`` for each column dict; ``fmt`` (the
    screen's formatter) picks the cell format. NaN is left empty. Returns the next free row."""
    _header(ws, top, ["Figure", *names])
    row = top + 1
    for label, get, fmt in rows:
        _put(ws, row, 1, label.strip())
        cell_fmt = PCT_FORMAT if fmt is pct else (None if fmt in (str, number) else money_fmt)
        for j, column in enumerate(columns, 2):
            value = get(column)
            _put(ws, row, j, None if isinstance(value, float) and value != value else value,
                 cell_fmt)
        row += 1
    ws.freeze_panes = ws.cell(row=top + 1, column=2)
    _widths(ws, [40] + [20] * len(columns))
    return row


def write_workbook(result: SimulationResult, path: str | Path, *, force: bool = False) -> Path:
    """Write the run's workbook to ``path``.

    Raises
    ------
    OutputError
        If ``path`` exists and ``force`` is false, or it cannot be written.
    """
    path = check_output(path, force=force)
    wb = Workbook()
    _summary_sheet(wb.active, result)
    _assumptions_sheet(wb.create_sheet("Assumptions"), result)
    _cashflow_sheet(wb.create_sheet("Cashflow"), result)
    save_atomic(wb, path)
    return path


def write_settlement_workbook(settlement, path: str | Path, *, force: bool = False) -> Path:
    """Write a settlement's workbook: ``Settlement`` (one row per cohort), ``Totals``
    (per mechanism, with provenance) and ``Assumptions`` (the spec)."""
    path = check_output(path, force=force)
    money_fmt = _money_format(settlement.currency)
    wb = Workbook()
    ws = wb.active
    ws.title = "Settlement"
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
    ws.freeze_panes = "B2"
    _widths(ws, [8] + [22] * len(table.columns))

    tot = wb.create_sheet("Totals")
    meta = [("Source", settlement.source), ("Spec SHA-256", settlement.spec_sha256),
            ("Observed results", settlement.observed),
            ("Observed SHA-256", settlement.observed_sha256),
            ("pbr-model version", settlement.version), ("Currency", settlement.currency),
            ("Sign convention", "money into the provider is positive; negative = repaid")]
    top = _title_and_meta(tot, settlement.spec.contract.name, meta)
    _header(tot, top, ["Mechanism", "Type", "Cohorts", "Pooled", "Pooled trigger", "Total"])
    row = top + 1
    for m in settlement.mechanisms:
        for j, (v, fmt) in enumerate([(m["name"], None), (m["type"], None),
                                      (m["cohort_total"], money_fmt), (m["pooled"], money_fmt),
                                      (m["pooled_status"] or "", None), (m["total"], money_fmt)],
                                     1):
            _put(tot, row, j, v, fmt)
        row += 1
    _put(tot, row, 1, "Total outcome payments").font = Font(bold=True)
    _put(tot, row, 6, settlement.total_payment, money_fmt)
    _widths(tot, [30, 20, 16, 16, 16, 16])
    _assumptions_sheet(wb.create_sheet("Assumptions"), settlement)
    save_atomic(wb, path)
    return path


def check_output(path: str | Path, *, force: bool = False) -> Path:
    """Check a workbook path before any work is done; raise ``OutputError`` if unusable."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputError(f"{path}: an Excel workbook must end in .xlsx")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if path.exists() and not force:
        raise OutputError(f"{path}: file exists; use --force to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    return path


def save_atomic(wb: Workbook, path: Path) -> None:
    """Save under a temporary name in the same folder, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write workbook ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
