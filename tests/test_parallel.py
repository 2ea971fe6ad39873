"""Every core, then a cluster: the same numbers, byte for byte, whatever runs the chunks
(this process, local worker processes, a Dask cluster) and however many workers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import (CancelledError, Executor, Future, ProcessPoolExecutor,
                                ThreadPoolExecutor)

from pathlib import Path

import pandas as pd
import pytest

from pbr_model import load_spec, simulate
from pbr_model.analyses.capital import capital
from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.analyses.power import power
from pbr_model.errors import InputError
from pbr_model.parallel import (AUTO_THREADS, check_executor, cores, open_executor,
                                ordered_results, resolve_threads, workers_of)
from pbr_model.stopping import bind, stop_point

SIMS = 3_000   # two whole blocks of 1,024 and a part block
PBR = str(Path(sys.executable).with_name("pbr"))


def _sleepy(i, delay):
    time.sleep(delay)
    return i


def test_results_come_back_in_task_order_whoever_finishes_first():
    delays = [0.08, 0.0, 0.05, 0.0, 0.02, 0.0]
    with ThreadPoolExecutor(4) as ex:
        got = list(ordered_results(_sleepy, [(i, d) for i, d in enumerate(delays)], ex))
    assert got == list(range(len(delays)))


class _Counting(Executor):
    """Runs tasks at once and counts how many were submitted but not yet handed back."""

    def __init__(self):
        self.submitted = 0
        self._max_workers = 3

    def submit(self, fn, *args):
        self.submitted += 1
        f = Future()
        f.set_result(fn(*args))
        return f


def test_at_most_a_window_of_tasks_is_in_flight():
    ex = _Counting()
    seen = []
    for i in ordered_results(lambda i: i, [(i,) for i in range(20)], ex):
        seen.append(ex.submitted - i)   # submitted ahead of the one handed back
    assert max(seen) == 2 * workers_of(ex) == 6
    assert workers_of(ThreadPoolExecutor(5)) == 5


def test_a_task_error_is_raised_in_order():
    def boom(i):
        if i == 2:
            raise ValueError("task 2")
        return i
    with ThreadPoolExecutor(2) as ex:
        it = ordered_results(boom, [(i,) for i in range(5)], ex)
        assert [next(it), next(it)] == [0, 1]
        with pytest.raises(ValueError, match="task 2"):
            next(it)


@pytest.mark.parametrize("workers, dask, message", [
    (0, None, "workers: must be a whole number from 1 to 256 (got 0)"),
    (True, None, "workers: must be a whole number"),
    (2, "tcp://x:1", "workers and dask: give one of them"),
    (1, " ", "dask: the address of a Dask scheduler"),
])
def test_bad_executor_arguments_are_input_errors(workers, dask, message):
    with pytest.raises(InputError, match=re.escape(message)):
        check_executor(workers, dask)


def test_one_worker_is_this_process():
    with open_executor(1) as ex:
        assert ex is None
    with open_executor(1, threads=1) as ex:
        assert ex is None


@pytest.mark.parametrize("workers, dask, threads, message", [
    (1, None, 0, "threads: must be a whole number from 1 to 256 (got 0)"),
    (1, None, True, "threads: must be a whole number"),
    (1, None, 2.0, "threads: must be a whole number"),
    (2, None, 2, "threads and workers: give one of them"),
    (1, "tcp://x:1", 3, "threads and dask: give one of them"),
    (0, None, 2, "workers: must be a whole number from 1 to 256 (got 0)"),   # not a clash too
])
def test_bad_thread_counts_are_input_errors(workers, dask, threads, message):
    with pytest.raises(InputError, match=re.escape(message)) as info:
        check_executor(workers, dask, threads=threads)
    assert len(info.value.problems) == 1   # a bad count is not also said to clash


def test_threads_are_a_thread_pool_of_this_process_by_default_one_per_core():
    with open_executor(1, threads=3) as ex:
        assert isinstance(ex, ThreadPoolExecutor) and workers_of(ex) == 3
    auto = min(cores(), AUTO_THREADS)
    assert resolve_threads(None) == auto
    with open_executor(1, threads=None) as ex:
        assert (ex is None) if auto == 1 else workers_of(ex) == auto
    # threads are for this process: with worker processes or Dask there is one
    assert resolve_threads(None, workers=2) == 1 and resolve_threads(None, dask="tcp://x:1") == 1


def _long_task(started: threading.Event, seconds: float) -> float:
    """Stop points every 10 ms for ``seconds``; returns how long it ran."""
    t0 = time.monotonic()
    started.set()
    while time.monotonic() - t0 < seconds:
        stop_point()
        time.sleep(0.01)
    return time.monotonic() - t0


def test_a_stopped_run_on_threads_ends_its_running_tasks_at_their_next_stop_point():
    started = threading.Event()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with open_executor(1, threads=2) as ex:
            future = ex.submit(_long_task, started, 30.0)
            assert started.wait(10)
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 5   # not the task's 30 s
    with pytest.raises(CancelledError):
        future.result()
    # a run that was not stopped runs its tasks to the end; so does this thread
    started.clear()
    with open_executor(1, threads=2) as ex:
        assert ex.submit(_long_task, started, 0.05).result() >= 0.05
    assert _long_task(started, 0.05) >= 0.05


def _stopped_pool():
    """A one-thread pool whose run has been stopped (its threads' stop event set)."""
    stopped = threading.Event()
    stopped.set()
    return ThreadPoolExecutor(1, initializer=bind, initargs=(stopped,))


def test_a_stopped_runs_threads_give_up_at_the_next_block_and_the_next_area(monkeypatch):
    """The engine's and a portfolio owner's tasks reach a stop point before their first
    block and area: a stopped run's pool thread draws nothing more. The same calls on a
    running pool (the controls) finish."""
    from pbr_model.analyses import portfolio_stream
    from pbr_model.analyses.portfolio import owner_seats
    from pbr_model.engine import contract_chunk
    from pbr_model.spec.portfolio import load_portfolio
    from pbr_model.timeline import Timeline
    spec = load_spec("tr-crc-example").spec
    timeline = Timeline.from_spec(spec)
    p = load_portfolio("working-links-like")
    job = portfolio_stream.Job(p, [a.spec.spec for a in p.areas],
                               [Timeline.from_spec(a.spec.spec) for a in p.areas], 3,
                               seats=[owner_seats(a, p.owners[a.owner].profile) for a in p.areas])
    drawn = []
    real = portfolio_stream.draw_areas
    monkeypatch.setattr(portfolio_stream, "draw_areas",
                        lambda *a, **k: (drawn.append(1) or r for r in real(*a, **k)))
    with _stopped_pool() as pool:
        with pytest.raises(CancelledError):
            pool.submit(contract_chunk, spec, timeline, 7, range(0, 2), 2048).result()
        with pytest.raises(CancelledError):
            pool.submit(portfolio_stream.owner_task, job, 0, 1024, 1024).result()
    assert drawn == []   # the owner's task gave up before its first area's chunk was drawn
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(contract_chunk, spec, timeline, 7, range(0, 2), 2048).result()
        assert pool.submit(portfolio_stream.owner_task, job, 0, 1024, 1024).result()["owner"]
    assert drawn
    # stopped once the owner's areas are drawn, while they are split (nothing drawn there):
    # the task gives up at the next area
    stopped, split = threading.Event(), []
    real_part = portfolio_stream.area_part

    def part(*a, **k):
        split.append(1)
        stopped.set()
        return real_part(*a, **k)

    monkeypatch.setattr(portfolio_stream, "area_part", part)
    with ThreadPoolExecutor(1, initializer=bind, initargs=(stopped,)) as pool:
        with pytest.raises(CancelledError):
            pool.submit(portfolio_stream.owner_task, job, 0, 1024, 1024).result()
    assert split == [1] and len(p.owners[0].areas) > 1


@pytest.fixture(scope="module")
def four_threads():
    """More threads than this machine has cores, so chunks interleave on the interpreter's
    lock as much as they ever will."""
    with open_executor(1, threads=4) as ex:
        yield ex


@pytest.mark.parametrize("detail", [True, False])
def test_simulate_is_byte_identical_on_threads(four_threads, detail):
    spec = load_spec("peterborough-sib")
    serial = simulate(spec, SIMS, seed=11, detail=detail)
    _same_run(serial, simulate(spec, SIMS, seed=11, detail=detail, executor=four_threads,
                               chunk_size=1024))


def _same_capital_and_power(executor) -> None:
    """A bond's capital (the waterfall runs in every chunk) and power: the same JSON in one
    process and on ``executor``."""
    spec = load_spec("nyc-able-sib")
    a = capital(spec, sims=2_000, seed=5)
    b = capital(spec, sims=2_000, seed=5, executor=executor, chunk_size=1024)
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    p, q = (power(spec, [0.0, 0.05], sims=1_500, seed=5, executor=ex)
            for ex in (None, executor))
    assert json.dumps(p.to_dict(), sort_keys=True) == json.dumps(q.to_dict(), sort_keys=True)


def test_capital_power_and_portfolios_are_byte_identical_on_threads(four_threads):
    _same_capital_and_power(four_threads)
    for name, sims in (("working-links-like", SIMS), ("tr-national", 1_100)):
        a = run_portfolio(name, sims, seed=9, detail=False, draws="approx")
        b = run_portfolio(name, sims, seed=9, detail=False, draws="approx",
                          executor=four_threads, chunk_size=1024)
        assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


@pytest.fixture(scope="module")
def two_processes():
    with open_executor(2) as ex:
        assert isinstance(ex, ProcessPoolExecutor)
        yield ex


def _same_run(a, b):
    pd.testing.assert_frame_equal(a.simulations, b.simulations, check_exact=True)
    pd.testing.assert_frame_equal(a.months, b.months, check_exact=True)
    assert json.dumps(a.summary(), sort_keys=True) == json.dumps(b.summary(), sort_keys=True)
    if a.detail:
        pd.testing.assert_frame_equal(a.cohorts, b.cohorts, check_exact=True)
        assert a.cash_in.tobytes() == b.cash_in.tobytes()


@pytest.mark.parametrize("detail", [True, False])
def test_simulate_is_byte_identical_on_two_processes(two_processes, detail):
    spec = load_spec("peterborough-sib")
    serial = simulate(spec, SIMS, seed=11, detail=detail)
    parallel = simulate(spec, SIMS, seed=11, detail=detail, executor=two_processes,
                        chunk_size=1024)
    _same_run(serial, parallel)


def test_capital_and_power_are_byte_identical_on_two_processes(two_processes):
    _same_capital_and_power(two_processes)


@pytest.mark.parametrize("detail", [True, False])
def test_a_portfolio_is_byte_identical_on_two_processes(two_processes, detail):
    a = run_portfolio("working-links-like", SIMS, seed=9, detail=detail)
    b = run_portfolio("working-links-like", SIMS, seed=9, detail=detail,
                      executor=two_processes, chunk_size=1024)
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], check_exact=True)


def test_a_multi_owner_portfolio_in_one_pass_is_byte_identical_on_two_processes(two_processes):
    """tr-national streamed in one pass: its 8 owners' tasks shared between two processes
    (largest first) give one process's bytes."""
    a = run_portfolio("tr-national", 1_100, seed=9, detail=False)
    b = run_portfolio("tr-national", 1_100, seed=9, detail=False, executor=two_processes,
                      chunk_size=1024)
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], check_exact=True)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as c:
        yield c


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_bytes(cluster):
    spec = load_spec("peterborough-sib")
    serial = simulate(spec, SIMS, seed=11)
    with open_executor(dask=cluster.scheduler_address) as ex:
        assert workers_of(ex) == 2
        _same_run(serial, simulate(spec, SIMS, seed=11, executor=ex, chunk_size=1024))
        a = run_portfolio("working-links-like", SIMS, seed=9, detail=False)
        b = run_portfolio("working-links-like", SIMS, seed=9, detail=False, executor=ex,
                          chunk_size=1024)
        assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


@pytest.mark.slow
def test_a_dask_cluster_spools_and_works_out_investors_as_one_process(cluster, tmp_path):
    """A streamed run's arrays and a bond's investor figures come back from the cluster's
    workers chunk by chunk and are spooled or joined in order: the tables and returns of
    a run that keeps everything in one process."""
    import numpy as np
    from pbr_model.analyses.runs import sib_investors
    from tablestext import csv_text
    spec = load_spec("ma-roca-pfs")
    kept = simulate(spec, SIMS, seed=5, detail=True)
    with open_executor(dask=cluster.scheduler_address) as ex:
        spooled = simulate(spec, SIMS, seed=5, detail=False, spool=tmp_path, chunk_size=1024,
                           executor=ex)
        chunked = simulate(spec, SIMS, seed=5, detail=False, investors=True, chunk_size=1024,
                           executor=ex)
    for name, table in kept.tables().items():
        assert csv_text(table) == csv_text(spooled.tables()[name]), name
    spooled.close()
    for a, b in zip(sib_investors(kept), sib_investors(chunked), strict=True):
        assert np.array_equal(a.irr, b.irr, equal_nan=True) and a.name == b.name


@pytest.mark.slow
def test_a_dask_cluster_splits_a_streamed_capital_run_as_one_process(cluster):
    """A streamed capital run's chunks are split between the parties on the cluster's
    workers (the split travels with each task) and folded in order: the figures, the
    parties' monthly percentiles and the bond's returns of a run in one process."""
    import numpy as np
    from pbr_model.analyses.capital import capital
    serial = capital("nyc-able-sib", sims=SIMS, seed=6, detail=False)
    with open_executor(dask=cluster.scheduler_address) as ex:
        spread = capital("nyc-able-sib", sims=SIMS, seed=6, detail=False, chunk_size=1024,
                         executor=ex)
    assert json.dumps(serial.to_dict(), sort_keys=True) == \
        json.dumps(spread.to_dict(), sort_keys=True)
    for a, b in zip(serial.parties, spread.parties, strict=True):
        for label, values in a.month_columns.items():
            assert np.array_equal(values, b.month_columns[label]), label
    for a, b in zip(serial.tranche_figures, spread.tranche_figures, strict=True):
        assert np.array_equal(a.irr, b.irr, equal_nan=True)


@pytest.mark.slow
def test_the_cli_gives_the_same_json_for_any_workers_or_a_cluster(cli, cluster):
    args = ["simulate", "peterborough-sib", "--sims", str(SIMS)]
    one = cli.json(*args)
    two = cli.json(*args, "--workers", "2", "--chunk-size", "1024")
    dask = cli.json(*args, "--dask", cluster.scheduler_address)
    assert one == two == dask
    port = ["capital", "working-links-like", "--sims", "2000"]
    assert cli.json(*port) == cli.json(*port, "--workers", "2")


def test_the_cli_runs_on_threads_by_default_and_any_count_gives_the_same_json(cli):
    args = ["simulate", "peterborough-sib", "--sims", str(SIMS)]
    assert cli.json(*args) == cli.json(*args, "--threads", "1") \
        == cli.json(*args, "--threads", "3", "--chunk-size", "1024")
    port = ["capital", "working-links-like", "--sims", "1500"]
    assert cli.json(*port) == cli.json(*port, "--threads", "1")


@pytest.fixture
def executors(monkeypatch):
    """What each ``pbr capital`` run asked ``executor_for`` for: (workers, dask, threads)."""
    from pbr_model.cli import capital as capital_cli
    seen, real = [], capital_cli.executor_for
    monkeypatch.setattr(capital_cli, "executor_for",
                        lambda w, d, t=None: (seen.append((w, d, t)), real(w, d, t))[1])
    return seen


def test_a_portfolio_runs_on_worker_processes_one_per_core_unless_asked(cli, executors,
                                                                        monkeypatch):
    from pbr_model.cli import capital as capital_cli
    port = ["capital", "working-links-like", "--sims", "300"]
    default = cli.json(*port)
    assert cli.json(*port, "--threads", "1") == default   # the same bytes in this process
    cli.json(*port, "--threads", "2")
    cli.json(*port, "--workers", "1")
    cli.json("capital", "--sims", "300")                  # a contract: threads, as ever
    most = min(cores(), capital_cli.AUTO_WORKERS)
    assert executors == [(most, None, 1), (1, None, 1), (1, None, 2), (1, None, 1),
                         (1, None, None)]
    monkeypatch.setattr(capital_cli, "cores", lambda: 3)   # a machine with 3 cores
    cli.json(*port)
    assert executors[-1] == (min(3, capital_cli.AUTO_WORKERS), None, 1)


def test_a_portfolio_stays_in_this_process_where_workers_cannot_start_or_dask_is_asked(
        cli, monkeypatch):
    """Where the system has no semaphores for a pool's queues (some sandboxes), the default
    runs in this process; with --dask the cluster's workers do the work, as asked."""
    import contextlib
    from pbr_model import parallel
    from pbr_model.cli import capital as capital_cli
    seen = []
    monkeypatch.setattr(capital_cli, "executor_for",   # records, then runs here
                        lambda w, d, t=None: (seen.append((w, d, t)), contextlib.nullcontext())[1])
    port = ["capital", "working-links-like", "--sims", "300"]
    default = cli.json(*port)
    monkeypatch.setattr(capital_cli, "cores", lambda: 2)

    def no_semaphores():
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(parallel, "_context", lambda: type("C", (), {"Lock": no_semaphores}))
    assert not parallel.workers_can_start()
    assert cli.json(*port) == default
    monkeypatch.setattr(parallel, "_reachable", lambda *a, **k: None)   # a scheduler there
    assert cli.json(*port, "--dask", "tcp://127.0.0.1:8786") == default
    assert seen[1:] == [(1, None, 1), (1, "tcp://127.0.0.1:8786", 1)]


def test_fewer_workers_run_a_portfolio_when_the_memory_is_short(cli, executors,
                                                               monkeypatch):
    """Each process holds a chunk and an interpreter: the default takes the most workers
    whose estimate fits, one if none does (and then the memory check says what fits)."""
    from pbr_model import memory
    from pbr_model.analyses.portfolio import load_portfolio
    from pbr_model.cli import capital as capital_cli
    from pbr_model.cli.options import Outputs
    monkeypatch.setattr(capital_cli, "cores", lambda: 4)
    outputs, shocks = Outputs(None, None, None, False), (0.0, None, None)

    def need(name, sims, workers):   # the estimate the default compares with the memory
        portfolio = load_portfolio(name)
        machine = {"workers": workers, "threads": 1}
        detail, held = capital_cli.portfolio_plan(portfolio, sims, machine, False, outputs,
                                                  shocks)
        return memory.estimate([a.spec.spec for a in portfolio.areas], sims, "portfolio",
                               8192, detail, held=held, **machine)

    national = load_portfolio("tr-national")
    n = [None, *(need("tr-national", 20_000, w) for w in (1, 2, 3, 4))]
    assert n[1] < n[2] < n[3] < n[4]
    for available, workers in ((n[4], 4), (n[3], 3), (n[3] - 1, 2), (n[2] - 1, 1), (None, 4)):
        assert capital_cli.auto_workers(national, 20_000, 8192, outputs, shocks,
                                        available) == workers
    short = need("working-links-like", 300, 2) - 1     # room for one process, not two
    asked = []
    monkeypatch.setattr(memory, "available_memory", lambda: asked.append(1) or short)
    cli.json("capital", "working-links-like", "--sims", "300")
    assert asked == [1]   # read once: the choice and the check see the same memory
    assert executors[-1] == (1, None, 1)   # one process: its estimate fitted


@pytest.mark.parametrize("args, message", [
    (["--threads", "0"], "Error: --threads: must be a whole number from 1 to 256 (got 0)"),
    (["--threads", "2", "--workers", "2"], "Error: --threads and --workers: give one of them"),
    (["--workers", "0"], "Error: --workers: must be a whole number from 1 to 256 (got 0)"),
    (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "Error: --workers and --dask: give one"),
    (["--dask", ""], "Error: --dask: the address of a Dask scheduler"),
])
@pytest.mark.parametrize("command", [["simulate"], ["capital"], ["power"],
                                     ["breakeven", "--solve", "effect"],
                                     ["capital", "working-links-like"]])
def test_bad_executor_flags_exit_2(cli, command, args, message):
    result = cli.run(*command, *args, "--sims", "10")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert message in result.output


def test_no_scheduler_there_is_one_error_line(cli, monkeypatch):
    pytest.importorskip("distributed")
    result = cli.run("simulate", "--sims", "10", "--dask", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "Error: --dask: cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'" in result.output


def test_without_dask_installed_the_extra_is_named(cli, monkeypatch):
    import builtins
    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_dask)
    result = cli.run("simulate", "--sims", "10", "--dask", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "pip install 'pbr-model[dask]'" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_with_workers_is_one_line_and_leaves_no_worker(sig, code):
    """The signal to the whole process group (as a terminal's Ctrl-C sends it): the
    command says so in one line; the workers neither print tracebacks nor outlive it."""
    proc = subprocess.Popen([PBR, "simulate", "--sims", "400000", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_children(proc.pid)) < 2:
        time.sleep(0.1)
    workers = _children(proc.pid)
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(1.0)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("Interrupted"), err
    time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()
                and "zombie" not in Path(f"/proc/{w}/status").read_text()]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _dies(i):
    if i == 1:
        os._exit(9)      # as the system's out-of-memory killer would end it
    return i


def test_a_worker_that_dies_is_one_clear_error():
    with open_executor(2) as ex:
        with pytest.raises(InputError, match="a worker process died before its chunk was done"):
            list(ordered_results(_dies, [(i,) for i in range(4)], ex))


def test_with_workers_a_run_is_cut_so_the_workers_finish_together(two_processes):
    from pbr_model.parallel import chunk_for
    assert chunk_for(None, 2_000, 8192) == 8192
    assert chunk_for(two_processes, 2_000, 8192) == 1024      # 2 blocks: one each
    assert chunk_for(two_processes, 10_000, 8192) == 5120     # 10 blocks: 5 each, not 6 and 4
    assert chunk_for(two_processes, 20_000, 8192) == 5120     # 20 blocks: 4 chunks
    assert chunk_for(two_processes, 100_000, 8192) == 7168    # 98 blocks: 14 chunks of 7, not
    assert chunk_for(two_processes, 100_000, 4096) == 4096    # 13 of 8; never above the size
    with ThreadPoolExecutor(3) as three:                     # 10 blocks: 4, 4, 2
        assert chunk_for(three, 10_000, 8192) == 4096


@pytest.mark.parametrize("address", ["notanaddress", "http://127.0.0.1:8786", "tcp://127.0.0.1"])
def test_a_malformed_dask_address_is_said_at_once(cli, address):
    pytest.importorskip("distributed")
    start = time.monotonic()
    result = cli.run("simulate", "--sims", "10", "--dask", address)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--dask: the address of a Dask scheduler as tcp://HOST:PORT" in result.stderr
    assert time.monotonic() - start < 5


@contextlib.contextmanager
def _listener(reply: bytes | None):
    """A TCP port on this machine whose server accepts and then sends ``reply`` (None:
    says nothing, as a stuck or foreign service would), held open until the block ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                held.append(conn)
                if reply is not None:
                    conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()


def test_something_that_answers_but_is_not_dask_is_said_in_one_line(cli):
    """A web server (e.g. the dashboard's port) answers at once but not as a scheduler:
    one line, exit code 2, no "out of memory" (0.13.0's reading of the client's garbled
    frame sizes) and no traceback."""
    pytest.importorskip("distributed")
    with _listener(b"HTTP/1.0 400 Bad Request\r\n\r\n" + b"\xff" * 64) as address:
        start = time.monotonic()
        result = cli.run("simulate", "--sims", "10", "--dask", address)
        assert time.monotonic() - start < 5
    lines = cli.error(result, f"--dask: something answers at '{address}' but not as a Dask "
                      "scheduler does (its first bytes are b'HTTP/1.0')", "8786", lines=1)
    assert "memory" not in lines[0]


def test_something_that_answers_and_says_nothing_is_bounded():
    """A listener that never speaks (0.13.0's client waited on it without end): refused
    after the probe's timeout, however long the service would keep quiet."""
    from pbr_model.parallel import _reachable
    with _listener(None) as address:
        start = time.monotonic()
        with pytest.raises(InputError, match="no greeting within 0.5 s"):
            _reachable(address, "--dask", timeout=0.5)
        assert time.monotonic() - start < 3


@pytest.mark.slow
def test_a_real_scheduler_passes_the_greeting_check(cluster):
    from pbr_model.parallel import _reachable
    _reachable(cluster.scheduler_address, "--dask")
