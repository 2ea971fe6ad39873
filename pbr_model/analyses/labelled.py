"""Results as labelled arrays for researchers: ``to_xarray()`` of a run (every simulation's
figures by simulation, cohort and month) and of ``pbr capital``'s parties and a
portfolio's areas and owners, built from the
arrays the results already hold (no figure is computed here). xarray is optional
(``pip install 'pbr-model[xarray]'``); it is imported only when asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .base import Provenance, xarray_attrs, xarray_module
from .units import unit_of

if TYPE_CHECKING:
    import xarray as xr

    from .capital import CapitalResult
    from .parties import PartyResult
    from .portfolio import PortfolioResult
    from .simulate import SimulationResult


def simulation_dataset(result: SimulationResult) -> xr.Dataset:
    """A run as an ``xarray.Dataset``: each per-simulation column on ``sim``, each
    per-cohort column on ``(sim, cohort)`` as ``cohort_<column>``, the monthly flows
    ``cash_in``, ``cash_out``, ``outcome_in`` and ``cumulative_cash`` on ``(sim, month)`` [currency, into the provider
    positive]; coordinates ``date`` (each month's first day) and ``payment_month`` (each
    cohort's); units in each variable's ``attrs["units"]``, the provenance in the
    Dataset's ``attrs``. Needs the run's detail (not a streamed run)."""
    xr = xarray_module()
    result.needs_detail("to_xarray()")
    tl = result.timeline
    n_months = result.cash_in.shape[1]

    def unit(column: str) -> dict:
        found = unit_of(column)
        return {"units": found} if found else {}

    data = {c: ("sim", v, unit(c)) for c, v in result.sim_columns.items()}
    # per cohort under its own name: several (binary_rate, entrants...) are also per run
    data.update({f"cohort_{c}": (("sim", "cohort"), v, unit(c))
                 for c, v in result.cohort_columns.items()})
    money = {"units": "currency"}
    data.update(cash_in=(("sim", "month"), result.cash_in, money),
                cash_out=(("sim", "month"), result.cash_out, money),
                outcome_in=(("sim", "month"), result.outcome_in, money),
                cumulative_cash=(("sim", "month"), result.cumulative_cash(), money))
    coords = {"sim": np.arange(result.sims), "month": np.arange(n_months),
              "date": ("month", np.array(tl.dates()[:n_months], dtype="datetime64[D]")),
              "cohort": np.arange(tl.n_cohorts),
              "payment_month": ("cohort", np.asarray(tl.payment_month))}
    return xr.Dataset(data, coords, attrs=xarray_attrs(result.provenance))


def capital_dataset(result: CapitalResult) -> xr.Dataset:
    """``pbr capital``'s parties as an ``xarray.Dataset`` (see :func:`party_dataset`), each
    by its seat's name and role. The contract's own arrays: ``result.result.to_xarray()``."""
    return party_dataset(result.parties, [p.seat.name for p in result.parties],
                         [p.seat.role for p in result.parties], result.provenance)


def portfolio_dataset(result: PortfolioResult) -> xr.Dataset:
    """A portfolio as an ``xarray.Dataset`` (see :func:`party_dataset`): each area alone on
    its owner's finances (role ``area``), then each owner's combined figures (role
    ``owner``)."""
    parties = [*(a.party for a in result.areas), *(o.party for o in result.owners)]
    names = [*(a.name for a in result.areas), *(o.name for o in result.owners)]
    roles = ["area"] * len(result.areas) + ["owner"] * len(result.owners)
    return party_dataset(parties, names, roles, result.provenance)


def party_dataset(parties: list[PartyResult], names: list[str], roles: list[str],
                  provenance: Provenance) -> xr.Dataset:
    """Parties' figures as an ``xarray.Dataset``: each one's per-simulation figures on
    ``(party, sim)`` (the ``parties`` table's columns, units in ``attrs["units"]``) and,
    where every party kept them, its monthly net flows on ``(party, sim, month)``
    [currency, into the party positive], months counted from the common start date (0s
    after a shorter contract's last month); ``names`` label ``party``, ``roles`` are a
    coordinate on it."""
    from .parties import PARTY_UNITS
    xr = xarray_module()
    keys = [k for k in PARTY_UNITS if k not in ("sim", "party", "role")]
    data = {k: (("party", "sim"), np.stack([getattr(p.figures, k) for p in parties]),
                {"units": PARTY_UNITS[k]}) for k in keys}
    coords = {"party": names, "role": ("party", roles),
              "sim": np.arange(len(parties[0].figures.net))}
    if all(p.net_flow is not None for p in parties):
        # months from the common start date; a party whose contract ends earlier has no
        # flow after its last month (as an owner's combined flows count it)
        n_months = max(p.net_flow.shape[1] for p in parties)
        flows = np.zeros((len(parties), len(coords["sim"]), n_months))
        for i, p in enumerate(parties):
            flows[i, :, : p.net_flow.shape[1]] = p.net_flow
        data["net_flow"] = (("party", "sim", "month"), flows, {"units": "currency"})
        coords["month"] = np.arange(n_months)
    return xr.Dataset(data, coords, attrs=xarray_attrs(provenance))
