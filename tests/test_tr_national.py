"""The bundled `tr-national` portfolio (the 21 TR CRCs under one national trend) and
examples/tr_national_quarters.py, which compares its per-quarter counts of CRCs paid and
deducted with the published ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pbr_model.analyses.portfolio import load_portfolio, run_portfolio

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "tr_national_quarters.py"


def test_tr_national_has_the_21_crcs_at_the_published_total_size():
    p = load_portfolio("tr-national")
    assert len(p.areas) == 21 and len({a.name for a in p.areas}) == 21
    entrants = sum(a.spec.spec.cohorts.entrants_per_period for a in p.areas)
    assert abs(entrants - 27_000) <= 100  # about 108,000 a year [GTD18]
    north = next(a for a in p.areas if a.name == "Northumbria").spec.spec
    mix = sum(b.share * b.binary_rate for b in north.population.bands)
    assert mix == pytest.approx(0.5517, abs=5e-5)  # Northumbria's 2011 baseline [CSW18]
    assert len(p.owners) == 8  # eight owners from Feb 2015 [PAC19]


def test_tr_national_pays_the_published_contract_value():
    """The 21 areas' expected payments are TR's published GBP 3.15bn over 7 years [RW-crc]:
    CALIBRATED (tr_national.toml's money per person x 3.25), so this checks the arithmetic of
    that calibration, not the model. Before 0.25.0 the areas, scaled from tr-crc-example by
    caseload alone, drew about GBP 0.97bn: this test fails on that portfolio."""
    sims = 400
    result = run_portfolio("tr-national", sims=sims)
    areas = result.areas
    total = sum(a.result.sim_columns["fee"] + a.result.sim_columns["outcome"] for a in areas)
    assert len(total) == sims
    se = total.std(ddof=1) / np.sqrt(sims)
    # within 3 standard errors of the mean, plus 0.5% for the factor's rounding to 3.25
    assert abs(total.mean() - 3.15e9) < 3 * se + 0.005 * 3.15e9, (total.mean(), se)
    # what the calibration scales: money per person, with the structure kept
    north = next(a for a in result.portfolio.areas if a.name == "Northumbria").spec.spec
    assert north.intervention.costs.per_participant == pytest.approx(450 * 3.25)
    assert north.payments[0].per_participant == pytest.approx(600 * 3.25)
    assert north.payments[1].rates[0].price == pytest.approx(3000 * 3.25)


def test_tr_national_runs():
    result = run_portfolio("tr-national", sims=64)
    assert len(result.areas) == 21
    assert len(result.owners) == 8
    assert all(o.summary["peak_funding"]["p95"] > 0 for o in result.owners)


@pytest.mark.slow
def test_quarters_table_compares_published_counts():
    done = subprocess.run([sys.executable, str(SCRIPT), "200", "--json"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["quarter"] for r in rows][:2] == ["Oct-Dec 2015", "Apr-Jun 2016"]
    assert (rows[0]["published_paid"], rows[0]["published_deducted"]) == (13, 2)  # [PM17]
    for r in rows:
        for key in ("bundled_paid", "bundled_deducted", "no_effect_paid", "no_effect_deducted",
                    "path_bundled_paid", "path_bundled_deducted", "path_no_effect_paid",
                    "path_no_effect_deducted"):
            s = r[key]
            assert 0 <= s["p5"] <= s["mean"] <= s["p95"] <= 21, (r["quarter"], key)
        # the bundled effect (5% expected) cuts reoffending: more CRCs paid than with none
        assert r["bundled_paid"]["mean"] > r["no_effect_paid"]["mean"]


def test_quarters_table_runs_small_given_the_path_and_with_overrides():
    done = subprocess.run([sys.executable, str(SCRIPT), "24", "--set",
                           "area.binary_logit_sd=0.3"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "Given the national path" in done.stdout and "Prior" in done.stdout
    assert "area.binary_logit_sd=0.3" in done.stdout
    assert done.stdout.count("| Oct-Dec 2015 [PM17] | 13 |") == 2
    assert done.stdout.count("| 2019/20 annual [MoJ22] | 21 |") == 2  # pooled 2019/20


def _first_year_changes(sims: int) -> np.ndarray:
    """Per area and simulation, the measured binary change over the first contract year
    (cohorts Oct 2015-Sep 2016 pooled, against the area's drawn 2011 baseline) [points],
    given the national path and with no effect, ``(21, sims)``."""
    sys.path.insert(0, str(SCRIPT.parent))
    import tr_national_quarters as q
    result = run_portfolio(q.with_sets([*q.GIVEN_PATH, *q.NO_EFFECT]), sims=sims)
    out = []
    for area in result.areas:
        c = area.result.cohorts
        shape = (sims, area.result.timeline.n_cohorts)
        base = c["comparison_binary_rate"].to_numpy().reshape(shape)[:, :4]
        rate = c["binary_rate"].to_numpy().reshape(shape)[:, :4]
        n = c["entrants"].to_numpy().reshape(shape)[:, :4]
        out.append(100 * ((rate * n).sum(axis=1) / n.sum(axis=1) - base.mean(axis=1)))
    return np.array(out)


def test_first_year_spread_across_areas_matches_the_published_range():
    # CALIBRATED (tr_national.toml): -7 to +3 points over 21 CRCs [GTD18], a range of 3.778
    # sds of a normal sample of 21, so a between-area variance of (10 / 3.778)^2 points^2.
    target = (10 / 3.778) ** 2
    changes = _first_year_changes(sims=96)
    var = changes.var(axis=0, ddof=1)           # across the 21 areas, one simulation each
    se = var.std(ddof=1) / np.sqrt(var.size)    # Monte Carlo standard error of the mean
    assert abs(var.mean() - target) < 3 * se, (var.mean(), target, se)
    # the national path is shared: the mean change is the calibrated trend's -1.9 to -2.1
    assert -2.5 < changes.mean() < -1.5
