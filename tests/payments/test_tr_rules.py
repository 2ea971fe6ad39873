"""The bundled TR contract pays as TR did from its first results (Oct-Dec 2015 cohort):
only a statistically significant binary reduction pays, a significant increase is deducted
[PM18][MoJ21a]; the one-sided "any measured cut pays" rules are the labelled alternative
`tr-crc-any-cut`.

Each cohort: 5,000 people (tr-crc-example's size) against a 47.5% baseline (2,375
reoffenders). The se of a difference against a fixed baseline of that size is
sqrt(0.475 x 0.525 / 5000) = 0.706 points, so 1.96 se = 1.38 points: a 1-point cut
(50 reoffenders, z = 1.42) is not significant; a 2-point cut (z = 2.83) is, and so is a
2-point rise.
"""

from __future__ import annotations

import numpy as np

from pbr_model.payments.outcome import rate_amount
from pbr_model.spec import load_spec
from strategies import make_evaluation

N, BASE = 5000.0, 2375.0


def _binary_rate(name: str):
    spec = load_spec(name).spec
    outcome = next(p for p in spec.payments if p.type == "outcome")
    return next(r for r in outcome.rates if r.measure == "binary")


def _against_baseline(treated_k):
    k = np.atleast_2d(np.asarray(treated_k, dtype=float))
    return make_evaluation(np.full(k.shape, N), k, comparison_reoffenders=np.full(k.shape, BASE))


def test_tr_pays_only_significant_cuts_and_deducts_significant_rises():
    # cohorts: 1-point cut (not significant), 2-point cut, 1-point rise (not significant),
    # 2-point rise (significant)
    ev = _against_baseline([BASE - 50, BASE - 100, BASE + 50, BASE + 100])
    amount, ok = rate_amount(_binary_rate("tr-crc-example"), ev)
    np.testing.assert_allclose(amount, [[0.0, 100 * 3000, 0.0, -100 * 3000]])
    np.testing.assert_array_equal(ok, [[False, True, False, False]])


def test_the_any_cut_alternative_pays_every_measured_cut_and_deducts_nothing():
    ev = _against_baseline([BASE - 50, BASE - 100, BASE + 50, BASE + 100])
    amount, ok = rate_amount(_binary_rate("tr-crc-any-cut"), ev)
    np.testing.assert_allclose(amount, [[50 * 3000, 100 * 3000, 0.0, 0.0]])
    np.testing.assert_array_equal(ok, [[True, True, False, False]])


def test_the_alternative_differs_from_tr_only_in_the_binary_rule():
    tr = load_spec("tr-crc-example").spec.model_dump()
    alt = load_spec("tr-crc-any-cut").spec.model_dump()
    rate_tr, rate_alt = tr["payments"][1]["rates"][0], alt["payments"][1]["rates"][0]
    assert (rate_tr["significance_level"], rate_tr["deduction_price"]) == (0.05, 3000)
    assert (rate_alt["significance_level"], rate_alt["deduction_price"]) == (None, 0.0)
    for d in (tr, alt):
        d["payments"][1]["rates"][0].update(significance_level=None, deduction_price=0.0)
        d["contract"].pop("name")
    assert tr == alt, ("contracts/tr_crc_any_cut.toml must be tr_crc_example.toml but for the "
                       "binary rule: copy the other change across")
