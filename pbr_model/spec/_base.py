"""The base of every spec model: strict, frozen, every field documented with a unit.

Checks every field of every section shares (of contract specs, provider profiles and
portfolios alike) live here, once: text holds no control or bidirectional-override
characters, and dates fall in :data:`MIN_DATE` .. :data:`MAX_DATE`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..text import unsafe

MAX_MONEY = 1e12  # a trillion in any currency: far above any contract, far below overflow

#: The dates a spec may give (a contract's start, payment dates): a contract with its
#: longest calendar and lags still ends centuries before dates overflow (year 9999).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)

#: The most items any list in a spec may hold (one per cohort at most: ``length_months`` is
#: at most 600), so the highest list index a ``--set`` path or a workbook row may name is
#: ``MAX_LIST_ITEMS - 1``.
MAX_LIST_ITEMS = 1000

#: Characters refused in text: C0 controls other than tab, line feed and carriage return
#: (Excel refuses them too; ESC starts terminal escape sequences), DEL, the C1 controls,
#: and the bidirectional marks, embeddings, overrides and isolates, which make text show
#: in an order other than the one it is read in.
CONTROL = unsafe("\x00-\x08\x0b\x0c\x0e-\x1f")


def _f(description: str, unit: str, **kw):
    """A field with its description and unit recorded for docs and workbooks. Money
    fields (unit "currency...") are bounded by ``MAX_MONEY``."""
    if unit.startswith("currency") and "le" not in kw:
        kw["le"] = MAX_MONEY
    return Field(description=description, json_schema_extra={"unit": unit}, **kw)


def text_problem(text: str) -> str | None:
    """What is wrong with ``text`` as spec text (a refused character), or None."""
    found = CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    kind = ("a bidirectional-text control character" if ord(char) > 0x9f
            else "a control character")
    return ("text must not contain control characters (tab and line breaks are allowed) or "
            f"bidirectional-override characters: contains {kind} {ascii(char)[1:-1]} at "
            f"position {found.start() + 1}")


def date_problem(day: dt.date) -> str | None:
    """What is wrong with ``day`` as a spec date (outside the supported range), or None."""
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return (f"must be a date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()} "
            f"(got {day.isoformat()})")


class _Model(BaseModel):
    # Unknown keys are errors: a typo must never pass silently. Validators are built with
    # the classes, at import: pydantic's defer_build would save about 0.04 s of start-up,
    # but a model built on first use is not safe to use from several threads at once
    # (pydantic issues 11849 and 13419), and the library's users validate in threads.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value):
        """Text holds no control characters (tabs and line breaks aside) and no
        bidirectional overrides: they cannot be written to a workbook, can disguise what a
        terminal shows and are never meant. Dates fall in the supported range. Checked in
        lists (``set`` overrides, payment dates) as in single values."""
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            at = f"item {i}: " if isinstance(value, list) else ""
            problem = (text_problem(item) if isinstance(item, str)
                       else date_problem(item) if isinstance(item, dt.date) else None)
            if problem:
                raise ValueError(at + problem)
        return value
