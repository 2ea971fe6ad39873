"""Each party's figures in a contract: its seat, its cash read after financing, its
headline summary and the facility sized for it.

The parties' seats (:func:`chain_seats`, or profiles given), how a simulation's cash is split
between them (:func:`party_flows`, priced by the contract's :func:`plan`) and what is read
from each party's flows (:func:`party_result`, :func:`party_from`): what ``pbr capital``
(:mod:`~pbr_model.analyses.capital`) and a portfolio's owners
(:mod:`~pbr_model.analyses.owners`) report per party.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..engine import DEFAULT_SEED
from ..errors import InputError
from ..finance.capital import CapitalFigures, capital_read, capital_summary, facility_summary
from ..finance.parties import (ContractFlows, PartyFlows, Plan, Seat, chain_flows, prime_profile,
                               seat_flows)
from ..spec import LoadedSpec
from ..spec.load import load_profile
from ..spec.profiles import locate_profile, spec_folder
from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec
from ..stats import PERCENTILES, leading_sum, percentile_rows
from .base import frame, month_dates
from .simulate import SimulationResult, simulate
from .stream import figures_only

if TYPE_CHECKING:  # pandas is imported only when a table is asked for
    import pandas as pd


#: Units of the ``parties`` table's columns.
PARTY_UNITS = {"sim": None, "party": None, "role": None, "revenue": "currency",
               "cost": "currency", "net": "currency", "npv": "currency",
               "peak_funding": "currency", "peak_month": "month index",
               "peak_funding_before_financing": "currency",
               "peak_month_before_financing": "month index", "insolvent": "bool",
               "first_shortfall_month": "month index",
               "financing_cost": "currency", "net_after_financing": "currency"}

#: Simulations a contract's plan is read from (its first ones, without a volume shock) and
#: on which each party's facility is sized (its first ones), whatever the run's size: the
#: same figures whether a run keeps its arrays or streams them (a streamed run cannot go
#: back to simulations it has folded away). At 10,000 the standard error of the plan's
#: mean outcome income is about 1% of it on the bundled bonds (0.76-1.09%), and the
#: facility's chance of running out is read from 10,000 trials (docs/finance.md).
PLAN_SIMS = 10_000


def plan(spec: ContractSpec | LoadedSpec, sims: int = 10_000, seed: int = DEFAULT_SEED,
         result: SimulationResult | None = None, executor: Executor | None = None,
         draws: str = "exact") -> Plan:
    """The contract as planned: mean fee and outcome income and entrants over the first
    ``min(sims, PLAN_SIMS)`` simulations of the unshocked contract (``result``'s own when
    it is unshocked and kept its arrays, else a run of that many with ``seed`` and
    ``draws``, or ``result``'s draws). Its outcome income per participant is the expected
    value of the PbR risk a seat does not carry; a volume shock does not move it."""
    n = min(sims, PLAN_SIMS)
    if result is None or result.shocked or result.cash_in is None:
        result = simulate(spec, n, seed, executor=executor, detail=True,
                          draws=draws if result is None else result.provenance.draws)
    return plan_of(result, min(n, result.sims))


def plan_of(result: SimulationResult, n: int) -> Plan:
    """The plan read from the first ``n`` simulations of a kept run without a shock (the
    monthly sums added row by row in simulation order, :func:`~pbr_model.stats.leading_sum`,
    so the plan does not depend on how the run was chunked)."""
    s = result.sim_columns
    entrants = result.cohort_columns["entrants"][:n]
    return Plan(fee=float(s["fee"][:n].mean()), outcome=float(s["outcome"][:n].mean()),
                entrants=float(s["entrants"][:n].mean()),
                fee_by_month=leading_sum(result.cash_in[:n] - result.outcome_in[:n]) / n,
                starters_by_month=leading_sum(result.timeline.in_arrears(entrants)) / n)


def chain_seats(spec: ContractSpec | LoadedSpec, folder: Path | None = None) -> list[Seat]:
    """The spec's parties: the prime (``[provider]``) and each ``[[supply_chain]]`` entry,
    its profile a bundled name or a file relative to ``folder`` (the spec's). A loaded spec
    gives the profile files it read when it was loaded (those its hash covers), and its
    own folder."""
    read: dict[str, ProviderProfile] = {}
    if isinstance(spec, LoadedSpec):
        read, folder, spec = dict(spec.profiles), spec_folder(spec.source), spec.spec
    seats = [Seat(prime_profile(spec), role="prime")]
    for sub in spec.supply_chain:
        base = (read[sub.profile] if sub.profile in read
                else load_profile(locate_profile(sub.profile, folder)))
        profile = base.model_copy(update=dict(name=sub.name, share=sub.share,
                                              fee_share=sub.fee_share, pbr_share=sub.pbr_share,
                                              fee_basis=sub.fee_basis))
        seats.append(Seat(profile, role=f"subcontractor ({base.name})"))
    return seats


@dataclass(frozen=True)
class PartyResult:
    """One party's figures: its seat, per-simulation figures, the monthly percentiles of
    its balance after financing (``month_columns``: ``date``, ``mean``, ``p5``... one
    value per month; ``months``: the same as a table, built on first use), the headline
    ``summary`` and its monthly net flows ``(n_sims, n_months)`` [currency] (None: a
    streamed run, whose facility was sized as it went), from whose first
    :data:`PLAN_SIMS` rows :attr:`facility` is sized."""

    seat: Seat
    figures: CapitalFigures
    month_columns: dict | None = field(repr=False)   # None: a run that kept its summary only
    summary: dict
    net_flow: np.ndarray = field(default=None, repr=False)

    @cached_property
    def months(self) -> pd.DataFrame:
        """The monthly percentiles of the balance, one row per month (index ``month``)."""
        if self.month_columns is None:
            raise figures_only(f"the monthly balance of {self.seat.name}")
        return frame(self.month_columns, index_name="month")

    @cached_property
    def facility(self) -> dict:
        """A social investment facility sized for the party on its first
        :data:`PLAN_SIMS` simulations (see
        :func:`~pbr_model.finance.capital.facility_summary`); sized when first asked for,
        as it reruns the balance for each trial size."""
        return facility_summary(self.net_flow[:PLAN_SIMS], self.seat.profile)

    def to_dict(self) -> dict:
        """The summary with the facility and dates of the peak and first shortfall."""
        return {**self.summary, "facility": self.facility}


def party_frame(p: PartyResult) -> pd.DataFrame:
    """One party's per-simulation figures as a table (columns :data:`PARTY_UNITS`)."""
    import pandas as pd
    f = p.figures
    n = len(f.net)
    return pd.DataFrame({"sim": np.arange(n), "party": p.seat.name, "role": p.seat.role,
                         **{k: getattr(f, k) for k in PARTY_UNITS if k not in
                            ("sim", "party", "role")}})


def terms(seat: Seat) -> dict:
    """A seat's terms as ``pbr capital --json`` gives them (``providers[].terms``)."""
    p = seat.profile
    return {"share": p.share, "fee_share": p.fee_share, "pbr_share": p.pbr_share,
            "fee_basis": p.fee_basis, "reserves": p.reserves,
            "credit_limit": p.credit_limit, "credit_rate": p.credit_cost,
            "commitment_fee": p.commitment_fee, "reserves_rate": p.reserves_rate,
            "cost_of_capital": p.cost_of_capital, "overheads": p.overheads}


def _month_columns(result: SimulationResult, cumulative: np.ndarray) -> dict:
    """A balance's monthly columns: date, mean and percentiles of ``cumulative``."""
    return {"date": result.timeline.dates(), "mean": cumulative.mean(axis=0),
            **percentile_rows(cumulative)}


def read_party(seat: Seat, figures: CapitalFigures, balance: np.ndarray, net_flow: np.ndarray,
               result: SimulationResult) -> PartyResult:
    """A party's result from its figures and its whole monthly balance ``(n_sims, n_months)``."""
    return party_from(seat, figures, _month_columns(result, balance), net_flow, result)


def party_from(seat: Seat, figures: CapitalFigures, months, net_flow: np.ndarray | None,
               result, facility: dict | None = None) -> PartyResult:
    """A party's result from its figures and its monthly balance: its month columns, or a
    :class:`~pbr_model.sketch.ColumnSketch` of the balance (a streamed run), or None (a
    run that kept its summary only); ``facility``: :attr:`PartyResult.facility` if already
    sized on ``net_flow`` (where the flows were)."""
    if months is not None and not isinstance(months, dict):
        q = months.percentiles(list(PERCENTILES.values()))
        months = {"date": result.timeline.dates(), "mean": months.mean(),
                  **{label: q[i] for i, label in enumerate(PERCENTILES)}}
    summary = capital_summary(figures, seat.profile)
    summary.update(month_dates(summary, result.timeline.dates()))
    party = PartyResult(seat, figures, months, summary, net_flow)
    if facility is not None:   # the cached property's value, known: not sized again
        party.__dict__["facility"] = facility
    return party


def party_result(flows: PartyFlows, result: SimulationResult) -> PartyResult:
    """One party's figures from its whole flows (all simulations at once)."""
    figures, balance = capital_read(flows.income, flows.cash_out, flows.seat.profile)
    return read_party(flows.seat, figures, balance, flows.income - flows.cash_out, result)


def party_flows(result: SimulationResult, seats: list[Seat], mode: str, contract_plan: Plan,
                rows: slice = slice(None)) -> list[PartyFlows]:
    """Split a simulation's cash (the simulations in ``rows``) between the seats (see
    :mod:`pbr_model.finance.parties`)."""
    return split_cash(seats, mode, contract_plan, result.cash_in[rows], result.outcome_in[rows],
                      result.cash_out[rows], result.cohort_columns["entrants"][rows],
                      result.timeline)


def split_cash(seats: list[Seat], mode: str, contract_plan: Plan, cash_in: np.ndarray,
               outcome_in: np.ndarray, cash_out: np.ndarray, entrants: np.ndarray,
               timeline) -> list[PartyFlows]:
    """Split monthly cash ``(n, n_months)`` (into the provider, the part paid for results,
    the provider's costs; ``entrants`` per cohort ``(n, n_cohorts)``) between the seats:
    the spec's prime and supply chain (``mode`` ``"chain"``) or each seat on its own terms
    (``"providers"``), priced by ``contract_plan``."""
    flows = ContractFlows(fee=cash_in - outcome_in, outcome=outcome_in, cost=cash_out,
                          starters=timeline.in_arrears(entrants))
    if mode == "chain":
        return chain_flows(seats[0], seats[1:], flows, contract_plan)
    return [seat_flows(s, flows, contract_plan) for s in seats]


def check_seats(profiles: list[ProviderProfile], share=None, pbr_share=None,
                names: dict[str, str] | None = None, fee_share=None) -> None:
    """Raise ``InputError`` listing every problem with the seats asked for: ``share`` must
    be above 0 and at most 1, ``fee_share`` and ``pbr_share`` from 0 to 1, each only with
    ``profiles``, and
    each party named once. ``names`` renames the arguments in the messages (the CLI passes
    its flags)."""
    label = (names or {}).get
    problems = []
    terms = (("share", share, "above 0"), ("fee_share", fee_share, "from 0"),
             ("pbr_share", pbr_share, "from 0"))
    for arg, value, low in terms:
        if value is None:
            continue
        ok = not isinstance(value, bool) and isinstance(value, (int, float, np.number)) \
            and 0 <= value <= 1 and not (arg == "share" and value == 0)
        if not ok:
            problems.append(f"{label(arg, arg)}: must be a share {low} to 1 (got {value!r})")
    given = [arg for arg, value, _ in terms if value is not None]
    if given and not profiles:
        problems.append(f"{'/'.join(label(a, a) for a in given)}: apply "
                        f"to {label('providers', 'providers')} seats; give at least one "
                        f"{label('providers', 'provider')} (the spec's supply chain sets its "
                        f"own shares)")
    seen = [p.name for p in profiles]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    if repeated:  # each party is reported (and named in the workbook) once
        problems.append(f"{label('providers', 'providers')}: each party once; more than one "
                        f"profile named {', '.join(repeated)}")
    if problems:
        raise InputError(problems)
