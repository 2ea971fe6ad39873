"""``--csv`` and ``--parquet`` on every computing command, through the CLI: the tables each
writes, their metadata, figures that agree with ``--json``, and output problems caught
before the run."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pbr_model.cli import app

OBSERVED = Path(__file__).resolve().parents[2] / "examples" / "observed"

# command line after `pbr`, and the tables it writes
COMMANDS = {
    "simulate": (["simulate", "--sims", "200"],
                 {"simulations", "cohorts", "months", "cashflows"}),
    "capital": (["capital", "nyc-able-sib", "--sims", "200"],
                {"simulations", "cohorts", "months", "cashflows", "parties", "investors"}),
    "portfolio": (["capital", "working-links-like", "--sims", "100"],
                  {"owner", "areas", "owner_months"}),
    "power": (["power", "--sims", "100", "--effects", "0,0.05,0.1"], {"power"}),
    "breakeven": (["breakeven", "--solve", "price", "--sims", "100"], {"trials", "prices"}),
    "settle": (["settle", "doncaster-pbr", "--observed", str(OBSERVED / "doncaster.csv")],
               {"cohorts", "mechanisms"}),
}


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module", params=list(COMMANDS))
def ran(request, tmp_path_factory):
    name = request.param
    args, _ = COMMANDS[name]
    folder = tmp_path_factory.mktemp(name) / "tables"
    with pytest.MonkeyPatch.context() as mp:  # as the installed `pbr` would see it
        mp.setattr("sys.argv", ["pbr", *args, "--json", "--csv", str(folder)])
        res = run_cli(*args, "--json", "--csv", str(folder))
    assert res.exit_code == 0, res.output
    assert f"Wrote {len(COMMANDS[name][1]) + 2} files to {folder}" in res.stderr
    return name, json.loads(res.stdout), folder


def test_the_tables_and_their_metadata(ran):
    name, d, folder = ran
    tables = COMMANDS[name][1]
    assert {p.name for p in folder.iterdir()} == ({f"{t}.csv" for t in tables}
                                                  | {"datapackage.json", "metadata.json"})
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["version"] == d["version"]
    assert meta.get("spec_sha256", meta.get("sha256")) == d.get("spec_sha256", d.get("sha256"))
    if "seed" in d:
        assert (meta["seed"], meta["sims"]) == (d["seed"], d["sims"])
    assert meta["command"] == shlex.join(["pbr", *COMMANDS[name][0], "--json", "--csv",
                                          str(folder)])
    assert len(meta["created_utc"]) == 19
    assert meta["format"] == "csv" and set(meta["tables"]) == tables
    for t, info in meta["tables"].items():
        frame = pd.read_csv(folder / info["file"])
        assert len(frame) == info["rows"] and list(frame.columns) == list(info["columns"])


def test_a_data_package_describes_every_table(ran):
    from datapackage_spec import problems
    name, d, folder = ran
    package = json.loads((folder / "datapackage.json").read_text())
    assert problems(package, folder) == []
    meta = json.loads((folder / "metadata.json").read_text())
    assert [r["path"] for r in package["resources"]] == [t["file"] for t in meta["tables"].values()]
    for r in package["resources"]:
        units = meta["tables"][r["name"]]["columns"]
        assert {f["name"]: f.get("unit") for f in r["schema"]["fields"]} == units
    assert package["pbr"] == {k: v for k, v in meta.items() if k not in ("format", "tables")}


def test_the_tables_agree_with_the_json(ran):
    name, d, folder = ran
    read = lambda t: pd.read_csv(folder / f"{t}.csv")  # noqa: E731
    if name in ("simulate", "capital"):
        sims = read("simulations")
        assert len(sims) == d["sims"] and list(sims["sim"]) == list(range(d["sims"]))
        net = d["provider"]["net"] if name == "simulate" else None
        if net:
            assert sims["net"].mean() == pytest.approx(net["mean"], rel=1e-12)
            assert np.percentile(sims["net"], 95) == pytest.approx(net["p95"], rel=1e-12)
        flows = read("cashflows")
        assert len(flows) == d["sims"] * read("months")["month"].nunique()
    if name == "capital":
        parties = read("parties")
        p = d["providers"][0]
        mine = parties[parties["party"] == p["name"]]
        assert mine["peak_funding"].quantile(0.5) == pytest.approx(p["peak_funding"]["p50"])
        assert (mine["insolvent"]).mean() == pytest.approx(p["prob_insolvent"])
        inv = read("investors")
        loan = d["investors"][0]
        irr = inv.loc[inv["tranche"] == loan["name"], "irr"].dropna()
        assert irr.median() == pytest.approx(loan["irr"]["p50"], rel=1e-12)
    if name == "portfolio":
        owner = read("owner")  # capital's P95 is a sample quantile (inverted_cdf)
        assert np.quantile(owner["peak_funding"], 0.95, method="inverted_cdf") == pytest.approx(
            d["owner"]["peak_funding"]["p95"], rel=1e-12)
        assert set(read("areas")["party"]) == {a["name"] for a in d["areas"]}
    if name == "power":
        curve = read("power")
        assert list(curve["effect"]) == [e["effect"] for e in d["effects"]]
        assert list(curve["prob_triggered"]) == pytest.approx(
            [e["prob_triggered"] for e in d["effects"]], rel=1e-15)
    if name == "breakeven":
        trials = read("trials")
        assert list(trials["value"]) == pytest.approx([t["value"] for t in d["trace"]], rel=1e-15)
        assert len(read("prices")) == len(d["prices"])
    if name == "settle":
        mech = read("mechanisms")
        assert mech["total"].sum() == pytest.approx(d["total_payment"])


def test_parquet_equals_csv(tmp_path):
    pytest.importorskip("pyarrow")
    args = ["simulate", "--sims", "150", "--seed", "4"]
    assert run_cli(*args, "--csv", str(tmp_path / "c")).exit_code == 0
    assert run_cli(*args, "--parquet", str(tmp_path / "p")).exit_code == 0
    for t in ("simulations", "cohorts", "cashflows"):
        a = pd.read_csv(tmp_path / "c" / f"{t}.csv")
        b = pd.read_parquet(tmp_path / "p" / f"{t}.parquet")
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_existing_tables_are_refused_before_the_run(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "simulations.csv").write_text("precious")
    res = run_cli("simulate", "--sims", "100", "--csv", str(folder), "--xlsx",
                  str(tmp_path / "missing" / "x.xlsx"))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--csv" in res.stderr and "simulations.csv" in res.stderr and "--force" in res.stderr
    assert "--xlsx" in res.stderr and "does not exist" in res.stderr  # every problem at once
    assert (folder / "simulations.csv").read_text() == "precious"
    assert res.stdout == ""  # nothing was run
    res = run_cli("simulate", "--sims", "100", "--csv", str(folder), "--force")
    assert res.exit_code == 0
    assert len(pd.read_csv(folder / "simulations.csv")) == 100


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    res = run_cli("simulate", "--sims", "100", "--parquet", str(tmp_path / "p"))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "pip install 'pbr-model[parquet]'" in res.stderr
    assert not (tmp_path / "p").exists()


def test_spec_text_in_csv_headers_and_values_is_never_a_formula(tmp_path):
    folder = tmp_path / "t"
    res = run_cli("settle", "doncaster-pbr", "--observed", str(OBSERVED / "doncaster.csv"),
                  "--set", "payments.1.name='=cmd|calc!A1'", "--csv", str(folder))
    assert res.exit_code == 0, res.output
    header = (folder / "cohorts.csv").read_text().splitlines()[0].split(",")
    assert any(h.startswith("'=cmd") for h in header)
    assert not any(h.startswith("=") for h in header)
    assert "'=cmd|calc!A1" in (folder / "mechanisms.csv").read_text()
    meta = json.loads((folder / "metadata.json").read_text())
    assert list(meta["tables"]["cohorts"]["columns"]) == header


def test_breakeven_trials_are_numbered_from_1_as_in_the_workbook(tmp_path):
    res = run_cli("breakeven", "--solve", "effect", "--sims", "100", "--csv", str(tmp_path / "t"))
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "t" / "trials.csv")["trial"].iloc[0] == 1
