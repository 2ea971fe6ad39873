"""A party's funding need, its chance of running out of cash, the capital that
would keep that chance low, what financing costs, and a social investment facility
sized to keep the chance at 5% or 1%.

Financing is carried in the party's cash balance month by month
(:func:`~pbr_model.finance.cash.financed_balance`): a deficit is drawn from
reserves (costing the return they forgo at the cost of capital, an economic cost
reported but not in the cash balance, which carries only their forgone deposit interest
``reserves_rate``), then the credit line (at
its rate, with any commitment fee on what is undrawn), then new capital at the cost
of capital; interest compounds monthly and is itself financed. Peak need, P(runs out)
and the capital quantiles are read from that balance; the peak of the flows alone
(before financing) is kept beside it. See docs/finance.md sections 3-5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..stats import PERCENTILES, stats
from ..spec.parties import ProviderProfile
from .cash import ROUNDING, CashFigures, Source, financed_balance, financing_of, read_cash

#: One NaN object for "did not happen", so two summaries of the same run compare equal.
NAN = float("nan")

#: Probability levels for the capital required: P(need > capital) at most 5% and 1%.
CAPITAL_LEVELS = {"p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class CapitalFigures(CashFigures):
    """Per-simulation figures for one party, each ``(n_sims,)``: those of
    :class:`~pbr_model.finance.cash.CashFigures` (peaks, P(runs out) and net after
    financing read from the balance with financing carried in it), and

    Attributes
    ----------
    financing : financing cost by source (``reserves``: the return forgone at the cost of
        capital, an economic cost not in the balance; ``credit``, ``new_capital``;
        commitment fees with the credit they are paid on) [currency]
    """

    financing: dict[str, np.ndarray] = None


def capital_figures(income: np.ndarray, cash_out: np.ndarray,
                    profile: ProviderProfile) -> CapitalFigures:
    """Read a party's figures off its monthly income and costs ``(n_sims, n_months)``."""
    return capital_read(income, cash_out, profile)[0]


def capital_read(income: np.ndarray, cash_out: np.ndarray, profile: ProviderProfile):
    """:func:`capital_figures` and the financed balance ``(n_sims, n_months)`` they were
    read from [currency]."""
    cash, financed = read_cash(income, cash_out, profile.cost_of_capital,
                               financing_of(profile), ROUNDING)
    fields = {k: getattr(cash, k) for k in cash.__dataclass_fields__}
    return CapitalFigures(**fields, financing=financed.costs), financed.balance


def capital_required(peak_funding: np.ndarray) -> dict[str, float]:
    """Funding that must be available (reserves, credit and new capital together) so
    that the need exceeds it with probability at most 5% (``p95``) and 1% (``p99``):
    the empirical quantile that is an observed value (``inverted_cdf``) [currency]."""
    return {k: float(np.quantile(peak_funding, q, method="inverted_cdf"))
            for k, q in CAPITAL_LEVELS.items()}


def _facility(profile: ProviderProfile, size: float) -> Source:
    return Source("facility", float(size), profile.facility_rate,
                  profile.facility_commitment_fee, profile.facility_arrangement_fee)


def runs_out(net_flow: np.ndarray, profile: ProviderProfile, size: float) -> np.ndarray:
    """Whether each simulation's balance falls below reserves, credit and a facility of
    ``size`` [currency] on the profile's terms (its fees included), ``(n_sims,)`` [bool]."""
    financing = financing_of(profile, (_facility(profile, size),))
    low = financed_balance(net_flow, financing).balance.min(axis=1)
    return -low > financing.available + ROUNDING


def runs_out_count(net_flow: np.ndarray, profile: ProviderProfile, size: float) -> int:
    """In how many simulations the balance falls below reserves, credit and a facility
    of ``size`` [currency] on the profile's terms (its fees included)."""
    return int(np.count_nonzero(runs_out(net_flow, profile, size)))


def facility_size(net_flow: np.ndarray, profile: ProviderProfile, level: float) -> int | None:
    """The smallest facility, in whole currency units, with which the party runs out of
    cash in at most ``1 - level`` of the simulations (0 if it needs none); None if no
    size does (its fees, compounding at its rate over a long contract, outgrow it: none
    up to a million times the need without it, and at least 10^15, does).

    The facility is drawn after reserves and credit, at ``profile.facility_rate``, with
    its arrangement fee in month 0 and its commitment fee on what is undrawn. Found by
    bisection on whole units: with the answer ``F`` the party runs out in at most
    ``1 - level`` of the simulations, with ``F - 1`` in more.

    A larger facility adds less in fees than it adds in room (fees are a small fraction of
    the facility), so a simulation that does not run out with a facility does not with a
    larger one. The search uses that: it starts from the need beyond reserves and credit
    with no facility, and each trial recomputes only the simulations whose answer is not
    yet settled by the bracket (those running out at its low end but not at its high end).

    Parameters
    ----------
    net_flow : ``(n_sims, n_months)`` [currency], money into the party positive
    level : 0.95 or 0.99, say
    """
    allowed = math.floor((1 - level) * net_flow.shape[0] + 1e-9)
    lo_out = runs_out(net_flow, profile, 0)
    if np.count_nonzero(lo_out) <= allowed:
        return 0
    financing = financing_of(profile, (_facility(profile, 0),))
    beyond = -financed_balance(net_flow, financing).balance.min(axis=1) - financing.available
    guess = max(1, math.ceil(float(np.quantile(beyond, level, method="inverted_cdf"))))

    def out_at(size: int, rows: np.ndarray) -> np.ndarray:
        """Runs out at ``size``: computed for ``rows``, False elsewhere."""
        out = np.zeros(net_flow.shape[0], dtype=bool)
        out[rows] = runs_out(net_flow[rows], profile, size)
        return out

    lo, hi = 0, guess
    hi_out = out_at(hi, lo_out)
    while np.count_nonzero(hi_out) > allowed:
        lo, lo_out = hi, hi_out
        hi = hi * 2
        if hi > max(1e15, guess * 2**20):  # fees above the facility itself: no size will do
            return None
        hi_out = out_at(hi, lo_out)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        undecided = lo_out & ~hi_out
        mid_out = hi_out | out_at(mid, undecided)
        if np.count_nonzero(mid_out) <= allowed:
            hi, hi_out = mid, mid_out
        else:
            lo, lo_out = mid, mid_out
    return hi


#: The figures of a facility sized at one level (see :func:`facility_summary`).
FACILITY_KEYS = ("size", "prob_runs_out", "prob_drawn", "cost", "net_after_financing",
                 "investor_loss", "investor_prob_loss", "investor_return")


def facility_summary(net_flow: np.ndarray, profile: ProviderProfile) -> dict:
    """A social investment facility sized for the party at 5% (``p95``) and 1% (``p99``)
    risk of running out: its size, what it costs the party (interest and fees, mean),
    the party's expected net after financing with it, and the investor's side (it
    receives that cost; what is still drawn after the last month is written off as its
    loss) with its expected return a year on the commitment: ``(E[interest and fees] -
    E[loss]) / (size * years open)``, open for the whole timeline. Money in the contract
    currency; rates as fractions a year. Where no facility will do (see
    :func:`facility_size`), every figure at that level is NaN (null in JSON)."""
    out = {"rate": profile.facility_rate,
           "arrangement_fee": profile.facility_arrangement_fee,
           "commitment_fee": profile.facility_commitment_fee}
    for key, level in CAPITAL_LEVELS.items():
        size = facility_size(net_flow, profile, level)
        if size is None:  # no facility will do: its figures are undefined (null in JSON)
            out[key] = dict.fromkeys(FACILITY_KEYS, NAN)
            continue
        financing = financing_of(profile, (_facility(profile, size),))
        f = financed_balance(net_flow, financing, track="facility")
        low = f.balance.min(axis=1)
        years = net_flow.shape[1] / 12
        income, lost = f.costs["facility"].mean(), f.outstanding.mean()
        out[key] = {
            "size": float(size),
            "prob_runs_out": float((-low > financing.available + ROUNDING).mean()),
            "prob_drawn": float((f.lender < 0).any(axis=1).mean()),
            "cost": float(income),
            "net_after_financing": float((net_flow.sum(axis=1) - f.total_cost).mean()),
            "investor_loss": float(lost),
            "investor_prob_loss": float((f.outstanding > ROUNDING).mean()),
            # what the investor expects to earn a year on the money it commits
            "investor_return": float((income - lost) / (size * years)) if size else NAN,
        }
    return out


def capital_summary(figures: CapitalFigures, profile: ProviderProfile) -> dict:
    """The headline capital figures for one party (the ``providers`` entries of
    ``pbr capital --json``). Money in the contract currency; probabilities as fractions.
    ``peak_funding``, ``peak_month``, ``prob_insolvent``, ``first_shortfall_month`` and
    ``capital_required`` are read from the cash balance after financing (cash only: interest,
    fees, new capital's cost and reserves' forgone deposit interest at ``reserves_rate``);
    ``financing_cost``, ``financing_by_source`` and ``net_after_financing`` also count the
    return reserves forgo at the cost of capital (``financing_by_source["reserves"]``), an
    economic cost that is not in the balance; the ``..._before_financing`` figures are of
    the flows alone; ``npv`` is before financing."""
    f = figures
    available = profile.reserves + profile.credit_limit
    required = capital_required(f.peak_funding)
    # the same quantiles as the capital required, so the two rows agree
    peak_stats = {**stats(f.peak_funding), "p95": required["p95"], "p99": required["p99"]}
    before = capital_required(f.peak_funding_before_financing)
    shortfall = f.first_shortfall_month[f.first_shortfall_month >= 0]
    return {
        "peak_funding": peak_stats,
        "peak_month": _months(f.peak_month),
        "peak_funding_before_financing": {**stats(f.peak_funding_before_financing), **before},
        "peak_month_before_financing": _months(f.peak_month_before_financing),
        "available": available,
        "prob_insolvent": float(f.insolvent.mean()),
        "first_shortfall_month": _months(shortfall),
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


def _months(month: np.ndarray) -> dict[str, float]:
    """Mean and percentiles of the months that happened (-1 means it did not)."""
    month = month[month >= 0]
    return stats(month.astype(float)) if month.size else \
        {"mean": NAN, **{k: NAN for k in PERCENTILES}}
