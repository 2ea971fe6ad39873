"""The provider's monthly cash timeline and the figures read off it.

Sign convention (as numpy-financial): money into the provider is positive,
money out negative. ``cash_in`` and ``cash_out`` are kept as positive amounts;
``net = cash_in - cash_out``. Flows in month ``t`` are discounted by ``t``
months (month 0 undiscounted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

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
class Source:
    """One source of funds a party draws when its balance is negative.

    Attributes
    ----------
    name : key in reports (``reserves``, ``credit``, ``facility``)
    size : most that can be drawn [currency]; may be ``(n_sims,)``, one per simulation
        (:func:`financed_balance` accepts that; :attr:`Financing.available` does not)
    rate : its cost on what is drawn, compounded monthly [fraction per year]
    cash_rate : the part of that cost paid in cash, carried in the balance [fraction
        per year]; None: all of it (credit, a facility). Reserves: the deposit interest
        they would have earned (``reserves_rate``), while ``rate`` is the cost of capital,
        the return they forgo, an economic cost reported but not carried in the balance
    commitment_fee : charged monthly on what is not drawn, ``fee / 12`` a month
        [fraction per year]
    upfront_fee : paid in month 0 on the whole size (an arrangement fee) [fraction]
    """

    name: str
    size: float
    rate: float
    commitment_fee: float = 0.0
    upfront_fee: float = 0.0
    cash_rate: float | None = None

    @property
    def balance_rate(self) -> float:
        """The rate carried in the cash balance [fraction per year]."""
        return self.rate if self.cash_rate is None else self.cash_rate


#: Name of the unlimited source drawn after every :class:`Source`: new capital.
BEYOND = "new_capital"


@dataclass(frozen=True)
class Financing:
    """A party's sources, drawn in the order given; any need beyond them all is new
    capital at ``beyond_rate`` [fraction per year]."""

    sources: tuple[Source, ...]
    beyond_rate: float

    @property
    def available(self) -> float:
        """Reserves, credit and any facility together [currency]."""
        return float(sum(s.size for s in self.sources))


def financing_of(party, extra: tuple[Source, ...] = ()) -> Financing:
    """The sources of a :class:`~pbr_model.spec.schema.Provider` or provider profile:
    reserves (costing its cost of capital, the return they forgo, of which only the
    deposit interest ``reserves_rate`` is cash in the balance) and its credit line (at
    its credit rate, the cost of capital if none, with its commitment fee), the cheaper
    first at those costs (reserves on a tie); then ``extra`` (e.g. a social investment
    facility); new capital at the cost of capital beyond them all (money that must be
    raised, so carried in the balance)."""
    coc = party.cost_of_capital
    credit_rate = coc if party.credit_rate is None else party.credit_rate
    own = sorted([Source("reserves", party.reserves, coc, cash_rate=party.reserves_rate),
                  Source("credit", party.credit_limit, credit_rate, party.commitment_fee)],
                 key=lambda s: s.rate)  # stable: reserves first on a tie
    return Financing((*own, *extra), coc)


@dataclass(frozen=True)
class FinancedCash:
    """A party's cash balance with its financing carried in it, per simulation.

    Attributes
    ----------
    by_month : ``(n_months, n_sims)`` [currency]: the balance, month by month, as it is
        carried (:attr:`balance` is the same numbers simulation by simulation)
    costs : financing costs by source, each ``(n_sims,)`` [currency]: each source's
        interest and fees (``reserves``: the return they forgo at the cost of capital,
        an economic cost, compounded monthly; ``credit``, any ``facility``), then
        ``new_capital``
    lender : with ``track``, the tracked source's lender's monthly flows ``(n_sims,
        n_months)`` [currency], money into the lender positive: interest and fees less
        new drawings (plus repayments); what is still drawn at the end is not in it
    outstanding : with ``track``, what is still drawn from it after the last month
        [currency]
    """

    by_month: np.ndarray
    costs: dict[str, np.ndarray]
    lender: np.ndarray | None = None
    outstanding: np.ndarray | None = None
    low_at: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @cached_property
    def balance(self) -> np.ndarray:
        """``(n_sims, n_months)`` [currency]: cumulative net flow less every financing
        charge paid in cash so far (negative = funded); the opportunity cost of reserves
        beyond their deposit interest is not in it. Laid out simulation by simulation when
        first read (a search that reads only :attr:`low` never pays for the copy)."""
        return np.ascontiguousarray(self.by_month.T)

    @property
    def low(self) -> np.ndarray:
        """The lowest balance of each simulation, ``(n_sims,)`` [currency]: the least of
        its months, which does not depend on the layout."""
        if self.low_at is None:
            return self.by_month.min(axis=0)
        low = self.low_at[0]
        nan = np.isnan(low)
        if nan.any():   # which NaN (its sign) is numpy's min's over the months laid out
            low = low.copy()
            low[nan] = np.ascontiguousarray(self.by_month[:, nan].T).min(axis=1)
        return low

    @property
    def low_month(self) -> np.ndarray:
        """The first month of each simulation's lowest balance, ``(n_sims,)`` [month
        index]: ``balance.argmin(axis=1)``, without laying the balance out by simulation
        (kept as the months are carried; a NaN month, which numpy's argmin would pick,
        is looked up here)."""
        if self.low_at is None:
            return self.balance.argmin(axis=1)
        low, month = self.low_at
        nan = np.isnan(low)
        if nan.any():   # argmin's month is the first NaN's, which a running "<" skips
            month = month.copy()
            month[nan] = np.isnan(self.by_month[:, nan]).argmax(axis=0)
        return month

    def first_below(self, floor: float, rows: np.ndarray) -> np.ndarray:
        """The first month the balance is below ``-floor`` in each of the simulations
        ``rows`` (bool, ``(n_sims,)``), -1 where it never is and outside ``rows``: only
        those simulations' months are read."""
        out = np.full(self.by_month.shape[1], -1, dtype=np.int64)
        if rows.any():
            under = self.by_month[:, rows] < -floor
            out[rows] = np.where(under.any(axis=0), under.argmax(axis=0), -1)
        return out

    @property
    def total_cost(self) -> np.ndarray:
        """All financing charges, ``(n_sims,)`` [currency]."""
        total = np.zeros(self.by_month.shape[1])
        for v in self.costs.values():  # a fixed order, element by element
            total = total + v
        return total


# numpy's clip ufunc itself: what ``np.clip`` calls after a few Python checks (run once a
# month in financed_balance, where those checks cost more than the clip of a few rows)
try:
    from numpy._core.umath import clip as _clip
except ImportError:  # numpy < 2
    from numpy.core.umath import clip as _clip


def financed_balance(net_flow: np.ndarray, financing: Financing,
                     track: str | None = None) -> FinancedCash:
    """Carry financing in the cash balance month by month.

    The balance starts at 0. In month ``t`` it moves by the month's net flow, less the
    interest on what each source had drawn at the end of month ``t - 1`` (at its monthly
    rate :func:`monthly_rate`, so interest on interest: it is compounded and itself
    financed), less each source's commitment fee on its undrawn part then (``fee / 12``),
    and, in month 0, upfront fees. A negative balance is then drawn from the sources in
    order and beyond them from new capital; a rising balance repays in reverse order
    (new capital first, reserves last). A positive balance earns nothing.

    Only cash is carried in the balance: a source's :attr:`Source.balance_rate`. Where
    its cost ``rate`` is higher (reserves: the cost of capital against the deposit
    interest they would have earned, ``reserves_rate``), the difference is an economic
    cost: it is reported in ``costs`` and compounds on itself at ``rate`` (each month's
    cost is ``rate`` on what is drawn plus, while any is drawn, the economic cost
    accrued so far), but it is not drawn from any source. With ``reserves_rate`` equal to the cost of capital
    reserves cost what they did when all of it was carried.

    Parameters
    ----------
    net_flow : ``(n_sims, n_months)`` [currency], money into the party positive
    track : name of a source whose lender's flows to return (see :class:`FinancedCash`)

    Returns
    -------
    FinancedCash
    """
    n, months = net_flow.shape
    sources = financing.sources
    k_src = len(sources)
    rates = [monthly_rate(s.balance_rate) for s in sources] + [monthly_rate(financing.beyond_rate)]
    # Economic cost beyond the cash one: per source, its monthly rate, or None
    econ = [monthly_rate(s.rate) if s.rate != s.balance_rate else None for s in sources]
    names = [s.name for s in sources] + [BEYOND]
    tracked = names.index(track) if track is not None else None
    # Every source's state is one row of a (sources + 1, n) array, so a month is a few
    # whole-array operations, each element computed as it would be alone; months run
    # first in memory, so each month's flows and balance are contiguous.
    flows = np.ascontiguousarray(net_flow.T)
    rate_col = np.array(rates)[:, None]
    # a size is one number, or one per simulation (a search trying several at once)
    size_col = np.empty((k_src, n))
    below_col, below = np.empty((k_src, n)), 0.0
    for k, s in enumerate(sources):
        size_col[k] = s.size
        below_col[k] = below  # what the sources before it hold, added in the order drawn
        below = below + s.size
    if all(np.ndim(s.size) == 0 for s in sources):  # the same for every simulation
        size_col, below_col = size_col[:, :1], below_col[:, :1]
    fees = [(k, s.size, s.commitment_fee / 12) for k, s in enumerate(sources) if s.commitment_fee]
    upfront = [(k, s.size * s.upfront_fee) for k, s in enumerate(sources) if s.upfront_fee]
    economic = [(k, e, np.zeros(n), np.zeros(n)) for k, e in enumerate(econ) if e is not None]
    with_fees = {k for k, _, _ in fees} | {k for k, _ in upfront}  # paid is not interest alone
    drawn = np.zeros((k_src + 1, n))
    paid_sum = np.zeros((k_src + 1, n))  # cash paid to each source so far
    lender = np.zeros((months, n)) if track is not None else None
    balance = np.empty((months, n))
    b = np.zeros(n)
    # each month's working arrays, written in place (the same operations as on fresh ones)
    paid, charge, need = np.empty((k_src + 1, n)), np.empty(n), np.empty(n)
    short = np.empty((k_src, n))
    # the lowest balance so far and its first month: numpy's min and argmin of each
    # simulation's months, kept as they are carried (reading them off the balance laid
    # out by simulation would cost a transpose)
    low, low_month, lower = np.empty(n), np.zeros(n, dtype=np.int64), np.empty(n, dtype=bool)
    for t in range(months):  # a loop over months, vectorised over simulations
        np.multiply(drawn, rate_col, out=paid)  # interest, then each source's fees added
        for k, size, fee in fees:
            paid[k] += (size - drawn[k]) * fee
        if t == 0:
            for k, amount in upfront:
                paid[k] += amount
        np.add(paid[0], 0.0, out=charge)  # 0 + paid, as the sum starts from 0
        for row in paid[1:]:
            charge += row
        paid_sum += paid
        for k, rate, accrued, cost_sum in economic:
            # the return forgone on what is drawn and, while any is, on the return
            # already forgone (a positive balance earns nothing); includes the cash part
            d = drawn[k]
            some = d > 0
            count = np.count_nonzero(some)
            if count == n:
                cost = (d + accrued) * rate
            elif count:
                cost = (d + np.where(some, accrued, 0.0)) * rate
            else:  # nothing drawn: d + 0 is d
                cost = d * rate
            accrued += cost - (paid[k] if k not in with_fees else drawn[k] * rates[k])
            cost_sum += cost
        if tracked is not None:
            lender[t] = paid[tracked] + drawn[tracked]
        row = balance[t]
        np.add(b, flows[t], out=row)
        np.subtract(row, charge, out=row)
        b = row
        if t == 0:
            low[:] = row
        else:
            np.less(row, low, out=lower)
            low_month[lower] = t
            np.minimum(low, row, out=low)
        np.negative(b, out=need)
        np.maximum(need, 0.0, out=need)
        np.subtract(need, below_col, out=short)
        _clip(short, 0.0, size_col, out=drawn[:k_src])
        np.subtract(need, below, out=drawn[k_src])
        np.maximum(drawn[k_src], 0.0, out=drawn[k_src])
        if tracked is not None:
            lender[t] -= drawn[tracked]
    costs = {name: paid_sum[k] for k, name in enumerate(names)}
    costs.update({names[k]: cost_sum for k, _, _, cost_sum in economic})
    return FinancedCash(balance, costs,
                        None if lender is None else np.ascontiguousarray(lender.T),
                        drawn[tracked].copy() if tracked is not None else None,
                        (low, low_month) if months else None)


def lowest(cumulative: np.ndarray, rounding: float) -> tuple[np.ndarray, np.ndarray]:
    """The largest deficit of each row, ``max(0, -min)`` (a deficit of ``rounding`` or
    less counts as none) [currency], and its month (-1 where there is none)."""
    return deficit(cumulative.min(axis=1), lambda: cumulative.argmin(axis=1), rounding)


def deficit(low: np.ndarray, month, rounding: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lowest` from each row's least value ``low`` and ``month()``, the month of it."""
    peak = np.where(-low > rounding, -low, 0.0)
    return peak, np.where(peak > 0, month(), -1)


@dataclass(frozen=True)
class CashFigures:
    """Per-simulation figures from the cash timeline, each ``(n_sims,)``.

    Attributes
    ----------
    revenue, cost, net : totals over the timeline, before financing [currency]
    npv : net present value at the provider's discount rate, before financing [currency]
    min_cash : lowest cash balance after financing [currency] (negative = funding needed)
    peak_funding : largest deficit after financing, ``max(0, -min_cash)`` [currency]
    peak_month : month of that deficit [month index]; -1 if cash never dips below 0
    peak_funding_before_financing : largest cumulative deficit of the flows alone [currency]
    peak_month_before_financing : its month [month index]; -1 if none
    insolvent : the balance after financing fell below ``-(reserves + credit_limit)`` [bool]
    first_shortfall_month : first month it did [month index]; -1 if it never did
    financing_cost : every financing cost (interest, fees, and the opportunity cost of
        reserves at the cost of capital, which is economic and not in the balance)
        [currency]
    net_after_financing : ``net - financing_cost`` [currency]; the last month's balance
        less the opportunity cost of reserves beyond their deposit interest
    """

    revenue: np.ndarray
    cost: np.ndarray
    net: np.ndarray
    npv: np.ndarray
    min_cash: np.ndarray
    peak_funding: np.ndarray
    peak_month: np.ndarray
    peak_funding_before_financing: np.ndarray
    peak_month_before_financing: np.ndarray
    insolvent: np.ndarray
    first_shortfall_month: np.ndarray
    financing_cost: np.ndarray
    net_after_financing: np.ndarray


#: A deficit below half a penny is rounding (e.g. of pro rata draws), not a funding need.
ROUNDING = 0.005


def read_cash(cash_in: np.ndarray, cash_out: np.ndarray, discount_rate: float,
              financing: Financing | float, rounding: float = 0.0,
              funded_in: np.ndarray | None = None) -> tuple[CashFigures, FinancedCash]:
    """The per-simulation figures of monthly flows ``(n_sims, n_months)`` for a party
    funded by ``financing`` (a number: that much available at no cost, as before
    financing was carried), discounting at ``discount_rate`` [fraction per year],
    counting a deficit of ``rounding`` or less [currency] as none; and the financed
    balance they were read from.

    ``funded_in``: the party's income with a social impact bond's cash through it
    (``cash_in`` plus the investors' draws less what the waterfall pays them,
    :func:`~pbr_model.finance.sib.bond_cash`). Given, the balance is carried on it, so the
    bond is financing: the figures before financing (revenue, cost, net, NPV, the need
    before financing) stay the contract's, while the need after financing, running out,
    and the net after financing are the party's once the investors have funded it and
    been paid; the financing cost is then what the investors took beyond their draws
    plus ``financing``'s own cost."""
    if not isinstance(financing, Financing):
        financing = Financing((Source("reserves", float(financing), 0.0),), 0.0)
    net_flow = cash_in - cash_out
    before, before_month = lowest(np.cumsum(net_flow, axis=1), rounding)
    carried = net_flow if funded_in is None else funded_in - cash_out
    financed = financed_balance(carried, financing)
    # read month by month, as carried: the balance is laid out by simulation only if a
    # caller reads it
    low = financed.low
    peak, month = deficit(low, lambda: financed.low_month, rounding)
    available = financing.available
    insolvent = peak > available + rounding
    discount = monthly_discount_factors(discount_rate, net_flow.shape[1])
    net = net_flow.sum(axis=1)
    if funded_in is None:
        cost = financed.total_cost
        after = net - cost
    else:
        after = carried.sum(axis=1) - financed.total_cost
        cost = net - after
    figures = CashFigures(
        revenue=cash_in.sum(axis=1),
        cost=cash_out.sum(axis=1),
        net=net,
        npv=row_dot(net_flow, discount),
        min_cash=low,
        peak_funding=peak,
        peak_month=month,
        peak_funding_before_financing=before,
        peak_month_before_financing=before_month,
        insolvent=insolvent,
        first_shortfall_month=financed.first_below(available + rounding, insolvent),
        financing_cost=cost,
        net_after_financing=after,
    )
    return figures, financed


def cash_figures(cash_in: np.ndarray, cash_out: np.ndarray, provider: Provider,
                 funded_in: np.ndarray | None = None) -> CashFigures:
    """Read the per-simulation figures off monthly flows ``(n_sims, n_months)``, with the
    provider's financing carried in its balance (see :func:`financed_balance`) and, given
    ``funded_in``, a social impact bond's (see :func:`read_cash`)."""
    # a bond's draws meet costs to the cent: what they leave is rounding (ROUNDING), as
    # for pbr capital's parties
    return read_cash(cash_in, cash_out, provider.cost_of_capital, financing_of(provider),
                     0.0 if funded_in is None else ROUNDING, funded_in)[0]
