"""A party's funding need, its chance of running out of cash, the capital that
would keep that chance low, and what financing costs.

The party's cash position is the cumulative sum of income less costs from month
0. A negative position is funded, cheapest source first, from reserves (at the
cost of capital: the return they forgo) and the credit line (at its rate); any
need beyond both is new capital at the cost of capital. Financing is charged
monthly on the position at the end of each month, as simple interest: interest
is not itself financed (at 8% a year for two years that understates the cost by
about 8%; see docs/finance.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stats import PERCENTILES, stats
from ..spec.parties import ProviderProfile
from .cash import ROUNDING, monthly_rate, read_cash

#: Probability levels for the capital required: P(need > capital) at most 5% and 1%.
CAPITAL_LEVELS = {"p95": 0.95, "p99": 0.99}


def financing_cost(cumulative: np.ndarray, profile: ProviderProfile) -> dict[str, np.ndarray]:
    """Cost of funding a cash position, by source, each ``(n_sims,)`` [currency].

    Parameters
    ----------
    cumulative : cumulative cash ``(n_sims, n_months)`` [currency] (negative = funded)

    Returns
    -------
    dict with ``reserves``, ``credit`` and ``new_capital``
    """
    deficit = np.maximum(-cumulative, 0.0)
    sources = sorted([("reserves", profile.reserves, profile.cost_of_capital),
                      ("credit", profile.credit_limit, profile.credit_cost)],
                     key=lambda s: s[2])
    out, below = {}, 0.0
    for name, size, rate in sources:
        used = np.clip(deficit - below, 0.0, size)
        out[name] = used.sum(axis=1) * monthly_rate(rate)
        below += size
    out["new_capital"] = np.maximum(deficit - below, 0.0).sum(axis=1) \
        * monthly_rate(profile.cost_of_capital)
    return out


@dataclass(frozen=True)
class CapitalFigures:
    """Per-simulation figures for one party, each ``(n_sims,)``.

    Attributes
    ----------
    revenue, cost, net : totals over the timeline [currency]
    npv : net present value at the cost of capital, before financing [currency]
    peak_funding : largest cash deficit, ``max(0, -min cumulative cash)`` [currency]
    peak_month : month of that deficit [month index]; -1 if cash never goes below 0
        (by more than :data:`~pbr_model.finance.cash.ROUNDING`)
    insolvent : the deficit exceeded reserves plus the credit limit [bool]
    financing : financing cost by source (``reserves``, ``credit``, ``new_capital``) [currency]
    financing_cost : their sum [currency]
    net_after_financing : ``net - financing_cost`` [currency]
    """

    revenue: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    npv: np.ndarray
    peak_funding: np.ndarray
    peak_month: np.ndarray
    insolvent: np.ndarray
    financing: dict[str, np.ndarray]
    financing_cost: np.ndarray
    net_after_financing: np.ndarray


def capital_figures(income: np.ndarray, cash_out: np.ndarray,
                    profile: ProviderProfile) -> CapitalFigures:
    """Read a party's figures off its monthly income and costs ``(n_sims, n_months)``."""
    cash, cumulative = read_cash(income, cash_out, profile.cost_of_capital,
                                 profile.reserves + profile.credit_limit, ROUNDING)
    financing = financing_cost(cumulative, profile)
    total = sum(financing.values())
    return CapitalFigures(
        revenue=cash.revenue, cost=cash.cost, net=cash.net, npv=cash.npv,
        peak_funding=cash.peak_funding, peak_month=cash.peak_month, insolvent=cash.insolvent,
        financing=financing, financing_cost=total, net_after_financing=cash.net - total)


def capital_required(peak_funding: np.ndarray) -> dict[str, float]:
    """Funding that must be available (reserves, credit and new capital together) so
    that the need exceeds it with probability at most 5% (``p95``) and 1% (``p99``):
    the empirical quantile that is an observed value (``inverted_cdf``) [currency]."""
    return {k: float(np.quantile(peak_funding, q, method="inverted_cdf"))
            for k, q in CAPITAL_LEVELS.items()}


def capital_summary(figures: CapitalFigures, profile: ProviderProfile) -> dict:
    """The headline capital figures for one party (the ``providers`` entries of
    ``pbr capital --json``). Money in the contract currency; probabilities as fractions."""
    f = figures
    available = profile.reserves + profile.credit_limit
    required = capital_required(f.peak_funding)
    # the same quantiles as the capital required, so the two rows agree
    peak_stats = {**stats(f.peak_funding), "p95": required["p95"], "p99": required["p99"]}
    month = f.peak_month[f.peak_month >= 0]
    return {
        "peak_funding": peak_stats,
        "peak_month": stats(month.astype(float)) if month.size else
        {"mean": float("nan"), **{k: float("nan") for k in PERCENTILES}},
        "available": available,
        "prob_insolvent": float(f.insolvent.mean()),
        "capital_required": required,
        "additional_capital": {k: max(0.0, v - available) for k, v in required.items()},
        "revenue": stats(f.revenue),
        "cost": stats(f.cost),
        "net": stats(f.net),
        "npv": stats(f.npv),
        "prob_loss": float((f.net < 0).mean()),
        "financing_cost": float(f.financing_cost.mean()),
        "financing_by_source": {k: float(v.mean()) for k, v in f.financing.items()},
        "net_after_financing": float(f.net_after_financing.mean()),
        "net_after_financing_stats": stats(f.net_after_financing),
        "prob_loss_after_financing": float((f.net_after_financing < 0).mean()),
    }
