"""Randomised control trial (NYS CEO, Roca): a control group of ``ratio`` people per
treated person (default 1), concurrent and unbiased (the spec allows neither a matching
bias nor a historical period), in the treated cohorts' own area (it shares ``[area]``'s
deviation), drawn, compared and read as a matched group is (:mod:`.groups`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import groups
from .base import Design, DrawInputs, DrawnGroups

if TYPE_CHECKING:
    from ..spec.schema import EvaluationDesign


def describe(ev: EvaluationDesign) -> str:
    return groups.describe("control group", ev)


def draw(ev: EvaluationDesign, inputs: DrawInputs) -> DrawnGroups:
    """The control group lives in the treated cohorts' area and was randomised from the same
    referrals: it shares the area's own deviation and the pre-period's shift."""
    return groups.draw(ev, inputs, same_area=True)


DESIGN = Design("rct", draw, groups.evaluation, groups.columns, describe)
