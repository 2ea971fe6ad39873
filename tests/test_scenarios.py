"""What-if transforms: each returns a new spec validated afresh by the schema, so a what-if
the schema would refuse in a file is refused here too, naming the scenario and the field."""

from __future__ import annotations

import pytest

from pbr_model.errors import PbrError, SpecError
from pbr_model.scenarios import (revalidated, scale_prices, shock_volumes, with_budget,
                                 with_effect, with_terms)
from pbr_model.spec import bundled_contracts, load_spec
from pbr_model.spec.load import load_profile


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_revalidation_changes_nothing_of_a_valid_spec(name):
    spec = load_spec(name).spec
    assert revalidated(spec, "check") == spec
    assert shock_volumes(spec, 0.0) is spec
    assert scale_prices(spec, 1.0)[0] == spec


def test_volume_shock_scales_expected_entrants_only():
    spec = load_spec("tr-crc-example").spec
    shocked = shock_volumes(spec, 0.3)
    e0, e1 = spec.cohorts.entrants_per_period, shocked.cohorts.entrants_per_period
    assert e1 == (pytest.approx([x * 0.7 for x in e0]) if isinstance(e0, list)
                  else pytest.approx(e0 * 0.7))
    assert shocked.model_copy(update={"cohorts": spec.cohorts}) == spec


def test_effect_is_known_on_every_outcome():
    spec = load_spec("nys-ceo-pfs").spec
    known = with_effect(spec, 0.07)
    for dist in (known.intervention.effect.binary, known.intervention.effect.frequency,
                 *(o.effect for o in known.outcomes.other)):
        assert (dist.mean, dist.sd) == (0.07, 0.0)


def test_prices_scale_by_the_factor_and_name_every_field():
    spec = load_spec("peterborough-sib").spec
    scaled, fields = scale_prices(spec, 2.5)
    assert fields and all(path.startswith("payments.") for path, _ in fields)
    for path, value in fields:
        obj = scaled
        for part in path.split("."):
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
        assert obj == pytest.approx(value * 2.5), path


@pytest.mark.parametrize("make, fragment", [
    (lambda s: with_budget(s, -5.0), "personal budget -5: intervention.personal_budget.amount"),
    (lambda s: with_effect(s, 2.0), "true effect 2: intervention.effect.binary.mean"),
    (lambda s: scale_prices(s, -1.0)[0], "'TR outcome payment' rates.0.price"),
])
def test_a_what_if_the_schema_refuses_is_an_error_naming_it(make, fragment):
    spec = load_spec("tr-crc-example").spec
    with pytest.raises(PbrError) as err:
        make(spec)
    assert any(fragment in p for p in err.value.problems), err.value.problems


def test_a_budget_out_of_range_names_the_scenario():
    spec = load_spec("tr-crc-example").spec
    with pytest.raises(SpecError) as err:
        with_budget(spec, -5.0)
    (problem,) = err.value.problems
    assert problem.startswith("personal budget -5: intervention.personal_budget.amount")


def test_seat_terms_are_validated_as_the_profile_file_would_be():
    profile = load_profile("small-charity")
    assert with_terms(profile) is profile
    assert with_terms(profile, share=0.2, pbr_share=0.5).share == 0.2
    with pytest.raises(SpecError) as err:
        with_terms(profile, share=1.7)
    assert "share" in str(err.value) and "seat terms" in str(err.value)


def test_shocks_of_paid_volume_and_caseload_apart():
    spec = load_spec("tr-crc-example").spec
    paid = shock_volumes(spec, 0.3, 0.0)
    assert paid.cohorts.paid_volume_per_period == pytest.approx(3500)
    assert paid.cohorts.entrants_per_period == spec.cohorts.entrants_per_period
    rise = shock_volumes(spec, 0.0, -0.2)
    assert rise.cohorts.entrants_per_period == pytest.approx(6000)
    assert rise.cohorts.paid_volume_per_period == pytest.approx(5000)  # the caseload plan
    # a spec whose paid volume is the caseload keeps it so under one shared shock
    plain = load_spec("peterborough-sib").spec
    assert shock_volumes(plain, 0.3).cohorts.paid_volume_per_period is None
    with pytest.raises(SpecError, match="caseload shock -0.9"):
        shock_volumes(spec.model_copy(update={"cohorts": spec.cohorts.model_copy(
            update={"entrants_per_period": 6_000_000})}), 0.0, -0.9)
