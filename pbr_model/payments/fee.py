"""Fee for service: a per-participant fee and/or a fixed annual price, with the TR
straw man's fee mechanics [JC14][SM]: a learning-curve discount, a volume band reconciled
at each contract year end, and annual top-ups.

The per-participant fee is paid on the paid volume (the units that attract a fee,
``[cohorts] paid_volume_per_period``; by default the caseload) in the month after
entry; the annual price in 12 equal instalments, each paid in the month after the
service month (in arrears), for the contract length (or until the contract stops early),
whatever the volumes. A contract year is 12 months from contract start; year ``y`` covers
months ``12y .. 12y + 11`` and the last may be shorter. With a learning-curve discount
``x`` every price of year ``y`` (by entry month for the per-participant fee, by service
month for the annual price) is ``(1 - x)^y`` of the spec's. The band's reconciliation
(on the paid volume) and the top-up of a year are paid in the month after its last
service month: ``12(y + 1)``, or the stop month for a year cut short. A year's band bounds
are pro rata to its months served (of 12); its top-up to its months served of the months
it was planned to have.
"""

from __future__ import annotations

import numpy as np

from ..spec.schema import FeePayment
from ..timeline import Timeline
from .base import Fmt, Mechanism, PaymentFlows, PaymentInputs


def paid_volume(inputs: PaymentInputs) -> np.ndarray:
    """The volume the fee pays for, per cohort ``(n_sims, n_cohorts)`` [units]: the paid
    volume (:attr:`PaymentInputs.paid`; the caseload by default), the one place the fee
    reads volume."""
    return inputs.paid


def price_factor(mech: FeePayment, n_months: int) -> np.ndarray:
    """Each month's share of the spec's prices after the learning-curve discount,
    ``(n_months,)`` [fraction]: ``(1 - learning_discount)^(month // 12)``."""
    return (1.0 - mech.learning_discount) ** (np.arange(n_months) // 12)


def annual_by_month(mech: FeePayment, tl: Timeline) -> np.ndarray:
    """The annual price's instalment for each service month, ``(contract_months,)``
    [currency], before any stop."""
    return mech.annual / 12 * price_factor(mech, tl.contract_months)


def _served(tl: Timeline, stop: np.ndarray | None, n_sims: int) -> np.ndarray:
    """Where each service month was served, ``(n_sims, contract_months)`` [bool]."""
    months = np.arange(tl.contract_months)
    if stop is None:
        return np.ones((n_sims, tl.contract_months), dtype=bool)
    return months[None, :] < stop[:, None]


def _year_end(mech: FeePayment, tl: Timeline, volume: np.ndarray, stop: np.ndarray | None
              ) -> np.ndarray:
    """Band reconciliations and top-ups, ``(n_sims, n_months)`` [currency]."""
    n_sims = volume.shape[0]
    out = np.zeros((n_sims, tl.n_months))
    if mech.band is None and not mech.top_ups:
        return out
    served = _served(tl, stop, n_sims)
    rows = np.arange(n_sims)
    factor = price_factor(mech, tl.contract_months)
    for y in range(-(-tl.contract_months // 12)):   # contract years, a handful
        first, last = 12 * y, min(12 * y + 12, tl.contract_months)
        months = served[:, first:last].sum(axis=1)          # served months this year
        end = first + months                                # month after the last served
        amount = np.zeros(n_sims)
        if mech.band is not None:
            b = mech.band
            year_volume = np.where(served[:, first:last], volume[:, first:last], 0.0).sum(axis=1)
            lower, upper = b.lower * months / 12, b.upper * months / 12
            units = np.maximum(year_volume - upper, 0.0) - np.maximum(lower - year_volume, 0.0)
            amount += units * b.price * factor[first]
        if y < len(mech.top_ups):
            amount += mech.top_ups[y] * months / (last - first)
        paid = months > 0
        out[rows[paid], end[paid]] += amount[paid]
    return out


def pay(mech: FeePayment, inputs: PaymentInputs) -> PaymentFlows:
    tl, stop = inputs.timeline, inputs.stop_month
    volume = paid_volume(inputs)
    per_person = mech.per_participant * volume                            # (S, C)
    monthly = tl.in_arrears(per_person)
    n_sims = volume.shape[0]
    if mech.learning_discount:
        factor = price_factor(mech, tl.n_months)
        monthly[:, 1:] *= factor[:-1]          # paid a month after entry, at the entry year's price
        per_person = mech.per_participant * _entry_factor(tl, factor) * volume
    if stop is None:
        monthly[:, 1 : tl.contract_months + 1] += annual_by_month(mech, tl)
    else:
        monthly[:, 1 : tl.contract_months + 1] += np.where(
            _served(tl, stop, n_sims), annual_by_month(mech, tl), 0.0)
    if mech.band is not None or mech.top_ups:
        monthly += _year_end(mech, tl, tl.spread_over_entry_months(volume), stop)
    # The annual price, band and top-ups pay for years, not cohorts: only per-person fees
    # are attributed to cohorts.
    return PaymentFlows(name=mech.name, kind="fee", monthly=monthly, by_cohort=per_person,
                        parts={"per_participant": per_person})


def _entry_factor(tl: Timeline, factor: np.ndarray) -> np.ndarray:
    """Each cohort's mean price factor over its entry months, ``(n_cohorts,)``."""
    return np.mean([factor[tl.entry_month + j] for j in range(tl.cohort_months)], axis=0)


def describe(mech: FeePayment, money: Fmt, pct: Fmt) -> str:
    # The per-participant fee is paid on the paid volume, which is the caseload only by
    # default ([cohorts] paid_volume_per_period): "per paid unit" says which.
    text = f"fee {money(mech.annual)} a year + {money(mech.per_participant)} per paid unit"
    if mech.learning_discount:
        text += f", {pct(mech.learning_discount)} less each year"
    if mech.band is not None:
        b = mech.band
        text += (f", band {b.lower:,.0f}-{b.upper:,.0f} paid units a year (±{money(b.price)} "
                 "per unit outside it at year end)")
    if mech.top_ups:
        text += f", top-ups {', '.join(money(x) for x in mech.top_ups)}"
    return text


def measures(mech: FeePayment) -> list[tuple[str, str]]:
    return []


#: Fees are paid whatever the outcome: they are not prices and read no measure.
MECHANISM = Mechanism("fee", pay, describe, price_fields=(), measures=measures)
