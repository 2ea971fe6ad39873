"""Price fields: what ``pbr breakeven --solve price`` multiplies, from each mechanism's paths.

A mechanism declares its price fields as dotted paths into its spec model, ``*``
standing for every item of a list: ``("rates.*.price", "rates.*.deduction_price",
"cap_total")``. They expand in the order given, except that paths into the same list
expand item by item (``rates.0.price``, ``rates.0.deduction_price``, ``rates.1.price``,
...). A path through an omitted (None) section or to an omitted value names nothing.
"""

from __future__ import annotations

from typing import Iterator

from pydantic import BaseModel, ValidationError

from ..errors import InputError


def _get(obj: object, path: str) -> object:
    """The value at a dotted path of attributes, or None if any step is None."""
    for name in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def expand(model: BaseModel, paths: tuple[str, ...],
           prefix: str = "") -> Iterator[tuple[str, float]]:
    """Each field ``paths`` name in ``model``: ``(path, value)`` with list items numbered
    [the field's unit, as in the spec]."""
    lists: list[str] = []
    for path in paths:
        head, star, rest = path.partition(".*.")
        if not star:
            value = _get(model, path)
            if value is not None:
                yield prefix + path, value
        elif head not in lists:
            lists.append(head)
            inner = tuple(p.partition(".*.")[2] for p in paths if p.partition(".*.")[0] == head)
            for j, item in enumerate(_get(model, head) or ()):
                yield from expand(item, inner, f"{prefix}{head}.{j}.")


def _put(data: dict, path: str, value: float) -> None:
    """Set a dotted path (list items by number) in a model's dumped data."""
    *steps, last = path.split(".")
    for step in steps:
        data = data[int(step)] if isinstance(data, list) else data[step]
    data[last] = value


def scale(model: BaseModel, paths: tuple[str, ...], factor: float,
          what: str = "price factor") -> BaseModel:
    """``model`` with every field ``paths`` name multiplied by ``factor``, validated again by
    its pydantic model; everything else is as it was. ``what`` names the factor in
    messages (``"fee factor"`` for ``--solve fee``).

    Raises
    ------
    InputError
        if a scaled value is out of its field's range (a factor below 0, or money above
        the most a spec may hold).
    """
    named = dict(expand(model, paths))
    data = model.model_dump()
    for path, value in named.items():
        _put(data, path, value * factor)
    try:
        return type(model).model_validate(data)
    except ValidationError as exc:
        label = getattr(model, "name", type(model).__name__)
        problems = []
        for e in exc.errors():
            path = ".".join(map(str, e["loc"]))
            given = f"{named[path]:g} x " if path in named else ""
            problems.append(f"{label!r} {path}: {given}{what} {factor:g} is out of range "
                            f"({e['msg']})")
        raise InputError(problems) from None
