"""The engine: one chunk of simulations from spec to cash, counting people, not looping
over them.

spec -> outcomes (counts per simulation, cohort and risk band, drawn from the exact
distribution of each cell's aggregate counts) -> measure (what the evaluator sees) ->
payments -> monthly cash. Everything is vectorised over the simulations of a chunk;
:func:`chunk_record` keeps only what the result tables need, so memory stays bounded.
Which random numbers a chunk draws is decided in :mod:`pbr_model.rng`.
"""

from __future__ import annotations

import numpy as np

from .approx import sampler_for
from .errors import InputError
from .finance import cash_figures, monthly_costs
from .finance.commissioner import avoided_discount, present_value
from .measure import Measurement, evaluate
from .outcomes import Counts, Outcomes, Shared, simulate_outcomes, tree_map
from .payments import PaymentInputs, pay_all, rule_measures, termination
from .payments.base import PaymentFlows
from .payments.renegotiation import renegotiate
from .rng import BLOCK, block_rng
from .spec.schema import ContractSpec
from .stats import band_sum, row_dot
from .stopping import stop_point
from .timeline import Timeline

DEFAULT_CHUNK = 8192    # simulations per chunk of work (free: changes no number)
DEFAULT_SEED = 20150201
MAX_SIMS = 10_000_000

#: Per-(simulation, cohort) columns of a chunk record (``SimulationResult.cohorts``), in order.
COHORT_COLUMNS = [
    "entrants", "paid_volume", "reoffenders", "reoffences", "binary_rate", "comparison_binary_rate",
    "binary_reduction_points", "frequency", "comparison_frequency", "frequency_reduction",
    "counterfactual_reoffenders", "counterfactual_reoffences", "fee_payment", "outcome_payment",
    "triggered",
]

#: Per-simulation columns computed on all cohorts pooled.
POOLED_COLUMNS = ["binary_rate", "comparison_binary_rate", "binary_reduction_points", "frequency"]


def check_run_args(sims, seed, chunk_size, names: dict[str, str] | None = None) -> None:
    """Raise ``InputError`` listing every run argument out of range (whole numbers only).

    ``names`` renames the arguments in the messages (the CLI passes its flags).
    """
    label = (names or {}).get
    problems = []
    if isinstance(sims, bool) or not isinstance(sims, (int, np.integer)) \
            or not 1 <= sims <= MAX_SIMS:
        problems.append(f"{label('sims', 'sims')}: must be from 1 to {MAX_SIMS:,} (got {sims!r})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        problems.append(f"{label('seed', 'seed')}: must be from 0 to 2**63 - 1 (got {seed!r})")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        problems.append(f"{label('chunk_size', 'chunk_size')}: must be 1 or more "
                        f"(got {chunk_size!r})")
    if problems:
        raise InputError(problems)


def check_volume_shock(shock, name: str = "volume_shock") -> None:
    """Raise ``InputError`` unless ``shock`` is a share from -1 up to (not including) 1:
    0.3 for 30% fewer, -0.2 for 20% more."""
    if isinstance(shock, bool) or not isinstance(shock, (int, float, np.number)) \
            or not -1 <= shock < 1:
        raise InputError(f"{name}: must be a share from -1 to below 1, e.g. 0.3 for 30% fewer "
                         f"or -0.2 for 20% more (got {shock!r})")


#: The library's names of the three volume shocks (the CLI passes its flags instead).
SHOCK_NAMES = {"volume_shock": "volume_shock", "paid_volume_shock": "paid_volume_shock",
               "caseload_shock": "caseload_shock"}


def resolve_shocks(volume_shock=0.0, paid_volume_shock=None, caseload_shock=None,
                   names: dict[str, str] | None = None) -> tuple[float, float]:
    """The paid-volume and caseload shocks of a run, ``(paid, caseload)`` [fraction, 0.3 =
    30% below plan, -0.2 = 20% above]: each the one given, else ``volume_shock`` (which
    thus moves both, as ``--volume-shock`` always did: fees and costs fall together).
    Raises ``InputError`` listing every shock out of range; ``names`` renames them."""
    label = {**SHOCK_NAMES, **(names or {})}
    problems = []
    for key, value in (("volume_shock", volume_shock), ("paid_volume_shock", paid_volume_shock),
                       ("caseload_shock", caseload_shock)):
        if value is None and key != "volume_shock":
            continue
        try:
            check_volume_shock(value, label[key])
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    paid = volume_shock if paid_volume_shock is None else paid_volume_shock
    caseload = volume_shock if caseload_shock is None else caseload_shock
    return float(paid), float(caseload)


def run_blocks(spec: ContractSpec, timeline: Timeline,
               blocks: list[tuple[np.random.Generator, tuple[np.ndarray, np.ndarray] | None,
                                  Shared | None]],
               keep: int, draws: str = "exact", columns: str = "all") -> dict:
    """One chunk drawn from given generators: block ``i`` (``BLOCK`` simulations) from
    ``blocks[i] = (rng, trend, shared)``, with that national trend (``None``: drawn from
    ``rng`` as :func:`simulate` does) and those shared normals (``None``: none); the blocks are joined and cut to the first ``keep``
    simulations, then measured, paid and costed. A chunk record for
    :func:`~pbr_model.analyses.simulate.build_result` (used by :mod:`pbr_model.analyses.portfolio`).
    ``draws``: ``"exact"`` or ``"approx"`` (:mod:`pbr_model.approx`); ``columns``: the
    whole record (``"all"``) or only part of it (``"light"``, ``"noise"``: :func:`finish`)."""
    parts = []
    for rng, trend, shared in blocks:
        stop_point()   # a stopped run's thread gives up here (pbr_model.stopping)
        parts.append(simulate_outcomes(spec, sampler_for(draws, rng), BLOCK, trend=trend,
                                       shared=shared))
    outcomes = tree_map(lambda *a: np.concatenate(a)[:keep], *parts)
    del parts   # the blocks' own arrays, joined above: not held while the chunk is finished
    stop_point()
    return finish(spec, timeline, outcomes, columns)


def contract_chunk(spec: ContractSpec, timeline: Timeline, seed: int, blocks: range, keep: int,
                   reduce=None, draws: str = "exact", columns: str = "all") -> dict:
    """One task of a single contract's run (:mod:`pbr_model.parallel`): the chunk of
    ``blocks`` (their generators made here from ``seed``, so only numbers cross to a
    worker), cut to ``keep`` simulations, its ``columns`` (:func:`finish`), then
    ``reduce(record, first)`` (a picklable callable; ``first``: the index of the chunk's
    first simulation in the run) before it is sent back."""
    record = run_blocks(spec, timeline, [(block_rng(seed, b), None, None) for b in blocks], keep,
                        draws, columns)
    return record if reduce is None else reduce(record, blocks[0] * BLOCK)


#: The columns of a light record (:func:`finish`): the money a streamed portfolio's area
#: is split and planned from, each as in the full record.
LIGHT_COLUMNS = ("entrants", "fee", "outcome", "cash_in", "outcome_in", "cash_out")


def finish(spec: ContractSpec, timeline: Timeline, outcomes, columns: str = "all") -> dict:
    """Measure, pay and cost drawn ``outcomes``; the chunk record of :func:`chunk_record`
    (``columns="all"``), or only part of it, the same numbers: ``"light"``, its
    :data:`LIGHT_COLUMNS` (what a streamed portfolio reads: no provider's cash figures,
    measured rates or payers' columns); ``"noise"``, its ``outcome``, ``any_triggered`` and
    payers' columns (what paid for noise reads,
    :func:`pbr_model.finance.commissioner.paid_for_noise`: no monthly cash in, cash
    figures or measured rates)."""
    if columns not in ("all", "light", "noise"):
        raise ValueError(f"columns: 'all', 'light' or 'noise' (got {columns!r})")
    # cohorts not served leave the measurement; in flight, as the rule says (stop is None
    # without a [termination])
    stop, evaluation, paid = termination.measured(spec, timeline, evaluate(spec, outcomes))
    takers = outcomes.budget_takers
    if stop is not None:
        takers = np.where(stop.served, takers, 0)
    # everyone served costs money and is in the counts; the evaluator measured only those
    # it could match when some were lost to data matching (evaluation.attrition)
    people = evaluation.treated if outcomes.measured is None else served(outcomes.treated, stop)
    entrants = people.n
    paid_volume = outcomes.paid_volume
    if stop is not None and paid_volume is not None:
        paid_volume = np.where(stop.served, paid_volume, 0)
    # fees follow the paid volume; costs, budgets and outcomes follow the caseload
    inputs = PaymentInputs(timeline, entrants, paid, paid_volume,
                           None if stop is None else stop.month)
    flows = termination.stopped_flows(spec, timeline, pay_all(spec, inputs), stop)
    cash_out = monthly_costs(spec, timeline, entrants, takers,
                             None if stop is None else stop.month)
    changed = renegotiate(spec, flows, cash_out, inputs)
    flows = [*changed.flows, *changed.lines]
    if columns == "noise":
        n_sims = len(entrants)
        triggered, pooled_triggered = triggers(flows, entrants.shape)
        return {"outcome": paid_totals(flows, n_sims)["outcome"],
                "any_triggered": triggered.any(axis=1) | pooled_triggered,
                **payer_columns(flows, n_sims)}
    zeros = np.zeros((len(entrants), timeline.n_months))
    cash_in = sum((f.monthly for f in flows), zeros)
    outcome_in = sum((f.monthly for f in flows if f.kind == "outcome"), zeros)
    del zeros
    if columns == "light":
        return {"entrants": people.n, **paid_totals(flows, len(people.n)), "cash_in": cash_in,
                "outcome_in": outcome_in, "cash_out": cash_out}
    figures = cash_figures(cash_in, cash_out, spec.provider,
                           bond_funded(spec, cash_in, cash_out,
                                       None if stop is None
                                       else np.where(stop.terminated, stop.month, -1)))
    record = chunk_record(outcomes, evaluation, flows, cash_in, outcome_in, cash_out, figures,
                          rule_measures(spec), people)
    record.update(renegotiation=changed.lump_sums, renegotiated=changed.met.any(axis=1))
    if stop is not None:
        for name in ("counterfactual_reoffenders", "counterfactual_reoffences", "paid_volume"):
            record[name] = np.where(stop.served, record[name], 0)
        record.update(terminated=stop.terminated,
                      termination_month=np.where(stop.terminated, stop.month, -1))
    # the reoffences avoided, each discounted to the start from when it falls (the
    # commissioner's present value of the savings: finance.commissioner.avoided_discount)
    weights = avoided_discount(timeline.entry_month, timeline.cohort_months,
                               spec.contract.followup_months, spec.commissioner.discount_rate)
    record["pv_reoffences_avoided"] = row_dot(
        record["counterfactual_reoffences"] - record["reoffences"], weights)
    # what the commissioner paid, in all and for results, at its prices and real rate
    record["pv_paid"] = present_value(cash_in, spec.commissioner)
    record["pv_outcome_paid"] = present_value(outcome_in, spec.commissioner)
    return record


def bond_funded(spec: ContractSpec, cash_in: np.ndarray, cash_out: np.ndarray,
                termination_month: np.ndarray | None = None) -> np.ndarray | None:
    """With a ``[sib]``, the provider's income with the bond's cash through it (the
    investors' draws in, what the waterfall pays them out: the bond's vehicle, as ``pbr
    capital``'s prime), ``(n_sims, n_months)`` [currency]; None without one.
    ``termination_month``: where each simulation stopped (-1: it ran its term), so a bond
    is settled when its contract ends (:func:`~pbr_model.finance.sib.settled_early`)."""
    if spec.sib is None:
        return None
    # only a bond's contract runs the waterfall
    from .finance.sib import bond_cash, run_sib, settled_early
    draws, paid_out = bond_cash(run_sib(spec.sib, cash_in, cash_out,
                                        settled_early(spec.termination, termination_month)))
    return cash_in + draws - paid_out


def served(counts: Counts, stop) -> Counts:
    """Everyone's people, reoffenders and reoffences per (sim, cohort), summed over bands,
    in the cohorts served (all of them without a stop)."""
    def total(a):
        a = band_sum(a)
        return a if stop is None else np.where(stop.served, a, 0).astype(a.dtype, copy=False)
    return Counts(total(counts.n), total(counts.reoffenders), total(counts.reoffences))


def _descriptive(evaluation: Measurement) -> dict[str, np.ndarray]:
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


def chunk_record(outcomes: Outcomes, evaluation: Measurement, flows: list[PaymentFlows],
                 cash_in, outcome_in, cash_out, figures,
                 rule_measures: list[tuple[str, str]] = (),
                 people: Counts | None = None) -> dict[str, np.ndarray]:
    """Keep only what the result tables need from one chunk (bounded memory):
    ``(n, n_cohorts)`` per-cohort arrays, ``(n,)`` per-simulation arrays and the
    ``(n, n_months)`` cash flows. ``people``: everyone served and their counts, where they
    differ from the measured (``evaluation.treated``) by attrition."""
    people = evaluation.treated if people is None else people
    n = people.n
    outcome_flows = [f for f in flows if f.kind == "outcome"]
    triggered, pooled_triggered = triggers(flows, n.shape)
    rec = _descriptive(evaluation)
    ones = np.ones(len(n))
    rec.update(
        entrants=n,
        paid_volume=n if outcomes.paid_volume is None else outcomes.paid_volume,
        volume_factor=ones if outcomes.volume_factor is None else outcomes.volume_factor,
        paid_volume_factor=(ones if outcomes.paid_volume_factor is None
                            else outcomes.paid_volume_factor),
        reoffenders=people.reoffenders,
        reoffences=people.reoffences,
        counterfactual_reoffenders=band_sum(outcomes.counterfactual_reoffenders),
        counterfactual_reoffences=band_sum(outcomes.counterfactual_reoffences),
        fee_payment=sum((f.by_cohort for f in flows if f.kind == "fee"), np.zeros(n.shape)),
        outcome_payment=sum((f.by_cohort for f in outcome_flows), np.zeros(n.shape)),
        triggered=triggered,
        effect_binary=outcomes.effect_binary,
        effect_frequency=outcomes.effect_frequency,
        **paid_totals(flows, len(n)),
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
    rec.update(payer_columns(flows, len(n)))
    return rec


def triggers(flows: list[PaymentFlows], shape: tuple[int, int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Whether any outcome mechanism was triggered, per (simulation, cohort) and on pooled
    results per simulation: ``(triggered (n_sims, n_cohorts), pooled (n_sims,))``."""
    triggered = np.zeros(shape, dtype=bool)
    pooled = np.zeros(shape[0], dtype=bool)
    for f in flows:
        if f.kind != "outcome":
            continue
        if f.triggered is not None:
            triggered |= f.triggered
        if f.pooled_triggered is not None:
            pooled |= f.pooled_triggered
    return triggered, pooled


def paid_totals(flows: list[PaymentFlows], n_sims: int) -> dict[str, np.ndarray]:
    """``fee`` and ``outcome``: each simulation's fees and outcome payments over the
    contract, ``(n_sims,)`` [currency], added flow by flow in order."""
    return {"fee": sum((f.total for f in flows if f.kind == "fee"), np.zeros(n_sims)),
            "outcome": sum((f.total for f in flows if f.kind == "outcome"), np.zeros(n_sims))}


#: Per-simulation columns of each outcome payer (see :func:`payer_columns`), ``{}``
#: standing for the payer's name, with their units.
PAYER_COLUMNS = {"paid_by:{}": "currency", "outcome_paid_by:{}": "currency",
                 "cap_binds:{}": "bool", "triggered_for:{}": "bool"}


def payer_columns(flows: list[PaymentFlows], n_sims: int) -> dict[str, np.ndarray]:
    """Per simulation and payer (by name, over every mechanism it pays a share of, in the
    order payers first appear): what it paid, in all and for results; whether its cap (one
    over every mechanism that names it) bound; and whether a mechanism it pays for results
    was triggered. Empty when no mechanism has payers."""
    out: dict[str, np.ndarray] = {}
    names = list(dict.fromkeys(p.name for f in flows for p in f.payers))
    for name in names:
        paid, outcome = np.zeros(n_sims), np.zeros(n_sims)
        binds, triggered = np.zeros(n_sims, bool), np.zeros(n_sims, bool)
        for f in flows:
            for p in f.payers:
                if p.name != name:
                    continue
                paid = paid + p.paid
                binds |= p.cap_binds
                if f.kind == "outcome":
                    outcome = outcome + p.paid
                    if f.triggered is not None:
                        triggered |= f.triggered.any(axis=1)
                    if f.pooled_triggered is not None:
                        triggered |= f.pooled_triggered
        for key, value in zip(PAYER_COLUMNS, (paid, outcome, binds, triggered)):
            out[key.format(name)] = value
    return out


