"""The one small interface every payment mechanism implements.

A mechanism type (``type = "..."`` in a spec's ``[[payments]]``) declares four facets
in one :class:`Mechanism`, in its own module:

``pay(mechanism_spec, inputs) -> PaymentFlows``
    reads the measured results and the calendar and returns the money it pays the
    provider, month by month, and (for outcome mechanisms) cohort by cohort.
    Money into the provider is positive.
``describe(mechanism_spec, money, pct) -> str``
    its terms in one line of plain text (``pbr show``), with money and fractions
    formatted by the functions it is given.
``price_fields``
    the fields ``pbr breakeven --solve price`` multiplies by its factor, as paths
    in the mechanism (see :mod:`pbr_model.payments.prices`).
``measures(mechanism_spec) -> [(measure, change), ...]``
    the measured changes it reads, in the order its rules name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from ..measure import Measurement
from ..timeline import Timeline


@dataclass(frozen=True)
class PaymentInputs:
    """What a mechanism may read.

    Attributes
    ----------
    timeline : the contract calendar
    entrants : entrants per cohort: the caseload, who are measured and who cost money,
        ``(n_sims, n_cohorts)`` [people]
    evaluation : what the evaluator measured, per cohort and pooled
    paid_volume : the paid volume per cohort, the units that attract a per-participant fee
        (``[cohorts] paid_volume_per_period``), ``(n_sims, n_cohorts)`` [units]; None: the
        entrants (read it through :attr:`paid`)
    stop_month : where the contract stopped early (``[termination]``), the first month
        not served, ``(n_sims,)`` [month index], ``contract_months`` where it ran its
        length; None without a ``[termination]``. Annual fees stop with it.
    """

    timeline: Timeline
    entrants: np.ndarray
    evaluation: Measurement
    paid_volume: np.ndarray | None = None
    stop_month: np.ndarray | None = None

    @property
    def paid(self) -> np.ndarray:
        """Paid volume per cohort, ``(n_sims, n_cohorts)`` [units]: what a fee is paid on."""
        return self.entrants if self.paid_volume is None else self.paid_volume


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
    payers : with several outcome payers (the mechanism's ``payers``), what each paid
        (see :mod:`pbr_model.payments.payers`); empty otherwise
    """

    name: str
    kind: Literal["fee", "outcome"]
    monthly: np.ndarray
    by_cohort: np.ndarray
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    triggered: np.ndarray | None = None
    pooled: np.ndarray | None = None
    pooled_triggered: np.ndarray | None = None
    payers: tuple = ()

    @property
    def total(self) -> np.ndarray:
        """Everything this mechanism pays per simulation, ``(n_sims,)`` [currency]."""
        return self.monthly.sum(axis=1)


def unique_labels(labels: list[str]) -> list[str]:
    """Labels made unique for reports: a repeated label gets its position, 'Fee (2)'."""
    return [label if labels.count(label) == 1 else f"{label} ({i + 1})"
            for i, label in enumerate(labels)]


#: Formats one figure for the screen: money [currency] or a fraction as a percentage.
Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Mechanism:
    """A payment mechanism type and its four facets (see the module docstring).

    Calling it pays: ``mechanism(mechanism_spec, inputs)`` is ``pay(mechanism_spec, inputs)``.
    """

    type: str
    pay: Callable[[Any, PaymentInputs], PaymentFlows]
    describe: Callable[[Any, Fmt, Fmt], str]
    price_fields: tuple[str, ...]
    measures: Callable[[Any], list[tuple[str, str]]]

    def __call__(self, mech: Any, inputs: PaymentInputs) -> PaymentFlows:
        return self.pay(mech, inputs)


def change_text(change: str, value: float) -> str:
    """An improvement in its ``change`` units, as text: '5 points', '10%', '0.3'."""
    return {"points": f"{value:g} points", "percent": f"{value:g}%"}.get(change, f"{value:g}")
