"""The result of a simulation run: one frozen object every report reads from.

Reports (terminal, JSON, Excel) never compute a figure: they read the tables
here or :meth:`SimulationResult.summary`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pandas as pd

from .measure import Evaluation
from .outcomes import Outcomes
from .stats import PERCENTILES, stats
from .payments.base import PaymentFlows
from .spec.schema import ContractSpec
from .timeline import Timeline


#: Units of every column of the result tables (for docs, JSON and workbooks).
UNITS: dict[str, str] = {
    "entrants": "people", "reoffenders": "people", "reoffences": "reoffences",
    "binary_rate": "fraction", "comparison_binary_rate": "fraction",
    "binary_reduction_points": "percentage points", "frequency": "reoffences per reoffender",
    "comparison_frequency": "reoffences per reoffender", "triggered": "bool",
    "pooled_payment": "currency",
    "frequency_reduction": "reoffences per reoffender",
    "counterfactual_reoffenders": "people (expected)",
    "counterfactual_reoffences": "reoffences (expected)",
    "reoffences_avoided": "reoffences (vs expected counterfactual)",
    "effect_binary": "fraction", "effect_frequency": "fraction",
    "fee": "currency", "outcome": "currency", "fee_payment": "currency",
    "outcome_payment": "currency",
    "revenue": "currency", "cost": "currency", "net": "currency", "npv": "currency",
    "min_cash": "currency", "peak_funding": "currency", "peak_month": "month index",
    "insolvent": "bool", "payment_month": "month index",
    "cash_in": "currency", "cash_out": "currency", "net_flow": "currency",
    "cumulative": "currency",
}


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
        comparison_binary_rate (baseline, matched group or control), binary_reduction_points,
        effect_binary, effect_frequency, reoffences_avoided, fee, outcome, pooled_payment,
        triggered (any outcome payment triggered), revenue, cost, net, npv, min_cash, peak_funding,
        peak_month, insolvent. Money in the contract currency, into the provider positive.
    cohorts : one row per (sim, cohort): counts, measured and comparison rates, the
        counterfactual, payments and the payment month
    months : one row per month (index ``month``, with ``date``): mean, p5, p50 and p95
        across simulations of cash_in, cash_out, net_flow and cumulative cash
    cash_in, cash_out : monthly flows per simulation, ``(sims, n_months)`` [currency], positive
    outcome_in : the part of ``cash_in`` paid for results, ``(sims, n_months)`` [currency]
        (negative when a provider repays); the rest of ``cash_in`` is fees
    volume_shock : the stress applied: expected entrants cut by this share (0 = none)
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
    outcome_in: np.ndarray = field(repr=False)
    volume_shock: float = 0.0
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
            "volume_shock": self.volume_shock,
            "currency": self.currency,
            "entrants": stats(s["entrants"]),
            "outcomes": {
                "binary_rate": stats(s["binary_rate"]),
                "comparison_binary_rate": stats(s["comparison_binary_rate"]),
                "binary_reduction_points": stats(s["binary_reduction_points"]),
                "frequency": stats(s["frequency"]),
                "reoffences_avoided": stats(s["reoffences_avoided"]),
                # each measure a payment rule reads, over all cohorts: treated minus
                # comparison, in the rule's units (negative = fewer)
                "measured_change": {c: stats(s[c]) for c in s.columns if "_change_" in c},
            },
            "payments": {
                "total": stats(s["fee"] + s["outcome"]),
                "fee": stats(s["fee"]),
                "outcome": stats(s["outcome"]),
                "outcome_share": stats(_share(s["outcome"], s["fee"] + s["outcome"])),
                "prob_triggered": float(s["triggered"].mean()),
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


    def tables(self) -> dict[str, object]:
        """The run's tables for researchers (``--csv``/``--parquet``): ``simulations``
        (one row per simulation), ``cohorts`` (per simulation and cohort), ``months``
        (monthly percentiles) and ``cashflows`` (per simulation and month: cash_in,
        outcome_in, cash_out; long, so produced in chunks). Units in ``attrs["units"]``."""
        return {"simulations": self.simulations, "cohorts": self.cohorts,
                "months": self.months.assign(date=pd.to_datetime(self.months["date"])),
                "cashflows": self.cashflow_chunks}

    def cashflow_chunks(self, rows: int = 2_000) -> Iterator[pd.DataFrame]:
        """Monthly flows per simulation in long form, ``rows`` simulations at a time."""
        n_months = self.cash_in.shape[1]
        for start in range(0, self.sims, rows):
            stop = min(start + rows, self.sims)
            frame = pd.DataFrame({
                "sim": np.repeat(np.arange(start, stop), n_months),
                "month": np.tile(np.arange(n_months), stop - start),
                "cash_in": self.cash_in[start:stop].reshape(-1),
                "outcome_in": self.outcome_in[start:stop].reshape(-1),
                "cash_out": self.cash_out[start:stop].reshape(-1),
            })
            frame.attrs["units"] = {"sim": None, "month": "month index", "cash_in": "currency",
                                    "outcome_in": "currency", "cash_out": "currency"}
            yield frame


#: The tables :meth:`SimulationResult.tables` gives (``--csv``/``--parquet`` file names).
SIMULATION_TABLES = ("simulations", "cohorts", "months", "cashflows")


def _change_unit(column: str) -> str:
    kind = column.rsplit("_change_", 1)[1]
    return {"points": "percentage points", "percent": "percent of the comparison"}.get(
        kind, "measure units")


def _share(part: pd.Series, whole: pd.Series) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / whole, np.nan)


#: Per-(simulation, cohort) columns of ``SimulationResult.cohorts``, in order.
COHORT_COLUMNS = [
    "entrants", "reoffenders", "reoffences", "binary_rate", "comparison_binary_rate",
    "binary_reduction_points", "frequency", "comparison_frequency", "frequency_reduction",
    "counterfactual_reoffenders", "counterfactual_reoffences", "fee_payment", "outcome_payment",
    "triggered",
]

#: Per-simulation columns computed on all cohorts pooled.
POOLED_COLUMNS = ["binary_rate", "comparison_binary_rate", "binary_reduction_points", "frequency"]


def _descriptive(evaluation: Evaluation) -> dict[str, np.ndarray]:
    """Binary rate and reoffences per reoffender, treated vs comparison, for the tables."""
    b = evaluation.estimate("binary")
    f = evaluation.estimate("frequency_per_reoffender")
    return {"binary_rate": b.treated, "comparison_binary_rate": b.comparison,
            "binary_reduction_points": b.change("points"), "frequency": f.treated,
            "comparison_frequency": f.comparison, "frequency_reduction": f.improvement}


def change_column(measure: str, change: str) -> str:
    """Per-simulation column of a rule measure's pooled change, e.g.
    ``reconviction_events_change_percent``."""
    return f"{measure}_change_{change}"


def chunk_record(outcomes: Outcomes, evaluation: Evaluation, flows: list[PaymentFlows],
                 cash_in, outcome_in, cash_out, figures,
                 rule_measures: list[tuple[str, str]] = ()) -> dict[str, np.ndarray]:
    """Keep only what the result tables need from one chunk (bounded memory):
    ``(n, n_cohorts)`` per-cohort arrays, ``(n,)`` per-simulation arrays and the
    ``(n, n_months)`` cash flows."""
    n = evaluation.n
    outcome_flows = [f for f in flows if f.kind == "outcome"]
    triggered = np.zeros(n.shape, dtype=bool)
    pooled_triggered = np.zeros(len(n), dtype=bool)
    for f in outcome_flows:
        if f.triggered is not None:
            triggered |= f.triggered
        if f.pooled_triggered is not None:
            pooled_triggered |= f.pooled_triggered
    rec = _descriptive(evaluation)
    rec.update(
        entrants=n,
        reoffenders=evaluation.treated.reoffenders,
        reoffences=evaluation.treated.reoffences,
        counterfactual_reoffenders=outcomes.counterfactual_reoffenders.sum(axis=2),
        counterfactual_reoffences=outcomes.counterfactual_reoffences.sum(axis=2),
        fee_payment=sum((f.by_cohort for f in flows if f.kind == "fee"), np.zeros(n.shape)),
        outcome_payment=sum((f.by_cohort for f in outcome_flows), np.zeros(n.shape)),
        triggered=triggered,
        effect_binary=outcomes.effect_binary,
        effect_frequency=outcomes.effect_frequency,
        fee=sum((f.total for f in flows if f.kind == "fee"), np.zeros(len(n))),
        outcome=sum((f.total for f in outcome_flows), np.zeros(len(n))),
        pooled_payment=sum((f.pooled for f in outcome_flows if f.pooled is not None),
                           np.zeros(len(n))),
        any_triggered=triggered.any(axis=1) | pooled_triggered,
        cash_in=cash_in,
        outcome_in=outcome_in,
        cash_out=cash_out,
    )
    pooled = evaluation.pooled()
    rec.update({f"pool_{k}": v[:, 0] for k, v in _descriptive(pooled).items()
                if k in POOLED_COLUMNS})
    # what the rules read, over all cohorts, treated minus comparison as published
    rec.update({f"mc_{change_column(m, c)}": pooled.estimate(m).published_change(c)[:, 0]
                for m, c in rule_measures})
    rec.update({f"fig_{k}": getattr(figures, k) for k in figures.__dataclass_fields__})
    return rec


def build_result(parts: list[dict], *, spec: ContractSpec, spec_sha256: str, source: str,
                 seed: int, sims: int, sampling: str, version: str,
                 timeline: Timeline, volume_shock: float = 0.0) -> SimulationResult:
    """Assemble the tables from the chunk records (in simulation order)."""
    def cat(name: str) -> np.ndarray:
        return np.concatenate([p.pop(name) for p in parts])  # pop: free chunks as we go

    per_cohort = {name: cat(name) for name in COHORT_COLUMNS}
    n, k, r = per_cohort["entrants"], per_cohort["reoffenders"], per_cohort["reoffences"]
    fig = {name.removeprefix("fig_"): cat(name) for name in list(parts[0]) if name.startswith("fig_")}
    simulations = pd.DataFrame({
        "entrants": n.sum(1),
        "reoffenders": k.sum(1),
        "reoffences": r.sum(1),
        **{name: cat(f"pool_{name}") for name in POOLED_COLUMNS},
        "reoffences_avoided": per_cohort["counterfactual_reoffences"].sum(1) - r.sum(1),
        "effect_binary": cat("effect_binary"),
        "effect_frequency": cat("effect_frequency"),
        "fee": cat("fee"),
        "outcome": cat("outcome"),
        "pooled_payment": cat("pooled_payment"),
        "triggered": cat("any_triggered"),
        **{name.removeprefix("mc_"): cat(name) for name in list(parts[0])
           if name.startswith("mc_")},
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
    simulations.attrs["units"] = {c: UNITS.get(c) or _change_unit(c) for c in simulations.columns}

    index = pd.MultiIndex.from_product([range(sims), range(timeline.n_cohorts)],
                                       names=["sim", "cohort"])
    columns = {name: per_cohort.pop(name).reshape(-1) for name in COHORT_COLUMNS}
    columns["payment_month"] = np.tile(timeline.payment_month, sims)
    cohorts = pd.DataFrame(columns, index=index, copy=False)
    del columns
    cohorts.attrs["units"] = {c: UNITS[c] for c in cohorts.columns}

    cash_in, outcome_in, cash_out = cat("cash_in"), cat("outcome_in"), cat("cash_out")
    months = _month_table(timeline, cash_in, cash_out)
    for a in (cash_in, outcome_in, cash_out):
        a.setflags(write=False)
    return SimulationResult(
        spec=spec, spec_sha256=spec_sha256, source=source, seed=seed, sims=sims,
        sampling=sampling, version=version, timeline=timeline, simulations=simulations,
        cohorts=cohorts, months=months, cash_in=cash_in, outcome_in=outcome_in,
        cash_out=cash_out, volume_shock=volume_shock,
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
    table.attrs["units"] = {c: "date" if c == "date" else "currency" for c in table.columns}
    return table
