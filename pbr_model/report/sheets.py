"""Excel workbooks (openpyxl, native charts), the common sheets every command uses.

Every workbook opens on ``Summary``: the run's provenance, a plain-English reading
and the same figures as ``--json``. ``Assumptions`` lists every spec field (dotted
path, value, unit, description); ``Cohorts`` the per-cohort percentiles; ``Cashflow``
the monthly percentiles with a native line chart of the cumulative-cash fan and a
marker at the peak funding need; ``Distributions`` histograms with bar charts;
``Simulations`` (optional) one row per simulation. Sheets are laid out in memory and
streamed to disk (:mod:`pbr_model.report.book`) under a temporary name, then renamed,
so a failed write never leaves a half-written workbook.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable


from ..files import atomic_write, check_output, in_memory  # noqa: F401  (the writers' one import)
from ..analyses.base import PROVENANCE_KEYS
from ..stats import PERCENTILES
from ..spec.fields import flatten
from .book import BOLD, Book, FontStyle, Sheet, frame_rows
from .format import SYMBOLS, number, pct

STATS = ["mean", *PERCENTILES]
PCT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.00"
#: Rows of the optional ``Simulations`` sheet at most (Excel's limit is 1,048,575;
#: past this, writing takes minutes and the sheet is unusable: use --csv or --parquet).
MAX_SHEET_SIMS = 100_000
#: The keys of a JSON object that say how the run was made: the provenance every command
#: shares, ``draws`` when approximate, then a command's own (settle's observed file,
#: simulate's sampling). Shown at the
#: top of Summary, not as figures, and copied into metadata.json.
RECORD_KEYS = (*PROVENANCE_KEYS, "draws", "observed", "observed_sha256", "sampling")


def money_format(currency: str) -> str:
    sym = SYMBOLS.get(currency, currency + " ")
    return f'"{sym}"#,##0;-"{sym}"#,##0'


def put(ws: Sheet, row: int, col: int, value: Any, number_format: str | None = None):
    """Write a cell (text stays text: see :mod:`pbr_model.report.book`)."""
    cell = ws.cell(row, col, value)
    if number_format:
        cell.number_format = number_format
    return cell


def bold_header(ws: Sheet, row: int, names: list[str], col: int = 1) -> None:
    """A bold header row whose names wrap within their columns (never cut off)."""
    for j, name in enumerate(names, col):
        cell = put(ws, row, j, name)
        cell.font, cell.wrap = BOLD, True


def widths(ws: Sheet, columns: list[int]) -> None:
    """Set the sheet's column widths, from column A [characters]."""
    ws.widths = list(columns)


def title_and_meta(ws: Sheet, title: str, meta: list[tuple[str, Any]]) -> int:
    """A bold title, then label/value rows from row 3; returns the first free row after a gap."""
    put(ws, 1, 1, title).font = FontStyle(bold=True, size=14)
    for i, (label, value) in enumerate(meta, 3):
        put(ws, i, 1, label).font = BOLD
        put(ws, i, 2, value)
    return 3 + len(meta) + 1


# -- Summary --------------------------------------------------------------------------------------

def is_stats(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == set(STATS)


def figure_rows(obj: dict, skip: Iterable[str] = (), prefix: str = "") -> list[tuple[str, Any]]:
    """A JSON object as (dotted key, value) rows: a stats dict stays one row; lists of
    named objects are keyed by name (``providers[small-charity].net``), other lists by
    index; keys in ``skip`` (at the top level) are left out."""
    rows: list[tuple[str, Any]] = []
    for key, value in obj.items():
        if not prefix and key in skip:
            continue
        rows.extend(_figure_rows(f"{prefix}{key}", value))
    return rows


def _figure_rows(path: str, value: Any) -> list[tuple[str, Any]]:
    if is_stats(value):
        return [(path, value)]
    if isinstance(value, dict):
        return figure_rows(value, prefix=path + ".")
    if isinstance(value, list):
        named = all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value)
        names = [v["name"] for v in value] if named else []
        if named and len(set(names)) == len(names):
            return [r for v in value for r in figure_rows(v, prefix=f"{path}[{v['name']}].")]
        return [r for i, v in enumerate(value) for r in _figure_rows(f"{path}.{i}", v)]
    return [(path, value)]


_PCT_LEAVES = ("prob_", "paid_", "pct_")
_PCT_ENDINGS = ("_rate", "_share", "irr", "volume_shock", "caseload_shock", "cover",
                "saving_share", "_cut")
_PCT_NAMES = {"share", "cost_of_capital", "overheads", "outcome_share", "cohorts_triggered",
              "inflation",
              "rate", "arrangement_fee", "commitment_fee", "investor_prob_loss",
              "investor_return", "irr_given_not_total_loss"}
_COUNT_LEAVES = {"entrants", "paid_volume", "reoffenders", "reoffences", "reoffences_avoided", "seed", "sims",
                 "steps", "trials", "cohorts", "expected_budget_takers", "takers"}
_RATIO_LEAVES = {"frequency", "comparison_frequency", "binary_reduction_points", "multiple",
                 "frequency_reduction", "factor", "binary_points", "implied_binary_points"}


def number_format_for(key: str, money_fmt: str) -> str | None:
    """The cell format of a figure from its dotted key: rates, shares, effects and
    probabilities as percentages; months, counts and list positions as whole numbers;
    ratios and the trend's parameters with decimals; the rest as money."""
    leaf = key.rsplit(".", 1)[-1].split("[")[0]
    if leaf.isdigit():  # an item of a list of numbers: its own key decides, e.g. bracket.0
        parent = key.rsplit(".", 1)[0]
        return "0" if parent.endswith("cohorts") else number_format_for(parent, money_fmt)
    if leaf in _COUNT_LEAVES:  # before the percentages: paid_volume is a count, not paid_x
        return COUNT_FORMAT
    if leaf.endswith("_correlation"):  # before "effect": effect_correlation is not an effect
        return RATIO_FORMAT
    if (leaf.startswith(_PCT_LEAVES) or leaf.endswith(_PCT_ENDINGS) or leaf in _PCT_NAMES
            or "effect" in leaf):
        return PCT_FORMAT
    if "month" in leaf:
        return "0"
    if leaf in _COUNT_LEAVES:
        return COUNT_FORMAT
    if key.startswith("trend.") or leaf.endswith(("_sd", "_drift")):
        return "0.000"
    if leaf in _RATIO_LEAVES or ".measured_change." in key or leaf.endswith("_change"):
        return RATIO_FORMAT
    return money_fmt


#: The Summary's table of figures: a readable name, its unit, the statistics of a
#: distribution or the value of a single number, and the figure's key in ``--json``.
SUMMARY_HEADER = ["Figure", "Unit", "Mean", "P5", "P50", "P95", "Value", "Key"]


def summary_figures(figures: dict, money_fmt: str, skip: Iterable[str] = (),
                    formats: dict[str, str] | None = None):
    """Each figure of the JSON object ``figures`` (less ``skip`` and the provenance keys)
    as the Summary and the HTML page show it: ``(key, value, cell format, readable name,
    unit)``; ``formats`` overrides the format a key would be read as."""
    from .labels import label, unit
    formats = formats or {}
    currency = figures.get("currency", "")
    for key, value in figure_rows(figures, skip=(*RECORD_KEYS, *skip)):
        fmt = formats.get(key) or number_format_for(key, money_fmt)
        if isinstance(value, (str, bool)) or value is None:
            fmt = None
        yield key, value, fmt, label(key), unit(fmt, value, currency, key)


def summary_sheet(book: Book, title: str, provenance: list[tuple[str, Any]],
                  reading: list[str], figures: dict, money_fmt: str, *,
                  skip: Iterable[str] = (), formats: dict[str, str] | None = None) -> Sheet:
    """``Summary``: title, provenance, a plain-English reading, then every figure of the
    JSON object ``figures`` (less ``skip`` and the provenance keys) as a filterable table
    (:data:`SUMMARY_HEADER`): each figure's readable name and unit
    (:mod:`pbr_model.report.labels`), Mean/P5/P50/P95 for a distribution and Value for a
    single number, and its dotted key. ``formats`` maps a dotted key to a cell format
    where the default reading of the key (:func:`number_format_for`) would be wrong."""
    ws = book.sheet("Summary")
    top = title_and_meta(ws, title, provenance)
    if reading:
        put(ws, top, 1, "Reading").font = BOLD
        for i, line in enumerate(reading, top + 1):  # across the table's width, wrapped
            cell = put(ws, i, 1, line)
            cell.wrap, cell.span = True, len(SUMMARY_HEADER)
        top += len(reading) + 2
    bold_header(ws, top, SUMMARY_HEADER)
    row = top + 1
    for key, value, fmt, name, its_unit in summary_figures(figures, money_fmt, skip, formats):
        put(ws, row, 1, name).wrap = True
        put(ws, row, 2, its_unit)
        if isinstance(value, dict):
            for j, s in enumerate(STATS, 3):
                put(ws, row, j, value[s], fmt)
        else:
            put(ws, row, 7, value, fmt).wrap = isinstance(value, str)
        put(ws, row, 8, key)
        row += 1
    ws.add_table("Figures", top, len(SUMMARY_HEADER), row - top - 1)
    ws.freeze_panes = f"B{top + 1}"
    widths(ws, [48, 9, 14, 14, 14, 14, 26, 44])
    return ws


def provenance(result, **extra: Any) -> list[tuple[str, Any]]:
    """The Summary's provenance rows for a run (from ``result.provenance``: source, spec
    hash, seed, simulations, package and numpy versions, platform, run date, currency),
    with ``extra`` rows after them. Seed and simulations are left out where nothing was
    drawn; ``Draws`` follows them when the counts were drawn approximately
    (``--draws approx``)."""
    p = result.provenance
    rows = [("Source", p.source), ("Spec kind", p.kind), ("Spec SHA-256", p.sha256)]
    if p.seed is not None:
        rows += [("Seed", p.seed), ("Simulations", p.sims)]
    if p.draws != "exact":
        rows.append(("Draws", p.draws))
    if getattr(result, "sampling", None):
        rows.append(("Sampling", result.sampling))
    rows += [("Volume shock", p.volume_shock),
             ("Paid volume shock", p.paid_volume_shock),
             ("Caseload shock", p.caseload_shock),
             ("pbr-model version", p.version),
             ("numpy version", p.numpy_version),
             ("Platform", p.platform),
             ("Run date (UTC)", run_date(result)),
             ("Currency", p.currency)]
    rows += [(label.replace("_", " ").capitalize(), v) for label, v in extra.items()]
    return rows


def run_date(result) -> str:
    """When ``result`` was computed (every result records it), in UTC."""
    return result.created.strftime("%Y-%m-%d %H:%M:%S")


# -- Assumptions ----------------------------------------------------------------------------------

def assumptions_sheet(book: Book, result, models: list[tuple[str, Any]] | None = None) -> Sheet:
    """``Assumptions``: every field of ``result.spec`` (dotted path, value, unit,
    description), so the run can be reproduced and audited; or of each ``(prefix, model)``
    in ``models``, its paths under the prefix."""
    ws = book.sheet("Assumptions")
    bold_header(ws, 1, ["Field", "Value", "Unit", "Description"])
    models = models if models is not None else [("", result.spec)]
    rows = [f for prefix, model in models for f in flatten(model, prefix)]
    for i, f in enumerate(rows, 2):
        put(ws, i, 1, f.path).wrap = True
        put(ws, i, 2, _field_value(f.value)).wrap = isinstance(f.value, (list, tuple, str))
        put(ws, i, 3, f.unit).wrap = True
        put(ws, i, 4, f.description).wrap = True
    ws.add_table("Assumptions", 1, 4, len(rows))
    ws.freeze_panes = "A2"
    widths(ws, [40, 20, 16, 72])
    return ws


def _field_value(value: Any) -> Any:
    """A spec field's value as a cell shows it: a date as ``YYYY-MM-DD``, a list as its
    items joined by commas (``2014-08-01, 2017-06-01``), not Python's repr."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_field_value(v)) for v in value)
    return value



def stat_label(stat: str) -> str:
    """A statistic's name as a column heading: ``mean``, ``P5``, ``P50``, ``P95``."""
    return "mean" if stat == "mean" else stat.upper()


def data_table(ws: Sheet, header: list[str], rows: list[list], formats: list[str | None],
           name: str, top: int = 1) -> int:
    """A header at ``top`` and rows under it as an Excel table; returns the next free row."""
    bold_header(ws, top, header)
    for i, values in enumerate(rows, top + 1):
        for j, (v, fmt) in enumerate(zip(values, formats), 1):
            put(ws, i, j, v, fmt)
    ws.add_table(name, top, len(header), len(rows))
    if top == 1 and ws.freeze_panes is None:
        ws.freeze_panes = "A2"
    return top + len(rows) + 1




# -- Simulations ----------------------------------------------------------------------------------

def simulations_sheet(book: Book, frame, currency: str, title: str = "Simulations") -> Sheet:
    """One row per simulation from ``frame`` (index first), streamed (a large sheet holds
    no cell objects); at most :data:`MAX_SHEET_SIMS` rows: callers say so when they cut."""
    ws = book.sheet(title)
    frame = frame.iloc[:MAX_SHEET_SIMS]  # the module's value at call time (tests lower it)
    money_fmt = money_format(currency)
    units = frame.attrs.get("units", {})
    names = [*(n or "index" for n in frame.index.names), *frame.columns]
    formats = [None] * frame.index.nlevels + [_unit_format(units.get(c), money_fmt)
                                              for c in frame.columns]
    ws.stream(names, frame_rows(frame), formats, table=title, n_rows=len(frame))
    ws.freeze_panes = "B2"
    widths(ws, [8] + [14] * len(frame.columns))
    return ws


def sims_sheet_row(sims: int) -> tuple[str, str]:
    """The Summary's note on what the Simulations sheet holds."""
    if sims > MAX_SHEET_SIMS:
        return ("Simulations sheet", f"the first {MAX_SHEET_SIMS:,} of {sims:,} simulations; "
                                     "all of them with --csv or --parquet")
    return ("Simulations sheet", f"all {sims:,} simulations")


def _unit_format(unit: str | None, money_fmt: str) -> str | None:
    if unit == "currency":
        return money_fmt
    if unit == "fraction":
        return PCT_FORMAT
    if unit and " per " in unit:  # e.g. reoffences per reoffender: a ratio, not a count
        return RATIO_FORMAT
    if unit and unit.split(" (")[0] in ("people", "reoffences"):
        return COUNT_FORMAT
    return None


# -- helpers for side-by-side figures and saving -----------------------------------------------

def figure_columns(ws, top: int, names: list[str], rows: list[tuple], columns: list[dict],
                   money_fmt: str) -> int:
    """Figures side by side from row ``top``: a header (``Figure`` and ``names``), then one
    row per ``(label, get, fmt)`` with ``get(column)`` for each column dict; ``fmt`` (the
    screen's formatter) picks the cell format. NaN is left empty. Returns the next free row."""
    bold_header(ws, top, ["Figure", *names])
    row = top + 1
    for label, get, fmt in rows:
        put(ws, row, 1, label.strip())
        cell_fmt = PCT_FORMAT if fmt is pct else (None if fmt in (str, number) else money_fmt)
        for j, column in enumerate(columns, 2):
            put(ws, row, j, get(column), cell_fmt)
        row += 1
    ws.freeze_panes = f"B{top + 1}"
    widths(ws, [40] + [20] * len(columns))
    return row


def save_atomic(wb: Book, path: Path) -> None:
    """Save under a temporary name in the same folder, then rename over ``path``."""
    atomic_write(path, in_memory(wb.save), "write workbook")
