"""A contract run's tables for researchers (``--csv``, ``--parquet``), read from the arrays
the run kept in memory or spooled to disk (:mod:`pbr_model.analyses.spool`): the part of
:class:`~pbr_model.analyses.simulate.SimulationResult` that reads them a chunk of
simulations at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..engine import COHORT_COLUMNS
from ..errors import InputError
from .base import frame
from .stream import CASH, needs_detail
from .units import UNITS, unit_of

if TYPE_CHECKING:
    import pandas as pd


class RunTables:
    """Tables of a run with ``sims``, ``timeline``, ``detail``, ``summary_only``,
    ``cohort_columns``, the monthly arrays (``cash_in``, ``outcome_in``, ``cash_out``) or a
    ``spool``, and the ``simulations`` and ``months`` frames."""

    @property
    def has_tables(self) -> bool:
        """Whether :meth:`tables` can be written: the run kept its arrays, in memory or
        spooled to disk (:mod:`pbr_model.analyses.spool`)."""
        return self.detail or (self.spool is not None and not self.spool.closed)

    def table_rows(self) -> dict[str, int]:
        """The rows of each of :meth:`tables` (for a progress bar while they are written)."""
        t = self.timeline
        return {"simulations": self.sims, "cohorts": self.sims * t.n_cohorts,
                "months": t.n_months, "cashflows": self.sims * t.n_months}

    def close(self) -> None:
        """Remove the files of a spooled run (nothing otherwise); its tables are then gone."""
        if self.spool is not None:
            self.spool.close()

    def simulation_chunks(self, rows: int = 100_000) -> Iterator[pd.DataFrame]:
        """The simulations table, ``rows`` simulations at a time (the text and values of
        :attr:`simulations`, without a copy of every column at once)."""
        import pandas as pd
        units = {c: unit_of(c) for c in self.sim_columns}
        for start in range(0, self.sims, rows):
            stop = min(start + rows, self.sims)
            yield frame({c: v[start:stop] for c, v in self.sim_columns.items()},
                        index=pd.RangeIndex(start, stop), index_name="sim", units=units)

    def cohort_chunks(self, rows: int = 2_000) -> Iterator[pd.DataFrame]:
        """The cohorts table, ``rows`` simulations at a time (from memory or the spool)."""
        self.needs_tables("the cohorts table")
        for start in range(0, self.sims, rows):
            yield self._cohort_rows(start, min(start + rows, self.sims))

    def _cohort_rows(self, start: int, stop: int) -> pd.DataFrame:
        import pandas as pd
        n_cohorts = self.timeline.n_cohorts
        index = pd.MultiIndex.from_product([range(start, stop), range(n_cohorts)],
                                           names=["sim", "cohort"])
        names = self.cohort_columns if self.detail else COHORT_COLUMNS
        columns = {name: self.rows(name, start, stop).reshape(-1) for name in names}
        columns["payment_month"] = np.tile(self.timeline.payment_month, stop - start)
        return frame(columns, index=index, units={c: UNITS[c] for c in columns}, copy=False)

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` of a per-cohort or monthly array, from memory or the
        spool."""
        if self.detail:
            kept = self.cohort_columns[name] if name in self.cohort_columns \
                else getattr(self, name)   # cash_in, outcome_in, cash_out
            return kept[start:stop]
        return self.spool.rows(name, start, stop)

    def needs_tables(self, what: str) -> None:
        """Raise ``InputError`` when the run kept its arrays neither in memory nor on disk
        (``what`` names what needs them)."""
        if self.spool is not None and self.spool.closed:
            raise InputError(f"{what}: this run's arrays were on disk and close() removed "
                             "them; run it again for its tables")
        if not self.has_tables:
            raise needs_detail(what, self.sims, self.summary_only)

    def tables(self) -> dict[str, object]:
        """The run's tables for researchers (``--csv``/``--parquet``): ``simulations``
        (one row per simulation), ``cohorts`` (per simulation and cohort), ``months``
        (monthly percentiles) and ``cashflows`` (per simulation and month: cash_in,
        outcome_in, cash_out). Units in ``attrs["units"]``. Every table but ``months`` is
        given as a callable yielding its frames a chunk of simulations at a time
        (:func:`~pbr_model.report.export.write_tables` takes either), so a large run,
        spooled to disk, writes them without holding them; :attr:`simulations` and
        :attr:`cohorts` are the whole frames."""
        self.needs_tables("the cohorts and cashflows tables")
        import pandas as pd
        return {"simulations": self.simulation_chunks, "cohorts": self.cohort_chunks,
                "months": self.months.assign(date=pd.to_datetime(self.months["date"])),
                "cashflows": self.cashflow_chunks}

    def cashflow_chunks(self, rows: int = 2_000) -> Iterator[pd.DataFrame]:
        """Monthly flows per simulation in long form, ``rows`` simulations at a time."""
        self.needs_tables("the cashflows table")
        import pandas as pd
        n_months = self.timeline.n_months
        for start in range(0, self.sims, rows):
            stop = min(start + rows, self.sims)
            chunk = pd.DataFrame({
                "sim": np.repeat(np.arange(start, stop), n_months),
                "month": np.tile(np.arange(n_months), stop - start),
                **{name: self.rows(name, start, stop).reshape(-1) for name in CASH},
            })
            chunk.attrs["units"] = {"sim": None, "month": "month index", "cash_in": "currency",
                                    "outcome_in": "currency", "cash_out": "currency"}
            yield chunk
