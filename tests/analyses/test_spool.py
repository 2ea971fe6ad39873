"""A streamed run spooled to disk (pbr_model.analyses.spool): its tables, monthly
percentiles, per-cohort figures and investors' returns are the bytes a run that keeps
everything in memory gives; its files are removed however the run ends; and the CLI
writes --csv/--parquet of a run too large to keep in memory from the spool."""

from __future__ import annotations

import gc
import json
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from pbr_model import load_spec, memory, simulate
from pbr_model.analyses.runs import sib_investors
from pbr_model.analyses.spool import PREFIX, Spool
from pbr_model.analyses.stream import COHORT_COLUMNS
from pbr_model.errors import InputError
from pbr_model.stats import running_mean
from tablestext import csv_text

SIMS = 2_100   # three blocks, the last one short


def spools(folder) -> list:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(PREFIX))


# --- the spool itself ---------------------------------------------------------------

def test_a_spool_gives_back_columns_and_rows_as_written(tmp_path):
    rng = np.random.default_rng(5)
    whole = {"a": rng.standard_normal((10, 3)), "b": rng.integers(0, 9, (10, 4)),
             "c": rng.random((10, 2)) > 0.5}
    spool = Spool(tmp_path, 10)
    for start, stop in ((0, 4), (4, 5), (5, 10)):
        spool.add({k: v[start:stop] for k, v in whole.items()})
    for name, v in whole.items():
        for j in range(v.shape[1]):
            got = spool.column(name, j)
            assert got.dtype == v.dtype and np.array_equal(got, v[:, j])
        assert np.array_equal(spool.rows(name, 3, 8), v[3:8])
    with pytest.raises(IndexError, match="a has 3 columns"):
        spool.column("a", 3)
    with pytest.raises(KeyError, match="no array 'd'"):
        spool.column("d", 0)
    spool.close()
    spool.close()   # twice is fine
    assert spools(tmp_path) == [] and spool.closed
    for read in (lambda: spool.column("a", 0), lambda: spool.rows("a", 0, 1)):
        with pytest.raises(ValueError, match="was closed: its arrays are gone"):
            read()


def test_a_spool_refuses_what_does_not_fit_and_reads_only_when_full(tmp_path):
    spool = Spool(tmp_path, 5)
    spool.add({"a": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="3 of 5 rows written"):
        spool.column("a", 0)
    with pytest.raises(ValueError, match="float64"):
        spool.add({"a": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="6 rows for 5 simulations"):
        spool.add({"a": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="different lengths"):
        spool.add({"a": np.zeros((1, 2)), "b": np.zeros((2, 2))})


def test_a_spool_is_removed_when_it_is_garbage(tmp_path):
    spool = Spool(tmp_path, 2)
    spool.add({"a": np.ones((2, 2))})
    assert len(spools(tmp_path)) == 1
    del spool
    gc.collect()
    assert spools(tmp_path) == []


@pytest.mark.parametrize("shape", [(1, 2), (5, 2), (9, 3), (1000, 7), (8193, 4)])
def test_running_mean_is_numpys_mean_down_the_rows(shape):
    """The spool's months are read a month at a time: their means must be the bits
    ``a.mean(axis=0)`` gives on the whole array (rows added one after another from 0)."""
    rng = np.random.default_rng(shape[0])
    a = rng.standard_normal(shape) * rng.lognormal(0, 6, shape)
    a[:, 0] = -0.0                                     # a column of negative zeros
    want = a.mean(axis=0)
    got = np.array([running_mean(np.ascontiguousarray(a[:, j])) for j in range(shape[1])])
    assert got.tobytes() == want.tobytes()
    if shape[0] >= 1000:   # numpy's own mean of a column alone (pairwise) is not it
        assert any(np.mean(a[:, j].copy()) != want[j] for j in range(1, shape[1]))


# --- a spooled run against one that keeps everything ----------------------------------

@pytest.fixture(scope="module", params=["tr-crc-example", "ma-roca-pfs"])
def pair(request, tmp_path_factory):
    spec = load_spec(request.param)
    folder = tmp_path_factory.mktemp("spool")
    kept = simulate(spec, SIMS, seed=6, detail=True)
    with ThreadPoolExecutor(2) as pool:   # chunks arriving from two threads, in order
        spooled = simulate(spec, SIMS, seed=6, detail=False, spool=folder, chunk_size=1024,
                           executor=pool)
    yield kept, spooled, folder
    spooled.close()


def test_a_spooled_run_is_streamed_and_has_its_tables(pair):
    kept, spooled, folder = pair
    assert not spooled.detail and spooled.has_tables and len(spools(folder)) == 1
    assert json.dumps(kept.summary(), sort_keys=True) == \
        json.dumps(spooled.summary(), sort_keys=True)


@pytest.mark.parametrize("table", ["simulations", "cohorts", "months", "cashflows"])
def test_each_table_is_the_same_text(pair, table):
    kept, spooled, _ = pair
    assert csv_text(kept.tables()[table]) == csv_text(spooled.tables()[table])


def test_months_and_cohort_figures_are_exact_again(pair):
    kept, spooled, _ = pair
    pd.testing.assert_frame_equal(kept.months, spooled.months, check_exact=True)
    for column in (*COHORT_COLUMNS, "outcome_paid", "outcome_repaid"):
        assert json.dumps(kept.cohort_stats(column)) == json.dumps(spooled.cohort_stats(column))


def test_investors_returns_are_read_from_the_spool(pair):
    kept, spooled, _ = pair
    a, b = sib_investors(kept), sib_investors(spooled)
    assert len(a) == len(b) == (0 if kept.spec.sib is None else len(kept.spec.sib.tranches))
    for x, y in zip(a, b):
        assert x.name == y.name and np.array_equal(x.irr, y.irr, equal_nan=True)
        assert np.array_equal(x.received, y.received)


@pytest.mark.parametrize("name", ["ma-roca-pfs",
                                  "nyc-able-sib"])   # (a bond settled where its contract stops)
def test_a_streamed_run_works_out_investors_returns_in_its_chunks(name):
    spec = load_spec(name)
    kept = sib_investors(simulate(spec, SIMS, seed=2, detail=True))
    streamed = simulate(spec, SIMS, seed=2, detail=False, investors=True, chunk_size=1024)
    assert [x.name for x in kept] == [y.name for y in sib_investors(streamed)]
    for x, y in zip(kept, sib_investors(streamed)):
        for field in ("drawn", "received", "multiple", "irr", "payback_month", "loss"):
            assert np.array_equal(getattr(x, field), getattr(y, field), equal_nan=True), field
    with pytest.raises(InputError, match=r"investors' returns.*investors=True"):
        sib_investors(simulate(spec, SIMS, seed=2, detail=False))


def test_a_run_that_keeps_its_arrays_makes_no_spool(tmp_path):
    result = simulate(load_spec("tr-crc-example"), 500, seed=1, spool=tmp_path)
    assert result.detail and result.spool is None and spools(tmp_path) == []


def test_a_failed_run_leaves_no_spool(tmp_path):
    def stop(done, total):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        simulate(load_spec("tr-crc-example"), SIMS, seed=1, detail=False, spool=tmp_path,
                 chunk_size=1024, progress=stop)
    assert spools(tmp_path) == []


# --- the command line -----------------------------------------------------------------

def test_csv_and_parquet_of_a_streamed_run_are_those_of_a_kept_one(cli, monkeypatch, tmp_path):
    pytest.importorskip("pyarrow")
    args = ("simulate", "nyc-able-sib", "--sims", str(SIMS), "--chunk-size", "1024")
    cli.ok(cli.run(*args, "--csv", str(tmp_path / "kept"), "--parquet", str(tmp_path / "kp")))
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)   # now too large to keep: spooled
    (tmp_path / "spooled").mkdir()
    assert cli.json(*args, "--csv", str(tmp_path / "spooled"),
                    "--parquet", str(tmp_path / "sp"))["sims"] == SIMS
    for table in ("simulations", "cohorts", "months", "cashflows"):
        assert (tmp_path / "kept" / f"{table}.csv").read_bytes() == \
            (tmp_path / "spooled" / f"{table}.csv").read_bytes(), table
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "kp" / f"{table}.parquet"),
                                      pd.read_parquet(tmp_path / "sp" / f"{table}.parquet"),
                                      check_exact=True)
    # the spool was in the existing --csv folder, and is gone
    assert spools(tmp_path / "spooled") == [] and spools(tmp_path) == []


def test_a_spool_that_would_not_fit_on_disk_is_refused_before_the_run(cli, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    monkeypatch.setattr(memory.shutil, "disk_usage", lambda path: type(
        "Usage", (), {"free": 1_000})())
    cli.error(cli.run("simulate", "--sims", str(SIMS), "--csv", str(tmp_path / "t")),
              f"--csv {tmp_path / 't'}: 2,100 simulations are written to disk as the run goes, "
              f"then their tables: about ", f" in {tmp_path} (the run's temporary files ",
              "the --csv tables ", "free some space", lines=1)
    assert not (tmp_path / "t").exists() and spools(tmp_path) == []


def test_a_streamed_bond_writes_its_workbook_and_page(cli, monkeypatch, tmp_path):
    """0.17.0 stopped with an internal error here: the investors' returns were read from
    monthly cash a streamed run does not keep."""
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    cli.ok(cli.run("simulate", "ma-roca-pfs", "--sims", "1500", "--xlsx",
                   str(tmp_path / "run.xlsx"), "--html", str(tmp_path / "run.html")))
    import openpyxl
    sheet = openpyxl.load_workbook(tmp_path / "run.xlsx", read_only=True)["Distributions"]
    titles = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert "Goldman Sachs senior loan: IRR" in titles, titles
    assert "Goldman Sachs senior loan: IRR" in (tmp_path / "run.html").read_text()


def test_writing_ticks_every_row_of_every_table(tmp_path):
    from pbr_model.report.export import write_tables
    result = simulate(load_spec("tr-crc-example"), SIMS, seed=1, detail=False,
                      spool=tmp_path, chunk_size=1024)
    ticks: list[int] = []
    write_tables(tmp_path / "t", "csv", result.tables(), {}, tick=ticks.append)
    result.close()
    rows = result.table_rows()
    assert sum(ticks) == sum(rows.values())
    assert rows["cohorts"] == SIMS * result.timeline.n_cohorts
    assert len(ticks) == 1 + 2 * -(-SIMS // 2_000) + 1   # simulations, chunks, months


@pytest.mark.slow
def test_a_bar_shows_the_tables_being_written_on_a_terminal(tmp_path):
    """Writing 1,000,000 simulations' CSV tables takes minutes: on a terminal a bar counts
    the rows written."""
    import os
    import sys
    from pathlib import Path
    pty = pytest.importorskip("pty")
    from ptyread import read_to_end
    pbr = Path(sys.executable).with_name("pbr")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(pbr), [str(pbr), "simulate", "--sims", "15000", "--csv",
                            str(tmp_path / "t")])
    seen = read_to_end(fd, b"")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen[-500:]
    assert b"Writing CSV tables" in seen and b" rows" in seen, seen[-500:]


def test_tables_in_chunks_are_the_text_of_the_whole_frames(pair):
    kept, _, _ = pair
    assert csv_text(kept.simulations) == csv_text(lambda: kept.simulation_chunks(700))
    assert csv_text(kept.cohorts) == csv_text(lambda: kept.cohort_chunks(700))
    first = next(kept.simulation_chunks(700))
    assert first.attrs["units"] == kept.simulations.attrs["units"]
    pd.testing.assert_frame_equal(pd.concat(list(kept.simulation_chunks(700))),
                                  kept.simulations, check_exact=True)


def test_a_full_disk_while_spooling_is_said_in_one_line(cli, monkeypatch, tmp_path):
    import errno
    from pbr_model.analyses import spool as spool_module

    class Full:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    real_open = open
    monkeypatch.setattr(spool_module, "open", lambda *a, **k: Full(real_open(*a, **k)),
                        raising=False)
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    errors = cli.error(cli.run("simulate", "--sims", str(SIMS), "--csv", str(tmp_path / "t")),
                       "cannot write the run's arrays in it (No space left on device)", lines=1)
    assert str(tmp_path / ".pbr-spool-") in errors[0]
    assert spools(tmp_path) == [] and not (tmp_path / "t").exists()


def test_a_closed_spool_says_its_tables_are_gone(tmp_path):
    result = simulate(load_spec("tr-crc-example"), SIMS, seed=1, detail=False, spool=tmp_path,
                      chunk_size=1024)
    assert len(result.cohorts) == SIMS * result.timeline.n_cohorts   # the whole frame, too
    result.close()
    assert not result.has_tables and spools(tmp_path) == []
    for ask in (result.tables, lambda: next(result.cashflow_chunks())):
        with pytest.raises(InputError, match="close\\(\\) removed them"):
            ask()


def test_a_spool_left_by_a_killed_process_is_swept_by_the_next(tmp_path):
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    left = tmp_path / f"{PREFIX}{dead}-abc_123"       # as a SIGKILL leaves it
    left.mkdir()
    (left / "0.bin").write_bytes(b"x" * 100)
    alive = tmp_path / f"{PREFIX}{os.getppid()}-xyz"  # a running process's: kept
    alive.mkdir()
    other = tmp_path / ".pbr-spool-notapid"           # not our naming: kept
    other.mkdir()
    spool = Spool(tmp_path, 1)
    assert not left.exists() and alive.exists() and other.exists()
    spool.close()


def test_spooled_tables_from_worker_processes_are_the_same(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    spec = load_spec("nys-ceo-pfs")
    kept = simulate(spec, SIMS, seed=3, detail=True)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        spooled = simulate(spec, SIMS, seed=3, detail=False, spool=tmp_path, chunk_size=1024,
                           executor=pool)
    for name, table in kept.tables().items():
        assert csv_text(table) == csv_text(spooled.tables()[name]), name
    spooled.close()


def test_the_memory_check_counts_what_a_spool_holds(monkeypatch):
    specs = [load_spec("tr-crc-example").spec]
    streamed = memory.estimate(specs, 1_000_000, "simulate", workers=2)
    held = memory.spool_held(specs, 1_000_000, 8192, workers=2)
    # 1,000,000 simulations with --csv and --workers 2 measured 1,432 MiB (0.18.0)
    assert streamed < 1_432 * 2**20 < streamed + held
    assert memory.spool_held(specs, 100, 8192) == 0          # kept in memory: no spool
