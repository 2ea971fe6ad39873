"""Stating the true effect: as a cut in the underlying offending rate (a Poisson-gamma
offending model per band), per measure, or by risk band; and the implied cuts reported
beside it (:mod:`pbr_model.effects`)."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model import load_spec, simulate
from pbr_model.effects import (implied_cuts, mix_cuts, rate_cuts, solve_kappa,
                               zero_probability)
from pbr_model.errors import SpecError
from pbr_model.outcomes import Sampler, simulate_outcomes
from pbr_model.rng import block_rng

P0 = np.array([0.2, 0.4, 0.65, 0.815])
M0 = np.array([2.5, 3.5, 4.4, 5.4])     # the TR example's bands

FOUR_BANDS = """\
[contract]
name = "Four bands"
start_date = 2020-01-01
length_months = 24
cohort_months = 3

[cohorts]
entrants_per_period = 4000

[[population.bands]]
name = "low"
share = 0.25
binary_rate = 0.2
reoffences_per_reoffender = 2.5

[[population.bands]]
name = "medium"
share = 0.35
binary_rate = 0.4
reoffences_per_reoffender = 3.5

[[population.bands]]
name = "high"
share = 0.25
binary_rate = 0.65
reoffences_per_reoffender = 4.4

[[population.bands]]
name = "very high"
share = 0.15
binary_rate = 0.815
reoffences_per_reoffender = 5.4
"""


@pytest.fixture
def four(tmp_path):
    """``four(*overrides)``: the four-band spec loaded with ``--set`` overrides."""
    path = tmp_path / "four.toml"
    path.write_text(FOUR_BANDS, encoding="utf-8")
    return lambda *overrides: load_spec(path, list(overrides))


# -- the Poisson-gamma offending model ------------------------------------------------------

def test_the_solved_model_reproduces_each_bands_baseline():
    kappa = solve_kappa(P0, M0)
    mu = P0 * M0
    p_zero = zero_probability(mu, kappa)
    np.testing.assert_allclose(1 - p_zero, P0, rtol=0, atol=1e-9)
    # its mean per reoffender is the band's (as the engine's 1 + NB draw has it)
    np.testing.assert_allclose(mu / (1 - p_zero), M0, rtol=0, atol=1e-9)
    assert np.all(np.isfinite(kappa)) and np.all(kappa > 0)


def test_no_cut_implies_no_cut_and_more_cut_implies_more():
    b0, f0 = rate_cuts(0.0, P0, M0)
    np.testing.assert_allclose(b0, 0, atol=1e-12)
    np.testing.assert_allclose(f0, 0, atol=1e-12)
    e = np.linspace(-0.5, 0.9, 57)[:, None]
    b, f = rate_cuts(e, P0, M0)
    assert np.all(np.diff(b, axis=0) > 0) and np.all(np.diff(f, axis=0) > 0)
    # a rate cut is shared between the two measures: each less than the rate's own cut
    cut = e[:, 0] > 0
    assert np.all(b[cut] < e[cut]) and np.all(f[cut] < e[cut])
    # and the reoffences cut is the rate cut: (1 - b)(1 - f) = 1 - e
    np.testing.assert_allclose((1 - b) * (1 - f), 1 - e + 0 * b, rtol=1e-12)


def test_a_near_poisson_band_takes_the_poisson_closed_form():
    # m0 just above the Poisson limit -log(1 - p0) / p0: kappa is huge, and the cut gives
    # p' = 1 - exp(-(1 - e) mu) as a Poisson count would
    p0 = np.array([0.3, 0.5, 0.7])
    m0 = -np.log1p(-p0) / p0 * (1 + 1e-7)
    kappa = solve_kappa(p0, m0)
    assert np.all(kappa > 1e5)
    e = 0.2
    b, f = rate_cuts(e, p0, m0)
    mu_new = (1 - e) * p0 * m0
    p_new = 1 - np.exp(-mu_new)
    np.testing.assert_allclose(b, 1 - p_new / p0, atol=1e-6)
    np.testing.assert_allclose(f, 1 - mu_new / p_new / m0, atol=1e-6)
    # and a band Poisson to double precision is still solved (no NaN), as Poisson
    m_edge = -np.log1p(-0.4) / 0.4 * (1 + 1e-15)
    assert solve_kappa(0.4, m_edge) > 1e12
    b, _ = rate_cuts(e, 0.4, m_edge)
    assert b == pytest.approx(1 - (1 - np.exp(-(1 - e) * 0.4 * m_edge)) / 0.4, abs=1e-6)


def test_no_model_exists_where_a_poisson_count_has_too_few_zeros():
    assert np.isnan(solve_kappa(0.5, 1.1))    # exp(-0.55) = 0.577 > 1 - 0.5


# -- the spec -------------------------------------------------------------------------------

def test_an_offending_rate_effect_with_a_per_measure_effect_is_refused(four):
    with pytest.raises(SpecError, match="offending_rate is stated, so binary and frequency "
                                        "follow from it"):
        four("intervention.effect.offending_rate.mean=0.1",
             "intervention.effect.binary.mean=0.05")


def test_by_band_needs_one_multiplier_per_band(four):
    with pytest.raises(SpecError, match=r"intervention.effect.by_band has 3 multipliers but "
                                        r"population has 4 bands \('low', 'medium'"):
        four("intervention.effect.by_band=[1, 0, 0]")
    with pytest.raises(SpecError, match=r"by_band\[1\] is -0.5: each multiplier must be from 0"):
        four("intervention.effect.by_band=[1, -0.5, 0, 0]")
    assert four("intervention.effect.by_band=[1, 0, 0, 0]").spec.intervention.effect.by_band \
        == [1, 0, 0, 0]


def test_a_band_no_offending_model_fits_is_named(four):
    with pytest.raises(SpecError) as err:
        four("intervention.effect.offending_rate.mean=0.1",
             "population.bands.1.reoffences_per_reoffender=1.1")
    text = str(err.value)
    assert "band 'medium' (binary_rate 0.4, reoffences_per_reoffender 1.1)" in text
    assert "raise its reoffences_per_reoffender above 1.277" in text
    # the same band is fine with a per-measure effect (no offending model is needed)
    four("intervention.effect.binary.mean=0.1",
         "population.bands.1.reoffences_per_reoffender=1.1")


def test_the_cli_refuses_a_mixed_effect_cleanly(cli, tmp_path):
    path = tmp_path / "four.toml"
    path.write_text(FOUR_BANDS, encoding="utf-8")
    cli.error(cli.run("show", str(path), "--set", "intervention.effect.offending_rate.mean=0.1",
                      "--set", "intervention.effect.frequency.sd=0.02"),
              "offending_rate is stated")


# -- the engine -----------------------------------------------------------------------------

def test_a_known_rate_cut_moves_the_measures_by_the_implied_cuts(four):
    spec = four("intervention.effect.offending_rate.mean=0.1").spec
    run = simulate(spec, sims=400, seed=3)
    s = run.simulations
    implied = implied_cuts(spec)
    assert implied["stated_as"] == "offending_rate" and implied["offending_rate"] == 0.1
    p_base = implied["baseline_binary_rate"]
    b = s["binary_rate"].to_numpy()
    se_b = b.std(ddof=1) / np.sqrt(len(b))
    assert abs(b.mean() - p_base * (1 - implied["binary_cut"])) < 4 * se_b
    shares = np.array([0.25, 0.35, 0.25, 0.15])
    m_base = np.sum(shares * P0 * M0) / np.sum(shares * P0)
    f = s["frequency"].to_numpy()
    se_f = f.std(ddof=1) / np.sqrt(len(f))
    assert abs(f.mean() - m_base * (1 - implied["frequency_cut"])) < 4 * se_f
    # the cuts are real: far from no effect, in standard errors
    assert p_base - b.mean() > 20 * se_b and m_base - f.mean() > 20 * se_f
    # each simulation's true effects are the implied cuts at the mix
    np.testing.assert_allclose(s["effect_binary"], implied["binary_cut"], rtol=1e-12)
    np.testing.assert_allclose(s["effect_frequency"], implied["frequency_cut"], rtol=1e-12)


def test_a_rate_effect_uses_the_binary_effects_random_numbers(four):
    # common random numbers: the rate cut is drawn where the binary effect is
    rate = four("intervention.effect.offending_rate.mean=0.1",
                "intervention.effect.offending_rate.sd=0.05").spec
    per = four("intervention.effect.binary.mean=0.1",
               "intervention.effect.binary.sd=0.05").spec
    a = simulate_outcomes(rate, Sampler(block_rng(5, 0)), 64)
    b = simulate_outcomes(per, Sampler(block_rng(5, 0)), 64)
    np.testing.assert_array_equal(a.entrants, b.entrants)
    np.testing.assert_array_equal(a.trend_logit, b.trend_logit)
    cut, _ = mix_cuts(rate, b.effect_binary, np.zeros(64))
    np.testing.assert_allclose(a.effect_binary, cut, rtol=1e-12)


def test_an_effect_for_low_risk_people_only_moves_only_their_rates(four):
    spec = four("intervention.effect.binary.mean=0.3", "intervention.effect.frequency.mean=0.3",
                "intervention.effect.by_band=[1, 0, 0, 0]").spec
    out = simulate_outcomes(spec, Sampler(block_rng(11, 0)), 1024)
    n = out.entrants.sum(axis=(0, 1))
    k = out.reoffenders.sum(axis=(0, 1))
    r = out.reoffences.sum(axis=(0, 1))
    p_hat = k / n
    se_p = np.sqrt(P0 * (1 - P0) / n)
    want = P0 * np.array([0.7, 1, 1, 1])
    assert np.all(np.abs(p_hat - want) < 4 * se_p), (p_hat, want)
    # reoffences per reoffender: 1 + NB extras, variance per reoffender (m-1)+(m-1)^2/k
    m_want = np.maximum(M0 * np.array([0.7, 1, 1, 1]), 1)
    se_m = np.sqrt(((m_want - 1) + (m_want - 1) ** 2) / k)
    assert np.all(np.abs(r / k - m_want) < 4 * se_m), (r / k, m_want)
    assert p_hat[0] < P0[0] - 20 * se_p[0]       # the first band did move
    # the true effect at the mix: the first band's share of reoffenders
    cut_b, _ = mix_cuts(spec, np.array([0.3]), np.array([0.3]))
    shares = np.array([0.25, 0.35, 0.25, 0.15])
    assert cut_b[0] == pytest.approx(0.3 * shares[0] * P0[0] / np.sum(shares * P0))
    np.testing.assert_allclose(out.effect_binary, cut_b[0], rtol=1e-12)


def test_by_band_scales_a_rate_cut_band_by_band(four):
    spec = four("intervention.effect.offending_rate.mean=0.2",
                "intervention.effect.by_band=[0, 1, 0.5, 0]").spec
    out = simulate_outcomes(spec, Sampler(block_rng(2, 0)), 1024)
    n = out.entrants.sum(axis=(0, 1))
    p_hat = out.reoffenders.sum(axis=(0, 1)) / n
    b, _ = rate_cuts(np.array([0, 0.2, 0.1, 0]), P0, M0)
    want = P0 * (1 - b)
    assert np.all(np.abs(p_hat - want) < 4 * np.sqrt(P0 * (1 - P0) / n))


# -- reports --------------------------------------------------------------------------------

def test_show_reports_the_implied_cuts(cli, tmp_path):
    path = tmp_path / "four.toml"
    path.write_text(FOUR_BANDS, encoding="utf-8")
    sets = ("--set", "intervention.effect.offending_rate.mean=0.1",
            "--set", "intervention.effect.by_band=[1, 1, 0.5, 0]")
    d = cli.json("show", str(path), *sets)
    want = implied_cuts(load_spec(path, [s for s in sets if s != "--set"]).spec)
    for key, value in want.items():
        assert d["figures"][f"implied_{key}"] == value
    assert want["binary_cut"] > 0 and want["frequency_cut"] > 0
    text = cli.run("show", str(path), *sets).stdout
    assert "True effect (offending rate)" in text and "offending rate -10.0% =" in text


def test_simulate_reports_the_true_effects_implied_cuts(cli):
    d = cli.json("simulate", "tr-crc-example", "--sims", "50")
    spec = load_spec("tr-crc-example").spec
    assert d["true_effect"] == implied_cuts(spec)
    assert d["true_effect"]["binary_points"] == pytest.approx(100 * 0.05 * d["true_effect"][
        "baseline_binary_rate"])


def test_power_reports_the_implied_cut_of_each_effect(cli, tmp_path):
    path = tmp_path / "four.toml"
    path.write_text(FOUR_BANDS + """
[[payments]]
type = "outcome"
name = "per reoffence"
[[payments.rates]]
measure = "frequency_per_offender"
change = "absolute"
per = "unit"
price = 500
""", encoding="utf-8")
    sets = ["intervention.effect.offending_rate.mean=0.05"]
    d = cli.json("power", str(path), "--sims", "100", "--effects", "0:0.1:0.05",
                 "--set", sets[0])
    spec = load_spec(path, sets).spec
    assert d["effect_stated_as"] == "offending_rate"
    for row in d["effects"]:
        want = implied_cuts(spec, row["effect"])
        assert row["binary_cut"] == want["binary_cut"]
        assert row["binary_points"] == want["binary_points"]
        assert row["frequency_cut"] == want["frequency_cut"]
    if d["break_even_effect"] is not None:
        assert d["break_even_implied"] == implied_cuts(spec, d["break_even_effect"])


def test_breakeven_reports_the_implied_cut_of_its_answer(cli):
    d = cli.json("breakeven", "tr-crc-example", "--solve", "effect", "--sims", "100")
    assert d["status"] == "solved"
    assert d["implied"] == implied_cuts(load_spec("tr-crc-example").spec, d["value"])
    other = cli.json("breakeven", "tr-crc-example", "--solve", "price", "--sims", "100")
    assert other["implied"] is None


def test_the_power_workbook_shows_the_implied_cuts(cli, tmp_path):
    import openpyxl

    book = tmp_path / "power.xlsx"
    d = cli.json("power", "tr-crc-example", "--sims", "50", "--effects", "0,0.05",
                 "--xlsx", str(book))
    ws = openpyxl.load_workbook(book)["Power"]
    header = [c.value for c in ws[1]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_row=1 + len(d["effects"]))]
    for label, key in (("Implied binary cut", "binary_cut"),
                       ("Implied binary points", "binary_points"),
                       ("Implied per-reoffender cut", "frequency_cut")):
        col = header.index(label)
        assert [r[col] for r in rows] == pytest.approx([e[key] for e in d["effects"]],
                                                       rel=1e-15)
