"""benchmarks/bench_bound.py: the draws of a run are recorded and replayed exactly, and
the script runs end to end on a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- bench_compiled_financing.py: a compiled kernel's feasibility ------------------------------

@pytest.fixture(scope="module")
def compiled_financing():
    return script("benchmarks", "bench_compiled_financing")


def _financings():
    from pbr_model.finance.cash import Financing, Source
    yield Financing((Source("reserves", 3e5, 0.08, cash_rate=0.02),
                     Source("credit", 5e5, 0.10, 0.01)), 0.12)       # a provider's usual
    yield Financing((Source("credit", 2e5, 0.05, 0.02),
                     Source("reserves", 1e5, 0.08, cash_rate=0.0)), 0.12)  # credit first
    yield Financing((Source("reserves", 0.0, 0.08),
                     Source("credit", 0.0, 0.08)), 0.10)             # none: new capital only
    yield Financing((Source("facility", 4e5, 0.09, 0.015, cash_rate=0.03),
                     Source("credit", 3e5, 0.11, 0.01, cash_rate=0.07)), 0.14)  # fees and costs


@pytest.mark.parametrize("k", range(4))
def test_the_kernel_in_plain_python_gives_numpy_s_bytes(compiled_financing, k):
    """The kernel (uncompiled here: CI has no Numba) carries a balance as financed_balance
    does, bit for bit: months of no flow (a balance of exactly 0, whose -0.0 numpy's maximum
    makes 0.0), balances that reach a source's bound exactly, NaN and the sources in either
    order."""
    from pbr_model.finance.cash import financed_balance
    financing = list(_financings())[k]
    rng = np.random.default_rng(k)
    net = rng.normal(-3e4, 8e4, (200, 40))             # every source drawn, and beyond
    net[:, :3] = 0.0                                   # nothing in the first months
    net[:5, 3] = -financing.sources[0].size            # exactly the first source's size
    net[5, 4:] = np.nan
    reference = financed_balance(net, financing)
    kernel = compiled_financing.financing_kernel.balance_kernel
    mine = compiled_financing.kernel_balance(kernel, net, financing)
    assert compiled_financing.same_bytes(reference, mine) == []
    # and the check notices a difference
    mine.by_month[7, 11] += 1.0
    assert compiled_financing.same_bytes(reference, mine) == ["balance"]


@st.composite
def financing_cases(draw):
    """Random flows and financings: any number of sources, commitment and upfront fees,
    reserves whose cash rate is below their cost, sizes per simulation, a tracked lender."""
    from pbr_model.finance.cash import Financing, Source
    n, months, k = draw(st.integers(1, 7)), draw(st.integers(0, 30)), draw(st.integers(0, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    net = np.round(rng.normal(-2e5, 1e6, (n, months)), draw(st.sampled_from([0, 2])))
    net[rng.random((n, months)) < 0.2] = 0.0           # months of no flow
    rates, fees = st.sampled_from([0.0, 0.03, 0.05, 0.08, 0.12]), st.sampled_from([0.0, 0.01])
    sources = []
    for j in range(k):
        size = (rng.choice([0.0, 5e5, 2e6], n) if draw(st.booleans())
                else float(draw(st.sampled_from([0.0, 5e5, 1e6, 3e6]))))
        sources.append(Source(f"s{j}", size, draw(rates), draw(fees), draw(fees),
                              draw(st.one_of(st.none(), rates))))
    return net, Financing(tuple(sources), draw(rates)), draw(
        st.sampled_from([None, *[s.name for s in sources]]))


@settings(max_examples=300, deadline=None)
@given(financing_cases())
def test_the_kernel_gives_numpy_s_bytes_on_any_financing(compiled_financing, case):
    """Every output, byte for byte, on every kind of financing the model makes (the
    measurement is of the same computation, or it measures nothing)."""
    from pbr_model.finance.cash import financed_balance
    net, financing, track = case
    kernel = compiled_financing.financing_kernel.financed(
        compiled_financing.financing_kernel.balance_kernel)
    assert compiled_financing.same_bytes(financed_balance(net, financing, track),
                                         kernel(net, financing, track)) == []


def test_without_numba_the_script_says_what_it_needs(tmp_path):
    """pbr-model does not depend on Numba: where it is not installed the script says so and
    exits 2 (a stand-in module that fails to import plays its absence where it is)."""
    (tmp_path / "numba.py").write_text("raise ImportError('no numba here')\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "bench_compiled_financing.py")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pip install numba" in proc.stderr and "does not depend" in proc.stderr
