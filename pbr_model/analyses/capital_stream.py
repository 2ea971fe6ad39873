"""``pbr capital`` of one contract, a chunk of simulations at a time.

A capital run splits each simulation's cash between the parties (the prime and its supply
chain, or each named provider in a seat of its own), funds the prime through the bond when
the spec has a ``[sib]``, and reads each party's figures after financing. All of it is per
simulation, so it is done a chunk at a time (:func:`split_chunk`) on the arrays a chunk
made, whether the run keeps them (read back in row chunks) or streams them:

* **kept** (the run's monthly arrays fit in :data:`~pbr_model.memory.DETAIL_BYTES`): each
  party's whole monthly balance is kept, so its monthly percentiles are exact;
* **streamed** (larger runs): each chunk is split where it is made, in the worker
  (:class:`Split`, passed to :func:`~pbr_model.analyses.simulate.simulate` with the
  chunk's reduction), and sends back only per-simulation figures, a sketch of each party's
  balance (:class:`~pbr_model.sketch.ColumnSketch`: means equal to the exact ones up to
  rounding, percentiles within :data:`~pbr_model.sketch.ALPHA` of the values they fall
  between), the net flows of its rows among the first
  :data:`~pbr_model.analyses.parties.PLAN_SIMS` (each party's facility is sized on them)
  and what the commissioner paid, discounted. Memory then grows by a few hundred bytes a
  simulation and party, not by the months.

Both ways the per-simulation figures are the same numbers (each simulation's row is read
by itself; the plan and the facilities come from the first ``PLAN_SIMS`` simulations).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..finance.capital import CapitalFigures, capital_read, facility_summary
from ..finance.parties import PartyFlows, Plan, Seat
from ..finance.sib import SibFlows, bond_cash, run_sib, settled_early
from ..spec.schema import SocialImpactBond
from ..spec.termination import Termination
from ..timeline import Timeline
from . import parties as _parties
from .parties import split_cash
from .stream import sketch_of


def funded_prime(prime: PartyFlows, sib: SibFlows) -> PartyFlows:
    """The prime as the bond's vehicle: investors' draws come in and what the waterfall
    pays them goes out (guarantees are paid by third parties, not by the prime)."""
    draws, paid_out = bond_cash(sib)
    return replace(prime, income=prime.income + draws - paid_out)


@dataclass
class Chunk:
    """One chunk's split (:func:`split_chunk`): per party its figures, monthly balance
    after financing and monthly net flows, each ``(n, n_months)``; per bond tranche its
    figures; per guarantee what it paid ``(n,)``."""

    figures: list[CapitalFigures]
    balance: list[np.ndarray]
    net_flow: list[np.ndarray]
    tranches: list
    guarantees: list[np.ndarray]


def split_chunk(seats: list[Seat], mode: str, plan: Plan, sib: SocialImpactBond | None,
                cash_in: np.ndarray, outcome_in: np.ndarray, cash_out: np.ndarray,
                entrants: np.ndarray, timeline: Timeline,
                stopped: np.ndarray | None = None) -> Chunk:
    """A chunk of simulations' cash split between ``seats`` (``mode`` ``"chain"`` or
    ``"providers"``, priced by ``plan``), the prime funded by the bond ``sib`` (None:
    none; settled early where ``stopped`` says, :func:`~pbr_model.finance.sib.run_sib`),
    and each party's capital read after financing."""
    flows = split_cash(seats, mode, plan, cash_in, outcome_in, cash_out, entrants, timeline)
    tranches, guarantees = [], []
    if sib is not None:
        bond = run_sib(sib, cash_in, cash_out, stopped)
        flows[0] = funded_prime(flows[0], bond)
        tranches = bond.figures()
        guarantees = [g.paid for g in bond.guarantees]
    out = Chunk([], [], [], tranches, guarantees)
    for f in flows:
        figures, balance = capital_read(f.income, f.cash_out, f.seat.profile)
        out.figures.append(figures)
        out.balance.append(balance)
        out.net_flow.append(f.income - f.cash_out)
    return out


@dataclass(frozen=True)
class Split:
    """How a streamed capital run reduces each chunk (picklable: it travels with the task):
    :func:`split_chunk` of its arrays, each party's balance folded into a sketch and its net
    flows kept only for the rows among the first ``PLAN_SIMS``."""

    seats: list[Seat]
    mode: str
    plan: Plan
    sib: SocialImpactBond | None
    timeline: Timeline
    #: Sketch each party's balance (False: a run that keeps its summary only, whose
    #: parties' monthly percentiles nothing reads).
    balances: bool = True
    #: The contract's ``[termination]``: a bond whose contract stopped is settled then.
    termination: Termination | None = None

    def __call__(self, record: dict, first: int) -> dict:
        """``record``: a chunk's (its monthly arrays still in it); ``first``: the index of
        its first simulation in the run."""
        chunk = split_chunk(self.seats, self.mode, self.plan, self.sib, record["cash_in"],
                            record["outcome_in"], record["cash_out"], record["entrants"],
                            self.timeline,
                            settled_early(self.termination, record.get("termination_month")))
        head = max(0, min(len(record["fee"]), _parties.PLAN_SIMS - first))
        # copies: a slice would hold the chunk's whole months
        net_flow = [n[:head].copy() for n in chunk.net_flow]
        return {"rows": slice(first, first + len(record["fee"])),
                "chunk": replace(chunk, balance=[], net_flow=[]),   # the months stay here
                "balance": [sketch_of(b) for b in chunk.balance] if self.balances else None,
                "net_flow": net_flow}


class Filled:
    """A dataclass of per-simulation arrays (``(n,)`` each, or a dict of them) for a whole
    run, filled in place a chunk at a time (:meth:`put`), so the run's figures are never
    held twice, as joining the chunks' would."""

    def __init__(self, part, sims: int):
        self.kind = type(part)
        self.arrays: dict = {}
        self.other: dict = {}
        for name in part.__dataclass_fields__:
            value = getattr(part, name)
            if isinstance(value, np.ndarray):
                self.arrays[name] = np.empty(sims, dtype=value.dtype)
            elif isinstance(value, dict):
                self.arrays.update({(name, k): np.empty(sims, dtype=v.dtype)
                                    for k, v in value.items()})
            else:
                self.other[name] = value

    def put(self, part, rows: slice) -> None:
        for key, out in self.arrays.items():
            out[rows] = (getattr(part, key) if isinstance(key, str)
                         else getattr(part, key[0])[key[1]])

    def value(self):
        joined = dict(self.other)
        for key, out in self.arrays.items():
            if isinstance(key, str):
                joined[key] = out
            else:
                joined.setdefault(key[0], {})[key[1]] = out
        return self.kind(**joined)


class Collected:
    """A capital run's per-simulation figures of ``sims`` simulations, written in place as
    each chunk's :class:`Chunk` is :meth:`put` (in any order: each chunk says its rows):
    each party's figures, each bond tranche's and what each guarantee paid."""

    def __init__(self, sims: int) -> None:
        self.sims = sims
        self.figures: list[Filled] | None = None
        self.tranche_rows: list[Filled] = []
        self.paid: list[np.ndarray] = []

    def put(self, chunk: Chunk, rows: slice) -> None:
        if self.figures is None:
            self.figures = [Filled(f, self.sims) for f in chunk.figures]
            self.tranche_rows = [Filled(t, self.sims) for t in chunk.tranches]
            self.paid = [np.empty(self.sims, dtype=g.dtype) for g in chunk.guarantees]
        for filled, f in zip((*self.figures, *self.tranche_rows),
                             (*chunk.figures, *chunk.tranches)):
            filled.put(f, rows)
        for out, g in zip(self.paid, chunk.guarantees):
            out[rows] = g

    def party_figures(self) -> list[CapitalFigures]:
        """Each party's figures over the run."""
        return [filled.value() for filled in self.figures]

    def tranches(self) -> list:
        """Each bond tranche's figures over the run."""
        return [filled.value() for filled in self.tranche_rows]

    def guarantees(self) -> list[np.ndarray]:
        """What each guarantee paid, per simulation."""
        return self.paid


class Streamed(Collected):
    """What the chunks of a streamed capital run of ``sims`` simulations sent back, folded
    as they arrive (:meth:`add` each chunk's :class:`Split` output, in chunk order: the
    balance sketches are merged then, so they do not pile up, and the figures written
    into the run's arrays)."""

    def __init__(self, sims: int) -> None:
        super().__init__(sims)
        self.balance: list | None = None
        self.net_flow: list[list[np.ndarray]] = []

    def add(self, part: dict) -> None:
        if not self.net_flow:   # the first chunk
            self.balance = part["balance"]
            self.net_flow = [[] for _ in part["net_flow"]]
        elif self.balance is not None:
            for mine, sketch in zip(self.balance, part["balance"]):
                mine.merge(sketch)
        self.put(part["chunk"], part["rows"])
        for kept, n in zip(self.net_flow, part["net_flow"]):
            kept.append(n)

    def parties(self, seats: list[Seat], result) -> list:
        """Each party's result: its figures, balance percentiles from its sketch (none
        where the balances were not sketched), its facility sized on its first
        ``PLAN_SIMS`` simulations' net flows."""
        sketches = self.balance if self.balance is not None else [None] * len(seats)
        return [_parties.party_from(seat, figures, sketch, None, result,
                                    facility=facility_summary(np.concatenate(nets),
                                                              seat.profile))
                for seat, figures, sketch, nets in zip(seats, self.party_figures(),
                                                       sketches, self.net_flow)]
