"""``pbr simulate``: Monte Carlo a contract, and the result every report reads from.

Simulations run in chunks (:mod:`pbr_model.engine`) so memory stays bounded; which
random numbers each simulation gets is fixed by :mod:`pbr_model.rng`, so no number
depends on the chunk size. Reports (terminal, JSON, Excel) never compute a figure:
they read the tables here or :meth:`SimulationResult.summary`.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Mapping

import numpy as np

from ..engine import (DEFAULT_CHUNK, DEFAULT_SEED, POOLED_COLUMNS,  # noqa: F401
                      change_column, finish)
from ..effects import implied_cuts
from ..errors import InputError
from ..outcomes import ExpectedSampler, simulate_outcomes
from ..payments import outcome_directions, pays_only_back
from ..spec import LoadedSpec
from ..spec.schema import ContractSpec
from ..stats import PERCENTILES, stats
from ..timeline import Timeline
from .base import HasProvenance, Provenance, contract_provenance, frame, month_dates
from .run_tables import RunTables
from .runs import Progress, chunk_records, prepared
from .stream import (COHORT_COLUMNS, Parts, Reduce, _month_columns, _sketched_months,
                     build_result, check_summary_only, figures_only, keeps_detail,
                     needs_detail, share_values,
                     spooled_cohort, spooled_months)
from .units import unit_of

if TYPE_CHECKING:  # pandas is imported only when a table is asked for (base.frame)
    import pandas as pd

    from .capital_stream import Split, Streamed
    from .spool import Spool


@dataclass(frozen=True)
class SimulationResult(HasProvenance, RunTables):
    """Everything one run produced.

    Attributes
    ----------
    provenance : how it was run (spec hash, seed, sims, versions, platform, volume shock,
        when); with the spec they fix every number
    spec : the validated contract spec that was run
    sampling : ``"random"``, or ``"expected"`` for a noise-free run
    timeline : the contract calendar
    sim_columns, cohort_columns, month_columns : the three tables below as numpy columns
        (``(sims,)``, ``(sims, n_cohorts)`` and one value per month), which the summary
        and the commands read; the tables are built from them on first use (pandas)
    simulations : one row per simulation (index ``sim``); columns in :data:`UNITS`:
        entrants (the caseload), paid_volume (what per-participant fees are paid on),
        reoffenders, reoffences, binary_rate, frequency (pooled over cohorts),
        comparison_binary_rate (baseline, matched group or control), binary_reduction_points,
        effect_binary, effect_frequency, volume_factor and paid_volume_factor (the caseload
        and paid-volume factors drawn), reoffences_avoided, fee (with any renegotiation lump
        sums), outcome, pooled_payment, renegotiation (lump sums), renegotiated (any
        ``[[renegotiation]]`` applied),
        triggered (any outcome payment triggered), revenue, cost, net, npv (before
        financing), min_cash, peak_funding, peak_month, insolvent, first_shortfall_month
        (-1: never), financing_cost (read from the balance with financing carried in it,
        see :func:`~pbr_model.finance.cash.financed_balance`),
        peak_funding_before_financing and peak_month_before_financing (of the flows alone,
        the month -1 where they never dip below 0); with a ``[termination]``,
        terminated and termination_month (the first month not served, -1 where it ran its
        length). Money in the contract
        currency, into the provider positive.
    cohorts : one row per (sim, cohort): counts, measured and comparison rates, the
        counterfactual, payments and the payment month
    months : one row per month (index ``month``, with ``date``): mean, p5, p50 and p95
        across simulations of cash_in, cash_out, net_flow and cumulative cash
    cash_in, cash_out : monthly flows per simulation, ``(sims, n_months)`` [currency], positive
    outcome_in : the part of ``cash_in`` paid for results, ``(sims, n_months)`` [currency]
        (negative when a provider repays); the rest of ``cash_in`` is fees
    cohorts_triggered : a run that kept its figures only: how many cohorts each simulation
        triggered an outcome payment in, ``(sims,)`` [cohorts]
    """

    provenance: Provenance
    spec: ContractSpec
    sampling: str
    timeline: Timeline
    sim_columns: dict[str, np.ndarray] = field(repr=False)
    cohort_columns: dict[str, np.ndarray] | None = field(repr=False)
    cash_in: np.ndarray | None = field(repr=False)
    cash_out: np.ndarray | None = field(repr=False)
    outcome_in: np.ndarray | None = field(repr=False)
    sketches: dict | None = field(default=None, repr=False)
    spool: Spool | None = field(default=None, repr=False)
    investors: list | None = field(default=None, repr=False)
    #: A streamed capital run's split between its parties, folded from its chunks
    #: (:class:`~pbr_model.analyses.capital_stream.Streamed`; None: not asked for).
    split: Streamed | None = field(default=None, repr=False)
    #: The run kept its per-simulation figures only (``simulate(..., summary_only=True)``):
    #: its summary and simulations table, no monthly or per-cohort arrays or sketches.
    summary_only: bool = False
    #: A run that kept its figures only: how many cohorts each simulation triggered an
    #: outcome payment in, ``(sims,)`` [cohorts] (for :meth:`cohort_mean` of ``triggered``).
    cohorts_triggered: np.ndarray | None = field(default=None, repr=False)

    @property
    def detail(self) -> bool:
        """Whether the run kept every simulation's monthly and per-cohort arrays (else it
        was streamed, see :mod:`pbr_model.analyses.stream`, or kept its summary only)."""
        return self.sketches is None and not self.summary_only

    def needs_detail(self, what: str) -> None:
        """Raise ``InputError`` when the run was streamed or kept its summary only
        (``what`` names what needs its arrays)."""
        if not self.detail:
            raise needs_detail(what, self.sims, self.summary_only)

    def _needs_months(self, what: str) -> None:
        """Raise ``InputError`` for a run that kept its summary only (``what`` names what
        needs its monthly or per-cohort figures, kept or sketched)."""
        if self.summary_only:
            raise figures_only(what)

    @cached_property
    def month_columns(self) -> dict[str, object]:
        """The ``months`` table as columns (one value per month), computed when first asked
        for (the summary does not read it): exact from the kept arrays, or from the sketches
        of a streamed run (exact again from its spool, when it has one)."""
        self._needs_months("the months table")
        if self.detail:
            return _month_columns(self.timeline, self.cash_in, self.cash_out)
        if self.spool is not None:
            return spooled_months(self.timeline, self.spool)
        return _sketched_months(self.timeline, self.sketches)

    def cohort_mean(self, column: str) -> float:
        """The mean of a per-cohort column over every simulation and cohort (of a run that
        kept its figures only, ``triggered``'s alone: from its count of cohorts triggered,
        the same number as with detail)."""
        if self.cohorts_triggered is not None and column == "triggered":
            count = self.cohorts_triggered.sum()     # whole numbers: exact in any order
            return float(count / (len(self.cohorts_triggered) * self.timeline.n_cohorts))
        self._needs_months(f"the mean of {column} over cohorts")
        if self.detail:
            return float(self.cohort_columns[column].mean())
        sketch = self.sketches[f"cohort:{column}"]     # all cells' total over their count:
        return float(sketch.total().sum() / sketch.valid.sum())   # exact for 0/1 columns

    def cohort_stats(self, column: str) -> list[dict]:
        """Per cohort, ``{"mean", "p5", "p50", "p95"}`` across simulations of a column of
        :data:`COHORT_COLUMNS` (or ``outcome_paid``/``outcome_repaid``: the chance), exact
        with detail, from the sketch when streamed (which keeps percentiles of
        :data:`~pbr_model.analyses.stream.COHORT_PERCENTILES` only: NaN for the others)."""
        self._needs_months(f"the figures of {column} by cohort")
        k = self.timeline.n_cohorts
        if self.detail:
            values = self.cohort_columns[column].astype(np.float64) \
                if column in COHORT_COLUMNS \
                else share_values(column, self.cohort_columns["outcome_payment"])
            return [stats(values[:, j]) for j in range(k)]
        if self.spool is not None:     # one cohort's values at a time, from disk
            return [stats(spooled_cohort(self.spool, column, j)) for j in range(k)]
        sketch = self.sketches[f"cohort:{column}"]
        mean, q = sketch.mean(), sketch.percentiles(list(PERCENTILES.values()))
        return [{"mean": float(mean[j]), **{label: float(q[i, j]) for i, label
                                           in enumerate(PERCENTILES)}} for j in range(k)]

    @cached_property
    def simulations(self) -> pd.DataFrame:
        """One row per simulation (index ``sim``), units in ``attrs["units"]``."""
        return frame(self.sim_columns, index_name="sim",
                     units={c: unit_of(c)
                            for c in self.sim_columns})

    @cached_property
    def cohorts(self) -> pd.DataFrame:
        """One row per (simulation, cohort) (index ``sim``, ``cohort``): every row at once,
        read from the spool of a spooled run (:meth:`cohort_chunks` reads a few thousand
        simulations at a time)."""
        self.needs_tables("the cohorts table")
        return self._cohort_rows(0, self.sims)

    @cached_property
    def months(self) -> pd.DataFrame:
        """One row per month (index ``month``): the date, and the mean and percentiles
        across simulations of each monthly flow."""
        return frame(self.month_columns, index_name="month",
                     units={c: "date" if c == "date" else "currency" for c in self.month_columns})

    def cumulative_cash(self) -> np.ndarray:
        """Cumulative net cash per simulation and month, ``(sims, n_months)`` [currency]."""
        self.needs_detail("the cumulative cash of each simulation")
        return np.cumsum(self.cash_in - self.cash_out, axis=1)

    def summary(self) -> dict:
        """The headline figures (the ``--json`` object and the workbook's Summary).

        Each figure is ``{"mean", "p5", "p50", "p95"}`` across simulations, except
        probabilities. Money in the contract currency; rates as fractions.
        """
        s = self.sim_columns
        summary = {
            **self.provenance.to_dict(),
            "sampling": self.sampling,
            "entrants": stats(s["entrants"]),
            "paid_volume": stats(s["paid_volume"]),
            # the true effect's mean in each measure's terms, at the baseline mix
            "true_effect": implied_cuts(self.spec),
            "outcomes": {
                "binary_rate": stats(s["binary_rate"]),
                "comparison_binary_rate": stats(s["comparison_binary_rate"]),
                "binary_reduction_points": stats(s["binary_reduction_points"]),
                "frequency": stats(s["frequency"]),
                "reoffences_avoided": stats(s["reoffences_avoided"]),
                # each measure a payment rule reads, over all cohorts: treated minus
                # comparison, in the rule's units (negative = fewer)
                "measured_change": {c: stats(s[c]) for c in s if "_change_" in c},
            },
            "payments": {
                "total": stats(s["fee"] + s["outcome"]),
                "fee": stats(s["fee"]),
                "outcome": stats(s["outcome"]),
                "outcome_share": stats(_share(s["outcome"], s["fee"] + s["outcome"])),
                "prob_triggered": float(s["triggered"].mean()),
                # a mechanism that only repays (Doncaster) has no "any payment" to count
                **({} if pays_only_back(self.spec) else
                   {"prob_any_outcome_payment": float((s["outcome"] > 0).mean())}),
                **({"prob_repayment": float((s["outcome"] < 0).mean())}
                   if "repay" in outcome_directions(self.spec) else {}),
                "renegotiation": stats(s["renegotiation"]),
                "prob_renegotiated": float(s["renegotiated"].mean()),
            },
            "provider": {
                "revenue": stats(s["revenue"]),
                "cost": stats(s["cost"]),
                "net": stats(s["net"]),
                "npv": stats(s["npv"]),
                "peak_funding": stats(s["peak_funding"]),
                "peak_month": stats(where(s["peak_month"], s["peak_month"] >= 0)),
                "peak_funding_before_financing": stats(s["peak_funding_before_financing"]),
                "peak_month_before_financing": stats(where(
                    s["peak_month_before_financing"], s["peak_month_before_financing"] >= 0)),
                "prob_loss": float((s["net"] < 0).mean()),
                "prob_insolvent": float(s["insolvent"].mean()),
                "first_shortfall_month": stats(where(
                    s["first_shortfall_month"], s["first_shortfall_month"] >= 0)),
                "financing_cost": stats(s["financing_cost"]),
                # with a [sib], the figures after financing carry the bond (engine.bond_funded)
                "with_bond": self.spec.sib is not None,
            },
            **({"termination": termination_summary(s)} if "terminated" in s else {}),
        }
        provider = summary["provider"]
        provider.update(month_dates(provider, self.timeline.dates()))
        return summary
    to_dict = summary

    def to_frame(self) -> pd.DataFrame:
        """One row per simulation (index ``sim``; a copy of :attr:`simulations`)."""
        return self.simulations.copy()

    def to_xarray(self):
        """Every simulation's figures by simulation, cohort and month, as an
        ``xarray.Dataset`` (see :func:`pbr_model.analyses.labelled.simulation_dataset`)."""
        from .labelled import simulation_dataset
        return simulation_dataset(self)


#: The tables :meth:`SimulationResult.tables` gives (``--csv``/``--parquet`` file names).
SIMULATION_TABLES = ("simulations", "cohorts", "months", "cashflows")


def termination_summary(s: Mapping) -> dict:
    """With a ``[termination]``: the chance the contract stopped early [probability] and
    the stop month (the first month not served) where it did, ``{mean, p5, p50, p95}``
    [month index]; ``s`` maps column names to per-simulation values."""
    terminated = np.asarray(s["terminated"])
    return {"prob_terminated": float(terminated.mean()),
            "month": stats(where(s["termination_month"], terminated))}


def where(values, keep) -> np.ndarray:
    """``values`` as floats where ``keep``, NaN elsewhere (as ``Series.where`` gives)."""
    return np.where(np.asarray(keep), np.asarray(values, dtype=np.float64), np.nan)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / whole, np.nan)


def simulate(
    spec: ContractSpec | LoadedSpec,
    sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    sampling: Literal["random", "expected"] = "random",
    volume_shock: float = 0.0,
    paid_volume_shock: float | None = None,
    caseload_shock: float | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    detail: bool | None = None,
    draws: Literal["exact", "approx"] = "exact",
    spool: str | Path | None = None,
    investors: bool = False,
    split: Split | None = None,
    summary_only: bool = False,
) -> SimulationResult:
    """Monte Carlo simulate a contract.

    Parameters
    ----------
    spec : a validated spec (``load_spec(...)`` or a ``ContractSpec``)
    sims : number of simulations
    seed : seed of the random numbers; with the spec and package version it fixes every number
    chunk_size : simulations processed at once (rounded up to a multiple of 1,024); bounds
        memory and changes no result
    sampling : ``"random"``, or ``"expected"`` to replace every draw by its expected value
        (a noise-free run: volumes, effects and trend at their means, counts at expectations)
    volume_shock : stress test: the planned paid volume and caseload both fall by this share
        (0.3 = 30% fewer; -0.2 = 20% more) on top of the random volume factors, so fees and
        per-participant costs fall together; the cost base and the annual fee stay as planned
    paid_volume_shock : the planned paid volume (what per-participant fees are paid on)
        falls by this share instead of ``volume_shock``
    caseload_shock : the planned caseload (who is supervised, costs money and is measured)
        falls by this share instead of ``volume_shock`` (negative: a rise)
    progress : called as ``progress(done, total)`` after each chunk
    executor : where the chunks run: any :class:`concurrent.futures.Executor` (local
        processes, a Dask cluster's ``client.get_executor()``); ``None`` here. Changes no
        number (:mod:`pbr_model.parallel`)
    detail : keep every simulation's monthly and per-cohort arrays (True), stream them into
        means and sketched percentiles (False), or decide by size (None, the default: see
        :mod:`pbr_model.analyses.stream`)
    draws : ``"exact"`` (the default) draws every count from its exact law; ``"approx"``
        draws large cells from their normal approximation (:mod:`pbr_model.approx`)
    spool : a folder (it must exist) where a run that is streamed writes its per-cohort
        and monthly arrays as they are made, in a temporary folder of its own
        (:mod:`pbr_model.analyses.spool`), so its :meth:`~SimulationResult.tables` can be
        written whatever its size; removed by :meth:`SimulationResult.close`, when the
        result is garbage-collected, or at exit. ``None``: a streamed run keeps no
        tables. A run that keeps its detail in memory ignores it
    investors : a streamed run of a contract with a ``[sib]`` also works out each
        tranche's figures per simulation in its chunks (what the workbook's and the page's
        IRR distributions read: :func:`~pbr_model.analyses.runs.sib_investors`), since it
        keeps no monthly cash to work them out from afterwards. A run that keeps its
        arrays, in memory or spooled, works them out when asked, and ignores this
    split : a streamed run also splits each chunk between a capital run's parties in the
        chunk's task (a :class:`~pbr_model.analyses.capital_stream.Split`), folded into
        ``result.split`` (:func:`pbr_model.capital` passes it); a run that keeps its arrays
        ignores it
    summary_only : keep only the per-simulation figures (what :meth:`~SimulationResult.summary`,
        the simulations table and ``pbr simulate``'s table and ``--json`` read): each chunk
        drops its monthly and per-cohort arrays instead of keeping or sketching them, so a
        large run takes less time and memory (``pbr simulate`` does this when it writes no
        workbook, page or tables). The same numbers; the months and cohorts tables, the
        per-cohort figures, the workbook and the page are then refused (``InputError``).
        With ``split``, each chunk is split between the parties before its arrays are
        dropped (:func:`pbr_model.capital` does this). Not with ``detail=True``, ``spool``
        or ``investors``

    Returns
    -------
    SimulationResult
    """
    loaded = LoadedSpec.of(spec)
    model, timeline, shocks = prepared(loaded.spec, sims, seed, chunk_size, draws,
                                       volume_shock, paid_volume_shock, caseload_shock)
    if sampling not in ("random", "expected"):
        raise InputError(f"sampling: must be 'random' or 'expected' (got {sampling!r})")
    check_summary_only(summary_only, **{"detail=True": detail is True,
                                        "spool": spool is not None,
                                        "investors=True": bool(investors)})
    kept = not summary_only and keeps_detail([timeline], sims, detail)
    reduce = Reduce(kept, spool=not kept and spool is not None,
                    sib=model.sib if investors and not kept and spool is None else None,
                    termination=model.termination,
                    split=None if kept else split, summary=summary_only)
    parts = Parts()
    if reduce.split is not None:
        from .capital_stream import Streamed   # (only a streamed capital run needs it)
        parts.split = Streamed(sims)
    if reduce.spool:
        from .spool import Spool   # (only a run that spools needs it)
        parts.spool = Spool(spool, sims)
    try:
        if sampling == "expected":
            parts.append(reduce(finish(model, timeline,
                                       simulate_outcomes(model, ExpectedSampler(), sims))))
            if progress:
                progress(sims, sims)
        else:
            for part in chunk_records(model, timeline, sims, seed, chunk_size=chunk_size,
                                      executor=executor, draws=draws, reduce=reduce,
                                      progress=progress):
                parts.append(part)
        return build_result(parts, provenance=contract_provenance(
                                loaded, seed, sims, shocks,
                                draws=draws if sampling == "random" else "exact"),
                            spec=loaded.spec, sampling=sampling, timeline=timeline,
                            summary_only=summary_only)
    except BaseException:
        if parts.spool is not None:
            parts.spool.close()
        raise
