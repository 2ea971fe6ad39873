"""pbr breakeven: answers against closed forms, agreement with pbr power, stability, the
search on its own, and the command line's errors and JSON."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from pbr_model.analyses.breakeven import TOLERANCE, Target, Trial, breakeven, parse_target
from pbr_model.analyses.capital import capital
from pbr_model.analyses.power import power
from pbr_model.analyses.simulate import simulate
from pbr_model.errors import InputError
from pbr_model.scenarios import scale_prices, with_budget, with_effect
from pbr_model.search import find_crossing
from pbr_model.spec import validate

SIMS = 400
SEED = 11

SMALL = {
    "contract": {"name": "Two cohorts, binary per person", "start_date": dt.date(2020, 1, 1),
                 "length_months": 6, "n_cohorts": 2},
    "cohorts": {"entrants_per_period": 800, "volume_factor_sd": 0.1},
    "population": {"bands": [{"name": "all", "share": 1.0, "binary_rate": 0.4,
                              "reoffences_per_reoffender": 2.0}]},
    "intervention": {
        "effect": {"binary": {"mean": 0.06, "sd": 0.03}, "frequency": {"mean": 0.06, "sd": 0.03}},
        "costs": {"per_participant": 40, "fixed_per_month": 2000},
        "personal_budget": {"amount": 50.0, "take_up": 0.4}},
    "payments": [{"type": "outcome", "rates": [
        {"measure": "binary", "change": "points", "per": "unit", "price": 4000}]}],
}


def spec_of(**changes):
    data = {**SMALL, **changes}
    return validate(data)


@pytest.fixture(scope="module")
def small():
    return spec_of()


# -- closed forms ---------------------------------------------------------------------------------

def test_personal_budget_is_net_at_zero_over_takers(small):
    """Net falls by the budget times the takers, simulation by simulation, so the expected net
    crosses 0 at E[net at budget 0] / E[takers]; the answer is the largest value that keeps
    the target, within the tolerance below that."""
    net0 = simulate(with_budget(small, 0.0), SIMS, SEED).simulations["net"].to_numpy()
    net1 = simulate(with_budget(small, 1.0), SIMS, SEED).simulations["net"].to_numpy()
    takers = net0 - net1                        # people taking the budget, per simulation
    assert np.all(takers >= 0) and takers.mean() > 0
    root = net0.mean() / takers.mean()
    r = breakeven(small, "personal_budget", sims=SIMS, seed=SEED)
    assert r.status == "solved"
    assert root - TOLERANCE["personal_budget"] - 1e-6 <= r.value <= root + 1e-6
    assert r.bracket[0] <= r.value <= r.bracket[1]
    assert r.bracket[1] - r.bracket[0] <= TOLERANCE["personal_budget"]
    assert r.answer.expected_net >= 0
    assert r.current_value == 50.0
    # context: what the outcome payments alone fund per taker, at the spec as given
    base = simulate(small, SIMS, SEED).simulations
    expected_takers = 0.4 * base["entrants"].mean()
    assert r.context["outcome_per_taker"] == pytest.approx(base["outcome"].mean()
                                                           / expected_takers)
    assert r.context["outcome_per_participant"] == pytest.approx(
        base["outcome"].mean() / base["entrants"].mean())


def test_price_factor_is_analytic_for_one_uncapped_rate(small):
    """One uncapped per-unit rate and no fee: net(k) = k x outcome(1) - cost, so
    k* = E[cost] / E[outcome at k = 1]."""
    known = with_effect(small, 0.06)
    s = simulate(known, SIMS, SEED).simulations
    root = s["cost"].mean() / s["outcome"].mean()
    r = breakeven(known, "price", sims=SIMS, seed=SEED)
    assert r.status == "solved"
    assert root - 1e-9 <= r.value <= root + TOLERANCE["price"] + 1e-9
    assert r.prices == [{"path": "payments.0.rates.0.price", "current": 4000.0,
                         "at_answer": pytest.approx(4000.0 * r.value)}]


def test_price_scaling_is_exact_with_caps_tiers_and_foundation(small):
    """Caps and advances scale with the prices, so every outcome flow scales exactly."""
    payments = [
        {"type": "fee", "per_participant": 20},
        {"type": "outcome", "cap_per_cohort": 30_000, "cap_total": 50_000,
         "foundation": {"per_participant": 5},
         "rates": [{"measure": "binary", "change": "points", "per": "unit", "price": 900,
                    "deduction_price": 300, "pooled_threshold": 1.0},
                   {"measure": "frequency_per_reoffender", "change": "percent", "per": "change",
                    "price": 400}]},
        {"type": "tiered", "measure": "binary", "change": "percent", "cap_total": 8000,
         "tiers": [{"at": 2, "amount": 3000}, {"at": 6, "amount": 7000}]},
    ]
    spec = spec_of(payments=payments)
    scaled, fields = scale_prices(spec, 2.5)
    assert [p for p, _ in fields] == [
        "payments.1.rates.0.price", "payments.1.rates.0.deduction_price",
        "payments.1.rates.1.price", "payments.1.rates.1.deduction_price",
        "payments.1.foundation.per_participant", "payments.1.cap_per_cohort",
        "payments.1.cap_total", "payments.2.tiers.0.amount", "payments.2.tiers.1.amount",
        "payments.2.cap_total"]
    one, k = simulate(spec, 300, SEED), simulate(scaled, 300, SEED)
    assert np.allclose(k.outcome_in, 2.5 * one.outcome_in, rtol=1e-12, atol=1e-6)
    assert np.allclose(k.cash_in - k.outcome_in, one.cash_in - one.outcome_in)
    assert scaled.payments[0] == spec.payments[0]          # fees are not prices


# -- agreement with pbr power ---------------------------------------------------------------------

def test_effect_agrees_with_power_on_the_same_seed(small):
    grid = [round(x, 2) for x in np.arange(0.0, 0.151, 0.01)]
    p = power(small, grid, sims=SIMS, seed=SEED)
    r = breakeven(small, "effect", sims=SIMS, seed=SEED)
    assert p.break_even_effect is not None and r.status == "solved"
    step = 0.01
    assert abs(r.value - p.break_even_effect) <= step
    assert p.break_even_on_grid - step <= r.value <= p.break_even_on_grid + 1e-12
    assert r.bracket[1] - r.bracket[0] <= TOLERANCE["effect"]
    assert r.current_value == 0.06      # the spec's binary mean, reported for context


# -- stability ------------------------------------------------------------------------------------

def test_same_seed_same_answer_and_chunking_changes_nothing(small):
    a = breakeven(small, "price", "prob-loss=0.3", sims=1500, seed=SEED)
    b = breakeven(small, "price", "prob-loss=0.3", sims=1500, seed=SEED, chunk_size=1024)
    c = breakeven(small, "price", "prob-loss=0.3", sims=1500, seed=SEED)
    assert a.value == b.value == c.value
    assert [t.x for t in a.trace] == [t.x for t in b.trace]
    assert a.to_dict()["at_answer"] == b.to_dict()["at_answer"]


def test_prob_loss_target_is_met_at_the_answer_and_fails_across_the_bracket(small):
    r = breakeven(small, "personal_budget", "prob-loss=0.25", sims=SIMS, seed=SEED)
    assert r.status == "solved" and r.target == Target("prob-loss", 0.25)
    assert r.answer.prob_loss <= 0.25
    other = next(t for t in r.trace if t.x == r.bracket[1])   # the failing end, above
    assert other.prob_loss > 0.25
    assert r.answer.se_prob == pytest.approx(np.sqrt(r.answer.prob_loss
                                                     * (1 - r.answer.prob_loss) / SIMS))
    assert r.to_dict()["at_answer"]["se"] == r.answer.se_prob


def test_provider_objective_is_its_net_after_financing(small):
    r = breakeven(small, "personal_budget", provider="national-prime", sims=300, seed=SEED)
    assert r.status == "solved" and r.provider.name
    seat = capital(with_budget(small, r.value), ["national-prime"], 300, SEED).parties[0]
    assert seat.figures.net_after_financing.mean() == pytest.approx(r.answer.expected_net)
    assert r.to_dict()["objective"] == "net_after_financing"


# -- edges: not reached, at a bound, nothing to solve ---------------------------------------------

def test_not_reached_is_a_result_not_an_error(small):
    costly = small.model_copy(update={"intervention": small.intervention.model_copy(update={
        "costs": small.intervention.costs.model_copy(update={"per_participant": 1e6})})})
    r = breakeven(costly, "effect", sims=200, seed=SEED)
    assert r.status == "not_reached" and r.value is None
    assert r.answer.x == 0.9 and r.answer.expected_net < 0      # the best value tried
    assert r.to_dict()["value"] is None


def test_target_met_everywhere_returns_the_range_end():
    spec = spec_of(payments=[{"type": "fee", "per_participant": 1000},
                             SMALL["payments"][0]])
    r = breakeven(spec, "price", sims=200, seed=SEED)
    assert r.status == "at_bound" and r.value == 0.0     # the fee alone covers the costs


def test_budget_nobody_takes_up_names_the_fix(small):
    none = small.model_copy(update={"intervention": small.intervention.model_copy(update={
        "personal_budget": small.intervention.personal_budget.model_copy(
            update={"take_up": 0.0})})})
    with pytest.raises(InputError, match=r"--set intervention\.personal_budget\.take_up="):
        breakeven(none, "personal_budget", sims=100)


def test_price_needs_an_outcome_mechanism():
    spec = spec_of(payments=[{"type": "fee", "per_participant": 10}])
    with pytest.raises(InputError, match="--solve price: .*no outcome or tiered"):
        breakeven(spec, "price", sims=100)


@pytest.mark.parametrize("text, expected", [
    ("expected-net", Target()), ("prob-loss=0.2", Target("prob-loss", 0.2)),
    (" PROB_LOSS=0.05 ", Target("prob-loss", 0.05)),
])
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["prob-loss=0", "prob-loss=1", "prob-loss=x", "prob-loss",
                                  "median", "prob-loss=nan"])
def test_bad_target(text):
    with pytest.raises(InputError, match=r"^target: expected 'expected-net' or 'prob-loss=P'"):
        parse_target(text)


# -- the search on its own ------------------------------------------------------------------------

def _fake(f):
    calls = []

    def evaluate(x):
        calls.append(x)
        return Trial(x, f(x), 0.0, 0.0, 0.0, 1)
    return evaluate, calls


def _search(evaluate, start, lo, hi, rising, tol=1e-4):
    """The search as breakeven runs it, on the expected-net target."""
    goal = Target()
    return find_crossing(evaluate, lambda t: t.margin(goal), start=start, lo=lo, hi=hi,
                         rising=rising, tol=tol, rank=lambda t: (t.margin(goal), t.expected_net))


@pytest.mark.parametrize("rising", [True, False])
def test_search_finds_a_step_to_the_tolerance(rising):
    """A step function (as a cap or P(loss) makes): the crossing is bracketed to the tolerance
    and the answer is the end where the target holds."""
    jump = 0.3141
    f = (lambda x: 1.0 if x >= jump else -2.0) if rising else (lambda x: 1.0 if x <= jump
                                                                 else -2.0)
    evaluate, calls = _fake(f)
    s = _search(evaluate, 0.05, -0.5, 0.9, rising)
    assert s.status == "solved" and s.bracket[1] - s.bracket[0] <= 1e-4
    assert s.bracket[0] <= jump <= s.bracket[1]
    assert f(s.answer.x) >= 0
    assert len(calls) <= 2 + 2 * 15        # never worse than twice bisection


def test_search_is_fast_on_a_straight_line():
    evaluate, calls = _fake(lambda k: 3.0 * k - 1.0)
    s = _search(evaluate, 1.0, 0.0, 100.0, True)
    assert 1 / 3 <= s.answer.x <= 1 / 3 + 1e-4
    assert len(calls) <= 5


def test_search_edges():
    assert _search(_fake(lambda x: -1.0)[0], 0.05, -0.5, 0.9, True).status == "not_reached"
    s = _search(_fake(lambda x: 1.0)[0], 0.05, -0.5, 0.9, True)
    assert s.status == "at_bound" and s.answer.x == -0.5


# -- the command line -----------------------------------------------------------------------------

def test_cli_json_parses(cli):
    result = cli.run("breakeven", "tr-crc-example", "--solve", "price", "--sims", "300",
                 "--target", "prob-loss=0.3", "--json")
    cli.ok(result)
    data = json.loads(result.stdout)
    assert data["solve"] == "price" and data["status"] == "solved"
    assert data["target"] == {"name": "prob-loss=0.3", "kind": "prob-loss", "prob_loss": 0.3,
                              "label": "P(loss) <= 0.3"}
    assert data["at_answer"]["prob_loss"] <= 0.3
    assert len(data["spec_sha256"]) == 64 and data["sims"] == 300 and data["seed"]
    assert data["prices"] and all(p["path"].startswith("payments.") for p in data["prices"])
    assert data["steps"] >= 1 and len(data["trace"]) == data["trials"]


def test_cli_screen_and_not_reached_exits_0(cli):
    result = cli.run("breakeven", "tr-crc-example", "--solve", "personal-budget",
                 "--sims", "300")
    cli.ok(result)
    assert "Answer:" in result.stdout and "per budget taker" in result.stdout
    result = cli.run("breakeven", "tr-crc-example", "--solve", "effect", "--sims", "200",
                 "--set", "intervention.costs.per_participant=100000")
    cli.ok(result)
    assert "Not reached" in result.stdout


def test_cli_bad_solve_target_and_provider_at_once(cli):
    result = cli.run("breakeven", "--solve", "budget", "--target", "prob-loss=2",
                 "--provider", "no-such-provider", "--sims", "100")
    errors = cli.error(result, "--solve: one of effect, personal_budget, price (got 'budget')",
                          "--target: expected 'expected-net' or 'prob-loss=P'", "'prob-loss=2'",
                          "--provider no-such-provider", "pbr providers", lines=3)
    assert errors


@pytest.mark.parametrize("args, fragment", [
    ([], "--solve: required; one of effect, personal_budget, price"),
    (["--solve", "effect", "--volume-shock", "1.5"], "--volume-shock"),
    (["--solve", "personal_budget", "--set", "intervention.personal_budget.take_up=0"],
     "--set intervention.personal_budget.take_up="),
])
def test_cli_input_errors(cli, args, fragment):
    cli.error(cli.run("breakeven", "tr-crc-example", "--sims", "100", *args),
                 fragment, lines=1)
