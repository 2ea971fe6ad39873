"""Reading an INDIGO project as JSON, for :mod:`pbr_model.observed_indigo`: the file's
project object (strict JSON, the GO Lab API's envelope unwrapped), INDIGO's wrapped fields
(``{"value": ...}``) and the words of its messages."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import InputError

#: Deepest nesting read (a project is a few levels deep).
MAX_DEPTH = 20


def value(record: dict, *keys: str):
    """``record[k1][k2]...["value"]``, or None where any part is missing."""
    node = record
    for key in (*keys, "value"):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _project(path: Path, raw: bytes) -> dict:
    """The project object of the file (unwrapping the GO Lab API's envelope)."""
    def refuse(constant):
        raise ValueError(f"{constant} is not a number JSON allows")

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"key {dupes[0]!r} appears twice in one object")
        return dict(pairs)

    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text, parse_constant=refuse, object_pairs_hook=no_dupes)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the INDIGO project "
                         "as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be an INDIGO project") from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"{path}: nested more than {MAX_DEPTH} levels deep; an INDIGO "
                         "project is a few levels deep")
    if isinstance(data, dict) and isinstance(data.get("project"), dict) \
            and isinstance(data["project"].get("data"), dict):
        return data["project"]["data"]  # the GO Lab API: {"project": {"id", "data"}}
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object (an INDIGO project), not "
                         f"{_kind(data)}")
    return data


def _depth(node, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level)
    return level


def _kind(v) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(v), "a number")


def _list(path: Path, project: dict, key: str, problems: list[str]) -> list[dict]:
    items = project.get(key, [])
    if not isinstance(items, list):
        problems.append(f"{path}: {key}: must be a list of records (got {_kind(items)})")
        return []
    good = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            good.append(item)
        else:
            problems.append(f"{path}: {key}[{i}]: must be an object (got {_kind(item)})")
    return good if len(good) == len(items) else []


#: The wrapped fields (``{"value": ...}``) read from a result and from an outcome payment.
RESULT_FIELDS = (("outcome_metric_id",), ("result_level",), ("number_engaged_in_impact_bond",),
                 ("number_with_positive_social_outcomes",), ("period", "start_date"),
                 ("period", "end_date"))
PAYMENT_FIELDS = (("type",), ("money", "amount"), ("money", "currency"),
                  ("period", "start_date"), ("period", "end_date"))


def _unwrapped(path, where, record: dict, fields, problems: list[str]) -> bool:
    """Whether each of ``fields`` that ``record`` gives is written as INDIGO writes it (an
    object holding its ``value``; ``period`` and ``money`` objects holding such fields);
    one problem per field given bare (``"outcome_metric_id": "binary"``)."""
    ok, seen = True, set()
    for keys in fields:
        node = record
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or node.get(key) is None:
                break
            node = node[key]
            if isinstance(node, dict):
                continue
            ok = False
            name = f"{where}." + ".".join(keys[:depth + 1])
            if name in seen:
                break
            seen.add(name)
            given = _cut(json.dumps(node, ensure_ascii=False), 60)
            if depth == len(keys) - 1:
                problems.append(f"{path}: {name}: INDIGO writes a field as an object holding "
                                f"its value: write it as {{\"value\": {given}}} (got "
                                f"{_kind(node)} {given})")
            else:
                problems.append(f"{path}: {name}: must be an object holding "
                                f"{keys[depth + 1]}, each as {{\"value\": ...}} (got "
                                f"{_kind(node)} {given})")
            break
    return ok


def _json(v) -> str:
    """A value given, for a message: its kind and JSON text (``text "1000"``)."""
    return f"{_kind(v)} {_cut(json.dumps(v, ensure_ascii=False), 60)}"


def _text_of(v) -> str | None:
    """A JSON number as the text a CSV cell would hold (so the CSV's checks apply)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v) if isinstance(v, int) else repr(v)


def _finite(x: float | int) -> bool:
    """Whether a JSON number is a finite float (an integer too large for one is not)."""
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _cut(text: str, limit: int = 300) -> str:
    """Our own list of choices, cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."
