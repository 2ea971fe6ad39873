"""``capital`` of one contract streamed (:mod:`pbr_model.analyses.capital_stream`): the same
per-simulation figures, summaries, facilities, investors and commissioner's view as a run
that keeps its arrays, the parties' monthly percentiles within the sketch's bound, the plan
and the facility from the first PLAN_SIMS simulations, and memory that no longer grows with
the months."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from pbr_model import load_spec, memory
from pbr_model.analyses import parties as parties_module
from pbr_model.analyses.capital import capital
from pbr_model.analyses.capital_stream import split_chunk
from pbr_model.finance.capital import facility_summary
from pbr_model.stats import PERCENTILES
from pbr_model.timeline import Timeline
from sketchbound import within_sketch_bound


def _json(result) -> str:
    return json.dumps(result.to_dict(), default=str, sort_keys=True)


def _same_plan(*plans) -> None:
    """The plans' means and monthly sums equal, bit for bit (``Plan``'s own ``==`` leaves
    the monthly arrays out)."""
    first = plans[0]
    for other in plans[1:]:
        assert (other.fee, other.outcome, other.entrants) == \
            (first.fee, first.outcome, first.entrants)
        np.testing.assert_array_equal(other.fee_by_month, first.fee_by_month)
        np.testing.assert_array_equal(other.starters_by_month, first.starters_by_month)


def _balances(kept) -> list[np.ndarray]:
    """Each party's monthly balance after financing in a kept run ``(sims, months)``, split
    again as the run split it."""
    r = kept.result
    sib = r.spec.sib if kept.mode == "chain" else None
    return split_chunk([p.seat for p in kept.parties], kept.mode, kept.plan, sib, r.cash_in,
                       r.outcome_in, r.cash_out, r.cohort_columns["entrants"],
                       r.timeline).balance


def _same_parties(kept, streamed) -> None:
    """Every party's per-simulation figures equal, bit for bit; its monthly mean equal to
    rounding and its percentiles within the sketch's bound (docs/scaling.md: ALPHA of the
    larger order statistic the exact percentile interpolates, plus ZERO)."""
    assert kept.result.detail and not streamed.result.detail
    for a, b, balance in zip(kept.parties, streamed.parties, _balances(kept), strict=True):
        for name, value in vars(a.figures).items():
            other = getattr(b.figures, name)
            if isinstance(value, dict):
                for k in value:
                    np.testing.assert_array_equal(value[k], other[k])
            else:
                np.testing.assert_array_equal(value, other)
        assert a.summary == b.summary and a.facility == b.facility
        np.testing.assert_allclose(b.month_columns["mean"], a.month_columns["mean"],
                                   rtol=1e-12, atol=1e-6)
        for label in PERCENTILES:    # the kept run's exact percentiles of that balance
            np.testing.assert_array_equal(a.month_columns[label],
                                          np.percentile(balance, PERCENTILES[label], axis=0))
        within_sketch_bound(b.month_columns, balance, b.seat.name)


@pytest.mark.parametrize("spec, kwargs", [
    ("tr-crc-example", {}),                                            # prime and chain
    ("tr-crc-example", {"providers": ["small-charity", "national-prime"]}),
    ("nyc-able-sib", {}),                                              # a bond and guarantee
    ("peterborough-sib", {"volume_shock": 0.3}),                       # a shocked run's plan
    ("ma-roca-pfs", {"draws": "approx"}),
])
def test_a_streamed_capital_run_gives_the_kept_run_s_figures(spec, kwargs):
    kept = capital(spec, sims=2500, seed=11, detail=True, **kwargs)
    streamed = capital(spec, sims=2500, seed=11, detail=False, **kwargs)
    assert _json(kept) == _json(streamed)       # summaries, investors, commissioner, plan
    _same_parties(kept, streamed)
    for a, b in zip(kept.tranche_figures, streamed.tranche_figures):
        np.testing.assert_array_equal(a.irr, b.irr)
        np.testing.assert_array_equal(a.received, b.received)


def test_the_plan_and_facility_come_from_the_first_plan_sims(monkeypatch):
    """Above PLAN_SIMS a run, kept or streamed, plans on its first PLAN_SIMS simulations
    (those of a run of PLAN_SIMS: the same blocks) and sizes each facility on them."""
    monkeypatch.setattr(parties_module, "PLAN_SIMS", 1024)
    first = capital("tr-crc-example", sims=1024, seed=3, commissioner=False, detail=True)
    kept = capital("tr-crc-example", sims=3000, seed=3, commissioner=False, detail=True)
    streamed = capital("tr-crc-example", sims=3000, seed=3, commissioner=False, detail=False)
    _same_plan(kept.plan, first.plan, streamed.plan)
    for k, party in enumerate(kept.parties):
        own = facility_summary(party.net_flow[:1024], party.seat.profile)
        assert party.facility == own == streamed.parties[k].facility
        assert party.facility == first.parties[k].facility
    # the rest of the run is read: its figures are its own, not the first simulations'
    assert kept.parties[0].summary != first.parties[0].summary


def test_a_shocked_run_plans_on_the_unshocked_contract():
    """A volume shock does not move the plan: it is the unshocked run's."""
    plain = capital("tr-crc-example", sims=1500, seed=4, commissioner=False)
    shocked = capital("tr-crc-example", sims=1500, seed=4, commissioner=False,
                      volume_shock=0.3, detail=False)
    _same_plan(shocked.plan, plain.plan)


def test_two_worker_processes_give_the_same_streamed_figures():
    serial = capital("nyc-able-sib", sims=3000, seed=8, detail=False, chunk_size=1024)
    with ProcessPoolExecutor(2) as pool:
        parallel = capital("nyc-able-sib", sims=3000, seed=8, detail=False, chunk_size=2048,
                           executor=pool)
    assert _json(serial) == _json(parallel)
    for a, b in zip(serial.parties, parallel.parties):
        for label in ("mean", *PERCENTILES):
            np.testing.assert_array_equal(a.month_columns[label], b.month_columns[label])


@pytest.mark.parametrize("sims", [20_000, 1_000_000])     # kept, streamed
def test_further_parties_and_the_parties_table_are_counted_in_the_estimate(sims):
    """Each party beyond the three the capital factors were fitted with adds its own
    per-simulation bytes (kept: its figures and two numbers a month; streamed:
    EXTRA_PARTY_STREAMED, and PARTY_SKETCH for its balance sketch), and writing tables the
    parties' table; fewer parties take off only their sketches, and no other command
    counts them."""
    spec = load_spec("tr-crc-example").spec
    n_months = Timeline.from_spec(spec).n_months
    base = memory.estimate([spec], sims, "capital")
    streamed = memory.streams([spec], sims)
    per = memory.EXTRA_PARTY_STREAMED if streamed else 8 * (2 * n_months + 16)
    sketch = memory.PARTY_SKETCH if streamed else 0
    assert memory.estimate([spec], sims, "capital", parties=8) - base == \
        pytest.approx(sims * 5 * per + 5 * sketch, abs=1)
    assert base - memory.estimate([spec], sims, "capital", parties=1) == \
        pytest.approx(2 * sketch, abs=1)
    assert memory.estimate([spec], sims, "capital", tables=True) - base == \
        pytest.approx(sims * 3 * memory.PARTY_TABLE, abs=1)
    assert memory.estimate([spec], sims, "simulate", parties=8, tables=True) == \
        memory.estimate([spec], sims, "simulate")


def test_four_providers_are_checked_for_the_memory_they_need(cli, monkeypatch):
    """``pbr capital -p ...`` counts the seats it is given: a machine with room for a
    million simulations of three parties (the default contract's chain) but not of four
    refuses four providers at once, naming the estimate."""
    spec = load_spec("tr-crc-example").spec
    three, four = (memory.estimate([spec], 1_000_000, "capital", threads=1, parties=n)
                   for n in (3, 4))
    assert three < four
    monkeypatch.setattr(memory, "available_memory", lambda: (three + four) // 2)
    names = ["small-charity", "national-prime", "social-investor-backed", "tier3-specialist"]
    res = cli.run("capital", *[a for n in names for a in ("-p", n)], "--sims", "1000000",
                  "--threads", "1", "--json")
    cli.error(res, "--sims: 1,000,000 simulations need about ", lines=1)


def test_pbr_capital_streams_and_spools_its_tables(cli, monkeypatch, tmp_path):
    """``pbr capital --csv`` of a run too large to keep its arrays (DETAIL_BYTES made small)
    writes the tables a kept run writes: the contract's from the spool, byte for byte,
    the parties' and investors' from the chunks' figures."""
    kept, streamed = tmp_path / "kept", tmp_path / "streamed"
    assert cli.run("capital", "nyc-able-sib", "--sims", "3000", "--csv", str(kept),
                   "--json").exit_code == 0
    monkeypatch.setattr(memory, "DETAIL_BYTES", 2**20)
    res = cli.run("capital", "nyc-able-sib", "--sims", "3000", "--csv", str(streamed), "--json")
    assert res.exit_code == 0, res.output
    for name in ("simulations", "cohorts", "cashflows", "parties", "investors", "months"):
        assert (kept / f"{name}.csv").read_bytes() == (streamed / f"{name}.csv").read_bytes(), name
    assert not list(streamed.glob(".pbr-spool-*")) and not list(tmp_path.glob(".pbr-spool-*"))
    parties = pd.read_csv(streamed / "parties.csv")
    assert len(parties) == 3000 * parties["party"].nunique()


@pytest.mark.parametrize("commissioner", [True, False])
def test_one_bar_covers_the_run_and_the_commissioner_s_run_at_no_effect(commissioner):
    """``progress(done, total)`` climbs to its total once over the contract's run and, with
    the commissioner's view, the run at no effect after it (a million simulations spend
    about a third of their time there: no bar standing at 100% meanwhile)."""
    calls = []
    capital("tr-crc-example", sims=3000, seed=2, chunk_size=1024, commissioner=commissioner,
            detail=False, progress=lambda done, total: calls.append((done, total)))
    total = 6000 if commissioner else 3000
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    # three chunks (1,024, 1,024 and 952 simulations) a run
    assert done == sorted(done) and done[-1] == total and len(done) == 3 * total // 3000


def test_a_plan_read_from_a_shorter_run_is_that_run_s():
    """``plan(spec, sims, result=r)`` with ``r`` shorter than ``sims`` reads ``r``'s own
    simulations: its monthly sums are divided by their number, not by ``sims``."""
    from pbr_model.analyses.parties import plan
    from pbr_model import simulate
    r = simulate("tr-crc-example", 3000, seed=1, detail=True)
    _same_plan(plan("tr-crc-example", 10_000, 1, result=r),
               plan("tr-crc-example", 3000, 1, result=r))


@pytest.mark.parametrize("kwargs, said", [
    ({"sims": "10"}, "sims: must be from 1"),
    ({"sims": None}, "sims: must be from 1"),
    ({"sims": 100_000, "chunk_size": 0}, "chunk_size: must be 1 or more"),
    ({"sims": 100_000, "volume_shock": 2}, "volume_shock: must be a share"),
    ({"sims": 100_000, "draws": "fast"}, "draws: must be one of"),
])
def test_bad_run_arguments_are_input_errors_before_any_run(kwargs, said, monkeypatch):
    """Said at once (the plan's run is never started), as the library's other runs say
    them, whether the run would have been kept or streamed."""
    from pbr_model.analyses import capital as capital_module
    from pbr_model.errors import InputError

    def no_run(*args, **kw):
        raise AssertionError("a run started before the arguments were checked")
    monkeypatch.setattr(capital_module, "simulate", no_run)
    monkeypatch.setattr(capital_module, "plan", no_run)
    with pytest.raises(InputError, match=said):
        capital("tr-crc-example", **kwargs)


def test_a_terminal_shows_one_bar_over_both_runs():
    """On a terminal the installed ``pbr capital`` shows one bar counting the contract's
    run and the commissioner's run at no effect after it (twice the simulations), so a
    large run's bar does not stand at its end while the second run goes on."""
    import os
    import sys
    from pathlib import Path
    pty = pytest.importorskip("pty")
    from ptyread import read_to_end
    pbr = Path(sys.executable).with_name("pbr")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(pbr), [str(pbr), "capital", "--sims", "60000", "--chunk-size", "2048",
                            "--json"])
    seen = read_to_end(fd, b"")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen[-500:]
    assert b"Simulating, then at no effect" in seen and b"/120,000 sims" in seen, seen[-500:]


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_a_streamed_capital_run_s_peak_is_below_its_estimate(tmp_path, threads):
    """The streamed capital fit, checked on this machine as the other commands' are
    (tests/cli/test_memory.py): 200,000 simulations of the default contract writing a
    workbook peak below the estimate the check makes, and not 2.5 times below it (at
    0.19.0: 719 MiB on one thread and 991 MiB on two, estimated 852 and 1,028)."""
    from pathlib import Path
    from peak import peak_of
    if not Path("/proc/self/status").is_file():
        pytest.skip("reads the run's peak (VmHWM) from /proc, which Linux has")
    argv = ["pbr", "capital", "--sims", "200000", "--threads", str(threads), "--json",
            "--xlsx", str(tmp_path / "run.xlsx")]
    peak = peak_of(argv, tmp_path / "run.xlsx", timeout=600)
    spec = load_spec("tr-crc-example").spec
    assert memory.streams([spec], 200_000)
    need = memory.estimate([spec], 200_000, "capital", threads=threads)
    assert peak < need < 2.5 * peak
