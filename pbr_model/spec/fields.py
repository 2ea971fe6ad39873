"""The spec's fields, read from its pydantic models: what each accepts, its unit, bounds and
description, and every leaf field of a spec as a dotted path.

One home for walking the schema. ``docs/contract-spec.md`` (:mod:`.reference`), the Excel
input workbook (:mod:`.template` writes it, :mod:`.workbook` reads it), error messages
(:mod:`.load`), ``--set`` paths and the ``Assumptions`` sheets all read the fields here, so
none of them can disagree about what a field is.

An annotation (``ann``) is a field's type as pydantic holds it (``float``, ``Trend | None``,
``list[RiskBand]``, ``list[Payment]`` with ``Payment`` a tagged union); ``info`` is its
:class:`pydantic.fields.FieldInfo`.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Iterator, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

#: Numeric bound keywords -> the symbol shown for them.
BOUND_SYMBOLS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


@dataclass(frozen=True)
class FieldRow:
    """One leaf field of a spec: dotted path, value, unit, description."""

    path: str
    value: Any
    unit: str
    description: str


def unit(info: FieldInfo) -> str:
    """The field's unit (``"currency"``, ``"fraction per year"``, ...); "" if it has none."""
    extra = info.json_schema_extra or {}
    return extra.get("unit", "") if isinstance(extra, dict) else ""


def flatten(model: BaseModel, prefix: str = "") -> Iterator[FieldRow]:
    """Every leaf field of ``model`` in order, lists addressed by index."""
    for path, _, _, info, value in leaves(model, prefix):
        yield FieldRow(path, value, unit(info), info.description or "")


def leaves(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, BaseModel, str, Any, Any]]:
    """``(path, model, name, field info, value)`` of every leaf field of ``model`` in order:
    sections and lists of sections are walked into (lists addressed by index), anything
    else is a leaf."""
    for name, info in type(model).model_fields.items():
        value, path = getattr(model, name), f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from leaves(value, path + ".")
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, item in enumerate(value):
                yield from leaves(item, f"{path}.{i}.")
        else:
            yield path, model, name, info, value


# -- what an annotation holds -------------------------------------------------------------------

def unwrap(ann: Any) -> Any:
    """``Annotated[X, ...]`` -> ``X``; anything else unchanged."""
    return typing.get_args(ann)[0] if typing.get_origin(ann) is Annotated else ann


def members(ann: Any) -> tuple[Any, ...]:
    """The members of a union (``X | None`` included), or ``(ann,)``."""
    ann = unwrap(ann)
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return tuple(unwrap(a) for a in typing.get_args(ann))
    return (ann,)


def is_model(ann: Any) -> bool:
    """Whether ``ann`` is a pydantic model class (a section of the spec)."""
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def submodel(ann: Any) -> type[BaseModel] | None:
    """The model of a (possibly optional) sub-section field, else None."""
    models = [m for m in members(ann) if is_model(m)]
    rest = [m for m in members(ann) if not is_model(m) and m is not type(None)]
    return models[0] if len(models) == 1 and not rest else None


def variants(ann: Any) -> dict[str, type[BaseModel]]:
    """A tagged union of models (the payments) as ``{type tag: model}``; {} otherwise."""
    out: dict[str, type[BaseModel]] = {}
    for member in members(ann):
        if not is_model(member) or "type" not in member.model_fields:
            return {}
        tag = member.model_fields["type"].annotation
        if typing.get_origin(tag) is not Literal:
            return {}
        out.update({t: member for t in typing.get_args(tag)})
    return out if len(members(ann)) > 1 else {}


def list_item(ann: Any) -> Any | None:
    """The item type of a list of models (or of tagged models); None for other fields."""
    ann = unwrap(ann)
    if typing.get_origin(ann) is not list:
        return None
    item = typing.get_args(ann)[0]
    return item if is_model(unwrap(item)) or variants(item) else None


def model_of(ann: Any) -> type[BaseModel] | None:
    """The one model a field holds: a section, an optional section or the items of a list
    of one model; None for values and for a list of tagged models (see :func:`variants`)."""
    item = list_item(ann)
    return submodel(ann) or (unwrap(item) if is_model(unwrap(item)) else None)


def kinds(ann: Any) -> set[str]:
    """What a field accepts, as a set of: int, float, bool, text, date, list, none, other."""
    out: set[str] = set()
    for member in members(ann):
        if typing.get_origin(member) is Literal:
            out.add("text")
        elif typing.get_origin(member) is list:
            out.add("list")
        elif member is type(None):
            out.add("none")
        else:
            out.add({bool: "bool", int: "int", float: "float", str: "text",
                     dt.date: "date"}.get(member, "other"))
    return out


def choices(ann: Any) -> tuple[str, ...]:
    """The values a field of ``Literal`` choices (or an optional one) allows; () otherwise."""
    return tuple(a for m in members(ann) if typing.get_origin(m) is Literal
                 for a in typing.get_args(m))


# -- a field's constraints ----------------------------------------------------------------------

def bounds(info: FieldInfo) -> dict[str, float]:
    """Numeric bounds of a field from its constraints: ``{"ge": 0, "le": 1}``."""
    out = {}
    for meta in info.metadata:
        for attr in BOUND_SYMBOLS:
            if getattr(meta, attr, None) is not None:
                out[attr] = getattr(meta, attr)
    return out


def lengths(info: FieldInfo) -> tuple[int | None, int | None, str | None]:
    """A text or list field's ``(min_length, max_length, pattern)``; None where not set."""
    lo = hi = pattern = None
    for meta in info.metadata:
        lo = getattr(meta, "min_length", None) if lo is None else lo
        hi = getattr(meta, "max_length", None) if hi is None else hi
        pattern = getattr(meta, "pattern", None) if pattern is None else pattern
    return lo, hi, pattern


def field_type(keys: list[str | int], data: Any, root: type[BaseModel]) -> Any:
    """The annotation of the field at a path of keys (list items by index) under ``root``,
    a tagged item's model chosen by its ``type`` in ``data`` (the plain data being read);
    None when the path names no field."""
    ann: Any = root
    node: Any = data
    for key in keys:
        ann = _concrete(ann, node)
        lists = [m for m in members(ann) if typing.get_origin(m) is list]
        if is_model(ann) and isinstance(key, str) and key in ann.model_fields:
            ann = ann.model_fields[key].annotation
        elif isinstance(key, int) and lists:
            ann = typing.get_args(lists[0])[0]
        else:
            return None
        node = _child(node, key)
    return ann


def _child(node: Any, key: str | int) -> Any:
    """``node[key]`` in plain data (tables, lists, or tables keyed by index), else None."""
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def field_info(keys: list[str | int], data: Any, root: type[BaseModel]) -> FieldInfo | None:
    """The :class:`FieldInfo` of the field at a path of keys under ``root`` (a tagged item's
    model chosen by its ``type`` in ``data``); None for a list item or a path naming no
    field of a model."""
    if not keys or not isinstance(keys[-1], str):
        return None
    ann = field_type(keys[:-1], data, root) if len(keys) > 1 else root
    node: Any = data
    for key in keys[:-1]:
        node = _child(node, key)
    model = _concrete(ann, node)
    return model.model_fields.get(keys[-1]) if is_model(model) else None


def _concrete(ann: Any, node: Any) -> Any:
    """A sub-section's model (optional, or tagged by ``type``), else the type unchanged."""
    tagged = variants(ann)
    if tagged:
        return tagged.get(node.get("type")) if isinstance(node, dict) else None
    return submodel(ann) or ann
