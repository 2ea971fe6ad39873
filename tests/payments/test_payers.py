"""Several outcome payers sharing a mechanism's payments (pbr_model.payments.payers), each
with its own cap; the commissioner's view per payer; and bad payer or waterfall terms."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pbr_model import load_spec
from pbr_model.analyses.capital import capital
from pbr_model.payments import PaymentFlows
from pbr_model.payments.payers import shared_caps, split_all, split_payers
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


def test_a_repayment_while_a_cap_holds_back_more_is_waived(timeline):
    """One mechanism: A (half, cap 80) owes 100 (pays 80, 20 held back), then a repayment of
    30 (A's 15): A still owes 85, above its cap, so it repays nothing; a second repayment of
    30 takes it to 70, so it gets back 10. What A has paid is always the lesser of its cap
    and all it owes."""
    m1, m2 = timeline.payment_month
    monthly = np.zeros((1, timeline.n_months))
    monthly[0, m1], monthly[0, m1 + 1], monthly[0, m2] = 200, -30, -30
    out = split_payers(tiered([{"name": "A", "share": 0.5, "cap": 80},
                               {"name": "B", "share": 0.5}]), flows(timeline, monthly),
                       timeline)
    a, b = out.payers
    assert (a.monthly[0, m1], a.monthly[0, m1 + 1], a.monthly[0, m2]) == (80, 0, -10)
    assert (b.monthly[0, m1], b.monthly[0, m1 + 1], b.monthly[0, m2]) == (100, -15, -15)
    assert np.array_equal(np.cumsum(a.monthly[0]),
                          np.minimum(80, np.cumsum(0.5 * monthly[0])))


@pytest.mark.parametrize("name", ["nys-ceo-pfs", "ma-roca-pfs"])
def test_the_two_payer_contracts_name_their_published_maxima(name):
    payments = load_spec(name).spec.payments
    mech = next(m for m in payments if m.payers and m.type != "fee")
    caps = {p.name: p.cap for p in mech.payers}
    assert caps == {"nys-ceo-pfs": {"New York State": 10_448_853,            # [LI][PFS-NYS][IND]
                                    "US Department of Labor": 11_095_000},
                    "ma-roca-pfs": {"Commonwealth of Massachusetts": 15_000_000,  # [IND]
                                    "US Department of Labor": 12_000_000}}[name]
    assert sum(caps.values()) == mech.cap_total
    # every mechanism a payer pays under names it with its one maximum (NYS CEO: the
    # transitional jobs payments too)
    for m in payments:
        assert all(caps[p.name] == p.cap for p in m.payers)
    assert shared_caps(payments) == ({} if name == "ma-roca-pfs"
                                     else {"New York State": 10_448_853})


def test_the_commissioner_view_reports_each_payer():
    r = capital("nys-ceo-pfs", sims=1024, seed=3)
    c = r.commissioner
    state, dol = c["payers"]
    assert (state["name"], dol["name"]) == ("New York State", "US Department of Labor")
    assert state["pays_for"] == [
        {"mechanism": "Transitional jobs engagement", "share": 1.0, "cap": 10_448_853},
        {"mechanism": "CEO outcome payments", "share": 0.4850039127, "cap": 10_448_853}]
    assert state["cap"] == 10_448_853 and dol["cap"] == 11_095_000
    assert dol["pays_for"] == [{"mechanism": "CEO outcome payments", "share": 0.5149960873,
                                "cap": 11_095_000}]
    s = r.result.simulations
    # the payers pay both mechanisms; their outcome payments stay within the outcome cap
    split = s["outcome_paid_by:New York State"] + s["outcome_paid_by:US Department of Labor"]
    capped = [m for m in r.result.spec.payments if m.payers and m.type != "fee"][0]
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
    text = " ".join(res.stdout.split())
    assert ("Payer: New York State pays 100.0% of Transitional jobs engagement and 48.5% of "
            "CEO outcome payments, up to $10.45m over all of them") in text
    assert "Payer: US Department of Labor" in text
    ws = openpyxl.load_workbook(out)["Commissioner"]
    assert "Payers" in ws.tables
    rows = [[c.value for c in r] for r in ws[ws.tables["Payers"].ref]]
    shares = [[c.value for c in r] for r in ws[ws.tables["PayerShares"].ref]]
    assert shares[1:] == [["New York State", "Transitional jobs engagement", 1.0],
                          ["New York State", "CEO outcome payments", 0.4850039127],
                          ["US Department of Labor", "CEO outcome payments", 0.5149960873]]
    # one row per payer, its one cap over all it pays
    assert [r[:3] for r in rows[1:]] == [
        ["New York State", "100.0% of Transitional jobs engagement; 48.5% of CEO outcome "
         "payments", 10_448_853],
        ["US Department of Labor", "51.5% of CEO outcome payments", 11_095_000]]


def _spec_with(tmp_path, name, old, new) -> Path:
    text = (ROOT / "contracts" / f"{name.replace('-', '_')}.toml").read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new))
    return path


def _two(timeline, first: dict[int, float], second: dict[int, float], payers):
    """Two tiered mechanisms named T1 and T2, both split between ``payers``, paying
    ``first`` and ``second`` (``{month: amount}``, one simulation)."""
    out = []
    for name, paid in (("T1", first), ("T2", second)):
        monthly = np.zeros((1, timeline.n_months))
        for month, amount in paid.items():
            monthly[0, month] = amount
        by_cohort = monthly[:, timeline.payment_month]
        out.append((tiered(payers).model_copy(update={"name": name}),
                    PaymentFlows(name, "outcome", monthly, by_cohort, parts={"x": by_cohort})))
    return SimpleNamespace(payments=[m for m, _ in out]), [f for _, f in out]


def test_a_payer_named_by_two_mechanisms_has_one_cap_over_both(timeline):
    """A owes 120 + 60 = 180 in the first month against its cap of 90 over both mechanisms:
    half of what it owes there is cut, from each mechanism alike (60 and 30 paid). A later
    repayment of 20 under T2 is waived: the cap held back 90, and what A has paid (90)
    stays the lesser of the cap and all it owes (160); so is a payment after it (owed 210,
    paid 90). B, uncapped, pays its share of everything. Capped mechanism by mechanism, A
    would have paid 90 under each."""
    m1, m2 = timeline.payment_month
    spec, flows_ = _two(timeline, {m1: 240}, {m1: 120, m2 - 1: -40, m2: 100},
                        [{"name": "A", "share": 0.5, "cap": 90}, {"name": "B", "share": 0.5}])
    t1, t2 = split_all(spec, flows_, timeline)
    (a1, b1), (a2, b2) = t1.payers, t2.payers
    assert (a1.monthly[0, m1], a2.monthly[0, m1]) == (60, 30)
    assert (a2.monthly[0, m2 - 1], a2.monthly[0, m2]) == (0, 0)
    assert a1.paid[0] + a2.paid[0] == 90 and a1.due[0] + a2.due[0] == 210
    assert a1.cap_binds[0] and a2.cap_binds[0]
    np.testing.assert_array_equal(a1.paid_under_cap, [90])
    assert (b1.paid[0], b2.paid[0]) == (120, 90) and not (b1.cap_binds | b2.cap_binds).any()
    # the provider gets what the payers paid, mechanism by mechanism: B's repayment stands
    assert (t1.monthly[0, m1], t2.monthly[0, m1]) == (180, 90)
    assert (t2.monthly[0, m2 - 1], t2.monthly[0, m2]) == (-20, 50)
    # each mechanism alone, with the same cap, would have let A pay 90 under each
    alone = [split_payers(m, f, timeline) for m, f in zip(spec.payments, flows_)]
    assert [f.payers[0].paid[0] for f in alone] == [90, 90]


def test_a_repayment_beyond_what_a_shared_cap_held_back_is_repaid_in_part(timeline):
    """A (half of everything, cap 100 over both) owes 150 under T1 then 50 under T2: it pays
    100, then nothing (100 held back). Then T1 takes back 240 and T2 80 in one month (A's
    half: 120 and 40, 160 in all): A now owes 40 in all, so it has paid 60 too much and gets
    back 60, not 160, shared by the two repayments in proportion (45 and 15)."""
    m1, m2 = timeline.payment_month
    spec, flows_ = _two(timeline, {m1: 300, m2 - 1: -240}, {m1 + 1: 100, m2 - 1: -80},
                        [{"name": "A", "share": 0.5, "cap": 100}, {"name": "B", "share": 0.5}])
    t1, t2 = split_all(spec, flows_, timeline)
    (a1, b1), (a2, b2) = t1.payers, t2.payers
    assert (a1.monthly[0, m1], a2.monthly[0, m1 + 1]) == (100, 0)
    assert (a1.monthly[0, m2 - 1], a2.monthly[0, m2 - 1]) == (-45, -15)
    assert a1.paid[0] + a2.paid[0] == 40 == min(100, a1.due[0] + a2.due[0])
    assert (b1.monthly[0, m2 - 1], b2.monthly[0, m2 - 1]) == (-120, -40)


def test_a_cap_shared_by_mechanisms_that_never_reach_it_changes_nothing(timeline):
    m1, m2 = timeline.payment_month
    spec, flows_ = _two(timeline, {m1: 1_234.5}, {m2: 987.25},
                        [{"name": "A", "share": 0.4, "cap": 1e6}, {"name": "B", "share": 0.6}])
    for split, alone in zip(split_all(spec, flows_, timeline),
                            [split_payers(m, f, timeline) for m, f in zip(spec.payments, flows_)]):
        assert split.monthly.tobytes() == alone.monthly.tobytes()
        for p, q in zip(split.payers, alone.payers):
            assert p.monthly.tobytes() == q.monthly.tobytes() and not p.cap_binds.any()


def test_nys_ceo_never_pays_above_its_published_maxima():
    """The transitional jobs payments count against the payers' maxima too: in no
    simulation do New York State and the DoL pay more than USD 21,543,853 between them."""
    r = capital("nys-ceo-pfs", sims=4096, seed=11)
    s = r.result.simulations
    state, dol = s["paid_by:New York State"], s["paid_by:US Department of Labor"]
    assert (state <= 10_448_853 + 0.005).all() and (dol <= 11_095_000 + 0.005).all()
    # every payment the contract makes is one of the payers' (none is left outside them) ...
    everything = s["fee"] + s["outcome"]
    np.testing.assert_allclose(state + dol, everything, rtol=1e-12, atol=1e-6)
    # ... so all it pays stays within the published maxima (0.14.0: up to USD 23.8m), and
    # reaches them in some simulations, or the test would not test it
    assert everything.max() <= 21_543_853 + 0.01
    assert (everything >= 21_543_853 - 0.01).any()


def test_one_payer_given_two_caps_is_a_spec_error(cli, tmp_path):
    text = (ROOT / "contracts" / "nys_ceo_pfs.toml").read_text()
    first = '{ name = "New York State", share = 1.0, cap = 10_448_853 }'
    assert text.count(first) == 1
    path = tmp_path / "two_caps.toml"
    path.write_text(text.replace(first, first.replace("10_448_853", "9_000_000")))
    cli.error(cli.run("simulate", str(path)), "payments.1.payers.0.cap is 10,448,853.00",
              "payments.0.payers.0.cap is 9,000,000.00", "New York State", "same cap")


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
