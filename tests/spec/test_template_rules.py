"""Issue 13's rule fields round-trip through the Excel template: a corridor, a one-sided
test, a design effect and calibrated figures, away from their defaults."""

from __future__ import annotations

from pbr_model.spec import load_spec
from pbr_model.spec.template import write_template


def test_rule_options_and_a_design_effect_round_trip(tmp_path):
    loaded = load_spec("peterborough-sib", [
        "payments.0.rates.0.threshold_rule=corridor",
        "evaluation.design_effect=2.5",
        "contract.calibrated=[{field=\"payments.0.rates.0.price\", to=\"x [SF14]\"}]"])
    back = load_spec(write_template(loaded, tmp_path / "p.xlsx"))
    rate = back.spec.payments[0].rates[0]
    assert rate.threshold_rule == "corridor"
    assert back.spec.evaluation.design_effect == 2.5
    assert [(c.field, c.to) for c in back.spec.contract.calibrated] == [
        ("payments.0.rates.0.price", "x [SF14]")]
    assert back.sha256 == loaded.sha256


def test_a_one_sided_test_round_trips(tmp_path):
    # NYS CEO's employment rate: a rate measure, so it may be tested
    loaded = load_spec("nys-ceo-pfs", ["payments.1.rates.1.significance_level=0.05",
                                       "payments.1.rates.1.significance_test=one_sided"])
    back = load_spec(write_template(loaded, tmp_path / "t.xlsx"))
    assert back.spec.payments[1].rates[1].significance_test == "one_sided"
    assert back.sha256 == loaded.sha256
