"""CSV and Parquet tables for researchers: round trips, chunked tables, metadata.json,
formula-like text defused in CSV, and checked, atomic, non-clobbering writes."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

from pbr_model.errors import OutputError
from pbr_model import files
from pbr_model.report import export
from pbr_model.report.export import FORMATS, check_export, write_tables

HINT = "pip install 'pbr-model[parquet]'"


def sims_frame(n: int = 5, start: int = 0, seed: int = 0) -> pd.DataFrame:
    """A per-simulation-like table: named index, floats at full precision, ints, bools."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "net": rng.normal(0, 1e6, n),
        "rate": rng.random(n) / 3,
        "entrants": rng.integers(0, 1000, n),
        "insolvent": rng.random(n) < 0.5,
    }, index=pd.RangeIndex(start, start + n, name="sim"))
    frame.attrs["units"] = {"net": "currency", "rate": "fraction", "insolvent": "bool"}
    return frame


def cohort_chunks(n_chunks: int = 3, per_chunk: int = 4, fail_after: int | None = None):
    """A callable yielding per-(sim, cohort) chunks; raises after ``fail_after`` chunks."""
    def chunks():
        for i in range(n_chunks):
            if fail_after is not None and i == fail_after:
                raise RuntimeError("simulation failed part way")
            sims = range(i * per_chunk, (i + 1) * per_chunk)
            index = pd.MultiIndex.from_product([sims, range(2)], names=["sim", "cohort"])
            frame = pd.DataFrame({"outcome_payment": np.arange(len(index)) * 1000.5 + i,
                                  "triggered": np.arange(len(index)) % 3 == 0}, index=index)
            frame.attrs["units"] = {"outcome_payment": "currency", "triggered": "bool"}
            yield frame
    return chunks


def months_frame() -> pd.DataFrame:
    frame = pd.DataFrame({
        "date": [dt.date(2015, 2, 1), dt.date(2015, 3, 1), dt.date(2015, 4, 1)],
        "cumulative_p50": [-1.5, -2.25, 1e-7],
    }, index=pd.RangeIndex(3, name="month"))
    frame.attrs["units"] = {"cumulative_p50": "currency"}
    return frame


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_frame_round_trips_with_named_index_as_column(tmp_path, fmt):
    frame = sims_frame()
    paths = write_tables(tmp_path / "out", fmt, {"simulations": frame}, {"seed": 1})
    assert paths == [tmp_path / "out" / f"simulations.{fmt}", tmp_path / "out" / "datapackage.json",
                     tmp_path / "out" / "metadata.json"]
    back = read(paths[0])
    assert list(back.columns) == ["sim", "net", "rate", "entrants", "insolvent"]
    assert_frame_equal(back, frame.reset_index(), check_exact=True)
    assert back["insolvent"].dtype == bool


@pytest.mark.parametrize("fmt", FORMATS)
def test_unnamed_index_is_not_written(tmp_path, fmt):
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=[10, 20])
    write_tables(tmp_path, fmt, {"t": frame}, {})
    assert list(read(tmp_path / f"t.{fmt}").columns) == ["a"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chunked_table_round_trips(tmp_path, fmt):
    chunks = cohort_chunks()
    write_tables(tmp_path, fmt, {"cohorts": chunks}, {})
    expected = pd.concat(list(chunks())).reset_index()
    back = read(tmp_path / f"cohorts.{fmt}")
    assert_frame_equal(back, expected, check_exact=True)
    assert back["triggered"].dtype == bool


def test_chunked_csv_has_one_header(tmp_path):
    write_tables(tmp_path, "csv", {"cohorts": cohort_chunks(n_chunks=3)}, {})
    lines = (tmp_path / "cohorts.csv").read_text().splitlines()
    assert lines[0] == "sim,cohort,outcome_payment,triggered"
    assert sum(line.startswith("sim,") for line in lines) == 1
    assert len(lines) == 1 + 3 * 4 * 2


def test_chunked_parquet_has_one_row_group_per_chunk(tmp_path):
    write_tables(tmp_path, "parquet", {"cohorts": cohort_chunks(n_chunks=3)}, {})
    meta = pq.ParquetFile(tmp_path / "cohorts.parquet").metadata
    assert meta.num_row_groups == 3
    assert [meta.row_group(i).num_rows for i in range(3)] == [8, 8, 8]


def test_a_single_chunk_is_written_like_a_frame(tmp_path):
    write_tables(tmp_path, "parquet", {"cohorts": cohort_chunks(n_chunks=1)}, {})
    back = pd.read_parquet(tmp_path / "cohorts.parquet")
    assert_frame_equal(back, next(iter(cohort_chunks(n_chunks=1)())).reset_index())


def test_dates_are_iso_in_csv(tmp_path):
    write_tables(tmp_path, "csv", {"months": months_frame()}, {})
    lines = (tmp_path / "months.csv").read_text().splitlines()
    assert lines[:2] == ["month,date,cumulative_p50", "0,2015-02-01,-1.5"]
    back = pd.read_csv(tmp_path / "months.csv", parse_dates=["date"])
    expected = months_frame().reset_index()
    expected["date"] = pd.to_datetime(expected["date"]).astype(back["date"].dtype)
    assert_frame_equal(back, expected, check_exact=True)


def test_dates_stay_dates_in_parquet(tmp_path):
    write_tables(tmp_path, "parquet", {"months": months_frame()}, {})
    back = pd.read_parquet(tmp_path / "months.parquet")
    assert_frame_equal(back, months_frame().reset_index(), check_exact=True)
    assert isinstance(back["date"][0], dt.date)


def test_chunks_with_different_columns_are_a_bug(tmp_path):
    def chunks():
        yield pd.DataFrame({"a": [1]})
        yield pd.DataFrame({"b": [2]})

    with pytest.raises(ValueError, match="differ"):
        write_tables(tmp_path, "csv", {"t": chunks}, {})
    assert not (tmp_path / "t.csv").exists()
    assert leftovers(tmp_path) == []


# -- metadata.json ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_metadata_describes_run_and_tables(tmp_path, fmt):
    provenance = {"spec_sha256": "ab" * 32, "seed": np.int64(7), "version": "1.2.3",
                  "command": ["pbr", "simulate", "--csv", "out"], "volume_shock": float("nan"),
                  "created": dt.datetime(2025, 1, 2, 3, 4, 5)}
    write_tables(tmp_path, fmt, {"simulations": sims_frame(6), "cohorts": cohort_chunks(2, 3),
                                 "months": months_frame()}, provenance)
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["spec_sha256"] == "ab" * 32
    assert meta["seed"] == 7 and isinstance(meta["seed"], int)
    assert meta["command"] == ["pbr", "simulate", "--csv", "out"]
    assert meta["volume_shock"] is None
    assert meta["created"] == "2025-01-02T03:04:05"
    assert meta["format"] == fmt
    assert list(meta["tables"]) == ["simulations", "cohorts", "months"]
    assert meta["tables"]["simulations"] == {
        "file": f"simulations.{fmt}", "rows": 6,
        "columns": {"sim": None, "net": "currency", "rate": "fraction", "entrants": None,
                    "insolvent": "bool"}}
    assert meta["tables"]["cohorts"] == {
        "file": f"cohorts.{fmt}", "rows": 12,
        "columns": {"sim": None, "cohort": None, "outcome_payment": "currency",
                    "triggered": "bool"}}
    assert meta["tables"]["months"]["rows"] == 3


def test_metadata_is_strict_json(tmp_path):
    write_tables(tmp_path, "csv", {"t": pd.DataFrame({"a": [1]})},
                 {"x": [float("inf"), np.float32("nan")], "where": tmp_path})
    text = (tmp_path / "metadata.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    meta = json.loads(text)
    assert meta["x"] == [None, None]
    assert meta["where"] == str(tmp_path)


def test_caller_frames_are_not_modified(tmp_path):
    frame = sims_frame()
    frame["label"] = ["=1+1", "a", "b", "c", "d"]
    before = frame.copy()
    write_tables(tmp_path, "csv", {"t": frame}, {})
    assert_frame_equal(frame, before)
    assert frame.attrs == before.attrs


# -- formula-like text in CSV ------------------------------------------------------------


def test_formula_like_text_is_prefixed_in_csv_only(tmp_path):
    labels = ["=SUM(A1:A9)", "+cmd", "-x", "@import", "-5", "+1.5e3", "plain", "a=b", None]
    frame = pd.DataFrame({"label": labels, "value": [-5.0, 1, 2, 3, 4, 5, 6, 7, 8]})
    frame["category"] = pd.Categorical(["=A"] * 4 + ["b"] * 5)
    write_tables(tmp_path / "csv", "csv", {"t": frame}, {})
    write_tables(tmp_path / "pq", "parquet", {"t": frame}, {})
    with open(tmp_path / "csv" / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["label"] for r in rows] == [
        "'=SUM(A1:A9)", "'+cmd", "'-x", "'@import", "-5", "+1.5e3", "plain", "a=b", ""]
    assert rows[0]["value"] == "-5.0"
    assert rows[0]["category"] == "'=A" and rows[-1]["category"] == "b"
    back = pd.read_parquet(tmp_path / "pq" / "t.parquet")
    assert back["label"].tolist()[:8] == labels[:8]
    assert back["category"].tolist()[0] == "=A"


def test_csv_safe_leaves_numeric_frames_alone():
    frame = pd.DataFrame({"a": [-1.0, 2.0], "b": [True, False]})
    assert export.csv_safe(frame) is frame


# -- checks before the run ---------------------------------------------------------------


def test_check_export_returns_path_and_creates_nothing(tmp_path):
    folder = check_export(str(tmp_path / "new"), "csv", ["simulations"])
    assert folder == tmp_path / "new"
    assert not folder.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_files_are_refused_all_at_once(tmp_path, fmt):
    for name in (f"simulations.{fmt}", f"months.{fmt}", "metadata.json"):
        (tmp_path / name).write_text("old")
    with pytest.raises(OutputError) as err:
        check_export(tmp_path, fmt, ["simulations", "cohorts", "months"])
    assert err.value.problems == [
        f"{tmp_path / f'simulations.{fmt}'}: file exists; use --force to replace it",
        f"{tmp_path / f'months.{fmt}'}: file exists; use --force to replace it",
        f"{tmp_path / 'metadata.json'}: file exists; use --force to replace it",
    ]
    with pytest.raises(OutputError):
        write_tables(tmp_path, fmt, {"simulations": sims_frame()}, {})
    assert (tmp_path / f"simulations.{fmt}").read_text() == "old"


def test_other_formats_files_do_not_block(tmp_path):
    (tmp_path / "simulations.parquet").write_text("old")
    assert check_export(tmp_path, "csv", ["simulations"]) == tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_force_replaces_existing_files(tmp_path, fmt):
    for name in (f"simulations.{fmt}", "metadata.json"):
        (tmp_path / name).write_text("old")
    check_export(tmp_path, fmt, ["simulations"], force=True)
    write_tables(tmp_path, fmt, {"simulations": sims_frame()}, {"seed": 3}, force=True)
    assert_frame_equal(read(tmp_path / f"simulations.{fmt}"), sims_frame().reset_index())
    assert json.loads((tmp_path / "metadata.json").read_text())["seed"] == 3
    assert leftovers(tmp_path) == []


def test_missing_parent_is_refused(tmp_path):
    folder = tmp_path / "no" / "such"
    with pytest.raises(OutputError) as err:
        check_export(folder, "csv", ["simulations"])
    assert err.value.problems == [f"{folder}: folder {tmp_path / 'no'} does not exist (only "
                                  "the last folder of the path is created)"]
    with pytest.raises(OutputError):
        write_tables(folder, "csv", {"simulations": sims_frame()}, {})
    assert not (tmp_path / "no").exists()


def test_folder_that_is_a_file_is_refused(tmp_path):
    folder = tmp_path / "out"
    folder.write_text("a file")
    with pytest.raises(OutputError) as err:
        check_export(folder, "csv", ["simulations"])
    assert err.value.problems == [f"{folder}: is not a folder"]


def test_unwritable_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(files.os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(OutputError, match="cannot be written"):
        check_export(tmp_path, "csv", ["t"])
    with pytest.raises(OutputError, match="cannot create the folder"):
        check_export(tmp_path / "new", "csv", ["t"])


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(OutputError) as err:
        check_export(tmp_path, "xlsx", ["simulations"])
    assert err.value.problems == [
        f"{tmp_path}: unknown table format 'xlsx' (use one of csv, parquet)"]


def test_all_problems_are_reported_together(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    folder = tmp_path / "no" / "such"
    with pytest.raises(OutputError) as err:
        check_export(folder, "parquet", ["simulations"])
    assert len(err.value.problems) == 2
    assert all(p.startswith(str(folder)) for p in err.value.problems)


def test_parquet_without_pyarrow_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(OutputError) as err:
        check_export(tmp_path, "parquet", ["simulations"])
    (line,) = err.value.problems
    assert line.startswith(f"{tmp_path}: parquet output needs pyarrow")
    assert HINT in line and "--csv" in line
    with pytest.raises(OutputError, match="needs pyarrow"):
        write_tables(tmp_path, "parquet", {"simulations": sims_frame()}, {})
    assert list(tmp_path.iterdir()) == []
    # CSV does not need it
    write_tables(tmp_path, "csv", {"simulations": sims_frame()}, {})
    assert (tmp_path / "simulations.csv").exists()


@pytest.mark.parametrize("name", ["", "a/b", "..", "a\\b"])
def test_table_names_must_be_plain_file_names(tmp_path, name):
    with pytest.raises(ValueError, match="plain file name"):
        check_export(tmp_path, "csv", [name])


# -- failures while writing ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failure_mid_table_leaves_no_partial_file(tmp_path, fmt, error):
    def chunks():
        yield from cohort_chunks(n_chunks=2)()
        raise error("stopped part way")

    tables = {"simulations": sims_frame(), "cohorts": chunks, "months": months_frame()}
    with pytest.raises(error):
        write_tables(tmp_path, fmt, tables, {})
    assert leftovers(tmp_path) == []
    assert not (tmp_path / f"cohorts.{fmt}").exists()
    assert not (tmp_path / f"months.{fmt}").exists()
    assert not (tmp_path / "metadata.json").exists()
    # written before the failure, then removed: nothing of a set that is not whole is left
    assert not (tmp_path / f"simulations.{fmt}").exists()
    assert not set(files.written) & {tmp_path / f"simulations.{fmt}"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_failure_keeps_the_old_file_intact(tmp_path, fmt):
    write_tables(tmp_path, fmt, {"cohorts": cohort_chunks()}, {})
    before = (tmp_path / f"cohorts.{fmt}").read_bytes()
    with pytest.raises(RuntimeError):
        write_tables(tmp_path, fmt, {"cohorts": cohort_chunks(fail_after=1)}, {}, force=True)
    assert (tmp_path / f"cohorts.{fmt}").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_failed_rewrite_leaves_the_old_set_whole(tmp_path):
    """Every file is written under a temporary name before any is renamed into place, so a
    rewrite (--force) that fails while writing leaves the old set as it was, its
    metadata.json describing the tables beside it (0.13.0 had replaced some tables and
    removed the metadata)."""
    write_tables(tmp_path, "csv", {"simulations": sims_frame(), "cohorts": cohort_chunks()},
                 {"seed": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    tables = {"simulations": sims_frame(7, seed=2), "cohorts": cohort_chunks(fail_after=1)}
    with pytest.raises(RuntimeError):
        write_tables(tmp_path, "csv", tables, {"seed": 2}, force=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert json.loads((tmp_path / "metadata.json").read_text())["seed"] == 1


def test_a_failure_while_renaming_takes_back_what_was_renamed(tmp_path, monkeypatch):
    """The renames come last; if one fails, the set's files already renamed are taken back
    and the rest removed: no part of the new set, and no metadata.json, is left."""
    monkeypatch.setattr(files.os, "replace",
                        failing_at(2, os.replace, OSError(5, "Input/output error")))
    with pytest.raises(OutputError, match="cannot write"):
        write_tables(tmp_path / "t", "csv", {"simulations": sims_frame(),
                                             "cohorts": cohort_chunks()}, {})
    assert not (tmp_path / "t").exists()


def test_os_error_is_an_output_error_naming_the_file(tmp_path):
    (tmp_path / "simulations.csv").mkdir()  # cannot rename a file onto a folder
    with pytest.raises(OutputError) as err:
        write_tables(tmp_path, "csv", {"simulations": sims_frame()}, {}, force=True)
    (line,) = err.value.problems
    assert line.startswith(f"{tmp_path / 'simulations.csv'}: cannot write")
    assert leftovers(tmp_path) == []


def test_written_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_tables(tmp_path, "csv", {"t": sims_frame()}, {})
    finally:
        os.umask(umask)
    assert (tmp_path / "t.csv").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "metadata.json").stat().st_mode & 0o777 == 0o644


def test_folder_is_created(tmp_path):
    write_tables(tmp_path / "new", "csv", {"t": sims_frame()}, {})
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [
        "datapackage.json", "metadata.json", "t.csv"]


def test_a_failed_set_takes_back_the_folder_it_made(tmp_path):
    with pytest.raises(RuntimeError):
        write_tables(tmp_path / "new", "csv", {"simulations": sims_frame(),
                                               "cohorts": cohort_chunks(fail_after=1)}, {})
    assert not (tmp_path / "new").exists()


def test_an_output_that_fails_says_what_was_written_before_it(cli, tmp_path, monkeypatch):
    """--xlsx is written, then a table fails (a full disk): the error names the table, a
    second line names the workbook written before it, and no table of the set is left."""
    monkeypatch.setattr(export, "_write_csv",
                        failing_at(2, export._write_csv, OSError(28, "No space left on device")))
    book, folder = tmp_path / "r.xlsx", tmp_path / "tables"
    result = cli.run("simulate", "--sims", "20", "--xlsx", str(book), "--csv", str(folder))
    lines = cli.error(result, "cannot write (No space left on device)")
    assert lines[-1] == (f"Error: written before that, each whole: {book}; nothing else was "
                         "written")
    assert book.exists() and not folder.exists()


def failing_at(n: int, real, error: BaseException):
    """``real``, except that its ``n``-th call raises ``error`` instead."""
    calls = []

    def call(*args):
        calls.append(args)
        if len(calls) == n:
            raise error
        return real(*args)

    return call


def test_a_file_where_a_folder_is_needed_is_named_as_such(tmp_path, cli):
    (tmp_path / "run.json").write_text("mine")
    for flag, target in (("--csv", "run.json/x"), ("--xlsx", "run.json/x.xlsx")):
        cli.error(cli.run("simulate", "--sims", "10", flag, str(tmp_path / target)),
                  f"{tmp_path / 'run.json'} is not a folder", lines=1)
    assert (tmp_path / "run.json").read_text() == "mine"
