"""What every analysis result shares: one provenance record and one protocol.

Each command's result (``SimulationResult``, ``CapitalResult``, ``PortfolioResult``,
``PowerResult``, ``BreakevenResult``, ``SettlementResult``, ``ShowResult``) carries a
:class:`Provenance` and offers ``to_dict()`` (its ``--json`` object, which opens with
the provenance keys :data:`PROVENANCE_KEYS`, the same for every command) and
``tables()`` (its ``--csv``/``--parquet`` tables).
"""

from __future__ import annotations

import datetime as dt
import platform as _platform
from pathlib import Path
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._version import __version__


def platform_label() -> str:
    """The platform a run's random streams belong to: OS, machine and Python, e.g.
    ``linux x86_64, CPython 3.11.7`` (numpy promises the same stream from the same seed
    on the same build only)."""
    return (f"{sys.platform} {_platform.machine()}, "
            f"{_platform.python_implementation()} {_platform.python_version()}")


#: The keys every ``--json`` object opens with, in order.
PROVENANCE_KEYS = ("contract", "spec_kind", "source", "spec_sha256", "seed", "sims", "version",
                   "numpy_version", "platform", "volume_shock", "paid_volume_shock",
                   "caseload_shock", "currency")


@dataclass(frozen=True)
class Provenance:
    """How a result was made: with the package and numpy versions and the platform, the
    spec's hash, the seed and the number of simulations fix every number.

    Attributes
    ----------
    name : the contract's (or portfolio's) name
    kind : ``"contract"`` or ``"portfolio"``
    source : the file or bundled name the spec came from
    sha256 : fingerprint of the validated spec (or portfolio)
    seed, sims : the random seed and number of simulations; None where nothing is drawn
        (``pbr settle``, ``pbr show``)
    currency : the contract's currency code
    paid_volume_shock, caseload_shock : the stresses applied: the planned paid volume and
        the planned caseload cut by these shares (0.3 = 30% fewer, -0.2 = 20% more; 0 = none)
    inputs : the files the run read (spec, observed results, profiles, areas' specs), which
        no output may replace; not in the JSON object
    draws : how the counts were drawn, ``"exact"`` or ``"approx"`` (:mod:`pbr_model.approx`);
        in the JSON object (key ``draws``, after the provenance keys) only when approximate,
        so an exact run's output is as it always was
    version, numpy_version, platform : the package, numpy and the platform that ran it
    created : when the run finished (UTC); not in the JSON object, so that the same run
        gives the same bytes
    """

    name: str
    kind: str
    source: str
    sha256: str
    seed: int | None
    sims: int | None
    currency: str
    paid_volume_shock: float = 0.0
    caseload_shock: float = 0.0
    inputs: tuple[str, ...] = ()
    draws: str = "exact"
    version: str = __version__
    numpy_version: str = field(default_factory=lambda: np.__version__)
    platform: str = field(default_factory=platform_label)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def volume_shock(self) -> float | None:
        """The shock both volumes took (``--volume-shock``), or None when the paid volume
        and the caseload were shocked differently [fraction]."""
        if self.paid_volume_shock == self.caseload_shock:
            return self.paid_volume_shock
        return None

    @property
    def shocked(self) -> bool:
        """True if either volume was shocked."""
        return bool(self.paid_volume_shock or self.caseload_shock)

    def to_dict(self) -> dict[str, Any]:
        """The provenance keys of a ``--json`` object (:data:`PROVENANCE_KEYS`):
        ``volume_shock`` is the shock both volumes took, or None when they differ, and
        ``paid_volume_shock`` and ``caseload_shock`` each one's; then ``draws`` when the
        counts were drawn approximately."""
        return {"contract": self.name, "spec_kind": self.kind, "source": self.source,
                "spec_sha256": self.sha256, "seed": self.seed, "sims": self.sims,
                "version": self.version, "numpy_version": self.numpy_version,
                "platform": self.platform, "volume_shock": self.volume_shock,
                "paid_volume_shock": self.paid_volume_shock,
                "caseload_shock": self.caseload_shock, "currency": self.currency,
                **({} if self.draws == "exact" else {"draws": self.draws})}


@runtime_checkable
class Result(Protocol):
    """What every command's result offers the reports."""

    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: the provenance keys first, then the command's figures."""

    def tables(self) -> dict[str, Any]:
        """The ``--csv``/``--parquet`` tables, name -> frame (or a callable of chunks)."""


class HasProvenance:
    """Read-only shortcuts to a result's :class:`Provenance` fields."""

    provenance: Provenance

    @property
    def seed(self) -> int | None:
        return self.provenance.seed

    @property
    def sims(self) -> int | None:
        return self.provenance.sims

    @property
    def source(self) -> str:
        return self.provenance.source

    @property
    def spec_sha256(self) -> str:
        return self.provenance.sha256

    @property
    def version(self) -> str:
        return self.provenance.version

    @property
    def volume_shock(self) -> float | None:
        return self.provenance.volume_shock

    @property
    def paid_volume_shock(self) -> float:
        return self.provenance.paid_volume_shock

    @property
    def caseload_shock(self) -> float:
        return self.provenance.caseload_shock

    @property
    def shocked(self) -> bool:
        return self.provenance.shocked

    @property
    def currency(self) -> str:
        return self.provenance.currency

    @property
    def created(self) -> dt.datetime:
        return self.provenance.created

    def _repr_html_(self) -> str | None:
        """What Jupyter shows for a result: its headline table and one chart, as HTML
        (None for a result with no such display). Drawn by the report layer
        (:mod:`pbr_model.report.notebook`), which is found by name when a notebook asks,
        so the analyses import nothing of it and a script never loads it."""
        import importlib
        return importlib.import_module("pbr_model.report.notebook").card(self)


def xarray_module():
    """xarray, for ``to_xarray()``; an ``ImportError`` saying how to install it if it is
    missing (it is optional: ``pip install 'pbr-model[xarray]'``)."""
    try:
        import xarray
    except ImportError:
        raise ImportError("to_xarray() needs xarray, which is not installed: pip install "
                          "xarray (or pip install 'pbr-model[xarray]'); to_frame() needs "
                          "only pandas") from None
    return xarray


def xarray_attrs(provenance: Provenance) -> dict[str, Any]:
    """A run's provenance as a Dataset's attributes (None left out, as netCDF has none)."""
    return {k: v for k, v in provenance.to_dict().items() if v is not None}


def frame(columns: dict, *, index: Any = None, index_name: str | None = None,
          units: dict | None = None, copy: bool = True):
    """A pandas ``DataFrame`` of a result's numpy ``columns`` (in order), with its index
    named ``index_name`` and ``attrs["units"]``. Results keep their figures as numpy
    arrays and build frames only when asked (``--csv``, ``--parquet``, a workbook, a
    library user), so pandas is imported here and not before."""
    import pandas as pd
    table = pd.DataFrame(columns, index=index, copy=copy)
    if index_name is not None:
        table.index.name = index_name
    if units is not None:
        table.attrs["units"] = units
    return table


def contract_provenance(loaded, seed: int | None = None, sims: int | None = None,
                        shocks: tuple[float, float] = (0.0, 0.0),
                        inputs: tuple = (), draws: str = "exact") -> Provenance:
    """The provenance of a run of one contract (a :class:`~pbr_model.spec.LoadedSpec`);
    ``shocks``: the paid-volume and caseload shocks; ``inputs``: files read besides the
    spec; ``draws``: how the counts were drawn."""
    files = (loaded.source, *loaded.profile_files, *(str(i) for i in inputs))
    return Provenance(
        name=loaded.spec.contract.name, kind="contract", source=loaded.source,
        sha256=loaded.sha256, seed=None if seed is None else int(seed),
        sims=None if sims is None else int(sims), currency=loaded.spec.contract.currency,
        paid_volume_shock=float(shocks[0]), caseload_shock=float(shocks[1]),
        inputs=tuple(dict.fromkeys(f for f in files if Path(f).is_file())), draws=draws)


#: The month figures a summary gives a date for: ``{month key: date key}``.
MONTH_DATES = {"peak_month": "peak_date",
               "peak_month_before_financing": "peak_date_before_financing",
               "first_shortfall_month": "first_shortfall_date"}


def month_dates(summary: dict, dates: list[dt.date]) -> dict[str, str | None]:
    """The calendar month (``"YYYY-MM"``) of each month figure's median in ``summary``
    (keys :data:`MONTH_DATES`; a fractional median month is rounded down), or ``None``
    when it never happened; ``dates`` is the timeline's first day of each month."""
    out = {}
    for month_key, date_key in MONTH_DATES.items():
        if month_key in summary:
            month = summary[month_key]["p50"]
            out[date_key] = (dates[min(int(month), len(dates) - 1)].strftime("%Y-%m")
                             if month == month else None)
    return out
