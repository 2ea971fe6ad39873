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

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import designs
from .csvread import MAX_ROWS, Table, read_table, short
from .designs import Columns, Groups
from .errors import InputError
from .measure import Measurement, compare, counts_read
from .outcomes import Counts
from .payments import MECHANISMS
from .spec.schema import ContractSpec

#: Largest count or amount in a cell: above the world's population, and small enough that
#: sums over every row stay exact in float64 (10,000 rows x 1e10 < 2**53).
MAX_COUNT = 10**10
WHOLE = re.compile(r"[0-9]+")
DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
WHOLE_RULE = f"a whole number from 0 to {MAX_COUNT:,} written as plain digits, e.g. 1200"
DECIMAL_RULE = (f"a number from 0 to {MAX_COUNT:,} written as plain digits with an optional "
                "decimal point, e.g. 0.475")


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
    counts : the columns as read (``{column: (n_cohorts,)}``, NaN where a cell was empty or
        a cohort has no row), for writing them out again (``pbr indigo``)
    actual_payments : outcome payments the source says were made (an INDIGO project's
        'Actual' outcome payments, :mod:`pbr_model.observed_indigo`), each
        ``{"month": month index, "amount": currency, "fields": [field paths]}``; empty
        for a CSV
    skipped : records of the source that no payment rule reads and were left out (an
        INDIGO project's project-level results or results for other metrics), each
        ``{"field": field path, "reason": text}``; empty for a CSV
    """

    evaluation: Measurement
    present: np.ndarray
    source: str
    sha256: str
    counts: dict[str, np.ndarray] | None = None
    actual_payments: tuple = ()
    skipped: tuple = ()

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


def needed_columns(spec: ContractSpec) -> list[str]:
    """Every count observed results must give a value of for this contract: each group's
    ``n`` and each count a payment rule reads, for every group the design compares."""
    cols = designs.columns(spec.evaluation)
    read = [g + count for count in _readers(spec) for g in cols.prefixes]
    return list(dict.fromkeys([g + "n" for g in cols.groups] + read))


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

    The file is read by :func:`pbr_model.csvread.read_table` (a regular UTF-8 file of at
    most 4 MiB, cells on one line without control characters); counts are whole numbers
    written as plain digits, from 0 to :data:`MAX_COUNT`.

    Raises
    ------
    InputError
        One line per problem, naming the file, the row (its line number in the file) and
        the column, the value (shortened) and what is allowed.
    """
    path = Path(path)
    table = read_table(path, max_rows=MAX_ROWS)
    return observed_from_table(table, spec, str(path), lambda i: f"{path}: row {i}")


def observed_from_table(table: Table, spec: ContractSpec, source: str, where_row,
                        actual_payments: tuple = (), names=None) -> Observed:
    """Check a table of observed results (a CSV file's, or one built from another format,
    :mod:`pbr_model.observed_indigo`) against the contract: the checks and messages of
    :func:`read_observed`. ``source`` names the file in messages; ``where_row(i)`` names
    row ``i`` (its line number in a CSV); ``names(i, col)``, where the table was built from
    JSON numbers, names the field row ``i``'s ``col`` came from (else ``column col``, and
    the rules speak of a CSV's digits)."""
    label = names or (lambda i, col: f"column {col}")
    rules = {True: WHOLE_RULE, False: DECIMAL_RULE} if names is None else \
        {True: f"a whole number from 0 to {MAX_COUNT:,}",
         False: f"a number from 0 to {MAX_COUNT:,}"}
    got = short if names is None else str
    path = source
    header = table.header
    required, optional = columns(spec)
    problems = []
    nameless = [j + 1 for j, h in enumerate(header) if not h]
    if nameless:
        problems.append(f"{path}: header cell {nameless[0]} is empty; every column needs a "
                        "name")
    unknown = [h for h in header if h and h not in required + optional]
    if unknown:
        problems.append(f"{path}: unknown column {short(unknown[0])}; allowed: "
                        + ", ".join(required + optional) + _delimiter_hint(header))
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(f"{path}: missing column {missing[0]!r}; required: " + ", ".join(required))
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems.append(f"{path}: column {dupes[0]!r} appears twice")
    design = designs.columns(spec.evaluation)
    readers = _readers(spec)
    problems += _unread(path, header, required, design.prefixes, readers)
    if problems:
        raise InputError(problems)
    if not table.rows:
        raise InputError(f"{path}: no cohort rows after the header")

    n_cohorts = spec.contract.cohorts
    # count -> the measure named when its cell is empty
    needed = {c: min(m for m, _ in rs) for c, rs in readers.items() if c != "n"}
    columns_ = {col: np.full(n_cohorts, np.nan) for col in header if col != "cohort"}
    present = np.zeros(n_cohorts, dtype=bool)
    for i, raw in table.rows:
        where = where_row(i)
        if len(raw) != len(header):
            problems.append(f"{where}: {len(raw)} cells, but the header has {len(header)}")
            continue
        cells = dict(zip(header, (c.strip() for c in raw)))
        cohort = int(cells["cohort"]) if WHOLE.fullmatch(cells["cohort"]) else None
        if cohort is None or not 1 <= cohort <= n_cohorts:
            problems.append(f"{where}, column cohort: must be a whole number from 1 to "
                            f"{n_cohorts} (the contract's cohorts) (got {short(cells['cohort'])})")
            continue
        c = cohort - 1
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
                    problems.append(f"{where}, {label(i, col)}: empty, but the contract's "
                                    f"{needed.get(base, 'rules')} measure needs it")
                continue
            whole = base != "bed_days" and col not in design.own
            v = _number(text, whole)
            if v is None:
                problems.append(f"{where}, {label(i, col)}: must be {rules[whole]} (got "
                                f"{got(text)})")
                continue
            values[col] = v
        problems += _row_checks(where, values, design, spec, lambda col: label(i, col))
        for col, v in values.items():
            columns_[col][c] = v
    if problems:
        raise InputError(problems)
    return Observed(_measurement(spec, columns_, design), present, source,
                    hashlib.sha256(table.raw).hexdigest(), columns_, tuple(actual_payments))


def _delimiter_hint(header: list[str]) -> str:
    """A hint when the header is one cell holding another separator (';' or a tab)."""
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in header[0]:
                return f" (the cells seem to be separated by {name}; separate them by commas)"
    return ""


def _row_checks(where: str, v: dict, design: Columns, spec: ContractSpec,
                label=lambda col: f"column {col}") -> list[str]:
    problems = []
    for g in design.prefixes:
        n = v.get(g + "n")
        for col in (g + "reoffenders", *(g + o.name for o in spec.outcomes.other)):
            if n is not None and col in v and v[col] > n:
                problems.append(f"{where}, {label(col)}: {v[col]:g} is more than {g}n ({n:g})")
        k, r = v.get(g + "reoffenders"), v.get(g + "reoffences")
        if k is not None and r is not None and (r < k or (k == 0 and r > 0)):
            problems.append(f"{where}, {label(g + 'reoffences')}: {r:g} does not fit {k:g} reoffenders "
                            "(each reoffender has at least one reoffence, and no reoffenders "
                            "means none)")
    for col, check in design.own.items():
        problem = check(v[col]) if col in v else None
        if problem:
            problems.append(f"{where}, {label(col)}: {problem} (got {v[col]:g})")
    return problems


def _number(text: str, whole: bool) -> float | None:
    """A cell's value if it is written as allowed (plain ASCII digits, a decimal point
    where fractions are allowed; no sign, exponent or separators) and at most
    :data:`MAX_COUNT`; else None."""
    if not (WHOLE if whole else DECIMAL).fullmatch(text):
        return None
    v = float(text)
    return v if v <= MAX_COUNT else None


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
