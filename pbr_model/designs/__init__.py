"""Evaluation designs: one module per design, each declaring its facets in one
:class:`~pbr_model.designs.base.Design` (comparison draws, evaluation, observed-CSV
columns, label), and the registry of them by the spec's ``evaluation.design``.

A test (``tests/designs/test_designs.py``) fails if a design the spec schema allows has no entry
here, or an entry misses a facet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import historical_baseline, matched_comparison, rct
from .base import Columns, Comparison, Design, DrawInputs, DrawnGroups, Groups

if TYPE_CHECKING:
    from ..spec.schema import EvaluationDesign

#: Spec ``evaluation.design`` -> its design.
DESIGNS: dict[str, Design] = {
    d.name: d for d in (historical_baseline.DESIGN, matched_comparison.DESIGN, rct.DESIGN)}


def describe(ev: EvaluationDesign) -> str:
    """What the treated cohorts are compared with, in words (``pbr show``, ``pbr simulate``),
    e.g. ``"baseline (case-mix adjusted)"`` or ``"matched comparison group, 10 per
    person"``."""
    return DESIGNS[ev.design].describe(ev)


def columns(ev: EvaluationDesign) -> Columns:
    """The design's part of an observed-results CSV (see :class:`Columns`)."""
    return DESIGNS[ev.design].columns(ev)


__all__ = ["DESIGNS", "Columns", "Comparison", "Design", "DrawInputs", "DrawnGroups", "Groups",
           "columns", "describe"]
