"""Several outcome payers sharing a mechanism's payments (pbr_model.payments.payers), each
with its own cap; the commissioner's view per payer; and bad payer or waterfall terms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pbr_model import load_spec
from pbr_model.analyses.capital import capital
from pbr_model.payments import PaymentFlows
from pbr_model.payments.payers import split_payers
from pbr_model.spec.payments import TieredPayment
from pbr_model.timeline import Timeline

ROOT = Path(__file__).resolve().parents[2]


def tiered(payers):
    return TieredPayment.model_validate({"type": "tiered", "name": "T",
                                         "tiers": [{"at": 0, "amount": 1}], "payers": payers})


@pytest.fixture(scope="module")
def timeline():
    return Timeline.from_spec(load_spec("nys-ceo-pfs").spec)


def flows(timeline, monthly: np.ndarray) -> PaymentFlows:
    """An outcome mechanism paying ``monthly`` ``(n_sims, n_months)``, each cohort's payment
    in its payment month."""
    by_cohort = monthly[:, timeline.payment_month]
    return PaymentFlows("T", "outcome", monthly, by_cohort, parts={"x": by_cohort})


def test_each_payer_pays_its_share_until_its_cap_to_the_penny(timeline):
    # Two cohorts paid 1,000,000.00 and 600,000.00. A pays 40% up to 500,000: 400,000.00 then
    # 100,000.00 of the 240,000.00 due (cut 140,000.00). B pays 60% with no cap.
    m1, m2 = timeline.payment_month
    monthly = np.zeros((1, timeline.n_months))
    monthly[0, m1], monthly[0, m2] = 1_000_000, 600_000
    out = split_payers(tiered([{"name": "A", "share": 0.4, "cap": 500_000},
                               {"name": "B", "share": 0.6}]), flows(timeline, monthly),
                       timeline)
    a, b = out.payers
    assert (a.monthly[0, m1], a.monthly[0, m2]) == (400_000, 100_000)
    assert (b.monthly[0, m1], b.monthly[0, m2]) == (600_000, 360_000)
    assert a.paid[0] == 500_000 and a.due[0] == 640_000 and a.cap_binds[0]
    assert b.paid[0] == 960_000 and not b.cap_binds[0]
    # the provider gets what the payers paid, and the cohorts' figures say so
    assert out.monthly[0, m1] == 1_000_000 and out.monthly[0, m2] == pytest.approx(460_000,
                                                                               abs=0.005)
    np.testing.assert_allclose(out.by_cohort[0], [1_000_000, 460_000], rtol=0, atol=0.005)
    np.testing.assert_allclose(out.parts["x"], out.by_cohort, rtol=0, atol=0)


def test_payers_whose_caps_never_bind_change_nothing(timeline):
    monthly = np.zeros((3, timeline.n_months))
    monthly[:, timeline.payment_month[0]] = [0, 123_456.78, 2_000_000]
    before = flows(timeline, monthly)
    out = split_payers(tiered([{"name": "A", "share": 0.25, "cap": 1e7},
                               {"name": "B", "share": 0.75}]), before, timeline)
    np.testing.assert_array_equal(out.monthly, before.monthly)  # byte for byte
    np.testing.assert_array_equal(out.by_cohort, before.by_cohort)
    np.testing.assert_allclose(sum(p.paid for p in out.payers), monthly.sum(1), rtol=1e-15)
    assert not any(p.cap_binds.any() for p in out.payers)


def test_no_payers_no_split(timeline):
    before = flows(timeline, np.ones((1, timeline.n_months)))
    assert split_payers(tiered([]), before, timeline) is before


def test_a_repayment_is_shared_and_frees_room_under_a_cap(timeline):
    m1, m2 = timeline.payment_month
    monthly = np.zeros((1, timeline.n_months))
    monthly[0, m1], monthly[0, m2] = -100, 300
    out = split_payers(tiered([{"name": "A", "share": 0.5, "cap": 80},
                               {"name": "B", "share": 0.5}]), flows(timeline, monthly),
                       timeline)
    a, b = out.payers
    # A gets back 50 first, then owes 150 of which its cap allows 80 - (-50) = 130
    assert (a.monthly[0, m1], a.monthly[0, m2]) == (-50, 130)
    assert (b.monthly[0, m1], b.monthly[0, m2]) == (-50, 150)
    assert a.paid[0] == 80 and a.cap_binds[0]


@pytest.mark.parametrize("name", ["nys-ceo-pfs", "ma-roca-pfs"])
def test_the_two_payer_contracts_name_their_published_maxima(name):
    mech = next(m for m in load_spec(name).spec.payments if m.payers)
    caps = {p.name: p.cap for p in mech.payers}
    assert caps == {"nys-ceo-pfs": {"New York State": 10_448_853,            # [LI][PFS-NYS][IND]
                                    "US Department of Labor": 11_095_000},
                    "ma-roca-pfs": {"Commonwealth of Massachusetts": 15_000_000,  # [IND]
                                    "US Department of Labor": 12_000_000}}[name]
    assert sum(caps.values()) == mech.cap_total


def test_the_commissioner_view_reports_each_payer():
    r = capital("nys-ceo-pfs", sims=1024, seed=3)
    c = r.commissioner
    state, dol = c["payers"]
    assert (state["name"], dol["name"]) == ("New York State", "US Department of Labor")
    assert state["pays_for"] == [{"mechanism": "CEO outcome payments", "share": 0.4850039127,
                                  "cap": 10_448_853}]
    s = r.result.simulations
    # the payers pay the outcome mechanism they share (the transitional jobs fee has none)
    split = s["outcome_paid_by:New York State"] + s["outcome_paid_by:US Department of Labor"]
    capped = [m for m in r.result.spec.payments if m.payers][0]
    assert (split <= capped.cap_total + 0.01).all()
    assert (s["paid_by:New York State"] <= 10_448_853 + 0.005).all()
    assert (s["paid_by:US Department of Labor"] <= 11_095_000 + 0.005).all()
    assert state["expected_paid"] == pytest.approx(s["paid_by:New York State"].mean())
    reached = (s["paid_by:New York State"] >= 10_448_853 - 0.005).mean()
    assert state["prob_cap_binds"] == pytest.approx(reached) and 0 < reached < 1
    # paid for noise is the commissioner's quantity, per payer: one mechanism, so the
    # same trigger, and the payers' expected payments for noise add up to the whole
    assert state["paid_for_noise"] == dol["paid_for_noise"] == c["paid_for_noise"]
    assert state["paid_for_noise_se"] == c["paid_for_noise_se"]
    # (the transitional jobs fee is not an outcome payment, so none of it is in either)
    assert state["expected_paid_for_noise"] + dol["expected_paid_for_noise"] == pytest.approx(
        c["expected_paid_for_noise"], rel=1e-9)


def test_the_payers_show_on_screen_and_in_the_workbook(cli, tmp_path):
    import openpyxl
    out = tmp_path / "nys.xlsx"
    res = cli.run("capital", "nys-ceo-pfs", "--sims", "1024", "--xlsx", str(out))
    cli.ok(res)
    assert "Payer: New York State" in res.stdout and "Payer: US Department of Labor" in res.stdout
    ws = openpyxl.load_workbook(out)["Commissioner"]
    assert "Payers" in ws.tables
    rows = [[c.value for c in r] for r in ws[ws.tables["Payers"].ref]]
    assert [r[0] for r in rows[1:]] == ["New York State", "US Department of Labor"]


def _spec_with(tmp_path, name, old, new) -> Path:
    text = (ROOT / "contracts" / f"{name.replace('-', '_')}.toml").read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new))
    return path


def test_payer_shares_that_do_not_sum_to_one_are_a_spec_error(cli, tmp_path):
    path = _spec_with(tmp_path, "nys-ceo-pfs", "share = 0.5149960873", "share = 0.5")
    cli.error(cli.run("simulate", str(path)), "payers", "sum to 1", "0.985")


def test_a_payer_named_twice_is_a_spec_error(cli, tmp_path):
    path = _spec_with(tmp_path, "nys-ceo-pfs", '"US Department of Labor"', '"New York State"')
    cli.error(cli.run("simulate", str(path)), "payers", "each payer once")


def test_an_unknown_waterfall_is_a_spec_error(cli, tmp_path):
    path = _spec_with(tmp_path, "ma-roca-pfs", 'waterfall = "by_rank"',
                      'waterfall = "junior_first"')
    cli.error(cli.run("capital", str(path)), "sib.waterfall", "junior_first", "by_rank",
              "capital_first")


def test_renegotiating_a_mechanism_with_payers_is_refused(cli, tmp_path):
    # the payers' caps apply before a renegotiation would scale the payments: not modelled
    path = _spec_with(tmp_path, "nys-ceo-pfs", "[provider]",
                      '[[renegotiation]]\nmonth = 20\npayment = "CEO outcome payments"\n'
                      'price_factor = 1.1\n\n[provider]')
    cli.error(cli.run("simulate", str(path)), "renegotiation.0.payment",
              "CEO outcome payments", "payers", "not modelled")
