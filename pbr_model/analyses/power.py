"""Payment power: how likely a contract is to pay, as a function of the true effect.

For each true effect on a grid the contract is simulated with that effect known
(``intervention.effect.binary``, ``.frequency`` and every ``[[outcomes.other]]``
outcome's effect set to it, sd 0; where the spec states its effect as a cut in the
offending rate, that cut instead of binary and frequency): the
probability that outcome payments are triggered, the expected outcome payment
and the provider's chance of a loss. Every effect uses the same seed, so the
curves compare like with like (common random numbers): the volumes, trends and
sampling noise are the same draws at every effect.

Read off the curves: the break-even effect (smallest effect with expected net
>= 0), the effect that gives a 90% chance of being paid, and the chance of
being paid when the service does nothing (paid for noise). Each is found on the
grid and then placed by linear interpolation between the grid points that
bracket it.
"""

from __future__ import annotations

from concurrent.futures import Executor

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..approx import check_draws
from ..effects import implied_cuts
from ..engine import DEFAULT_CHUNK, DEFAULT_SEED, check_run_args
from ..errors import InputError
from ..finance.commissioner import paid_for_noise
from ..payments import outcome_directions, pays_only_back
from ..scenarios import with_effect
from ..spec import LoadedSpec
from ..spec.schema import ContractSpec
from ..stats import stats
from .base import HasProvenance, Provenance, contract_provenance
from .simulate import simulate

if TYPE_CHECKING:  # pandas is imported only when the table is asked for
    import pandas as pd

MAX_EFFECTS = 201
PAID_TARGET = 0.9


def parse_effects(text: str, flag: str = "--effects") -> list[float]:
    """``START:STOP:STEP`` (fractions, STOP included) or a comma list -> effects.

    The grid's size is checked before it is built, so a tiny STEP (``0:0.9:1e-15``) or an
    infinite STOP is refused at once rather than filling memory: at most
    :data:`MAX_EFFECTS` effects, STEP finite and above 0, STOP at or above START."""
    usage = (f"{flag}: expected START:STOP:STEP with STEP > 0 and STOP >= START, or a "
             f"comma-separated list, as fractions (e.g. 0:0.1:0.01) (got {_short(text)})")
    if len(text) > MAX_EFFECTS * 32:
        raise InputError(f"{flag}: from 1 to {MAX_EFFECTS} effects (got {len(text):,} "
                         f"characters: {_short(text)})")
    try:
        parts = text.split(":") if ":" in text else text.split(",")
        values = [float(x) for x in parts]
    except ValueError:
        raise InputError(usage) from None
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        raise InputError(f"{flag}: every number must be finite (got {_short(text)})")
    if ":" not in text:
        return check_effects(values, flag)
    if len(values) != 3:
        raise InputError(usage)
    start, stop, step = values
    if step <= 0 or stop < start:
        raise InputError(usage)
    check_effects([start, stop], flag)   # both ends in range, so STOP - START is finite
    count = (stop - start) / step + 1   # may overflow to inf: checked before the grid
    if not count <= MAX_EFFECTS + 1:
        raise InputError(f"{flag}: from 1 to {MAX_EFFECTS} effects (got {math.floor(count) if math.isfinite(count) else 'too many'} from "
                         f"{_short(text)}; use a larger STEP)")
    n = math.floor(count - 1 + 1e-9) + 1
    if n > MAX_EFFECTS:
        raise InputError(f"{flag}: from 1 to {MAX_EFFECTS} effects (got {n} from "
                         f"{_short(text)}; use a larger STEP)")
    return check_effects([round(start + i * step, 10) for i in range(n)], flag)


def _short(text: str, limit: int = 60) -> str:
    """``text`` quoted, cut to ``limit`` characters for a message."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def check_effects(values: list[float], flag: str = "effects") -> list[float]:
    bad = [v for v in values if not np.isfinite(v) or not -0.9 <= v <= 0.9]
    if bad:
        raise InputError(f"{flag}: effects are relative reductions from -0.9 to 0.9 "
                         f"(0.05 = 5% fewer) (got {bad[0]!r})")
    if not 1 <= len(values) <= MAX_EFFECTS:
        raise InputError(f"{flag}: from 1 to {MAX_EFFECTS} effects (got {len(values)})")
    return sorted(set(values))


@dataclass(frozen=True)
class PowerResult(HasProvenance):
    """Payment power over a grid of true effects.

    Attributes
    ----------
    provenance : how it was run (spec hash, seed, simulations per effect, versions)
    spec : the spec as given (each effect replaces its true effect)
    curve : the curve as numpy columns, one value per requested effect: ``effect``
        [fraction], then the columns of ``table`` in order
    table : (a ``DataFrame`` built from ``curve`` on first use) one row per effect
        (index ``effect`` [fraction]): ``prob_triggered`` (any cohort
        or pooled trigger met), ``cohorts_triggered`` (the mean share of cohorts whose
        trigger is met), ``prob_paid`` (any outcome money; not where results can only take
        money back), ``prob_repaid`` (the provider repays for results; only where they can),
        ``outcome_mean``, ``outcome_p5``, ``outcome_p95`` [currency], ``net_mean``,
        ``npv_mean`` [currency], ``prob_loss``, and what the effect implies at the baseline
        mix (:func:`implied_columns`): ``binary_cut`` [fraction], ``binary_points``
        [percentage points], ``frequency_cut`` [fraction]
    break_even_effect : smallest effect with expected net >= 0, interpolated; None if
        none on the grid; the lowest effect tried where it is already met there (then
        :attr:`break_even_below_grid`: the break-even is at or below it) [fraction]
    effect_for_90pct_paid : smallest effect with P(triggered) >= 0.9, interpolated; as the
        break-even where none is on the grid or it is met at the lowest effect tried
        (:attr:`paid_90_below_grid`) [fraction]
    paid_for_noise : P(triggered) when the true effect is 0 (the same figure, from the
        same function, as the commissioner's in ``pbr capital``)
    noise : every paid-for-noise figure of
        :func:`~pbr_model.finance.commissioner.paid_for_noise` at effect 0, with standard
        errors (``paid_for_noise_se``, ``expected_paid_for_noise`` and its ``_se``)
    """

    provenance: Provenance
    spec: ContractSpec
    curve: dict[str, np.ndarray] = field(repr=False)
    break_even_effect: float | None
    effect_for_90pct_paid: float | None
    paid_for_noise: float
    break_even_on_grid: float | None
    paid_90_on_grid: float | None
    noise: dict | None = None

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per effect (index ``effect``), the columns of ``curve``."""
        import pandas as pd
        columns = {c: v for c, v in self.curve.items() if c != "effect"}
        return pd.DataFrame(columns, index=pd.Index(self.curve["effect"], name="effect"))

    def to_frame(self) -> pd.DataFrame:
        """One row per true effect (index ``effect``): a copy of :attr:`table`."""
        return self.table.copy()

    def to_xarray(self):
        """The curve as an ``xarray.Dataset`` on the ``effect`` dimension."""
        from .base import xarray_attrs, xarray_module
        xr = xarray_module()
        return xr.Dataset({c: ("effect", v) for c, v in self.curve.items() if c != "effect"},
                          {"effect": self.curve["effect"]},
                          attrs=xarray_attrs(self.provenance))

    def rows(self) -> list[tuple[float, dict[str, float]]]:
        """``(effect, {column: value})`` for each effect, in order."""
        effects = self.curve["effect"]
        return [(float(e), {c: float(v[i]) for c, v in self.curve.items() if c != "effect"})
                for i, e in enumerate(effects)]

    def to_dict(self) -> dict:
        """The ``--json`` object."""
        return {
            **self.provenance.to_dict(),
            "effects": [{"effect": e, **row} for e, row in self.rows()],
            "break_even_effect": self.break_even_effect,
            "break_even_effect_on_grid": self.break_even_on_grid,
            # already met at the lowest effect tried: the effect is at or below it
            "break_even_effect_below_grid": self.break_even_below_grid,
            "effect_for_90pct_paid": self.effect_for_90pct_paid,
            "effect_for_90pct_paid_on_grid": self.paid_90_on_grid,
            "effect_for_90pct_paid_below_grid": self.paid_90_below_grid,
            # what each effect above means for the measures (at the baseline mix)
            "effect_stated_as": implied_cuts(self.spec)["stated_as"],
            "break_even_implied": self._implied(self.break_even_effect),
            "effect_for_90pct_paid_implied": self._implied(self.effect_for_90pct_paid),
            **(self.noise or {"paid_for_noise": self.paid_for_noise}),
        }

    def _below(self, on_grid: float | None) -> bool:
        """Whether a crossing's first grid point is the lowest effect tried: the level is
        already met there, so the crossing is at or below it, not interpolated."""
        return on_grid is not None and on_grid == float(self.curve["effect"][0])

    @property
    def break_even_below_grid(self) -> bool:
        """Expected net >= 0 already at the lowest effect tried: the break-even effect is
        at or below it (the grid does not say where)."""
        return self._below(self.break_even_on_grid)

    @property
    def paid_90_below_grid(self) -> bool:
        """P(triggered) >= 0.9 already at the lowest effect tried (as
        :attr:`break_even_below_grid`)."""
        return self._below(self.paid_90_on_grid)

    def _implied(self, effect: float | None) -> dict | None:
        return None if effect is None else implied_cuts(self.spec, effect)

    def tables(self) -> dict[str, object]:
        """``power``: the curve, one row per true effect (``--csv``/``--parquet``)."""
        table = self.table.copy()
        table.attrs["units"] = {"effect": "fraction", **{
            c: "currency" if c.startswith(("outcome_", "net_", "npv_"))
            else IMPLIED_UNITS.get(c, "probability") for c in table.columns}}
        return {"power": table}


#: The tables :meth:`PowerResult.tables` gives.
POWER_TABLES = ("power",)

#: Units of the columns saying what an effect implies for the measures.
IMPLIED_UNITS = {"binary_cut": "fraction", "binary_points": "percentage points",
                 "frequency_cut": "fraction"}


def implied_columns(spec: ContractSpec, effect: float) -> dict[str, float]:
    """What a known true effect (as :func:`~pbr_model.scenarios.with_effect` sets it) means
    at the spec's baseline mix: the relative cut in the binary rate, in percentage points,
    and the relative cut in reoffences per reoffender (:func:`pbr_model.effects.implied_cuts`)."""
    cuts = implied_cuts(spec, effect)
    return {k: cuts[k] for k in IMPLIED_UNITS}


def crossing(x: np.ndarray, y: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """First grid point where ``y >= level``, and the linear interpolation of where the
    curve crosses ``level`` between it and the point before (None if never reached)."""
    hits = np.flatnonzero(y >= level)
    if hits.size == 0:
        return None, None
    i = int(hits[0])
    if i == 0 or y[i] == y[i - 1]:
        return float(x[i]), float(x[i])
    t = (level - y[i - 1]) / (y[i] - y[i - 1])
    return float(x[i]), float(x[i - 1] + t * (x[i] - x[i - 1]))


def power(spec: ContractSpec | LoadedSpec, effects: list[float], sims: int = 2_000,
          seed: int = DEFAULT_SEED, *,
          progress: Callable[[int, int], None] | None = None,
          executor: Executor | None = None, draws: str = "exact") -> PowerResult:
    """Simulate the contract at each known true effect (plus 0, for paid-for-noise).

    Parameters
    ----------
    effects : true relative reductions [fraction], e.g. ``[0, 0.01, ..., 0.1]``
    sims : simulations per effect
    seed : one seed for every effect (common random numbers)
    progress : called as ``progress(done, total)`` after each effect
    executor : where each effect's chunks run (as :func:`pbr_model.simulate`)
    draws : ``"exact"`` or ``"approx"``, as :func:`pbr_model.simulate`

    Returns
    -------
    PowerResult
    """
    loaded = LoadedSpec.of(spec)
    model = loaded.spec
    check_run_args(sims, seed, DEFAULT_CHUNK)
    check_draws(draws)
    grid = check_effects(sorted(set(effects) | {0.0}))
    rows = {}
    noise: dict = {}
    for i, effect in enumerate(grid):
        # each effect's figures only: power reads no month and, of the cohorts, only how
        # many triggered, which such a run counts (the same numbers, less work and memory)
        run = simulate(with_effect(model, effect), sims=sims, seed=seed, executor=executor,
                       draws=draws, summary_only=True)
        s = run.sim_columns
        if effect == 0.0:
            noise = paid_for_noise(s["triggered"], s["outcome"])
        outcome = stats(s["outcome"])
        rows[effect] = {
            "prob_triggered": float(s["triggered"].mean()),
            "cohorts_triggered": run.cohort_mean("triggered"),
            "prob_paid": float((s["outcome"] > 0).mean()),
            "prob_repaid": float((s["outcome"] < 0).mean()),
            "outcome_mean": outcome["mean"],
            "outcome_p5": outcome["p5"],
            "outcome_p95": outcome["p95"],
            "net_mean": float(s["net"].mean()),
            "npv_mean": float(s["npv"].mean()),
            "prob_loss": float((s["net"] < 0).mean()),
            **implied_columns(model, effect),
        }
        if progress:
            progress(i + 1, len(grid))
    # the columns follow what the mechanisms can do: "any payment" means nothing where
    # results only take money back (Doncaster), "repaid" nothing where they cannot
    drop = ["prob_paid"] if pays_only_back(model) else []
    if "repay" not in outcome_directions(model):
        drop.append("prob_repaid")
    requested = sorted(set(effects))
    curve = {"effect": np.array(requested, dtype=np.float64),
             **{c: np.array([rows[e][c] for e in requested], dtype=np.float64)
                for c in rows[requested[0]] if c not in drop}}
    x = curve["effect"]
    be_grid, be = crossing(x, curve["net_mean"], 0.0)
    p90_grid, p90 = crossing(x, curve["prob_triggered"], PAID_TARGET)
    return PowerResult(
        provenance=contract_provenance(loaded, seed, sims, draws=draws), spec=model, curve=curve,
        break_even_effect=be,
        effect_for_90pct_paid=p90, paid_for_noise=noise["paid_for_noise"],
        break_even_on_grid=be_grid, paid_90_on_grid=p90_grid, noise=noise,
    )
