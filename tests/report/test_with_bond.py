"""``pbr simulate`` on a spec with a ``[sib]``: the provider is the bond's vehicle. Its
figures before financing are the contract's; after financing its cash has the investors'
draws in and the waterfall's payments to them out, as ``pbr capital``'s prime, so the two
commands give one answer to "does it run out of cash" (0.13.0's simulate left the bond out
and said a bond-funded vehicle ran out of cash in 31-66% of simulations)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pbr_model import simulate
from pbr_model.analyses.capital import capital
from pbr_model.finance.sib import bond_cash, run_sib
from pbr_model.report.simulate import WITH_BOND, simulation_reading
from pbr_model.spec import bundled_contracts, load_spec

BONDS = sorted(n for n in bundled_contracts() if load_spec(n).spec.sib is not None)
SIMS, SEED = 600, 5


def test_the_bundled_bonds_are_the_four_with_investors():
    assert BONDS == ["ma-roca-pfs", "nyc-able-sib", "nys-ceo-pfs", "peterborough-sib"]


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_the_summary_says_whether_the_bond_is_carried(name):
    summary = simulate(load_spec(name), sims=20, seed=3).summary()
    bond = name in BONDS
    assert summary["provider"]["with_bond"] is bond
    assert (WITH_BOND in " ".join(simulation_reading(summary))) is bond


@pytest.mark.parametrize("name", BONDS)
def test_simulate_and_capital_read_the_vehicle_alike(name):
    """The same seed: simulate's provider and capital's prime (no overheads in these specs)
    have the same need after financing, chance and month of running out, and net after
    financing, simulation by simulation."""
    loaded = load_spec(name)
    assert loaded.spec.provider.overheads == 0
    run = simulate(loaded, sims=SIMS, seed=SEED)
    prime = capital(loaded, sims=SIMS, seed=SEED).parties[0]
    sims = run.simulations
    assert np.array_equal(sims["insolvent"].to_numpy(), prime.figures.insolvent)
    assert np.array_equal(sims["first_shortfall_month"].to_numpy(),
                          prime.figures.first_shortfall_month)
    np.testing.assert_allclose(sims["peak_funding"], prime.figures.peak_funding, rtol=0,
                               atol=1e-6)
    np.testing.assert_allclose(sims["net"] - sims["financing_cost"],
                               prime.figures.net_after_financing, rtol=1e-12, atol=1e-3)


@pytest.mark.parametrize("name", BONDS)
def test_before_financing_is_the_contract_and_the_cost_is_the_investors_take(name):
    """Revenue, net and the need before financing are the contract's flows; the financing
    cost is what the investors were paid beyond their draws where the vehicle never ran
    short (its reserves and credit beyond the bond are 0 in these specs), and more where it
    did (new capital, at the cost of capital)."""
    loaded = load_spec(name)
    spec = loaded.spec
    assert spec.provider.reserves == 0 and spec.provider.credit_limit == 0
    run = simulate(loaded, sims=SIMS, seed=SEED)
    cash_in, cash_out = np.asarray(run.cash_in), np.asarray(run.cash_out)
    sims = run.simulations
    np.testing.assert_allclose(sims["net"], (cash_in - cash_out).sum(axis=1), atol=1e-3)
    draws, paid_out = bond_cash(run_sib(spec.sib, cash_in, cash_out))
    took = paid_out.sum(axis=1) - draws.sum(axis=1)
    short = sims["insolvent"].to_numpy()
    assert 0 < short.mean() < 1 or name == "nys-ceo-pfs"  # it runs short in 0.4%
    np.testing.assert_allclose(sims["financing_cost"][~short], took[~short], rtol=1e-9,
                               atol=1e-3)
    assert np.all(sims["financing_cost"][short] > took[short])
    low = np.minimum(np.cumsum(cash_in - cash_out, axis=1).min(axis=1), 0)
    np.testing.assert_allclose(sims["peak_funding_before_financing"], -low, atol=1e-6)


@pytest.mark.parametrize("name", ["ma-roca-pfs", "tr-crc-example"])
def test_the_terminal_says_it_under_the_table(cli, name):
    out = cli.run("simulate", name, "--sims", "20")
    cli.ok(out)
    text = " ".join(out.output.split())
    assert ("With the spec's [sib], the provider is the bond's vehicle" in text) \
        is (name in BONDS)
    data = json.loads(cli.run("simulate", name, "--sims", "20", "--json").output)
    assert data["provider"]["with_bond"] is (name in BONDS)


@pytest.mark.parametrize("name", BONDS)
def test_the_vehicle_s_cash_is_what_the_waterfall_leaves_it(name):
    """An identity the bond's own accounts keep, independent of how its cash is added to
    the provider's: month by month, the vehicle's cumulative cash (income and draws less
    costs and what the investors were paid) is what the waterfall left it (``residual``)
    less what no one funded (``unfunded``), plus scheduled draws still held."""
    loaded = load_spec(name)
    run = simulate(loaded, sims=SIMS, seed=SEED)
    cash_in, cash_out = np.asarray(run.cash_in), np.asarray(run.cash_out)
    sib = run_sib(loaded.spec.sib, cash_in, cash_out)
    draws, paid_out = bond_cash(sib)
    vehicle = np.cumsum(cash_in + draws - paid_out - cash_out, axis=1)
    kept = np.cumsum(sib.residual - sib.unfunded, axis=1) + sib.held
    np.testing.assert_allclose(vehicle, kept, rtol=0, atol=1e-4 * np.abs(cash_out).max())
    # the provider needs money after financing exactly where the vehicle does (past half a
    # penny), and at least as much (new capital's interest adds to it)
    need = np.where(-vehicle.min(axis=1) > 0.005, -vehicle.min(axis=1), 0.0)
    peak = run.simulations["peak_funding"].to_numpy()
    assert np.array_equal(peak > 0, need > 0)
    assert np.all(peak >= need - 1e-6)
