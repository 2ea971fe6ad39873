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

from ..measure import Evaluation
from ..timeline import Timeline


@dataclass(frozen=True)
class PaymentInputs:
    """What a mechanism may read.

    Attributes
    ----------
    timeline : the contract calendar
    entrants : entrants per cohort, ``(n_sims, n_cohorts)`` [people]
    evaluation : what the evaluator measured, per cohort and pooled
    """

    timeline: Timeline
    entrants: np.ndarray
    evaluation: Evaluation


@dataclass(frozen=True)
class PaymentFlows:
    """What one mechanism pays.

    Attributes
    ----------
    name : the mechanism's label
    kind : ``"fee"`` (paid whatever the outcome) or ``"outcome"`` (paid for results)
    monthly : payments by month, ``(n_sims, n_months)`` [currency]; negative = repaid
    by_cohort : payments attributed to each cohort, ``(n_sims, n_cohorts)`` [currency]
    parts : components of ``by_cohort`` by rate or measure, each ``(n_sims, n_cohorts)``
        [currency]; after caps they still sum to ``by_cohort``
    triggered : where a cohort met the conditions for payment, ``(n_sims, n_cohorts)``
        [bool], or None for fees
    pooled : paid on all cohorts together, in the last cohort's payment month,
        ``(n_sims,)`` [currency]; zero if the mechanism has no pooled assessment
    pooled_triggered : where the pooled assessment was met, ``(n_sims,)`` [bool], or
        None if there is none
    """

    name: str
    kind: Literal["fee", "outcome"]
    monthly: np.ndarray
    by_cohort: np.ndarray
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    triggered: np.ndarray | None = None
    pooled: np.ndarray | None = None
    pooled_triggered: np.ndarray | None = None

    @property
    def total(self) -> np.ndarray:
        """Everything this mechanism pays per simulation, ``(n_sims,)`` [currency]."""
        return self.monthly.sum(axis=1)


def unique_labels(labels: list[str]) -> list[str]:
    """Labels made unique for reports: a repeated label gets its position, 'Fee (2)'."""
    return [label if labels.count(label) == 1 else f"{label} ({i + 1})"
            for i, label in enumerate(labels)]
