"""``pbr show``: a contract's terms and its figures at the expected effect, before any
Monte Carlo.

Computed with the engine's noise-free mode (every draw at its expected value), so the
figures are the contract "at the expected effect".
"""

from __future__ import annotations

from dataclasses import dataclass


from ..effects import implied_cuts
from ..payments import first_result_month
from ..scenarios import with_effect
from ..spec import LoadedSpec
from ..spec.schema import ContractSpec
from .base import HasProvenance, Provenance, contract_provenance
from .simulate import SimulationResult, simulate


@dataclass(frozen=True)
class ShowResult(HasProvenance):
    """A contract's terms and derived figures.

    Attributes
    ----------
    provenance : the spec's name, file and hash, versions (nothing is drawn)
    loaded : the validated spec with its source and hash
    figures : the figures at the expected effect (see :func:`derived_figures`) [currency,
        months, dates as ISO text]
    """

    provenance: Provenance
    loaded: LoadedSpec
    figures: dict

    @property
    def spec(self) -> ContractSpec:
        return self.loaded.spec

    def to_dict(self) -> dict:
        """The ``--json`` object: provenance, the figures at the expected effect and the
        validated spec (every field, defaults filled in)."""
        return {**self.provenance.to_dict(), "figures": self.figures,
                "spec": self.spec.model_dump(mode="json")}

    def tables(self) -> dict[str, object]:
        """``figures``: one row per derived figure (``--csv``/``--parquet``)."""
        import pandas as pd
        frame = pd.DataFrame({"figure": list(self.figures),
                              "value": ["" if v is None else str(v)
                                         for v in self.figures.values()]})
        return {"figures": frame}


def show(spec: ContractSpec | LoadedSpec) -> ShowResult:
    """The contract's terms and its figures at the expected effect (no Monte Carlo)."""
    loaded = LoadedSpec.of(spec)
    return ShowResult(contract_provenance(loaded), loaded, derived_figures(loaded))


def expected_run(spec: ContractSpec | LoadedSpec) -> SimulationResult:
    """One noise-free run: volumes, effects and trend at their means, counts at expectations."""
    return simulate(spec, sims=1, sampling="expected")


def derived_figures(spec: ContractSpec | LoadedSpec) -> dict[str, float | int | str]:
    """Headline figures at the expected effect (money in the contract currency)."""
    run = expected_run(spec)
    s = {name: values[0] for name, values in run.sim_columns.items()}  # the one simulation
    tl = run.timeline
    dates = tl.dates()
    first = first_result_month(run.spec, tl)
    return {
        "cohorts": tl.n_cohorts,
        "expected_entrants": float(s["entrants"]),
        "expected_paid_volume": float(s["paid_volume"]),
        "comparison_binary_rate": float(s["comparison_binary_rate"]),
        "comparison_frequency": float(run.cohort_columns["comparison_frequency"][0, 0]),
        "timeline_months": tl.n_months,
        # when the rules can first pay for results (a pooled schedule: at the end), or None
        "first_outcome_payment": None if first is None else dates[first].isoformat(),
        "first_outcome_payment_month": first,
        "last_cash_flow": dates[-1].isoformat(),
        "fee_revenue": float(s["fee"]),
        "outcome_revenue": float(s["outcome"]),
        # the same run with the service's true effect at 0: what the comparison (the trend,
        # against a historical baseline) pays without the service
        "outcome_revenue_zero_effect": float(
            expected_run(with_effect(run.spec, 0.0)).sim_columns["outcome"][0]),
        "revenue_at_risk_share": _at_risk(run, s),
        "cost": float(s["cost"]),
        "net": float(s["net"]),
        "npv": float(s["npv"]),
        "peak_funding": float(s["peak_funding"]),
        "peak_month": int(s["peak_month"]),
        # the contract's own need (with a [sib], what the bond funds): before any financing
        "peak_funding_before_financing": float(s["peak_funding_before_financing"]),
        "peak_month_before_financing": int(s["peak_month_before_financing"]),
        **trend_at_first_cohort(run),
        # the expected effect in each measure's terms (at the baseline mix), beside it
        **{f"implied_{k}": v for k, v in implied_cuts(run.spec).items()},
    }


def trend_at_first_cohort(run: SimulationResult) -> dict[str, float]:
    """The national trend's expected move from the baseline to the first cohort, pre-contract
    segments included: ``trend_binary_points_cohort_1`` (the counterfactual binary rate less
    the bands' baseline rate) [percentage points] and ``trend_frequency_change_cohort_1``
    (counterfactual reoffences per reoffender over the baseline's, less 1) [fraction]."""
    bands = run.spec.population.bands
    share = sum(b.share for b in bands)
    p0 = sum(b.share * b.binary_rate for b in bands) / share
    m0 = sum(b.share * b.binary_rate * b.reoffences_per_reoffender for b in bands) / share / p0
    c = {name: float(values[0, 0]) for name, values in run.cohort_columns.items()}  # cohort 1
    reoffenders = c["counterfactual_reoffenders"]
    # rates of a cohort with no one in it (a volume of 0) are undefined: NaN, shown as "-"
    return {"trend_binary_points_cohort_1":
            100 * (reoffenders / c["entrants"] - p0) if c["entrants"] > 0 else float("nan"),
            "trend_frequency_change_cohort_1":
            c["counterfactual_reoffences"] / reoffenders / m0 - 1 if reoffenders > 0
            else float("nan")}


def _at_risk(run: SimulationResult, s) -> float:
    """Share of revenue that depends on results: outcome payments earned, plus any sums
    paid up front that are repaid if a target is missed."""
    repayable = sum(m.amount * run.timeline.n_cohorts for m in run.spec.payments
                    if m.type == "revenue_at_risk" and m.settle == "repay")
    at_risk = max(float(s["outcome"]), 0.0) + repayable
    return at_risk / float(s["revenue"]) if s["revenue"] > 0 else 0.0
