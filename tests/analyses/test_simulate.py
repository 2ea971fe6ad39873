"""simulate() end to end on the bundled contract ``tr-crc-example``: the result tables
hang together, cash is conserved, and the Monte Carlo is centred where theory says."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_model import load_spec, simulate
from pbr_model.stats import PERCENTILES

SIMS = 2000
ROUNDING = 1e-9
SIM_COLUMNS = [
    "entrants", "paid_volume", "reoffenders", "reoffences", "binary_rate",
    "comparison_binary_rate", "binary_reduction_points", "frequency", "reoffences_avoided",
    "pv_reoffences_avoided", "pv_paid", "pv_outcome_paid", "effect_binary", "effect_frequency", "volume_factor", "paid_volume_factor", "fee", "outcome",
    "pooled_payment", "renegotiation", "renegotiated", "triggered",
    "binary_change_points", "frequency_per_reoffender_change_absolute", "revenue", "cost", "net", "npv", "min_cash",
    "peak_funding", "peak_month", "peak_funding_before_financing",
    "peak_month_before_financing", "insolvent",
    "first_shortfall_month", "financing_cost",
]
COHORT_COLUMNS = [
    "entrants", "paid_volume", "reoffenders", "reoffences", "binary_rate", "comparison_binary_rate",
    "binary_reduction_points", "frequency", "comparison_frequency", "frequency_reduction",
    "counterfactual_reoffenders", "counterfactual_reoffences", "fee_payment", "outcome_payment",
    "triggered", "payment_month",
]
SERIES = ["cash_in", "cash_out", "net_flow", "cumulative"]


@pytest.fixture(scope="module")
def run():
    return simulate(load_spec("tr-crc-example"), sims=SIMS, seed=11)


def test_tables_have_their_shapes_columns_and_indexes(run):
    n_cohorts, n_months = (84 - 8) // 3, run.timeline.n_months
    assert n_cohorts == run.timeline.n_cohorts == 25  # (84 - 8) // 3
    s, c, m = run.simulations, run.cohorts, run.months
    assert list(s.columns) == SIM_COLUMNS
    assert s.shape == (SIMS, len(SIM_COLUMNS)) and s.index.name == "sim"
    assert list(c.columns) == COHORT_COLUMNS
    assert c.shape == (SIMS * n_cohorts, len(COHORT_COLUMNS))
    assert list(c.index.names) == ["sim", "cohort"]
    assert list(m.columns) == ["date"] + [f"{name}_{stat}" for name in SERIES
                                          for stat in ("mean", *PERCENTILES)]
    assert m.shape[0] == n_months and m.index.name == "month"
    assert run.cash_in.shape == run.cash_out.shape == (SIMS, n_months)


def test_cash_is_conserved(run):
    s, c = run.simulations, run.cohorts
    np.testing.assert_allclose(s["revenue"], run.cash_in.sum(axis=1), rtol=ROUNDING)
    np.testing.assert_allclose(s["cost"], run.cash_out.sum(axis=1), rtol=ROUNDING)
    np.testing.assert_allclose(s["fee"] + s["outcome"], s["revenue"], rtol=ROUNDING)
    np.testing.assert_allclose(s["revenue"] - s["cost"], s["net"], rtol=ROUNDING)
    np.testing.assert_allclose(c["outcome_payment"].groupby(level="sim").sum(), s["outcome"],
                               rtol=ROUNDING, atol=1e-6)
    np.testing.assert_allclose(run.cumulative_cash()[:, -1], s["net"], rtol=ROUNDING)


def test_fees_follow_the_spec(run):
    # 600 per paid unit + 12m a year for 7 years
    s = run.simulations
    np.testing.assert_allclose(s["fee"], 600 * s["paid_volume"] + 12_000_000 * 7, rtol=ROUNDING)
    np.testing.assert_allclose(run.cohorts["fee_payment"], 600 * run.cohorts["paid_volume"])


def test_outcome_payments_respect_the_cap_and_fall_in_payment_months(run):
    c = run.cohorts
    assert (c["outcome_payment"] <= 2_000_000).all()
    # TR deducts for a significant binary rise [MoJ21a]; the frequency rate's hurdle (binary
    # not worse) then fails too, so a deducted cohort is never triggered
    deducted = c["outcome_payment"] < 0
    assert deducted.any() and not c.loc[deducted, "triggered"].any()
    assert (c.loc[deducted, "binary_reduction_points"] < 0).all()
    np.testing.assert_array_equal(c["payment_month"].loc[0], run.timeline.payment_month)


def test_month_table_percentiles_are_ordered(run):
    m = run.months
    for name in SERIES:
        assert (m[f"{name}_p5"] <= m[f"{name}_p50"]).all(), name
        assert (m[f"{name}_p50"] <= m[f"{name}_p95"]).all(), name
        np.testing.assert_allclose(m[f"{name}_mean"], {
            "cash_in": run.cash_in, "cash_out": run.cash_out,
            "net_flow": run.cash_in - run.cash_out, "cumulative": run.cumulative_cash(),
        }[name].mean(axis=0), rtol=ROUNDING, atol=1e-6)


def test_figures_read_off_the_cash(run):
    s = run.simulations
    # the balance after financing is never above the flows' own cumulative cash
    assert (s["min_cash"] <= run.cumulative_cash().min(axis=1) + 1e-6).all()
    np.testing.assert_allclose(s["peak_funding_before_financing"],
                               np.maximum(-run.cumulative_cash().min(axis=1), 0), rtol=ROUNDING)
    np.testing.assert_array_equal(s["peak_funding"], np.maximum(-s["min_cash"], 0))
    assert s["peak_month"].between(-1, run.timeline.n_months - 1).all()
    # the month of the need before financing: where the flows' own cumulative cash is lowest
    before = s["peak_funding_before_financing"].to_numpy()
    month = s["peak_month_before_financing"].to_numpy()
    low = run.cumulative_cash().argmin(axis=1)
    np.testing.assert_array_equal(month, np.where(before > 0, low, -1))
    assert (before > 0).any() and (month != s["peak_month"].to_numpy()).any()
    facility = run.spec.provider.reserves + run.spec.provider.credit_limit
    np.testing.assert_array_equal(s["insolvent"], s["min_cash"] < -facility)


def test_mean_measured_reduction_matches_the_expected_run():
    # With a known effect and no trend noise, a cohort's measured binary reduction is
    # unbiased for 100 x effect x case-mix baseline: E[K | N] = sum_b N_b p_b (1 - e),
    # and the multinomial band split keeps the mix at the band shares on average.
    sets = ["intervention.effect.binary.sd=0", "trend.binary_logit_sd=0",
            "trend.binary_logit_drift=0", "trend.before=[]"]
    spec = load_spec("tr-crc-example", sets)
    expected = simulate(spec, sims=1, sampling="expected").simulations["binary_reduction_points"]
    # by hand: 100 x 0.05 x (0.25 x 0.2 + 0.35 x 0.4 + 0.25 x 0.65 + 0.15 x 0.815) = 2.37375
    assert expected.iloc[0] == pytest.approx(2.37375, rel=ROUNDING)
    points = simulate(spec, sims=4000, seed=12).simulations["binary_reduction_points"]
    se = points.std(ddof=1) / np.sqrt(len(points))
    assert abs(points.mean() - expected.iloc[0]) < 4 * se


# -- a larger true effect never lowers outcome payments (noise-free runs) -------------------
# The TR frequency measure is per reoffender, so fewer reoffenders shrink the frequency
# payment by frequency_price x baseline frequency per reoffender avoided. Outcome payments
# rise with the binary effect only while the binary price per person covers that; with
# the frequency effect they always rise. The binary property holds under one-sided rules
# (`tr-crc-any-cut`), whose prices satisfy the condition (3,000 >= 700 x 4.19); under TR's
# rules (`tr-crc-example`) it does not: a cut too small to be significant earns nothing on
# the binary rate and still shrinks the frequency payment (checked below).


def _outcome_at(binary: float, frequency: float, name: str = "tr-crc-any-cut",
                extra: tuple[str, ...] = ()) -> float:
    spec = load_spec(name, [*extra,
        f"intervention.effect.binary.mean={binary}", "intervention.effect.binary.sd=0",
        f"intervention.effect.frequency.mean={frequency}", "intervention.effect.frequency.sd=0",
        "payments.1.cap_per_cohort=1e12",
    ])
    return float(simulate(spec, sims=1, sampling="expected").simulations["outcome"].iloc[0])


effects = st.floats(min_value=-0.2, max_value=0.5, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(a=effects, b=effects, f=effects)
def test_larger_binary_effect_never_pays_less(a, b, f):
    lo, hi = sorted((a, b))
    assert _outcome_at(hi, f) >= _outcome_at(lo, f) - 1e-6


def test_under_tr_rules_a_cut_too_small_to_be_significant_can_pay_less():
    # 1.5625% of 47.5% is about 0.7 points on 5,000 a quarter: z about 1, not significant
    # (with the national trend off: the bundled one alone moves cohorts 2 points and more)
    flat = ("trend.before=[]", "trend.binary_logit_drift=0", "trend.frequency_log_drift=0")
    assert _outcome_at(0.015625, 0.5, "tr-crc-example", flat) \
        < _outcome_at(0.0, 0.5, "tr-crc-example", flat)


@settings(max_examples=25, deadline=None)
@given(a=effects, b=effects, e=effects)
def test_larger_frequency_effect_never_pays_less(a, b, e):
    lo, hi = sorted((a, b))
    assert _outcome_at(e, hi, "tr-crc-example") >= _outcome_at(e, lo, "tr-crc-example") - 1e-6


# -- paid volume against caseload (DOMAIN.md section 4: TR's paid volumes 16-48% below plan
# while the caseload supervised rose about 20% [NAO17]) ----------------------------------------

SHOCK_SIMS = 4000


@pytest.fixture(scope="module")
def tr_base():
    return simulate(load_spec("tr-crc-example"), sims=SHOCK_SIMS, seed=5)


@pytest.fixture(scope="module")
def tr_shocked():
    """The TR example with a volume shock (same sims and seed as ``tr_base``), each run once."""
    runs = {}

    def run(**shock):
        key = tuple(sorted(shock.items()))
        if key not in runs:
            runs[key] = simulate(load_spec("tr-crc-example"), sims=SHOCK_SIMS, seed=5, **shock)
        return runs[key]
    return run


@pytest.mark.parametrize("shock", [{"caseload_shock": -0.2}, {"paid_volume_shock": 0.3},
                                   {"volume_shock": 0.3}])
def test_a_volume_shock_keeps_the_draws_that_do_not_depend_on_volume(tr_base, tr_shocked,
                                                                     shock):
    # common random numbers: a shocked run and the base run at the same seed share every
    # draw but the counts, so their difference is the shock's, simulation by simulation
    b, v = tr_base.simulations, tr_shocked(**shock).simulations
    for column in ("effect_binary", "effect_frequency", "volume_factor", "paid_volume_factor"):
        assert np.array_equal(v[column], b[column]), column


def test_a_paid_volume_shortfall_with_the_caseload_unchanged_is_a_heavy_loss(tr_base, tr_shocked):
    paid = tr_shocked(paid_volume_shock=0.3)
    both = tr_shocked(volume_shock=0.3)
    b, p, v = tr_base.simulations, paid.simulations, both.simulations
    # costs, outcomes and the annual fee follow the caseload, which did not move: the only
    # change is 30% of the per-participant fee (GBP 600 a paid unit), simulation by simulation
    np.testing.assert_array_equal(p["cost"], b["cost"])
    np.testing.assert_array_equal(p["outcome"], b["outcome"])
    np.testing.assert_allclose(p["net"], b["net"] - 0.3 * 600 * b["paid_volume"], rtol=1e-9,
                               atol=1e-3)
    # about -GBP 17m on an expected net of about +GBP 6m; the old --volume-shock, which
    # cuts the costs (and outcome payments) with the fees, hides most of that loss (about
    # -GBP 2m): the fee lost is offset by 30% of GBP 540 a head saved
    assert p["net"].mean() < -10e6
    paid_loss = b["net"].mean() - p["net"].mean()
    both_loss = b["net"].mean() - v["net"].mean()
    assert paid_loss == pytest.approx(0.3 * 600 * b["paid_volume"].mean(), rel=1e-9)
    assert both_loss < 0.5 * paid_loss
    assert paid.summary()["paid_volume_shock"] == 0.3 and paid.summary()["caseload_shock"] == 0
    assert paid.summary()["volume_shock"] is None and both.summary()["volume_shock"] == 0.3


def test_a_caseload_rise_raises_cost_and_leaves_fees(tr_base, tr_shocked):
    more = tr_shocked(caseload_shock=-0.2)
    b, m = tr_base.simulations, more.simulations

    def paired(d):  # mean and standard error of a per-simulation paired difference
        return d.mean(), d.std(ddof=1) / np.sqrt(SHOCK_SIMS)

    # the two runs share each simulation's volume factor and period noise (common random
    # numbers), so given them the shocked run expects 1.2 times the base's entrants: each
    # difference below has expectation 0 exactly, and its noise is the counts' alone
    mean, se = paired(m["entrants"] - 1.2 * b["entrants"])
    assert abs(mean) < 4 * se
    # 20% more people at GBP 450 each plus GBP 300 for the 30% who take a budget (costs
    # are linear in the counts; no cost inflation in the example)
    per_head = 450 + 0.3 * 300
    rise = m["cost"].mean() - b["cost"].mean()
    mean, se = paired(m["cost"] - b["cost"] - 0.2 * per_head * b["entrants"])
    assert abs(mean) < 4 * se
    # the paid volume, P W eps N / lam, has the same W and eps: only the counting
    # noise N / lam (mean 1) differs, so the fee's expected change is 0
    mean, se = paired(m["fee"] - b["fee"])
    assert abs(mean) < 4 * se
    assert m["net"].mean() < b["net"].mean() - 0.5 * rise


def test_fees_are_paid_on_the_paid_volume(tr_base):
    s, c = tr_base.simulations, tr_base.cohorts
    np.testing.assert_allclose(s["fee"], 600 * s["paid_volume"] + 12_000_000 * 7, rtol=1e-9)
    np.testing.assert_allclose(c["fee_payment"], 600 * c["paid_volume"])
    assert not np.allclose(s["paid_volume"], s["entrants"])  # TR sets the paid volume apart


def test_tr_volume_prior_gives_a_30_percent_paid_shortfall_a_plausible_chance(tr_base):
    from math import erf, log, sqrt
    cohorts = load_spec("tr-crc-example").spec.cohorts
    sd = cohorts.paid_factor_sd

    def below(x):  # P(W <= x) for W lognormal with mean 1 and log-sd sd
        return 0.5 * (1 + erf((log(x) + sd**2 / 2) / sd / sqrt(2)))

    p30, p48 = below(0.7), below(0.52)
    assert 0.10 <= p30 <= 0.25           # docs/finance.md: about 15%
    assert p48 >= 0.01                   # about 2%: TR's worst area is not negligible
    w = tr_base.simulations["paid_volume_factor"]
    for x, p in ((0.7, p30), (0.52, p48)):
        assert abs((w <= x).mean() - p) < 4 * np.sqrt(p * (1 - p) / SHOCK_SIMS)


def test_volume_shock_flags_on_the_command_line():
    from typer.testing import CliRunner
    from pbr_model.cli import app
    import json
    runner = CliRunner()
    ok = runner.invoke(app, ["simulate", "tr-crc-example", "--sims", "50", "--json",
                             "--paid-volume-shock", "0.3", "--caseload-shock", "-0.2"])
    assert ok.exit_code == 0, ok.output
    d = json.loads(ok.stdout)
    assert (d["volume_shock"], d["paid_volume_shock"], d["caseload_shock"]) == (None, 0.3, -0.2)
    # --volume-shock sets both; a flag of its own overrides its part
    mixed = runner.invoke(app, ["simulate", "tr-crc-example", "--sims", "50", "--json",
                                "--volume-shock", "0.2", "--caseload-shock", "0"])
    d = json.loads(mixed.stdout)
    assert (d["paid_volume_shock"], d["caseload_shock"]) == (0.2, 0.0)
    bad = runner.invoke(app, ["simulate", "--paid-volume-shock", "1", "--caseload-shock", "-2"])
    assert bad.exit_code == 2
    assert "--paid-volume-shock: must be a share from -1 to below 1" in bad.output
    assert "--caseload-shock" in bad.output
    text = runner.invoke(app, ["simulate", "tr-crc-example", "--sims", "50",
                               "--paid-volume-shock", "0.3"]).output
    assert "paid volume -30%, caseload +0%" in " ".join(text.split())
