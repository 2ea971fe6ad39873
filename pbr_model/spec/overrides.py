"""Overrides: ``PATH=VALUE`` strings (``--set``, a portfolio area's ``set`` list) applied
to a spec's plain data before it is validated, and where a problem with an overridden value
is said to be (``--set``, not the file).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..errors import MAX_ECHO, OverrideError, clip, short
from .reading import MAX_DEPTH, _too_deep, parse_value
from .renames import new_path, warn_renamed


def apply_overrides(data: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``PATH=VALUE`` applied.

    PATH is dotted; list items are addressed by 0-based index
    (``payments.1.binary_price=2500``, ``population.bands.0.share=0.3``).
    Paths that name no field are caught by validation, which lists the allowed
    fields. A field's old name (see :mod:`.renames`) sets the field under its new name,
    with a warning; setting both names of one field is an error.
    """
    data, problems = overridden(data, overrides)
    if problems:
        raise OverrideError(problems)
    return data


def overridden(data: dict[str, Any], overrides: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """:func:`apply_overrides`, returning the problems (one line per bad override) with the
    data the good overrides make, instead of raising them."""
    data = deep_copy(data)
    problems = []
    given: dict[str, str] = {}  # path set -> the path as given, to catch both names of one
    for item in overrides:
        path, sep, value = item.partition("=")
        path = path.strip()
        if not sep or not path:
            problems.append(f"--set {short(item)}: expected PATH=VALUE, e.g. "
                            "--set intervention.effect.binary.mean=0.08")
            continue
        new = new_path(path)
        if new is not None:
            warn_renamed(path, new, f"use --set {new}={value.strip()}")
        target = new or path
        if given.setdefault(target, path) != path:
            problems.append(f"--set {short(item)}: {target} is set by both its names ({path} and "
                            f"{given[target]}); set {target} only")
            continue
        path = target
        keys = path.split(".")
        if any(not k for k in keys):
            problems.append(f"--set {short(item)}: empty part in path {short(path)}")
            continue
        if len(path) > MAX_ECHO:
            problems.append(f"--set {short(item)}: the path is {len(path):,} characters long, "
                            f"longer than any field's ({MAX_ECHO} at most)")
            continue
        if len(keys) > MAX_DEPTH:
            problems.append(f"--set {short(item)}: the path has {len(keys)} parts; "
                            f"{_too_deep('fields')}")
            continue
        try:
            _set_path(data, keys, parse_value(value.strip()))
        except OverrideError as exc:
            problems.extend(f"--set {short(item)}: {p}" for p in exc.problems)
    return data, problems


def set_places(where: Mapping[str, str], data: Any, overrides: Iterable[str],
               label: str = "--set") -> dict[str, str]:
    """``where`` (a field path's place in its file, for :func:`placed`) with what
    ``overrides`` set placed at ``label``: each override's path, in place of the cells
    under it, and each part of that path the file did not have (a section or field that
    only the override made), so a problem with a value given on the command line names
    ``--set``, not the file, whose own value was not at fault. ``data``: the file's, before
    the overrides."""
    out = dict(where)
    for item in overrides:
        key = item.partition("=")[0].strip()
        key = new_path(key) or key   # an old field name sets the new field
        if not key:
            continue
        out = {p: w for p, w in out.items() if not p.startswith(key + ".")}
        out[key] = label
        keys = key.split(".")
        for n in range(1, len(keys)):
            if value_at(data, [int(k) if k.isdigit() else k for k in keys[:n]]) is None:
                out.update({".".join(keys[:m]): label for m in range(n, len(keys))})
                break
    return out


def deep_copy(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [deep_copy(v) for v in obj]
    return obj


def _set_path(node: Any, keys: list[str], value: Any) -> None:
    for level, key in enumerate(keys):
        last = level == len(keys) - 1
        where = ".".join(keys[: level + 1])
        if isinstance(node, list):
            if not key.isdigit() or len(key) > 9 or int(key) >= len(node):
                allowed = f"0 to {len(node) - 1}" if node else "the list is empty"
                raise OverrideError(f"{clip(where)}: {short(key)} is not an index of this "
                                    f"list ({allowed})")
            if last:
                node[int(key)] = value
            else:
                node = node[int(key)]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise OverrideError(f"{clip(where)}: {clip('.'.join(keys[:level]))} is a value, "
                                "not a section")


def value_at(data: Any, keys: list[Any]) -> Any:
    """The value at a path of keys in plain data, or None."""
    for key in keys:
        try:
            data = data[key] if isinstance(data, (dict, list)) else None
        except (KeyError, IndexError, TypeError):
            return None
    return data
