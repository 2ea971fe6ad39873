"""Matched comparison group (Peterborough, Justice Data Lab, ABLE's matched historical
group): ``ratio`` matches per treated person (default 10), concurrent (common shocks
cancel) or historical (the trend is not removed), with an optional residual matching bias.
How the group is drawn, compared and read is shared with the RCT (:mod:`.groups`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import groups
from .base import Design

if TYPE_CHECKING:
    from ..spec.schema import EvaluationDesign


def describe(ev: EvaluationDesign) -> str:
    return groups.describe("matched comparison group", ev)


DESIGN = Design("matched_comparison", groups.draw, groups.evaluation, groups.columns, describe)
