"""Fuzz ``pbr settle``'s observed CSV: each bundled example file with its cells, header,
quoting, line ends, encoding or bytes changed. Every run must exit 0, or exit 2 with
``Error:`` lines; never a traceback."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzzing import NASTY_NUMBERS, NASTY_TEXT, OBSERVED, check, fuzz_settings, write

#: Each example file with the contract (and overrides) it settles.
FILES = {
    "doncaster.csv": ["doncaster-pbr"],
    "peterborough.csv": ["peterborough-sib"],
    "peterborough_pooled.csv": ["peterborough-sib"],
    "able_no_effect.csv": ["nyc-able-sib"],
}


def _rows(name: str) -> tuple[list[str], list[list[str]]]:
    text = (OBSERVED / name).read_text(encoding="utf-8")
    notes = [line for line in text.splitlines() if line.startswith("#")]
    rows = list(csv.reader(line for line in text.splitlines()
                           if line.strip() and not line.startswith("#")))
    return notes, rows


cells = st.one_of(
    st.integers(0, 20_000).map(str),  # plausible counts, so some files settle
    st.integers(0, 20_000).map(str),
    st.sampled_from([str(x) for x in NASTY_NUMBERS]),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(["", " 12 ", "1,000", "10\n00", "1.5", "-3", "+4", "1e3", "0012",
                     "١٢", "½", "12abc", "\"", "1" * 400, "9" * 200_000]),
    st.integers(-10**6, 10**20).map(str),
    st.floats().map(repr),
    st.text(max_size=12),
)


@st.composite
def observed_files(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(FILES)))
    notes, rows = _rows(name)
    header, body = rows[0], [list(r) for r in rows[1:]]
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "header", "drop_col", "dup_col",
                                   "add_row", "drop_row", "dup_row", "short_row", "long_row",
                                   "no_header", "many_rows"]))
        if op == "cell" and body:
            row = draw(st.sampled_from(body))
            if row:
                row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        elif op == "header" and header:
            header[draw(st.integers(0, len(header) - 1))] = draw(
                st.sampled_from(["", "N", "cohort ", "unknown", "events", "pre_n", "n"])
                | st.text(max_size=10))
        elif op in ("drop_col", "dup_col") and header:
            j = draw(st.integers(0, len(header) - 1))
            for r in [header, *body]:
                if j < len(r):
                    r.insert(j, r[j]) if op == "dup_col" else r.pop(j)
        elif op == "add_row":
            body.append([draw(cells) for _ in header])
        elif op == "drop_row" and body:
            body.pop(draw(st.integers(0, len(body) - 1)))
        elif op == "dup_row" and body:
            body.append(list(draw(st.sampled_from(body))))
        elif op == "short_row" and body and body[0]:
            body[0].pop()
        elif op == "long_row" and body:
            draw(st.sampled_from(body)).append(draw(cells))
        elif op == "no_header":
            header = []
        elif op == "many_rows" and body:
            # many rows, but a file of at most about 8 MB, so the test itself stays small
            size = sum(len(c) + 1 for r in body for c in r) + 1
            body = body * min(draw(st.sampled_from([10, 1000, 20_000])), 8_000_000 // size)
    buf = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    writer = csv.writer(buf, quoting=quoting, lineterminator=draw(
        st.sampled_from(["\n", "\r\n", "\r"])))
    try:
        for r in ([header] if header else []) + body:
            writer.writerow(r)
    except (csv.Error, ValueError):
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL)
    text = "\n".join(notes) + "\n" + buf.getvalue()
    enc = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    raw = text.encode(enc, "replace")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at:]
    return name, raw


@fuzz_settings(40)
@given(case=observed_files())
def test_observed_csv(case):
    name, raw = case
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), name, raw)
        check("observed", ["settle", *FILES[name][:1], "--observed", path, *FILES[name][1:]],
              {name: raw})
