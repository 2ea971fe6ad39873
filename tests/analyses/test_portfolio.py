"""Portfolios: several areas held by one owner, sharing one national trend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from pbr_model import InputError, SpecError, bundled_contracts, load_spec, simulate
from pbr_model.analyses.base import PROVENANCE_KEYS
from pbr_model.analyses.capital import capital
from pbr_model.finance.capital import capital_figures
from pbr_model.outcomes import Sampler, draw_trend, simulate_outcomes
from pbr_model.analyses.portfolio import (bundled_portfolios, combine, load_portfolio, owner_flows,
                                 run_portfolio)
from pbr_model.report.json import dumps
from pbr_model.report.portfolio import portfolio_table
from pbr_model.spec.portfolio import PortfolioFile

BUNDLED = "working-links-like"

# A small one-band contract: with one band, a cohort's counterfactual rate is exactly the
# baseline moved by the trend, so the shared trend can be read off it number for number.
ONE_BAND = """\
[contract]
name = "One band"
start_date = 2020-01-01
length_months = 36
followup_months = 12
waiting_months = 6

[cohorts]
entrants_per_period = 400

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0

[intervention.effect.binary]
mean = 0.05
sd = 0.05
min = -0.2
max = 0.5

[intervention.costs]
setup = 50000
fixed_per_month = 20000
per_participant = 100

[[payments]]
type = "fee"
name = "Fee"
annual = 200000
per_participant = 150
"""

OWNER = """\
[owner]
name = "Test owner"
reserves = 200000
credit_limit = 100000
credit_rate = 0.06
cost_of_capital = 0.1
overheads = 0.05
"""


def write(folder: Path, text: str, name: str = "portfolio.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def portfolio_text(areas: list[tuple[str, str, list[str]]], *, trend: str = "",
                   owner: str = OWNER, name: str = "Test portfolio") -> str:
    out = f'[portfolio]\nname = "{name}"\n\n{owner}\n'
    if trend:
        out += f"[trend]\n{trend}\n"
    for area, spec, sets in areas:
        out += f'\n[[areas]]\nname = "{area}"\nspec = "{spec}"\nset = {json.dumps(sets)}\n'
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("portfolios")
    write(d, ONE_BAND, "one_band.toml")
    # B is shorter and has fewer cohorts: it reads the first 8 periods of the trend and its
    # cash ends earlier (padded with zeros in the owner's total)
    write(d, portfolio_text([("A", "one_band.toml", []),
                             ("B", "one_band.toml", ["contract.length_months=24",
                                                     "cohorts.entrants_per_period=250"])],
                            trend="binary_logit_sd = 0.2\nfrequency_log_sd = 0.1"), "pair.toml")
    return d


@pytest.fixture(scope="module")
def pair(folder):
    return load_portfolio(folder / "pair.toml")


@pytest.fixture(scope="module")
def pair_run(pair):
    return run_portfolio(pair, sims=2500, seed=11)


@pytest.fixture(scope="module")
def bundled_run():
    return run_portfolio(BUNDLED, sims=2048, seed=5)


def cf_rate(result) -> pd.Series:
    """Counterfactual binary rate per (sim, cohort)."""
    c = result.cohorts
    return c["counterfactual_reoffenders"] / c["entrants"]


def pooled_cf_rate(result) -> np.ndarray:
    c = result.cohorts.groupby(level="sim")[["counterfactual_reoffenders", "entrants"]].sum()
    return (c["counterfactual_reoffenders"] / c["entrants"]).to_numpy()


# -- the shared trend -------------------------------------------------------------------------

def test_every_area_reads_the_same_trend_and_a_shorter_area_its_first_periods(pair_run):
    a, b = (x.result for x in pair_run.areas)
    assert a.timeline.n_cohorts == 12 and b.timeline.n_cohorts == 8
    ra, rb = cf_rate(a).unstack(), cf_rate(b).unstack()
    np.testing.assert_allclose(rb.to_numpy(), ra.to_numpy()[:, :8], rtol=1e-12)
    assert ra.std(axis=0).min() > 0.01  # the trend moves, and moves both areas
    # everything else is the area's own
    assert not np.array_equal(a.cohorts["entrants"].unstack().to_numpy()[:, :8],
                              b.cohorts["entrants"].unstack().to_numpy())
    assert not np.array_equal(a.simulations["effect_binary"], b.simulations["effect_binary"])


def test_areas_share_the_years_before_the_contract(folder):
    # [[trend.before]] and the step correlation flow through the portfolio's one national
    # draw: both areas read the same walk, pre-contract steps included, simulation by
    # simulation; at cohort 1 its mean is the pre-contract drift plus one contract step
    before = ("correlation = -0.5\nbinary_logit_sd = 0.05\nfrequency_log_sd = 0.05\n"
              "binary_logit_drift = -0.01\n[[trend.before]]\nperiods = 16\n"
              "binary_logit_drift = -0.02\nbinary_logit_sd = 0.03\n")
    path = write(folder, portfolio_text([("A", "one_band.toml", []),
                                         ("B", "one_band.toml", ["contract.length_months=24"])],
                                        trend=before), "before.toml")
    loaded = load_portfolio(path)
    assert loaded.trend.periods_before == 16 and loaded.trend.correlation == -0.5
    assert all(a.spec.spec.trend == loaded.trend for a in loaded.areas)
    sims = 2000
    run = run_portfolio(loaded, sims=sims, seed=4)
    a, b = (x.result for x in run.areas)
    ra, rb = cf_rate(a).unstack().to_numpy(), cf_rate(b).unstack().to_numpy()
    np.testing.assert_allclose(rb, ra[:, :8], rtol=1e-12)
    walk = np.log(ra[:, 0] / (1 - ra[:, 0])) - np.log(0.4 / 0.6)  # one band: the walk itself
    mean, sd = 16 * -0.02 - 0.01, np.sqrt(16 * 0.03**2 + 0.05**2)
    assert abs(walk.mean() - mean) < 4 * sd / np.sqrt(sims)
    assert abs(walk.std(ddof=1) - sd) < 4 * sd / np.sqrt(2 * (sims - 1))


def two_tr_areas(folder: Path, trend: str) -> Path:
    return write(folder, portfolio_text(
        [("North", "tr-crc-example", ["cohorts.entrants_per_period=3000"]),
         ("South", "tr-crc-example", ["cohorts.entrants_per_period=2000",
                                      "population.bands.0.binary_rate=0.22"])],
        trend=trend), "two_tr.toml")


@pytest.mark.parametrize("sd, shared", [(0.15, True), (0.0, False)])
def test_areas_move_together_through_the_trend_and_only_through_it(tmp_path, sd, shared):
    sims = 2048
    run = run_portfolio(two_tr_areas(tmp_path, f"binary_logit_sd = {sd}"), sims=sims, seed=3)
    north, south = (pooled_cf_rate(a.result) for a in run.areas)
    r = np.corrcoef(north, south)[0, 1]
    if shared:
        assert r > 0.95
    else:
        # no trend: the areas' counterfactual rates vary with their own risk mix only, so
        # independent: the correlation is within 4 standard errors (1/sqrt(n)) of 0
        assert abs(r) < 4 / np.sqrt(sims)


def test_simulate_outcomes_uses_a_given_trend_and_checks_its_shape():
    spec = load_spec("tr-crc-example").spec
    C = spec.contract.cohorts
    trend = draw_trend(Sampler(np.random.default_rng(1)), spec.trend.model_copy(
        update={"binary_logit_sd": 0.5}), 64, C)
    out = simulate_outcomes(spec, Sampler(np.random.default_rng(2)), 64, trend=trend)
    np.testing.assert_array_equal(out.trend_logit, trend[0])
    np.testing.assert_array_equal(out.trend_log_frequency, trend[1])
    with pytest.raises(ValueError, match="n_cohorts"):
        simulate_outcomes(spec, Sampler(np.random.default_rng(2)), 64,
                          trend=(trend[0][:, :3], trend[1][:, :3]))


def test_no_trend_given_draws_as_before():
    spec = load_spec("tr-crc-example").spec
    plain = simulate_outcomes(spec, Sampler(np.random.default_rng(9)), 32)
    keyword = simulate_outcomes(spec, Sampler(np.random.default_rng(9)), 32, trend=None)
    np.testing.assert_array_equal(plain.treated.reoffences, keyword.treated.reoffences)
    np.testing.assert_array_equal(plain.trend_logit, keyword.trend_logit)


# -- the owner's cash ------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["pair", "bundled"])
def test_owner_flows_are_the_sum_of_the_areas_exactly(which, pair_run, bundled_run):
    run = pair_run if which == "pair" else bundled_run
    owner = run.portfolio.owner
    n_months = run.flows.income.shape[1]
    assert n_months == max(a.result.timeline.n_months for a in run.areas)
    for name in ("income", "direct_cost", "overheads"):
        total = np.zeros((run.sims, n_months))
        for area, loaded in zip(run.areas, run.portfolio.areas):
            part = getattr(owner_flows(loaded, area.result, owner), name)
            total[:, : part.shape[1]] += part
        np.testing.assert_array_equal(getattr(run.flows, name), total)
    fig = capital_figures(run.flows.income, run.flows.cash_out, owner)
    np.testing.assert_array_equal(run.owner.figures.peak_funding, fig.peak_funding)
    np.testing.assert_array_equal(run.owner.figures.net_after_financing, fig.net_after_financing)


def test_without_a_supply_chain_the_owner_gets_each_areas_cash_and_adds_its_overheads(pair_run):
    owner = pair_run.portfolio.owner
    cash_in = np.zeros_like(pair_run.flows.income)
    cost = np.zeros_like(cash_in)
    for a in pair_run.areas:
        m = a.result.timeline.n_months
        cash_in[:, :m] += a.result.cash_in
        cost[:, :m] += a.result.cash_out
    assert pair_run.areas[1].result.timeline.n_months < cash_in.shape[1]  # padding exercised
    np.testing.assert_allclose(pair_run.flows.income, cash_in, rtol=1e-12, atol=1e-6)
    np.testing.assert_array_equal(pair_run.flows.direct_cost, cost)
    np.testing.assert_allclose(pair_run.flows.overheads, owner.overheads * cost, rtol=1e-12)


def test_with_a_supply_chain_the_owner_holds_the_primes_seat(bundled_run):
    spec = bundled_run.portfolio.areas[0].spec.spec
    prime_share = 1 - sum(s.share for s in spec.supply_chain)
    area = bundled_run.areas[0]
    assert area.party.seat.profile.share == pytest.approx(prime_share)
    assert bundled_run.to_dict()["areas"][0]["owner_share"] == pytest.approx(prime_share)
    # the prime pays its subcontractors: it keeps less than the contract's income
    assert area.party.figures.revenue.mean() < area.result.cash_in.sum(axis=1).mean()


def test_combine_pads_shorter_areas_with_zeros(pair_run):
    flows = [owner_flows(lp, a.result, pair_run.portfolio.owner)
             for lp, a in zip(pair_run.portfolio.areas, pair_run.areas)]
    last = max(f.income.shape[1] for f in flows)
    total = combine(flows, pair_run.flows.seat, last + 6)
    assert total.income.shape == (pair_run.sims, last + 6)
    assert not total.income[:, last:].any()
    np.testing.assert_array_equal(total.income[:, :last], pair_run.flows.income)


# -- numbers fixed by portfolio and seed only -------------------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 1024, 3000, 100_000])
def test_chunk_size_changes_no_number(pair, pair_run, chunk_size):
    run = run_portfolio(pair, sims=2500, seed=11, chunk_size=chunk_size)
    for a, ref in zip(run.areas, pair_run.areas):
        pd.testing.assert_frame_equal(a.result.simulations, ref.result.simulations,
                                      check_exact=True)
        pd.testing.assert_frame_equal(a.result.cohorts, ref.result.cohorts, check_exact=True)
        np.testing.assert_array_equal(a.result.cash_in, ref.result.cash_in)
    np.testing.assert_array_equal(run.flows.income, pair_run.flows.income)
    np.testing.assert_array_equal(run.flows.cash_out, pair_run.flows.cash_out)
    assert run.to_dict() == pair_run.to_dict()


def test_chunk_size_changes_no_number_in_the_bundled_portfolio(bundled_run):
    run = run_portfolio(BUNDLED, sims=2048, seed=5, chunk_size=1024)
    assert dumps(run.to_dict()) == dumps(bundled_run.to_dict())
    np.testing.assert_array_equal(run.flows.income, bundled_run.flows.income)


def test_a_run_is_the_start_of_any_longer_run(pair, pair_run):
    longer = run_portfolio(pair, sims=3100, seed=11)
    for a, ref in zip(longer.areas, pair_run.areas):
        pd.testing.assert_frame_equal(a.result.simulations.iloc[:2500], ref.result.simulations,
                                      check_exact=True)
    np.testing.assert_array_equal(longer.flows.income[:2500], pair_run.flows.income)


def test_a_different_seed_gives_different_numbers(pair, pair_run):
    other = run_portfolio(pair, sims=2500, seed=12)
    assert not np.array_equal(other.flows.income, pair_run.flows.income)


def test_progress_is_reported_per_chunk(pair):
    seen = []
    run_portfolio(pair, sims=2500, seed=11, chunk_size=1024,
                  progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1024, 2500), (2048, 2500), (2500, 2500)]


def test_run_arguments_are_checked(pair):
    with pytest.raises(InputError, match="sims"):
        run_portfolio(pair, sims=0)
    with pytest.raises(InputError, match="volume_shock"):
        run_portfolio(pair, sims=10, volume_shock=1.0)


def test_volume_shock_cuts_every_areas_entrants(pair, pair_run):
    shocked = run_portfolio(pair, sims=2500, seed=11, volume_shock=0.3)
    for a, ref in zip(shocked.areas, pair_run.areas):
        ratio = a.result.simulations["entrants"].mean() / ref.result.simulations["entrants"].mean()
        assert ratio == pytest.approx(0.7, rel=0.01)
        assert a.result.volume_shock == 0.3
    assert shocked.to_dict()["volume_shock"] == 0.3


# -- one area: the portfolio is that area ------------------------------------------------------

def within(a: np.ndarray, b: np.ndarray, k: float = 4.0) -> bool:
    """Means of two independent samples agree within ``k`` standard errors."""
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) <= k * se + 1e-9


@pytest.mark.slow
def test_a_one_area_portfolio_is_that_area(tmp_path):
    sims = 4096
    # the owner's finances as the spec's own [provider], so `pbr capital`'s prime matches
    finance = ["provider.reserves=20000000", "provider.credit_limit=50000000",
               "provider.credit_rate=0.05", "provider.cost_of_capital=0.08",
               "provider.overheads=0.02"]
    path = write(tmp_path, portfolio_text([("Only", "tr-crc-example", finance)],
                                          owner='[owner]\nprofile = "national-prime"\n'))
    run = run_portfolio(path, sims=sims, seed=21)
    area = run.areas[0]
    # exactly: the owner's combined figures are the one area's
    assert run.owner.summary == area.summary
    assert run.diversification["peak_funding_p95"]["saving"] == 0
    assert run.diversification["mean_saving"] == 0
    # in distribution: the area matches the contract run on its own (other random streams)
    alone = simulate(load_spec("tr-crc-example", finance), sims=sims, seed=22)
    for column in ("entrants", "outcome", "net", "peak_funding", "binary_rate"):
        assert within(area.result.simulations[column].to_numpy(),
                      alone.simulations[column].to_numpy()), column
    prime = capital(load_spec("tr-crc-example", finance), sims=sims, seed=23).parties[0]
    for name in ("revenue", "net", "peak_funding", "financing_cost", "net_after_financing"):
        assert within(getattr(run.owner.figures, name), getattr(prime.figures, name)), name


# -- diversification ---------------------------------------------------------------------------

def test_the_combined_need_is_below_the_sum_of_the_areas(bundled_run):
    div = bundled_run.diversification
    for q in ("p95", "p99"):
        d = div[f"peak_funding_{q}"]
        assert d["standalone_sum"] == pytest.approx(
            sum(a.summary["peak_funding"][q] for a in bundled_run.areas))
        assert d["combined"] == bundled_run.owner.summary["peak_funding"][q]
        # after financing the saving may be negative: a combined deficit can reach a dearer
        # source than each area alone (docs/finance.md section 7)
        assert d["saving"] == pytest.approx(d["standalone_sum"] - d["combined"])
    # before financing, in every simulation, not only at the percentiles (after financing
    # not surely: the combined deficit can reach a dearer source than each area alone, here
    # the owner's 8% reserves beyond its 5% credit, and with areas moving together under one
    # operating model that can outweigh the netting; docs/finance.md section 7)
    owner = bundled_run.owner.figures
    alone = sum(a.party.figures.peak_funding_before_financing for a in bundled_run.areas)
    assert np.all(owner.peak_funding_before_financing <= alone * (1 + 1e-12) + 1e-6)
    assert div["mean_saving"] > 0


# -- the file ----------------------------------------------------------------------------------

def test_the_bundled_portfolio_is_not_a_contract():
    assert BUNDLED in bundled_portfolios()
    assert BUNDLED not in bundled_contracts()
    p = load_portfolio(BUNDLED)
    assert len(p.areas) == 3 and p.owner.name == "national-prime"
    assert len({a.spec.sha256 for a in p.areas}) == 3


def test_an_areas_trend_is_the_portfolios(pair):
    for a in pair.areas:
        assert a.spec.spec.trend == pair.trend
        assert a.spec.spec.trend.binary_logit_sd == 0.2


def test_without_a_trend_section_the_first_areas_trend_is_shared(tmp_path):
    path = write(tmp_path, portfolio_text(
        [("A", "tr-crc-example", ["trend.binary_logit_sd=0.07"]),
         ("B", "tr-crc-example", ["trend.binary_logit_sd=0.5"])]))
    p = load_portfolio(path)
    assert p.trend.binary_logit_sd == 0.07
    assert [a.spec.spec.trend.binary_logit_sd for a in p.areas] == [0.07, 0.07]


def test_owner_fields_beside_a_profile_override_it(tmp_path):
    path = write(tmp_path, portfolio_text(
        [("A", "tr-crc-example", [])],
        owner='[owner]\nprofile = "national-prime"\nreserves = 60000000\n'))
    owner = load_portfolio(path).owner
    assert owner.reserves == 60_000_000 and owner.credit_limit == 50_000_000


def test_the_hash_covers_figures_not_comments(folder, pair):
    text = (folder / "pair.toml").read_text()
    copy = write(folder, "# a comment\n" + text, "pair_commented.toml")
    assert load_portfolio(copy).sha256 == pair.sha256
    for override in ("owner.reserves=200001", "trend.binary_logit_sd=0.21",
                     'areas.1.set=["cohorts.entrants_per_period=251"]'):
        assert load_portfolio(folder / "pair.toml", [override]).sha256 != pair.sha256


def test_to_dict_is_the_json_object(pair_run):
    d = json.loads(dumps(pair_run.to_dict()))
    assert {*PROVENANCE_KEYS, "owner", "areas", "diversification"} <= set(d)
    assert list(d)[:len(PROVENANCE_KEYS)] == list(PROVENANCE_KEYS)
    assert d["spec_kind"] == "portfolio" and d["contract"] == pair_run.portfolio.name
    assert d["spec_sha256"] == pair_run.portfolio.sha256 and d["seed"] == 11 and d["sims"] == 2500
    assert [a["name"] for a in d["areas"]] == ["A", "B"]
    for a, loaded in zip(d["areas"], pair_run.portfolio.areas):
        assert a["spec_sha256"] == loaded.spec.sha256
        assert {"source", "peak_funding", "capital_required", "prob_insolvent"} <= set(a)
    assert d["owner"]["name"] == "Test owner" and "capital_required" in d["owner"]


def test_the_table_has_a_column_per_area_and_the_owner(bundled_run):
    console = Console(record=True, width=200)
    console.print(portfolio_table(bundled_run))
    text = console.export_text()
    for label in ("Owner (combined)", "Area A (large)", "Area C (small, lower risk)",
                  "Peak funding need P50", "P(runs out of cash)",
                  "Capital for P(out of cash) <= 5%", "Expected net after financing",
                  "Diversification"):
        assert label in text


# -- bad files: path-level errors, all at once -------------------------------------------------

def problems(path: Path, overrides=()) -> str:
    with pytest.raises(SpecError) as info:
        load_portfolio(path, overrides)
    return str(info.value)


def test_missing_area_spec(tmp_path):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", []),
                                           ("B", "no-such-contract", [])]))
    msg = problems(path)
    assert f"{path}: areas.1.spec: no-such-contract: no such file" in msg
    assert "tr-crc-example" in msg  # the bundled contracts are listed


@pytest.mark.parametrize("override, field", [
    ("contract.start_date=2016-04-01", "start_date"),
    ("contract.cohort_months=1", "cohort_months"),
    ("contract.first_cohort_month=0", "first_cohort_month"),
    ('contract.currency="USD"', "currency"),
])
def test_calendar_and_currency_must_match(tmp_path, override, field):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", []),
                                           ("B", "tr-crc-example", [override])]))
    msg = problems(path)
    assert f"{path}: areas.1.spec: contract.{field} differs from areas.0 ('A'" in msg
    assert "areas.1.set" in msg  # names the fix


def test_areas_may_differ_in_number_of_cohorts(tmp_path):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", []),
                                           ("B", "tr-crc-example", ["contract.n_cohorts=10"])]))
    p = load_portfolio(path)
    assert p.n_periods == 25 and p.areas[1].spec.spec.contract.cohorts == 10


def test_unknown_keys_are_errors_with_their_paths(tmp_path):
    text = portfolio_text([("A", "tr-crc-example", [])]).replace(
        'name = "Test portfolio"', 'name = "Test portfolio"\nnmae = "typo"')
    text += "sett = []\n"
    msg = problems(write(tmp_path, text))
    assert "portfolio.nmae: unknown field; allowed here: description, name" in msg
    assert "areas.0.sett: unknown field; allowed here: name, owner, set, spec" in msg


def test_every_problem_is_reported_at_once(tmp_path):
    text = portfolio_text([("A", "tr-crc-example", ["cohorts.nope=1"]),
                           ("A", "nowhere.toml", []),
                           ("C", "tr-crc-example", ["contract.cohort_months=6"])],
                          trend="sd = 0.1", owner='[owner]\nprofile = "no-such-profile"\n')
    path = write(tmp_path, text)
    lines = problems(path).splitlines()
    expected = [f"{path}: owner.profile: no-such-profile: no such file",
                "trend.sd: unknown field",
                f"{path}: areas.1.name: already the name of areas.0; area names must differ "
                "(got 'A')",
                f"{path}: areas.0: tr-crc-example: set: cohorts.nope: unknown field",
                f"{path}: areas.1.spec: nowhere.toml: no such file"]
    for want in expected:
        assert any(want in line for line in lines), (want, lines)
    assert not any("owner.name" in line or "owner.reserves" in line for line in lines)


def test_calendars_are_checked_whatever_else_is_wrong(tmp_path):
    text = portfolio_text([("A", "tr-crc-example", []), ("B", "nowhere.toml", []),
                           ("C", "tr-crc-example", ["contract.cohort_months=6"])])
    msg = problems(write(tmp_path, text.replace('name = "Test portfolio"',
                                                'name = "Test portfolio"\nnmae = 1')))
    assert "portfolio.nmae: unknown field" in msg and "areas.1.spec: nowhere.toml" in msg
    assert "areas.2.spec: contract.cohort_months differs from areas.0 ('A': 3)" in msg


def test_a_bad_override_in_an_area_names_the_area(tmp_path):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", ["no equals sign"])]))
    assert f"{path}: areas.0.set: --set 'no equals sign': expected PATH=VALUE" in problems(path)


def test_an_owner_needs_a_profile_or_its_fields(tmp_path):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", [])],
                                          owner='[owner]\ncredit_limit = 5\n'))
    msg = problems(path)
    assert f"{path}: owner.reserves: required field is missing" in msg
    assert f"{path}: owner.cost_of_capital: required field is missing" in msg


def test_an_owner_holding_part_of_each_area_is_an_error(tmp_path):
    path = write(tmp_path, portfolio_text([("A", "tr-crc-example", [])],
                                          owner='[owner]\nprofile = "national-prime"\n'
                                                'share = 0.5\n'))
    assert "owner: a portfolio's owner is the prime of every area" in problems(path)


def test_an_area_with_a_social_impact_bond_is_an_error(tmp_path):
    sib_contracts = [n for n in bundled_contracts() if load_spec(n).spec.sib is not None]
    if not sib_contracts:
        pytest.skip("no bundled contract has a [sib]")
    path = write(tmp_path, portfolio_text([("A", sib_contracts[0], [])]))
    assert f"{path}: areas.0.spec: has a [sib]" in problems(path)


def test_a_portfolio_needs_an_area(tmp_path):
    text = "areas = []\n" + portfolio_text([])
    assert "areas: List should have at least 1 item" in problems(write(tmp_path, text))


def test_a_missing_portfolio_lists_the_bundled_ones(tmp_path):
    msg = problems(tmp_path / "nope.toml")
    assert "no bundled portfolio of that name" in msg and BUNDLED in msg


def test_every_portfolio_field_has_a_description_and_unit():
    from pbr_model.spec.portfolio import Area, Owner, PortfolioInfo
    for model in (PortfolioFile, PortfolioInfo, Owner, Area):
        for name, field in model.model_fields.items():
            assert field.description, (model.__name__, name)
            assert (field.json_schema_extra or {}).get("unit"), (model.__name__, name)


# -- what one owner's areas share: its operating model and the national volume factor ------------

def shared_text(effect: float, volume: float) -> str:
    return f"[shared]\neffect_correlation = {effect}\nvolume_correlation = {volume}\n"


@pytest.mark.parametrize("effect, volume", [(0.8, 0.8), (0.5, 0.2), (0.0, 0.0)])
def test_areas_share_effects_and_volumes_with_the_set_correlations(tmp_path, effect, volume):
    sims = 4096
    path = write(tmp_path, portfolio_text(
        [("North", "tr-crc-example", ["cohorts.entrants_per_period=3000"]),
         ("South", "tr-crc-example", ["cohorts.entrants_per_period=2000"])],
        owner=OWNER + "\n" + shared_text(effect, volume)))
    run = run_portfolio(path, sims=sims, seed=17)
    north, south = (a.result.simulations for a in run.areas)
    # each pair of areas' standard normals has correlation c, so (normal, no clipping at
    # TR's 5% +/- 4%) the sample correlation's standard error is (1 - c^2) / sqrt(n)
    for column, c in (("effect_binary", effect), ("effect_frequency", effect)):
        r = np.corrcoef(north[column], south[column])[0, 1]
        assert abs(r - c) < 4 * (1 - c**2) / np.sqrt(sims), (column, r)
    for column in ("volume_factor", "paid_volume_factor"):
        r = np.corrcoef(np.log(north[column]), np.log(south[column]))[0, 1]
        assert abs(r - volume) < 4 * (1 - volume**2) / np.sqrt(sims), (column, r)
    assert run.to_dict()["shared"] == {"effect_correlation": effect,
                                       "volume_correlation": volume}


def test_at_correlation_zero_each_area_draws_what_it_drew_alone():
    from pbr_model.outcomes import Shared
    spec = load_spec("tr-crc-example").spec
    z = [np.random.default_rng(4).standard_normal(64) for _ in range(4)]
    own = simulate_outcomes(spec, Sampler(np.random.default_rng(8)), 64)
    zero = simulate_outcomes(spec, Sampler(np.random.default_rng(8)), 64, shared=Shared(*z))
    for name in ("effect_binary", "effect_frequency", "volume_factor", "paid_volume_factor",
                 "paid_volume"):
        np.testing.assert_array_equal(getattr(zero, name), getattr(own, name))
    np.testing.assert_array_equal(zero.treated.reoffences, own.treated.reoffences)


def test_one_owners_shared_risk_shrinks_the_diversification_saving():
    sims = 4096
    together = run_portfolio(BUNDLED, sims=sims, seed=5)
    apart = run_portfolio(load_portfolio(BUNDLED, ["shared.effect_correlation=0",
                                                   "shared.volume_correlation=0"]),
                          sims=sims, seed=5)
    assert together.portfolio.shared.effect_correlation == 0.8  # the documented default
    assert together.portfolio.shared.volume_correlation == 0.8
    shared, independent = (r.diversification["peak_funding_p95"] for r in (together, apart))
    # treating the areas as independent reports most of the saving; one operating model
    # and one national volume factor leave much less of it
    assert shared["saving"] < 0.6 * independent["saving"]
    assert shared["saving_share"] < independent["saving_share"]
    assert together.diversification["mean_saving"] < apart.diversification["mean_saving"]
