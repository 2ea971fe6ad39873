"""Randomised control trial (NYS CEO, Roca): a control group of ``ratio`` people per
treated person (default 1), concurrent and unbiased (the spec allows neither a matching
bias nor a historical period), drawn, compared and read as a matched group is
(:mod:`.groups`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import groups
from .base import Design

if TYPE_CHECKING:
    from ..spec.schema import EvaluationDesign


def describe(ev: EvaluationDesign) -> str:
    return groups.describe("control group", ev)


DESIGN = Design("rct", groups.draw, groups.evaluation, groups.columns, describe)
