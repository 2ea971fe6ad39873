"""The base of every spec model: strict, frozen, every field documented with a unit."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_MONEY = 1e12  # a trillion in any currency: far above any contract, far below overflow


def _f(description: str, unit: str, **kw):
    """A field with its description and unit recorded for docs and workbooks. Money
    fields (unit "currency...") are bounded by ``MAX_MONEY``."""
    if unit.startswith("currency") and "le" not in kw:
        kw["le"] = MAX_MONEY
    return Field(description=description, json_schema_extra={"unit": unit}, **kw)


class _Model(BaseModel):
    # Unknown keys are errors: a typo must never pass silently.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value):
        """Text holds no control characters (tabs and line breaks aside): they cannot be
        written to a workbook and are never meant."""
        if isinstance(value, str) and CONTROL.search(value):
            raise ValueError("text must not contain control characters (tab and line breaks "
                             "are allowed)")
        return value


#: Control characters other than tab, line feed and carriage return (the ones Excel refuses).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
