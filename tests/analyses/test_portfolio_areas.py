"""A portfolio's areas each keep their own ``[area]`` (the portfolio replaces only
``[trend]``) and draw their deviations independently of each other."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pbr_model.analyses.portfolio import load_portfolio, run_portfolio

ONE_BAND = """\
[contract]
name = "One band"
start_date = 2020-01-01
length_months = 12

[cohorts]
entrants_per_period = 400

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0
"""

OWNER = """\
[owner]
name = "Test owner"
reserves = 200000
credit_limit = 100000
credit_rate = 0.06
cost_of_capital = 0.1
overheads = 0.05
"""

SIMS = 2048


def portfolio(folder: Path, sets: dict[str, list[str]]) -> Path:
    (folder / "one_band.toml").write_text(ONE_BAND)
    text = f'[portfolio]\nname = "Areas"\n\n{OWNER}\n'
    for name, extra in sets.items():
        text += f'\n[[areas]]\nname = "{name}"\nspec = "one_band.toml"\nset = {json.dumps(extra)}\n'
    path = folder / "areas.toml"
    path.write_text(text)
    return path


def cf_rates(area) -> np.ndarray:
    """Counterfactual binary rate, ``(sims, cohorts)``: the baseline moved by the area alone
    (no trend, no effect here)."""
    c = area.result.cohorts
    rate = (c["counterfactual_reoffenders"] / c["entrants"]).unstack()
    return rate.to_numpy()


def test_each_area_keeps_its_own_area_section_and_draws_it_independently(tmp_path):
    path = portfolio(tmp_path, {"A": ["area.binary_logit_sd=0.5"],
                                "B": ["area.binary_logit_sd=0.5"],
                                "C": []})
    loaded = load_portfolio(path)
    assert [a.spec.spec.area.binary_logit_sd for a in loaded.areas] == [0.5, 0.5, 0.0]
    a, b, c = (cf_rates(x) for x in run_portfolio(loaded, sims=SIMS, seed=3).areas)
    # persistent only: an area's cohorts move together
    assert np.allclose(a[:, 0], a[:, 3]) and np.std(a[:, 0]) > 0.05
    # two areas' deviations are independent draws: correlation 0 within 4 standard errors
    assert abs(np.corrcoef(a[:, 0], b[:, 0])[0, 1]) < 4 / np.sqrt(SIMS)
    # an area without [area] follows the (zero) national trend exactly
    np.testing.assert_allclose(c, 0.4)
