"""The commissioner's view: what it pays, what it buys and what it pays for that the
service did not cause.

The commissioner pays the contract's income (fees and outcome payments) and gets
the reoffences avoided against the counterfactual, which the simulation knows.
"""

from __future__ import annotations

import numpy as np

from ..stats import row_dot, stats
from ..spec.parties import Commissioner
from .cash import monthly_discount_factors


def _ratio(a: np.ndarray, b: np.ndarray) -> float:
    """Ratio of means; NaN when the denominator's mean is not positive."""
    return float(a.mean() / b.mean()) if b.mean() > 0 else float("nan")


def commissioner_summary(fee: np.ndarray, outcome: np.ndarray, avoided: np.ndarray,
                         no_effect: np.ndarray, paid_monthly: np.ndarray,
                         terms: Commissioner) -> dict:
    """Headline figures for the commissioner.

    Parameters
    ----------
    fee, outcome : per simulation, what it paid in fees and for results ``(n_sims,)`` [currency]
    avoided : reoffences avoided against the expected counterfactual ``(n_sims,)`` [reoffences]
    no_effect : the service's true effect was nil or harmful on every measure ``(n_sims,)`` [bool]
    paid_monthly : everything paid, ``(n_sims, n_months)`` [currency]
    terms : the commissioner's cost of a reoffence and discount rate

    Returns
    -------
    dict. Costs per reoffence avoided are ratios of means (NaN when on average none
    are avoided). ``paid_for_noise`` is the chance of paying for results when the
    service had no true effect, P(paid | no effect), as ``pbr power`` reports it at a
    zero effect (NaN when no simulation has a nil effect), and ``prob_no_effect`` how
    often that happens; ``expected_paid_for_noise`` the mean payment over all
    simulations that went to a service with no effect; ``paid_without_avoided`` the
    chance of paying in a simulation where no reoffences were in fact avoided (noise or
    trend), P(paid and none avoided).
    """
    total = fee + outcome
    discount = monthly_discount_factors(terms.discount_rate, paid_monthly.shape[1])
    paid = outcome > 0
    out = {
        "total_paid": stats(total),
        "fees_paid": stats(fee),
        "outcome_paid": stats(outcome),
        "pv_paid": stats(row_dot(paid_monthly, discount)),
        "discount_rate": terms.discount_rate,
        "reoffences_avoided": stats(avoided),
        "cost_per_reoffence_avoided": _ratio(total, avoided),
        "outcome_cost_per_reoffence_avoided": _ratio(outcome, avoided),
        "prob_no_effect": float(no_effect.mean()),
        "paid_for_noise": float(paid[no_effect].mean()) if no_effect.any() else float("nan"),
        "expected_paid_for_noise": float(np.where(no_effect, outcome, 0.0).mean()),
        "paid_without_avoided": float((paid & (avoided <= 0)).mean()),
        "cost_per_reoffence": terms.cost_per_reoffence,
    }
    if terms.cost_per_reoffence is not None:
        value = terms.cost_per_reoffence * avoided
        out["value_of_avoided"] = stats(value)
        # against outcome payments: the fee buys a service the commissioner would buy anyway
        out["net_savings_vs_outcome"] = stats(value - outcome)
        out["net_savings_vs_total"] = stats(value - total)
    return out
