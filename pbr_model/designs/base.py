"""The one small interface every evaluation design implements.

An evaluation design (``design = "..."`` in a spec's ``[evaluation]``) declares four
facets in one :class:`Design`, in its own module:

``draw(evaluation_spec, inputs) -> DrawnGroups``
    the groups it compares the treated cohorts with, drawn in the engine after the
    treated cohorts from what :class:`DrawInputs` gives (a historical baseline draws
    nothing). Arrays are ``(n_sims, n_cohorts, n_bands)``.
``evaluation(spec, groups) -> Comparison``
    what the evaluator compares the treated counts with, from the treated, comparison
    and pre-period counts of :class:`Groups` (drawn or observed); the estimate itself is
    formed from it by :class:`pbr_model.measure.Measurement`.
``columns(evaluation_spec) -> Columns``
    the groups and its own columns in an observed-results CSV (``pbr settle``).
``describe(evaluation_spec) -> str``
    what the treated cohorts are compared with, in words, e.g. ``"matched comparison
    group, 10 per person"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..outcomes import Counts, Sampler

if TYPE_CHECKING:
    from ..spec.schema import ContractSpec
    from ..spec.schema import EvaluationDesign


@dataclass(frozen=True)
class DrawInputs:
    """What a design may read when it draws its groups: the treated cells as drawn.

    Attributes
    ----------
    sampler : the run's draws, continuing after the treated cohorts'
    entrants : treated people per cell, ``(n_sims, n_cohorts, n_bands)`` [people]
    p0, m0 : each band's baseline binary rate [fraction] and reoffences per reoffender,
        ``(n_bands,)`` [reoffences]
    trend_logit : the national trend in the log odds of reoffending, ``(n_sims, n_cohorts)``
        [log odds]
    m_counterfactual : reoffences per reoffender without the service, after the national
        trend, ``(n_sims, n_cohorts, n_bands)`` [reoffences]
    group : draws a whole group cell by cell from its people ``n``, chance of reoffending
        ``p`` and reoffences per reoffender ``m``, with every measure a rule reads
        (``reoffenders=`` given: only what follows from them)
    area_logit : the area's own deviation of the log odds (``[area]``), ``(n_sims,
        n_cohorts)``, or 0.0 [log odds]
    m_counterfactual_area : as ``m_counterfactual`` with the area's own deviation: the
        treated cohorts' counterfactual [reoffences]
    p_treated : the treated cells' chance of reoffending, ``(n_sims, n_cohorts, n_bands)``
        [fraction]
    treated : the treated cells' counts as drawn
    shares : each band's share of entrants, ``(n_bands,)`` [fraction]
    """

    sampler: Sampler
    entrants: np.ndarray
    p0: np.ndarray
    m0: np.ndarray
    trend_logit: np.ndarray
    m_counterfactual: np.ndarray
    group: Callable[..., Counts]
    area_logit: np.ndarray | float = 0.0
    m_counterfactual_area: np.ndarray | None = None
    p_treated: np.ndarray | None = None
    treated: Counts | None = None
    shares: np.ndarray | None = None


class DrawnGroups(NamedTuple):
    """A design's drawn groups, each ``(n_sims, n_cohorts, n_bands)``, or None; ``baseline``:
    a historical baseline year drawn with its sampling error, ``(n_sims, 1, n_bands)``."""

    comparison: Counts | None = None
    treated_pre: Counts | None = None
    comparison_pre: Counts | None = None
    baseline: Counts | None = None


@dataclass(frozen=True)
class Groups:
    """The counts an evaluation compares, each summed over risk bands, ``(n_sims, n_cohorts)``.

    Attributes
    ----------
    treated : the treated cohorts
    treated_by_band : treated people per band, ``(n_sims, n_cohorts, n_bands)`` [people], or
        None where the risk mix is not known (observed results)
    comparison, treated_pre, comparison_pre : drawn or observed groups, or None
    baseline : a historical baseline year drawn with its sampling error, by band, ``(n_sims,
        1, n_bands)``, or None (the spec's band rates, known exactly)
    given : observed results only: the design's own columns (:attr:`Columns.own`) per
        cohort, ``(1, n_cohorts)``, NaN where a row leaves them empty
    """

    treated: Counts
    treated_by_band: np.ndarray | None = None
    comparison: Counts | None = None
    treated_pre: Counts | None = None
    comparison_pre: Counts | None = None
    given: dict[str, np.ndarray] = field(default_factory=dict)
    baseline: Counts | None = None


@dataclass(frozen=True)
class Comparison:
    """What a design compares the treated cohorts with, ``(n_sims, n_cohorts)``.

    Attributes
    ----------
    counts : the comparison group's counts, or a baseline's expected counts
    known : the comparison is fixed (a baseline): it has no sampling variance
    treated_pre, comparison_pre : pre-period counts for a difference-in-differences blend,
        or None
    did_weight : weight of the DiD estimate [fraction]
    design_effect : the comparison group's variance inflation (its effective size is its
        people over this) [factor, >= 1]
    """

    counts: Counts
    known: bool
    treated_pre: Counts | None = None
    comparison_pre: Counts | None = None
    did_weight: float = 0.0
    design_effect: float = 1.0


#: Checks one value of a design's own CSV column: what is wrong with it, or None.
Check = Callable[[float], "str | None"]


@dataclass(frozen=True)
class Columns:
    """A design's part of an observed-results CSV.

    Attributes
    ----------
    groups : column prefixes of the groups compared (``""`` the treated,
        ``"comparison_"``); each has ``n``, ``reoffenders`` and ``reoffences`` in the header
    pre : column prefixes of the pre-period groups of a DiD blend
    own : the design's own optional columns (rates, not counts) -> the check of a value
    """

    groups: tuple[str, ...]
    pre: tuple[str, ...] = ()
    own: dict[str, Check] = field(default_factory=dict)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every group's column prefix: those compared, then the pre-period's."""
        return self.groups + self.pre


@dataclass(frozen=True)
class Design:
    """An evaluation design and its four facets (see the module docstring)."""

    name: str
    draw: Callable[[EvaluationDesign, DrawInputs], DrawnGroups]
    evaluation: Callable[[ContractSpec, Groups], Comparison]
    columns: Callable[[EvaluationDesign], Columns]
    describe: Callable[[EvaluationDesign], str]
