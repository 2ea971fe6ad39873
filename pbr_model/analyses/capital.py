"""Who can carry the risk: one contract through the eyes of each party to it.

Runs the contract once (common random numbers for every party), splits its cash
between the parties (the prime and its supply chain as the spec sets them, or
each named provider profile in a seat of its own), and reads each party's
funding need, chance of running out of cash, capital required and financing
cost; adds the social investors' returns when the spec has a ``[sib]`` and the
commissioner's view.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..engine import DEFAULT_CHUNK, DEFAULT_SEED
from ..errors import InputError
from ..finance.commissioner import (commissioner_summary, paid_for_noise, payer_summary)
from ..finance.parties import Plan, Seat
from ..finance.investors import InvestorFigures, guarantee_summary
from ..finance.investors import summary as sib_summary
from ..finance.sib import settled_early
from ..scenarios import with_terms
from ..spec import LoadedSpec
from ..spec.load import load_profile
from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec
from ..timeline import Timeline
from .base import HasProvenance, Provenance
from .capital_stream import Collected, Split, split_chunk
from .parties import (PARTY_UNITS, PartyResult, chain_seats, check_seats, party_frame, plan,
                      read_party, terms)
from .runs import prepared, sim_columns_at_no_effect
from .simulate import SIMULATION_TABLES, Progress, SimulationResult, simulate
from .stream import check_summary_only, keeps_detail

if TYPE_CHECKING:  # pandas is imported only when a table is asked for
    import pandas as pd


@dataclass(frozen=True)
class CapitalResult(HasProvenance):
    """Everything ``pbr capital`` reports.

    Attributes
    ----------
    result : the simulation all parties share
    mode : ``"chain"`` (the spec's prime and supply chain) or ``"providers"`` (each named
        profile in a seat of its own)
    parties : one :class:`PartyResult` each, in order
    plan : the contract as planned (means of the unshocked run), which prices the outcome
        risk a seat does not carry
    commissioner : the commissioner's figures (see :func:`commissioner_summary`); its
        paid-for-noise figures come from a second run of the contract at a known zero
        effect on the same seed (empty when ``capital(..., commissioner=False)``)
    investors : per tranche figures when the spec has a ``[sib]`` (else empty)
    guarantees : per guarantee, what it paid (else empty)
    tranche_figures : per tranche, its figures per simulation (for distributions)
    """

    result: SimulationResult
    mode: str
    parties: list[PartyResult]
    plan: Plan
    commissioner: dict
    investors: list[dict] = field(default_factory=list)
    guarantees: list[dict] = field(default_factory=list)
    tranche_figures: list[InvestorFigures] = field(default_factory=list, repr=False)

    @property
    def provenance(self) -> Provenance:
        """The shared simulation's provenance."""
        return self.result.provenance

    def to_dict(self) -> dict:
        """The ``--json`` object: provenance, the plan, each party's figures side by side,
        investors, guarantees and the commissioner's view."""
        return {
            **self.provenance.to_dict(), "mode": self.mode,
            "plan": {"fee": self.plan.fee, "outcome": self.plan.outcome},
            "providers": [{"name": p.seat.name, "role": p.seat.role,
                           "terms": terms(p.seat), **p.to_dict()} for p in self.parties],
            "investors": self.investors,
            "guarantees": self.guarantees,
            "commissioner": self.commissioner,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per simulation and party: each party's figures (the ``parties`` table)."""
        import pandas as pd
        table = pd.concat([party_frame(p) for p in self.parties], ignore_index=True)
        table.attrs["units"] = PARTY_UNITS
        return table

    def to_xarray(self):
        """The parties' figures by party and simulation and their monthly net flows (a run
        that kept its arrays; a streamed one kept no monthly flows), as an
        ``xarray.Dataset`` (see :func:`pbr_model.analyses.labelled.capital_dataset`)."""
        from .labelled import capital_dataset
        return capital_dataset(self)

    def tables(self) -> dict[str, object]:
        """The contract's tables (see :meth:`SimulationResult.tables`), plus ``parties``
        (one row per simulation and party) and, with a ``[sib]``, ``investors`` (one row
        per simulation and tranche)."""
        import pandas as pd
        tables = self.result.tables()
        tables["parties"] = pd.concat([party_frame(p) for p in self.parties],
                                      ignore_index=True)
        tables["parties"].attrs["units"] = PARTY_UNITS
        if self.tranche_figures:
            tables["investors"] = pd.concat([_tranche_frame(f) for f in self.tranche_figures],
                                            ignore_index=True)
            tables["investors"].attrs["units"] = INVESTOR_UNITS
        return tables


#: Units of the ``investors`` table's columns.
INVESTOR_UNITS = {"sim": None, "tranche": None, "kind": None, "drawn": "currency",
                  "received": "currency", "multiple": "ratio", "irr": "fraction per year",
                  "payback_month": "month index", "loss": "currency"}
#: The tables :meth:`CapitalResult.tables` can give (``--csv``/``--parquet`` file names).
CAPITAL_TABLES = (*SIMULATION_TABLES, "parties", "investors")


def _tranche_frame(f: InvestorFigures) -> pd.DataFrame:
    import pandas as pd
    n = len(f.drawn)
    return pd.DataFrame({"sim": np.arange(n), "tranche": f.name, "kind": f.kind,
                         **{k: getattr(f, k) for k in INVESTOR_UNITS if k not in
                            ("sim", "tranche", "kind")}})


def noise_run(spec: ContractSpec, sims: int, seed: int, volume_shock: float = 0.0,
              chunk_size: int = DEFAULT_CHUNK, paid_volume_shock: float | None = None,
              caseload_shock: float | None = None, executor: Executor | None = None,
              draws: str = "exact", progress: Progress | None = None) -> dict:
    """:func:`~pbr_model.finance.commissioner.paid_for_noise` of the contract run with a known
    true effect of zero on every outcome, on the same seed: at no volume shock exactly the
    figure ``pbr power`` reports at effect 0. Only the columns it reads are computed;
    ``progress(done, sims)`` after each chunk."""
    s = sim_columns_at_no_effect(spec, sims, seed, chunk_size=chunk_size,
                                 volume_shock=volume_shock, paid_volume_shock=paid_volume_shock,
                                 caseload_shock=caseload_shock, executor=executor, draws=draws,
                                 progress=progress)
    noise = paid_for_noise(s["triggered"], s["outcome"])
    payers = {name: paid_for_noise(s[f"triggered_for:{name}"],
                                   s[f"outcome_paid_by:{name}"])
              for name in payer_terms(spec)}
    return {**noise, "payers": payers} if payers else noise


def payer_terms(spec: ContractSpec) -> dict[str, list[dict]]:
    """Each outcome payer named in the spec's mechanisms, in order of appearance, with what
    it pays for: ``{"mechanism", "share", "cap"}`` per mechanism."""
    out: dict[str, list[dict]] = {}
    for m in spec.payments:
        for p in m.payers:
            out.setdefault(p.name, []).append({"mechanism": m.name, "share": p.share,
                                               "cap": p.cap})
    return out


def commissioner_view(result: SimulationResult, noise: dict | None = None) -> dict:
    """The commissioner's figures (:func:`commissioner_summary`) and, when mechanisms are
    split between outcome payers, ``payers``: each payer's (:func:`payer_summary`), its
    paid-for-noise figures from ``noise["payers"]``. The present values are the run's
    per-simulation columns (``pv_paid``, ``pv_outcome_paid``, ``pv_reoffences_avoided``:
    each chunk's, worked out where it was made, :func:`pbr_model.engine.finish`)."""
    s = result.sim_columns
    noise = dict(noise or {})
    payer_noise = noise.pop("payers", {})
    no_effect = (s["effect_binary"] <= 0) & (s["effect_frequency"] <= 0)
    terms = result.spec.commissioner
    view = commissioner_summary(s["fee"], s["outcome"], s["reoffences_avoided"], no_effect,
                                s["pv_paid"], terms, noise or None, s["pv_reoffences_avoided"],
                                s["pv_outcome_paid"])
    payers = payer_terms(result.spec)
    if payers:
        view["payers"] = [
            payer_summary(name, pays_for, s[f"paid_by:{name}"],
                          s[f"outcome_paid_by:{name}"],
                          s[f"cap_binds:{name}"], payer_noise.get(name))
            for name, pays_for in payers.items()]
    return view


def capital(
    spec: ContractSpec | LoadedSpec,
    providers: list[str | ProviderProfile] = (),
    sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    *,
    share: float | None = None,
    pbr_share: float | None = None,
    fee_share: float | None = None,
    volume_shock: float = 0.0,
    paid_volume_shock: float | None = None,
    caseload_shock: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
    commissioner: bool = True,
    executor: Executor | None = None,
    draws: str = "exact",
    detail: bool | None = None,
    spool: str | Path | None = None,
    summary_only: bool = False,
) -> CapitalResult:
    """The contract through each party's eyes.

    Parameters
    ----------
    spec : a validated spec
    providers : profiles (bundled names, paths or objects), each put in a seat of its own
        on its profile's terms; empty for the spec's own prime and supply chain
    sims, seed, chunk_size, progress : as :func:`pbr_model.simulate`
    share, fee_share, pbr_share : override every named profile's share of the work, of the
        fee on it and of the PbR risk on it
    volume_shock, paid_volume_shock, caseload_shock : planned volumes cut by these shares
        (as :func:`pbr_model.simulate`); per-participant prices stay at the plan
    commissioner : compute the commissioner's view (False skips it and the zero-effect run
        its paid-for-noise figures need, for callers that read only the parties)
    executor : where the simulation's chunks run (as :func:`pbr_model.simulate`)
    draws : ``"exact"`` or ``"approx"``, as :func:`pbr_model.simulate`
    detail : keep every simulation's monthly arrays and each party's monthly balance
        (True: exact monthly percentiles), split each chunk between the parties as it is
        made and keep only per-simulation figures and sketches (False), or decide by size
        (None: as :func:`pbr_model.simulate` decides); see
        :mod:`~pbr_model.analyses.capital_stream`
    spool : as :func:`pbr_model.simulate`: a folder where a streamed run writes its arrays,
        so its contract tables can be written (``pbr capital --csv`` passes one)
    summary_only : a streamed run keeps its figures only: it sketches neither the contract's
        months and cohorts nor any party's balance, so it takes less time and memory (``pbr
        capital`` does this when it writes no workbook, page or tables). The same figures;
        the parties' monthly balance, the contract's months and cohorts, the workbook, the
        page and the tables are then refused (``InputError``). A run that keeps its arrays
        (they give its plan and its parties) keeps them. Not with ``spool``

    Returns
    -------
    CapitalResult
    """
    loaded = LoadedSpec.of(spec)
    if isinstance(providers, (str, ProviderProfile)):
        raise InputError(f"providers: a list of profiles, e.g. [{providers!r}] "
                         f"(got one {type(providers).__name__})")
    profiles = [p if isinstance(p, ProviderProfile) else load_profile(p) for p in providers]
    check_seats(profiles, share, pbr_share, fee_share=fee_share)
    if profiles:
        seats = [Seat(with_terms(p, share, pbr_share, fee_share)) for p in profiles]
        mode = "providers"
    else:
        seats, mode = chain_seats(loaded), "chain"
    sib_spec = loaded.spec.sib if mode == "chain" else None
    # the run's arguments first: kept or streamed is read from the number of simulations
    prepared(loaded.spec, sims, seed, chunk_size, draws, volume_shock, paid_volume_shock,
             caseload_shock)
    check_summary_only(summary_only, spool=spool is not None)
    # one bar over both runs: the contract's, then the one at no effect the commissioner's
    # paid-for-noise figures read
    total = 2 * sims if commissioner else sims
    run = dict(chunk_size=chunk_size, volume_shock=volume_shock,
               paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
               progress=_shifted(progress, 0, total), executor=executor, draws=draws)
    if keeps_detail([Timeline.from_spec(loaded.spec)], sims, detail):
        result = simulate(loaded, sims, seed, detail=True, **run)
        contract_plan = plan(loaded, sims, seed, result, executor)
        parties, tranche_figures, paid = _kept_parties(result, seats, mode, contract_plan,
                                                       sib_spec, chunk_size)
    else:
        # the plan first (each chunk is split with it where it is made), from the first
        # PLAN_SIMS simulations of the contract without a shock
        contract_plan = plan(loaded, sims, seed, executor=executor, draws=draws)
        split = Split(seats, mode, contract_plan, sib_spec, Timeline.from_spec(loaded.spec),
                      balances=not summary_only,
                      termination=loaded.spec.termination)
        result = simulate(loaded, sims, seed, detail=False, spool=spool, split=split,
                          summary_only=summary_only, **run)
        parties = result.split.parties(seats, result)
        tranche_figures, paid = result.split.tranches(), result.split.guarantees()
    investors = [sib_summary(f) for f in tranche_figures]
    guarantees = [guarantee_summary(g, p)
                  for g, p in zip(sib_spec.guarantees if sib_spec else [], paid)]
    view = {}
    if commissioner:
        view = commissioner_view(result, noise_run(loaded.spec, sims, seed, volume_shock,
                                                   chunk_size, paid_volume_shock, caseload_shock,
                                                   executor, draws,
                                                   _shifted(progress, sims, total)))
    return CapitalResult(result, mode, parties, contract_plan, view,
                         investors, guarantees, tranche_figures)


def _shifted(progress: Progress | None, before: int, total: int) -> Progress | None:
    """``progress`` for a part of the work that starts after ``before`` of ``total``."""
    if progress is None:
        return None
    return lambda done, _: progress(before + done, total)


def _kept_parties(result: SimulationResult, seats: list[Seat], mode: str, contract_plan: Plan,
                  sib_spec, chunk_size: int) -> tuple[list[PartyResult], list, list]:
    """Each party's result, each tranche's figures and what each guarantee paid, from a
    run that kept its arrays, split in row chunks (:func:`split_chunk`; every figure is
    per simulation, so the chunking changes no number); each party's whole monthly
    balance kept, so its percentiles are exact."""
    n_months = result.timeline.n_months
    collected = Collected(result.sims)
    stopped = settled_early(result.spec.termination,
                            result.sim_columns.get("termination_month"))
    balance = [np.empty((result.sims, n_months)) for _ in seats]
    net_flow = [np.empty((result.sims, n_months)) for _ in seats]
    for start in range(0, result.sims, chunk_size):
        rows = slice(start, min(start + chunk_size, result.sims))
        chunk = split_chunk(seats, mode, contract_plan, sib_spec, result.cash_in[rows],
                            result.outcome_in[rows], result.cash_out[rows],
                            result.cohort_columns["entrants"][rows], result.timeline,
                            None if stopped is None else stopped[rows])
        collected.put(chunk, rows)
        for k in range(len(seats)):
            balance[k][rows] = chunk.balance[k]
            net_flow[k][rows] = chunk.net_flow[k]
    parties = [read_party(seat, figures, bal, net, result)
               for seat, figures, bal, net in zip(seats, collected.party_figures(), balance,
                                                  net_flow)]
    return parties, collected.tranches(), collected.guarantees()
