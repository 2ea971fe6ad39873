"""The bundled `tr-national` portfolio (the 21 TR CRCs under one national trend) and
examples/tr_national_quarters.py, which compares its per-quarter counts of CRCs paid and
deducted with the published ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    text = Path(p.source).read_text() if Path(p.source).is_file() else ""
    owners = {line.split("owner:")[1].split("[")[0].strip()
              for line in (text or _bundled_text()).splitlines() if "# owner:" in line}
    assert len(owners) == 8  # eight owners from Feb 2015 [PAC19]


def _bundled_text() -> str:
    from pbr_model.spec.portfolio import bundled_portfolios
    return bundled_portfolios()["tr-national"].read_text()


def test_tr_national_runs():
    result = run_portfolio("tr-national", sims=64)
    assert len(result.areas) == 21
    assert result.owner.summary["peak_funding"]["p95"] > 0


@pytest.mark.slow
def test_quarters_table_compares_published_counts():
    done = subprocess.run([sys.executable, str(SCRIPT), "200", "--json"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["quarter"] for r in rows][:2] == ["Oct-Dec 2015", "Apr-Jun 2016"]
    assert (rows[0]["published_paid"], rows[0]["published_deducted"]) == (13, 2)  # [PM17]
    for r in rows:
        for key in ("bundled_paid", "bundled_deducted", "no_effect_paid", "no_effect_deducted"):
            s = r[key]
            assert 0 <= s["p5"] <= s["mean"] <= s["p95"] <= 21, (r["quarter"], key)
        # the bundled effect (5% expected) cuts reoffending: more CRCs paid than with none
        assert r["bundled_paid"]["mean"] > r["no_effect_paid"]["mean"]
