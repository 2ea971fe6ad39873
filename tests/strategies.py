"""Hypothesis strategies shared by the property tests (as numpy-financial keeps them).

Arrays follow the package convention: simulations first, ``(n_sims, n_cohorts)`` or
``(n_sims, n_months)``. Money is bounded to a contract's scale so float rounding stays
far below any figure a test compares.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

from pbr_model.measure import Measures
from pbr_model.spec.schema import BaselineOutcomePayment
from pbr_model.timeline import Timeline

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


def make_measures(**arrays) -> Measures:
    """A :class:`Measures` with the given fields; fields a test does not give are NaN."""
    shape = np.shape(next(iter(arrays.values())))
    fields = {f: np.full(shape, np.nan) for f in Measures.__dataclass_fields__}
    fields.update({k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
    return Measures(**fields)


@st.composite
def measures(draw, shape=sims_by_cohorts) -> Measures:
    """What an evaluator could report: any sizes, reductions of either sign, NaNs."""
    shape = draw(shape)
    n = draw(npst.arrays(np.float64, shape, elements=st.integers(0, 10_000)))
    share = draw(npst.arrays(np.float64, shape, elements=st.floats(0, 1)))
    return make_measures(
        n=n,
        reoffenders=np.floor(n * share),
        binary_reduction_points=draw(npst.arrays(
            np.float64, shape, elements=nan_or(st.floats(-100, 100)))),
        frequency_reduction=draw(npst.arrays(
            np.float64, shape, elements=nan_or(st.floats(-20, 20)))),
    )


outcome_mechanisms = st.builds(
    BaselineOutcomePayment,
    type=st.just("baseline_outcome"),
    binary_price=st.floats(0, 1e5),
    binary_unit=st.sampled_from(["person", "point"]),
    binary_threshold_points=points,
    frequency_price=st.floats(0, 1e4),
    frequency_hurdle_points=st.none() | points,
    cap_per_cohort=optional_cap,
    cap_total=optional_cap,
)


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
