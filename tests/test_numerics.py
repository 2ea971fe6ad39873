"""Each crash the walk of the schema's extremes found (tests/spec/test_extremes.py), pinned
by a focused test: the maths made safe where the value means something, the bound
tightened (and refused with a clear error) where it does not."""

from __future__ import annotations

import subprocess
import sys
import warnings
from statistics import NormalDist

import numpy as np
import pytest

from pbr_model.finance.capital import facility_size, facility_summary
from pbr_model.outcomes import expit, logit
from pbr_model.payments.rules import z_critical
from pbr_model.sampling import Sampler
from pbr_model.spec.parties import ProviderProfile


# -- significance_level: any level above 0 has a finite critical value --------------------------

@pytest.mark.parametrize("level", [1e-17, 1e-100, 1e-300, 5e-324])
@pytest.mark.parametrize("sides", [1, 2])
def test_tiny_significance_levels_have_finite_critical_values(level, sides):
    """``1 - level / 2`` is 1 below 1.1e-16, where the inverse normal has no answer: the
    critical value comes from the lower tail, exactly."""
    z = z_critical(level, sides)
    assert np.isfinite(z) and 8 < z < 39
    tail = max(level / sides, 5e-324)
    assert z == -NormalDist().inv_cdf(tail)


def test_critical_values_rise_as_the_level_falls_through_the_switch():
    levels = [1e-6, 1e-8, 2e-9, 1e-9, 5e-10, 1e-10, 1e-12, 1e-17]
    z = [z_critical(level, 2) for level in levels]
    assert z == sorted(z) and len(set(z)) == len(z)
    # the two tails agree where both are accurate (to the inverse normal's own precision)
    assert z_critical(2e-9, 2) == pytest.approx(-NormalDist().inv_cdf(1e-9), rel=1e-9)


def test_ordinary_levels_keep_their_critical_values_bit_for_bit():
    """Published levels take the upper tail as before, so no bundled number moves."""
    for level in (0.05, 0.1, 0.01, 0.001, 0.2):
        for sides in (1, 2):
            assert z_critical(level, sides) == NormalDist().inv_cdf(1 - level / sides)


def test_a_tiny_significance_level_runs_through_the_cli(cli):
    data = cli.json("simulate", "tr-crc-example", "--sims", "20", "--set",
                    "payments.1.rates.0.significance_level=1e-17")
    assert data["sims"] == 20


# -- custody.days_sd: a negligible sd is 0; one far above the mean is refused -------------------

def test_a_negligible_gamma_sd_draws_the_mean():
    count = np.array([[0.0, 3.0, 1e6]])
    for sd in (1e-160, 1e-300, 5e-324, 150 * 1e-8):
        draw = Sampler(np.random.default_rng(1)).gamma_sum(count, 150.0, sd)
        assert np.array_equal(draw, count * 150.0)


def test_a_small_but_real_gamma_sd_is_still_drawn():
    count = np.full(20_000, 10.0)
    draw = Sampler(np.random.default_rng(2)).gamma_sum(count, 150.0, 1e-4)
    # each sum has sd 1e-4 * sqrt(10); the draws' sd is within 5% of it (2e4 draws: se 0.5%)
    assert np.std(draw) == pytest.approx(1e-4 * np.sqrt(10), rel=0.05)


@pytest.mark.parametrize("contract", ["ma-roca-pfs", "nyc-able-sib", "nys-ceo-pfs"])
@pytest.mark.parametrize("sd", ["1e-160", "1e-300", "5e-324"])
def test_a_negligible_custody_sd_runs(cli, contract, sd):
    cli.json("simulate", contract, "--sims", "20", "--set", f"outcomes.custody.days_sd={sd}")


@pytest.mark.parametrize(("mean", "sd"), [("1", "100.5"), ("5e-324", "3650"), ("0.01", "2")])
def test_a_custody_sd_far_above_its_mean_is_refused(cli, mean, sd):
    result = cli.run("simulate", "ma-roca-pfs", "--set", f"outcomes.custody.days_mean={mean}",
                     "--set", f"outcomes.custody.days_sd={sd}")
    cli.error(result, "outcomes.custody", "days_sd", "100 x days_mean")


def test_a_custody_sd_at_100_times_its_mean_or_with_no_mean_runs(cli):
    cli.json("simulate", "ma-roca-pfs", "--sims", "20", "--set", "outcomes.custody.days_mean=1",
             "--set", "outcomes.custody.days_sd=100")
    cli.json("simulate", "ma-roca-pfs", "--sims", "20", "--set", "outcomes.custody.days_mean=0",
             "--set", "outcomes.custody.days_sd=3650")


# -- tiny binary rates: the probability's limit, no overflow warning ----------------------------

def test_expit_of_very_negative_log_odds_is_zero_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert expit(np.array([logit(5e-324), -800.0, -1e300])).tolist() == [0.0, 0.0, 0.0]


def test_a_binary_rate_of_5e_324_runs(cli):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        cli.json("simulate", "nyc-able-sib", "--sims", "20", "--set",
                 "population.bands.0.binary_rate=5e-324")


# -- bounds tightened where the extreme means nothing --------------------------------------------

@pytest.mark.parametrize(("path", "value", "allowed"), [
    ("population.bands.0.dispersion", "5e-324", "greater than or equal to 0.001"),
    ("population.bands.1.dispersion", "0.0009", "greater than or equal to 0.001"),
    ("sib.tranches.0.amount", "1e-300", "greater than or equal to 1"),
    ("sib.tranches.0.amount", "0.5", "greater than or equal to 1"),
])
def test_meaningless_extremes_are_refused(cli, path, value, allowed):
    cli.error(cli.run("simulate", "nyc-able-sib", "--set", f"{path}={value}"),
              path, value, allowed)


def test_the_new_lower_bounds_themselves_run(cli):
    cli.json("capital", "nyc-able-sib", "--sims", "20",
             "--set", "population.bands.0.dispersion=0.001", "--set", "sib.tranches.0.amount=1")


def test_a_refused_extreme_in_the_installed_pbr_is_an_error_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "pbr_model", "simulate", "nyc-able-sib", "--sims", "20",
         "--set", "population.bands.0.dispersion=5e-324"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "dispersion" in result.stderr and "greater than or equal to 0.001" in result.stderr


# -- a facility no size makes enough: undefined figures, not a crash ----------------------------

def test_a_facility_whose_fees_outgrow_it_has_no_size():
    """Fifty years of a deficit: the commitment fee on the undrawn facility, drawn and
    compounding at 8% a year, costs more than the facility adds, so no size will do."""
    net = np.full((20, 600), -1e5)
    profile = ProviderProfile(name="p", reserves=0.0, cost_of_capital=0.08)
    assert facility_size(net, profile, 0.95) is None
    summary = facility_summary(net, profile)
    assert np.isnan(summary["p95"]["size"]) and np.isnan(summary["p99"]["cost"])


def test_a_huge_need_still_gets_a_facility():
    """A need above 10^15 is sized (the search's ceiling follows the need)."""
    net = np.zeros((20, 24))
    net[:, 1] = -1e16
    net[:, -1] = 2e16
    profile = ProviderProfile(name="p", reserves=0.0, cost_of_capital=0.08, facility_rate=0.0,
                              facility_arrangement_fee=0.0, facility_commitment_fee=0.0)
    assert facility_size(net, profile, 0.95) == pytest.approx(1e16, rel=1e-9)


def test_capital_runs_where_no_facility_will_do(cli):
    """Roca over 50 years: its deficit compounds, and so do the facility's fees."""
    data = cli.json("capital", "ma-roca-pfs", "--sims", "20", "--set",
                    "contract.length_months=600")
    assert data["providers"][0]["facility"]["p95"]["size"] is None
    text = cli.run("capital", "ma-roca-pfs", "--sims", "20", "--set", "contract.length_months=600")
    cli.ok(text)


def test_capital_sizes_a_facility_above_10_to_the_15(cli):
    data = cli.json("capital", "ma-roca-pfs", "--sims", "20", "--set",
                    "intervention.costs.per_participant=1e12")
    assert data["providers"][0]["facility"]["p95"]["size"] > 1e15


# -- a result lag beyond any date: the calendar check reads the default lags ---------------------

@pytest.mark.parametrize("lag", ["9223372036854775807", "100000", "[18]"])
def test_a_bad_result_lag_beside_payment_dates_is_an_error(cli, lag):
    cli.error(cli.run("simulate", "peterborough-sib", "--set", f"contract.result_lag_months={lag}"),
              "result_lag_months")
