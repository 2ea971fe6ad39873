"""The field reference of the spec format, generated from the schema.

``docs/contract-spec.md`` embeds :func:`markdown_reference` between markers and
a test checks it is current (regenerate with ``pbr schema --markdown``).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import fields
from .schema import PAYMENT_TYPES, ContractSpec


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(ann))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(ann) if a is not type(None))
    if origin is list:
        return f"list of {_type_name(typing.get_args(ann)[0])}"
    return getattr(ann, "__name__", str(ann))


def _allowed(info) -> str:
    parts = [f"{fields.BOUND_SYMBOLS[k]} {v:g}" for k, v in fields.bounds(info).items()]
    lo, hi, pattern = fields.lengths(info)
    if lo is not None:
        parts.append(f"length >= {lo}")
    if hi is not None:
        parts.append(f"length <= {hi}")
    if pattern is not None:
        parts.append(f"matches `{pattern}`")
    if typing.get_origin(info.annotation) is Literal:
        parts.append("one of " + ", ".join(f"`{a}`" for a in typing.get_args(info.annotation)))
    return ", ".join(parts)


def _default(info) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "(section defaults)"
    if info.default is None:
        return "none"
    return "" if info.default is PydanticUndefined else f"`{info.default!r}`"


def _section(title: str, model: type[BaseModel], out: list[str], path: str) -> None:
    out += [f"### `{title}`", ""]
    if model.__doc__:
        out += [" ".join(model.__doc__.split()), ""]
    rows, nested = [], []
    for name, info in model.model_fields.items():
        sub = fields.model_of(info.annotation)
        if sub is not None:
            is_list = typing.get_origin(info.annotation) is list
            nested.append((f"{path}{name}" + ("[]" if is_list else ""), sub))
        desc = (info.description or "").replace("|", "\\|")
        if sub is not None:
            desc += f" See `{path}{name}" + ("[]" if is_list else "") + "` below."
        rows.append(f"| `{name}` | {_type_name(info.annotation)} | {fields.unit(info)} | "
                   f"{_default(info)} | {_allowed(info)} | {desc} |")
    if rows:
        out += ["| field | type | unit | default | allowed | meaning |",
                "|---|---|---|---|---|---|", *rows, ""]
    for sub_path, sub in nested:
        _section(sub_path, sub, out, sub_path.replace("[]", "[N]") + ".")


def markdown_reference() -> str:
    """Markdown tables of every spec field: type, unit, default, allowed range, meaning."""
    out: list[str] = []
    for name, info in ContractSpec.model_fields.items():
        sub = fields.model_of(info.annotation)
        if sub is not None:
            _section(name, sub, out, name + ".")
    out += ["### `payments[]`", "",
            "A list of mechanisms (TOML `[[payments]]`), each chosen by its `type`; "
            "their payments add up.", ""]
    for tag, model in PAYMENT_TYPES.items():
        _section(f'payments[] with type = "{tag}"', model, out, "payments[N].")
    return "\n".join(out).rstrip() + "\n"
