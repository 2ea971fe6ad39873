"""The provider's monthly cash timeline and the figures read off it.

Sign convention (as numpy-financial): money into the provider is positive,
money out negative. ``cash_in`` and ``cash_out`` are kept as positive amounts;
``net = cash_in - cash_out``. Flows in month ``t`` are discounted by ``t``
months (month 0 undiscounted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy_financial as npf

from ..stats import row_dot
from ..spec.schema import ContractSpec, Provider
from ..timeline import Timeline


def monthly_costs(spec: ContractSpec, timeline: Timeline, entrants: np.ndarray,
                  budget_takers: np.ndarray, stop_month: np.ndarray | None = None) -> np.ndarray:
    """Provider costs as incurred, ``(n_sims, n_months)`` [currency], positive; each
    month's at its contract year's prices under ``indexation.cost_inflation``.

    Parameters
    ----------
    entrants, budget_takers : per cohort, ``(n_sims, n_cohorts)`` [people]
    stop_month : where the contract stopped early, the first month not served,
        ``(n_sims,)`` [month index]; fixed costs run only before it. None: they run for
        the contract length.
    """
    c = spec.intervention.costs
    per_cohort = c.per_participant * entrants + spec.intervention.personal_budget.amount * budget_takers
    out = timeline.spread_over_entry_months(per_cohort)
    out[:, 0] += c.setup
    if stop_month is None:
        out[:, : timeline.contract_months] += c.fixed_per_month
    else:
        served = np.arange(timeline.contract_months)[None, :] < stop_month[:, None]
        out[:, : timeline.contract_months] += np.where(served, c.fixed_per_month, 0.0)
    if spec.indexation.cost_inflation != 0:
        out *= timeline.annual_index(spec.indexation.cost_inflation)
    return out


def monthly_rate(annual: float) -> float:
    """The monthly rate equivalent to ``annual`` [fraction per month]."""
    return (1 + annual) ** (1 / 12) - 1


def monthly_discount_factors(annual_rate: float, n_months: int) -> np.ndarray:
    """Present value of 1 paid in each month, ``(n_months,)``: the NPV (numpy-financial)
    of a unit flow in month ``t`` at the monthly equivalent of ``annual_rate``."""
    return npf.npv(monthly_rate(annual_rate), np.eye(n_months))


@dataclass(frozen=True)
class CashFigures:
    """Per-simulation figures from the cash timeline, each ``(n_sims,)``.

    Attributes
    ----------
    revenue, cost, net : totals over the timeline [currency]
    npv : net present value at the provider's discount rate [currency]
    min_cash : lowest cumulative cash position [currency] (negative = funding needed)
    peak_funding : largest cumulative deficit, ``max(0, -min_cash)`` [currency]
    peak_month : month of the lowest cumulative cash [month index]; -1 if cash never dips below 0
    insolvent : cumulative cash fell below ``-(reserves + credit_limit)`` [bool]
    """

    revenue: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    npv: np.ndarray
    min_cash: np.ndarray
    peak_funding: np.ndarray
    peak_month: np.ndarray
    insolvent: np.ndarray


#: A deficit below half a penny is rounding (e.g. of pro rata draws), not a funding need.
ROUNDING = 0.005


def read_cash(cash_in: np.ndarray, cash_out: np.ndarray, discount_rate: float,
              available: float, rounding: float = 0.0) -> tuple[CashFigures, np.ndarray]:
    """The per-simulation figures of monthly flows ``(n_sims, n_months)`` for a party with
    ``available`` reserves and credit [currency], discounting at ``discount_rate`` [fraction
    per year], counting a deficit of ``rounding`` or less [currency] as none; and the
    cumulative cash ``(n_sims, n_months)`` they were read from."""
    net_flow = cash_in - cash_out
    cumulative = np.cumsum(net_flow, axis=1)
    min_cash = cumulative.min(axis=1)
    peak = np.where(-min_cash > rounding, -min_cash, 0.0)
    discount = monthly_discount_factors(discount_rate, net_flow.shape[1])
    figures = CashFigures(
        revenue=cash_in.sum(axis=1),
        cost=cash_out.sum(axis=1),
        net=net_flow.sum(axis=1),
        npv=row_dot(net_flow, discount),
        min_cash=min_cash,
        peak_funding=peak,
        peak_month=np.where(peak > 0, cumulative.argmin(axis=1), -1),
        insolvent=peak > available,
    )
    return figures, cumulative


def cash_figures(cash_in: np.ndarray, cash_out: np.ndarray, provider: Provider) -> CashFigures:
    """Read the per-simulation figures off monthly flows ``(n_sims, n_months)``."""
    return read_cash(cash_in, cash_out, provider.cost_of_capital,
                     provider.reserves + provider.credit_limit)[0]
