"""Walk a spec's fields with their units and descriptions.

One source for ``docs/contract-spec.md``, the Excel ``Assumptions`` sheet and
``--set`` help: every leaf field as a dotted path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from pydantic import BaseModel


@dataclass(frozen=True)
class FieldRow:
    """One leaf field of a spec: dotted path, value, unit, description."""

    path: str
    value: Any
    unit: str
    description: str


def _unit(info) -> str:
    extra = info.json_schema_extra or {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


def flatten(model: BaseModel, prefix: str = "") -> Iterator[FieldRow]:
    """Every leaf field of ``model`` in order, lists addressed by index."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        yield from _rows(path, value, _unit(info), info.description or "")


def _rows(path: str, value: Any, unit: str, description: str) -> Iterator[FieldRow]:
    if isinstance(value, BaseModel):
        yield from flatten(value, path + ".")
    elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        for i, item in enumerate(value):
            yield from flatten(item, f"{path}.{i}.")
    else:
        yield FieldRow(path, value, unit, description)
