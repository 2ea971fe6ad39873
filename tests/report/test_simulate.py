"""The Excel workbook: sheets, figures equal to ``--json``, number formats, the
native chart, text never turned into formulas, and atomic, non-clobbering writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import LineChart
from typer.testing import CliRunner

from pbr_model import simulate
from pbr_model.cli import app
from pbr_model.errors import OutputError
from pbr_model.report.simulate import write_workbook
from pbr_model.analyses.base import PROVENANCE_KEYS
from pbr_model.report.json import dumps
from pbr_model.spec import DEFAULT_CONTRACT, load_spec

SIMS = 300
SEED = 11
STATS = ["mean", "p5", "p50", "p95"]
SUMMARY_HEADER = ["Figure", "Unit", "Mean", "P5", "P50", "P95", "Value", "Key"]
ASSUMPTIONS_HEADER = ["Field", "Value", "Unit", "Description"]
SHEETS = ["Summary", "Charts", "Assumptions", "Cohorts", "Cashflow", "Distributions"]
CASHFLOW_HEADER = ["Month", "Date", *(f"{what} {s}" for what in (
    "Cash in", "Cash out", "Net flow", "Cumulative cash") for s in ("mean", "P5", "P50", "P95")),
    "Peak funding need before financing P50"]


@pytest.fixture(scope="module")
def result():
    return simulate(load_spec(DEFAULT_CONTRACT), sims=SIMS, seed=SEED)


@pytest.fixture(scope="module")
def book(result, tmp_path_factory):
    """The bundled contract's workbook, written once and opened back."""
    path = write_workbook(result, tmp_path_factory.mktemp("book") / "run.xlsx")
    return openpyxl.load_workbook(path)


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


def flatten(summary: dict, prefix: str = "") -> dict[str, object]:
    """The JSON summary as dotted key -> stats dict or plain value."""
    rows = {}
    for key, value in summary.items():
        path = prefix + key
        if isinstance(value, dict) and set(value) != set(STATS):
            rows.update(flatten(value, path + "."))
        else:
            rows[path] = value
    return rows


def summary_cells(read, ws) -> dict[str, dict]:
    """Summary sheet figure rows: dotted key -> {"mean", "p5", "p50", "p95", "value"} cells."""
    return {key: {k: cells[k] for k in (*STATS, "value")}
            for key, cells in read(ws).items()}


def summary_values(read, ws) -> dict[str, object]:
    """Summary sheet figures in the JSON's shape: stats dict, or the Value column."""
    out = {}
    for key, cells in summary_cells(read, ws).items():
        value = cells.pop("value").value
        stats = {k: c.value for k, c in cells.items()}
        out[key] = value if all(v is None for v in stats.values()) and value is not None else stats
    return out


def assert_same_figures(sheet: dict, expected: dict) -> None:
    """Figures equal to the JSON's; openpyxl stores numbers to 16 significant digits."""
    assert sheet.keys() == expected.keys()
    for key, want in expected.items():
        got = sheet[key]
        if isinstance(want, dict):
            assert isinstance(got, dict), key
            assert got.keys() == want.keys(), key
            pairs = [(got[s], want[s]) for s in STATS]
        else:
            pairs = [(got, want)]
        for g, w in pairs:
            if isinstance(w, str):  # a calendar month, e.g. "2019-09"
                assert g == w, key
                continue
            assert g == (None if w is None else pytest.approx(w, rel=1e-15, abs=0)), key


def meta(header_row, ws) -> dict[str, object]:
    top = header_row(ws, "Figure")
    return {r[0].value: r[1].value for r in ws.iter_rows(min_row=2, max_row=top - 1, max_col=2)
            if r[0].value is not None}


# -- sheets and headers -------------------------------------------------------------------------

def test_sheet_names(book):
    assert book.sheetnames == SHEETS


def test_header_rows(header_row, book):
    ws = book["Summary"]
    assert [c.value for c in ws[header_row(ws, "Figure")]] == SUMMARY_HEADER
    assert [c.value for c in book["Assumptions"][1]] == ASSUMPTIONS_HEADER
    assert [c.value for c in book["Cashflow"][1]] == CASHFLOW_HEADER
    for ws, row in ((ws, header_row(ws, "Figure")), (book["Assumptions"], 1),
                    (book["Cashflow"], 1)):
        assert all(c.font.b for c in ws[row] if c.value is not None), ws.title


def test_summary_provenance(header_row, book, result):
    ws = book["Summary"]
    assert ws["A1"].value == result.spec.contract.name
    info = meta(header_row, ws)
    assert info["Source"] == DEFAULT_CONTRACT
    assert info["Spec SHA-256"] == result.spec_sha256
    assert info["Seed"] == SEED
    assert info["Simulations"] == SIMS
    assert info["pbr-model version"] == result.version
    assert info["Currency"] == "GBP"
    assert "positive" in info["Sign convention"]


def test_summary_equals_the_json(header_row, summary_rows, book, result):
    expected = flatten(json.loads(dumps(result.summary())))
    for key in (*PROVENANCE_KEYS, "sampling"):
        expected.pop(key)
    assert_same_figures(summary_values(summary_rows, book["Summary"]), expected)


def test_summary_lists_the_required_figures(header_row, summary_rows, book):
    rows = summary_cells(summary_rows, book["Summary"])
    for key in ("entrants", "outcomes.binary_rate", "outcomes.frequency", "payments.total",
                "payments.fee", "payments.outcome", "provider.net", "provider.npv",
                "provider.peak_funding"):
        assert all(isinstance(rows[key][s].value, (int, float)) for s in STATS), key
        assert rows[key]["value"].value is None, key
    for key in ("provider.prob_loss", "provider.prob_insolvent"):
        assert 0 <= rows[key]["value"].value <= 1
        assert all(rows[key][s].value is None for s in STATS), key


def test_summary_number_formats(header_row, summary_rows, book):
    rows = summary_cells(summary_rows, book["Summary"])
    for key in ("payments.total", "payments.fee", "payments.outcome", "provider.net",
                "provider.npv", "provider.peak_funding"):
        assert all("£" in rows[key][s].number_format for s in STATS), key
        # negative money keeps its sign
        assert "-" in rows[key]["mean"].number_format
    for key in ("provider.prob_loss", "provider.prob_insolvent",
                "payments.prob_any_outcome_payment"):
        assert rows[key]["value"].number_format == "0.0%", key
    assert all(rows["outcomes.binary_rate"][s].number_format == "0.0%" for s in STATS)
    assert rows["entrants"]["mean"].number_format == "#,##0"


@pytest.mark.parametrize("currency, symbol", [("USD", "$"), ("EUR", "€"), ("NOK", "NOK ")])
def test_money_format_follows_the_currency(header_row, summary_rows, tmp_path, currency, symbol):
    loaded = load_spec(DEFAULT_CONTRACT, [f"contract.currency={currency}"])
    path = write_workbook(simulate(loaded, sims=50, seed=1), tmp_path / "run.xlsx")
    wb = openpyxl.load_workbook(path)
    assert f'"{symbol}"' in summary_cells(summary_rows, wb["Summary"])["provider.net"]["mean"].number_format
    assert f'"{symbol}"' in wb["Cashflow"]["R2"].number_format


def test_assumptions_lists_every_field(book, result):
    ws = book["Assumptions"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["contract.name"][0] == result.spec.contract.name
    assert rows["contract.start_date"][0] == "2015-02-01"
    assert rows["contract.length_months"] == (84, "months", rows["contract.length_months"][2])
    assert rows["population.bands.3.binary_rate"][:2] == (0.815, "fraction")
    assert rows["payments.1.rates.0.price"][0] == 3000
    assert rows["provider.cost_of_capital"][0] == 0.08
    assert all(r[2] for r in rows.values()), "every field has a description"


# -- Cashflow -----------------------------------------------------------------------------------

def test_cashflow_rows_are_the_monthly_percentiles(book, result):
    ws = book["Cashflow"]
    months = result.months
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(months) == result.timeline.n_months
    assert [r[0] for r in rows] == list(range(len(months)))
    assert rows[0][1].date() == result.spec.contract.start_date
    for r, (_, rec) in zip(rows, months.iterrows()):
        p5, p50, p95 = r[15:18]
        assert p5 <= p50 <= p95
        assert (p5, p50, p95) == pytest.approx(
            (rec["cumulative_p5"], rec["cumulative_p50"], rec["cumulative_p95"]), rel=1e-15)
    assert all(ws.cell(2, j).number_format.startswith('"£"') for j in range(3, 20))
    assert ws["B2"].number_format == "yyyy-mm"


def test_cashflow_has_a_native_line_chart(book, result):
    charts = book["Charts"]._charts  # the Cashflow sheet's chart, on a page of its own
    assert len(charts) == 1 and not book["Cashflow"]._charts
    (chart,) = charts
    assert isinstance(chart, LineChart)
    assert len(chart.series) == 4  # P5, P50, P95 of cumulative cash, and the peak marker
    refs = [s.val.numRef.f for s in chart.series]
    n = result.timeline.n_months
    assert refs == [f"'Cashflow'!${col}$2:${col}${n + 1}" for col in "PQRS"]
    assert chart.series[3].marker.symbol == "diamond"
    assert chart.series[3].spPr.ln.noFill  # a marker, no line
    assert chart.series[3].marker.spPr.solidFill is not None  # ...that is filled: visible


# -- formulas and text --------------------------------------------------------------------------

def test_text_starting_with_equals_is_not_a_formula(tmp_path):
    name = "=HYPERLINK(\"http://example.com\",\"click\")"
    loaded = load_spec(DEFAULT_CONTRACT, [f"contract.name='{name}'",
                                          "population.bands.0.name=+cmd",
                                          "payments.0.name=@SUM(1)"])
    path = write_workbook(simulate(loaded, sims=50, seed=1), tmp_path / "run.xlsx")
    wb = openpyxl.load_workbook(path)
    cell = wb["Summary"]["A1"]
    assert cell.data_type == "s"
    assert cell.value == name and cell.value.startswith("=")
    assumptions = {r[0].value: r[1] for r in wb["Assumptions"].iter_rows(min_row=2, max_col=2)}
    assert assumptions["contract.name"].data_type == "s"
    assert assumptions["contract.name"].value == name
    assert assumptions["population.bands.0.name"].value == "+cmd"
    assert assumptions["payments.0.name"].value == "@SUM(1)"
    # and nothing anywhere in the workbook is a formula
    for ws in wb.worksheets:
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row), ws.title


def test_undefined_figures_are_blank_like_json_null(header_row, summary_rows, tmp_path):
    # no payment mechanism: the outcome share of revenue is 0/0
    loaded = load_spec(DEFAULT_CONTRACT, ["payments=[]"])
    res = simulate(loaded, sims=50, seed=1)
    wb = openpyxl.load_workbook(write_workbook(res, tmp_path / "run.xlsx"))
    values = summary_values(summary_rows, wb["Summary"])
    assert json.loads(dumps(res.summary()))["payments"]["outcome_share"] == dict.fromkeys(STATS)
    assert values["payments.outcome_share"] == dict.fromkeys(STATS)


# -- via the CLI --------------------------------------------------------------------------------

def test_cli_workbook_equals_the_cli_json(header_row, summary_rows, tmp_path):
    path = tmp_path / "run.xlsx"
    out = run_cli("simulate", "--sims", str(SIMS), "--seed", "5", "--json", "--xlsx", str(path))
    assert out.exit_code == 0, out.output
    expected = flatten(json.loads(out.stdout))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    info = meta(header_row, wb["Summary"])
    assert (info["Seed"], info["Simulations"], info["Spec SHA-256"]) == (
        expected["seed"], expected["sims"], expected["spec_sha256"])
    figures = summary_values(summary_rows, wb["Summary"])
    assert {k for k, v in expected.items() if isinstance(v, dict)} <= set(figures)
    assert_same_figures(figures, {k: v for k, v in expected.items() if k in figures})
    assert wb["Charts"]._charts


def test_cli_existing_file_without_force(tmp_path):
    path = tmp_path / "run.xlsx"
    path.write_bytes(b"precious")
    out = run_cli("simulate", "--sims", str(SIMS), "--xlsx", str(path))
    assert out.exit_code == 2
    assert out.stderr == f"Error: --xlsx {path}: file exists; use --force to replace it\n"
    assert "Traceback" not in out.output
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.xlsx"]


def test_cli_existing_file_with_force(tmp_path):
    path = tmp_path / "run.xlsx"
    path.write_bytes(b"old")
    out = run_cli("simulate", "--sims", str(SIMS), "--xlsx", str(path), "--force")
    assert out.exit_code == 0, out.output
    assert openpyxl.load_workbook(path).sheetnames == SHEETS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.xlsx"]


def test_library_refuses_to_replace_without_force(result, tmp_path):
    path = tmp_path / "run.xlsx"
    path.write_bytes(b"precious")
    with pytest.raises(OutputError, match="file exists; use --force to replace it"):
        write_workbook(result, path)
    assert path.read_bytes() == b"precious"
    write_workbook(result, path, force=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Summary"


# -- atomic writes ------------------------------------------------------------------------------

def test_written_under_a_temporary_name_then_renamed(result, tmp_path, monkeypatch):
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((Path(src), Path(dst), Path(src).is_file()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    path = write_workbook(result, tmp_path / "run.xlsx")
    [(src, dst, existed)] = renames
    assert dst == path and existed
    assert src.parent == path.parent  # same folder, so the rename is atomic
    assert src.name.startswith(".run.xlsx.") and src.name.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.xlsx"]


def _crash_after_writing_half(exc: BaseException):
    def save(self, filename):  # a path, or the buffer files.in_memory hands it
        half = b"PK\x03\x04 half a workbook"
        filename.write(half) if hasattr(filename, "write") else Path(filename).write_bytes(half)
        raise exc
    return save


def test_crash_mid_write_leaves_nothing_behind(result, tmp_path, monkeypatch):
    monkeypatch.setattr(openpyxl.Workbook, "save", _crash_after_writing_half(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):  # a bug keeps its traceback
        write_workbook(result, tmp_path / "run.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_crash_mid_write_keeps_the_old_file(result, tmp_path, monkeypatch):
    path = tmp_path / "run.xlsx"
    path.write_bytes(b"the old workbook")
    monkeypatch.setattr(openpyxl.Workbook, "save", _crash_after_writing_half(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_workbook(result, path, force=True)
    assert path.read_bytes() == b"the old workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.xlsx"]


def test_disk_error_mid_write_is_an_error_line(tmp_path, monkeypatch):
    monkeypatch.setattr(openpyxl.Workbook, "save",
                        _crash_after_writing_half(OSError(28, "No space left on device")))
    path = tmp_path / "run.xlsx"
    out = run_cli("simulate", "--sims", str(SIMS), "--xlsx", str(path))
    assert out.exit_code == 2
    assert out.stderr == f"Error: {path}: cannot write workbook (No space left on device)\n"
    assert "Traceback" not in out.output
    assert list(tmp_path.iterdir()) == []
