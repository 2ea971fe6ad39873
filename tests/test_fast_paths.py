"""Faster ways to the same numbers (issue 15): each gives exactly, bit for bit, what the
slower way it replaced gives, on ordinary values and on the awkward ones (signed zeros,
NaN, infinities, overflow)."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model.engine import LIGHT_COLUMNS, run_blocks
from pbr_model.outcomes import ratio
from pbr_model.rng import BLOCK, block_rng
from pbr_model.spec import load_spec, validate
from pbr_model.spec.load import bundled_dir
from pbr_model.spec.reading import read_toml
from pbr_model.stats import band_sum
from pbr_model.timeline import Timeline

AWKWARD = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324,
                    0.1, 1 / 3, 2.0**53, 1e-17])


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("bands", range(1, 10))
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_band_sum_is_numpy_sum_bit_for_bit(bands, dtype):
    rng = np.random.default_rng(bands)
    if dtype == np.float64:
        a = rng.standard_normal((513, 7, bands)) * rng.lognormal(0, 20, (513, 7, bands))
        a.ravel()[: 4 * bands * 7] = rng.choice(AWKWARD, 4 * bands * 7)  # every awkward mix
    else:
        a = rng.integers(-10**6, 10**6, (513, 7, bands))
    with np.errstate(all="ignore"):
        assert _same(band_sum(a), a.sum(axis=-1))
        view = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, -1, 0)), 0, -1)  # strided
        assert _same(band_sum(view), view.sum(axis=-1))


def test_band_sum_of_all_negative_zeros_is_positive_zero_as_numpy_gives():
    a = np.full((3, 2, 3), -0.0)
    assert _same(band_sum(a), a.sum(axis=-1))
    assert not np.signbit(band_sum(a)).any()


@pytest.mark.parametrize("a", [np.ones((4, 0)), np.array([True, False, True]),
                               np.ones((2, 3), dtype=np.float32), np.arange(3.0)])
def test_band_sum_leaves_other_arrays_to_numpy(a):
    assert _same(band_sum(a), a.sum(axis=-1))


def _ratio_as_it_was(num, den):
    some = den > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(some, np.true_divide(num, den), np.nan)


@pytest.mark.parametrize("num, den", [
    (np.arange(12.0).reshape(3, 4), np.arange(1, 13).reshape(3, 4)),
    (np.arange(12.0).reshape(3, 4), np.arange(12).reshape(3, 4)),          # a zero
    (np.arange(12).reshape(3, 4), np.array([3, 0, -1, 2])),                # broadcast, < 0
    (1, np.array([[2, 4], [8, 0]])),
    (np.array([[1.0], [2.0]]), np.array([3.0, np.nan])),                   # NaN den
    (np.array(5.0), np.array(2.0)), (np.array(5.0), np.array(0.0)),       # 0-d
    (AWKWARD, np.abs(AWKWARD[::-1])),
])
def test_ratio_is_what_it_was(num, den):
    assert _same(ratio(num, den), _ratio_as_it_was(num, den))


@pytest.mark.parametrize("contract", ["tr-crc-example", "peterborough-sib", "doncaster-pbr",
                                      "nyc-able-sib", "nys-ceo-pfs", "ma-roca-pfs"])
def test_a_light_record_is_the_full_records_money(contract):
    spec = load_spec(contract).spec
    timeline = Timeline.from_spec(spec)
    blocks = [(block_rng(7, b), None, None) for b in range(2)]
    full = run_blocks(spec, timeline, blocks, BLOCK + 100)
    light = run_blocks(spec, timeline, [(block_rng(7, b), None, None) for b in range(2)],
                       BLOCK + 100, columns="light")
    assert set(light) == set(LIGHT_COLUMNS)
    for name in LIGHT_COLUMNS:
        assert _same(light[name], full[name]), name


@pytest.mark.parametrize("termination", [
    {"break_month": 12, "in_flight": "unpaid", "compensation": 5_000},
    {"break_month": 13, "in_flight": "paid"}])
def test_a_light_record_under_termination_is_the_full_records_money(termination):
    """A contract stopped early keeps the same money light: its lapsed payments and
    compensation are in it, the cohorts not served out of it."""
    data = read_toml(bundled_dir() / "tr_crc_example.toml")
    spec = validate({**data, "termination": termination})
    timeline = Timeline.from_spec(spec)
    full = run_blocks(spec, timeline, [(block_rng(3, 0), None, None)], 300)
    light = run_blocks(spec, timeline, [(block_rng(3, 0), None, None)], 300, columns="light")
    assert full["terminated"].all()
    for name in LIGHT_COLUMNS:
        assert _same(light[name], full[name]), name


def test_a_toml_text_read_again_is_a_fresh_copy_of_the_same_data(tmp_path):
    """read_toml keeps what it parsed by the text's hash: a second read gives equal data
    that the first reader's changes did not touch, and a changed file is parsed anew."""
    from pbr_model.spec.reading import read_toml
    path = tmp_path / "c.toml"
    path.write_text('[contract]\nname = "x"\nrates = [0.1, 0.2]\n')
    first = read_toml(path)
    first["contract"]["rates"].append(9.0)
    first["contract"]["name"] = "changed"
    again = read_toml(path)
    assert again == {"contract": {"name": "x", "rates": [0.1, 0.2]}}
    assert again is not read_toml(path)
    path.write_text('[contract]\nname = "y"\n')
    assert read_toml(path) == {"contract": {"name": "y"}}


def test_a_bad_toml_text_is_refused_every_time_it_is_read(tmp_path):
    from pbr_model.errors import SpecError
    from pbr_model.spec.reading import read_toml
    path = tmp_path / "bad.toml"
    path.write_text("[contract\n")
    for _ in range(2):
        with pytest.raises(SpecError, match="not valid TOML"):
            read_toml(path)


@pytest.mark.parametrize("kind", ["normal", "whole", "signed zeros and ties", "tenths"])
def test_percentiles_are_numpys_bit_for_bit(kind):
    """``stats.percentiles`` (one partition, no ``np.unique``) gives ``np.percentile``'s
    numbers exactly: 3,000 samples of 1-400 values per kind, at the summary's 5, 50 and 95
    and at random ranks with both ends; signed zeros among ties included (numpy's partition
    of the same order statistics decides which zero is picked, so the sign must match)."""
    from pbr_model.stats import percentiles
    rng = np.random.default_rng(["normal", "whole", "signed zeros and ties",
                                 "tenths"].index(kind))
    for t in range(3000):
        n = int(rng.integers(1, 400))
        v = rng.normal(0, 10.0 ** rng.integers(-5, 9), n)
        if kind == "whole":
            v = np.round(v)
        elif kind == "signed zeros and ties":
            v = rng.choice([0.0, -0.0, 1.5, -3.25, 1e6], n)
        elif kind == "tenths":
            v = rng.integers(-5, 5, n) * 0.1
        qs = [5, 50, 95] if t % 2 else [*rng.uniform(0, 100, 3), 0, 100]
        assert _same(np.array(percentiles(v, qs)), np.percentile(v, qs)), (n, qs)


def test_percentiles_outside_0_to_100_are_refused_as_numpy_refuses_them():
    from pbr_model.stats import percentiles
    for q in (-5, 101):
        with pytest.raises(ValueError, match="from 0 to 100"):
            percentiles(np.arange(10.0), [50, q])
        with pytest.raises(ValueError):
            np.percentile(np.arange(10.0), [50, q])


NOISE_READS = ("outcome", "triggered")   # and each payer's four columns (engine.PAYER_COLUMNS)


def _at_no_effect(spec, sims, seed, **kw):
    """The columns a run at no effect is read for, both ways: in full and alone."""
    from pbr_model.analyses.runs import sim_columns_at_no_effect
    from pbr_model.analyses.simulate import simulate
    from pbr_model.scenarios import with_effect
    full = simulate(with_effect(spec, 0.0), sims, seed, **kw).sim_columns
    alone = sim_columns_at_no_effect(spec, sims, seed, **kw)
    return full, alone


def _payer_names(columns) -> list[str]:
    return [k.split(":", 1)[1] for k in columns if k.startswith("triggered_for:")]


def _same_columns(alone, full) -> None:
    """``alone`` holds what paid-for-noise reads, each bit for bit the full run's."""
    payers = _payer_names(alone)
    assert set(alone) == {*NOISE_READS, *(f"{c}:{p}" for p in payers for c in
                                          ("paid_by", "outcome_paid_by", "cap_binds",
                                           "triggered_for"))}
    for name in alone:
        assert _same(alone[name], full[name]), name


@pytest.mark.parametrize("contract", ["tr-crc-example", "tr-crc-any-cut", "peterborough-sib",
                                      "doncaster-pbr", "nyc-able-sib", "nys-ceo-pfs",
                                      "ma-roca-pfs"])
def test_the_columns_at_no_effect_alone_are_the_full_runs(contract):
    """Capital's run at no effect computes only what paid-for-noise reads: the same
    numbers, bit for bit, as the full run's columns (payers' columns included: NYS CEO
    and Roca split payments between payers; NYC ABLE stops early)."""
    spec = load_spec(contract).spec
    full, alone = _at_no_effect(spec, 1500, 11, chunk_size=1024)
    assert (len(_payer_names(alone)) > 0) == (contract in ("nys-ceo-pfs", "ma-roca-pfs"))
    _same_columns(alone, full)


@pytest.mark.parametrize("kw", [
    {"volume_shock": 0.3},
    {"paid_volume_shock": 0.2, "caseload_shock": -0.1},
    {"draws": "approx"},
    {"chunk_size": 5000},
])
def test_the_columns_at_no_effect_alone_under_shocks_draws_and_chunks(kw):
    spec = load_spec("nys-ceo-pfs").spec
    full, alone = _at_no_effect(spec, 2100, 4, **kw)
    assert _payer_names(alone)
    _same_columns(alone, full)


@pytest.mark.parametrize("extra", [
    {"termination": {"break_month": 12, "in_flight": "unpaid", "compensation": 5_000}},
    {"termination": {"break_month": 13, "in_flight": "paid"}},
    {"renegotiation": [{"month": 20, "net_below": 0.0, "lump_sum": 40_000,
                        "price_factor": 1.5}]},
])
def test_the_columns_at_no_effect_alone_when_stopped_or_renegotiated(extra):
    """Lapsed payments, compensation and a renegotiated outcome price (triggered on net
    cash, so read from the costs) move the outcome column the same way alone as in full."""
    data = read_toml(bundled_dir() / "tr_crc_example.toml")
    if "renegotiation" in extra:   # the price of the contract's outcome mechanism
        outcome = next(m["name"] for m in data["payments"] if m["type"] == "outcome")
        extra = {"renegotiation": [{**extra["renegotiation"][0], "payment": outcome}]}
    spec = validate({**data, **extra})
    full, alone = _at_no_effect(spec, 1200, 9)
    assert full["renegotiated"].any() if "renegotiation" in extra else full["terminated"].all()
    _same_columns(alone, full)


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_the_columns_at_no_effect_alone_on_an_executor(kind):
    """On threads or worker processes, in chunks of 1,024: what one thread's full run
    gives."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
    spec = load_spec("ma-roca-pfs").spec
    pool = (ThreadPoolExecutor(2) if kind == "threads" else
            ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")))
    with pool:
        full, alone = _at_no_effect(spec, 2500, 6, chunk_size=1024, executor=pool)
    serial_full, _ = _at_no_effect(spec, 2500, 6)
    _same_columns(alone, full)
    _same_columns(alone, serial_full)
