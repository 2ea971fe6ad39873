"""Who owns what in a portfolio file: exactly one of ``[owner]`` (one owner of every area)
and ``[[owners]]`` (several, each area naming its own), checked on the raw file so every
problem is reported together with the rest of the file's (:mod:`pbr_model.spec.portfolio`)."""

from __future__ import annotations


def _raw_owners(data: dict) -> list[tuple[str, object]]:
    """``(path, table)`` of each owner in the raw file: ``owner`` and ``owners.j``."""
    out: list[tuple[str, object]] = []
    if "owner" in data:
        out.append(("owner", data["owner"]))
    if isinstance(data.get("owners"), list):
        out += [(f"owners.{j}", o) for j, o in enumerate(data["owners"])]
    return out


def owner_problems(data: dict) -> list[tuple[str, str, object]]:
    """Problems in who owns what, ``(path, message, value)`` each, read from the raw file:
    exactly one of ``[owner]`` and ``[[owners]]``; with ``[[owners]]``, each gives a
    ``name``, the names differ, each area's ``owner`` is one of them and each owner holds
    at least one area; with ``[owner]``, no area names an owner."""
    has_one, has_many = "owner" in data, "owners" in data
    raw_areas = list(enumerate(data["areas"])) if isinstance(data.get("areas"), list) else []
    if has_one and has_many:
        return [("owners", "give [owner] (one owner of every area) or [[owners]] (several, "
                 "each area naming its own), not both", None)]
    if not has_one and not has_many:
        return [("owner", "missing: give [owner] (one owner of every area) or [[owners]] "
                 "(several, each area naming its own with owner = \"...\")", None)]
    problems: list[tuple[str, str, object]] = []
    if has_one:
        problems += [(f"areas.{i}.owner", "is read only with [[owners]]; with [owner] the one "
                      "owner holds every area: remove it", a["owner"])
                     for i, a in raw_areas if isinstance(a, dict) and "owner" in a]
        return problems
    owners = data["owners"] if isinstance(data["owners"], list) else []
    seen: dict[str, int] = {}
    for j, o in enumerate(owners):
        if not isinstance(o, dict):
            continue  # reported by the file's validation
        name = o.get("name")
        if not isinstance(name, str) or not name:
            problems.append((f"owners.{j}.name", "missing: each of [[owners]] needs a name "
                             "that its areas give as owner = \"...\"", None))
        elif name in seen:
            problems.append((f"owners.{j}.name", f"already the name of owners.{seen[name]}; "
                             "owner names must differ", name))
        else:
            seen[name] = j
    held: set[str] = set()
    for i, a in raw_areas:
        if not isinstance(a, dict):
            continue
        name = a.get("owner")
        if name is None:
            problems.append((f"areas.{i}.owner", "missing: with [[owners]] every area names "
                             f"its owner, one of {sorted(seen)}", None))
        elif isinstance(name, str) and name not in seen:
            problems.append((f"areas.{i}.owner", f"is not one of the [[owners]]' names "
                             f"{sorted(seen)}", name))
        if isinstance(name, str):
            held.add(name)
    if any(isinstance(a, dict) for _, a in raw_areas):
        problems += [(f"owners.{j}", "holds no area: name it as some area's owner or remove "
                      "it", name) for name, j in seen.items() if name not in held]
    return problems
