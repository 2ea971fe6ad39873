"""Massachusetts Roca's capital stack through the waterfall at its published payments.

The tier amounts are CALIBRATED to the published figures (about USD 22m at the 40% target
[Reason14], USD 27m at most [IND]), so these tests check the arithmetic of the calibration
and of the waterfall, not that the model is right about Roca.
"""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model import load_spec, simulate
from pbr_model.finance.investors import summary
from pbr_model.finance.sib import run_sib
from pbr_model.payments.rules import tier_amount


@pytest.fixture(scope="module")
def roca():
    """The spec and its noise-free costs, ``(1, n_months)`` [USD], with the month the
    pooled payment is made."""
    loaded = load_spec("ma-roca-pfs")
    run = simulate(loaded, 1, sampling="expected")
    return loaded.spec, run.cash_out, int(run.timeline.payment_month[-1])


def paid_at(spec, change: float) -> float:
    """What the schedule pays for a ``change`` [percent] fewer incarceration days [USD]."""
    mech = spec.payments[0]
    amount = tier_amount(np.array([change]), [t.at for t in mech.tiers],
                         [t.amount for t in mech.tiers], mech.interpolate)[0]
    return min(amount, mech.cap_total)


def waterfall(spec, costs, month, paid, **update):
    income = np.zeros_like(costs)
    income[0, month] = paid
    sib = spec.sib.model_copy(update=update)
    return {f.name: f for f in run_sib(sib, income, costs).figures()}


def test_the_schedule_pays_22m_at_the_target_and_27m_at_most(roca):
    spec = roca[0]
    assert paid_at(spec, 40) == pytest.approx(22_000_000)  # [Reason14]
    assert paid_at(spec, 55) == paid_at(spec, 80) == 27_000_000  # [IND]
    assert paid_at(spec, 5) == 0  # no fee at 5% [IND]


@pytest.mark.parametrize("change", [40, 55])
def test_at_the_target_and_at_most_the_senior_lender_gets_9m_and_5_percent(roca, change):
    spec, costs, month = roca
    assert costs.sum() == pytest.approx(21_760_000)  # every commitment is drawn
    f = waterfall(spec, costs, month, paid_at(spec, change))
    senior = f["Goldman Sachs senior loan"]
    assert senior.drawn[0] == pytest.approx(9_000_000)
    assert senior.irr[0] == pytest.approx(0.05, abs=1e-9)  # capital plus 5% a year [Reason14]
    for junior in ("Kresge Foundation junior loan", "Living Cities junior loan"):
        assert f[junior].drawn[0] == pytest.approx(1_500_000)
        # capital back [Reason14]; the 2% a year is the contract file's ASSUMPTION (rate NOT FOUND)
        assert f[junior].irr[0] == pytest.approx(0.02, abs=1e-9)
    fees = f["Roca deferred fees"]
    assert fees.received[0] == pytest.approx(3_760_000)  # repaid last, in full
    grant = f["Philanthropic grants"]
    assert grant.grant and grant.received[0] == 0 and summary(grant)["prob_loss"] is None


def test_the_old_capital_first_order_inverted_seniority(roca):
    # At the old calibration (USD 18.9m at 40%), paying every rank's capital before any
    # return left the senior lender 4.4% a year while the juniors and Roca's deferred fees
    # got their capital back in full; senior first, the senior lender gets its 5%.
    spec, costs, month = roca
    old = waterfall(spec, costs, month, 18_900_000, waterfall="capital_first")
    assert old["Goldman Sachs senior loan"].irr[0] == pytest.approx(0.044, abs=5e-4)
    assert old["Roca deferred fees"].received[0] == pytest.approx(3_760_000)
    new = waterfall(spec, costs, month, 18_900_000)
    assert new["Goldman Sachs senior loan"].irr[0] == pytest.approx(0.05, abs=1e-9)
    assert new["Roca deferred fees"].received[0] < 3_760_000
