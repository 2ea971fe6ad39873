"""Values a spec allows but that are most likely a slip, said as one ``Warning:`` line each
when the spec is loaded (the run goes on: the value may be meant).

A change in ``percent`` is written as a percentage (10 for 10%), while every rate and share
elsewhere in a spec is a fraction (0.1). A percent threshold between 0 and 1 (0.1, a tenth of
one percent) is almost always a fraction typed where a percentage belongs: a new user's test
drive typed Peterborough's 10% and 7.5% triggers as 0.1 and 0.075, which `pbr validate` took,
and the chance of a payment rose from 63% to 97%.
"""

from __future__ import annotations

import warnings
from typing import Iterator

from ..errors import PbrInputWarning
from .schema import ContractSpec


def small_percents(spec: ContractSpec) -> Iterator[tuple[str, float]]:
    """``(field path, value)`` of each threshold in ``percent`` whose size is above 0 and
    below 1."""
    def small(v) -> bool:
        return v is not None and 0 < abs(v) < 1

    for i, m in enumerate(spec.payments):
        for j, r in enumerate(getattr(m, "rates", ())):
            if r.change == "percent":
                for name in ("threshold", "pooled_threshold", "deduction_threshold"):
                    if small(getattr(r, name)):
                        yield f"payments.{i}.rates.{j}.{name}", getattr(r, name)
            if r.hurdle is not None and r.hurdle.change == "percent" and small(r.hurdle.min):
                yield f"payments.{i}.rates.{j}.hurdle.min", r.hurdle.min
        if getattr(m, "change", None) == "percent":
            for j, t in enumerate(getattr(m, "tiers", ())):
                if small(t.at):
                    yield f"payments.{i}.tiers.{j}.at", t.at
            if small(getattr(m, "target", None)):    # revenue at risk's target
                yield f"payments.{i}.target", m.target
    t = spec.termination
    if t is not None and t.rule is not None and t.rule.change == "percent" \
            and small(t.rule.stop_below):
        yield "termination.rule.stop_below", t.rule.stop_below


def warn_small_percents(spec: ContractSpec, source: str, where: dict[str, str]) -> None:
    """One :class:`~pbr_model.errors.PbrInputWarning` per :func:`small_percents` value,
    naming the file, the place (a workbook's sheet and cell) and the field."""
    for path, value in small_percents(spec):
        place = f"{where[path]}: " if path in where else ""
        warnings.warn(f"{source}: {place}{path} is {value:g} percent, that is {value:g}%: a "
                      f"change in percent is written 10 for 10%; if you meant "
                      f"{value * 100:g}%, write {value * 100:g}", PbrInputWarning, stacklevel=3)
