"""The base of every spec model: strict, frozen, every field documented with a unit."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
