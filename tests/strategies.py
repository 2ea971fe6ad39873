"""Hypothesis strategies shared by the property tests (as numpy-financial keeps them), and
the smallest valid spec's text.

Arrays follow the package convention: simulations first, ``(n_sims, n_cohorts)`` or
``(n_sims, n_months)``. Money is bounded to a contract's scale so float rounding stays
far below any figure a test compares.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pbr_model.measure import Measurement
from pbr_model.outcomes import Counts
from pbr_model.spec.schema import Foundation, Hurdle, OutcomePayment, Rate
from pbr_model.timeline import Timeline

#: The smallest valid spec: every optional section left to its defaults.
MINIMAL = """\
[contract]
name = "Minimal"
start_date = 2020-01-01
length_months = 12

[cohorts]
entrants_per_period = 100

[[population.bands]]
name = "all"
share = 1.0
binary_rate = 0.4
reoffences_per_reoffender = 3.0
"""

MAX_MONEY = 1e7

# no subnormals: 5e-324 a year is not money, and dividing it by 12 underflows to 0
money = st.floats(0, MAX_MONEY, allow_nan=False, allow_infinity=False, allow_subnormal=False)
optional_cap = st.none() | money
#: percentage points; None means "no threshold"
points = st.floats(0, 100, allow_nan=False)

sims_by_cohorts = st.tuples(st.integers(1, 4), st.integers(1, 8))
sims_by_months = st.tuples(st.integers(1, 4), st.integers(1, 40))


def amounts(shape=sims_by_cohorts):
    """Non-negative amounts [currency], e.g. raw outcome payments per cohort."""
    return npst.arrays(np.float64, shape, elements=money)


def nan_or(elements):
    """``elements`` with NaN mixed in (unmeasurable cohorts)."""
    return st.one_of(elements, st.just(float("nan")))


def counts(n, reoffenders=None, reoffences=None, events=None, bed_days=None,
           **other) -> Counts:
    """One group's :class:`Counts` from ``(n_sims, n_cohorts)`` arrays; counts not given
    are NaN (so a measure reading one shows it), and ``other`` outcomes are by name."""
    arr = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    n = arr(n)
    given = lambda a: np.full(n.shape, np.nan) if a is None else arr(a)  # noqa: E731
    return Counts(n, given(reoffenders), given(reoffences), given(events), given(bed_days),
                  {name: arr(a) for name, a in other.items()})


def make_evaluation(n, reoffenders, reoffences=None, comparison_reoffenders=None,
                    comparison_reoffences=None, comparison_n=None, **kw) -> Measurement:
    """An :class:`Measurement` from treated and comparison counts ``(n_sims, n_cohorts)``.
    Without ``comparison_n`` the comparison is a fixed baseline of the same size; counts a
    test does not give are NaN (so measures that read them are NaN)."""
    arr = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    n = arr(n)
    nan = np.full(n.shape, np.nan)
    treated = Counts(n, arr(reoffenders), nan if reoffences is None else arr(reoffences))
    comparison = Counts(
        n if comparison_n is None else arr(comparison_n),
        nan if comparison_reoffenders is None else arr(comparison_reoffenders),
        nan if comparison_reoffences is None else arr(comparison_reoffences))
    return Measurement(treated, comparison, comparison_known=comparison_n is None, **kw)


@st.composite
def evaluations(draw, shape=sims_by_cohorts) -> Measurement:
    """What an evaluator could report against a fixed baseline: any sizes, results
    better or worse than the baseline, empty cohorts (NaN measures)."""
    shape = draw(shape)
    ints = lambda hi: npst.arrays(np.float64, shape, elements=st.integers(0, hi))  # noqa: E731
    fraction = lambda: npst.arrays(np.float64, shape, elements=st.floats(0, 1))  # noqa: E731
    n = draw(ints(10_000))
    per_reoffender = lambda: npst.arrays(np.float64, shape, elements=st.floats(1, 10))  # noqa: E731
    k = np.floor(n * draw(fraction()))
    base_k = n * draw(fraction())
    return make_evaluation(n, k, k * draw(per_reoffender()),
                           base_k, base_k * draw(per_reoffender()))


changes = st.sampled_from(["points", "percent", "absolute"])
hurdles = st.none() | st.builds(Hurdle, measure=st.just("binary"), change=st.just("points"),
                                min=st.floats(-10, 10))


def _rates(measure: str, change, max_price: float):
    return st.builds(Rate, measure=st.just(measure), change=change,
                     per=st.sampled_from(["unit", "change", "cohort"]),
                     price=st.floats(0, max_price), threshold=points,
                     pooled_threshold=st.none() | points, hurdle=hurdles)


rates = _rates("binary", changes, 1e5) | _rates(
    "frequency_per_reoffender", st.sampled_from(["percent", "absolute"]), 1e4)

outcome_mechanisms = st.builds(
    OutcomePayment,
    type=st.just("outcome"),
    rates=st.lists(rates, min_size=1, max_size=3),
    cap_per_cohort=optional_cap,
    cap_total=optional_cap,
)
#: advances per entrant [currency per person], with or without clawback
foundations = st.builds(Foundation, per_participant=st.floats(0, 1e4), clawback=st.booleans())


def simple_timeline(n_cohorts: int, cohort_months: int = 3, lag: int = 21) -> Timeline:
    """Cohorts every ``cohort_months``, each paid ``cohort_months + lag`` months after entry."""
    entry = np.arange(n_cohorts) * cohort_months
    payment = entry + cohort_months + lag
    n_months = int(max(n_cohorts * cohort_months + 1, payment.max() + 1))
    return Timeline(n_months, n_cohorts * cohort_months, cohort_months, entry, payment,
                    dt.date(2020, 1, 1))


@st.composite
def cash_flows(draw, shape=sims_by_months) -> tuple[np.ndarray, np.ndarray]:
    """Monthly ``(cash_in, cash_out)``, both non-negative [currency]."""
    shape = draw(shape)
    return draw(amounts(st.just(shape))), draw(amounts(st.just(shape)))
