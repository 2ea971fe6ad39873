"""Old spellings of spec fields, still read for now.

A renamed field's old key is accepted wherever a spec is written (a TOML file, a ``--set``
override, a row of an Excel input workbook), moved to its new name before validation, and
a :class:`~pbr_model.errors.PbrDeprecationWarning` says where to rename it. Giving both
spellings is an error. The spec is validated under the new names only, so its hash does
not depend on the spelling used.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..errors import PbrDeprecationWarning

#: Old dotted path -> new dotted path: a field renamed within its own section, under no list.
RENAMED: dict[str, str] = {
    # A spec's [provider] now uses the names a provider profile uses for the same ideas.
    "provider.credit_line": "provider.credit_limit",
    "provider.discount_rate": "provider.cost_of_capital",
}


def new_path(path: str) -> str | None:
    """The new spelling of a dotted path that is, or lies under, an old one, else None:
    ``provider.credit_line`` -> ``provider.credit_limit``."""
    for old, new in RENAMED.items():
        if path == old or path.startswith(old + "."):
            return new + path[len(old):]
    return None


def warn_renamed(old: str, new: str, fix: str) -> None:
    """Warn that ``old`` is now ``new``; ``fix`` says where to change it."""
    warnings.warn(f"{old} is now {new}; {fix}", PbrDeprecationWarning, stacklevel=3)


def upgrade(data: Any, source: str) -> tuple[Any, list[tuple[str, str, object]]]:
    """``data`` (plain spec data, not changed) with each old key under its new name, a
    warning for each naming ``source``, and the problems where both names are given
    (``(path, message, value)`` each; the old key is then dropped)."""
    problems: list[tuple[str, str, object]] = []
    for old, new in RENAMED.items():
        *parents, old_key = old.split(".")
        node = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or old_key not in node:
            continue
        data, node = _copy_path(data, parents)
        new_key = new.rsplit(".", 1)[1]
        value = node.pop(old_key)
        if new_key in node:
            problems.append((old, f"the old name of {new}, which is given too; keep {new} "
                             f"only", value))
        else:
            node[new_key] = value
            warn_renamed(old, new, f"rename it in {source}")
    return data, problems


def _copy_path(data: dict, keys: list[str]) -> tuple[dict, dict]:
    """A copy of ``data`` with the dicts along ``keys`` copied too (so that changing them
    leaves the caller's data as it was), and the last of them."""
    top = node = dict(data)
    for key in keys:
        node[key] = dict(node[key])
        node = node[key]
    return top, node
