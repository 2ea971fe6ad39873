"""``pbr indigo``: a contract and a run as one INDIGO project (the GO Lab impact-bond data
standard, version 4.1.0).

``indigo_export(spec, sims=, seed=, observed=)`` describes the contract from its spec
(outcome metrics, pricings, commitments per payer, investments: see
:mod:`.indigo_project`), adds the planned outcome payments of a simulation run (the mean
over simulations of what is paid for results in each month) and, given observed results
(a CSV as ``pbr settle`` reads), each cohort's results and the actual outcome payments
that ``pbr settle`` finds on them. ``pbr settle --indigo`` reads such a file back. The
mapping, field by field, is docs/indigo.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..designs import columns as design_columns
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED
from ..measure import counts_read
from ..observed import read_observed
from ..observed_indigo import EXTENSION, INDIGO_VERSION, cohort_period, month_end, month_start
from ..payments import rule_measures
from ..spec import LoadedSpec
from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import HasProvenance, Provenance, contract_provenance
from .indigo_project import (POLICY_SECTOR, cents, number, plain, commitments, investments, metrics,
                             money, payers, pricings, repayment_code, v)
from .settle import SettlementResult, settle
from .simulate import simulate

#: The statistic of the simulated payments a planned outcome payment is.
PLANNED_STATISTIC = "mean"
#: Smallest planned payment written [currency]: half a cent (a month whose mean payment is
#: smaller has no planned payment).
MIN_PLANNED = 0.005


@dataclass(frozen=True)
class IndigoResult(HasProvenance):
    """One INDIGO project describing a contract and a run.

    Attributes
    ----------
    provenance : the spec, seed, sims and versions of the run
    project : the INDIGO project (a JSON object: INDIGO's field names, each value wrapped
        as ``{"value": ...}``), money in the contract currency
    observed, observed_sha256 : the observed results settled (None without)
    settlement : their settlement (None without)
    """

    provenance: Provenance
    project: dict = field(repr=False)
    observed: str | None = None
    observed_sha256: str | None = None
    settlement: SettlementResult | None = field(default=None, repr=False)

    @property
    def sections(self) -> dict[str, int]:
        """Records in each of the project's lists."""
        return {k: len(x) for k, x in self.project.items() if isinstance(x, list)}

    def to_dict(self) -> dict:
        """The ``--json`` object: the provenance, then ``indigo_version``, ``observed``,
        ``planned_statistic``, ``sections`` and the ``project`` itself."""
        return {**self.provenance.to_dict(), "indigo_version": INDIGO_VERSION,
                "observed": self.observed, "observed_sha256": self.observed_sha256,
                "planned_statistic": PLANNED_STATISTIC, "sections": self.sections,
                "project": self.project}

    def tables(self) -> dict[str, object]:
        """No tables: the project is one JSON document."""
        return {}


#: ``pbr indigo`` writes no tables.
INDIGO_TABLES: tuple[str, ...] = ()


def indigo_export(spec: ContractSpec | LoadedSpec, *, sims: int = 10_000,
                  seed: int = DEFAULT_SEED, observed: str | Path | None = None,
                  chunk_size: int = DEFAULT_CHUNK, executor=None) -> IndigoResult:
    """Describe a contract, a simulation run and (given ``observed``) its settlement as one
    INDIGO project.

    Parameters
    ----------
    spec : a validated spec
    sims, seed : the simulation run whose mean monthly outcome payments are the planned
        outcome payments
    observed : an observed-results CSV (see :mod:`pbr_model.observed`): each cohort's
        results and the actual outcome payments ``pbr settle`` finds on them
    """
    loaded = LoadedSpec.of(spec)
    model = loaded.spec
    timeline = Timeline.from_spec(model)
    obs = read_observed(observed, model) if observed is not None else None
    run = simulate(loaded, sims=sims, seed=seed, chunk_size=chunk_size, detail=True,
                   executor=executor)
    settled = settle(loaded, obs) if obs is not None else None
    cur = model.contract.currency
    planned_people = _planned_people(model)
    project = {
        "name": v(model.contract.name),
        "dates": _dates(timeline),
        "overall_project_finance": _finance(model, settled),
        "purpose_and_classifications": {"policy_sector": v(POLICY_SECTOR)},
        "service_and_beneficiaries": _beneficiaries(planned_people, obs),
        "notes": v(f"Exported by pbr-model {run.provenance.version} with numpy "
                   f"{run.provenance.numpy_version} (INDIGO data standard "
                   f"{INDIGO_VERSION}) from the contract spec {loaded.source} (SHA-256 "
                   f"{loaded.sha256}). Money in {cur}; a negative outcome payment is money "
                   "the provider repaid. Organisation ids and role categories are not in a "
                   "pbr spec and are left out. See pbr-model's docs/indigo.md."),
        "sources": _sources(loaded, run, obs),
        "outcome_metrics": metrics(model, planned_people),
        "outcome_pricings": pricings(model),
        "outcome_payment_commitments": commitments(
            model, timeline, _paid_by(model, settled), obs is not None and obs.complete),
        "investments": investments(model, _repaid(settled)),
        "outcome_payments": _planned(run, timeline, cur, _one_metric(model))
        + _actual(settled, timeline, cur, _one_metric(model)),
    }
    if settled is not None:
        project["results"] = _results(model, timeline, obs, settled)
    if not project["investments"]:
        del project["investments"]
    return IndigoResult(
        provenance=contract_provenance(loaded, seed, sims,
                                       inputs=() if obs is None else (obs.source,)),
        project=project,
        observed=None if obs is None else obs.source,
        observed_sha256=None if obs is None else obs.sha256,
        settlement=settled)


def _planned_people(spec: ContractSpec) -> float:
    e = spec.cohorts.entrants_per_period
    return float(sum(e)) if isinstance(e, list) else float(e) * spec.contract.cohorts


def _dates(timeline: Timeline) -> dict:
    end = timeline.contract_months - 1
    last = int(max(timeline.payment_month))
    return {"start_date_of_service_provision": v(month_start(timeline, 0).isoformat()),
            "anticipated_end_date_of_service_provision": v(month_end(timeline, end).isoformat()),
            "anticipated_duration_of_service_provision": v(timeline.contract_months),
            "anticipated_completion_date": v(month_start(timeline, last).strftime("%Y-%m")),
            "source_ids": "pbr-spec"}


def _finance(spec: ContractSpec, settled: SettlementResult | None) -> dict:
    cur = spec.contract.currency
    out: dict = {}
    if spec.sib is not None:
        total = sum(t.amount for t in spec.sib.tranches)
        out["total_investment_commitment"] = {"currency": v(cur),
                                              "amount": {"exact": v(cents(total))}}
    tops = [top for _, top in payers(spec)]
    if tops and all(t is not None for t in tops):
        out["maximum_potential_outcome_payment_v2"] = money(cur, sum(tops))
    if settled is not None:
        out["total_outcome_payments_made"] = money(cur, settled.total_payment)
    out["source_ids"] = "pbr-spec" if settled is None else "pbr-spec,pbr-observed"
    return out


def _beneficiaries(planned: float, obs) -> dict:
    out = {"targeted_number_service_users_or_beneficiaries_total": v(number(planned)),
           "unit_type_targeted_service_users_or_beneficiaries": v("Individual")}
    if obs is not None and obs.complete:
        n = obs.counts["n"]
        out["actual_number_service_users_or_beneficiaries_total"] = v(number(np.nansum(n)))
        out["unit_type_actual_service_users_or_beneficiaries"] = v("Individual")
    return out


def _sources(loaded: LoadedSpec, run, obs) -> list[dict]:
    out = [{"id": "pbr-spec", "name": v(f"pbr contract spec {loaded.source}"),
            "notes": f"SHA-256 {loaded.sha256}; the spec cites its own sources"},
           {"id": "pbr-run", "name": v(f"pbr simulate, {run.sims:,} simulations, seed "
                                       f"{run.seed}, pbr-model {run.provenance.version}, "
                                       f"numpy {run.provenance.numpy_version}"),
            "notes": "the planned outcome payments are the mean over the simulations"}]
    if obs is not None:
        out.append({"id": "pbr-observed", "name": v(f"observed results {obs.source}"),
                    "notes": f"SHA-256 {obs.sha256}; settled by pbr settle"})
    return out


def _period(timeline: Timeline, first: int, last: int) -> dict:
    return {"start_date": v(month_start(timeline, first).isoformat()),
            "end_date": v(month_end(timeline, last).isoformat())}


def _paid_in(timeline: Timeline, month: int) -> list[int]:
    return [c + 1 for c, m in enumerate(np.asarray(timeline.payment_month).tolist())
            if m == month]


def _one_metric(spec: ContractSpec) -> dict:
    """``outcome_metric_id`` for an outcome payment: the metric when the payment rules read
    one measure (every payment is then for it), else nothing."""
    measures = list(dict.fromkeys(m for m, _ in rule_measures(spec)))
    return {"outcome_metric_id": v(measures[0])} if len(measures) == 1 else {}


def _planned(run, timeline: Timeline, cur: str, metric: dict) -> list[dict]:
    """Planned outcome payments: each month's mean over the simulations."""
    mean = run.outcome_in.mean(axis=0)
    out = []
    for month in np.flatnonzero(np.abs(mean) >= MIN_PLANNED).tolist():
        cohorts = _paid_in(timeline, month)
        what = (f"the results of cohort{'s' if len(cohorts) > 1 else ''} "
                f"{', '.join(map(str, cohorts))}" if cohorts else
                "advances or their reconciliation (no cohort's result is paid this month)")
        out.append({**metric, "period": _period(timeline, month, month), "type": v("Planned"),
                    "money": money(cur, round(float(mean[month]), 2)),
                    "notes": f"{PLANNED_STATISTIC} over {run.sims:,} simulations (seed "
                             f"{run.seed}) of the outcome payments in this month: {what}",
                    "source_ids": "pbr-run"})
    return out


def _actual(settled: SettlementResult | None, timeline: Timeline, cur: str,
            metric: dict) -> list[dict]:
    """Actual outcome payments: what ``pbr settle`` pays on the observed results, by month."""
    if settled is None:
        return []
    dates = [d.isoformat() for d in timeline.dates()]
    out = []
    for row in settled.payments_by_date():
        month = dates.index(row["date"])
        out.append({**metric, "period": _period(timeline, month, month), "type": v("Actual"),
                    "money": money(cur, row["amount"]),
                    "notes": "pbr settle on the observed results: " + _covers(row, cur),
                    "source_ids": "pbr-observed"})
    return out


def _cohorts(cohorts: list[int]) -> str:
    """``cohort 2``, ``cohorts 1 and 2``, ``cohorts 1, 2 and 3``."""
    names = list(map(str, cohorts))
    if len(names) == 1:
        return f"cohort {names[0]}"
    return f"cohorts {', '.join(names[:-1])} and {names[-1]}"


def _covers(row: dict, cur: str) -> str:
    """What an actual payment pays for: the cohorts paid that month and, in the last
    cohort's month, the pooled payment on every cohort."""
    text = f"the payment{'s' if len(row['cohorts']) > 1 else ''} of {_cohorts(row['cohorts'])}"
    if row["pooled_cohorts"]:
        text += (f" ({cur} {plain(row['amount'] - row['pooled'])}) and the pooled payment on "
                 f"{_cohorts(row['pooled_cohorts'])} ({cur} {plain(row['pooled'])}), met when "
                 "every cohort's result is in and paid in the last cohort's month")
    return text


def _paid_by(spec: ContractSpec, settled: SettlementResult | None) -> dict | None:
    """What each payer paid on the observed results, where it can be told: with one payer,
    the settlement's total (several payers' caps split payments in an order a settlement
    does not record, so their totals are left out)."""
    if settled is None:
        return None
    names = [name for name, _ in payers(spec)]
    return {names[0]: settled.total_payment} if len(names) == 1 else {}


def _repaid(settled: SettlementResult | None) -> dict[str, str] | None:
    if settled is None or settled.investors is None:
        return None
    return {i["name"]: repayment_code(i["drawn"]["mean"], i["received"]["mean"])
            for i in settled.investors if not i["grant"]}


def _results(spec: ContractSpec, timeline: Timeline, obs, settled: SettlementResult) -> list:
    """Per observed cohort, one result per outcome metric with the counts its measure reads (``pbr_counts``: INDIGO has no fields
    for comparison groups or counts of events); then per observed cohort one project-level
    result with INDIGO's two numbers (people engaged; with a binary rule, people with no
    proven reoffence): only there, as the standard asks, so summing them counts each
    person once."""
    design = design_columns(spec.evaluation)
    pairs = rule_measures(spec)
    measures = list(dict.fromkeys(m for m, _ in pairs))
    rows = dict(settled.observed_rows())
    kind = v("Final" if obs.complete else "Interim")
    out, tops = [], []
    for cohort, r in rows.items():
        c = cohort - 1
        first, last = cohort_period(timeline, c)
        value_of = lambda col: obs.counts[col][c] if col in obs.counts else np.nan  # noqa: E731
        top = {"result_level": v("Project level"), "result_type": kind,
               "period": _period(timeline, first, last),
               "number_engaged_in_impact_bond": v(number(value_of("n")))}
        positive = value_of("n") - value_of("reoffenders") if "binary" in measures else np.nan
        if np.isfinite(positive):
            top["number_with_positive_social_outcomes"] = v(number(positive))
        top["notes"] = (f"Cohort {cohort}: the people who entered in its entry period"
                        + ("; positive: no proven reoffence in the follow-up"
                           if np.isfinite(positive) else ""))
        top["source_ids"] = "pbr-observed"
        tops.append(top)
        for measure in measures:
            res = {"outcome_metric_id": v(measure), "result_level": v("Outcome level"),
                   "result_type": kind, "period": _period(timeline, first, last)}
            res["outcomes_achieved"] = v("; ".join(
                f"{m}: treated {_fig(r[f'{m}:treated'])}, comparison "
                f"{_fig(r[f'{m}:comparison'])}, change {_fig(r[f'{m}:change'])} ({ch})"
                for m, ch in pairs if m == measure))
            cols = [g + x for g in design.prefixes for x in ("n", *counts_read(measure))]
            cols += list(design.own)
            res[EXTENSION] = {col: number(value_of(col)) for col in dict.fromkeys(cols)
                              if col in obs.counts and np.isfinite(value_of(col))}
            res["source_ids"] = "pbr-observed"
            out.append(res)
    return out + tops


def _fig(x) -> str:
    x = float(x)
    return "not measured" if np.isnan(x) else f"{x:.6g}"
