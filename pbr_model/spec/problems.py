"""Pydantic's validation errors as ours: one :class:`~pbr_model.errors.Problem` per
problem, with a dotted path, a plain message and the value given."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .fields import model_of
from .schema import PAYMENT_TYPES, ContractSpec


def problems_of(exc: ValidationError, data: Any, source: str,
              root: type[BaseModel] = ContractSpec) -> list[Problem]:
    out, seen = [], set()
    for err in exc.errors(include_url=False):
        path, model = _clean_loc(err["loc"], data, root)
        if path in seen:
            continue  # one value failing each member of a union: report it once
        seen.add(path)
        kind = err["type"]
        message = err["msg"]
        has_value = kind not in ("missing",) and not isinstance(err.get("input"), dict)
        if kind == "extra_forbidden":
            allowed = sorted(model.model_fields) if model is not None else []
            message = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
            has_value = False
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
            # a cross-field message that shows what it was given already says it once
            has_value = has_value and "(got " not in message and not _section(err.get("input"))
        elif kind in ("union_tag_not_found", "union_tag_invalid"):
            allowed = ", ".join(f"'{t}'" for t in PAYMENT_TYPES)
            message = ("payment needs a `type`" if kind == "union_tag_not_found"
                       else f"unknown payment type {err['ctx'].get('tag')!r}")
            message += f"; allowed types: {allowed}"
            has_value = False
        elif kind in ("bool_type", "int_type", "float_type") and isinstance(err.get("input"), bool):
            message = "must be a number, not true/false"
        elif kind in DATE_ERRORS:
            # pydantic's own words speak of datetimes and timestamps (5 is read as 5 s after
            # 1970), which a spec never means
            message = "must be a date written YYYY-MM-DD, with no time of day"
        if kind.endswith("_type") and isinstance(err.get("input"), dict):
            message += " (got a table)"   # a section where a value belongs: not echoed
        out.append(Problem(source, path, message, err.get("input"), has_value))
    # A value failing several members of a union (a number, or a list of numbers)
    # is reported at the deepest place only.
    return [p for p in out if not any(q.path.startswith(p.path + ".") for q in out)]


#: Pydantic's error types for a value that is not a date.
DATE_ERRORS = frozenset({"date_type", "date_parsing", "date_from_datetime_parsing",
                         "date_from_datetime_inexact"})


def _section(value: Any) -> bool:
    """Whether ``value`` is a list of tables (a section such as the bands), which a message
    about it names rather than echoes."""
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _clean_loc(loc: tuple, data: Any,
               root: type[BaseModel] = ContractSpec) -> tuple[str, type[BaseModel] | None]:
    """Dotted path for an error location, dropping pydantic's union tags, and the
    model class at the parent of the last element (to list allowed keys)."""
    parts: list[str] = []
    node: Any = data
    model: type[BaseModel] | None = root
    parent_model: type[BaseModel] | None = root
    for item in loc:
        if isinstance(node, dict) and isinstance(item, str) and item not in node \
                and node.get("type") == item:
            model = _payment_model(item)  # discriminated-union tag, not a key
            continue
        if isinstance(item, str) and node is not None and not isinstance(node, dict):
            continue  # plain-union member tag ('float', 'list[float]'): a value has no keys
        if isinstance(item, str) and isinstance(node, dict) and item not in node \
                and model is None:
            continue  # the same, where a table was given for the value: not one of its keys
        parts.append(str(item))
        parent_model = model
        if isinstance(node, (dict, list)):
            try:
                node = node[item]
            except (KeyError, IndexError, TypeError):
                node = None
        model = _child_model(model, item)
    return ".".join(parts), parent_model


def _child_model(model: type[BaseModel] | None, key: Any) -> type[BaseModel] | None:
    if model is None or isinstance(key, int):
        return model
    field = model.model_fields.get(key)
    return None if field is None else model_of(field.annotation)


def _payment_model(tag: str) -> type[BaseModel] | None:
    return PAYMENT_TYPES.get(tag)
