"""Settlement: the contract's payment rules applied to observed results.

``settle(spec, "observed.csv")`` replays what an evaluator measured (see
:mod:`pbr_model.observed` for the CSV) through the same payment mechanisms the
simulation uses, and reports each cohort's measured change, which triggers
fired and what each outcome mechanism pays. Fees are paid whatever the results
and are not settled here. A pooled trigger is assessed only when every cohort
has a result; until then it is reported as not assessed. Prices are indexed and
renegotiated as in the simulation; a renegotiation's trigger is read on the observed
cohorts (costs at their sizes; a cohort without a result counts as no entrants).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..finance import monthly_costs
from ..finance.investors import guarantee_summaries, investor_summaries
from ..finance.sib import run_sib, settled_early
from ..errors import InputError
from ..observed import Observed, read_observed
from ..observed_indigo import read_indigo
from ..payments import PaymentInputs, pay_all, rule_measures, termination
from ..payments.renegotiation import renegotiate
from ..payments.base import unique_labels
from ..spec import LoadedSpec
from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import HasProvenance, Provenance, contract_provenance, frame
from .settle_stop import stopped_summary

if TYPE_CHECKING:  # pandas is imported only when the table is asked for
    import pandas as pd

@dataclass(frozen=True)
class SettlementResult(HasProvenance):
    """What the contract pays on the observed results.

    Attributes
    ----------
    provenance : the spec's name, file and hash, versions (no seed: nothing is drawn)
    observed, observed_sha256 : the observed file and its fingerprint
    columns : the settlement per cohort as numpy arrays (one value per cohort), in the
        order of the ``cohorts`` table's columns
    cohorts : (a ``DataFrame`` built from ``columns`` on first use) one row per cohort
        (index ``cohort``, from 1): ``observed``, ``n``, ``payment_date``;
        for each rule measure ``<measure>:treated``, ``<measure>:comparison`` and
        ``<measure>:change`` (treated minus comparison, in the rule's change units);
        for each outcome mechanism ``<name>:triggered`` and ``<name>:payment``; then
        ``triggered`` (any) and ``payment`` (all mechanisms) [currency]
    mechanisms : per outcome mechanism: ``name``, ``type``, ``cohort_total``, ``pooled``
        (amount) and ``pooled_status`` ('met', 'not met', 'not assessed' or None)
    total_payment : everything the outcome mechanisms pay (negative = repaid) [currency]
    measures : the (measure, change) pairs in ``cohorts``
    missing : cohorts (from 1) with no result yet
    investors, guarantees : with a ``[sib]`` and every cohort observed, each tranche's
        figures and each guarantee's payment on these results (as in ``pbr capital``);
        else None
    calibrated : the spec's calibrated figures these payments (or, with investors, the
        bond) use: ``mechanism`` (None for the bond), ``field``, ``to`` and ``note`` (that
        reproducing the result they were calibrated to checks arithmetic, not the model)
    actual_payments : with results read from an INDIGO project that gives 'Actual' outcome
        payments, one row per month the contract pays in: ``date`` (YYYY-MM), ``cohorts``
        paid then, ``actual`` (the project's, None where it gives none), ``settled`` (this
        settlement's) and ``difference`` (actual - settled) [currency]; else None
    skipped_results : with results read from an INDIGO project, the results left out
        because no payment rule reads them (project-level results, other outcome
        metrics): ``field`` (``results[2]``) and ``reason``; else None
    termination : with a ``[termination]``, whether and when the contract stopped on these
        results, why, and the cohorts it left unserved or unpaid
        (:func:`~pbr_model.analyses.settle_stop.stopped_summary`); else None. The
        ``cohorts`` table then has ``served`` and ``lapsed`` columns
    renegotiations : with ``[[renegotiation]]``, each one read on these results: ``name``,
        ``date`` (its month's first day), ``applied`` (its trigger met, or none), the
        ``lump_sum`` it paid [currency] (paid with the fees: not in ``total_payment``), the
        ``payment`` it names and its ``price_factor`` (both None where it names none);
        else None
    """

    provenance: Provenance
    spec: ContractSpec
    observed: str
    observed_sha256: str
    columns: dict[str, np.ndarray] = field(repr=False)
    mechanisms: list[dict]
    total_payment: float
    measures: list[tuple[str, str]]
    missing: list[int]
    investors: list[dict] | None = None
    guarantees: list[dict] | None = None
    calibrated: list[dict] = field(default_factory=list)
    actual_payments: list[dict] | None = None
    skipped_results: list[dict] | None = None
    termination: dict | None = None
    renegotiations: list[dict] | None = None

    @cached_property
    def cohorts(self) -> pd.DataFrame:
        """One row per cohort (index ``cohort``, from 1), the columns of ``columns``."""
        import pandas as pd
        n = len(self.columns["observed"])
        return frame(self.columns, index=pd.RangeIndex(1, n + 1, name="cohort"),
                     units={c: _cohort_unit(c) for c in self.columns})

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort (index ``cohort``): a copy of :attr:`cohorts`."""
        return self.cohorts.copy()

    def observed_rows(self) -> Iterator[tuple[int, dict]]:
        """``(cohort, {column: value})`` for each cohort with a result (cohorts from 1;
        values as Python scalars)."""
        values = {c: np.asarray(v).tolist() for c, v in self.columns.items()}
        for i, seen in enumerate(values["observed"]):
            if seen:
                yield i + 1, {c: v[i] for c, v in values.items()}

    def to_dict(self) -> dict:
        """The ``--json`` object (NaN as None)."""
        primary = self.measures[0] if self.measures else None
        rows = []
        for cohort, r in self.observed_rows():
            rows.append({
                "cohort": int(cohort),
                "n": float(r["n"]),
                "measure": primary[0] if primary else None,
                "change_unit": primary[1] if primary else None,
                "measured_change": _num(r[f"{primary[0]}:change"]) if primary else None,
                "measures": {f"{m}:{c}": {"treated": _num(r[f"{m}:treated"]),
                                          "comparison": _num(r[f"{m}:comparison"]),
                                          "change": _num(r[f"{m}:change"]), "unit": c}
                             for m, c in self.measures},
                "triggered": bool(r["triggered"]),
                "payment": float(r["payment"]),
                "payment_date": r["payment_date"],
                "mechanisms": {m["name"]: {"triggered": bool(r[f"{m['name']}:triggered"]),
                                           "payment": float(r[f"{m['name']}:payment"])}
                               for m in self.mechanisms},
            })
        return {
            **self.provenance.to_dict(),
            "observed": self.observed,
            "observed_sha256": self.observed_sha256,
            "cohorts": rows,
            "missing_cohorts": self.missing,
            "mechanisms": [{k: (_num(v) if isinstance(v, float) else v) for k, v in m.items()}
                           for m in self.mechanisms],
            "total_payment": self.total_payment,
            "investors": self.investors,
            "guarantees": self.guarantees,
            # only where there are some, so a contract without any reads as before
            **({"calibrated": self.calibrated} if self.calibrated else {}),
            **({"actual_payments": self.actual_payments}
               if self.actual_payments is not None else {}),
            **({"skipped_results": self.skipped_results}
               if self.skipped_results is not None else {}),
            **({"termination": self.termination} if self.termination is not None else {}),
            **({"renegotiations": self.renegotiations}
               if self.renegotiations is not None else {}),
        }

    def payments_by_date(self) -> list[dict]:
        """What this settlement pays, by payment month: ``date`` (the payment date, ISO),
        ``cohorts`` (those with a result paid then, from 1) and ``amount`` (their payments,
        with any pooled payment met in the last cohort's month) [currency], ``pooled`` (the
        part of ``amount`` that is the pooled payment) and ``pooled_cohorts`` (the cohorts
        it is paid on: every cohort; ``[]`` without one). Months with no cohort result are
        left out."""
        dates = list(self.columns["payment_date"])
        pooled = sum(m["pooled"] for m in self.mechanisms if m["pooled_status"] == "met")
        out: dict[str, dict] = {}
        for cohort, r in self.observed_rows():
            row = out.setdefault(r["payment_date"], {"date": r["payment_date"], "cohorts": [],
                                                     "amount": 0.0, "pooled": 0.0,
                                                     "pooled_cohorts": []})
            row["cohorts"].append(cohort)
            row["amount"] += float(r["payment"])
        if pooled and dates[-1] in out:
            out[dates[-1]]["amount"] += float(pooled)
            out[dates[-1]]["pooled"] = float(pooled)
            out[dates[-1]]["pooled_cohorts"] = list(range(1, len(dates) + 1))
        return list(out.values())


    def tables(self) -> dict[str, object]:
        """``cohorts`` (the settlement, one row per cohort) and ``mechanisms`` (totals per
        outcome mechanism), for ``--csv``/``--parquet``."""
        import pandas as pd
        mechanisms = pd.DataFrame(self.to_dict()["mechanisms"])
        mechanisms.attrs["units"] = {c: "currency" if c in ("cohort_total", "pooled", "total")
                                     else None for c in mechanisms.columns}
        return {"cohorts": self.cohorts, "mechanisms": mechanisms}


#: Deprecated name of :class:`SettlementResult` (every other result is ``...Result``).
Settlement = SettlementResult

#: The tables :meth:`SettlementResult.tables` gives.
SETTLEMENT_TABLES = ("cohorts", "mechanisms")


def _num(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v


def settle(spec: ContractSpec | LoadedSpec, observed: str | Path | Observed | None = None, *,
           indigo: str | Path | None = None) -> SettlementResult:
    """Apply the contract's outcome rules to observed results.

    Parameters
    ----------
    spec : a validated spec (``load_spec(...)`` or a ``ContractSpec``)
    observed : a CSV path (see :mod:`pbr_model.observed`) or an :class:`Observed`
    indigo : instead of ``observed``, an INDIGO project (JSON) whose results and actual
        outcome payments are read (see :mod:`pbr_model.observed_indigo`); its actual
        payments are set beside the settlement's (``actual_payments``)

    Returns
    -------
    SettlementResult
    """
    loaded = LoadedSpec.of(spec)
    model = loaded.spec
    if (observed is None) == (indigo is None):
        raise InputError("give the observed results once: a CSV file (--observed FILE.csv) "
                         "or an INDIGO project (--indigo FILE.json)")
    if indigo is not None:
        obs = read_indigo(indigo, model)
    else:
        obs = observed if isinstance(observed, Observed) else read_observed(observed, model)
    ev = obs.evaluation
    timeline = Timeline.from_spec(model)
    # a [termination] stops the contract as the simulation would, read on these results
    stop, served, paid_ev = termination.measured(model, timeline, ev)
    inputs = PaymentInputs(timeline, served.n, paid_ev, None,
                           None if stop is None else stop.month)
    dates = timeline.dates()
    table: dict[str, object] = {
        "observed": obs.present,
        "n": ev.n[0],
        "payment_date": [dates[m].isoformat() for m in timeline.payment_month],
    }
    if stop is not None:
        table["served"] = stop.served[0]
        table["lapsed"] = stop.served[0] & ~stop.paid[0]
    # every result the contract can still pay is in: pooled triggers and investors are assessed
    complete = bool(obs.present[stop.paid[0]].all()) if stop is not None else obs.complete
    lapsed = stop is not None and bool(termination.pooled_lapsed(model, timeline, stop)[0])
    pairs = rule_measures(model)
    for m, c in pairs:
        est = ev.estimate(m)
        table[f"{m}:treated"] = est.treated[0]
        table[f"{m}:comparison"] = est.comparison[0]
        table[f"{m}:change"] = est.published_change(c)[0]
    mechanisms = []
    paid_monthly = np.zeros((1, timeline.n_months))
    triggered = np.zeros(timeline.n_cohorts, dtype=bool)
    payment = np.zeros(timeline.n_cohorts)
    # at indexed prices, as the simulation pays; then the stop's lapse and compensation
    every = termination.stopped_flows(model, timeline, pay_all(model, inputs), stop)
    lump_sums: list[np.ndarray] = []
    renegotiated = None
    if model.renegotiation:  # assessed on the observed cohorts, as the simulation would
        changed = renegotiate(model, every, _costs(model, inputs), inputs)
        every, lump_sums = changed.flows, [line.monthly for line in changed.lines]
        renegotiated = _renegotiations(model, changed, dates)
    # the compensation (after the mechanisms' flows) is paid with the fees
    compensation = [f.monthly for f in every[len(model.payments):]]
    lump_sums = compensation + lump_sums
    settled = [(i, m, f) for i, (m, f) in enumerate(zip(model.payments, every))
               if m.type != "fee"]
    calibrated = []
    for (i, mech, flows), name in zip(settled, unique_labels([m.name for _, m, _ in settled])):
        # a figure calibrated to a published result: settling on that result reproduces it
        calibrated += [{"mechanism": name, "field": c.field, "to": c.to, "note": c.note()}
                       for c in model.contract.calibrated if c.field.startswith(f"payments.{i}.")]
        fired = flows.triggered[0] if flows.triggered is not None \
            else np.zeros(timeline.n_cohorts, dtype=bool)
        fired = fired & obs.present
        paid = np.where(obs.present, flows.by_cohort[0], 0.0)
        status, pooled = None, 0.0
        if flows.pooled_triggered is not None:
            if lapsed:
                status = "lapsed"
            elif complete:
                status = "met" if flows.pooled_triggered[0] else "not met"
                pooled = float(flows.pooled[0])
            else:
                status = "not assessed"
        paid_monthly += flows.monthly
        table[f"{name}:triggered"] = fired
        table[f"{name}:payment"] = paid
        triggered |= fired
        payment += paid
        mechanisms.append({"name": name, "type": mech.type,
                           "cohort_total": float(paid.sum()), "pooled": pooled,
                           "pooled_status": status, "total": float(paid.sum()) + pooled})
    table["triggered"] = triggered
    table["payment"] = payment
    investors = guarantees = None
    if model.sib is not None and complete:
        fees = [f.monthly for m, f in zip(model.payments, every) if m.type == "fee"] + lump_sums
        investors, guarantees = _investors(model, inputs, paid_monthly, fees, stop)
        calibrated += [{"mechanism": None, "field": c.field, "to": c.to, "note": c.note()}
                       for c in model.contract.calibrated if c.field.startswith("sib.")]
    result = SettlementResult(
        provenance=contract_provenance(loaded, inputs=(obs.source,)),
        spec=model,
        observed=obs.source,
        observed_sha256=obs.sha256,
        columns=table,
        mechanisms=mechanisms,
        total_payment=sum(m["total"] for m in mechanisms),
        measures=pairs,
        missing=[int(i) + 1 for i in np.flatnonzero(~obs.present)],
        investors=investors,
        guarantees=guarantees,
        calibrated=calibrated,
        termination=stopped_summary(model, timeline, obs.present, stop,
                                    float(sum(c.sum() for c in compensation))),
        renegotiations=renegotiated,
    )
    if indigo is None:
        return result
    return replace(result, actual_payments=_beside(result, obs.actual_payments, timeline),
                   skipped_results=[dict(s) for s in obs.skipped])


def _beside(result: SettlementResult, actual: tuple, timeline: Timeline) -> list[dict]:
    """The project's actual outcome payments beside the settlement's, by payment month."""
    dates = timeline.dates()
    months = np.asarray(timeline.payment_month).tolist()
    settled = {row["date"]: row for row in result.payments_by_date()}
    given: dict[str, float] = {}
    for p in actual:
        key = dates[p["month"]].isoformat()
        given[key] = given.get(key, 0.0) + p["amount"]
    rows = []
    for key in dict.fromkeys(dates[m].isoformat() for m in months):
        if key not in settled and key not in given:
            continue
        paid = settled.get(key, {}).get("amount", 0.0)
        act = given.get(key)
        rows.append({"date": key[:7],
                     "cohorts": [c + 1 for c, m in enumerate(months)
                                 if dates[m].isoformat() == key],
                     "actual": act, "settled": paid,
                     # to the cent: an INDIGO file's money is in cents
                     "difference": None if act is None else round(act - paid, 2) + 0.0})
    return rows


def _renegotiations(spec: ContractSpec, changed, dates) -> list[dict]:
    """Each renegotiation as read on the observed results (``SettlementResult.renegotiations``)."""
    out = []
    for k, r in enumerate(spec.renegotiation):
        applied = bool(changed.met[0, k])
        out.append({"name": r.name, "date": dates[r.month_index(spec.contract.start_date)]
                    .isoformat(), "applied": applied,
                    "lump_sum": float(changed.lines[k].monthly.sum()),
                    "payment": r.payment,
                    "price_factor": r.price_factor if r.payment is not None else None})
    return out


def _costs(spec: ContractSpec, inputs: PaymentInputs) -> np.ndarray:
    """The service's monthly costs at the observed sizes of the cohorts served (personal
    budgets at the expected take-up), stopping with the contract where it stopped."""
    n = inputs.entrants
    return monthly_costs(spec, inputs.timeline, n, n * spec.intervention.personal_budget.take_up,
                         inputs.stop_month)


def _investors(spec: ContractSpec, inputs: PaymentInputs, outcome_monthly: np.ndarray,
               fees: list[np.ndarray], stop) -> tuple[list[dict], list[dict]]:
    """The social investors' returns on the observed results: the outcome payments and
    the fees in their months, the costs (:func:`_costs`), through the bond's drawdown and
    waterfall; where the contract stopped with nothing paid after it, the bond is settled
    then (:func:`~pbr_model.finance.sib.settled_early`)."""
    income = outcome_monthly + sum(fees, np.zeros_like(outcome_monthly))
    early = None if stop is None else settled_early(
        spec.termination, np.where(stop.terminated, stop.month, -1))
    sib = run_sib(spec.sib, income, _costs(spec, inputs), early)
    return investor_summaries(sib), guarantee_summaries(sib)


def _cohort_unit(column: str) -> str | None:
    """The unit of a column of the settlement's ``cohorts`` table."""
    part = column.rsplit(":", 1)[-1]
    return {"observed": "yes/no", "triggered": "yes/no", "served": "yes/no",
            "lapsed": "yes/no", "n": "people",
            "payment": "currency", "payment_date": "date",
            "treated": "measure units", "comparison": "measure units",
            "change": "the rule's change units (points or percent)"}.get(part)

