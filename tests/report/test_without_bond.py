"""``pbr simulate`` on a spec with a ``[sib]``: its provider view leaves the bond out (no
investors' draws or repayments; ``pbr capital`` runs the waterfall), and says so in the
JSON, on the terminal and in the workbook's reading, so its P(cash runs out) is not read
as the bond's."""

from __future__ import annotations

import json

import pytest

from pbr_model import simulate
from pbr_model.report.simulate import WITHOUT_BOND, simulation_reading
from pbr_model.spec import bundled_contracts, load_spec

BONDS = sorted(n for n in bundled_contracts() if load_spec(n).spec.sib is not None)


def test_the_bundled_bonds_are_the_four_with_investors():
    assert BONDS == ["ma-roca-pfs", "nyc-able-sib", "nys-ceo-pfs", "peterborough-sib"]


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_the_summary_says_whether_the_bond_is_left_out(name):
    summary = simulate(load_spec(name), sims=20, seed=3).summary()
    bond = name in BONDS
    assert summary["provider"]["without_bond"] is bond
    reading = " ".join(simulation_reading(summary))
    assert (WITHOUT_BOND in reading) is bond


@pytest.mark.parametrize("name", ["ma-roca-pfs", "tr-crc-example"])
def test_the_terminal_says_it_under_the_table(cli, name):
    out = cli.run("simulate", name, "--sims", "20")
    cli.ok(out)
    text = " ".join(out.output.split())
    assert ("This spec has a [sib]: the provider's cash here leaves out the bond" in text) \
        is (name in BONDS)
    assert "`pbr capital SPEC` runs the bond's waterfall" in text or name not in BONDS
    data = json.loads(cli.run("simulate", name, "--sims", "20", "--json").output)
    assert data["provider"]["without_bond"] is (name in BONDS)
