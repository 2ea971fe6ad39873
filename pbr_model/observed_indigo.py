"""Observed results read from an INDIGO project (the GO Lab impact-bond data standard,
version 4.1.0), for ``pbr settle --indigo``; and the calendar both directions share.

An INDIGO project (a JSON object, or the GO Lab API's ``{"project": {"id": ..., "data":
{...}}}``) carries a cohort's results in ``results``: one record per outcome metric and
period. A record is mapped to one of the contract's cohorts by its ``period`` (the months
of ``start_date`` and ``end_date`` must be the cohort's first and last entry months) and
to a measure by ``outcome_metric_id`` (the name of a measure the contract's payment rules
read, e.g. ``binary`` or ``reconviction_events``; a result for another metric, or a
project-level one for another span, is skipped and named). A project-level result (no
``outcome_metric_id``) for a cohort's period gives its numbers. Its counts come from
``number_engaged_in_impact_bond`` (the cohort's ``n``), ``number_with_positive_social_outcomes``
(for ``binary``: ``n`` minus the reoffenders; for an ``[[outcomes.other]]`` outcome: its
successes) and, for what INDIGO has no field for (comparison groups, reoffences, events,
bed days, a baseline), the extension object ``pbr_counts`` (the observed-CSV columns by
name). The counts are then checked exactly as a CSV's are (:mod:`pbr_model.observed`).

``outcome_payments`` of type ``Actual`` are read too, each mapped to the one month in
its claim period (``period``) in which the contract pays a cohort's outcomes; ``pbr settle`` sets them beside what it settles.
Anything that cannot be mapped is an error naming the file, the field path, the value
and what is allowed. See docs/indigo.md.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from .csvread import Table, read_bytes, short
from .indigo_json import (PAYMENT_FIELDS, RESULT_FIELDS, _cut, _finite, _json, _kind, _list,
                          _project, _text_of, _unwrapped, value)
from .errors import InputError
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
                        "each cohort's results as records in 'results' (`pbr indigo` writes "
                        "them only with --observed)")
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
    where = {c + 1: f"{path}: cohort {c + 1}" for c in cells}

    def name(i: int, col: str) -> str:
        """The field a cohort's count came from (or where to give it)."""
        given = cells[i - 1].get(col)
        return f"{col} ({given[1]})" if given else \
            f"{col} (no result gives it; give it in results[].{EXTENSION}.{col})"
    needed = needed_columns(spec)
    missing = [c for c in needed if c not in given]
    if missing:
        raise InputError(f"{path}: no result gives {missing[0]!r}, which this contract's "
                         f"settlement needs (it needs {', '.join(needed)}); "
                         + ("give number_engaged_in_impact_bond" if missing[0] == "n" else
                            f"INDIGO has no field for it: give it in "
                            f"results[].{EXTENSION}.{missing[0]}"))
    obs = observed_from_table(table, spec, str(path), lambda i: where[i], payments,
                              names=name)
    return replace(obs, skipped=tuple(skipped))


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


def _result(path, where, record, spec, timeline, metrics, cells, problems, skipped) -> None:
    """Map one ``results[i]`` record to its cohort and counts (into ``cells``); a result no
    payment rule reads (project level, or another metric) goes to ``skipped``."""
    measures = list(dict.fromkeys(m for m, _ in rule_measures(spec)))
    metric = value(record, "outcome_metric_id")
    level = value(record, "result_level")
    if not _unwrapped(path, where, record, RESULT_FIELDS, problems):
        return
    if metric is None:  # a project-level result: INDIGO's numbers for a cohort, if it is one
        if value(record, "number_engaged_in_impact_bond") is None and \
                value(record, "number_with_positive_social_outcomes") is None:
            skipped.append({"field": where, "reason": (
                "a project-level result" if level == "Project level" else
                "a result naming no outcome metric") + " with no number_engaged_in_impact_bond "
                "or number_with_positive_social_outcomes"})
            return
        mine: list[str] = []
        cohort = _cohort(path, where, record, timeline, mine)
        if cohort is None:
            if any(".period: " not in m for m in mine):  # a date written wrong
                problems.extend(mine)
            else:
                start, end = (value(record, "period", k) for k in ("start_date", "end_date"))
                skipped.append({"field": where, "reason": (
                    f"a project-level result for {str(start)[:7]} to {str(end)[:7]}, not one "
                    "cohort's entry period")})
            return
        metric = "binary" if "binary" in measures else None
    elif not isinstance(metric, str):
        problems.append(f"{path}: {where}.outcome_metric_id.value: must name an outcome "
                        f"metric, one of {', '.join(measures)} (got {_kind(metric)})")
        return
    elif metrics and metric not in metrics:
        problems.append(f"{path}: {where}.outcome_metric_id.value: {short(metric)} is not the "
                        "id of any of the project's outcome_metrics")
        return
    elif metric not in measures:
        skipped.append({"field": where, "reason": (
            f"outcome metric {short(metric)}, which no payment rule of this contract reads "
            f"(they read {', '.join(measures)}; a metric's id must be the measure's name)")})
        return
    else:
        cohort = _cohort(path, where, record, timeline, problems)
        if cohort is None:
            return
    row = cells.setdefault(cohort, {})
    counts: dict[str, tuple[object, str]] = {}
    n = value(record, "number_engaged_in_impact_bond")
    positive = value(record, "number_with_positive_social_outcomes")
    bad = False
    for name, x in (("number_engaged_in_impact_bond", n),
                    ("number_with_positive_social_outcomes", positive)):
        if x is not None and _text_of(x) is None:
            bad = True
            problems.append(f"{path}: {where}.{name}.value: must be a number of people, a "
                            f"JSON number such as 1000 (got {_json(x)})")
    if bad:
        return
    if n is not None:
        counts["n"] = (n, f"{where}.number_engaged_in_impact_bond.value")
    if positive is not None:
        field = f"{where}.number_with_positive_social_outcomes.value"
        others = {o.name for o in spec.outcomes.other}
        if metric in others:
            counts[metric] = (positive, field)
        elif metric == "binary":
            if n is None:
                problems.append(f"{path}: {field}: for binary it needs "
                                f"{where}.number_engaged_in_impact_bond too (reoffenders = "
                                "engaged - positive)")
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
            if _text_of(v) is None:
                problems.append(f"{path}: {field}: must be a count, a JSON number such as "
                                f"1200 (got {_json(v)})")
                continue
            if col in counts and counts[col][0] != v:
                problems.append(f"{path}: {field}: {v!r} disagrees with {counts[col][1]} "
                                f"({counts[col][0]!r})")
                continue
            counts[col] = (v, field)
    for col, (v, field) in counts.items():
        text = _text_of(v)
        if col in row and row[col][0] != text:
            problems.append(f"{path}: {field}: {text} disagrees with {row[col][1]} ({row[col][0]}) "
                            f"for the same cohort {cohort + 1}")
            continue
        row.setdefault(col, (text, field))


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
            got = _kind(amount) if _text_of(amount) is None else "a number too large to be finite"
            problems.append(f"{path}: {where}.money.amount.value: must be a number in "
                            f"{spec.contract.currency} (got {got})")
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
