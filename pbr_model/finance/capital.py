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


def _facility(profile: ProviderProfile, size) -> Source:
    size = float(size) if np.ndim(size) == 0 else np.asarray(size, dtype=np.float64)
    return Source("facility", size, profile.facility_rate,
                  profile.facility_commitment_fee, profile.facility_arrangement_fee)


def runs_out(net_flow: np.ndarray, profile: ProviderProfile, size) -> np.ndarray:
    """Whether each simulation's balance falls below reserves, credit and a facility of
    ``size`` [currency] on the profile's terms (its fees included), ``(n_sims,)`` [bool].
    ``size`` may be ``(n_sims,)``, one per simulation: each row is computed as it would be
    alone with its own size."""
    financing = financing_of(profile, (_facility(profile, 0),))
    available = sum(s.size for s in financing.sources[:-1]) + np.asarray(size, np.float64)
    financing = financing_of(profile, (_facility(profile, size),))
    low = financed_balance(net_flow, financing).low
    return -low > available + ROUNDING


def runs_out_count(net_flow: np.ndarray, profile: ProviderProfile, size: float) -> int:
    """In how many simulations the balance falls below reserves, credit and a facility
    of ``size`` [currency] on the profile's terms (its fees included)."""
    return int(np.count_nonzero(runs_out(net_flow, profile, size)))


#: Most simulation rows one step of :func:`facility_size` puts in a trial: several
#: sizes the search may ask for next are tried at once on the rows it will ask them of
#: (the cost of a trial is mostly per month, not per row, while few rows are undecided).
TRIAL_ROWS = 256


class _Trials:
    """``out_at(size, rows)`` for :func:`facility_size`'s search: whether each simulation
    runs out with a facility of ``size`` (computed for the rows in the mask ``rows``,
    False elsewhere). A trial also tries the sizes the search may ask next (``ahead``), on
    the same rows, in one :func:`financed_balance` with a size per row; a later question
    whose rows are among those is answered from it. Each row's answer is the one it gets
    alone, so the search and its result are exactly those of asking one size at a time."""

    def __init__(self, net_flow: np.ndarray, profile: ProviderProfile):
        self.net_flow, self.profile = net_flow, profile
        self.known: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # size -> (rows, out)

    def out_at(self, size: int, rows: np.ndarray, ahead) -> np.ndarray:
        if size in self.known:
            done, out = self.known[size]
            if not np.any(rows & ~done):
                return out & rows
        index = np.flatnonzero(rows)
        sizes = [size]
        if index.size:
            for more in ahead(max(1, TRIAL_ROWS // index.size)):
                if more not in sizes:
                    sizes.append(more)
        per_row = np.repeat(np.array(sizes, dtype=np.float64), index.size)
        flows = np.tile(self.net_flow[index], (len(sizes), 1))
        result = runs_out(flows, self.profile, per_row).reshape(len(sizes), index.size)
        self.known = {}
        for s, r in zip(sizes, result):
            out = np.zeros(self.net_flow.shape[0], dtype=bool)
            out[index] = r
            self.known[s] = (rows, out)
        return self.known[size][1] & rows


def _halvings(lo: int, hi: int, count: int) -> list[int]:
    """The midpoints bisection of ``[lo, hi]`` may try, level by level, at most
    ``count`` of them (the first is the midpoint itself)."""
    out, level = [], [(lo, hi)]
    while level and len(out) < count:
        nxt = []
        for a, b in level:
            if b - a > 1 and len(out) < count:
                m = (a + b) // 2
                out.append(m)
                nxt += [(a, m), (m, b)]
        level = nxt
    return out


def facility_size(net_flow: np.ndarray, profile: ProviderProfile, level: float,
                  no_facility: np.ndarray | None = None) -> int | None:
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
    While those are few, one trial also tries the sizes the next steps may ask for (see
    :class:`_Trials`): fewer passes over the months, the same steps and the same answer.

    Parameters
    ----------
    net_flow : ``(n_sims, n_months)`` [currency], money into the party positive
    level : 0.95 or 0.99, say
    no_facility : the lowest balance of each simulation with a facility of size 0,
        ``(n_sims,)`` [currency], if already known (:func:`facility_summary` reads it once
        for both levels)
    """
    allowed = math.floor((1 - level) * net_flow.shape[0] + 1e-9)
    financing = financing_of(profile, (_facility(profile, 0),))
    if no_facility is None:
        no_facility = financed_balance(net_flow, financing).low
    lo_out = -no_facility > financing.available + ROUNDING
    if np.count_nonzero(lo_out) <= allowed:
        return 0
    beyond = -no_facility - financing.available
    guess = max(1, math.ceil(float(np.quantile(beyond, level, method="inverted_cdf"))))
    limit = max(1e15, guess * 2**20)
    trials = _Trials(net_flow, profile)

    lo, hi = 0, guess
    hi_out = trials.out_at(hi, lo_out, lambda k: [hi * 2**j for j in range(1, k)
                                                  if hi * 2**j <= limit])
    while np.count_nonzero(hi_out) > allowed:
        lo, lo_out = hi, hi_out
        hi = hi * 2
        if hi > limit:  # fees above the facility itself: no size will do
            return None
        hi_out = trials.out_at(hi, lo_out, lambda k: [hi * 2**j for j in range(1, k)
                                                      if hi * 2**j <= limit])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        undecided = lo_out & ~hi_out
        mid_out = hi_out | trials.out_at(mid, undecided, lambda k: _halvings(lo, hi, k))
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
    no_facility = financed_balance(
        net_flow, financing_of(profile, (_facility(profile, 0),))).low
    tracked: dict[int, object] = {}  # size -> its financed balance (both levels may share one)
    for key, level in CAPITAL_LEVELS.items():
        size = facility_size(net_flow, profile, level, no_facility)
        if size is None:  # no facility will do: its figures are undefined (null in JSON)
            out[key] = dict.fromkeys(FACILITY_KEYS, NAN)
            continue
        financing = financing_of(profile, (_facility(profile, size),))
        if size not in tracked:
            tracked[size] = financed_balance(net_flow, financing, track="facility")
        f = tracked[size]
        low = f.low
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
