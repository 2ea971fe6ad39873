"""The TR straw man's fee terms [JC14][SM] on hand-worked cases: a volume band reconciled
at each contract year end, a learning-curve discount by year, annual top-ups, and the
annual price stopping with an early stop. Every expected figure is worked in the comments
from the terms, never by calling the library."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from pbr_model.payments import PaymentInputs, fee
from pbr_model.spec.schema import FeePayment, VolumeBand
from strategies import make_evaluation, simple_timeline

PENNY = 0.005


def fee_inputs(entrants, stop=None) -> PaymentInputs:
    """Eight quarterly cohorts (a 24-month contract: two contract years)."""
    n = np.atleast_2d(np.asarray(entrants, dtype=float))
    ev = make_evaluation(n, np.zeros(n.shape))
    return PaymentInputs(simple_timeline(n.shape[1]), n, ev,
                         stop_month=None if stop is None else np.asarray(stop))


def test_band_reconciles_at_each_year_end_to_the_penny():
    # Annual price 120,000 (10,000 a month in arrears) for 1,000-1,500 entrants a year;
    # 250.55 per entrant outside the band.
    mech = FeePayment(type="fee", annual=120_000,
                      band=VolumeBand(lower=1_000, upper=1_500, price=250.55))
    # sim 0: year 0 has 4 x 225 = 900 (100 below: repays 100 x 250.55 = 25,055.00 in month
    #        12); year 1 has 4 x 410 = 1,640 (140 above: paid 140 x 250.55 = 35,077.00 in
    #        month 24). sim 1: 1,200 a year, inside the band: nothing to reconcile.
    flows = fee.pay(mech, fee_inputs([[225] * 4 + [410] * 4, [300] * 8]))
    expected = np.zeros((2, flows.monthly.shape[1]))
    expected[:, 1:25] = 10_000
    expected[0, 12] += -25_055.00
    expected[0, 24] += 35_077.00
    np.testing.assert_allclose(flows.monthly, expected, rtol=0, atol=PENNY)
    assert flows.total == pytest.approx([240_000 - 25_055 + 35_077, 240_000], abs=PENNY)


def test_learning_curve_discount_by_year():
    # 10% less each contract year: year 1 prices are 0.9 of year 0's. 300 entrants a
    # quarter (100 a month), 100 each: month 1 = 10,000 + 100 x 100 = 20,000; month 13
    # (service month 12, entries of month 12, both year 1) = 9,000 + 9,000 = 18,000.
    mech = FeePayment(type="fee", annual=120_000, per_participant=100, learning_discount=0.1)
    flows = fee.pay(mech, fee_inputs([[300] * 8]))
    assert flows.monthly[0, 0] == 0
    np.testing.assert_allclose(flows.monthly[0, 1:13], 20_000, rtol=1e-12)
    np.testing.assert_allclose(flows.monthly[0, 13:25], 18_000, rtol=1e-12)
    # per-person fees by cohort at the entry year's price: 30,000 then 27,000
    np.testing.assert_allclose(flows.by_cohort[0], [30_000] * 4 + [27_000] * 4, rtol=1e-12)
    assert flows.total[0] == pytest.approx(12 * 20_000 + 12 * 18_000, rel=1e-12)


def test_band_price_falls_with_the_learning_discount():
    # year 1: 140 above the band at 0.8 x 250 = 200 each: 28,000 in month 24
    mech = FeePayment(type="fee", learning_discount=0.2,
                      band=VolumeBand(lower=1_000, upper=1_500, price=250))
    flows = fee.pay(mech, fee_inputs([[300] * 4 + [410] * 4]))
    assert flows.monthly[0, 24] == pytest.approx(28_000, abs=PENNY)
    assert flows.total[0] == pytest.approx(28_000, abs=PENNY)


def test_top_ups_are_paid_after_each_year_and_only_for_listed_years():
    mech = FeePayment(type="fee", top_ups=[5_000, 7_000, 9_000])  # the third year never comes
    flows = fee.pay(mech, fee_inputs([[300] * 8]))
    paid = {int(m): v for m, v in enumerate(flows.monthly[0]) if v}
    assert paid == {12: 5_000, 24: 7_000}


def test_an_early_stop_cuts_the_annual_price_and_prorates_the_year_cut_short():
    # sim 1 stops at month 18: service months 0-17 paid (instalments in months 1-18);
    # year 1 served 6 of 12 months: band 500-750 pro rata, top-up 7,000 x 6/12 = 3,500,
    # reconciled in month 18. Year 1's entrants served before month 18: 2 x 300 = 600,
    # inside the half-year band. sim 0 runs its length.
    mech = FeePayment(type="fee", annual=120_000, top_ups=[5_000, 7_000],
                      band=VolumeBand(lower=1_000, upper=1_500, price=100))
    flows = fee.pay(mech, fee_inputs([[300] * 8, [300] * 6 + [0, 0]], stop=[24, 18]))
    m = flows.monthly
    assert m[1, 19:].sum() == 0
    np.testing.assert_allclose(m[1, 1:12], 10_000)
    assert m[1, 12] == pytest.approx(10_000 + 5_000)          # year 0: 1,200, in band
    assert m[1, 18] == pytest.approx(10_000 + 3_500)
    assert m[0, 24] == pytest.approx(10_000 + 7_000)


def test_a_year_cut_short_below_its_prorated_band_repays():
    # stop at month 6: year 0 served 6 months, band 500-750; 2 x 150 = 300 entrants, 200
    # below at 100: repays 20,000 in month 6 (with that month's instalment of 10,000)
    mech = FeePayment(type="fee", annual=120_000,
                      band=VolumeBand(lower=1_000, upper=1_500, price=100))
    flows = fee.pay(mech, fee_inputs([[150, 150] + [0] * 6], stop=[6]))
    assert flows.monthly[0, 6] == pytest.approx(10_000 - 20_000, abs=PENNY)
    assert flows.total[0] == pytest.approx(60_000 - 20_000, abs=PENNY)


def test_without_the_new_terms_the_fee_is_as_before():
    mech = FeePayment(type="fee", annual=120_000, per_participant=100)
    flows = fee.pay(mech, fee_inputs([[300] * 8]))
    tl = simple_timeline(8)
    expected = tl.in_arrears(100 * np.full((1, 8), 300.0))
    expected[:, 1:25] += 10_000
    np.testing.assert_array_equal(flows.monthly, expected)


@pytest.mark.parametrize("terms, fragment", [
    ({"band": {"lower": 2_000, "upper": 1_000, "price": 1}}, "lower (2000) is above upper"),
    ({"learning_discount": 1.0}, "less than 1"),
    ({"top_ups": [1_000, -5]}, "each top-up must be from 0"),
])
def test_bad_fee_terms_are_refused(terms, fragment):
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        FeePayment.model_validate({"type": "fee", **terms})


def test_the_band_reconciles_the_paid_volume_not_the_caseload():
    # caseload 1,200 a year (in band) but paid volume 4 x 400 = 1,600 in year 0: 100 above
    # the band at 100 = 10,000 in month 12; year 1's paid volume 1,200 is in the band
    mech = FeePayment(type="fee", band=VolumeBand(lower=1_000, upper=1_500, price=100))
    n = np.full((1, 8), 300.0)
    paid = np.array([[400.0] * 4 + [300.0] * 4])
    inputs = PaymentInputs(simple_timeline(8), n, make_evaluation(n, np.zeros(n.shape)),
                           paid_volume=paid)
    flows = fee.pay(mech, inputs)
    assert {int(m): v for m, v in enumerate(flows.monthly[0]) if v} == pytest.approx({12: 10_000})
