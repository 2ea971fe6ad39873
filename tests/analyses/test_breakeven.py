"""pbr breakeven: answers against closed forms, agreement with pbr power, stability, the
search on its own, and the command line's errors and JSON."""

from __future__ import annotations

import datetime as dt
import math
import json

import numpy as np
import pytest

from pbr_model.analyses.breakeven import (TOLERANCE, Target, Trial, breakeven, parse_target,
                                          precision, rounded)
from pbr_model.analyses.capital import capital
from pbr_model.analyses.power import power
from pbr_model.analyses.simulate import simulate
from pbr_model.errors import InputError
from pbr_model.scenarios import scale_fees, scale_prices, with_budget, with_effect
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


def test_cli_fee_solve_screen_and_json(cli):
    result = cli.run("breakeven", "tr-crc-example", "--solve", "fee", "--fees",
                     "per-participant", "--sims", "300")
    cli.ok(result)
    assert "Fees at the answer" in result.stdout and "payments.0.per_participant" in result.stdout
    assert "payments.0.annual" not in result.stdout
    result = cli.run("breakeven", "tr-crc-example", "--solve", "fee", "-p", "small-charity",
                     "--share", "0.2", "--fee-share", "0.9", "--sims", "300", "--json")
    cli.ok(result)
    d = json.loads(result.stdout)
    assert d["solve"] == "fee" and d["fees"] == "both" and d["provider"] == "small-charity"
    assert d["standard_error"] > 0 and d["shown_bracket"][0] <= d["shown"] <= d["shown_bracket"][1]
    assert d["bracket"][0] <= d["value"] <= d["bracket"][1]


def test_cli_bad_solve_target_and_provider_at_once(cli):
    result = cli.run("breakeven", "--solve", "budget", "--target", "prob-loss=2",
                 "--provider", "no-such-provider", "--sims", "100")
    errors = cli.error(result, "--solve: one of effect, personal_budget, price, fee (got 'budget')",
                          "--target: expected 'expected-net' or 'prob-loss=P'", "'prob-loss=2'",
                          "--provider no-such-provider", "pbr providers", lines=3)
    assert errors


@pytest.mark.parametrize("args, fragment", [
    ([], "--solve: required; one of effect, personal_budget, price, fee"),
    (["--solve", "effect", "--volume-shock", "1.5"], "--volume-shock"),
    (["--solve", "personal_budget", "--set", "intervention.personal_budget.take_up=0"],
     "--set intervention.personal_budget.take_up="),
    (["--solve", "price", "--fees", "annual"], "--fees: only with --solve fee"),
    (["--solve", "fee", "--fees", "monthly"], "--fees: one of both, annual, per_participant"),
    (["--solve", "fee", "--fee-share", "0.5"], "--fee-share: apply to --provider seats"),
    (["--solve", "fee", "-p", "small-charity", "--fee-share", "2"],
     "--fee-share: must be a share from 0 to 1 (got 2.0)"),
    (["--solve", "fee", "--set", "payments.0.annual=0", "--fees", "annual"],
     "--solve fee: the spec has no fee mechanism with an annual fee"),
])
def test_cli_input_errors(cli, args, fragment):
    cli.error(cli.run("breakeven", "tr-crc-example", "--sims", "100", *args),
                 fragment, lines=1)


# -- the fee ---------------------------------------------------------------------------------------

FEES = [{"type": "fee", "annual": 12_000, "per_participant": 30}, SMALL["payments"][0]]


@pytest.fixture(scope="module")
def with_fees():
    # costs the outcome payments alone do not cover, so the fees must
    costs = {"per_participant": 120, "fixed_per_month": 2000}
    return spec_of(payments=FEES, intervention={**SMALL["intervention"], "costs": costs})


def test_net_is_linear_in_the_fee_factor_simulation_by_simulation(with_fees):
    """Fees do not depend on outcomes, so on common random numbers every simulation's net
    is net(0) + k (net(1) - net(0)); only the fee levels move."""
    nets = {k: simulate(scale_fees(with_fees, k)[0], SIMS, SEED).simulations["net"].to_numpy()
            for k in (0.0, 1.0, 2.5)}
    line = nets[0.0] + 2.5 * (nets[1.0] - nets[0.0])
    assert np.allclose(nets[2.5], line, rtol=1e-12, atol=1e-6)
    assert np.all(nets[1.0] > nets[0.0])
    scaled, fields = scale_fees(with_fees, 2.5, "annual")
    assert fields == [("payments.0.annual", 12_000.0)]
    assert scaled.payments[0].annual == 30_000 and scaled.payments[0].per_participant == 30
    assert scaled.payments[1] == with_fees.payments[1]        # outcome prices stay


@pytest.mark.parametrize("fees", ["both", "annual", "per_participant"])
def test_fee_factor_is_the_root_of_the_line(with_fees, fees):
    """k* = -E[net(0)] / E[net(1) - net(0)], with net(0) the contract without the fees named;
    the answer's standard error is the net's over that slope."""
    net1 = simulate(with_fees, SIMS, SEED).simulations["net"].to_numpy()
    net0 = simulate(scale_fees(with_fees, 0.0, fees)[0], SIMS, SEED).simulations["net"].to_numpy()
    slope = (net1 - net0).mean()
    root = -net0.mean() / slope
    r = breakeven(with_fees, "fee", sims=SIMS, seed=SEED, fees=fees)
    assert r.status == "solved" and r.fees == fees
    assert root - 1e-9 <= r.value <= root + TOLERANCE["fee"] + 1e-9
    assert r.slope == pytest.approx(slope, rel=1e-9)
    assert r.standard_error == pytest.approx(r.answer.se_net / slope, rel=1e-9)
    paths = {"both": ["payments.0.annual", "payments.0.per_participant"],
             "annual": ["payments.0.annual"], "per_participant": ["payments.0.per_participant"]}
    assert [p["path"] for p in r.prices] == paths[fees]
    for p in r.prices:
        assert p["at_answer"] == pytest.approx(p["current"] * r.value)
    # the line is read off two runs: every trial agrees with a run at that factor
    check = simulate(scale_fees(with_fees, r.value, fees)[0], SIMS, SEED).simulations["net"]
    assert check.mean() == pytest.approx(r.answer.expected_net, abs=1e-6 * abs(slope))


def test_fee_with_a_provider_runs_each_trial_and_reads_its_seat_terms(with_fees):
    r = breakeven(with_fees, "fee", provider="national-prime", sims=300, seed=SEED,
                  share=0.5, fee_share=0.8)
    assert r.status == "solved" and r.provider.share == 0.5 and r.provider.fee_share == 0.8
    seat = capital(scale_fees(with_fees, r.value)[0], ["national-prime"], 300, SEED,
                   share=0.5, fee_share=0.8).parties[0]
    assert seat.figures.net_after_financing.mean() == pytest.approx(r.answer.expected_net)
    # a smaller fee share needs a larger factor
    more = breakeven(with_fees, "fee", provider="national-prime", sims=300, seed=SEED,
                     share=0.5, fee_share=0.6)
    assert more.value > r.value


def test_fee_needs_a_fee_to_scale(small):
    with pytest.raises(InputError, match=r"--solve fee: .*no fee mechanism with an annual fee"):
        breakeven(spec_of(payments=[{"type": "fee", "per_participant": 10},
                                    SMALL["payments"][0]]), "fee", fees="annual", sims=100)
    with pytest.raises(InputError, match=r"fees: only with solve='fee'"):
        breakeven(small, "price", fees="annual", sims=100)
    with pytest.raises(InputError, match=r"fees: one of both, annual, per_participant"):
        breakeven(small, "fee", fees="monthly", sims=100)
    with pytest.raises(InputError, match=r"fee_share: apply to provider seats"):
        breakeven(small, "fee", fee_share=0.5, sims=100)


# -- the answer's standard error and rounding -------------------------------------------------

@pytest.mark.parametrize("se, tol, step", [(0.0034, 1e-4, 1e-4), (0.034, 1e-4, 1e-3),
                                           (123.0, 1.0, 10.0), (None, 1e-4, 1e-4),
                                           (2e-7, 1e-4, 1e-4), (0.0, 1.0, 1.0)])
def test_precision_is_two_significant_figures_of_the_se(se, tol, step):
    assert precision(se, tol) == pytest.approx(step)


def test_rounded_bracket_holds_the_rounded_answer():
    for lo, hi, x, step in [(0.05231, 0.05240, 0.05240, 1e-3), (1.23449, 1.23456, 1.23456, 1e-4),
                            (0.0523, 0.0524, 0.0524, 1e-4), (996.2, 997.1, 996.2, 10.0)]:
        shown = rounded(x, step)
        assert rounded(lo, step, "down") <= shown <= rounded(hi, step, "up")


def test_answer_se_is_the_objective_se_over_the_slope(small):
    r = breakeven(small, "effect", sims=SIMS, seed=SEED)
    a, b = sorted((t for t in r.trace if t.x in (r.value - 0.005, r.value + 0.005)),
                  key=lambda t: t.x)
    slope = (b.expected_net - a.expected_net) / 0.01
    assert r.slope == pytest.approx(slope) and slope > 0
    assert r.standard_error == pytest.approx(r.answer.se_net / slope)
    assert r.step == precision(r.standard_error, TOLERANCE["effect"])
    d = r.to_dict()
    assert d["value"] == r.value and d["standard_error"] == r.standard_error
    assert d["shown"] == rounded(r.value, r.step)
    assert d["shown_bracket"][0] <= d["shown"] <= d["shown_bracket"][1]


def _read(text: str) -> float:
    """A value as the screen writes it: '2.30%', 'x0.9512', '£1,234', '£1.23m'."""
    t = text.strip().rstrip(".,;").replace(",", "")
    for sym in ("£", "$", "€", "x"):
        t = t.replace(sym, "")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    elif t.endswith("bn"):
        t, scale = t[:-2], 1e9
    elif t.endswith("m"):
        t, scale = t[:-1], 1e6
    return float(t) * scale


BUNDLED = ["tr-crc-example", "peterborough-sib", "doncaster-pbr", "nyc-able-sib",
           "nys-ceo-pfs", "ma-roca-pfs"]


@pytest.mark.slow
@pytest.mark.parametrize("contract", BUNDLED)
def test_the_screen_answer_lies_inside_the_screen_bracket(cli, contract):
    """For every solve a bundled contract allows, the answer as printed lies inside the
    bracket as printed (the answer rounded to its s.e., the bracket rounded outward)."""
    import re
    solved = 0
    for solve in ("effect", "personal_budget", "price", "fee"):
        result = cli.run("breakeven", contract, "--solve", solve, "--sims", "200")
        if result.exit_code == 2:       # nothing to solve for on this contract
            continue
        cli.ok(result)
        text = " ".join(result.stdout.split())
        m = re.search(r"Answer: (\S+) .*?bracket (\S+) to (\S+) after", text)
        if m is None:                   # at a bound or not reached: no bracket
            continue
        x, lo, hi = (_read(g) for g in m.groups())
        assert lo <= x <= hi, (solve, m.group(0))
        solved += 1
    assert solved >= 2


def test_fee_line_is_checked_at_the_answer(with_fees, monkeypatch):
    """Were the net ever not linear in the fee factor, the run at the answer catches it and
    every trial is run: here a stand-in scaler puts k squared on the fees."""
    import pbr_model.analyses.breakeven_problem as module   # where a trial's spec is made
    real = module.scale_fees
    monkeypatch.setattr(module, "scale_fees", lambda spec, k, parts="both":
                        (real(spec, k * k, parts)[0], real(spec, 1.0, parts)[1]))
    net1 = simulate(with_fees, SIMS, SEED).simulations["net"].to_numpy()
    net0 = simulate(real(with_fees, 0.0)[0], SIMS, SEED).simulations["net"].to_numpy()
    root = math.sqrt(-net0.mean() / (net1 - net0).mean())      # k^2 at the linear root
    r = breakeven(with_fees, "fee", sims=SIMS, seed=SEED)
    assert r.status == "solved"
    assert root - 1e-9 <= r.value <= root + TOLERANCE["fee"] + 1e-9
    assert len({t.x for t in r.trace}) == len(r.trace)         # the trace is the second search
