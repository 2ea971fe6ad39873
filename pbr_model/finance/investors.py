"""What each social investor reads off its flows (:mod:`.sib` makes the flows): drawn,
received, money multiple, IRR, payback month and loss per simulation, and their summaries
across simulations, with each guarantee's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..stats import stats
from .irr import annualise, irr

if TYPE_CHECKING:
    from .sib import SibFlows

#: Shortfall below which an investor is not counted as losing money [currency]: half a
#: penny, so float rounding in the waterfall is never a loss.
LOSS_TOLERANCE = 0.005


@dataclass(frozen=True)
class InvestorFigures:
    """One tranche's figures per simulation, each ``(n_sims,)``.

    Attributes
    ----------
    name, kind : the tranche's (empty when not given)
    drawn, received : totals over the timeline [currency]
    multiple : ``received / drawn`` [ratio]; NaN where nothing was drawn
    irr : internal rate of return of ``receipts - draws`` [fraction per year]; -1 where
        nothing came back, NaN where nothing was drawn or no rate exists (see :func:`irr`)
    payback_month : first month, from the first draw on, when cumulative
        ``receipts - draws`` is back to 0 (within :data:`LOSS_TOLERANCE`) [month index];
        -1 if never or nothing was drawn
    loss : ``max(0, drawn - received)`` [currency]
    grant : a grant that is not repaid: :func:`summary` reports what it funded, not a
        return or a loss
    """

    name: str
    kind: str
    drawn: np.ndarray
    received: np.ndarray
    multiple: np.ndarray
    irr: np.ndarray
    payback_month: np.ndarray
    loss: np.ndarray
    grant: bool = False


def investor_figures(draws: np.ndarray, receipts: np.ndarray, *, name: str = "",
                     kind: str = "", grant: bool = False) -> InvestorFigures:
    """Read an investor's figures off its flows.

    Parameters
    ----------
    draws, receipts : ``(n_sims, n_months)`` [currency], >= 0 (as in :class:`TrancheFlows`)
    name, kind, grant : carried into the result for :func:`summary`
    """
    draws = np.asarray(draws, dtype=np.float64)
    receipts = np.asarray(receipts, dtype=np.float64)
    if draws.ndim != 2 or draws.shape != receipts.shape:
        raise InputError(f"investor_figures: draws and receipts must both be (n_sims, n_months)"
                         f" (got {draws.shape} and {receipts.shape})")
    net = receipts - draws
    drawn, received = draws.sum(axis=1), receipts.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        multiple = np.where(drawn > 0, received / drawn, np.nan)
    started = np.cumsum(draws > 0, axis=1) > 0
    back = started & (np.cumsum(net, axis=1) >= -LOSS_TOLERANCE)
    payback = np.where(back.any(axis=1), back.argmax(axis=1), -1)
    return InvestorFigures(name, kind, drawn, received, multiple, annualise(irr(net)),
                           payback, np.maximum(drawn - received, 0.0), grant)


def total_loss(figures: InvestorFigures) -> np.ndarray:
    """Where money was drawn and nothing came back (within :data:`LOSS_TOLERANCE`): an IRR
    of -100%, ``(n_sims,)`` [bool]."""
    return (figures.drawn > 0) & (figures.received <= LOSS_TOLERANCE)


def summary(figures: InvestorFigures) -> dict:
    """Headline figures of one tranche across simulations.

    Returns
    -------
    dict with ``name``, ``kind``, ``grant``; ``drawn``, ``received`` [currency], ``irr``
    [fraction per year] and ``multiple`` [ratio], each ``{mean, p5, p50, p95}`` ignoring
    NaN; ``prob_total_loss``, P(money drawn and nothing back: IRR -100%) [probability],
    and ``irr_given_not_total_loss``, the IRR's ``{mean, p5, p50, p95}`` over the other
    simulations (a mean that averages -100% outcomes with the rest says little);
    ``prob_loss``, P(received < drawn - :data:`LOSS_TOLERANCE`) [probability];
    ``expected_loss``, the mean loss [currency]; ``prob_payback``, the chance its money
    comes back [probability], and ``payback_month`` ``{mean, p5, p50, p95}`` over the
    simulations where it does [month index].

    A grant that is not repaid is not an investor: it has ``grant = True``, its
    ``drawn`` (what it funded) and ``received`` (nothing, or a guarantee), and no return
    or loss: the IRR, multiple and payback figures are NaN and the loss figures None.
    """
    f = figures
    if f.grant:
        none = stats(np.full(f.drawn.shape, np.nan))
        return {"name": f.name, "kind": f.kind, "grant": True, "drawn": stats(f.drawn),
                "received": stats(f.received), "irr": none, "multiple": none,
                "prob_total_loss": None, "irr_given_not_total_loss": none,
                "prob_loss": None, "expected_loss": None, "prob_payback": None,
                "payback_month": none}
    lost = total_loss(f)
    return {
        "name": f.name,
        "kind": f.kind,
        "grant": False,
        "drawn": stats(f.drawn),
        "received": stats(f.received),
        "irr": stats(f.irr),
        "multiple": stats(f.multiple),
        "prob_total_loss": float(np.mean(lost)),
        "irr_given_not_total_loss": stats(np.where(lost, np.nan, f.irr)),
        "prob_loss": float(np.mean(f.received < f.drawn - LOSS_TOLERANCE)),
        "expected_loss": float(np.mean(f.loss)),
        "prob_payback": float(np.mean(f.payback_month >= 0)),
        "payback_month": stats(np.where(f.payback_month >= 0, f.payback_month, np.nan)),
    }


def investor_summaries(sib: SibFlows) -> list[dict]:
    """Each tranche's headline figures (see :func:`summary`), in spec order."""
    return [summary(f) for f in sib.figures()]


def guarantee_summary(g, paid: np.ndarray) -> dict:
    """One guarantee (from the spec or the flows: its ``name`` and ``covers``): what it
    paid, ``paid`` ``(n_sims,)`` as ``{mean, p5, p50, p95}`` [currency], ``expected_paid``
    and the chance it was called."""
    return {"name": g.name, "covers": g.covers, "paid": stats(paid),
            "prob_called": float((paid > 0).mean()), "expected_paid": float(paid.mean())}


def guarantee_summaries(sib: SibFlows) -> list[dict]:
    """Each guarantee of a bond's flows (see :func:`guarantee_summary`)."""
    return [guarantee_summary(g, g.paid) for g in sib.guarantees]
