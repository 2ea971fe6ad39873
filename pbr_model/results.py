"""The result of a simulation run: one frozen object every report reads from.

Reports (terminal, JSON, Excel) never compute a figure: they read the tables
here or :meth:`SimulationResult.summary`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .spec.schema import ContractSpec
from .timeline import Timeline

PERCENTILES = {"p5": 5, "p50": 50, "p95": 95}

#: Units of every column of the result tables (for docs, JSON and workbooks).
UNITS: dict[str, str] = {
    "entrants": "people", "reoffenders": "people", "reoffences": "reoffences",
    "binary_rate": "fraction", "baseline_binary_rate": "fraction",
    "binary_reduction_points": "percentage points", "frequency": "reoffences per reoffender",
    "baseline_frequency": "reoffences per reoffender",
    "frequency_reduction": "reoffences per reoffender",
    "counterfactual_reoffenders": "people (expected)",
    "counterfactual_reoffences": "reoffences (expected)",
    "reoffences_avoided": "reoffences (vs expected counterfactual)",
    "effect_binary": "fraction", "effect_frequency": "fraction",
    "fee": "currency", "outcome": "currency", "binary_payment": "currency",
    "frequency_payment": "currency", "fee_payment": "currency", "outcome_payment": "currency",
    "revenue": "currency", "cost": "currency", "net": "currency", "npv": "currency",
    "min_cash": "currency", "peak_funding": "currency", "peak_month": "month index",
    "insolvent": "bool", "payment_month": "month index",
    "cash_in": "currency", "cash_out": "currency", "net_flow": "currency",
    "cumulative": "currency",
}


def stats(values: np.ndarray) -> dict[str, float]:
    """Mean and percentiles (linear interpolation) of per-simulation values."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"mean": float("nan"), **{k: float("nan") for k in PERCENTILES}}
    q = np.percentile(v, list(PERCENTILES.values()))
    return {"mean": float(v.mean()), **{k: float(x) for k, x in zip(PERCENTILES, q)}}


@dataclass(frozen=True)
class SimulationResult:
    """Everything one run produced.

    Attributes
    ----------
    spec : the validated contract spec that was run
    spec_sha256 : fingerprint of ``spec`` (see :func:`pbr_model.spec.spec_sha256`)
    source : the file or bundled name the spec came from
    seed, sims, sampling, version : how it was run; with ``spec_sha256`` they fix every number
    timeline : the contract calendar
    simulations : one row per simulation (index ``sim``); columns in :data:`UNITS`:
        entrants, reoffenders, reoffences, binary_rate, frequency (pooled over cohorts),
        baseline_binary_rate, binary_reduction_points, effect_binary, effect_frequency,
        reoffences_avoided, fee, outcome, revenue, cost, net, npv, min_cash, peak_funding,
        peak_month, insolvent. Money in the contract currency, into the provider positive.
    cohorts : one row per (sim, cohort): counts, measured and baseline rates, the
        counterfactual, payments and the payment month
    months : one row per month (index ``month``, with ``date``): mean, p5, p50 and p95
        across simulations of cash_in, cash_out, net_flow and cumulative cash
    cash_in, cash_out : monthly flows per simulation, ``(sims, n_months)`` [currency], positive
    created : when the run finished (UTC)
    """

    spec: ContractSpec
    spec_sha256: str
    source: str
    seed: int
    sims: int
    sampling: str
    version: str
    timeline: Timeline
    simulations: pd.DataFrame
    cohorts: pd.DataFrame
    months: pd.DataFrame
    cash_in: np.ndarray = field(repr=False)
    cash_out: np.ndarray = field(repr=False)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def currency(self) -> str:
        return self.spec.contract.currency

    def cumulative_cash(self) -> np.ndarray:
        """Cumulative net cash per simulation and month, ``(sims, n_months)`` [currency]."""
        return np.cumsum(self.cash_in - self.cash_out, axis=1)

    def summary(self) -> dict:
        """The headline figures (the ``--json`` object and the workbook's Summary).

        Each figure is ``{"mean", "p5", "p50", "p95"}`` across simulations, except
        probabilities. Money in the contract currency; rates as fractions.
        """
        s = self.simulations
        return {
            "contract": self.spec.contract.name,
            "source": self.source,
            "spec_sha256": self.spec_sha256,
            "version": self.version,
            "seed": self.seed,
            "sims": self.sims,
            "sampling": self.sampling,
            "currency": self.currency,
            "entrants": stats(s["entrants"]),
            "outcomes": {
                "binary_rate": stats(s["binary_rate"]),
                "baseline_binary_rate": stats(s["baseline_binary_rate"]),
                "binary_reduction_points": stats(s["binary_reduction_points"]),
                "frequency": stats(s["frequency"]),
                "reoffences_avoided": stats(s["reoffences_avoided"]),
            },
            "payments": {
                "total": stats(s["fee"] + s["outcome"]),
                "fee": stats(s["fee"]),
                "outcome": stats(s["outcome"]),
                "outcome_share": stats(_share(s["outcome"], s["fee"] + s["outcome"])),
                "prob_any_outcome_payment": float((s["outcome"] > 0).mean()),
            },
            "provider": {
                "revenue": stats(s["revenue"]),
                "cost": stats(s["cost"]),
                "net": stats(s["net"]),
                "npv": stats(s["npv"]),
                "peak_funding": stats(s["peak_funding"]),
                "peak_month": stats(s["peak_month"].where(s["peak_month"] >= 0)),
                "prob_loss": float((s["net"] < 0).mean()),
                "prob_insolvent": float(s["insolvent"].mean()),
            },
        }


def _share(part: pd.Series, whole: pd.Series) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / whole, np.nan)


#: Per-(simulation, cohort) columns of ``SimulationResult.cohorts``, in order.
COHORT_COLUMNS = [
    "entrants", "reoffenders", "reoffences", "binary_rate", "baseline_binary_rate",
    "binary_reduction_points", "frequency", "baseline_frequency", "frequency_reduction",
    "counterfactual_reoffenders", "counterfactual_reoffences", "fee_payment", "binary_payment",
    "frequency_payment", "outcome_payment",
]


def chunk_record(outcomes, measures, flows, cash_in, cash_out, figures) -> dict[str, np.ndarray]:
    """Keep only what the result tables need from one chunk (bounded memory):
    ``(n, n_cohorts)`` per-cohort arrays, ``(n,)`` per-simulation arrays and the
    ``(n, n_months)`` cash flows."""
    zeros = np.zeros(measures.n.shape)

    def by_kind(kind: str, part: str | None = None) -> np.ndarray:
        return sum(((f.parts[part] if part else f.by_cohort) for f in flows
                    if f.kind == kind and (part is None or part in f.parts)), zeros)

    rec = {name: getattr(measures, name) for name in (
        "reoffenders", "reoffences", "binary_rate", "baseline_binary_rate",
        "binary_reduction_points", "frequency", "baseline_frequency", "frequency_reduction")}
    rec.update(
        entrants=measures.n,
        counterfactual_reoffenders=outcomes.counterfactual_reoffenders.sum(axis=2),
        counterfactual_reoffences=outcomes.counterfactual_reoffences.sum(axis=2),
        fee_payment=by_kind("fee"),
        binary_payment=by_kind("outcome", "binary"),
        frequency_payment=by_kind("outcome", "frequency"),
        outcome_payment=by_kind("outcome"),
        effect_binary=outcomes.effect_binary,
        effect_frequency=outcomes.effect_frequency,
        fee=sum((f.monthly.sum(axis=1) for f in flows if f.kind == "fee"), np.zeros(len(cash_in))),
        outcome=sum((f.monthly.sum(axis=1) for f in flows if f.kind == "outcome"),
                    np.zeros(len(cash_in))),
        cash_in=cash_in,
        cash_out=cash_out,
    )
    rec.update({f"fig_{k}": getattr(figures, k) for k in figures.__dataclass_fields__})
    return rec


def build_result(parts: list[dict], *, spec: ContractSpec, spec_sha256: str, source: str,
                 seed: int, sims: int, sampling: str, version: str,
                 timeline: Timeline) -> SimulationResult:
    """Assemble the tables from the chunk records (in simulation order)."""
    def cat(name: str) -> np.ndarray:
        return np.concatenate([p.pop(name) for p in parts])  # pop: free chunks as we go

    per_cohort = {name: cat(name) for name in COHORT_COLUMNS}
    n, k, r = per_cohort["entrants"], per_cohort["reoffenders"], per_cohort["reoffences"]
    expected_k = np.nansum(per_cohort["baseline_binary_rate"] * n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim_binary = k.sum(1) / n.sum(1)
        sim_base = expected_k / n.sum(1)
        sim_reduction = 100 * (expected_k - k.sum(1)) / n.sum(1)  # from counts, as per cohort
        sim_freq = r.sum(1) / k.sum(1)
    fig = {name.removeprefix("fig_"): cat(name) for name in list(parts[0]) if name.startswith("fig_")}
    simulations = pd.DataFrame({
        "entrants": n.sum(1),
        "reoffenders": k.sum(1),
        "reoffences": r.sum(1),
        "binary_rate": sim_binary,
        "baseline_binary_rate": sim_base,
        "binary_reduction_points": sim_reduction,
        "frequency": sim_freq,
        "reoffences_avoided": per_cohort["counterfactual_reoffences"].sum(1) - r.sum(1),
        "effect_binary": cat("effect_binary"),
        "effect_frequency": cat("effect_frequency"),
        "fee": cat("fee"),
        "outcome": cat("outcome"),
        "revenue": fig["revenue"],
        "cost": fig["cost"],
        "net": fig["net"],
        "npv": fig["npv"],
        "min_cash": fig["min_cash"],
        "peak_funding": fig["peak_funding"],
        "peak_month": fig["peak_month"],
        "insolvent": fig["insolvent"],
    })
    simulations.index.name = "sim"
    simulations.attrs["units"] = {c: UNITS[c] for c in simulations.columns}

    index = pd.MultiIndex.from_product([range(sims), range(timeline.n_cohorts)],
                                       names=["sim", "cohort"])
    columns = {name: per_cohort.pop(name).reshape(-1) for name in COHORT_COLUMNS}
    columns["payment_month"] = np.tile(timeline.payment_month, sims)
    cohorts = pd.DataFrame(columns, index=index, copy=False)
    del columns
    cohorts.attrs["units"] = {c: UNITS[c] for c in cohorts.columns}

    cash_in, cash_out = cat("cash_in"), cat("cash_out")
    months = _month_table(timeline, cash_in, cash_out)
    for a in (cash_in, cash_out):
        a.setflags(write=False)
    return SimulationResult(
        spec=spec, spec_sha256=spec_sha256, source=source, seed=seed, sims=sims,
        sampling=sampling, version=version, timeline=timeline, simulations=simulations,
        cohorts=cohorts, months=months, cash_in=cash_in, cash_out=cash_out,
    )


def _month_table(timeline: Timeline, cash_in: np.ndarray, cash_out: np.ndarray) -> pd.DataFrame:
    net = cash_in - cash_out
    series = {"cash_in": cash_in, "cash_out": cash_out, "net_flow": net,
              "cumulative": np.cumsum(net, axis=1)}
    cols: dict[str, object] = {"date": timeline.dates()}
    for name, arr in series.items():
        cols[f"{name}_mean"] = arr.mean(axis=0)
        for label, q in zip(PERCENTILES, np.percentile(arr, list(PERCENTILES.values()), axis=0)):
            cols[f"{name}_{label}"] = q
    table = pd.DataFrame(cols)
    table.index.name = "month"
    return table
