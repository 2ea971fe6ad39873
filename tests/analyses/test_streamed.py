"""Streamed runs (pbr_model.analyses.stream): a run too large to keep its monthly and
per-cohort arrays keeps its per-simulation figures exactly and its monthly and per-cohort
statistics within the sketch's bound; a streamed portfolio gives its owners the same
figures, simulation by simulation, as one that keeps everything."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pbr_model import load_spec, memory, simulate
from pbr_model.analyses import parties as parties_module
from pbr_model.analyses import passes, portfolio_stream, stream
from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.spec.portfolio import load_portfolio
from pbr_model.errors import InputError
from pbr_model.finance.capital import facility_summary
from pbr_model.stats import PERCENTILES
from sketchbound import within_sketch_bound

SIMS = 2_500


@pytest.fixture(scope="module")
def pair():
    spec = load_spec("tr-crc-example")
    return (simulate(spec, SIMS, seed=4, detail=True),
            simulate(spec, SIMS, seed=4, detail=False))


def test_per_simulation_figures_and_the_summary_are_the_same(pair):
    kept, streamed = pair
    assert kept.detail and not streamed.detail
    pd.testing.assert_frame_equal(kept.simulations, streamed.simulations, check_exact=True)
    assert json.dumps(kept.summary(), sort_keys=True) == \
        json.dumps(streamed.summary(), sort_keys=True)


def test_monthly_means_and_percentiles_are_within_the_bound(pair):
    kept, streamed = pair
    net = kept.cash_in - kept.cash_out
    series = {"cash_in": kept.cash_in, "cash_out": kept.cash_out, "net_flow": net,
              "cumulative": np.cumsum(net, axis=1)}
    for name, values in series.items():
        np.testing.assert_allclose(streamed.months[f"{name}_mean"], kept.months[f"{name}_mean"],
                                   rtol=1e-12, atol=1e-6)
        within_sketch_bound(lambda q: streamed.months[f"{name}_p{q}"], values, name)


@pytest.mark.parametrize("column", sorted(stream.COHORT_PERCENTILES))
def test_per_cohort_statistics_are_within_the_bound(pair, column):
    kept, streamed = pair
    values = kept.cohorts[column].to_numpy().reshape(SIMS, -1)
    got = streamed.cohort_stats(column)
    np.testing.assert_allclose([g["mean"] for g in got], np.nanmean(values, axis=0), rtol=1e-12)
    within_sketch_bound(lambda q: [g[f"p{q}"] for g in got], values, column)


def test_other_per_cohort_columns_keep_their_means(pair):
    kept, streamed = pair
    for column in set(stream.COHORT_COLUMNS) - stream.COHORT_PERCENTILES:
        got = streamed.cohort_stats(column)
        want = kept.cohorts[column].to_numpy(dtype=float).reshape(SIMS, -1).mean(axis=0)
        np.testing.assert_allclose([g["mean"] for g in got], want, rtol=1e-12)
        assert all(np.isnan(g["p50"]) for g in got)


def test_per_cohort_chances_are_exact(pair):
    kept, streamed = pair
    for share in ("triggered", "outcome_paid", "outcome_repaid"):
        a = [c["mean"] for c in kept.cohort_stats(share)]
        b = [c["mean"] for c in streamed.cohort_stats(share)]
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # what pbr power reports: the same bits kept or streamed (0/1 sums are exact)
    assert streamed.cohort_mean("triggered") == kept.cohort_mean("triggered")


def test_what_only_detail_keeps_is_a_clear_error(pair):
    _, streamed = pair
    for ask in (streamed.tables, streamed.cumulative_cash, lambda: next(streamed.cashflow_chunks())):
        with pytest.raises(InputError, match="this run of 2,500 simulations was streamed"):
            ask()


def test_the_size_decides_unless_told(monkeypatch):
    spec = load_spec("peterborough-sib")
    assert simulate(spec, 100, seed=1).detail
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    assert not simulate(spec, 100, seed=1).detail
    assert simulate(spec, 100, seed=1, detail=True).detail
    with pytest.raises(InputError, match="detail: True, False or None"):
        simulate(spec, 100, seed=1, detail="yes")


def test_a_streamed_run_writes_its_workbook_and_its_csv_from_a_spool(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    cli.ok(cli.run("simulate", "--sims", "1500", "--xlsx", str(tmp_path / "run.xlsx")))
    cli.ok(cli.run("simulate", "--sims", "1500", "--csv", str(tmp_path / "t")))
    cohorts = pd.read_csv(tmp_path / "t" / "cohorts.csv")
    assert len(cohorts) == 1500 * load_spec("tr-crc-example").spec.contract.cohorts


def test_streamed_chunks_of_any_size_give_the_same_bytes():
    spec = load_spec("nyc-able-sib")
    a = simulate(spec, SIMS, seed=2, detail=False, chunk_size=1024)
    b = simulate(spec, SIMS, seed=2, detail=False, chunk_size=5000)
    pd.testing.assert_frame_equal(a.months, b.months, check_exact=True)
    assert [c["p50"] for c in a.cohort_stats("binary_rate")] == \
        [c["p50"] for c in b.cohort_stats("binary_rate")]


@pytest.fixture(scope="module")
def portfolios():
    return (run_portfolio("working-links-like", SIMS, seed=8, detail=True),
            run_portfolio("working-links-like", SIMS, seed=8, detail=False))


def test_a_streamed_portfolio_gives_the_same_figures(portfolios):
    kept, streamed = portfolios
    assert json.dumps(kept.to_dict(), sort_keys=True) == \
        json.dumps(streamed.to_dict(), sort_keys=True)
    for name in ("owner", "areas"):
        pd.testing.assert_frame_equal(kept.tables()[name], streamed.tables()[name],
                                      check_exact=True)
    assert streamed.owners[0].party.facility == kept.owners[0].party.facility


def test_a_streamed_portfolio_reads_its_balances_within_the_bound(portfolios):
    kept, streamed = portfolios
    from pbr_model.finance.capital import capital_read
    flows = kept.owners[0].flows
    _, balance = capital_read(flows.income, flows.cash_out, flows.seat.profile)
    months = streamed.owners[0].party.months
    within_sketch_bound(lambda q: months[f"p{q}"], balance, "owner balance")
    np.testing.assert_allclose(months["mean"], kept.owners[0].party.months["mean"], rtol=1e-12,
                               atol=1e-6)
    for a, b in zip(kept.areas, streamed.areas):   # an area alone: its monthly mean only
        np.testing.assert_allclose(b.party.months["mean"], a.party.months["mean"], rtol=1e-12,
                                   atol=1e-6)
        assert b.party.months["p50"].isna().all()


@pytest.mark.parametrize("shock", [0.0, 0.2])
def test_kept_and_streamed_portfolios_agree_above_the_plan_size(monkeypatch, shock):
    """Both plan on the first PLAN_SIMS simulations without a shock, and size the owners'
    facilities on the first PLAN_SIMS: writing --csv (which keeps) changes no figure."""
    monkeypatch.setattr(parties_module, "PLAN_SIMS", 1024)
    kept, streamed = (run_portfolio("working-links-like", SIMS, seed=8, detail=d,
                                    volume_shock=shock) for d in (True, False))
    assert json.dumps(kept.to_dict(), sort_keys=True) == \
        json.dumps(streamed.to_dict(), sort_keys=True)


def test_a_large_streamed_portfolio_plans_and_sizes_facilities_on_its_first_simulations(
        monkeypatch):
    """Above PLAN_SIMS the plan and the facility come from the first PLAN_SIMS simulations:
    the same figures as a run of that many that keeps everything."""
    monkeypatch.setattr(parties_module, "PLAN_SIMS", 1024)
    first = run_portfolio("working-links-like", 1024, seed=8, detail=True)
    big = run_portfolio("working-links-like", SIMS, seed=8, detail=False)
    owner = first.owners[0]
    net = owner.flows.income - owner.flows.cash_out
    assert big.owners[0].party.facility == facility_summary(net, owner.profile)
    # the first 1,024 simulations' figures are those of the run that planned on them
    for a, b in zip(first.areas, big.areas):
        np.testing.assert_array_equal(a.party.figures.peak_funding,
                                      b.party.figures.peak_funding[:1024])


@pytest.mark.parametrize("name, sims, chunk", [("tr-national", 1_100, 1_024),
                                               ("working-links-like", SIMS, 1_024)])
def test_one_pass_owner_by_owner_is_the_plan_pass_and_stream_bit_for_bit(monkeypatch, name,
                                                                        sims, chunk):
    """A run of at most PLAN_SIMS without a shock reads its plan from its own simulations in
    one pass (portfolio_stream.by_owner): every figure and table is the two passes' own."""
    one = run_portfolio(name, sims, seed=5, detail=False, chunk_size=chunk)
    monkeypatch.setattr(passes, "ONE_PASS", False)
    two = run_portfolio(name, sims, seed=5, detail=False, chunk_size=chunk)
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(two.to_dict(), sort_keys=True)
    for table in ("owner", "areas"):
        pd.testing.assert_frame_equal(one.tables()[table], two.tables()[table], check_exact=True)
    for a, b in zip(one.owners, two.owners):
        assert a.party.net_flow.tobytes() == b.party.net_flow.tobytes()
        pd.testing.assert_frame_equal(a.party.months, b.party.months, check_exact=True)


@pytest.mark.parametrize("name, plan_sims, sims", [("working-links-like", 1_500, 3_500),
                                                   ("working-links-like", 1_500, 1_800),
                                                   ("tr-national", 1_000, 2_100)])
def test_above_plan_sims_the_owner_pass_and_stream_are_the_two_passes_bit_for_bit(
        monkeypatch, name, plan_sims, sims):
    """Above PLAN_SIMS the blocks holding the first PLAN_SIMS simulations are drawn owner by
    owner, the plans read from their first PLAN_SIMS rows (here part way into a block), and
    the rest streamed after with those plans: every figure and table is what a plan pass
    and a stream of the whole run give, and nothing is drawn twice."""
    monkeypatch.setattr(parties_module, "PLAN_SIMS", plan_sims)
    head = passes.head_sims(sims)   # 1,800: every simulation, the plan from 1,500; no stream
    assert head == min(sims, -(-plan_sims // 1024) * 1024) and plan_sims < sims
    drawn = []
    real = portfolio_stream.draw_areas
    monkeypatch.setattr(portfolio_stream, "draw_areas", lambda job, blocks, *a, **k: (
        drawn.append(tuple(blocks)) or real(job, blocks, *a, **k)))
    one = run_portfolio(name, sims, seed=8, detail=False, chunk_size=1024)
    owners = len(load_portfolio(name).owners)
    blocks = [b for run in drawn for b in run]
    assert sorted(set(blocks)) == list(range(-(-sims // 1024)))
    head_blocks, all_blocks = -(-head // 1024), -(-sims // 1024)
    assert len(blocks) == owners * head_blocks + (all_blocks - head_blocks)
    monkeypatch.setattr(passes, "ONE_PASS", False)
    drawn.clear()
    two = run_portfolio(name, sims, seed=8, detail=False, chunk_size=1024)
    # the plan pass draws the blocks of the first PLAN_SIMS once more, all areas at once
    assert len([b for run in drawn for b in run]) == -(-plan_sims // 1024) + -(-sims // 1024)
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(two.to_dict(), sort_keys=True)
    for table in ("owner", "areas"):
        pd.testing.assert_frame_equal(one.tables()[table], two.tables()[table], check_exact=True)
    for a, b in zip(one.owners, two.owners):
        assert a.party.net_flow.tobytes() == b.party.net_flow.tobytes()
        assert len(a.party.net_flow) == plan_sims      # the facility's rows
        pd.testing.assert_frame_equal(a.party.months, b.party.months, check_exact=True)


def _capital_detail(cli, monkeypatch, *args):
    """``pbr capital ARGS``'s stdout and the ``detail`` it ran the portfolio with."""
    from pbr_model.cli import capital as capital_cli
    seen = []

    def spy(*a, **kw):
        seen.append(kw.get("detail"))
        return run_portfolio(*a, **kw)

    monkeypatch.setattr(capital_cli, "run_portfolio", spy)
    result = cli.run("capital", *args)
    cli.ok(result)
    return result.stdout, seen[0]


@pytest.mark.parametrize("name, sims", [("working-links-like", "1500"), ("tr-national", "600")])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_portfolio_printing_only_figures_streams_in_one_pass_and_prints_the_same(
        cli, monkeypatch, name, sims, json_flag):
    """Printed figures (text or JSON) are the same streamed or kept, so a run that writes no
    file streams in one pass (faster); forcing the kept run changes no character. One
    thread: on more, a one-owner portfolio's one task would leave the others idle."""
    args = [name, "--sims", sims, "--seed", "4", "--threads", "1", *json_flag]
    streamed_out, detail = _capital_detail(cli, monkeypatch, *args)
    assert detail is False
    monkeypatch.setattr(passes, "ONE_PASS", False)   # now decided by size: kept
    kept_out, detail = _capital_detail(cli, monkeypatch, *args)
    assert detail is None
    assert streamed_out == kept_out


@pytest.mark.parametrize("args, plan_sims", [(["--sims", "600", "--volume-shock", "0.2"], None),
                                              (["--sims", "1500"], 1024)])
def test_a_portfolio_run_streamed_differently_from_kept_is_left_to_its_size(
        cli, monkeypatch, args, plan_sims):
    """A shock (the plan is of the unshocked contract, read in a pass of its own) or more
    than PLAN_SIMS simulations (where only a kept run's owners' percentiles are exact, not
    within the sketch's bound) is not streamed to print faster: kept if it fits. One
    thread, where the run would otherwise stream in one pass (on more, a one-owner
    portfolio's one task would leave the others idle, and it is kept anyway)."""
    if plan_sims is not None:
        monkeypatch.setattr(parties_module, "PLAN_SIMS", plan_sims)
    _, detail = _capital_detail(cli, monkeypatch, "working-links-like", "--json", "--threads",
                                "1", *args)
    assert detail is None


@pytest.mark.parametrize("flag", ["--xlsx", "--html"])
def test_a_portfolio_writing_a_workbook_or_page_keeps_its_detail_when_it_fits(
        cli, monkeypatch, tmp_path, flag):
    """Workbooks and pages show areas' monthly percentiles, which only a kept run has."""
    out = tmp_path / ("p.xlsx" if flag == "--xlsx" else "p.html")
    _, detail = _capital_detail(cli, monkeypatch, "working-links-like", "--sims", "300",
                                "--threads", "1", flag, str(out))   # (one thread: see above)
    assert detail is None and out.exists()


def test_one_task_per_owner_is_chosen_only_where_it_keeps_the_workers_busy():
    from pbr_model.analyses.passes import balanced
    national, one_owner = load_portfolio("tr-national"), load_portfolio("working-links-like")
    # tr-national's largest owner holds 6 of 21 areas
    assert [balanced(national, w) for w in (1, 3, 4)] == [True, True, False]
    assert [balanced(national, w, 2) for w in (7, 8)] == [True, False]
    assert [balanced(one_owner, w) for w in (1, 2)] == [True, False]
    assert [balanced(one_owner, w, 2) for w in (2, 3)] == [True, False]


@pytest.mark.parametrize("name, workers, streams", [("tr-national", "2", True),
                                                    ("working-links-like", "2", False)])
def test_a_portfolio_printing_only_figures_streams_only_where_its_owners_balance(
        cli, monkeypatch, name, workers, streams):
    """With two workers a one-owner portfolio's single task would leave one idle: kept."""
    _, detail = _capital_detail(cli, monkeypatch, name, "--sims", "300", "--json",
                                "--workers", workers)
    assert detail is (False if streams else None)


def test_one_pass_in_one_process_says_its_progress_area_chunk_by_area_chunk():
    calls = []
    run_portfolio("working-links-like", 5_000, seed=2, detail=False, chunk_size=1024,
                  progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == 3 * 5                          # 3 areas, 5 chunks of 1,024
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[0][0] < 5_000 and calls[-1] == (5_000, 5_000)


def test_one_pass_holding_more_than_its_budget_reads_the_plan_in_a_pass_of_its_own(
        monkeypatch):
    """An owner's task holds its areas' months until their plans are read: above
    memory.ONE_PASS_BYTES the run takes two passes instead, with the same numbers."""
    from pbr_model import memory
    from pbr_model.analyses.passes import one_pass_held
    calls = []
    real = portfolio_stream.by_owner
    monkeypatch.setattr("pbr_model.analyses.portfolio.by_owner",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    one = run_portfolio("working-links-like", 2_000, seed=6, detail=False)
    assert calls == [1]
    held = one_pass_held(load_portfolio("working-links-like"), 2_000)
    monkeypatch.setattr(memory, "ONE_PASS_BYTES", held - 1)
    two = run_portfolio("working-links-like", 2_000, seed=6, detail=False)
    assert calls == [1]
    assert json.dumps(one.to_dict(), sort_keys=True) == json.dumps(two.to_dict(), sort_keys=True)


def test_what_one_pass_holds_is_in_the_memory_estimate():
    """3 areas x 2,000 simulations x 8 bytes x (3 x months + cohorts + 2), counted once per
    worker's task at once, and added to the estimate before the run."""
    from pbr_model import memory
    from pbr_model.analyses.passes import one_pass_held
    from pbr_model.timeline import Timeline
    p = load_portfolio("working-links-like")
    timelines = [Timeline.from_spec(a.spec.spec) for a in p.areas]
    expected = 2_000 * sum(8 * (3 * t.n_months + t.n_cohorts + 2) for t in timelines)
    assert one_pass_held(p, 2_000) == one_pass_held(p, 2_000, workers=2) == expected
    specs = [a.spec.spec for a in p.areas]
    assert memory.estimate(specs, 2_000, "portfolio", held=expected) == \
        memory.estimate(specs, 2_000, "portfolio") + expected


@pytest.mark.parametrize("sims, plan_sims", [(10_001, None), (20_000, 10_001), (500, 600),
                                              (500, 0)])
def test_an_owner_task_reads_its_plan_from_at_most_plan_sims_of_its_own(sims, plan_sims):
    """The plan is read from the task's own first simulations: at most PLAN_SIMS of them,
    and no more than it draws (by default all it draws)."""
    with pytest.raises(ValueError, match="at most 10,000"):
        portfolio_stream.owner_task(None, 0, sims, 1024, None, plan_sims)


@pytest.mark.parametrize("name, sims, workers, held", [
    ("working-links-like", "10000", "2", False),   # not balanced on 2 workers: kept
    ("working-links-like", "10000", "t2", False),  # nor on 2 threads
    ("working-links-like", "600", "1", True),      # print-only: one pass
    ("tr-national", "1500", "4", False),           # 4 workers: kept, as it fits
    ("tr-national", "10000", "2", True),
    ("tr-national", "10000", "t2", True),          # two threads hold what two workers do
    ("tr-national", "30000", "1", True),           # streamed: its first 10,240 owner by owner
    ("tr-national", "30000", "8", False)])         # not balanced on 8: plan pass and stream
def test_the_memory_check_counts_what_one_pass_holds_only_when_the_run_takes_one(
        cli, monkeypatch, name, sims, workers, held):
    """A kept or two-pass run holds nothing of one pass's: its memory check must not add it
    (near the limit that would refuse a run that fits). ``tN``: N threads, one process;
    ``N``: N worker processes (``1``: one thread)."""
    from pbr_model.cli import capital as capital_cli
    seen = []
    monkeypatch.setattr(capital_cli, "check_memory", lambda *a, **k: seen.append(k["held"]))
    reached = []

    def stop(*a, **k):   # the run itself is not needed: only the check before it
        reached.append(k["detail"])
        raise KeyboardInterrupt

    monkeypatch.setattr(capital_cli, "run_portfolio", stop)
    flags = ["--threads", workers[1:]] if workers.startswith("t") \
        else ["--workers", workers, "--threads", "1"]
    workers = workers.removeprefix("t")
    cli.run("capital", name, "--sims", sims, *flags, "--json")
    assert len(reached) == 1, "the check did not let the run start"
    assert len(seen) == 1 and (seen[0] > 0) is held
    if held:   # what the owners' tasks hold over the simulations they draw
        p = load_portfolio(name)
        assert seen[0] == passes.one_pass_held(
            p, passes.head_sims(int(sims)), int(workers))


def test_a_portfolio_too_large_to_keep_writes_its_tables_streamed(cli, monkeypatch, tmp_path,
                                                                   portfolios):
    """--csv no longer makes a portfolio keep every area's arrays (the national one at
    100,000 simulations would need tens of GB): the per-simulation tables are the same
    bytes; the owner's monthly percentiles are the streamed run's, from sketches (within
    their bound: test_a_streamed_portfolio_gives_the_same_figures), and metadata.json says
    so."""
    args = ("capital", "working-links-like", "--sims", str(SIMS), "--seed", "8")
    cli.ok(cli.run(*args, "--csv", str(tmp_path / "kept")))
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1_000)
    cli.ok(cli.run(*args, "--csv", str(tmp_path / "streamed")))
    for table in ("owner", "areas"):
        assert (tmp_path / "kept" / f"{table}.csv").read_bytes() == \
            (tmp_path / "streamed" / f"{table}.csv").read_bytes(), table
    for (folder, result) in zip(("kept", "streamed"), portfolios):
        written = pd.read_csv(tmp_path / folder / "owner_months.csv")
        months = result.owners[0].party.months
        for column in ("mean", *(f"p{q}" for q in PERCENTILES.values())):
            assert written[column].tolist() == months[column].tolist(), (folder, column)
    notes = [json.loads((tmp_path / d / "metadata.json").read_text())["owner_months_percentiles"]
             for d in ("kept", "streamed")]
    assert notes[0] == "exact" and notes[1].startswith("sketched (streamed run): each within 0.00049 of")


def test_a_portfolio_writes_its_party_tables_a_party_at_a_time(portfolios):
    """What --csv writes (table_chunks) is the text of the whole frames (tables)."""
    from tablestext import csv_text
    for result in portfolios:
        whole, chunks = result.tables(), result.table_chunks()
        for name in whole:
            assert csv_text(whole[name]) == csv_text(chunks[name]), name
