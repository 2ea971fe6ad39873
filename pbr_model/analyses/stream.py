"""What a chunk of simulations sends back, and how a run's chunks are folded together.

A run keeps every simulation's monthly cash flows and per-cohort figures (**detail**) while
they fit in :data:`DETAIL_BYTES`; then its tables, percentiles and the capital read of each
party are exact and every table can be exported. Above that size the run is **streamed**:
each chunk keeps its per-simulation figures (a few hundred bytes a simulation) and folds
its monthly and per-cohort arrays into :class:`~pbr_model.sketch.ColumnSketch` es (block
sums for means, logarithmic histograms for percentiles, relative error
:data:`~pbr_model.sketch.ALPHA`) before it is sent back, so memory no longer grows with the
monthly arrays. ``detail=True`` or ``False`` forces one or the other.

A streamed run given a folder to **spool** into (``simulate(..., spool=FOLDER)``; ``pbr
simulate --csv/--parquet``) also writes each chunk's monthly and per-cohort arrays to disk
as they arrive (:mod:`~pbr_model.analyses.spool`): its tables, its ``months`` percentiles
and its per-cohort figures are then read back from there, the same bytes as a run with
detail gives, while memory holds a chunk.

Both ways every number depends on the spec, seed and number of simulations only: chunks are
whole random-number blocks, results are folded in block order
(:func:`~pbr_model.parallel.ordered_results`), block sums are added in block order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..engine import COHORT_COLUMNS
from ..spec.schema import ContractSpec
from ..stats import PERCENTILES, percentile_rows, running_mean
from ..timeline import Timeline
from .base import Provenance
from .units import payer_unit

if TYPE_CHECKING:
    from .simulate import SimulationResult
from ..errors import InputError
from ..memory import DETAIL_BYTES, detail_bytes, keeps_detail  # noqa: F401  (the decision)
from ..sketch import ColumnSketch

if TYPE_CHECKING:
    from ..spec.schema import SocialImpactBond
    from ..spec.termination import Termination
    from .capital_stream import Split, Streamed
    from .spool import Spool

#: Per-cohort columns whose percentiles a streamed run keeps (the workbook's Cohorts sheet
#: shows them); of the others it keeps the means.
COHORT_PERCENTILES = {"entrants", "paid_volume", "binary_rate", "comparison_binary_rate",
                      "binary_reduction_points", "frequency", "comparison_frequency",
                      "outcome_payment"}

#: Per-cohort shares a streamed run also keeps (their means: the chance, per cohort).
COHORT_SHARES = {"outcome_paid": lambda r: r["outcome_payment"] > 0,
                 "outcome_repaid": lambda r: r["outcome_payment"] < 0}

#: Monthly series of the ``months`` table.
MONTH_SERIES = ("cash_in", "cash_out", "net_flow", "cumulative")

#: The monthly arrays of a chunk record (cash into the provider, the part of it paid for
#: results, the provider's costs), each ``(n, n_months)``.
CASH = ("cash_in", "outcome_in", "cash_out")

#: Per-simulation totals over cohorts, computed in each chunk from its cohort columns.
ROW_TOTALS = {"row_entrants": "entrants", "row_paid_volume": "paid_volume",
              "row_reoffenders": "reoffenders", "row_reoffences": "reoffences",
              "row_counterfactual_reoffences": "counterfactual_reoffences"}


@dataclass(frozen=True)
class Reduce:
    """What a chunk sends back (picklable, so it travels with the task): its record with
    per-simulation totals over cohorts added and, unless ``detail``, its monthly and
    per-cohort arrays folded into sketches."""

    detail: bool
    #: A streamed run's chunk also sends back its arrays, to be spooled (:mod:`.spool`).
    spool: bool = False
    #: A streamed run's chunk also sends back the figures of this bond's tranches
    #: (:func:`~pbr_model.finance.sib.run_sib`) over its rows: they need the monthly cash.
    sib: SocialImpactBond | None = None
    #: The contract's ``[termination]``, with ``sib``: a bond whose contract stopped is
    #: settled then (:func:`~pbr_model.finance.sib.settled_early`).
    termination: Termination | None = None
    #: A streamed capital run's chunk also sends back its split between the parties
    #: (:class:`~pbr_model.analyses.capital_stream.Split`), made from its monthly cash.
    split: Split | None = None
    #: A run that keeps its summary only: the chunk sends back its per-simulation figures,
    #: its monthly and per-cohort arrays dropped, not sketched (``simulate(...,
    #: summary_only=True)``).
    summary: bool = False

    def __call__(self, record: dict, first: int = 0) -> dict:
        """``record`` reduced; ``first``: the index of its first simulation in the run."""
        for total, column in ROW_TOTALS.items():
            record[total] = record[column].sum(1)
        if self.detail:
            return record
        if self.summary:
            if self.split is not None:   # (from the monthly cash, before it is dropped)
                record["split"] = self.split(record, first)
            # how many cohorts each simulation triggered: the mean over cohorts of the 0/1
            # column, a count, exact in any order (what power reads)
            record["row_triggered"] = record["triggered"].sum(1)
            for name in (*COHORT_COLUMNS, *CASH):
                del record[name]
            return record
        if self.spool:
            record["spooled"] = {name: record[name] for name in (*COHORT_COLUMNS, *CASH)}
        if self.sib is not None:
            from ..finance.sib import run_sib, settled_early
            record["investors"] = run_sib(
                self.sib, record["cash_in"], record["cash_out"],
                settled_early(self.termination, record.get("termination_month"))).figures()
        if self.split is not None:
            record["split"] = self.split(record, first)
        sketches = {f"cohort:{name}": sketch_of(test(record), histogram=False)
                    for name, test in COHORT_SHARES.items()}
        for name in COHORT_COLUMNS:
            sketches[f"cohort:{name}"] = sketch_of(record.pop(name),
                                                 histogram=name in COHORT_PERCENTILES)
        cash_in, cash_out = record.pop("cash_in"), record.pop("cash_out")
        record.pop("outcome_in")
        net = cash_in - cash_out
        for name, values in zip(MONTH_SERIES, (cash_in, cash_out, net, np.cumsum(net, axis=1))):
            sketches[f"month:{name}"] = sketch_of(values)
        record["sketches"] = sketches
        return record


def _joined_investors(chunks: list[list] | None) -> list | None:
    """Each tranche's figures over the run, from each chunk's (None: none were computed)."""
    if chunks is None:
        return None
    from .runs import join_parts
    return [join_parts(list(tranche)) for tranche in zip(*chunks)]


def sketch_of(values: np.ndarray, histogram: bool = True) -> ColumnSketch:
    """A sketch of the columns of ``values`` ``(n, k)`` (rows from a block's edge)."""
    s = ColumnSketch(values.shape[1], histogram=histogram)
    s.add(values.astype(np.float64, copy=False))
    return s


class Parts(list):
    """A run's chunk records in order, each chunk's sketches merged into :attr:`sketches`
    as it arrives (so they do not pile up: a chunk's sketches can be megabytes)."""

    sketches: dict[str, ColumnSketch] | None = None
    #: Where a streamed run's arrays are written as they arrive (None: not kept).
    spool: Spool | None = None

    #: Each chunk's bond tranches' figures, in order (:attr:`Reduce.sib`).
    investors: list | None = None
    #: A streamed capital run's split between its parties, folded as chunks arrive
    #: (:attr:`Reduce.split`; None: not asked for).
    split: Streamed | None = None

    def append(self, part: dict) -> None:
        split = part.pop("split", None)
        if split is not None and self.split is not None:
            self.split.add(split)
        spooled = part.pop("spooled", None)
        if spooled is not None and self.spool is not None:
            self.spool.add(spooled)
        investors = part.pop("investors", None)
        if investors is not None:
            if self.investors is None:
                self.investors = []
            self.investors.append(investors)
        sketches = part.pop("sketches", None)
        if sketches is not None:
            if self.sketches is None:
                self.sketches = sketches
            else:
                for name, s in sketches.items():
                    self.sketches[name].merge(s)
        super().append(part)


def fold_sketches(parts: list[dict]) -> dict[str, ColumnSketch] | None:
    """The chunks' sketches merged in chunk order (``None`` for a run with detail)."""
    if isinstance(parts, Parts):
        return parts.sketches
    folded = Parts()
    for p in parts:
        folded.append(p)
    return folded.sketches


def figures_only(what: str) -> InputError:
    """The error for asking a run that kept its per-simulation figures only
    (``summary_only=True``) for ``what``, which needs its months or cohorts."""
    return InputError(
        f"{what}: this run kept its per-simulation figures only (summary_only=True: no "
        f"monthly or per-cohort arrays, no percentiles by month or cohort); run it "
        f"without summary_only for {what}")


def check_summary_only(summary_only, **given: bool) -> None:
    """Raise ``InputError`` unless ``summary_only`` is a bool, and when it is True while
    an argument that keeps arrays is ``given`` (name: whether it was)."""
    if not isinstance(summary_only, bool):
        raise InputError(f"summary_only: must be True or False (got {summary_only!r})")
    asked = [name for name, was in given.items() if was]
    if summary_only and asked:
        raise InputError(f"summary_only: a run that keeps its figures only keeps no arrays, "
                         f"so it cannot be given {' or '.join(asked)}")


def needs_detail(what: str, sims: int, summary_only: bool = False) -> InputError:
    """The error for asking a streamed run (or one that kept its summary only) for what
    only a run with detail keeps."""
    if summary_only:
        return figures_only(what)
    from .. import memory
    return InputError(
        f"{what}: this run of {sims:,} simulations was streamed (its monthly and per-cohort "
        f"arrays did not fit in {memory.DETAIL_BYTES // 2**20} MiB), so it kept their means and "
        f"percentiles only; run fewer simulations for {what}, or keep them on disk as the run "
        f"goes (simulate(..., spool=FOLDER) or capital(..., spool=FOLDER); pbr simulate and "
        f"pbr capital do with --csv/--parquet)")


def build_result(parts: list[dict], *, provenance: Provenance, spec: ContractSpec,
                 sampling: str, timeline: Timeline,
                 summary_only: bool = False) -> SimulationResult:
    """Assemble the tables from the chunk records (in simulation order), each made by
    :class:`~pbr_model.analyses.stream.Reduce` (kept, streamed, or with ``summary_only``
    its per-simulation figures alone)."""
    from .simulate import POOLED_COLUMNS, SimulationResult  # (it imports this)
    sketches = fold_sketches(parts)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([p.pop(name) for p in parts])  # pop: free chunks as we go

    totals = {name: cat(name) for name in ROW_TOTALS}
    fig = {name.removeprefix("fig_"): cat(name) for name in list(parts[0]) if name.startswith("fig_")}
    sim_columns = {
        "entrants": totals["row_entrants"],
        "paid_volume": totals["row_paid_volume"],
        "reoffenders": totals["row_reoffenders"],
        "reoffences": totals["row_reoffences"],
        **{name: cat(f"pool_{name}") for name in POOLED_COLUMNS},
        "reoffences_avoided": totals["row_counterfactual_reoffences"] - totals["row_reoffences"],
        "pv_reoffences_avoided": cat("pv_reoffences_avoided"),
        "pv_paid": cat("pv_paid"),
        "pv_outcome_paid": cat("pv_outcome_paid"),
        "effect_binary": cat("effect_binary"),
        "effect_frequency": cat("effect_frequency"),
        "volume_factor": cat("volume_factor"),
        "paid_volume_factor": cat("paid_volume_factor"),
        "fee": cat("fee"),
        "outcome": cat("outcome"),
        "pooled_payment": cat("pooled_payment"),
        "renegotiation": cat("renegotiation"),
        "renegotiated": cat("renegotiated"),
        "triggered": cat("any_triggered"),
        **{name.removeprefix("mc_"): cat(name) for name in list(parts[0])
           if name.startswith("mc_")},
        **{name: cat(name) for name in list(parts[0]) if payer_unit(name)},
        "revenue": fig["revenue"],
        "cost": fig["cost"],
        "net": fig["net"],
        "npv": fig["npv"],
        "min_cash": fig["min_cash"],
        "peak_funding": fig["peak_funding"],
        "peak_month": fig["peak_month"],
        "peak_funding_before_financing": fig["peak_funding_before_financing"],
        "peak_month_before_financing": fig["peak_month_before_financing"],
        "insolvent": fig["insolvent"],
        "first_shortfall_month": fig["first_shortfall_month"],
        "financing_cost": fig["financing_cost"],
        # with a [termination]: whether and when (the first month not served; -1 if not)
        **({name: cat(name) for name in ("terminated", "termination_month")}
           if "terminated" in parts[0] else {}),
    }
    if summary_only:
        return SimulationResult(
            provenance=provenance, spec=spec, sampling=sampling, timeline=timeline,
            sim_columns=sim_columns, cohort_columns=None, cash_in=None, outcome_in=None,
            cash_out=None, summary_only=True, split=getattr(parts, "split", None),
            cohorts_triggered=cat("row_triggered"))
    if sketches is not None:
        return SimulationResult(
            provenance=provenance, spec=spec, sampling=sampling, timeline=timeline,
            sim_columns=sim_columns, cohort_columns=None, cash_in=None, outcome_in=None,
            cash_out=None, sketches=sketches, spool=getattr(parts, "spool", None),
            investors=_joined_investors(getattr(parts, "investors", None)),
            split=getattr(parts, "split", None))
    per_cohort = {name: cat(name) for name in COHORT_COLUMNS}
    cash_in, outcome_in, cash_out = cat("cash_in"), cat("outcome_in"), cat("cash_out")
    for a in (cash_in, outcome_in, cash_out):
        a.setflags(write=False)
    return SimulationResult(
        provenance=provenance, spec=spec, sampling=sampling, timeline=timeline,
        sim_columns=sim_columns, cohort_columns=per_cohort,
        cash_in=cash_in, outcome_in=outcome_in, cash_out=cash_out,
    )


def _month_columns(timeline: Timeline, cash_in: np.ndarray, cash_out: np.ndarray) -> dict:
    net = cash_in - cash_out
    series = {"cash_in": cash_in, "cash_out": cash_out, "net_flow": net,
              "cumulative": np.cumsum(net, axis=1)}
    cols: dict[str, object] = {"date": timeline.dates()}
    for name, arr in series.items():
        cols[f"{name}_mean"] = arr.mean(axis=0)
        cols.update({f"{name}_{label}": q for label, q in percentile_rows(arr).items()})
    return cols


def spooled_months(timeline: Timeline, spool: Spool) -> dict:
    """The ``months`` columns from a spooled run's arrays, a month at a time: the numbers
    :func:`_month_columns` gives on the whole arrays (each month's mean added simulation
    after simulation from 0, as numpy's mean down the rows adds; the percentiles of the
    month's values; the cumulative cash carried month to month, as ``np.cumsum`` along a
    row carries it)."""
    cols: dict[str, list] = {f"{name}_{stat}": [] for name in MONTH_SERIES
                             for stat in ("mean", *PERCENTILES)}
    cumulative = None
    for m in range(timeline.n_months):
        cash_in, cash_out = spool.column("cash_in", m), spool.column("cash_out", m)
        net = cash_in - cash_out
        cumulative = net if cumulative is None else cumulative + net
        for name, values in zip(MONTH_SERIES, (cash_in, cash_out, net, cumulative)):
            cols[f"{name}_mean"].append(running_mean(values))
            for label, q in percentile_rows(values).items():
                cols[f"{name}_{label}"].append(q)
    return {"date": timeline.dates(), **{k: np.array(v) for k, v in cols.items()}}


def spooled_cohort(spool: Spool, column: str, j: int) -> np.ndarray:
    """Cohort ``j``'s values of a per-cohort column, or of ``outcome_paid`` /
    ``outcome_repaid`` (1 where its outcome payment was above / below 0), from a spool, as
    floats."""
    if column in COHORT_SHARES:
        return share_values(column, spool.column("outcome_payment", j))
    return spool.column(column, j).astype(np.float64)


def share_values(column: str, outcome_payment: np.ndarray) -> np.ndarray:
    """A per-cohort share's values (:data:`COHORT_SHARES`: 1 where it holds, else 0) from
    the outcome payments, as floats."""
    return COHORT_SHARES[column]({"outcome_payment": outcome_payment}).astype(np.float64)


def _sketched_months(timeline: Timeline, sketches: dict) -> dict:
    """The ``months`` columns of a streamed run, read from its sketches."""
    cols: dict[str, object] = {"date": timeline.dates()}
    for name in ("cash_in", "cash_out", "net_flow", "cumulative"):
        sketch = sketches[f"month:{name}"]
        cols[f"{name}_mean"] = sketch.mean()
        q = sketch.percentiles(list(PERCENTILES.values()))
        cols.update({f"{name}_{label}": q[i] for i, label in enumerate(PERCENTILES)})
    return cols
