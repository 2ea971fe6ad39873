"""Break-even: the value of one contract parameter at which the provider's target is just met.

Three questions a bidder asks, each answered by root-finding on simulations:

``effect``
    the smallest known true effect (set on every outcome with
    :func:`pbr_model.scenarios.with_effect`, sd 0) at which the target is met;
``personal_budget``
    the largest ``intervention.personal_budget.amount`` per participant who takes
    it up at which the target still holds: how large an enabling fund the
    contract can pay for (DOMAIN.md section 6);
``price``
    the smallest factor k on the contract's outcome prices at which the target is
    met. k multiplies, in every ``type = "outcome"`` mechanism, each rate's
    ``price`` and ``deduction_price``, ``cap_per_cohort``, ``cap_total`` and
    ``foundation.per_participant``; in every ``type = "tiered"`` mechanism, each
    tier's ``amount`` and ``cap_total``. Fees, revenue at risk, thresholds, tier
    ``at`` values and costs stay as they are. Because the caps and advances scale
    too, every outcome payment is exactly k times its value at k = 1, simulation
    by simulation;
``fee``
    the smallest factor k on the contract's fees at which the target is met: k
    multiplies, in every ``type = "fee"`` mechanism, the ``annual`` fee, the
    ``per_participant`` fee or both (``fees``), and the answer is reported also as
    each fee at k. Fees are paid whatever the outcome, so given the simulated
    volumes every fee flow is k times its value at 1 and the contract's net is
    linear in k: net(k) = net(0) + k (net(1) - net(0)), simulation by simulation.
    Without a provider the search reads the trials off that line (two simulation
    runs, on common random numbers) and a third run at the answer checks it (were it
    ever to disagree, the search is repeated running every trial); a party's net after
    financing is not linear (financing follows the deficit), so with a provider each
    trial is run.

The result per simulation is the contract's net (``simulations["net"]``:
revenue less costs, before financing) or, with a provider profile, that party's
``net_after_financing`` in a seat of its own on its profile's terms (see
:func:`pbr_model.analyses.capital.capital`). Money into the party is positive. Targets:
``expected-net`` (mean result >= 0) or ``prob-loss=P`` (P(result < 0) <= P).

Every trial value is simulated with the same seed (common random numbers), so
the objective is one fixed function of the parameter and the answer is stable.
That function is a step function in places (caps, thresholds, and P(loss) over
finitely many simulations), so the search brackets the crossing on the function's
monotone envelope (:func:`pbr_model.search.find_crossing`): regula falsi (Illinois)
steps, with a bisection step whenever a step fails to halve the bracket, until the
bracket is narrower than the tolerance.
The answer is the end of that bracket where the target is met: the crossing of
the simulated objective with this seed, to the tolerance (effect 1e-4, budget 1
currency unit, price factor 1e-4). The search looks for it in effect [-0.5, 0.9],
price factor [0, 100] and budget [0, B], where B is ten times the contract's
expected revenue per expected budget taker, rounded up to two significant figures
(and at least twice the budget now): budgets that cost ten times the revenue
cannot break even; fee factor [0, 100]. A target met across the whole range gives the range's end
(``at_bound``); one met nowhere in it gives ``not_reached`` and the best value tried. Its Monte Carlo standard
error (sd / sqrt(n) for the expected net, sqrt(p (1 - p) / n) for P(loss)) says
how far another seed might move the objective there.

The answer's own Monte Carlo standard error is that error divided by the slope of
the objective at the answer, the slope read from two more trials at the answer
plus and minus :data:`PROBE` (clipped to the range). The answer is shown rounded
to two significant figures of its standard error (never finer than the
tolerance), and the bracket rounded outward to the same step, so the rounded
answer always lies inside the rounded bracket; the full-precision answer and
bracket are kept beside them (``--json``).
"""

from __future__ import annotations

from concurrent.futures import Executor

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..effects import implied_cuts
from ..approx import check_draws
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args, resolve_shocks
from ..errors import InputError
from ..scenarios import scale_fees, scale_prices, with_terms
from ..search import Status, find_crossing
from ..spec import LoadedSpec
from ..spec.load import load_profile
from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec
from .base import HasProvenance, Provenance, contract_provenance
from .capital import capital
from .parties import check_seats
from .breakeven_problem import (EFFECT_RANGE, FEE_RANGE, PRICE_RANGE, SOLVES,  # noqa: F401
                                TOLERANCE, Problem, check_fees, check_solve, problem_for)
from .breakeven_answer import (PROBE, TARGET_FORMS, Target, Trial, answer_error, parse_target,  # noqa: F401
                               precision, round_up, rounded)
from .simulate import simulate

if TYPE_CHECKING:  # pandas is imported only when a table is asked for
    import pandas as pd

# -- the result -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BreakevenResult(HasProvenance):
    """The break-even value of one parameter.

    Attributes
    ----------
    provenance : how it was run (spec hash, seed, simulations per trial, volume shock...)
    spec : the spec as given
    solve : ``"effect"`` [fraction], ``"personal_budget"`` [currency per taker],
        ``"price"`` [factor on the spec's outcome prices] or ``"fee"`` [factor on its fees]
    fees : for ``fee``, which fees the factor scales (``both``, ``annual``,
        ``per_participant``); None otherwise
    target : the provider's target
    provider : the profile in the seat, or None for the contract's own net
    status : ``"solved"`` (crossing found), ``"at_bound"`` (the target holds across the whole
        search range: the answer is the range's end) or ``"not_reached"`` (the target fails
        across the range; ``answer`` is the best value tried)
    value : the answer, in the parameter's units; None if not reached
    answer : the objective at the answer (or the best value tried)
    bracket : final bracket [parameter units]: the target fails at one end and holds at the other
    standard_error : the answer's Monte Carlo standard error [parameter units]: the
        objective's at the answer over its slope there; None if not solved or the slope
        there is not positive in the helpful direction
    slope : that slope [objective units per parameter unit], or None
    step : what the answer is shown to (:func:`precision`) [parameter units]
    shown : the answer rounded to ``step`` (None if not reached); ``shown_bracket``: the
        bracket rounded outward to ``step``, so it holds ``shown``
    search_range : where the answer was looked for
    tolerance : the bracket width at which the search stops
    steps : search steps after bracketing; ``trials`` : simulation runs in all
    current : the parameter's value in the spec, and the objective at the spec as given
    context : expected payments at the spec as given (per participant, per budget taker)
        [currency]
    prices : for ``price`` and ``fee``: each scaled field's ``--set`` path, value now and at
        the answer
    trace : every trial, in order
    """

    provenance: Provenance
    spec: ContractSpec
    solve: str
    parameter: str
    unit: str
    target: Target
    provider: ProviderProfile | None
    status: Status
    value: float | None
    answer: Trial
    bracket: tuple[float, float]
    standard_error: float | None
    slope: float | None
    step: float
    shown: float | None
    shown_bracket: tuple[float, float]
    search_range: tuple[float, float]
    tolerance: float
    steps: int
    trials: int
    current_value: float
    current: Trial
    context: dict
    prices: list[dict]
    trace: list[Trial]
    fees: str | None = None

    @property
    def implied(self) -> dict | None:
        """For ``effect``: what the answer means for each measure at the baseline mix
        (:func:`pbr_model.effects.implied_cuts`), so "break-even 2.2%" reads as cuts in the
        binary rate and reoffences per reoffender; None otherwise or if not reached."""
        if self.solve != "effect" or self.value is None:
            return None
        return implied_cuts(self.spec, self.value)

    @property
    def objective(self) -> str:
        return "net" if self.provider is None else "net_after_financing"

    def to_dict(self) -> dict:
        """The ``--json`` object."""
        t = self.target
        return {
            **self.provenance.to_dict(),
            "solve": self.solve, "fees": self.fees, "parameter": self.parameter,
            "unit": self.unit,
            "target": {"name": str(t), "kind": t.kind, "prob_loss": t.prob, "label": t.label},
            "provider": None if self.provider is None else self.provider.name,
            "objective": self.objective,
            "status": self.status, "value": self.value,
            "at_answer": self.answer.to_dict(t),
            "bracket": list(self.bracket), "standard_error": self.standard_error,
            "slope": self.slope, "step": self.step, "shown": self.shown,
            "shown_bracket": list(self.shown_bracket),
            "search_range": list(self.search_range),
            "tolerance": self.tolerance, "steps": self.steps, "trials": self.trials,
            "current": self.current.to_dict(t) | {"value": self.current_value},
            "context": self.context,
            # for an effect: what the answer means for each measure (at the baseline mix)
            "implied": self.implied,
            "prices": self.prices,
            "trace": [{"value": r.x, "expected_net": r.expected_net, "prob_loss": r.prob_loss}
                      for r in self.trace],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per value tried, in order (index ``trial``, from 1): the ``trials``
        table."""
        return self.tables()["trials"]

    def tables(self) -> dict[str, object]:
        """``trials``: every value tried, in order; ``prices`` (for ``price``): each scaled
        field now and at the answer (also for ``fee``) (``--csv``/``--parquet``)."""
        import pandas as pd
        trials = pd.DataFrame(self.to_dict()["trace"])
        trials.index = pd.RangeIndex(1, len(trials) + 1, name="trial")  # as in the workbook
        trials.attrs["units"] = {"value": self.unit, "expected_net": "currency",
                                 "prob_loss": "probability"}
        tables = {"trials": trials}
        if self.prices:
            tables["prices"] = pd.DataFrame(self.prices)
        return tables


#: The tables :meth:`BreakevenResult.tables` gives.
BREAKEVEN_TABLES = ("trials", "prices")


def breakeven(
    spec: ContractSpec | LoadedSpec,
    solve: str,
    target: str | Target = "expected-net",
    provider: str | ProviderProfile | None = None,
    sims: int = 2_000,
    seed: int = DEFAULT_SEED,
    *,
    volume_shock: float = 0.0,
    paid_volume_shock: float | None = None,
    caseload_shock: float | None = None,
    fees: str = "both",
    share: float | None = None,
    fee_share: float | None = None,
    pbr_share: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    draws: str = "exact",
) -> BreakevenResult:
    """Solve for the value of ``solve`` at which ``target`` is just met.

    Parameters
    ----------
    spec : a validated spec
    solve : ``"effect"``, ``"personal_budget"``, ``"price"`` or ``"fee"`` (see the module
        docstring)
    target : ``"expected-net"`` or ``"prob-loss=P"`` (0 < P < 1), or a :class:`Target`
    provider : a provider profile (bundled name, path or object) whose
        ``net_after_financing`` in a seat of its own is the result; None for the contract's
        net before financing
    sims, seed : simulations per trial value and their seed, the same at every value
    volume_shock, paid_volume_shock, caseload_shock : planned volumes cut by these shares
        (as :func:`pbr_model.simulate`)
    fees : for ``solve="fee"``: ``"both"`` (annual and per-participant fees), ``"annual"``
        or ``"per_participant"``
    share, fee_share, pbr_share : override the provider's seat terms (as ``pbr capital
        --share``, ``--fee-share``, ``--pbr-share``); only with ``provider``
    chunk_size : simulations per chunk of work (memory only; changes no number)
    progress : called as ``progress(done, total)`` in simulations after each trial; the
        total is the search's worst case, so a search usually ends early
    executor : where each trial's chunks run (as :func:`pbr_model.simulate`)
    draws : ``"exact"`` or ``"approx"``, as :func:`pbr_model.simulate`

    Returns
    -------
    BreakevenResult
        Not reaching the target in the search range is a result (``status``), not an error.

    Raises
    ------
    InputError
        A bad ``solve``, ``target``, ``fees``, seat term or run argument, a personal budget
        nobody takes up, or nothing to scale.
    """
    loaded = LoadedSpec.of(spec)
    model = loaded.spec
    name = check_solve(solve)
    goal = parse_target(target)
    check_run_args(sims, seed, chunk_size)
    shocks = resolve_shocks(volume_shock, paid_volume_shock, caseload_shock)
    # every run of the search: the shocks and how counts are drawn
    shock = {"paid_volume_shock": shocks[0], "caseload_shock": shocks[1],
             "draws": check_draws(draws)}
    parts = check_fees(fees)
    if parts != "both" and name != "fee":
        raise InputError(f"fees: only with solve='fee' (got fees={fees!r} with solve={name!r})")
    profile = provider if provider is None or isinstance(provider, ProviderProfile) \
        else load_profile(provider)
    check_seats([] if profile is None else [profile], share, pbr_share, fee_share=fee_share,
                names={"providers": "provider"})
    if profile is not None:
        profile = with_terms(profile, share, pbr_share, fee_share)

    def result_of(s: ContractSpec) -> np.ndarray:
        if profile is None:
            run = simulate(s, sims, seed, chunk_size=chunk_size, executor=executor,
                           summary_only=True, **shock)
            return run.sim_columns["net"]
        seat = capital(s, [profile], sims, seed, **shock, chunk_size=chunk_size,
                       commissioner=False, executor=executor, summary_only=True).parties[0]
        return seat.figures.net_after_financing

    # every run of the search is read for its per-simulation figures only
    base = simulate(model, sims, seed, chunk_size=chunk_size, executor=executor,
                    summary_only=True, **shock)
    s = base.sim_columns
    entrants = float(s["entrants"].mean())
    take_up = model.intervention.personal_budget.take_up
    takers = entrants * take_up
    per = (lambda v: v / entrants) if entrants > 0 else (lambda v: math.nan)
    context = {
        "entrants": entrants,
        "outcome_per_participant": per(float(s["outcome"].mean())),
        "fee_per_participant": per(float(s["fee"].mean())),
        "cost_per_participant": per(float(s["cost"].mean())),
        # what the outcome payments alone could fund per budget taker (the seed's question)
        "outcome_per_taker": float(s["outcome"].mean()) / takers if takers > 0 else None,
        "expected_budget_takers": takers,
    }
    revenue = float(s["revenue"].mean())

    def budget_hi() -> float:
        # ten times the contract's expected revenue spent on budgets: the target cannot hold
        per_taker = 10 * revenue / takers if takers > 0 else 0.0
        return round_up(max(per_taker, 2 * model.intervention.personal_budget.amount, 1.0))

    problem = problem_for(name, model, budget_hi, parts)
    tol = TOLERANCE[name]
    def run_net(x: float) -> np.ndarray:
        return simulate(problem.at(x), sims, seed, chunk_size=chunk_size, executor=executor,
                        summary_only=True, **shock).sim_columns["net"]

    line = None
    if name == "fee" and profile is None:
        # linear in the factor, simulation by simulation: read each trial off the line
        # through factor 0 and the spec as given (factor 1), on the same random numbers
        net0 = run_net(0.0)
        line = (net0, s["net"] - net0)

    def result_at(x: float) -> np.ndarray:
        if line is not None:
            return line[0] + x * line[1]
        return result_of(problem.at(x))
    worst = 2 + 2 * math.ceil(math.log2(max((problem.hi - problem.lo) / tol, 2)))
    trace: list[Trial] = []
    cache: dict[float, Trial] = {}

    def evaluate(x: float) -> Trial:
        if x not in cache:
            cache[x] = Trial.of(x, result_at(x))
            trace.append(cache[x])
            if progress:
                progress(min(len(trace), worst) * sims, worst * sims)
        return cache[x]

    if name == "effect":
        # the spec as given, its effect uncertain: context, not a point of the search
        current = Trial.of(problem.current, s["net"] if profile is None
                           else result_of(model))
    else:
        if profile is None:
            # the spec as given is the trial at its own value: do not run it twice
            cache[problem.current] = Trial.of(problem.current, s["net"])
            trace.append(cache[problem.current])
        current = evaluate(problem.current)

    def search():
        return find_crossing(evaluate, lambda t: t.margin(goal), start=problem.current,
                             lo=problem.lo, hi=problem.hi, rising=problem.rising, tol=tol,
                             rank=lambda t: (t.margin(goal), t.expected_net))

    found = search()
    if line is not None and found.answer.x not in (0.0, 1.0):
        # check the line with a run at the answer; should a fee term ever stop being
        # linear in the factor, search again running every trial
        k = found.answer.x
        predicted = line[0] + k * line[1]
        scale = float(np.abs(line[0]).max() + abs(k) * np.abs(line[1]).max()) + 1.0
        if not np.allclose(run_net(k), predicted, rtol=0.0, atol=1e-9 * scale):
            line = None
            kept = cache.pop(problem.current)
            cache.clear()
            trace.clear()
            cache[problem.current] = kept
            trace.append(kept)
            found = search()
    value = None if found.status == "not_reached" else found.answer.x
    slope = se = None
    if found.status == "solved":
        slope, se = answer_error(evaluate, found.answer, name, goal, problem, tol)
    if progress:
        progress(worst * sims, worst * sims)
    step = precision(se, tol)
    shown = None if value is None else rounded(value, step)
    lo_b, hi_b = found.bracket
    shown_bracket = (rounded(lo_b, step, "down"), rounded(hi_b, step, "up"))
    prices = []
    if name in ("price", "fee"):
        fields = scale_prices(model, 1.0)[1] if name == "price" \
            else scale_fees(model, 1.0, parts)[1]
        prices = [{"path": path, "current": v, "at_answer": None if value is None else v * value}
                  for path, v in fields if v != 0]
    return BreakevenResult(
        provenance=contract_provenance(loaded, seed, sims, shocks, draws=draws), spec=model,
        solve=name,
        parameter=problem.label, unit=problem.unit, target=goal, provider=profile,
        status=found.status, value=value,
        answer=found.answer, bracket=found.bracket, standard_error=se, slope=slope, step=step,
        shown=shown, shown_bracket=shown_bracket, search_range=(problem.lo, problem.hi),
        tolerance=tol, steps=found.steps, trials=len(trace), current_value=problem.current,
        current=current, context=context, prices=prices, trace=trace,
        fees=parts if name == "fee" else None)
