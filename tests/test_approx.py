"""``--draws approx`` (:mod:`pbr_model.approx`): large count cells from their normal
approximation. The sampler's cells have the exact law's mean and variance and stay in
its support; small cells are drawn exactly (the same numbers as exact mode where no cell
is large); the normals stream is untouched; and on every bundled contract and portfolio
the payment and capital figures agree with exact draws within Monte Carlo error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pbr_model.analyses.capital import capital
from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.analyses.simulate import simulate
from pbr_model.approx import MIN_VARIANCE, ApproxSampler, sampler_for
from pbr_model.errors import InputError
from pbr_model.outcomes import simulate_outcomes
from pbr_model.report.sheets import provenance
from pbr_model.rng import block_rng
from pbr_model.sampling import Sampler
from pbr_model.spec import load_spec
from pbr_model.spec.load import bundled_contracts
from pbr_model.spec.portfolio import bundled_portfolios
from strategies import MINIMAL

N = 200_000    # cells per moment check
Z = 4.0        # tolerance in standard errors


def pair(seed: int = 7) -> tuple[ApproxSampler, Sampler]:
    """An approximate and an exact sampler on the same block's generators."""
    return ApproxSampler(block_rng(seed, 0)), Sampler(block_rng(seed, 0))


def check_moments(x: np.ndarray, mean: np.ndarray, var: np.ndarray) -> None:
    """Each column of draws ``x`` (rows: independent cells) has the given mean and variance
    within :data:`Z` standard errors: the mean's ``sqrt(var / n)``, the variance's from the
    sample's fourth central moment, ``sqrt((m4 - var^2) / n)``."""
    n = x.shape[0]
    dev = x - x.mean(axis=0)
    m2 = (dev**2).mean(axis=0)
    m4 = (dev**4).mean(axis=0)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= Z * np.sqrt(var / n)), (x.mean(axis=0), mean)
    assert np.all(np.abs(m2 * n / (n - 1) - var) <= Z * np.sqrt((m4 - m2**2) / n)), (m2, var)


# -- the sampler ------------------------------------------------------------------------------

@pytest.mark.parametrize("n, p", [(300, 0.4), (2_000, 0.05), (10**6, 1e-4), (300, 0.9)])
def test_a_large_binomial_cell_has_the_exact_mean_and_variance_within_its_support(n, p):
    a, _ = pair()
    assert n * p * (1 - p) >= MIN_VARIANCE                      # a large cell: approximated
    x = a.binomial(np.full(N, float(n)), np.full(N, p))
    check_moments(x[:, None], n * p, n * p * (1 - p))
    assert x.min() >= 0 and x.max() <= n and np.all(x == np.round(x))


def test_a_large_poisson_cell_has_the_exact_mean_and_variance():
    a, _ = pair()
    x = a.poisson(np.full(N, 40.0))
    check_moments(x[:, None], 40.0, 40.0)
    assert x.min() >= 0 and np.all(x == np.round(x))


@pytest.mark.parametrize("count, k, mu", [(400, 1.0, 0.5), (60, 1.0, 3.5), (3, 2.0, 0.8)])
def test_a_negative_binomial_sum_has_the_exact_mean_and_variance(count, k, mu):
    """Large (first: normal), skewed (second: gamma exact, Poisson step normal) and small
    (third: exact) cells: NB(size count k, mean count mu), variance count mu (1 + mu / k)."""
    a, _ = pair()
    x = a.negative_binomial_sum(np.full(N, float(count)), np.full(N, k), np.full(N, mu))
    check_moments(x[:, None], count * mu, count * mu * (1 + mu / k))
    assert x.min() >= 0 and np.all(x == np.round(x))


def test_a_large_multinomial_row_keeps_its_total_and_each_band_its_moments():
    a, _ = pair()
    p = np.array([0.4, 0.3, 0.2, 0.1])
    n = np.full((N // 4, 4), 500.0)                     # rows (sims, cohorts), as the engine's
    x = a.multinomial(n, p).reshape(-1, 4)
    assert np.all(x.sum(axis=1) == 500) and x.min() >= 0 and np.all(x == np.round(x))
    check_moments(x, 500 * p, 500 * p * (1 - p))
    # the bands' covariance, -n p_i p_j, too (bands 0 and 1)
    c = np.cov(x[:, 0], x[:, 1])[0, 1]
    assert abs(c + 500 * p[0] * p[1]) <= Z * np.std((x[:, 0] - x[:, 0].mean())
                                                    * (x[:, 1] - x[:, 1].mean())) / np.sqrt(len(x))


def test_mixed_cells_small_ones_exact_and_large_ones_normal():
    """An array of small and large cells: each kind keeps its law (moments checked per
    column), and the small cells' law is the exact one (here far from normal: n = 8)."""
    a, _ = pair()
    n = np.tile([8.0, 400.0], (N // 2, 1))
    x = a.binomial(n, np.full(n.shape, 0.1))
    check_moments(x, np.array([0.8, 40.0]), np.array([0.72, 36.0]))
    # the small cell's skewness is the binomial's (1 - 2p) / sd = 0.94, not a normal's 0
    d = x[:, 0] - 0.8
    assert abs((d**3).mean() / 0.72**1.5 - 0.8 / 0.72**0.5) < 0.05


@pytest.mark.parametrize("method, args", [
    ("binomial", (np.full((64, 5), 30.0), np.full((64, 5), 0.3))),
    ("poisson", (np.full((64, 5), 20.0),)),
    ("negative_binomial_sum", (np.full((64, 5), 4.0), np.full(5, 1.0), np.full((64, 5), 1.0))),
    ("multinomial", (np.full((64, 5), 40.0), np.array([0.5, 0.3, 0.2]))),
    ("gamma_sum", (np.full((64, 5), 30.0), 10.0, 5.0)),
])
def test_small_cells_are_the_exact_draws_number_for_number(method, args):
    a, e = pair()
    for _ in range(2):                        # and the streams stay in step after them
        assert np.array_equal(getattr(a, method)(*args), getattr(e, method)(*args))


def test_large_cells_are_approximated_and_much_cheaper_in_random_numbers():
    """The approximate cells differ from the exact draws (the mode does something) and
    use one normal each from the counts stream."""
    a, e = pair()
    n, p = np.full(10_000, 300.0), np.full(10_000, 0.4)
    x, y = a.binomial(n, p), e.binomial(n, p)
    assert not np.array_equal(x, y)
    fresh = ApproxSampler(block_rng(7, 0)).counts.standard_normal(10_000)
    mean = 300.0 * 0.4
    var = mean - mean * 0.4
    assert np.array_equal(x, np.clip(np.rint(fresh * np.sqrt(var - 1 / 12) + mean), 0, 300))


@pytest.mark.filterwarnings("error")    # small cells' variances below 1/12 warn nothing
@pytest.mark.parametrize("method", ["binomial", "poisson"])
def test_mixed_cells_are_the_exact_draws_then_one_normal_per_large_cell(method):
    """A draw of small and large cells together, number for number: the small cells'
    exact draws first (in cell order), then one standard normal per large cell (in cell
    order), each rounded with its own cell's mean and Sheppard-corrected variance and
    clipped to the law's support; the small cells' numbers are never touched by it."""
    rng = np.random.default_rng(11)
    shape = (300, 7)
    if method == "binomial":
        n = rng.integers(0, 400, shape).astype(float)
        p = rng.uniform(0.0, 1.0, shape)
        p[0, :3] = (0.0, 1.0, 0.5)
        args, mean = (n, p), n * p
        var, upper = mean - mean * p, n
    else:
        lam = rng.uniform(0.0, 60.0, shape)
        args, mean, var, upper = (lam,), lam, lam, None
    big = var >= MIN_VARIANCE
    assert 0.2 < big.mean() < 0.8          # both kinds, interleaved
    a = ApproxSampler(block_rng(5, 0))
    x = getattr(a, method)(*args)
    ref = ApproxSampler(block_rng(5, 0)).counts            # the same stream, drawn by hand
    small = ~big
    if method == "binomial":
        exact = ref.binomial(n[small].astype(np.int64), p[small])
    else:
        exact = ref.poisson(lam[small])
    z = ref.standard_normal(int(big.sum()))
    approx = np.rint(mean[big] + np.sqrt(var[big] - 1 / 12) * z)
    approx = np.maximum(approx, 0.0)
    if upper is not None:
        approx = np.minimum(approx, upper[big])
    assert np.array_equal(x[small], exact)
    assert np.array_equal(x[big], approx)
    assert np.array_equal(a.counts.standard_normal(5), ref.standard_normal(5))   # in step

#: Cohorts of 12 with 1.5 reoffences per reoffender: every cell small, the negative
#: binomial's gamma-mixed Poisson step too.
SMALL = MINIMAL.replace("entrants_per_period = 100", "entrants_per_period = 12") \
    .replace("reoffences_per_reoffender = 3.0", "reoffences_per_reoffender = 1.5")


def test_a_spec_whose_cells_are_all_small_gives_the_exact_numbers(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    spec = load_spec(str(path))
    exact = simulate(spec, 1500, 3)
    approx = simulate(spec, 1500, 3, draws="approx")
    assert exact.simulations.equals(approx.simulations)
    assert exact.cohorts.equals(approx.cohorts)
    assert approx.provenance.draws == "approx" and exact.provenance.draws == "exact"


def test_the_normals_stream_is_consumed_as_in_exact_mode():
    """Effects, volume factors and trend come from the block's normals: the same numbers,
    and the normals generator ends in the same state; the counts differ."""
    spec = load_spec("tr-crc-example").spec
    ra, re_ = block_rng(11, 3), block_rng(11, 3)
    a = simulate_outcomes(spec, ApproxSampler(ra), 1024)
    e = simulate_outcomes(spec, Sampler(re_), 1024)
    for name in ("effect_binary", "effect_frequency", "volume_factor"):
        assert np.array_equal(getattr(a, name), getattr(e, name)), name
    assert ra.bit_generator.state == re_.bit_generator.state
    assert not np.array_equal(a.treated.reoffenders, e.treated.reoffenders)


def test_a_bad_draws_value_is_refused_by_every_entry_point():
    spec = load_spec("tr-crc-example")
    for call in (lambda: simulate(spec, 10, draws="fast"),
                 lambda: capital(spec, sims=10, draws="Approx"),
                 lambda: run_portfolio("working-links-like", 10, draws=None),
                 lambda: sampler_for("normal", block_rng(1, 0))):
        with pytest.raises(InputError, match="draws: must be one of exact, approx"):
            call()


# -- provenance and the command line ------------------------------------------------------

def test_an_exact_run_says_nothing_new_and_an_approx_run_says_so(cli, tmp_path):
    exact = cli.json("simulate", "--sims", "1024")
    approx = cli.json("simulate", "--sims", "1024", "--draws", "approx")
    assert "draws" not in exact and approx["draws"] == "approx"
    assert cli.json("simulate", "--sims", "1024", "--draws", "exact") == exact
    assert exact["true_effect"] == approx["true_effect"]              # common normals
    assert exact["entrants"] != approx["entrants"]
    cli.ok(cli.run("simulate", "--sims", "1024", "--draws", "approx", "--csv", str(tmp_path)))
    assert json.loads((tmp_path / "metadata.json").read_text())["draws"] == "approx"


def test_the_workbook_summary_shows_approx_draws_and_exact_runs_as_before():
    spec = load_spec("tr-crc-example")
    exact, approx = (provenance(simulate(spec, 10, draws=d)) for d in ("exact", "approx"))
    assert ("Draws", "approx") in approx
    assert [r for r in approx if r[0] not in ("Draws", "Run date (UTC)")] \
        == [r for r in exact if r[0] != "Run date (UTC)"]


@pytest.mark.parametrize("command", [["simulate", "--sims", "1024"],
                                     ["capital", "--sims", "1024"],
                                     ["capital", "working-links-like", "--sims", "1024"],
                                     ["power", "--sims", "100", "--effects", "0.05"],
                                     ["breakeven", "--solve", "fee", "--sims", "100"]])
def test_the_terminal_says_when_draws_were_approximate(cli, command):
    approx, exact = (cli.run(*command, "--draws", d) for d in ("approx", "exact"))
    cli.ok(approx)
    cli.ok(exact)
    assert "simulations" in exact.stdout and "approximate draws" not in exact.stdout
    assert "approximate draws" in approx.stdout


@pytest.mark.parametrize("command", [["simulate"], ["capital"], ["capital", "working-links-like"],
                                     ["power"], ["breakeven", "--solve", "effect"]])
def test_every_simulating_command_checks_draws(cli, command):
    errors = cli.error(cli.run(*command, "--draws", "fast", "--sims", "10"), lines=1)
    assert errors[0] == "Error: --draws: must be one of exact, approx (got 'fast')"


@pytest.mark.slow
@pytest.mark.parametrize("command", [["capital", "--sims", "1024"],
                                     ["power", "--sims", "300", "--effects", "0.05"],
                                     ["breakeven", "--solve", "fee", "--sims", "300"]])
def test_every_simulating_command_runs_approx_and_records_it(cli, command):
    assert cli.json(*command, "--draws", "approx")["draws"] == "approx"


# -- agreement with exact draws on every bundled contract and portfolio --------------------

SIMS = 4096


def figures(sims, parties) -> dict[str, np.ndarray]:
    """Per simulation: payments (fee, outcome, total), whether results were triggered or
    paid, and each party's peak funding need and insolvency."""
    out = {"fee": sims["fee"], "outcome": sims["outcome"], "total": sims["revenue"],
           "triggered": sims["triggered"], "outcome_paid": sims["outcome"] != 0}
    for i, p in enumerate(parties):
        out[f"peak_funding[{i}]"] = p.figures.peak_funding
        out[f"insolvent[{i}]"] = p.figures.insolvent
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def disagreements(exact: dict, approx: dict) -> list[str]:
    """Figures whose means differ by more than :data:`Z` standard errors of the difference
    of two independent Monte Carlo means, ``sqrt(se_exact^2 + se_approx^2)``: "within
    Monte Carlo error" of runs of this size. (The runs share their normals, so the
    difference's own noise is smaller: this bounds the approximation's bias by the runs'
    Monte Carlo error.)"""
    bad = []
    for name in exact:
        e, a = exact[name], approx[name]
        se = np.sqrt(e.var(ddof=1) / len(e) + a.var(ddof=1) / len(a))
        if not abs(a.mean() - e.mean()) <= Z * se:
            bad.append(f"{name}: exact {e.mean():.6g}, approx {a.mean():.6g}, se {se:.3g}")
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_a_bundled_contract_agrees_with_exact_draws(name):
    spec = load_spec(name)
    runs = {d: capital(spec, sims=SIMS, seed=5, draws=d, commissioner=False)
            for d in ("exact", "approx")}
    got = {d: figures(r.result.simulations, r.parties) for d, r in runs.items()}
    assert disagreements(got["exact"], got["approx"]) == []
    assert runs["approx"].provenance.draws == "approx"


def portfolio_figures(result) -> dict[str, np.ndarray]:
    """The portfolio's payments summed over its areas per simulation, whether any area's
    results were triggered or paid, and each owner's combined capital figures."""
    sims = [a.result.simulations for a in result.areas]
    total = {k: sum(s[k].to_numpy() for s in sims) for k in ("fee", "outcome", "revenue")}
    out = {"fee": total["fee"], "outcome": total["outcome"], "total": total["revenue"],
           "triggered": np.any([s["triggered"] for s in sims], axis=0),
           "outcome_paid": np.any([s["outcome"] != 0 for s in sims], axis=0)}
    for i, o in enumerate(result.owners):
        out[f"owner_peak_funding[{i}]"] = o.party.figures.peak_funding
        out[f"owner_insolvent[{i}]"] = o.party.figures.insolvent
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(bundled_portfolios()))
def test_a_bundled_portfolio_agrees_with_exact_draws(name):
    sims = 2048
    runs = {d: run_portfolio(name, sims, seed=5, draws=d) for d in ("exact", "approx")}
    got = {d: portfolio_figures(r) for d, r in runs.items()}
    assert disagreements(got["exact"], got["approx"]) == []
    assert runs["approx"].to_dict()["draws"] == "approx"
    assert "draws" not in runs["exact"].to_dict()
