"""Observed results read from an INDIGO project (the GO Lab impact-bond data standard,
version 4.1.0), for ``pbr settle --indigo``; and the calendar both directions share.

An INDIGO project (a JSON object, or the GO Lab API's ``{"project": {"id": ..., "data":
{...}}}``) carries a cohort's results in ``results``: one record per outcome metric and
period. A record is mapped to one of the contract's cohorts by its ``period`` (the months
of ``start_date`` and ``end_date`` must be the cohort's first and last entry months) and
to a measure by ``outcome_metric_id`` (the id must name a measure the contract's payment
rules read, e.g. ``binary`` or ``reconviction_events``). Its counts come from
``number_engaged_in_impact_bond`` (the cohort's ``n``), ``number_with_positive_social_outcomes``
(for ``binary``: ``n`` minus the reoffenders; for an ``[[outcomes.other]]`` outcome: its
successes) and, for what INDIGO has no field for (comparison groups, reoffences, events,
bed days, a baseline), the extension object ``pbr_counts`` (the observed-CSV columns by
name). The counts are then checked exactly as a CSV's are (:mod:`pbr_model.observed`).

``outcome_payments`` of type ``Actual`` are read too, each mapped to a month in which
the contract pays a cohort's outcomes; ``pbr settle`` sets them beside what it settles.
Anything that cannot be mapped is an error naming the file, the field path, the value
and what is allowed. See docs/indigo.md.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from .csvread import Table, read_bytes, short
from .errors import InputError
from .measure import counts_read
from .observed import Observed, columns, needed_columns, observed_from_table
from .payments import rule_measures
from .spec.schema import ContractSpec
from .timeline import Timeline

#: The INDIGO data standard version read and written.
INDIGO_VERSION = "4.1.0"
#: The extension object on a result holding counts INDIGO has no field for.
EXTENSION = "pbr_counts"
#: A date as INDIGO writes it: YYYY, YYYY-MM or YYYY-MM-DD (the standard's date pattern).
DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
#: Deepest nesting read (a project is a few levels deep).
MAX_DEPTH = 20


def month_start(timeline: Timeline, month: int) -> dt.date:
    """First day of month ``month`` [month index from contract start]."""
    y, m = timeline.start_date.year, timeline.start_date.month - 1 + month
    return dt.date(y + m // 12, m % 12 + 1, 1)


def month_end(timeline: Timeline, month: int) -> dt.date:
    """Last day of month ``month``."""
    d = month_start(timeline, month)
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def cohort_period(timeline: Timeline, cohort: int) -> tuple[int, int]:
    """``(first, last)`` entry month of cohort ``cohort`` (from 0) [month index]."""
    first = int(timeline.entry_month[cohort])
    return first, first + timeline.cohort_months - 1


def value(record: dict, *keys: str):
    """``record[k1][k2]...["value"]``, or None where any part is missing."""
    node = record
    for key in (*keys, "value"):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def read_indigo(path: str | Path, spec: ContractSpec) -> Observed:
    """Read an INDIGO project's results and actual outcome payments as observed results.

    Raises
    ------
    InputError
        One line per problem: the file, the field path (``results[2].period.start_date``),
        the value given and what is allowed.
    """
    path = Path(path)
    raw = read_bytes(path, kind="an INDIGO project (a JSON file)",
                     too_big="an INDIGO project's results and payments are far smaller")
    project = _project(path, raw)
    timeline = Timeline.from_spec(spec)
    problems: list[str] = []
    metrics = _metric_ids(path, project, spec, problems)
    cells: dict[int, dict[str, tuple[str, str]]] = {}  # cohort -> column -> (text, field)
    results = _list(path, project, "results", problems)
    skipped: list[dict] = []
    for i, record in enumerate(results):
        _result(path, f"results[{i}]", record, spec, timeline, metrics, cells, problems,
                skipped)
    if not results and not problems:
        problems.append(f"{path}: results: no results to settle on; an INDIGO project gives "
                        "each cohort's results as records in 'results'")
    elif results and not cells and not problems:
        measures = ", ".join(dict.fromkeys(m for m, _ in rule_measures(spec)))
        problems.append(f"{path}: results: none of the {len(results)} results is a cohort's "
                        f"result for a measure this contract's payment rules read ({measures}); "
                        "skipped: " + _cut("; ".join(f"{s['field']} ({s['reason']})"
                                                     for s in skipped)))
    payments = _actual_payments(path, project, spec, timeline, problems)
    if problems:
        raise InputError(problems)
    required, optional = columns(spec)
    given = {col for row in cells.values() for col in row}
    header = ["cohort"] + [c for c in required + optional if c != "cohort" and
                           (c in required or c in given)]
    rows = []
    for cohort in sorted(cells):
        row = cells[cohort]
        rows.append((cohort + 1, [str(cohort + 1)] + [row.get(c, ("", ""))[0]
                                                      for c in header[1:]]))
    table = Table(raw, 1, header, rows)
    where = {c + 1: f"{path}: cohort {c + 1} ({', '.join(sorted({f for _, f in row.values()}))})"
             for c, row in cells.items()}
    needed = needed_columns(spec)
    missing = [c for c in needed if c not in given]
    if missing:
        raise InputError(f"{path}: no result gives {missing[0]!r}, which this contract's "
                         f"settlement needs (it needs {', '.join(needed)}); "
                         + ("give number_engaged_in_impact_bond" if missing[0] == "n" else
                            f"INDIGO has no field for it: give it in "
                            f"results[].{EXTENSION}.{missing[0]}"))
    obs = observed_from_table(table, spec, str(path), lambda i: where[i], payments)
    return replace(obs, skipped=tuple(skipped))


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


def _metric_ids(path: Path, project: dict, spec: ContractSpec, problems: list[str]) -> set[str]:
    """The project's outcome metric ids (``outcome_metrics[].id``)."""
    ids = set()
    for i, m in enumerate(_list(path, project, "outcome_metrics", problems)):
        if isinstance(m.get("id"), str):
            ids.add(m["id"])
        elif "id" in m:
            problems.append(f"{path}: outcome_metrics[{i}].id: must be text (got "
                            f"{_kind(m['id'])})")
    return ids


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


def _text_of(v) -> str | None:
    """A JSON number as the text a CSV cell would hold (so the CSV's checks apply)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v) if isinstance(v, int) else repr(v)


def _result(path, where, record, spec, timeline, metrics, cells, problems, skipped) -> None:
    """Map one ``results[i]`` record to its cohort and counts (into ``cells``); a result no
    payment rule reads (project level, or another metric) goes to ``skipped``."""
    measures = list(dict.fromkeys(m for m, _ in rule_measures(spec)))
    metric = value(record, "outcome_metric_id")
    level = value(record, "result_level")
    if not _unwrapped(path, where, record, RESULT_FIELDS, problems):
        return
    if metric is None:
        skipped.append({"field": where, "reason": (
            "a project-level result" if level == "Project level" else
            "names no outcome metric") + ", which no payment rule reads"})
        return
    if not isinstance(metric, str):
        problems.append(f"{path}: {where}.outcome_metric_id.value: must name an outcome "
                        f"metric, one of {', '.join(measures)} (got {_kind(metric)})")
        return
    if metrics and metric not in metrics:
        problems.append(f"{path}: {where}.outcome_metric_id.value: {short(metric)} is not the "
                        "id of any of the project's outcome_metrics")
        return
    if metric not in measures:
        skipped.append({"field": where, "reason": (
            f"outcome metric {short(metric)}, which no payment rule of this contract reads "
            f"(they read {', '.join(measures)}; a metric's id must be the measure's name)")})
        return
    cohort = _cohort(path, where, record, timeline, problems)
    if cohort is None:
        return
    row = cells.setdefault(cohort, {})
    counts: dict[str, tuple[object, str]] = {}
    n = value(record, "number_engaged_in_impact_bond")
    if n is not None:
        counts["n"] = (n, f"{where}.number_engaged_in_impact_bond.value")
    positive = value(record, "number_with_positive_social_outcomes")
    if positive is not None:
        field = f"{where}.number_with_positive_social_outcomes.value"
        others = {o.name for o in spec.outcomes.other}
        if metric in others:
            counts[metric] = (positive, field)
        elif metric == "binary":
            if _text_of(n) is None or _text_of(positive) is None:
                problems.append(f"{path}: {field}: needs number_engaged_in_impact_bond and "
                                "itself as numbers (reoffenders = engaged - positive)")
                return
            counts["reoffenders"] = (n - positive, field + " (n minus it)")
    extra = record.get(EXTENSION)
    if extra is not None:
        if not isinstance(extra, dict):
            problems.append(f"{path}: {where}.{EXTENSION}: must be an object of observed-CSV "
                            f"columns (got {_kind(extra)})")
            return
        required, optional = columns(spec)
        allowed = [c for c in required + optional if c != "cohort"]
        for col, v in extra.items():
            if col not in allowed:
                problems.append(f"{path}: {where}.{EXTENSION}: unknown count {short(col)}; "
                                f"allowed: {', '.join(allowed)}")
                continue
            field = f"{where}.{EXTENSION}.{col}"
            if col in counts and counts[col][0] != v:
                problems.append(f"{path}: {field}: {v!r} disagrees with {counts[col][1]} "
                                f"({counts[col][0]!r})")
                continue
            counts[col] = (v, field)
    for col, (v, field) in counts.items():
        text = _text_of(v)
        if text is None:
            problems.append(f"{path}: {field}: must be a number (got {_kind(v)} "
                            f"{short(str(v))})")
            continue
        if col in row and row[col][0] != text:
            problems.append(f"{path}: {field}: {text} disagrees with {row[col][1]} ({row[col][0]}) "
                            f"for the same cohort {cohort + 1}")
            continue
        row.setdefault(col, (text, field.split(".")[0]))


def _month(path, field, text, timeline: Timeline, problems) -> int | None:
    """The month index of an INDIGO date (YYYY-MM or YYYY-MM-DD), or None (a problem)."""
    m = DATE.fullmatch(text) if isinstance(text, str) else None
    if m is None or m.group(2) is None:
        problems.append(f"{path}: {field}: must be a date YYYY-MM or YYYY-MM-DD "
                        f"(got {short(str(text)) if text is not None else 'nothing'})")
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        problems.append(f"{path}: {field}: {short(text)} has no month {month}")
        return None
    return (year - timeline.start_date.year) * 12 + month - timeline.start_date.month


def _cohort(path, where, record, timeline: Timeline, problems) -> int | None:
    """The cohort (from 0) whose entry months a result's period spans."""
    start = _month(path, f"{where}.period.start_date.value",
                   value(record, "period", "start_date"), timeline, problems)
    end = _month(path, f"{where}.period.end_date.value",
                 value(record, "period", "end_date"), timeline, problems)
    if start is None or end is None:
        return None
    for c in range(timeline.n_cohorts):
        if cohort_period(timeline, c) == (start, end):
            return c
    label = lambda m: month_start(timeline, m).strftime("%Y-%m")  # noqa: E731
    cohorts = "; ".join(f"{c + 1} = {label(a)} to {label(b)}" for c in range(timeline.n_cohorts)
                        for a, b in [cohort_period(timeline, c)])
    problems.append(f"{path}: {where}.period: {label(start)} to {label(end)} is not a cohort's "
                    f"entry period; the contract's cohorts: {_cut(cohorts)}")
    return None


def _finite(x: float | int) -> bool:
    """Whether a JSON number is a finite float (an integer too large for one is not)."""
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def _cut(text: str, limit: int = 300) -> str:
    """Our own list of choices, cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _actual_payments(path, project, spec, timeline: Timeline, problems) -> list[dict]:
    """The project's 'Actual' outcome payments, each in a month the contract pays in."""
    paid_in = np.asarray(timeline.payment_month).tolist()
    out = []
    for i, p in enumerate(_list(path, project, "outcome_payments", problems)):
        where = f"outcome_payments[{i}]"
        if not _unwrapped(path, where, p, PAYMENT_FIELDS, problems):
            continue
        if value(p, "type") != "Actual":
            continue
        amount = value(p, "money", "amount")
        if _text_of(amount) is None or not _finite(amount):
            problems.append(f"{path}: {where}.money.amount.value: must be a number in "
                            f"{spec.contract.currency} (got {_kind(amount)})")
            continue
        currency = value(p, "money", "currency")
        if currency is not None and currency != spec.contract.currency:
            problems.append(f"{path}: {where}.money.currency.value: {short(str(currency))}, but "
                            f"the contract's money is in {spec.contract.currency}")
            continue
        month = _paid_month(path, where, p, timeline, paid_in, problems)
        if month is None:
            continue
        out.append({"month": month, "amount": float(amount), "field": where})
    return out


def _paid_month(path, where, payment, timeline: Timeline, paid_in: list[int],
                problems) -> int | None:
    """The payment month of an actual outcome payment: INDIGO's ``period`` is the claim
    period, so the one month in it (from ``start_date`` to ``end_date``, or the start's
    month alone) in which the contract pays a cohort's outcomes."""
    start = _month(path, f"{where}.period.start_date.value",
                   value(payment, "period", "start_date"), timeline, problems)
    given = value(payment, "period", "end_date")
    end = start if given is None else _month(path, f"{where}.period.end_date.value", given,
                                             timeline, problems)
    if start is None or end is None:
        return None
    label = lambda m: f"{month_start(timeline, m):%Y-%m}"  # noqa: E731
    span = label(start) if end == start else f"{label(start)} to {label(end)}"
    if end < start:
        problems.append(f"{path}: {where}.period: {span} ends before it starts")
        return None
    months = ", ".join(f"{label(m)} (cohort {c + 1})" for c, m in enumerate(paid_in))
    inside = sorted({m for m in paid_in if start <= m <= end})
    if len(inside) == 1:
        return inside[0]
    if not inside:
        field = "period.start_date.value" if end == start else "period"
        problems.append(f"{path}: {where}.{field}: {span} is not a month the contract pays "
                        f"outcomes in, nor does it hold one; its payment months: "
                        f"{_cut(months)}")
    else:
        problems.append(f"{path}: {where}.period: {span} holds {len(inside)} of the "
                        f"contract's payment months ({', '.join(map(label, inside))}); an "
                        "actual payment is read as one month's: give one record per payment "
                        f"month (the contract's: {_cut(months)})")
    return None
