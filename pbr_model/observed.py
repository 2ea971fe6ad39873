"""Observed results of a contract's cohorts, read from CSV, for ``pbr settle``.

One row per cohort. Cohorts are numbered from 1, as contracts and evaluations
report them. Columns (a header row is required; unknown columns are errors):

=========================== ============================================================
``cohort``                  cohort number, 1 to the contract's number of cohorts
``n``                       people in the treated cohort
``reoffenders``             treated people with at least one proven reoffence
``reoffences``              their proven reoffences
``comparison_n``            comparison-group or control people (designs with a group)
``comparison_reoffenders``  the comparison group's reoffenders
``comparison_reoffences``   the comparison group's reoffences
``baseline_binary``         historical baseline only: this cohort's baseline rate [fraction]
``baseline_frequency``      historical baseline only: its reoffences per reoffender
``events``                  reconviction events (and ``comparison_events``)
``bed_days``                custody bed days (and ``comparison_bed_days``)
``<outcome>``               successes of an ``[[outcomes.other]]`` outcome, e.g.
                            ``employment`` (and ``comparison_<outcome>``)
``pre_*``, ``comparison_pre_*``  the same counts before the service, when the design
                            blends in a difference-in-differences estimate
=========================== ============================================================

Blank lines and lines starting with ``#`` (notes and sources) are skipped; a row is
named by its line number in the file.

``cohort``, ``n``, ``reoffenders`` and ``reoffences`` (and, with a comparison group,
their ``comparison_`` versions) must be in the header, and so must every count a
payment rule of the contract reads, for every group the design compares (``events``
and ``comparison_events`` for a rule on reconviction events; ``pre_`` columns too
with a DiD blend): a missing one is an error naming the rule, never a silent "not
paid". A cell may be left empty when no payment rule of the contract reads it
(Peterborough published only reconviction events per 100). Counts are whole numbers;
bed days may be fractional. Which groups and which design-only columns a design has is
its :class:`~pbr_model.designs.Columns`.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import designs
from .designs import Columns, Groups
from .errors import InputError
from .measure import Measurement, compare, counts_read
from .outcomes import Counts
from .payments import MECHANISMS
from .spec.schema import ContractSpec

MAX_ROWS = 10_000


@dataclass(frozen=True)
class Observed:
    """Observed results as the evaluator would measure them.

    Attributes
    ----------
    evaluation : counts of one 'simulation', ``(1, n_cohorts)``; cohorts without a row have
        no people (their measures are NaN and they are not paid)
    present : which cohorts have a row, ``(n_cohorts,)`` [bool]
    source : the file read
    sha256 : SHA-256 of the file's bytes
    """

    evaluation: Measurement
    present: np.ndarray
    source: str
    sha256: str

    @property
    def complete(self) -> bool:
        """Every cohort of the contract has a result (pooled triggers can be assessed)."""
        return bool(self.present.all())


def _readers(spec: ContractSpec) -> dict[str, list[tuple[str, str]]]:
    """Count -> the (measure, payment rule) pairs that read it, the rule as
    ``"'Events' (outcome on reconviction_events)"``, in the spec's order."""
    readers: dict[str, list[tuple[str, str]]] = {}
    for mech in spec.payments:
        for measure, _ in MECHANISMS[mech.type].measures(mech):
            for count in counts_read(measure):
                reader = (measure, f"{mech.name!r} ({mech.type} on {measure})")
                if reader not in readers.setdefault(count, []):
                    readers[count].append(reader)
    return readers


def columns(spec: ContractSpec) -> tuple[list[str], list[str]]:
    """(required, optional) columns of an observed-results CSV for this contract."""
    cols = designs.columns(spec.evaluation)
    required = ["cohort"] + [g + c for g in cols.groups for c in ("n", "reoffenders", "reoffences")]
    counts = ["events", "bed_days", *(o.name for o in spec.outcomes.other)]
    optional = [g + c for g in cols.prefixes for c in counts]
    optional += [g + c for g in cols.pre for c in ("n", "reoffenders", "reoffences")]
    return required, optional + list(cols.own)


def _unread(path: Path, header: list[str], required: list[str], prefixes: tuple[str, ...],
            readers: dict[str, list[tuple[str, str]]]) -> list[str]:
    """One problem per column a payment rule reads that the header lacks (beyond the
    required ones, reported on their own)."""
    problems = []
    for count, rules in readers.items():
        for col in (g + count for g in prefixes):
            if col not in header and col not in required:
                problems.append(f"{path}: column {col!r} is needed by payment rule"
                                f"{'s' if len(rules) > 1 else ''} "
                                f"{' and '.join(rule for _, rule in rules)}; add it")
    return problems


def read_observed(path: str | Path, spec: ContractSpec) -> Observed:
    """Read and check an observed-results CSV against the contract.

    Raises
    ------
    InputError
        One line per problem, naming the file, the row (the header is row 1) and the
        column, the value and what is allowed.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
        text = raw_bytes.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as UTF-8 text ({exc})") from None
    # blank lines and lines starting with '#' (notes, sources) are skipped; row numbers
    # in messages are the file's line numbers
    numbered = [(i, r) for i, r in enumerate(csv.reader(text.splitlines()), start=1)
                if any(cell.strip() for cell in r) and not r[0].lstrip().startswith("#")]
    lines = [i for i, _ in numbered]
    rows = [r for _, r in numbered]
    if not rows:
        raise InputError(f"{path}: empty file; expected a header row and one row per cohort")
    header = [h.strip() for h in rows[0]]
    required, optional = columns(spec)
    problems = []
    unknown = [h for h in header if h not in required + optional]
    if unknown:
        problems.append(f"{path}: unknown column {unknown[0]!r}; allowed: "
                        + ", ".join(required + optional))
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{path}: missing column {missing[0]!r}; required: " + ", ".join(required))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.append(f"{path}: column {dupes[0]!r} appears twice")
    design = designs.columns(spec.evaluation)
    readers = _readers(spec)
    problems += _unread(path, header, required, design.prefixes, readers)
    if len(rows) - 1 > MAX_ROWS:
        problems.append(f"{path}: {len(rows) - 1} rows; at most {MAX_ROWS}")
    if problems:
        raise InputError(problems)
    if len(rows) == 1:
        raise InputError(f"{path}: no cohort rows after the header")

    n_cohorts = spec.contract.cohorts
    # count -> the measure named when its cell is empty
    needed = {c: min(m for m, _ in rs) for c, rs in readers.items() if c != "n"}
    table = {col: np.full(n_cohorts, np.nan) for col in header if col != "cohort"}
    present = np.zeros(n_cohorts, dtype=bool)
    for i, raw in zip(lines[1:], rows[1:]):
        where = f"{path}: row {i}"
        if len(raw) != len(header):
            problems.append(f"{where}: {len(raw)} cells, but the header has {len(header)}")
            continue
        cells = dict(zip(header, (c.strip() for c in raw)))
        cohort = _number(cells["cohort"])
        if cohort is None or cohort != int(cohort) or not 1 <= cohort <= n_cohorts:
            problems.append(f"{where}, column cohort: must be a whole number from 1 to "
                            f"{n_cohorts} (the contract's cohorts) (got {cells['cohort']!r})")
            continue
        c = int(cohort) - 1
        if present[c]:
            problems.append(f"{where}, column cohort: cohort {c + 1} appears twice")
            continue
        present[c] = True
        values = {}
        for col, text in cells.items():
            if col == "cohort":
                continue
            base = col.removeprefix("comparison_").removeprefix("pre_")
            if text == "":
                if base in needed or base == "n":
                    problems.append(f"{where}, column {col}: empty, but the contract's "
                                    f"{needed.get(base, 'rules')} measure needs it")
                continue
            v = _number(text)
            whole = base != "bed_days" and col not in design.own
            if v is None or v < 0 or (whole and v != int(v)):
                kind = "a whole number, 0 or more" if whole else "a number, 0 or more"
                problems.append(f"{where}, column {col}: must be {kind} (got {text!r})")
                continue
            values[col] = v
        problems += _row_checks(where, values, design, spec)
        for col, v in values.items():
            table[col][c] = v
    if problems:
        raise InputError(problems)
    return Observed(_measurement(spec, table, design), present, str(path),
                    hashlib.sha256(raw_bytes).hexdigest())


def _row_checks(where: str, v: dict, design: Columns, spec: ContractSpec) -> list[str]:
    problems = []
    for g in design.prefixes:
        n = v.get(g + "n")
        for col in (g + "reoffenders", *(g + o.name for o in spec.outcomes.other)):
            if n is not None and col in v and v[col] > n:
                problems.append(f"{where}, column {col}: {v[col]:g} is more than {g}n ({n:g})")
        k, r = v.get(g + "reoffenders"), v.get(g + "reoffences")
        if k is not None and r is not None and (r < k or (k == 0 and r > 0)):
            problems.append(f"{where}, column {g}reoffences: {r:g} does not fit {k:g} reoffenders "
                            "(each reoffender has at least one reoffence, and no reoffenders "
                            "means none)")
    for col, check in design.own.items():
        problem = check(v[col]) if col in v else None
        if problem:
            problems.append(f"{where}, column {col}: {problem} (got {v[col]:g})")
    return problems


def _number(text: str) -> float | None:
    try:
        v = float(text.replace(",", "")) if text else None
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) else None


def _counts(spec: ContractSpec, table: dict, prefix: str) -> Counts:
    get = lambda col: table.get(prefix + col, np.full(spec.contract.cohorts, np.nan))[None, :]  # noqa: E731
    n = np.nan_to_num(get("n"))   # a cohort without a row has no one to measure
    other = {o.name: get(o.name) for o in spec.outcomes.other}
    return Counts(n, get("reoffenders"), get("reoffences"), get("events"), get("bed_days"), other)


def _measurement(spec: ContractSpec, table: dict, design: Columns) -> Measurement:
    groups = {g: _counts(spec, table, g) for g in design.prefixes}
    nan = np.full(spec.contract.cohorts, np.nan)
    given = {col: table.get(col, nan)[None, :] for col in design.own}
    # the CSV has no risk mix (treated_by_band None)
    return compare(spec, Groups(groups[""], None, groups.get("comparison_"), groups.get("pre_"),
                                groups.get("comparison_pre_"), given))
