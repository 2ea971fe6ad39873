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
from pbr_model.finance.capital import facility_summary
from pbr_model.sketch import ALPHA
from pbr_model.stats import PERCENTILES


def _json(result) -> str:
    return json.dumps(result.to_dict(), default=str, sort_keys=True)


def _same_parties(kept, streamed) -> None:
    """Every party's per-simulation figures equal, bit for bit; its monthly mean equal to
    rounding and its percentiles within the sketch's relative error ALPHA (plus the
    interpolation between neighbouring simulations a kept run's percentile does)."""
    assert kept.result.detail and not streamed.result.detail
    for a, b in zip(kept.parties, streamed.parties):
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
        for label in PERCENTILES:
            x, y = a.month_columns[label], b.month_columns[label]
            # the sketch reads a value of the sorted column within ALPHA of the true one
            np.testing.assert_allclose(y, x, rtol=2 * ALPHA, atol=1e-6)


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
    assert kept.plan == first.plan == streamed.plan
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
    assert shocked.plan == plain.plan


def test_two_worker_processes_give_the_same_streamed_figures():
    serial = capital("nyc-able-sib", sims=3000, seed=8, detail=False, chunk_size=1024)
    with ProcessPoolExecutor(2) as pool:
        parallel = capital("nyc-able-sib", sims=3000, seed=8, detail=False, chunk_size=2048,
                           executor=pool)
    assert _json(serial) == _json(parallel)
    for a, b in zip(serial.parties, parallel.parties):
        for label in ("mean", *PERCENTILES):
            np.testing.assert_array_equal(a.month_columns[label], b.month_columns[label])


def test_capital_of_a_million_simulations_is_estimated_as_a_streamed_run():
    """Capital of one contract streams above DETAIL_BYTES, like every other command: a
    million simulations of the default contract are estimated under 2 GiB, and each
    further simulation adds STREAMED x STREAMED_FACTOR bytes, not its months."""
    spec = load_spec("tr-crc-example").spec
    need = memory.estimate([spec], 1_000_000, "capital")
    assert need < 2 * 2**30
    more = memory.estimate([spec], 2_000_000, "capital") - need
    assert more == pytest.approx(1_000_000 * memory.STREAMED * memory.STREAMED_FACTOR["capital"])


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
