"""An export's ``datapackage.json`` (Frictionless Data Package v1) and the units and
provenance each Parquet file carries in its own Arrow schema metadata."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from datapackage_spec import problems
from pbr_model.errors import OutputError
from pbr_model.report.export import FORMATS, check_export, write_tables

RUN = {"command": "pbr simulate my.toml --sims 5", "contract": "Mine", "source": "my.toml",
       "spec_sha256": "ab" * 32, "seed": 7, "sims": 5, "version": "0.9.0",
       "numpy_version": np.__version__, "created_utc": "2026-11-30 01:02:03"}


def frame() -> pd.DataFrame:
    f = pd.DataFrame({"fee": [1.5, np.nan, -2.0], "entrants": [3, 4, 5],
                      "insolvent": [True, False, True],
                      "date": pd.to_datetime(["2015-02-01", "2015-03-01", "2015-04-01"]),
                      "when": [dt.date(2015, 2, 1), None, dt.date(2015, 4, 1)],
                      "party": ["prime", "=HYPERLINK()", "charity"]},
                     index=pd.RangeIndex(3, name="sim"))
    f.attrs["units"] = {"fee": "currency", "entrants": "people", "insolvent": "bool"}
    return f


def chunks():
    for i in range(3):
        part = frame()
        part.index = pd.RangeIndex(3 * i, 3 * i + 3, name="sim")
        yield part


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_package_meets_the_specification(tmp_path, fmt):
    write_tables(tmp_path, fmt, {"simulations": frame(), "cohorts": chunks}, RUN)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert problems(package, tmp_path) == []
    assert package["profile"] == ("tabular-data-package" if fmt == "csv" else "data-package")
    assert package["name"] == "pbr-simulate-my" and package["title"] == "Mine"
    assert package["created"] == "2026-11-30T01:02:03Z"
    assert package["pbr"] == RUN
    sims, cohorts = package["resources"]
    assert (sims["name"], sims["path"], sims["rows"], cohorts["rows"]) == (
        "simulations", f"simulations.{fmt}", 3, 9)
    assert sims["mediatype"] == {"csv": "text/csv",
                                 "parquet": "application/vnd.apache.parquet"}[fmt]
    assert sims["schema"]["fields"] == [
        {"name": "sim", "type": "integer"}, {"name": "fee", "type": "number", "unit": "currency"},
        {"name": "entrants", "type": "integer", "unit": "people"},
        {"name": "insolvent", "type": "boolean", "unit": "bool"},
        {"name": "date", "type": "date"}, {"name": "when", "type": "date"},
        {"name": "party", "type": "string"}]


def test_the_checker_finds_what_is_wrong(tmp_path):
    """The specification's rules can fail: each broken package is caught."""
    write_tables(tmp_path, "csv", {"simulations": frame()}, RUN)
    good = json.loads((tmp_path / "datapackage.json").read_text())

    def broken(change):
        package = json.loads(json.dumps(good))
        change(package)
        return problems(package, tmp_path)

    resource = lambda p: p["resources"][0]  # noqa: E731
    assert broken(lambda p: p.pop("resources"))
    assert broken(lambda p: p.update(name="Not A Name"))
    assert broken(lambda p: resource(p).update(path="../elsewhere.csv"))
    assert broken(lambda p: resource(p).update(path="missing.csv"))
    assert broken(lambda p: resource(p).update(bytes=1))
    assert broken(lambda p: resource(p).update(hash="sha256:" + "0" * 64))
    assert broken(lambda p: resource(p).pop("schema"))
    assert broken(lambda p: resource(p)["schema"]["fields"][1].update(type="money"))
    assert broken(lambda p: resource(p)["schema"]["fields"][5].update(type="integer"))
    assert broken(lambda p: resource(p)["schema"]["fields"].pop())
    assert broken(lambda p: resource(p).update(profile="data-resource"))


def test_csv_text_like_a_formula_keeps_its_written_name(tmp_path):
    f = frame().rename(columns={"party": "=name"})
    write_tables(tmp_path, "csv", {"t": f}, RUN)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert problems(package, tmp_path) == []
    assert package["resources"][0]["schema"]["fields"][-1]["name"] == "'=name"


@pytest.mark.parametrize("table", ["frame", "chunks"])
def test_parquet_carries_its_units_and_provenance(tmp_path, table):
    write_tables(tmp_path, "parquet", {"simulations": frame() if table == "frame" else chunks},
                 RUN)
    schema = pq.read_schema(tmp_path / "simulations.parquet")
    meta = schema.metadata
    assert meta[b"pbr.table"] == b"simulations"
    assert json.loads(meta[b"pbr.provenance"]) == RUN
    units = json.loads(meta[b"pbr.units"])
    assert units == {"sim": None, "fee": "currency", "entrants": "people", "insolvent": "bool",
                     "date": None, "when": None, "party": None}
    for field in schema:
        unit = units[field.name]
        assert (field.metadata or {}).get(b"unit") == (unit.encode() if unit else None)
    assert b"pandas" in meta  # pandas' own, so read_parquet restores dtypes
    back = pd.read_parquet(tmp_path / "simulations.parquet")
    assert back.attrs["units"] == frame().attrs["units"]
    assert len(back) == (3 if table == "frame" else 9)


def test_an_existing_datapackage_is_refused_without_force(tmp_path):
    (tmp_path / "datapackage.json").write_text("{}")
    with pytest.raises(OutputError, match="datapackage.json: file exists; use --force"):
        check_export(tmp_path, "csv", ["t"])
    write_tables(tmp_path, "csv", {"t": frame()}, RUN, force=True)
    assert json.loads((tmp_path / "datapackage.json").read_text())["resources"]
