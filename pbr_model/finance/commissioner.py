"""The commissioner's view: what it pays, what it buys and what it pays for that the
service did not cause.

The commissioner pays the contract's income (fees and outcome payments) and gets
the reoffences avoided against the counterfactual, which the simulation knows.

**Paid for noise** is one quantity wherever it is reported (``pbr capital``'s commissioner,
``pbr power``): the chance that outcome payments are triggered when the service's true
effect is exactly zero on every outcome, read from a run of the contract with that effect
known (:func:`pbr_model.scenarios.with_effect`) by :func:`paid_for_noise`, with its Monte
Carlo standard error. It is not the chance of paying in those simulations of the contract
as specified whose drawn effect happened to be nil or harmful (``paid_given_no_drawn_effect``
below): that mixes in harmful effects and depends on the spec's effect prior.
"""

from __future__ import annotations

import numpy as np

from ..stats import row_dot, stats
from ..spec.parties import Commissioner
from .cash import monthly_discount_factors, monthly_rate


def _ratio(a: np.ndarray, b: np.ndarray) -> float:
    """Ratio of means; NaN when the denominator's mean is not positive."""
    return float(a.mean() / b.mean()) if b.mean() > 0 else float("nan")


def paid_for_noise(triggered: np.ndarray, outcome: np.ndarray) -> dict:
    """What is paid for noise, from a run of the contract with a known true effect of zero.

    Parameters
    ----------
    triggered : any cohort's (or the pooled) payment trigger met, per simulation
        ``(n_sims,)`` [bool]
    outcome : outcome payments per simulation ``(n_sims,)`` [currency] (or one payer's part)

    Returns
    -------
    dict: ``paid_for_noise`` P(triggered) [probability] and ``paid_for_noise_se`` its Monte
    Carlo standard error sqrt(p (1 - p) / n); ``paid_any_for_noise`` P(outcome payments > 0);
    ``expected_paid_for_noise`` the mean outcome payment [currency] and
    ``expected_paid_for_noise_se`` its standard error sd / sqrt(n).
    """
    t = np.asarray(triggered, dtype=bool)
    o = np.asarray(outcome, dtype=np.float64)
    n = t.size
    p = float(t.mean())
    return {
        "paid_for_noise": p,
        "paid_for_noise_se": float(np.sqrt(p * (1 - p) / n)),
        "paid_any_for_noise": float((o > 0).mean()),
        "expected_paid_for_noise": float(o.mean()),
        "expected_paid_for_noise_se": float(o.std(ddof=1) / np.sqrt(n)) if n > 1
        else float("nan"),
    }


def repays_only(spec) -> bool:
    """Whether every result mechanism is revenue at risk repaid when a target is missed
    (Doncaster): its outcome payments are repayments, never payments."""
    results = [p for p in spec.payments if p.type != "fee"]
    return bool(results) and all(p.type == "revenue_at_risk" and p.settle == "repay"
                                 for p in results)


def present_value(paid_monthly: np.ndarray, terms: Commissioner) -> np.ndarray:
    """What each simulation paid ``(n_sims, n_months)`` [currency, as paid], deflated to the
    prices of the contract's start at ``terms.inflation`` and discounted to its start at the
    real ``terms.discount_rate``: at ``(1 + rate)(1 + inflation) - 1`` a year, ``(n_sims,)``
    [currency of the contract's start]; row by row, so a chunk of simulations gives the same
    values as the whole run. (The Green Book's 3.5% is a real rate: until 0.24.0 it was
    applied to the cash as paid.)"""
    nominal = (1 + terms.discount_rate) * (1 + terms.inflation) - 1
    return row_dot(paid_monthly, monthly_discount_factors(nominal, paid_monthly.shape[1]))


def avoided_discount(entry_month: np.ndarray, cohort_months: int, followup_months: int,
                     discount_rate: float) -> np.ndarray:
    """The present value at the contract's start of one reoffence avoided in each cohort,
    ``(n_cohorts,)`` [fraction]: the real discount factor ``(1 + r)^(-t / 12)`` at
    ``discount_rate`` [fraction per year, real] averaged over the months ``t`` the cohort's
    reoffences fall in. ASSUMPTION: entrants evenly over the cohort's entry months (as its
    costs and fees are spread), and each entrant's reoffences evenly over the follow-up
    months from its entry month (``followup_months``: proven reoffending counts offences
    committed in that year), each valued in the month it is committed. Two departures pull
    opposite ways: reoffending is front-loaded (so they fall earlier), while much of their
    cost to the state comes at conviction, some six months on, and over a sentence (later):
    six months is a factor of ``(1 + r)^(-1/2)``, 1.7% at 3.5%."""
    v = 1 / (1 + monthly_rate(discount_rate))
    months = (np.asarray(entry_month, dtype=np.float64)[:, None, None]
              + np.arange(cohort_months)[None, :, None] + np.arange(followup_months)[None, None, :])
    return (v ** months).mean(axis=(1, 2))


def commissioner_summary(fee: np.ndarray, outcome: np.ndarray, avoided: np.ndarray,
                         no_effect: np.ndarray, pv_paid: np.ndarray,
                         terms: Commissioner, noise: dict | None = None,
                         pv_avoided: np.ndarray | None = None,
                         pv_outcome: np.ndarray | None = None) -> dict:
    """Headline figures for the commissioner.

    Parameters
    ----------
    fee, outcome : per simulation, what it paid in fees and for results ``(n_sims,)`` [currency]
    avoided : reoffences avoided against the expected counterfactual ``(n_sims,)`` [reoffences]
    no_effect : the service's true effect was nil or harmful on every measure ``(n_sims,)`` [bool]
    pv_paid : the present value of everything paid, at the commissioner's discount rate
        ``(n_sims,)`` [currency] (:func:`present_value`)
    terms : the commissioner's cost of a reoffence and discount rate
    noise : :func:`paid_for_noise` of a run of the same contract at a known zero effect
        (the same seed and simulations); its figures are included as they are
    pv_avoided : the reoffences avoided, each discounted to the contract's start at the
        real ``terms.discount_rate`` from when it falls (:func:`avoided_discount`),
        ``(n_sims,)`` [reoffences]; None: no present value of the savings
    pv_outcome : the present value of the outcome payments alone, as ``pv_paid``
        ``(n_sims,)`` [currency of the contract's start]; needed with ``pv_avoided``

    Returns
    -------
    dict. Costs per reoffence avoided are ratios of means (NaN when on average none
    are avoided). The paid-for-noise figures are ``noise``'s (see :func:`paid_for_noise`).
    ``paid_given_no_drawn_effect`` is a different figure: the chance of outcome payments
    in those simulations of this run whose drawn true effect was nil or harmful on every
    measure (NaN when there are none), and ``prob_no_effect`` how often that happens;
    ``paid_without_avoided`` the chance of paying in a simulation where no reoffences
    were in fact avoided (noise or trend), P(paid and none avoided).
    """
    if (pv_avoided is None) != (pv_outcome is None):
        raise ValueError("pv_avoided and pv_outcome: give both (the present values of the "
                         "savings and of the outcome payments) or neither")
    total = fee + outcome
    paid = outcome > 0
    out = {
        "total_paid": stats(total),
        "fees_paid": stats(fee),
        "outcome_paid": stats(outcome),
        "pv_paid": stats(pv_paid),
        "discount_rate": terms.discount_rate,
        "inflation": terms.inflation,
        "reoffences_avoided": stats(avoided),
        "cost_per_reoffence_avoided": _ratio(total, avoided),
        "outcome_cost_per_reoffence_avoided": _ratio(outcome, avoided),
        **(noise or {}),
        "prob_no_effect": float(no_effect.mean()),
        "paid_given_no_drawn_effect": float(paid[no_effect].mean()) if no_effect.any()
        else float("nan"),
        "paid_without_avoided": float((paid & (avoided <= 0)).mean()),
        "cost_per_reoffence": terms.cost_per_reoffence,
    }
    if terms.cost_per_reoffence is not None:
        value = terms.cost_per_reoffence * avoided
        out["value_of_avoided"] = stats(value)
        # against outcome payments: the fee buys a service the commissioner would buy anyway
        out["net_savings_vs_outcome"] = stats(value - outcome)
        out["net_savings_vs_total"] = stats(value - total)
        if pv_avoided is not None:
            # both sides in the prices of the contract's start, discounted to it at the real
            # rate: the Green Book's comparison of costs and benefits [GB]. Two bounds, not a
            # verdict: against outcome payments every reoffence avoided is credited to them
            # (the fee-funded service avoids some too); against all payments the whole
            # service, which the commissioner would buy anyway, is charged to them
            pv_value = terms.cost_per_reoffence * pv_avoided
            out["pv_value_of_avoided"] = stats(pv_value)
            for name, paid_pv in (("outcome", pv_outcome), ("total", pv_paid)):
                npv = pv_value - paid_pv
                out[f"npv_vs_{name}"] = stats(npv)
                out[f"prob_npv_vs_{name}_negative"] = float(np.mean(npv < 0))
    return out


def payer_summary(name: str, pays_for: list[dict], paid: np.ndarray, outcome: np.ndarray,
                  cap_binds: np.ndarray, noise: dict | None = None) -> dict:
    """One of several outcome payers' figures (see :mod:`pbr_model.payments.payers`).

    Parameters
    ----------
    name : the payer's
    pays_for : per mechanism it pays a share of: ``{"mechanism", "share", "cap"}``
    paid, outcome : what it paid per simulation, in all and for results ``(n_sims,)``
        [currency]
    cap_binds : where its cap (one over everything it pays) was reached ``(n_sims,)`` [bool]
    noise : :func:`paid_for_noise` of its own triggers and outcome payments in the run at a
        known zero effect: the same quantity as the commissioner's, for this payer

    Returns
    -------
    dict: ``name``, ``pays_for``, ``cap`` (its one maximum over everything it pays, the same
    in every mechanism that names it [currency]; None: none), ``paid`` and ``outcome_paid``
    ``{mean, p5, p50, p95}``, ``expected_paid`` [currency], ``prob_cap_binds``
    [probability] and the paid-for-noise figures under their usual names
    """
    return {"name": name, "pays_for": pays_for, "cap": pays_for[0]["cap"], "paid": stats(paid),
            "outcome_paid": stats(outcome), "expected_paid": float(np.mean(paid)),
            "prob_cap_binds": float(np.mean(cap_binds)), **(noise or {})}
