"""A run that keeps its summary only (``simulate(..., summary_only=True)``, and ``capital``
and ``run_portfolio`` streamed; ``pbr simulate`` and ``pbr capital`` when they write no
workbook, page or tables): each chunk drops its monthly and per-cohort arrays, and no
party's balance is sketched; every per-simulation figure, the summary and the ``--json``
object are the same bytes as a run that keeps its arrays or sketches them; what needs the
arrays is a clear error."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest

from pbr_model import load_spec, memory, simulate
from pbr_model.analyses import stream
from pbr_model.analyses import simulate as simulate_module
from pbr_model.analyses.capital import capital
from pbr_model.analyses.parties import party_frame
from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.analyses.runs import sib_investors
from pbr_model.errors import InputError

SIMS = 2_100   # three blocks, the last one cut short


def same(a, b) -> None:
    """The same simulations table, bit for bit, and the same summary."""
    pd.testing.assert_frame_equal(a.simulations, b.simulations, check_exact=True)
    assert json.dumps(a.summary(), sort_keys=True) == json.dumps(b.summary(), sort_keys=True)


# a bond, a termination clause, attrition or a matched group, the prime with its chain
@pytest.mark.parametrize("name", ["tr-crc-example", "peterborough-sib", "nyc-able-sib",
                                  "ma-roca-pfs", "doncaster-pbr"])
def test_the_figures_are_those_of_a_kept_and_a_streamed_run(name):
    spec = load_spec(name)
    kept = simulate(spec, SIMS, seed=11, detail=True)
    summary = simulate(spec, SIMS, seed=11, summary_only=True)
    assert summary.summary_only and not summary.detail
    assert summary.cohort_columns is None and summary.cash_in is None
    assert summary.sketches is None
    same(kept, summary)
    same(simulate(spec, SIMS, seed=11, detail=False), summary)


def test_approximate_draws_a_shock_and_no_noise_keep_their_figures():
    spec = load_spec("tr-crc-example")
    for kw in ({"draws": "approx"}, {"volume_shock": 0.3}, {"sampling": "expected"}):
        same(simulate(spec, SIMS, seed=3, detail=True, **kw),
             simulate(spec, SIMS, seed=3, summary_only=True, **kw))


def test_chunks_threads_and_processes_give_the_same_bytes():
    spec = load_spec("tr-crc-example")
    one = simulate(spec, 3_000, seed=5, summary_only=True)
    same(one, simulate(spec, 3_000, seed=5, summary_only=True, chunk_size=1024))
    with ThreadPoolExecutor(2) as pool:
        same(one, simulate(spec, 3_000, seed=5, summary_only=True, executor=pool))
    with ProcessPoolExecutor(2) as pool:   # the chunk's Reduce travels with its task
        same(one, simulate(spec, 3_000, seed=5, summary_only=True, executor=pool))


def test_a_run_too_large_to_keep_its_arrays_gives_the_same_figures(monkeypatch):
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)   # every run streamed unless told
    spec = load_spec("peterborough-sib")
    same(simulate(spec, SIMS, seed=2), simulate(spec, SIMS, seed=2, summary_only=True))


@pytest.fixture(scope="module")
def bond_run():
    return simulate(load_spec("nyc-able-sib"), 500, seed=1, summary_only=True)


def test_what_needs_the_arrays_is_a_clear_error(bond_run):
    run = bond_run
    asks = {"months": lambda: run.months, "cohorts": lambda: run.cohorts,
            "tables": run.tables, "cohort stats": lambda: run.cohort_stats("binary_rate"),
            "cohort mean": lambda: run.cohort_mean("entrants"),
            "cashflows": lambda: next(run.cashflow_chunks()),
            "cumulative cash": run.cumulative_cash, "xarray": run.to_xarray,
            "investors": lambda: sib_investors(run)}
    for what, ask in asks.items():
        with pytest.raises(InputError, match="kept its per-simulation figures only "
                                             r"\(summary_only=True"):
            ask()
    assert not run.has_tables
    assert len(run.simulations) == 500   # the simulations table is kept


@pytest.mark.parametrize("kw, named", [({"detail": True}, "detail=True"),
                                       ({"spool": "."}, "spool"),
                                       ({"investors": True}, "investors=True")])
def test_it_cannot_be_asked_to_keep_arrays_too(kw, named):
    with pytest.raises(InputError, match=f"summary_only: .*cannot be given {named}"):
        simulate(load_spec("tr-crc-example"), 100, seed=1, summary_only=True, **kw)


def test_summary_only_must_be_a_bool():
    with pytest.raises(InputError, match="summary_only: must be True or False"):
        simulate(load_spec("tr-crc-example"), 100, seed=1, summary_only="yes")


def test_a_chunk_sends_back_no_monthly_or_per_cohort_array():
    record = {name: None for name in (*stream.COHORT_COLUMNS, *stream.CASH)}
    import numpy as np
    for total, column in stream.ROW_TOTALS.items():
        record[column] = np.ones((4, 3))
    record["triggered"] = np.array([[True, False, True]] * 4)
    record["fig_net"] = np.zeros(4)
    out = stream.Reduce(False, summary=True)(record)
    assert not set(out) & {*stream.COHORT_COLUMNS, *stream.CASH, "sketches"}
    assert set(stream.ROW_TOTALS) <= set(out) and "fig_net" in out
    assert out["row_triggered"].tolist() == [2, 2, 2, 2]   # cohorts triggered, counted


# per-cohort thresholds, a bond's cohorts, a randomised trial's, repayments, and a break
# after which cohorts have no entrants (and trigger nothing)
@pytest.mark.parametrize("name, changes", [("tr-crc-example", []), ("peterborough-sib", []),
                                           ("nys-ceo-pfs", []), ("doncaster-pbr", []),
                                           ("tr-crc-example", ["termination.break_month=30"])])
def test_the_share_of_cohorts_triggered_is_that_of_a_kept_and_a_streamed_run(
        name, changes, monkeypatch):
    spec = load_spec(name, changes)
    kept = simulate(spec, SIMS, seed=4, detail=True).cohort_mean("triggered")
    summary = simulate(spec, SIMS, seed=4, summary_only=True)
    assert summary.cohort_mean("triggered") == kept   # the same float, bit for bit
    assert 0 < kept < 1       # some cohorts triggered and some not: a test that can tell
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)   # streamed: from its sketch
    assert simulate(spec, SIMS, seed=4).cohort_mean("triggered") == kept
    with pytest.raises(InputError, match="kept its per-simulation figures only"):
        summary.cohort_mean("outcome_payment")   # another column: not kept


def test_power_keeps_each_effects_figures_only_and_finds_the_same(monkeypatch):
    from pbr_model.analyses import power as module
    spec = load_spec("tr-crc-example")
    asked = []

    def spy(*args, **kw):
        asked.append(kw.pop("summary_only"))
        return simulate(*args, **kw)       # the run as it was: arrays kept or sketched

    curve = module.power(spec, [0.0, 0.04, 0.08], sims=600, seed=3)
    monkeypatch.setattr(module, "simulate", spy)
    kept = module.power(spec, [0.0, 0.04, 0.08], sims=600, seed=3)
    assert asked == [True] * 3      # every effect's run kept its figures only
    assert curve.to_dict() == kept.to_dict()
    for column, values in kept.curve.items():
        assert curve.curve[column].tobytes() == values.tobytes(), column
    assert 0 < curve.curve["cohorts_triggered"][1] < 1


def test_pbr_simulate_keeps_its_summary_only_when_it_writes_no_file(cli, monkeypatch, tmp_path):
    asked = []
    real = simulate_module.simulate

    def spy(*args, **kw):
        asked.append(kw["summary_only"])
        return real(*args, **kw)

    import pbr_model.cli.simulate as command
    monkeypatch.setattr(command, "simulate", spy)
    printed = cli.json("simulate", "--sims", "1500", "--seed", "4")
    kept = simulate(load_spec("tr-crc-example"), 1500, seed=4, detail=True).summary()
    assert {k: v for k, v in printed.items() if k != "created_utc"} == \
        {k: v for k, v in json.loads(json.dumps(kept)).items() if k != "created_utc"}
    cli.ok(cli.run("simulate", "--sims", "300"))                   # the table
    cli.ok(cli.run("simulate", "--sims", "300", "--xlsx", str(tmp_path / "r.xlsx")))
    cli.ok(cli.run("simulate", "--sims", "300", "--csv", str(tmp_path / "t")))
    assert asked == [True, True, False, False]
    assert (tmp_path / "t" / "months.csv").exists()


def dumped(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.mark.parametrize("name, providers", [("tr-crc-example", []),        # prime and chain
                                             ("nyc-able-sib", []),          # a bond
                                             ("peterborough-sib", ["small-charity",
                                                                   "national-prime"])])
def test_a_streamed_capital_run_keeps_its_figures(monkeypatch, name, providers):
    spec = load_spec(name)
    kept = capital(spec, providers, 1_500, seed=6, detail=True)
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)   # streamed unless told
    streamed = capital(spec, providers, 1_500, seed=6)
    summary = capital(spec, providers, 1_500, seed=6, summary_only=True)
    assert summary.result.summary_only and not streamed.result.summary_only
    assert dumped(summary) == dumped(streamed) == dumped(kept)
    for a, b in zip(summary.parties, kept.parties):
        pd.testing.assert_frame_equal(party_frame(a), party_frame(b), check_exact=True)
        with pytest.raises(InputError, match=r"monthly balance of .*summary_only=True"):
            a.months
    assert len(streamed.parties[0].months) == kept.result.timeline.n_months


def test_a_capital_run_that_keeps_its_arrays_keeps_them():
    run = capital(load_spec("tr-crc-example"), [], 500, seed=1, summary_only=True)
    assert run.result.detail and len(run.parties[0].months) == run.result.timeline.n_months


def test_capital_checks_summary_only(tmp_path):
    spec = load_spec("tr-crc-example")
    with pytest.raises(InputError, match="summary_only: must be True or False"):
        capital(spec, [], 100, seed=1, summary_only=1)
    with pytest.raises(InputError, match="summary_only: .*cannot be given spool"):
        capital(spec, [], 100, seed=1, summary_only=True, spool=tmp_path)


def test_a_streamed_portfolio_keeps_its_figures():
    kept = run_portfolio("working-links-like", 1_500, seed=9, detail=True)
    streamed = run_portfolio("working-links-like", 1_500, seed=9, detail=False)
    summary = run_portfolio("working-links-like", 1_500, seed=9, detail=False,
                            summary_only=True)
    assert dumped(summary) == dumped(streamed) == dumped(kept)
    for o in summary.owners:
        with pytest.raises(InputError, match="summary_only=True"):
            o.party.months
    with pytest.raises(InputError, match="summary_only=True"):
        summary.tables()
    assert len(streamed.owners[0].party.months) > 0
    # a portfolio that keeps its areas' arrays ignores it
    assert len(run_portfolio("working-links-like", 300, seed=9, detail=True,
                             summary_only=True).owners[0].party.months) > 0
    with pytest.raises(InputError, match="summary_only: must be True or False"):
        run_portfolio("working-links-like", 100, summary_only="no")


def test_pbr_capital_keeps_its_figures_only_when_it_writes_no_file(cli, monkeypatch, tmp_path):
    import pbr_model.cli.capital as command
    asked = []
    for name in ("capital", "run_portfolio"):
        real = getattr(command, name)

        def spy(*args, _real=real, **kw):
            asked.append(kw["summary_only"])
            return _real(*args, **kw)
        monkeypatch.setattr(command, name, spy)
    cli.json("capital", "--sims", "300")
    cli.json("capital", "working-links-like", "--sims", "300")
    cli.ok(cli.run("capital", "--sims", "300", "--xlsx", str(tmp_path / "c.xlsx")))
    cli.ok(cli.run("capital", "working-links-like", "--sims", "300", "--csv",
                   str(tmp_path / "t")))
    assert asked == [True, True, False, False]


def test_a_break_even_search_keeps_only_figures_and_finds_the_same(monkeypatch):
    from pbr_model.analyses import breakeven as module
    spec = load_spec("tr-crc-example")
    asked = []

    def spies(summary_only):
        for name, real in (("simulate", simulate), ("capital", capital)):
            def spy(*args, _real=real, **kw):
                asked.append(kw.get("summary_only"))
                if summary_only is not None:
                    kw["summary_only"] = summary_only
                return _real(*args, **kw)
            monkeypatch.setattr(module, name, spy)

    spies(False)   # every run keeps what it would without summary_only
    kept = [module.breakeven(spec, "price", sims=400, seed=2, **kw).to_dict()
            for kw in ({}, {"provider": "small-charity"})]
    asked.clear()
    spies(None)    # as the search asks
    assert [module.breakeven(spec, "price", sims=400, seed=2, **kw).to_dict()
            for kw in ({}, {"provider": "small-charity"})] == kept
    assert asked and all(asked)   # every run of both searches keeps its figures only


def test_a_notebook_shows_the_table_of_a_run_that_kept_its_figures_only(monkeypatch):
    spec = load_spec("tr-crc-example")
    shown = simulate(spec, 300, seed=1, summary_only=True)._repr_html_()
    assert "pbr-result" in shown and "<svg" not in shown
    assert "<svg" in simulate(spec, 300, seed=1)._repr_html_()   # a kept run: its chart
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)   # streamed: its figures only
    shown = capital(spec, [], 300, seed=1, summary_only=True)._repr_html_()
    assert "pbr-result" in shown and "<svg" not in shown
    shown = run_portfolio("working-links-like", 300, seed=1, detail=False,
                          summary_only=True)._repr_html_()
    assert "pbr-result" in shown and "<svg" not in shown
