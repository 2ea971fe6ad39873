"""examples/smf_power.py asks SMF 2013's question in SMF's units: effects in percentage
points of the binary rate, converted exactly to the spec's relative effect, under the
straw man's +-3 point flat zone (corridor and cliff) and TR's significance rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "smf_power.py"


@pytest.fixture(scope="module")
def smf():
    spec = importlib.util.spec_from_file_location("smf_power", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.POINTS = [0.0, 2.0, 4.0, 6.0]      # a short grid: the test checks the plumbing
    return module


def test_the_rules_are_set_in_full_and_in_points(smf):
    corridor = smf.bet(smf.RULES["SMF straw man, corridor"], 600).payments[1].rates[0]
    assert (corridor.measure, corridor.change, corridor.threshold, corridor.deduction_threshold,
            corridor.threshold_rule, corridor.significance_level) == (
        "binary", "points", 3.0, 3.0, "corridor", None)
    tr = smf.bet(smf.RULES["TR as paid: significant at 5%"], 600).payments[1].rates[0]
    assert (tr.significance_level, tr.significance_test, tr.threshold, tr.deduction_price) == (
        0.05, "two_sided", 0.0, smf.PRICE)
    spec = smf.bet(smf.RULES["SMF straw man, cliff"], 600)
    assert smf.baseline_rate(spec) == pytest.approx(0.475, abs=0.0005)
    assert spec.cohorts.entrants_per_period == 600


def test_it_runs_and_prints_points(smf, capsys):
    rows = smf.main(sims=40)
    out = capsys.readouterr().out
    assert "1 point = a relative cut of 2.10" in out
    assert "points needed for a chance of" in out and "percentage points" in out
    assert "3 + 80 / (3000 / 100) = 5.67 points" in out
    assert len(rows) == len(smf.RULES) * len(smf.AREAS)
    # the corridor pays nothing below the zone: at no true effect the bet always loses
    corridor = [r for r in rows if r["rules"] == "SMF straw man, corridor"]
    assert all(r["at_zero"] == 0.0 and r["cohort_covers"][0] == 0.0 for r in corridor)
