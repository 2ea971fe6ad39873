"""The one small interface every payment mechanism implements.

A mechanism is a function ``pay(mechanism_spec, inputs) -> PaymentFlows``: it
reads the measured results and the calendar and returns the money it pays the
provider, month by month, and (for outcome mechanisms) cohort by cohort.
Money into the provider is positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..measure import Measures
from ..timeline import Timeline


@dataclass(frozen=True)
class PaymentInputs:
    """What a mechanism may read.

    Attributes
    ----------
    timeline : the contract calendar
    entrants : entrants per cohort, ``(n_sims, n_cohorts)`` [people]
    measures : the evaluator's per-cohort measures
    """

    timeline: Timeline
    entrants: np.ndarray
    measures: Measures


@dataclass(frozen=True)
class PaymentFlows:
    """What one mechanism pays.

    Attributes
    ----------
    name : the mechanism's label
    kind : ``"fee"`` (paid whatever the outcome) or ``"outcome"`` (paid for results)
    monthly : payments by month, ``(n_sims, n_months)`` [currency]
    by_cohort : payments attributed to each cohort, ``(n_sims, n_cohorts)`` [currency]
    parts : components of ``by_cohort`` by measure (e.g. binary, frequency), each
        ``(n_sims, n_cohorts)`` [currency]; after caps they still sum to ``by_cohort``
    """

    name: str
    kind: Literal["fee", "outcome"]
    monthly: np.ndarray
    by_cohort: np.ndarray
    parts: dict[str, np.ndarray] = field(default_factory=dict)
