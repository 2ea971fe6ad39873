"""The social impact bond: investors' draws, the repayment waterfall and guarantees,
month by month (the figures each investor reads off its flows: :mod:`.investors`).

Every array here holds positive amounts named for the way they move: ``draws`` go
from an investor to the bond's vehicle, ``receipts`` from the vehicle (or a
guarantor) to the investor. With the package's sign convention (money into the
party is positive) an investor's cash flow is ``receipts - draws``, the vehicle's
retained flow is ``residual`` and a guarantor's is ``-paid``.

The rules, each month ``t`` (loops over months and tranches, vectorised over
simulations):

1. The claim of each repaid tranche (capital drawn and not repaid, plus return
   accrued and not paid) grows at its ``return_cap``, compounded monthly; capital
   drawn in month ``t`` and repaid in month ``t`` earns nothing.
2. Income pays the month's costs first; income below zero (a repayment to the
   commissioner) adds to what must be paid.
3. A shortfall is met, with ``drawdown = "as_needed"``, by drawing on the tranches
   pro rata to their undrawn commitments; a commitment is the most a tranche ever
   provides (capital repaid is not drawn again). With ``"schedule"``, each step
   draws its ``share`` of every commitment in its month (steps after the last month
   draw in the last month); the cash is held and meets shortfalls until spent, and
   nothing is drawn beyond the schedule. What neither meets is ``unfunded``.
4. Income left after costs goes down the waterfall in the same month. With
   ``waterfall = "by_rank"`` (senior first), rank by rank (1 first): (a) the rank's
   capital outstanding, then (b) its accrued return, each pro rata within the rank to
   what each tranche is owed, before the next rank gets anything. With
   ``"capital_first"``: (a) capital outstanding of every rank, by rank, then (b) the
   accrued return, by rank. Then (c) each tranche's ``surplus_share`` of the rest;
   (d) the rest is the vehicle's ``residual``. Cash drawn on the schedule
   and still held in the bond's last month (below) goes down the waterfall then, so that
   nothing is left held and investors get their unspent capital back first.
5. Tranches that are not repaid (grants, unless ``recoverable``) receive nothing
   from the waterfall, surplus included; their surplus share stays with the vehicle.
6. After the last month's waterfall, each guarantee pays its tranche, in the bond's
   last month, ``min(amount, cover * lost)`` where ``lost`` is capital drawn less
   capital repaid in (a); several guarantees on one tranche pay in spec order,
   never more in all than ``lost``.

The bond's last month is the contract's last month, or, where the contract stopped early
with nothing paid after its stop month (``[termination] in_flight = "unpaid"``: see
:func:`settled_early`), that stop month, or the bond's last cash movement if any came later:
the bond is settled when the contract it funds has ended, as ABLE's was when the city ended
it after three of its four years and Bloomberg's guarantee paid [BB][PNY], not at the end
of the term the contract no longer runs. In a simulation so stopped, nothing is drawn on
the schedule after that month, and cash held goes down the waterfall in it.

A capped tranche's receipts (before any surplus share) are thus worth at most its
draws at its capped rate: their net present value at ``return_cap`` is at most 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..stats import leading_sum
from ..spec.parties import SocialImpactBond
from ..spec.termination import Termination
from .cash import monthly_rate
from .investors import InvestorFigures, investor_figures



@dataclass(frozen=True)
class TrancheFlows:
    """One tranche's flows.

    Attributes
    ----------
    name, kind : as in the spec
    draws : paid in by the tranche, ``(n_sims, n_months)`` [currency], >= 0
    receipts : paid to the tranche, ``(n_sims, n_months)`` [currency], >= 0: capital,
        return, surplus and (in the bond's last month) guarantees
    capital, capped_return, surplus, guaranteed : the parts of ``receipts`` summed over
        the months, each ``(n_sims,)`` [currency]
    repaid : False for a grant that is not repaid (it funds costs and gets nothing back)
    """

    name: str
    kind: str
    draws: np.ndarray
    receipts: np.ndarray
    capital: np.ndarray
    capped_return: np.ndarray
    surplus: np.ndarray
    guaranteed: np.ndarray
    repaid: bool = True


@dataclass(frozen=True)
class GuaranteeFlows:
    """What one guarantee paid: ``paid`` ``(n_sims,)`` [currency], >= 0, to the tranche
    named ``covers`` in ``month`` ``(n_sims,)`` [month index] (the bond's last: see the
    module's rule 6); the guarantor's flow is ``-paid``."""

    name: str
    covers: str
    paid: np.ndarray
    month: np.ndarray


@dataclass(frozen=True)
class SibFlows:
    """Everything :func:`run_sib` produced; arrays ``(n_sims, n_months)`` [currency].

    Attributes
    ----------
    tranches : per tranche, in spec order
    guarantees : per guarantee, in spec order
    residual : what the vehicle keeps after the waterfall (the provider's or
        intermediary's flow), >= 0
    unfunded : costs (and repayments due, where income is negative) that neither
        income, cash held nor commitments met, >= 0
    held : scheduled draws held unspent at the end of each month, >= 0 (0 with
        ``as_needed``, and 0 from the bond's last month on)

    Notes
    -----
    Conservation, each simulation and month (``sum`` over tranches; guarantees
    are not the vehicle's cash)::

        income + sum(draws) == costs - unfunded + sum(receipts - guaranteed) + residual
                               + (held - held in the month before)
    """

    tranches: tuple[TrancheFlows, ...]
    guarantees: tuple[GuaranteeFlows, ...]
    residual: np.ndarray
    unfunded: np.ndarray
    held: np.ndarray

    def tranche(self, name: str) -> TrancheFlows:
        """The flows of the tranche called ``name``."""
        for t in self.tranches:
            if t.name == name:
                return t
        raise InputError(f"no tranche {name!r}; tranches: "
                         f"{', '.join(t.name for t in self.tranches)}")

    def figures(self) -> list[InvestorFigures]:
        """:func:`investor_figures` of every tranche, in spec order."""
        return [investor_figures(t.draws, t.receipts, name=t.name, kind=t.kind,
                                 grant=not t.repaid)
                for t in self.tranches]


def _check(income: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    income = np.asarray(income, dtype=np.float64)
    costs = np.asarray(costs, dtype=np.float64)
    if income.ndim != 2 or income.shape != costs.shape or income.shape[1] == 0:
        raise InputError(f"run_sib: income and costs must both be (n_sims, n_months) with at "
                         f"least one month (got {income.shape} and {costs.shape})")
    if not (np.isfinite(income).all() and np.isfinite(costs).all()):
        raise InputError("run_sib: income and costs must be finite (no NaN or infinity)")
    if (costs < 0).any():
        raise InputError(f"run_sib: costs must be >= 0 (smallest {costs.min():g}); "
                         "put money coming in into income")
    return income, costs


def _pay(cash: np.ndarray, owed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pay ``owed`` ``(n_sims, k)`` pro rata from ``cash`` ``(n_sims,)``; returns
    (paid, cash left). Paid never exceeds owed, nor cash left falls below 0, by rounding."""
    total = owed.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(total > 0, np.minimum(cash, total) / total, 0.0)
    paid = np.minimum(owed, owed * fraction[:, None])
    return paid, np.maximum(cash - paid.sum(axis=1), 0.0)


def _scheduled(sib: SocialImpactBond, n_months: int, amount: np.ndarray) -> np.ndarray:
    """Scheduled draws ``(n_months, n_tranches)`` [currency]."""
    out = np.zeros((n_months, amount.size))
    for step in sib.schedule:
        out[min(step.month, n_months - 1)] += step.share * amount
    return out


def bond_cash(sib: SibFlows) -> tuple[np.ndarray, np.ndarray]:
    """The bond's cash through its vehicle, each ``(n_sims, n_months)`` [currency]: what
    the investors draw in, and what the waterfall pays them (a guarantee's payment, in the
    receipts of the bond's last month, is a third party's, so not the vehicle's)."""
    draws = sum(t.draws for t in sib.tranches)
    paid_out = sum(t.receipts for t in sib.tranches).copy()
    if sib.guarantees:   # every guarantee pays in the bond's last month
        guaranteed = sum((g.paid for g in sib.guarantees), np.zeros(len(draws)))
        paid_out[np.arange(len(draws)), sib.guarantees[0].month] -= guaranteed
    return draws, paid_out


def settled_early(termination: Termination | None,
                  termination_month: np.ndarray | None) -> np.ndarray | None:
    """The month each simulation's bond is settled early, for :func:`run_sib`'s
    ``stopped``: the contract's stop month (``termination_month``, its first month not
    served, -1 where it ran its term) where ``termination`` pays nothing after it
    (``in_flight = "unpaid"``); None where no simulation's bond is (no ``[termination]``,
    no month given, or in-flight results still paid at their dates, which the bond waits
    for)."""
    if termination is None or termination_month is None or termination.in_flight != "unpaid":
        return None
    return np.asarray(termination_month)


def _last_month(income: np.ndarray, costs: np.ndarray,
                stopped: np.ndarray | None) -> np.ndarray:
    """The bond's last month in each simulation, ``(n_sims,)`` [month index]: the last
    month, or where ``stopped`` gives a stop month (>= 0), the later of it and the last
    month with any income or cost (see the module's rule 6)."""
    n, m = income.shape
    if stopped is None:
        return np.full(n, m - 1)
    stopped = np.asarray(stopped)
    if stopped.shape != (n,):
        raise InputError(f"run_sib: stopped must be (n_sims,) = ({n},) (got {stopped.shape})")
    moved = (income != 0) | (costs != 0)
    last_moved = np.where(moved.any(axis=1), m - 1 - np.argmax(moved[:, ::-1], axis=1), 0)
    early = (stopped >= 0) & (stopped < m)
    return np.where(early, np.maximum(stopped, last_moved), m - 1)


def run_sib(sib: SocialImpactBond, income: np.ndarray, costs: np.ndarray,
            stopped: np.ndarray | None = None) -> SibFlows:
    """Run a social impact bond's draws, waterfall and guarantees (rules in the module
    docstring).

    Parameters
    ----------
    sib : the bond's terms
    income : paid to the bond's vehicle by the contract (fees and outcome payments),
        ``(n_sims, n_months)`` [currency]; negative for repayments
    costs : the service's costs as incurred, ``(n_sims, n_months)`` [currency], >= 0
    stopped : the month each simulation's contract stopped with nothing paid after it,
        -1 where it ran its term, ``(n_sims,)`` [month index] (:func:`settled_early`);
        None: every simulation ran its term. Where it stopped, the bond is settled in that
        month (the module's rule 6).

    Returns
    -------
    SibFlows

    Raises
    ------
    InputError
        Shapes differ or are not 2-D, amounts are not finite, or a cost is negative.
    """
    income, costs = _check(income, costs)
    n, m = income.shape
    last = _last_month(income, costs, stopped)
    ends_early = bool((last < m - 1).any())
    tr = sib.tranches
    amount = np.array([t.amount for t in tr])
    repaid = np.array([t.repaid for t in tr])
    rate = np.array([monthly_rate(t.return_cap) for t in tr])
    share = np.where(repaid, [t.surplus_share for t in tr], 0.0)
    rank = np.array([t.rank for t in tr])
    groups = [np.flatnonzero(repaid & (rank == r)) for r in np.unique(rank[repaid])]
    schedule = _scheduled(sib, m, amount) if sib.drawdown == "schedule" else None

    undrawn = np.tile(amount, (n, 1))
    capital = np.zeros((n, len(tr)))  # drawn and not repaid, repaid tranches only
    accrued = np.zeros((n, len(tr)))  # capped return earned and not paid
    held = np.zeros(n)
    paid_capital, paid_return, paid_surplus = (np.zeros((n, len(tr))) for _ in range(3))
    # The waterfall's steps in order: (tranches, what they are owed, what they were paid)
    if sib.waterfall == "by_rank":  # senior first: each rank's capital, then its return
        steps = [(g, owed, paid) for g in groups
                 for owed, paid in ((capital, paid_capital), (accrued, paid_return))]
    else:  # "capital_first": every rank's capital, then every rank's return
        steps = [(g, owed, paid) for owed, paid in ((capital, paid_capital),
                                                    (accrued, paid_return)) for g in groups]
    # month-major while filling, so each month writes one contiguous block
    draws_out, receipts_out = np.empty((m, n, len(tr))), np.empty((m, n, len(tr)))
    residual, unfunded, held_out = np.empty((m, n)), np.empty((m, n)), np.empty((m, n))

    for t in range(m):
        accrued += (capital + accrued) * rate
        need = costs[:, t] - income[:, t]
        cash = np.maximum(-need, 0.0)
        short = np.maximum(need, 0.0)
        if schedule is not None:
            draw = np.broadcast_to(schedule[t], (n, len(tr)))
            if ends_early:   # a bond already settled draws nothing more
                draw = np.where((t <= last)[:, None], draw, 0.0)
                held = held + np.where(t <= last, schedule[t].sum(), 0.0)
            else:
                held = held + schedule[t].sum()
            used = np.minimum(short, held)
            held = held - used
            short = short - used
            if ends_early:
                ending = last == t
                cash, held = np.where(ending, cash + held, cash), np.where(ending, 0.0, held)
            elif t == m - 1:
                cash, held = cash + held, np.zeros(n)
        else:
            room = undrawn.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                fraction = np.where(room > 0, np.minimum(short, room) / room, 0.0)
            draw = np.minimum(undrawn, undrawn * fraction[:, None])
            # from the totals, not the rounded draws, so a funded month shows exactly 0
            short = np.maximum(short - room, 0.0)
        undrawn = undrawn - draw
        capital += draw * repaid

        got = np.zeros((n, len(tr)))
        if cash.any():  # most months bring no income: skip the waterfall's work
            for g, owed, paid_out in steps:
                paid, cash = _pay(cash, owed[:, g])
                owed[:, g] -= paid
                paid_out[:, g] += paid
                got[:, g] += paid
            paid = cash[:, None] * share
            paid_surplus += paid
            got += paid
            cash = np.maximum(cash - paid.sum(axis=1), 0.0)

        draws_out[t], receipts_out[t] = draw, got
        residual[t], unfunded[t], held_out[t] = cash, short, held

    drawn = leading_sum(draws_out)
    guaranteed = np.zeros((n, len(tr)))
    names = [t.name for t in tr]
    guarantees = []
    for g in sib.guarantees:
        k = names.index(g.covers)
        lost = drawn[:, k] - paid_capital[:, k]
        room = np.maximum(lost - guaranteed[:, k], 0.0)
        paid = np.maximum(np.minimum(np.minimum(g.amount, g.cover * lost), room), 0.0)
        guaranteed[:, k] += paid
        guarantees.append(GuaranteeFlows(g.name, g.covers, paid, last))
    if ends_early:
        receipts_out[last, np.arange(n)] += guaranteed
    else:
        receipts_out[m - 1] += guaranteed

    tranches = tuple(
        TrancheFlows(t.name, t.kind, np.ascontiguousarray(draws_out[:, :, k].T),
                     np.ascontiguousarray(receipts_out[:, :, k].T), paid_capital[:, k],
                     paid_return[:, k], paid_surplus[:, k], guaranteed[:, k], t.repaid)
        for k, t in enumerate(tr))
    return SibFlows(tranches, tuple(guarantees), np.ascontiguousarray(residual.T),
                    np.ascontiguousarray(unfunded.T), np.ascontiguousarray(held_out.T))
