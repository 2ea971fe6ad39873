"""Results in a notebook: ``_repr_html_`` (the headline table and one chart, the name
escaped), ``to_frame()`` and ``to_xarray()`` (xarray optional, with a clear error)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pbr_model import load_spec
from pbr_model.analyses.breakeven import breakeven
from pbr_model.analyses.capital import capital
from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.analyses.power import power
from pbr_model.analyses.settle import settle
from pbr_model.analyses.simulate import simulate
from pbr_model.spec.portfolio import load_portfolio

from htmlcheck import Checker

ROOT = Path(__file__).resolve().parents[2]
NAME = '<script>alert(1)</script> & "Co"'


@pytest.fixture(scope="module")
def spec():
    return load_spec("tr-crc-example", [f"contract.name={NAME}"])


@pytest.fixture(scope="module")
def run(spec):
    return simulate(spec, sims=200)


@pytest.fixture(scope="module")
def results(spec, run):
    return {
        "simulate": run,
        "capital": capital(spec, sims=200),
        "portfolio": run_portfolio(load_portfolio("working-links-like"), sims=100),
        "power": power(spec, [0.0, 0.05], sims=100),
        "breakeven": breakeven(spec, "effect", sims=100),
        "settle": settle(load_spec("peterborough-sib"),
                         str(ROOT / "examples" / "observed" / "peterborough.csv")),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["simulate", "capital", "portfolio", "power", "breakeven",
                                  "settle"])
def test_each_result_displays_its_headline_and_a_chart(results, name):
    r = results[name]
    shown = r._repr_html_()
    page = Checker()
    page.feed(shown)
    page.close()
    assert page.stack == []                       # every element closed
    assert "script" not in page.tags
    assert shown.count("<svg") == 1
    # the headline: the terminal view's table (breakeven's view is its answer, in lines)
    assert ("Answer" in shown) if name == "breakeven" else ("<table" in shown)
    assert not shown.lstrip().startswith("<!DOCTYPE")      # a card, not a page
    name_shown = r.provenance.name
    assert name_shown in "".join(page.text)
    if name_shown == NAME:
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in shown


def test_a_result_with_no_card_shows_its_repr():
    from pbr_model.analyses.show import show
    assert show(load_spec("tr-crc-example"))._repr_html_() is None


@pytest.mark.slow
def test_to_frame_gives_the_tables_a_researcher_expects(results):
    r = results["simulate"]
    frame = r.to_frame()
    assert frame.index.name == "sim" and len(frame) == 200
    np.testing.assert_array_equal(frame["net"].to_numpy(), r.sim_columns["net"])
    frame["net"] = 0.0                                 # a copy: the result is untouched
    assert r.simulations["net"].to_numpy().any()
    parties = results["capital"].to_frame()
    assert len(parties) == 200 * len(results["capital"].parties)
    assert list(parties["party"].unique()) == [p.seat.name for p in results["capital"].parties]
    assert len(results["portfolio"].to_frame()) == 100
    curve = results["power"].to_frame()
    assert curve.index.name == "effect" and list(curve.index) == [0.0, 0.05]
    trials = results["breakeven"].to_frame()
    assert trials.index[0] == 1 and len(trials) == results["breakeven"].trials
    cohorts = results["settle"].to_frame()
    assert cohorts.index.name == "cohort"


def test_to_xarray_labels_every_simulation_by_month_and_cohort(run):
    pytest.importorskip("xarray")
    ds = run.to_xarray()
    assert dict(ds.sizes) == {"sim": 200, "month": run.cash_in.shape[1],
                              "cohort": run.timeline.n_cohorts}
    np.testing.assert_array_equal(ds["cash_in"].to_numpy(), run.cash_in)
    np.testing.assert_array_equal(ds["cumulative_cash"].to_numpy(), run.cumulative_cash())
    np.testing.assert_array_equal(ds["net"].to_numpy(), run.sim_columns["net"])
    assert ds["net"].attrs["units"] == "currency"
    assert ds["binary_rate"].dims == ("sim",)
    assert ds["cohort_binary_rate"].dims == ("sim", "cohort")
    np.testing.assert_array_equal(ds["cohort_binary_rate"].to_numpy(),
                                  run.cohort_columns["binary_rate"])
    assert ds.attrs["spec_sha256"] == run.spec_sha256
    assert str(ds["date"].to_numpy()[0])[:10] == run.timeline.dates()[0].isoformat()
    # the median of the month's cumulative cash is the months table's
    np.testing.assert_allclose(ds["cumulative_cash"].median("sim").to_numpy(),
                               run.month_columns["cumulative_p50"])


@pytest.mark.slow
def test_to_xarray_of_parties_and_a_power_curve(results):
    pytest.importorskip("xarray")
    c = results["capital"]
    ds = c.to_xarray()
    assert list(ds["party"].to_numpy()) == [p.seat.name for p in c.parties]
    np.testing.assert_array_equal(ds["net_flow"].sel(party=c.parties[0].seat.name).to_numpy(),
                                  c.parties[0].net_flow)
    portfolio = results["portfolio"]
    ds = portfolio.to_xarray()
    assert list(ds["party"].to_numpy()) == [*(a.name for a in portfolio.areas),
                                             *(o.name for o in portfolio.owners)]
    assert list(ds["role"].to_numpy()) == ["area"] * len(portfolio.areas) + ["owner"]
    np.testing.assert_array_equal(ds["peak_funding"].sel(party=portfolio.owners[0].name),
                                  portfolio.owner.figures.peak_funding)
    p = results["power"]
    curve = p.to_xarray()
    np.testing.assert_array_equal(curve["prob_triggered"].to_numpy(),
                                  p.curve["prob_triggered"])


def test_to_xarray_of_a_portfolio_whose_areas_end_apart(tmp_path):
    """Areas of different lengths share the start date: each area's monthly flows on the
    longest's months, nothing after its own last month (as its owner's sum counts it)."""
    pytest.importorskip("xarray")
    (tmp_path / "pf.toml").write_text(
        '[portfolio]\nname = "two"\n[owner]\nprofile = "national-prime"\n'
        '[[areas]]\nname = "long"\nspec = "tr-crc-example"\n'
        '[[areas]]\nname = "short"\nspec = "tr-crc-example"\n'
        'set = ["contract.length_months=60"]\n')
    result = run_portfolio(load_portfolio(str(tmp_path / "pf.toml")), sims=20)
    ds = result.to_xarray()
    long, short = (a.party.net_flow for a in result.areas)
    assert short.shape[1] < long.shape[1] == ds.sizes["month"]
    np.testing.assert_array_equal(ds["net_flow"].sel(party="long"), long)
    np.testing.assert_array_equal(ds["net_flow"].sel(party="short")[:, : short.shape[1]], short)
    assert not ds["net_flow"].sel(party="short")[:, short.shape[1]:].any()
    np.testing.assert_array_equal(ds["month"], np.arange(long.shape[1]))


def test_to_xarray_without_xarray_says_how_to_install_it(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)      # import xarray fails
    with pytest.raises(ImportError, match=r"pip install xarray"):
        run.to_xarray()
    assert len(run.to_frame()) == 200                      # pandas only: still there


def test_a_streamed_run_has_no_labelled_months(monkeypatch):
    from pbr_model import memory
    from pbr_model.errors import InputError
    monkeypatch.setattr(memory, "DETAIL_BYTES", 1)         # too small: streamed
    r = simulate(load_spec("tr-crc-example"), sims=50)
    assert not r.detail
    pytest.importorskip("xarray")
    with pytest.raises(InputError, match="to_xarray"):
        r.to_xarray()
    assert "<svg" in r._repr_html_()          # the card reads the sketches' percentiles
