"""Results keep their figures as numpy columns and build pandas tables on first use
(issue 15, start-up): the tables hold the arrays as they are, and every summary figure read
from the arrays equals the same figure read from the table, as 0.8.0 read it."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_model import load_spec, simulate
from pbr_model.analyses.simulate import COHORT_COLUMNS
from pbr_model.stats import stats


@pytest.fixture(scope="module", params=["tr-crc-example", "nyc-able-sib"])
def run(request):
    # nyc-able-sib has a [termination], so the stop month's NaNs are read too
    return simulate(load_spec(request.param), sims=1500, seed=11)


def test_the_simulations_table_is_the_columns(run):
    s = run.simulations
    assert list(s.columns) == list(run.sim_columns)
    assert s.index.name == "sim" and list(s.index) == list(range(run.sims))
    for name, values in run.sim_columns.items():
        assert s[name].dtype == values.dtype, name
        assert np.array_equal(s[name].to_numpy(), values, equal_nan=values.dtype.kind == "f"), name
    assert set(s.attrs["units"]) == set(s.columns)
    assert run.simulations is s  # built once


def test_the_cohorts_and_months_tables_are_the_columns(run):
    c, k = run.cohorts, run.timeline.n_cohorts
    assert list(c.columns) == [*COHORT_COLUMNS, "payment_month"]
    assert list(c.index.names) == ["sim", "cohort"] and len(c) == run.sims * k
    for name in COHORT_COLUMNS:
        assert np.array_equal(c[name].to_numpy().reshape(run.sims, k),
                              run.cohort_columns[name], equal_nan=True), name
    m = run.months
    assert m.index.name == "month" and list(m.columns) == list(run.month_columns)
    assert np.array_equal(m["cumulative_p50"].to_numpy(), run.month_columns["cumulative_p50"])


def _same(a: dict, b: dict) -> bool:
    return all((x == y) or (x != x and y != y) for x, y in zip(a.values(), b.values())) \
        and list(a) == list(b)


def test_the_summary_read_from_arrays_equals_the_summary_read_from_the_table(run):
    """The figures 0.8.0 computed with pandas (``Series.where``, ``Series.mean``), computed
    the same way from the table, equal the summary's, to the bit (NaN where none)."""
    s, summary = run.simulations, run.summary()
    provider, payments = summary["provider"], summary["payments"]
    assert _same(provider["peak_month"], stats(s["peak_month"].where(s["peak_month"] >= 0)))
    assert _same(provider["first_shortfall_month"], stats(
        s["first_shortfall_month"].where(s["first_shortfall_month"] >= 0)))
    assert provider["prob_loss"] == float((s["net"] < 0).mean())
    assert provider["prob_insolvent"] == float(s["insolvent"].mean())
    assert payments["prob_triggered"] == float(s["triggered"].mean())
    assert payments["prob_renegotiated"] == float(s["renegotiated"].mean())
    assert _same(payments["total"], stats(s["fee"] + s["outcome"]))
    assert _same(provider["net"], stats(s["net"]))
    if "terminated" in s:
        t = summary["termination"]
        assert t["prob_terminated"] == float(s["terminated"].mean())
        assert _same(t["month"], stats(s["termination_month"].where(s["terminated"])))
