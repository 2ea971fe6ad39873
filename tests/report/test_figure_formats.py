"""A figure is shown in its own unit on the Summary and the page: no rate, probability,
fee fraction, IRR or correlation in money format (0.9.0-era keys showed an 8% facility
rate as "$0" and a 0.8 correlation as "£1")."""

from __future__ import annotations

import pytest

from pbr_model.report.sheets import RECORD_KEYS, figure_rows, number_format_for

MONEY = "MONEY"


@pytest.mark.parametrize("args", [
    ["capital", "nyc-able-sib", "--sims", "200"],
    ["capital", "tr-crc-example", "-p", "small-charity", "-p", "national-prime",
     "--sims", "200"],
    ["capital", "working-links-like", "--sims", "100"],
], ids=lambda a: " ".join(a[:2]))
def test_no_fraction_is_shown_as_money(cli, args):
    d = cli.json(*args, "--json")
    wrong = []
    for key, value in figure_rows(d, skip=RECORD_KEYS):
        v = value.get("mean") if isinstance(value, dict) else value
        if (number_format_for(key, MONEY) == MONEY and isinstance(v, float)
                and 0 < abs(v) < 1):
            wrong.append((key, v))
    assert not wrong, wrong


def test_the_formats_of_keys_that_were_money():
    pct = number_format_for("x.share", MONEY)
    for key in ("providers[prime].facility.rate", "providers[p].facility.arrangement_fee",
                "providers[p].terms.commitment_fee", "facility.p95.investor_prob_loss",
                "facility.p95.investor_return", "investors[a].irr_given_not_total_loss"):
        assert number_format_for(key, MONEY) == pct, key
    assert number_format_for("shared.volume_correlation", MONEY) == "0.00"
    assert number_format_for("shared.effect_correlation", MONEY) == "0.00"


def test_a_change_in_points_is_in_percentage_points():
    from pbr_model.report.labels import unit
    for key in ("true_effect.binary_points", "outcomes.binary_reduction_points",
                "break_even_implied.binary_points"):
        assert unit(number_format_for(key, MONEY), 1.2, "GBP", key) == "percentage points"
    assert unit(number_format_for("x.multiple", MONEY), 1.2, "GBP", "x.multiple") == "ratio"


def test_a_listed_cohort_is_a_cohort_not_a_month():
    from pbr_model.report.labels import unit
    key = "missing_cohorts.0"
    assert number_format_for(key, MONEY) == "0"
    assert unit(number_format_for(key, MONEY), 3, "GBP", key) == "cohort"
    assert unit("0", 14, "GBP", "peak_month") == "month"


def test_a_share_a_hair_below_zero_does_not_read_as_nearly_all():
    from pbr_model.report.format import percent
    assert [percent(v) for v in (-0.00001, 0.00001, 0.99999, -0.25)] == \
        ["-<0.01%", "<0.01%", ">99.99%", "-25%"]
