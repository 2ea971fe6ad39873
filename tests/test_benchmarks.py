"""benchmarks/bench_bound.py: the draws of a run are recorded and replayed exactly, and
the script runs end to end on a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pbr_model.rng as rng_module
from scripts import script

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_bound():
    return script("benchmarks", "bench_bound")


def test_a_run_s_draws_are_recorded_and_replay_to_the_same_numbers(bench_bound):
    with bench_bound.recording() as rec:
        bench_bound.run_in_process(["simulate", "tr-crc-example", "--sims", "30", "--json"])
    assert rng_module.np is np  # numpy given back to the rng module
    assert len(rec.draws) > 0
    methods = {d.method for d in rec.draws}
    assert {"standard_normal", "poisson", "multinomial", "binomial"} <= methods
    # one block: its normals and its counts come from two generators of their own
    assert {key[1] for key in rec.seeds} >= {(0,), (0, rng_module.COUNTS)}
    wall, cpu = bench_bound.replay(rec, check=True)
    assert wall > 0 and cpu > 0
    # a changed draw is caught
    rec.draws[0].fingerprint = ((), "float64", 0)
    with pytest.raises(AssertionError, match="differs"):
        bench_bound.replay(rec, check=True)


def test_a_seed_s_generator_made_twice_replays_from_its_start_each_time(bench_bound):
    """capital runs the contract twice on one seed (the second at effect 0)."""
    with bench_bound.recording() as rec:
        bench_bound.run_in_process(["capital", "tr-crc-example", "--sims", "30", "--json"])
    spawn_keys = [key[1] for key in rec.seeds]
    assert spawn_keys.count((0,)) >= 2
    bench_bound.replay(rec, check=True)


def test_a_generator_repeating_an_earlier_ones_draws_is_counted_once(bench_bound):
    """tr-national's owners (8) each draw a block's national trend again in their own
    task: the bound counts those numbers once."""
    with bench_bound.recording() as rec:
        bench_bound.run_in_process(bench_bound.serial(["capital", "tr-national", "--sims", "30",
                                                       "--json"]))
    kept = bench_bound.distinct_generators(rec)
    national = [k for k in rec.seeds if k[1][:2] == (0, 0)]   # block 0, stream 0 (and child)
    per_owner = len(national) // 8
    assert per_owner >= 1 and len(national) == 8 * per_owner
    assert len(rec.seeds) - len(kept) == 7 * per_owner
    assert sum(k in kept for k in national) == per_owner
    bench_bound.replay(rec, check=True)


def test_the_draws_are_recorded_from_a_serial_run(bench_bound):
    argv = ["capital", "x", "--workers=2", "--json", "--workers", "2", "--dask", "tcp://h:1"]
    assert bench_bound.serial(argv) == ["capital", "x", "--json", "--workers", "1"]


@pytest.mark.slow  # three subprocesses with their start-up: about 5-8 s
def test_the_script_prints_the_bound_table_on_a_tiny_run():
    out = subprocess.run([sys.executable, str(BENCHMARKS / "bench_bound.py"), "--sims", "5",
                          "--repeats", "1"], capture_output=True, text=True, timeout=300,
                         cwd=BENCHMARKS)
    assert out.returncode == 0, out.stderr
    assert "draw calls on" in out.stdout
    assert "ratio end to end / bound" in out.stdout
    assert "| nan |" not in out.stdout  # the CLI was found and timed


@pytest.fixture(scope="module")
def bench_free():
    return script("benchmarks", "bench_free_draws")


def test_free_counts_are_the_expected_counts_rounded(bench_free):
    sampler = bench_free.free_counts_sampler()(np.random.default_rng(1))
    n = np.array([[100.0, 7.0], [0.0, 1234.0]])
    assert np.array_equal(sampler.binomial(n, 0.3), np.rint(n * 0.3))
    assert np.array_equal(sampler.poisson(n * 0.5), np.rint(n * 0.5))
    assert np.array_equal(sampler.negative_binomial_sum(n, 1.5, 2.25), np.rint(n * 2.25))
    rows = sampler.multinomial(n, np.array([0.25, 0.35, 0.25, 0.15]))
    assert rows.shape == (2, 2, 4)
    assert np.array_equal(rows.sum(axis=-1), n)   # each row keeps its total
    assert np.all(rows >= 0)
    assert np.array_equal(sampler.gamma_sum(n, 12.0, 3.0), n * 12.0)


def test_a_free_counts_run_draws_normals_and_no_counts(bench_free, bench_bound, monkeypatch):
    import pbr_model.engine as engine
    with bench_bound.recording() as rec:
        monkeypatch.setattr(engine, "sampler_for", bench_free.free_sampler_for)
        bench_bound.run_in_process(["capital", "tr-crc-example", "--sims", "30", "--json"])
        monkeypatch.undo()
    methods = {d.method for d in rec.draws}
    assert "standard_normal" in methods    # effects, trend and volumes drawn as usual
    assert not methods & {"binomial", "poisson", "multinomial", "gamma"}
    with bench_bound.recording() as rec:   # the engine's own sampler back: counts drawn
        bench_bound.run_in_process(["capital", "tr-crc-example", "--sims", "30", "--json"])
    assert {"binomial", "poisson", "multinomial"} <= {d.method for d in rec.draws}


def test_the_free_draws_script_prints_its_table_on_a_tiny_run():
    out = subprocess.run([sys.executable, str(BENCHMARKS / "bench_free_draws.py"), "--args",
                          "simulate --sims 20 --workers 2"], capture_output=True, text=True,
                         timeout=300, cwd=BENCHMARKS)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert len(lines) == 4   # the header and the three runs
    assert "free (their expected values)" in out.stdout
    assert "Against a floor" not in out.stdout   # no floor for another run than the default
