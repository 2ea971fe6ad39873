"""Every computing command's workbook, opened back with openpyxl: sheet names, Summary
equal to ``--json``, Excel tables over the data, number formats, native charts, no
formula anywhere, print setup, and the per-cohort and distribution figures checked
against the result they came from."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import BarChart, LineChart, ScatterChart
from typer.testing import CliRunner

from pbr_model import simulate
from pbr_model.cli import app
from pbr_model.analyses.base import PROVENANCE_KEYS
from pbr_model.report import sheets as excel_module
from pbr_model.report.book import Book
from pbr_model.report.simulate import write_workbook
from pbr_model.spec import load_spec

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed"
STATS = ("mean", "p5", "p50", "p95")
PROVENANCE = {*PROVENANCE_KEYS, "sampling", "observed", "observed_sha256"}

# command line (after `pbr`), sheets, top-level JSON keys left off Summary (on their own sheet)
COMMANDS = {
    "simulate": (["simulate", "--sims", "300"],
                 ["Summary", "Charts", "Assumptions", "Cohorts", "Cashflow", "Distributions"], ()),
    "capital": (["capital", "-p", "small-charity", "-p", "national-prime", "--sims", "300"],
                ["Summary", "Charts", "Capital", "Cash by party", "Commissioner", "Cohorts", "Cashflow",
                 "Distributions", "Assumptions", "Parties' terms"], ()),
    "capital-sib": (["capital", "nyc-able-sib", "--sims", "300"],
                    ["Summary", "Charts", "Capital", "Cash by party", "Investors", "Commissioner",
                     "Cohorts", "Cashflow", "Distributions", "Assumptions", "Parties' terms"],
                    ()),
    "portfolio": (["capital", "working-links-like", "--sims", "200"],
                  ["Summary", "Charts", "Portfolio", "Owner cash", "Distributions", "Areas",
                   "Assumptions"], ()),
    "power": (["power", "--sims", "200", "--effects", "0:0.1:0.025"],
              ["Summary", "Charts", "Power", "Assumptions"], ("effects",)),
    "breakeven": (["breakeven", "--solve", "price", "--sims", "200"],
                  ["Summary", "Charts", "Breakeven", "Assumptions"], ("trace",)),
    "settle": (["settle", "peterborough-sib", "--observed", str(OBSERVED / "peterborough.csv")],
               ["Summary", "Settlement", "Totals", "Assumptions"], ("cohorts",)),
    "settle-indigo": (["settle", "peterborough-sib", "--indigo",
                       str(OBSERVED / "peterborough_indigo.json")],
                      ["Summary", "Settlement", "Totals", "Assumptions"], ("cohorts",)),
}


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module", params=list(COMMANDS))
def ran(request, tmp_path_factory):
    """(name, JSON, workbook) of one command run with --json and --xlsx."""
    name = request.param
    args, _, _ = COMMANDS[name]
    path = tmp_path_factory.mktemp(name) / "out.xlsx"
    res = run_cli(*args, "--json", "--xlsx", str(path))
    assert res.exit_code == 0, res.output
    return name, json.loads(res.stdout), openpyxl.load_workbook(path)


# -- the JSON flattened independently of the writer ------------------------------------------------

def expected_figures(obj: dict, skip=()) -> dict[str, object]:
    """The JSON's figures as the Summary names them: dotted keys, a ``{mean, p5, p50,
    p95}`` dict as one figure, list items by their unique ``name`` in brackets (else by
    index)."""
    out: dict[str, object] = {}

    def walk(path: str, value) -> None:
        if isinstance(value, dict) and set(value) == set(STATS):
            out[path] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{path}.{k}" if path else k, v)
        elif isinstance(value, list):
            names = [v.get("name") if isinstance(v, dict) else None for v in value]
            by_name = all(isinstance(n, str) for n in names) and len(set(names)) == len(names)
            for i, v in enumerate(value):
                walk(f"{path}[{names[i]}]" if by_name else f"{path}.{i}", v)
        else:
            out[path] = value

    for key, value in obj.items():
        if key not in PROVENANCE and key not in skip:
            walk(key, value)
    return out


def summary_figures(read, ws) -> dict[str, object]:
    out = {}
    for key, cells in read(ws).items():
        stats = [cells[s].value for s in STATS]
        out[key] = (dict(zip(STATS, stats)) if any(s is not None for s in stats)
                    else cells["value"].value)
    return out


def same(got, want) -> bool:
    if isinstance(want, bool) or want is None or isinstance(want, str):
        return got == want
    if isinstance(want, (int, float)):
        return got == pytest.approx(want, rel=1e-15, abs=0)
    return False


# -- every command ----------------------------------------------------------------------------------

def test_sheet_names(ran):
    name, _, wb = ran
    assert wb.sheetnames == COMMANDS[name][1]


def test_summary_equals_the_json(summary_rows, ran):
    name, d, wb = ran
    expected = expected_figures(d, COMMANDS[name][2])
    got = summary_figures(summary_rows, wb["Summary"])
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        if isinstance(want, dict):
            stats = got[key] if isinstance(got[key], dict) else dict.fromkeys(STATS)
            assert all(same(stats[s], want[s]) for s in STATS), (key, stats, want)
        else:
            assert same(got[key], want), (key, got[key], want)


def test_summary_provenance_reading_and_print_setup(header_row, ran):
    name, d, wb = ran
    ws = wb["Summary"]
    assert ws["A1"].value == d["contract"]
    top = header_row(ws, "Figure")
    meta = {r[0]: r[1] for r in ws.iter_rows(min_row=3, max_row=top - 1, max_col=2,
                                             values_only=True) if r[0]}
    assert meta["pbr-model version"] == d["version"]
    assert meta["numpy version"] == d["numpy_version"] and meta["Platform"] == d["platform"]
    assert meta["Spec SHA-256"] == d["spec_sha256"]
    if d["seed"] is not None:
        assert (meta["Seed"], meta["Simulations"]) == (d["seed"], d["sims"])
    assert len(meta["Run date (UTC)"]) == 19
    # a plain-English reading: whole sentences with the run's money in them
    reading = [r[0] for r in ws.iter_rows(min_row=header_row(ws, "Reading") + 1,
                                          max_row=top - 1, max_col=1, values_only=True) if r[0]]
    assert reading and all(line.endswith(".") and len(line.split()) >= 6 for line in reading)
    assert any(ch in " ".join(reading) for ch in "£$")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.freeze_panes == f"B{top + 1}"


def test_summary_number_formats(summary_rows, ran):
    name, d, wb = ran
    for key, cells in summary_rows(wb["Summary"]).items():
        leaf = key.rsplit(".", 1)[-1]
        cell = cells["value"] if cells["value"].value is not None else cells["p50"]
        if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool):
            continue
        if leaf.startswith("prob_"):
            assert cell.number_format == "0.0%", key
        elif leaf in ("net", "revenue", "total_payment", "expected_net", "financing_cost"):
            assert cell.number_format.startswith(('"£"', '"$"')), key


def test_every_table_has_its_header_and_every_data_sheet_is_frozen(ran):
    _, _, wb = ran
    for ws in wb.worksheets:
        for table in ws.tables.values():
            first, last = table.ref.split(":")
            cells = ws[table.ref]
            assert [c.value for c in cells[0]] == [c.name for c in table.tableColumns], ws.title
            assert table.autoFilter is not None and table.autoFilter.ref == table.ref
            assert len({c.name for c in table.tableColumns}) == len(table.tableColumns)
        if ws.title not in ("Distributions", "Charts"):
            assert ws.freeze_panes, ws.title
    names = [t for ws in wb.worksheets for t in ws.tables]
    assert len({n.lower() for n in names}) == len(names)
    assert all(wb[s].tables for s in ("Summary", "Assumptions") if s in wb.sheetnames)


def test_nothing_is_a_formula(ran):
    _, _, wb = ran
    for ws in wb.worksheets:
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row), ws.title


def test_charts(ran):
    name, d, wb = ran
    kinds = {ws.title: [type(c) for c in ws._charts] for ws in wb.worksheets}
    # line and scatter charts have a printed page each on Charts; histograms sit beside
    # their tables
    assert all(not charts for sheet, charts in kinds.items()
               if sheet not in ("Charts", "Distributions"))
    if "Cashflow" in kinds:
        assert kinds["Charts"][-1] == LineChart
    if "Distributions" in kinds:
        assert kinds["Distributions"] and set(kinds["Distributions"]) == {BarChart}
    if name == "power":
        assert kinds["Charts"] == [LineChart, LineChart]
    if name == "breakeven":
        assert kinds["Charts"] == [ScatterChart]
    if name.startswith("capital"):  # a chart per party, each on its own scale
        assert kinds["Charts"] == [LineChart] * (len(d["providers"]) + 1)
    if name == "capital-sib":
        assert any(n.endswith("IRR") for n in wb["Distributions"].tables)


# -- the sheets' figures against the result ---------------------------------------------------------

@pytest.fixture(scope="module")
def result():
    return simulate(load_spec("tr-crc-example"), sims=400, seed=3)


@pytest.fixture(scope="module")
def book(result, tmp_path_factory):
    path = write_workbook(result, tmp_path_factory.mktemp("b") / "run.xlsx", sims_sheet=True)
    return openpyxl.load_workbook(path)


def test_cohorts_are_percentiles_across_simulations(book, result):
    ws = book["Cohorts"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    k = result.timeline.n_cohorts
    assert len(rows) == k
    table = result.cohorts
    for j in (0, k // 2, k - 1):
        row = dict(zip(header, rows[j]))
        pay = table["outcome_payment"].to_numpy().reshape(result.sims, k)[:, j]
        rate = table["binary_rate"].to_numpy().reshape(result.sims, k)[:, j]
        assert row["Cohort"] == j
        assert row["Payment month"] == result.timeline.payment_month[j]
        assert row["Outcome payment P50"] == pytest.approx(np.percentile(pay, 50), rel=1e-12)
        assert row["Outcome payment mean"] == pytest.approx(pay.mean(), rel=1e-12)
        assert row["Reoffending rate P95"] == pytest.approx(np.percentile(rate, 95), rel=1e-12)
        trig = table["triggered"].to_numpy().reshape(result.sims, k)[:, j]
        assert row["P(triggered)"] == pytest.approx(trig.mean())
    assert ws["F2"].number_format == "#,##0"
    assert ws.cell(2, header.index("Reoffending rate P50") + 1).number_format == "0.0%"
    assert ws.cell(2, header.index("Outcome payment P50") + 1).number_format.startswith('"£"')


def test_cashflow_marker_sits_at_the_median_peak_before_financing(book, result):
    # the fan is cumulative cash before financing, so the diamond is the need before
    # financing, in that need's median month (0.12.0 put the need after financing there)
    ws = book["Cashflow"]
    s = result.summary()["provider"]
    marks = [(r[0], r[-1]) for r in ws.iter_rows(min_row=2, values_only=True)
             if r[-1] is not None]
    assert marks == [(int(s["peak_month_before_financing"]["p50"]),
                      pytest.approx(-s["peak_funding_before_financing"]["p50"]))]
    assert s["peak_funding_before_financing"]["p50"] != s["peak_funding"]["p50"]
    title = book["Charts"]._charts[0].title.tx.rich.p[0].r[0].t
    assert "peak funding need before financing" in title and "after financing" not in title


def test_cashflow_marker_month_agrees_with_the_summary_date_on_a_half_month(tmp_path):
    # four simulations whose median month is a half (33.5): the diamond and the title's
    # month round down, as the summary's date does, not to the even month
    result = simulate(load_spec("tr-crc-example"), sims=4, seed=5)
    s = result.summary()["provider"]
    month = s["peak_month_before_financing"]["p50"]
    assert month % 1 == 0.5
    book = openpyxl.load_workbook(write_workbook(result, tmp_path / "run.xlsx"))
    marks = [r[0] for r in book["Cashflow"].iter_rows(min_row=2, values_only=True)
             if r[-1] is not None]
    assert marks == [int(month)]
    date = s["peak_date_before_financing"]        # "YYYY-MM"
    title = book["Charts"]._charts[0].title.tx.rich.p[0].r[0].t
    assert f"(month {int(month)})" in title
    assert dt.date.fromisoformat(date + "-01").strftime("%b %Y") in title


def test_distributions_histograms(book, result):
    ws = book["Distributions"]
    tables = ws.tables
    assert set(tables) == {"Hist_Net_result", "Hist_Peak_funding_need", "Hist_Outcome_payments"}
    for name, column in (("Hist_Net_result", "net"), ("Hist_Peak_funding_need", "peak_funding")):
        cells = ws[tables[name].ref]
        assert [c.value for c in cells[0]] == ["From", "To", "Simulations", "Share",
                                               "Cumulative share"]
        rows = [[c.value for c in r] for r in cells[1:]]
        values = result.simulations[column].to_numpy()
        assert sum(r[2] for r in rows) == result.sims
        assert rows[0][0] == pytest.approx(values.min()) and rows[-1][1] == pytest.approx(values.max())
        assert rows[-1][4] == pytest.approx(1.0)
        inside = ((values >= rows[3][0]) & (values < rows[3][1])).sum()
        assert rows[3][2] == inside
    assert len(ws._charts) == 3


def test_simulations_sheet_is_one_row_per_simulation(book, result):
    ws = book["Simulations"]
    header = [c.value for c in ws[1]]
    assert header == ["sim", *result.simulations.columns]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == result.sims
    net = header.index("net")
    assert [r[net] for r in rows[:5]] == pytest.approx(result.simulations["net"][:5].tolist())
    assert ws.cell(2, net + 1).number_format.startswith('"£"')
    assert list(ws.tables) == ["Simulations"]


def test_investor_irr_distribution(tmp_path):
    from pbr_model.analyses.capital import capital
    from pbr_model.report.capital import write_capital_workbook
    res = capital("nyc-able-sib", sims=300, seed=2)
    wb = openpyxl.load_workbook(write_capital_workbook(res, tmp_path / "c.xlsx"))
    ws = wb["Distributions"]
    name = "Hist_Goldman_Sachs_loan__IRR"
    assert name in ws.tables
    rows = [[c.value for c in r] for r in ws[ws.tables[name].ref][1:]]
    irr = res.tranche_figures[0].irr
    assert sum(r[2] for r in rows) == int(np.isfinite(irr).sum())
    assert ws.cell(ws[ws.tables[name].ref][1][0].row, 1).number_format == "0.0%"


# -- the Simulations sheet's cap, and --xlsx-sims ---------------------------------------------------

def test_simulations_sheet_is_capped_with_a_message(tmp_path, monkeypatch):
    from pbr_model.cli import options as cli_simulate
    monkeypatch.setattr(excel_module, "MAX_SHEET_SIMS", 120)
    monkeypatch.setattr(cli_simulate, "MAX_SHEET_SIMS", 120)
    path = tmp_path / "big.xlsx"
    res = run_cli("simulate", "--sims", "300", "--xlsx", str(path), "--xlsx-sims")
    assert res.exit_code == 0, res.output
    assert "first 120 of 300 simulations" in res.stderr and "--csv" in res.stderr
    wb = openpyxl.load_workbook(path)
    assert wb["Simulations"].max_row == 121
    meta = {r[0]: r[1] for r in wb["Summary"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert "first 120 of 300" in meta["Simulations sheet"]


def test_xlsx_sims_needs_xlsx():
    res = run_cli("simulate", "--sims", "100", "--xlsx-sims")
    assert res.exit_code == 2
    assert "--xlsx-sims" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("command", ["power", "breakeven"])
def test_new_workbooks_refuse_to_overwrite_and_leave_nothing_on_a_crash(command, tmp_path,
                                                                        monkeypatch):
    args = {"power": ["power", "--sims", "100", "--effects", "0,0.05"],
            "breakeven": ["breakeven", "--solve", "effect", "--sims", "100"]}[command]
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"precious")
    res = run_cli(*args, "--xlsx", str(path))
    assert res.exit_code == 2 and "file exists; use --force" in res.stderr
    assert path.read_bytes() == b"precious"

    def crash(self, filename):  # a path, or the buffer files.in_memory hands it
        filename.write(b"PK half") if hasattr(filename, "write") else Path(filename).write_bytes(b"PK half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(openpyxl.Workbook, "save", crash)
    res = run_cli(*args, "--xlsx", str(path), "--force")
    assert res.exit_code == 2 and "No space left on device" in res.stderr
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_spec_text_is_never_a_formula_in_any_workbook(tmp_path):
    spec = tmp_path / "evil.toml"
    from pbr_model.spec.load import resolve
    text = resolve("nyc-able-sib").read_text()
    text = text.replace('name = "', 'name = "=HYPERLINK(1)', 1)
    spec.write_text(text)
    for args in (["simulate"], ["capital"], ["power", "--effects", "0,0.1"]):
        path = tmp_path / f"{args[0]}.xlsx"
        res = run_cli(*args, str(spec), "--sims", "100", "--xlsx", str(path))
        assert res.exit_code == 0, res.output
        wb = openpyxl.load_workbook(path)
        assert wb["Summary"]["A1"].value.startswith("=HYPERLINK(1)")
        assert wb["Summary"]["A1"].data_type == "s"
        for ws in wb.worksheets:
            assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_book_writes_numpy_and_missing_values_plainly(tmp_path):
    book = Book()
    ws = book.sheet("S")
    for j, v in enumerate([np.float64(1.5), np.int64(3), np.bool_(True), float("nan"),
                           float("inf"), "-1+1", "@x"], 1):
        ws.cell(1, j, v)
    book.save(tmp_path / "s.xlsx")
    row = [c for c in openpyxl.load_workbook(tmp_path / "s.xlsx")["S"][1]]
    assert [c.value for c in row] == [1.5, 3, True, None, None, "-1+1", "@x"]
    assert row[5].data_type == row[6].data_type == "s"


# -- the large run -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_100k_simulations_with_a_workbook_stay_under_2_gb(tmp_path):
    """The issue's large run: ``pbr simulate --sims 100000 --xlsx FILE`` on the default
    contract, in a child process so its peak resident memory is measured on its own."""
    import os
    import subprocess
    import sys
    path = tmp_path / "big.xlsx"
    with open(os.devnull, "wb") as null:
        child = subprocess.Popen([sys.executable, "-m", "pbr_model", "simulate", "--sims",
                                  "100000", "--xlsx", str(path)], stdout=null, stderr=null)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, exactly
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    peak_kib = usage.ru_maxrss  # Linux: KiB
    assert 0 < peak_kib < 2 * 1024 ** 2, f"peak memory {peak_kib / 1024 ** 2:.2f} GiB"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == COMMANDS["simulate"][1]
    meta = {r[0]: r[1] for r in wb["Summary"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert meta["Simulations"] == 100_000
    hist = wb["Distributions"].tables["Hist_Net_result"]
    assert sum(r[2].value for r in wb["Distributions"][hist.ref][1:]) == 100_000


def test_workbook_gets_an_ordinary_file_mode(result, tmp_path):
    import os
    mask = os.umask(0)
    os.umask(mask)
    path = write_workbook(result, tmp_path / "run.xlsx")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_simulate_on_a_sib_shows_each_tranches_irr(tmp_path):
    from pbr_model.analyses.capital import capital
    res = simulate(load_spec("ma-roca-pfs"), sims=200, seed=5)
    wb = openpyxl.load_workbook(write_workbook(res, tmp_path / "roca.xlsx"))
    ws = wb["Distributions"]
    cap = capital("ma-roca-pfs", sims=200, seed=5)  # the same bond, through pbr capital
    assert len(cap.tranche_figures) == 5
    for f in cap.tranche_figures:
        if f.grant:  # a grant has no return: no IRR distribution
            assert not any("grants" in t for t in ws.tables)
            continue
        name = "Hist_" + "".join(c if c.isalnum() else "_" for c in f"{f.name}: IRR").strip("_")
        rows = [[c.value for c in r] for r in ws[ws.tables[name].ref][1:]]
        assert sum(r[2] for r in rows) == int(np.isfinite(f.irr).sum()), f.name
        if rows:
            assert rows[0][0] == pytest.approx(np.nanmin(f.irr))


# -- from the review: formats by key, names, paths ----------------------------------------------------

def _summary_format(read, wb, key: str) -> str:
    cells = read(wb["Summary"])[key]
    cell = cells["value"] if cells["value"].value is not None else cells["p50"]
    return cell.number_format


@pytest.mark.parametrize("args, expected", [
    (["power", "--sims", "100", "--effects", "0,0.05"],
     {"effect_for_90pct_paid_on_grid": "0.0%", "break_even_effect_on_grid": "0.0%",
      "paid_for_noise": "0.0%"}),
    (["capital", "-p", "small-charity", "--sims", "100"],
     {"providers[small-charity].terms.share": "0.0%",
      "providers[small-charity].terms.cost_of_capital": "0.0%",
      "providers[small-charity].terms.overheads": "0.0%",
      "providers[small-charity].peak_month": "0",
      "providers[small-charity].terms.reserves": '"£"#,##0;-"£"#,##0',
      "commissioner.reoffences_avoided": "#,##0"}),
    (["capital", "working-links-like", "--sims", "100"],
     {"trend.binary_logit_sd": "0.000", "trend.frequency_log_drift": "0.000",
      "diversification.peak_funding_p95.saving_share": "0.0%"}),
    (["breakeven", "--solve", "effect", "--sims", "100", "--target", "prob-loss=0.3"],
     {"value": "0.0%", "bracket.0": "0.0%", "at_answer.metric": "0.0%", "at_answer.se": "0.0%",
      "at_answer.expected_net": '"£"#,##0;-"£"#,##0'}),
    (["breakeven", "--solve", "personal_budget", "--sims", "100"],
     {"value": '"£"#,##0;-"£"#,##0', "at_answer.se": '"£"#,##0;-"£"#,##0'}),
])
def test_summary_formats_by_key(summary_rows, args, expected, tmp_path):
    path = tmp_path / "out.xlsx"
    res = run_cli(*args, "--xlsx", str(path))
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(path)
    assert {k: _summary_format(summary_rows, wb, k) for k in expected} == expected


def test_simulations_sheet_formats_follow_the_units(book):
    ws = book["Simulations"]
    header = [c.value for c in ws[1]]
    fmt = {name: ws.cell(2, j).number_format for j, name in enumerate(header, 1)}
    assert fmt["frequency"] == "0.00"  # reoffences per reoffender: a ratio, not a count
    assert fmt["reoffences"] == fmt["entrants"] == "#,##0"
    assert fmt["binary_rate"] == "0.0%" and fmt["net"].startswith('"£"')


def test_a_party_named_twice_is_refused_before_the_run():
    res = run_cli("capital", "-p", "small-charity", "-p", "small-charity", "--sims", "100")
    assert res.exit_code == 2 and "small-charity" in res.stderr and res.stdout == ""


def test_control_characters_in_spec_text_are_refused():
    res = run_cli("simulate", "--sims", "100", "--set", 'contract.name="TR\\u0007 area"')
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "contract.name: text must not contain control characters" in res.stderr


def test_a_workbook_name_too_long_is_refused_before_the_run(tmp_path):
    res = run_cli("simulate", "--sims", "100", "--xlsx", str(tmp_path / ("x" * 250 + ".xlsx")))
    assert res.exit_code == 2 and "file name too long" in res.stderr and res.stdout == ""


def test_settled_investors_are_one_outcome_not_a_distribution(tmp_path):
    path = tmp_path / "s.xlsx"
    res = run_cli("settle", "nyc-able-sib", "--observed", str(OBSERVED / "able_no_effect.csv"),
                  "--xlsx", str(path), "--json")
    assert res.exit_code == 0, res.output
    (loan,) = json.loads(res.stdout)["investors"]
    ws = openpyxl.load_workbook(path)["Investors"]
    header = [c.value for c in ws[1]]
    assert header == ["Tranche", "Kind", "Drawn", "Received", "IRR", "Multiple", "Loss",
                      "Paid back"]
    row = dict(zip(header, [c.value for c in ws[2]]))
    # ABLE as it happened: $7.2m drawn, $6m back from the guarantee, $1.2m lost
    assert (row["Drawn"], row["Received"], row["Loss"]) == (7_200_000, 6_000_000, 1_200_000)
    assert row["IRR"] == pytest.approx(loan["irr"]["mean"]) and row["Paid back"] is False


# -- rendering right: labels, booleans, print setup, charts a spreadsheet can draw ------------------

def test_every_summary_figure_has_a_readable_label_and_unit(summary_rows, ran):
    from pbr_model.report.labels import missing_words
    _, _, wb = ran
    rows = summary_rows(wb["Summary"])
    assert rows
    for key, cells in rows.items():
        assert not missing_words(key), (key, "add its words to report/labels.py WORDS")
        assert cells["figure"].value and cells["figure"].value != key, key
        number = cells["value"].value if cells["value"].value is not None else cells["p50"].value
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            assert cells["unit"].value, key


def test_a_figure_with_no_words_is_caught():
    from pbr_model.report.labels import label, missing_words
    assert missing_words("provider.brand_new_figure") == ["brand_new_figure"]
    assert label("providers[small-charity].facility.p95.size") == \
        "small-charity: social investment facility: P95 (5% risk): size"
    assert label("prices.0.path") == "Price: #1: field"


def test_every_sheet_prints_one_page_wide_with_its_header_row(ran):
    _, _, wb = ran
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&A" in ws.oddHeader.center.text and "&P" in ws.oddHeader.center.text
        if ws.freeze_panes:  # a table: its header row printed on every page
            row = int(re.sub(r"\D", "", ws.freeze_panes)) - 1
            assert ws.print_title_rows == f"${row}:${row}", ws.title


def _refs(chart):
    for series in chart.series:
        ref = series.val if series.val is not None else series.yVal
        yield series, ref.numRef.f


def test_chart_series_hold_numbers_and_show_their_markers(ran):
    name, _, wb = ran
    for ws in wb.worksheets:
        for chart in ws._charts:
            assert chart.x_axis.tickLblPos == chart.y_axis.tickLblPos == "low", ws.title
            for series, ref in _refs(chart):
                sheet, cells = ref.rsplit("!", 1)
                values = [c.value for row in wb[sheet.strip("'")][cells.replace("$", "")]
                          for c in row]
                assert any(isinstance(v, (int, float)) for v in values), (name, ref)
                symbol = series.marker.symbol if series.marker is not None else None
                if symbol not in (None, "none"):  # a marker must be filled to be seen
                    assert series.marker.spPr.solidFill is not None, (name, ref)
                else:  # else a line, coloured
                    assert not series.spPr.ln.noFill, (name, ref)
    if name == "power":  # a probability never runs past 100%
        chance = wb["Charts"]._charts[0]
        assert (chance.y_axis.scaling.min, chance.y_axis.scaling.max) == (0, 1)


def test_cash_by_party_has_a_chart_per_party_on_its_own_columns(ran):
    name, d, wb = ran
    if not name.startswith("capital"):
        return
    charts = wb["Charts"]._charts[:len(d["providers"])]
    header = [c.value for c in wb["Cash by party"][1]]
    for p, chart in zip(d["providers"], charts):
        columns = {header[openpyxl.utils.column_index_from_string(
            re.search(r"\$([A-Z]+)\$", ref).group(1)) - 1] for _, ref in _refs(chart)}
        assert columns == {f"{p['name']} P5", f"{p['name']} P50", f"{p['name']} P95"}


def test_booleans_show_as_true_or_false(tmp_path):
    from pbr_model.report.book import BOOL_FORMAT
    book = Book()
    book.sheet("S").cell(1, 1, np.bool_(False))
    book.save(tmp_path / "s.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "s.xlsx")["S"]["A1"]
    assert cell.value is False and cell.number_format == BOOL_FORMAT == '"TRUE";"TRUE";"FALSE"'


def test_the_reading_says_a_small_risk_is_not_nothing(result):
    from pbr_model.report.format import percent
    from pbr_model.report.simulate import simulation_reading
    assert [percent(v) for v in (0, 0.003, 0.42, 0.9996, 1)] == ["0%", "0.3%", "42%",
                                                                  "99.96%", "100%"]
    s = result.summary()
    s["provider"]["prob_insolvent"], s["provider"]["prob_loss"] = 0.003, 0.0004
    text = " ".join(simulation_reading(s))
    assert "in 0.3% of them" in text and "a 0.04% chance of a loss" in text
