"""pbr show: the contract's terms and its figures at the expected effect, before any Monte
Carlo; the figures are the engine's noise-free run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import numpy as np
import pytest
from rich.console import Console

from pbr_model.analyses.show import derived_figures, show
from pbr_model.analyses.simulate import simulate
from pbr_model.payments import first_result_month
from pbr_model.report.show import contract_overview
from pbr_model.spec import bundled_contracts, load_spec
from pbr_model.timeline import Timeline


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_figures_are_the_noise_free_run(name):
    loaded = load_spec(name)
    d = derived_figures(loaded)
    run = simulate(loaded, sims=1, sampling="expected")
    s = run.simulations.iloc[0]
    assert d["cohorts"] == run.timeline.n_cohorts
    assert d["timeline_months"] == run.timeline.n_months
    for key, column in (("fee_revenue", "fee"), ("outcome_revenue", "outcome"),
                        ("cost", "cost"), ("net", "net"), ("npv", "npv")):
        assert d[key] == float(s[column]), key
    assert d["net"] == pytest.approx(d["fee_revenue"] + d["outcome_revenue"] - d["cost"])
    assert 0 <= d["revenue_at_risk_share"] <= 1
    first = dt.date.fromisoformat(d["first_outcome_payment"])
    assert loaded.spec.contract.start_date < first <= dt.date.fromisoformat(d["last_cash_flow"])


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_the_first_outcome_payment_is_when_the_rules_can_first_pay(name):
    """No result money comes before it in the noise-free run, and a contract paid once on
    its pooled result (ABLE, Roca) is first paid in the last cohort's payment month, where
    that run pays it (0.13.0 gave cohort 1's month, three years early for Roca)."""
    loaded = load_spec(name)
    d = derived_figures(loaded)
    run = simulate(loaded, sims=1, sampling="expected")
    month, tl = d["first_outcome_payment_month"], run.timeline
    assert d["first_outcome_payment"] == tl.dates()[month].isoformat()
    paid = np.flatnonzero(np.asarray(run.outcome_in)[0])
    assert paid.size == 0 or paid[0] >= month
    pooled_only = all(m.type == "tiered" and m.basis == "pooled"
                      for m in loaded.spec.payments if m.type != "fee")
    assert month == tl.payment_month[-1 if pooled_only else 0]
    if name in ("nyc-able-sib", "ma-roca-pfs"):
        assert pooled_only and list(paid) == [month]


def test_a_contract_of_fees_alone_has_no_first_outcome_payment():
    """A spec that pays only fees: no month, and the view says nothing is paid for results."""
    spec = load_spec("tr-crc-example").spec
    fees = [m for m in spec.payments if m.type == "fee"]
    assert fees and len(fees) < len(spec.payments)
    alone = spec.model_copy(update={"payments": fees})
    assert first_result_month(alone, Timeline.from_spec(alone)) is None
    assert first_result_month(spec, Timeline.from_spec(spec)) == 33
    result = show("tr-crc-example")
    result = dataclasses.replace(result, figures={**result.figures, "first_outcome_payment": None,
                                                  "first_outcome_payment_month": None})
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(contract_overview(result))
    row = [line for line in console.export_text().splitlines() if "First outcome payment" in line]
    assert len(row) == 1 and "none: nothing is paid for results" in row[0]


def test_the_result_carries_provenance_and_the_validated_spec():
    r = show("peterborough-sib")
    d = r.to_dict()
    assert d["spec_sha256"] == load_spec("peterborough-sib").sha256
    assert d["seed"] is None and d["sims"] is None
    assert d["spec"]["evaluation"]["design"] == "matched_comparison"
    table = r.tables()["figures"]
    assert list(table["figure"]) == list(r.figures)


def test_the_view_describes_every_payment(cli):
    result = cli.run("show", "peterborough-sib")
    cli.ok(result)
    for mech in load_spec("peterborough-sib").spec.payments:
        assert f"Payment: {mech.name}" in result.stdout
    assert "matched comparison group" in result.stdout


def test_the_view_shows_indexation_and_renegotiation(cli, tmp_path):
    from pbr_model.spec.load import resolve

    path = tmp_path / "tr.toml"
    path.write_text(resolve("tr-crc-example").read_text().replace(
        "cost_inflation = 0.0", "cost_inflation = 0.025\n\n[[indexation.prices]]\n"
        "payment = \"Fee for service\"\ncap = 0.02")
        + "\n[[renegotiation]]\nname = \"2017\"\nmonth = 34\npaid_volume_below = 0.84\n"
        "lump_sum = 16_300_000\n")
    import io

    from rich.console import Console

    from pbr_model.report.show import contract_overview

    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(contract_overview(show(load_spec(str(path)))))
    text = console.file.getvalue()
    assert "costs 2.5% a year; Fee for service 2.0% a year" in text
    assert "month 34: £16.30m lump sum if paid volume so far below 84.0% of plan" in text
    cli.ok(cli.run("show", str(path)))


def test_the_view_shows_termination(cli):
    import io

    from rich.console import Console

    from pbr_model.report.show import contract_overview

    loaded = load_spec("nyc-able-sib", ["termination.compensation=100000"])
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(contract_overview(show(loaded)))
    text = console.file.getvalue()
    assert ("stop at month 36 if Bed days per offender improved less than 10% so far; cohorts "
            "in flight not paid; compensation $0.10m + 0.0% of the annual fee left") in text
    cli.ok(cli.run("show", "nyc-able-sib"))


def test_the_view_shows_the_trend_before_the_first_cohort(cli):
    import io

    import numpy as np
    from rich.console import Console

    from pbr_model.report.show import contract_overview

    sets = ["trend.binary_logit_drift=0", "trend.frequency_log_drift=0",
            "trend.before=[{periods=16, binary_logit_drift=-0.005, frequency_log_drift=0.007}]",
            "trend.correlation=-0.5"]
    loaded = load_spec("peterborough-sib", sets)
    d = derived_figures(loaded)
    # the expected walk at cohort 1 is the pre-contract drift (16 periods), applied to every
    # band's log odds and log reoffences per reoffender
    bands = loaded.spec.population.bands
    share = np.array([b.share for b in bands])
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    p1 = 1 / (1 + np.exp(-(np.log(p0 / (1 - p0)) - 0.08)))
    m1 = m0 * np.exp(0.112)
    assert d["trend_binary_points_cohort_1"] == pytest.approx(
        100 * np.sum(share * (p1 - p0)) / share.sum(), abs=1e-9)
    freq = [np.sum(share * p * m) / np.sum(share * p) for p, m in ((p1, m1), (p0, m0))]
    assert d["trend_frequency_change_cohort_1"] == pytest.approx(freq[0] / freq[1] - 1,
                                                                 abs=1e-12)
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(contract_overview(show(loaded)))
    text = console.file.getvalue()
    assert "National trend" in text
    assert (f"expected by cohort 1: {d['trend_binary_points_cohort_1']:+.1f} points binary, "
            f"{100 * d['trend_frequency_change_cohort_1']:+.1f}% reoffences per reoffender") in text
    assert ("after 16 periods of 24 months between the baseline and the first cohort; the "
            "concurrent comparison shares it; binary-frequency step correlation -0.5") in text
    # a historical baseline carries the drift into the measured change
    tr = load_spec("tr-crc-example", sets)
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(contract_overview(show(tr)))
    assert "included in the measured change" in console.file.getvalue()
    # without pre-contract periods or correlation the view is as it was
    plain = cli.run("show", "peterborough-sib")
    cli.ok(plain)
    assert "National trend" not in plain.stdout


ZERO_EFFECT = ("intervention.effect.binary.mean=0", "intervention.effect.binary.sd=0",
               "intervention.effect.frequency.mean=0", "intervention.effect.frequency.sd=0")


def test_outcome_payments_at_zero_effect_show_what_the_trend_pays(cli):
    # against TR's 2011 baseline the national trend alone earns most of the expected outcome
    # payments (noise-free); an RCT's control group lives through the same trend, so
    # Roca's service earns nothing without an effect
    tr = derived_figures(load_spec("tr-crc-example"))
    alone = derived_figures(load_spec("tr-crc-example", ZERO_EFFECT))
    assert tr["outcome_revenue_zero_effect"] == alone["outcome_revenue"]
    assert 0.5 * tr["outcome_revenue"] < tr["outcome_revenue_zero_effect"] < tr["outcome_revenue"]
    roca = derived_figures(load_spec("ma-roca-pfs"))
    assert roca["outcome_revenue_zero_effect"] == 0 < roca["outcome_revenue"]
    result = cli.run("show", "tr-crc-example")
    cli.ok(result)
    from pbr_model.report.format import money, pct

    share = tr["outcome_revenue_zero_effect"] / tr["outcome_revenue"]
    assert "Outcome payments, true effect 0" in result.stdout
    assert (f"{money(tr['outcome_revenue_zero_effect'], 'GBP')} ({pct(share)} of the above)"
            in result.stdout)


def test_the_trend_row_says_when_the_trend_was_calibrated():
    # TR's drifts were fitted to the published record ([[contract.calibrated]]): the
    # "National trend" row says reproducing it is a check of arithmetic; without the list
    # it does not
    import io

    from rich.console import Console

    from pbr_model.report.show import contract_overview

    def text(sets=()):
        console = Console(file=io.StringIO(), width=400, color_system=None)
        console.print(contract_overview(show(load_spec("tr-crc-example", sets))))
        return next(line for line in console.file.getvalue().splitlines()
                    if "National trend" in line)

    assert "calibrated to the published record" in text()
    assert "calibrated" not in text(["contract.calibrated=[]"])


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_a_volume_of_zero_shows_undefined_rates_as_dashes_without_warnings(cli, name):
    """0 entrants is allowed: the rates of an empty cohort are undefined (NaN, JSON null,
    "-" in the view), with no numpy warning on the way (0.13.0 printed two)."""
    import warnings

    from pbr_model.spec import load_spec as load
    loaded = load(name, ["cohorts.entrants_per_period=0"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = derived_figures(loaded)
    assert np.isnan(figures["trend_binary_points_cohort_1"])
    out = cli.run("show", name, "--set", "cohorts.entrants_per_period=0")
    cli.ok(out)
    assert "nan" not in out.output.lower().replace("financ", "")
    row = [line for line in out.output.splitlines() if "Comparison" in line]
    assert len(row) == 1 and "- binary, - reoffences" in row[0]


@pytest.mark.parametrize("name", sorted(bundled_contracts()))
def test_the_need_is_shown_before_and_after_financing(cli, name):
    """Both needs of the noise-free run; with a [sib] the second is after the bond (a bond's
    vehicle, funded by its investors, may need nothing: 0.14.0's first cut showed only
    that, so a bond looked as if it needed no money)."""
    loaded = load_spec(name)
    d = derived_figures(loaded)
    s = simulate(loaded, sims=1, sampling="expected").simulations.iloc[0]
    assert d["peak_funding_before_financing"] == float(s["peak_funding_before_financing"])
    text = " ".join(cli.run("show", name).output.replace("│", " ").split())  # cells unwrapped
    assert "Peak funding need, before financing" in text
    bond = loaded.spec.sib is not None
    assert ("after the bond and financing" in text) is bond
    assert ("beyond the bond's" in text) is bond
    if bond:
        assert d["peak_funding_before_financing"] > 0


def test_a_contract_that_only_takes_money_back_says_so():
    """Doncaster: revenue at risk repaid on a missed target, so no payment for results."""
    result = show("doncaster-pbr")
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(contract_overview(result))
    row = [line for line in console.export_text().splitlines() if "First outcome payment" in line]
    assert len(row) == 1 and "none: results can only take money back, first due" in row[0]
