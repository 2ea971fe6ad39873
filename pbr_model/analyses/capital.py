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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..engine import DEFAULT_CHUNK, DEFAULT_SEED
from ..errors import InputError
from ..finance.capital import CapitalFigures, capital_read
from ..finance.commissioner import commissioner_summary, paid_for_noise, payer_summary
from ..finance.parties import PartyFlows, Plan, Seat
from ..finance.sib import InvestorFigures, SibFlows, bond_cash, guarantee_summary, run_sib
from ..finance.sib import summary as sib_summary
from ..scenarios import with_terms
from ..spec import LoadedSpec
from ..spec.load import load_profile
from ..spec.parties import ProviderProfile
from ..spec.schema import ContractSpec
from .base import HasProvenance, Provenance
from .parties import (PARTY_UNITS, PartyResult, chain_seats, check_seats, party_flows,
                      party_frame, plan, read_party, terms)
from .runs import join_parts, sim_columns_at_no_effect
from .simulate import SIMULATION_TABLES, Progress, SimulationResult, simulate

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
        """The parties' figures by party and simulation and their monthly net flows, as an
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
              draws: str = "exact") -> dict:
    """:func:`~pbr_model.finance.commissioner.paid_for_noise` of the contract run with a known
    true effect of zero on every outcome, on the same seed: at no volume shock exactly the
    figure ``pbr power`` reports at effect 0. Only the columns it reads are computed."""
    s = sim_columns_at_no_effect(spec, sims, seed, chunk_size=chunk_size,
                                 volume_shock=volume_shock, paid_volume_shock=paid_volume_shock,
                                 caseload_shock=caseload_shock, executor=executor, draws=draws)
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
    paid-for-noise figures from ``noise["payers"]``."""
    s = result.sim_columns
    noise = dict(noise or {})
    payer_noise = noise.pop("payers", {})
    no_effect = (s["effect_binary"] <= 0) & (s["effect_frequency"] <= 0)
    view = commissioner_summary(s["fee"], s["outcome"],
                                s["reoffences_avoided"], no_effect,
                                result.cash_in, result.spec.commissioner, noise or None)
    terms = payer_terms(result.spec)
    if terms:
        view["payers"] = [
            payer_summary(name, pays_for, s[f"paid_by:{name}"],
                          s[f"outcome_paid_by:{name}"],
                          s[f"cap_binds:{name}"], payer_noise.get(name))
            for name, pays_for in terms.items()]
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
    executor : where the simulation's chunks run (as :func:`pbr_model.simulate`); the
        parties' figures are read here from the kept monthly arrays (a capital run always
        keeps them, so its size is bounded by memory: ``pbr capital`` checks it first)
    draws : ``"exact"`` or ``"approx"``, as :func:`pbr_model.simulate`

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
    result = simulate(loaded, sims, seed, chunk_size=chunk_size, volume_shock=volume_shock,
                      paid_volume_shock=paid_volume_shock, caseload_shock=caseload_shock,
                      progress=progress, executor=executor, detail=True, draws=draws)
    contract_plan = plan(loaded, sims, seed, result, executor)
    sib_spec = loaded.spec.sib if mode == "chain" else None
    # Row chunks bound the memory of the parties' monthly arrays; every figure is per
    # simulation, so the chunking changes no number.
    figures: list[list[CapitalFigures]] = [[] for _ in seats]
    balance = [np.empty((result.sims, result.timeline.n_months)) for _ in seats]
    net_flow = [np.empty((result.sims, result.timeline.n_months)) for _ in seats]
    tranches: list[list] = [[] for _ in (sib_spec.tranches if sib_spec else [])]
    paid: list[list[np.ndarray]] = [[] for _ in (sib_spec.guarantees if sib_spec else [])]
    for start in range(0, result.sims, chunk_size):
        rows = slice(start, min(start + chunk_size, result.sims))
        flows = party_flows(result, seats, mode, contract_plan, rows)
        if sib_spec is not None:
            sib = run_sib(sib_spec, result.cash_in[rows], result.cash_out[rows])
            flows[0] = funded_prime(flows[0], sib)
            for k, f in enumerate(sib.figures()):
                tranches[k].append(f)
            for k, g in enumerate(sib.guarantees):
                paid[k].append(g.paid)
        for k, f in enumerate(flows):
            fig, balance[k][rows] = capital_read(f.income, f.cash_out, f.seat.profile)
            figures[k].append(fig)
            net_flow[k][rows] = f.income - f.cash_out
        del flows
    parties = [read_party(seat, join_parts(parts), bal, net, result)
               for seat, parts, bal, net in zip(seats, figures, balance, net_flow)]
    tranche_figures = [join_parts(parts) for parts in tranches]
    investors = [sib_summary(f) for f in tranche_figures]
    guarantees = [guarantee_summary(g, np.concatenate(p))
                  for g, p in zip(sib_spec.guarantees if sib_spec else [], paid)]
    view = {}
    if commissioner:
        view = commissioner_view(result, noise_run(loaded.spec, sims, seed, volume_shock,
                                                   chunk_size, paid_volume_shock, caseload_shock,
                                                   executor, draws))
    return CapitalResult(result, mode, parties, contract_plan, view,
                         investors, guarantees, tranche_figures)


def funded_prime(prime: PartyFlows, sib: SibFlows) -> PartyFlows:
    """The prime as the bond's vehicle: investors' draws come in and what the waterfall
    pays them goes out (guarantees are paid by third parties, not by the prime)."""
    draws, paid_out = bond_cash(sib)
    return replace(prime, income=prime.income + draws - paid_out)
