"""pbr_model.csvread and observed.py: an observed-results CSV that cannot be read back
unambiguously is refused, in bounded time and memory, with the file, row, column, the value
(shortened) and what is allowed; never a traceback, never a wrong settlement.

Each class of bad file is one parametrised test, run through the real command line
(``pbr settle doncaster-pbr --observed FILE``): exit 2, ``Error:`` lines only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pbr_model import csvread
from pbr_model.errors import InputError
from pbr_model.observed import MAX_COUNT

HEADER = "cohort,n,reoffenders,reoffences,baseline_binary"
GOOD = HEADER + "\n1,1000,523,,0.58\n2,1000,547,,0.58\n"


def settle(cli, path, *extra):
    return cli.run("settle", "doncaster-pbr", "--observed", str(path), *extra)


def write(tmp_path, data: str | bytes, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def test_the_good_file_settles(cli, tmp_path):
    cli.ok(settle(cli, write(tmp_path, GOOD)))


# -- counts: plain whole numbers within the ceiling ------------------------------------------

@pytest.mark.parametrize("cell", [
    "1e300", "1e3", "1000.0", "1,000", "1_000", "١٠٠٠", "１０００", "0x3e8", "nan", "inf",
    "-0", "-5", "+5", str(MAX_COUNT + 1), "9" * 150, "5 5", "five",
])
def test_a_count_not_written_as_plain_digits_is_refused(cli, tmp_path, cell):
    quoted = '"' + cell + '"' if "," in cell else cell
    obs = write(tmp_path, HEADER + f"\n1,{quoted},523,,0.58\n")
    errors = cli.error(settle(cli, obs), f"{obs}: row 2, column n: must be a whole number "
                       f"from 0 to {MAX_COUNT:,} written as plain digits", lines=1)
    assert repr(cell[:40]) in errors[0]        # the value, shortened
    assert len(errors[0]) < 400


@pytest.mark.parametrize("cell", ["1e-1", "0.5.1", "-0.5", "nan", "½", ".", "0,5"])
def test_a_fraction_not_written_as_a_plain_decimal_is_refused(cli, tmp_path, cell):
    obs = write(tmp_path, HEADER + f'\n1,1000,523,,"{cell}"\n')
    cli.error(settle(cli, obs), "row 2, column baseline_binary: must be a number from 0 to",
              "decimal point", lines=1)


@pytest.mark.parametrize("cell, fragment", [("1.5", "must be a fraction between 0 and 1"),
                                            ("0", "must be a fraction between 0 and 1")])
def test_a_rate_outside_0_1_is_refused(cli, tmp_path, cell, fragment):
    obs = write(tmp_path, HEADER + f"\n1,1000,523,,{cell}\n")
    cli.error(settle(cli, obs), f"row 2, column baseline_binary: {fragment}", lines=1)


def test_spaces_around_a_number_are_trimmed(cli, tmp_path):
    spaced = write(tmp_path, HEADER + "\n1, 1000 ,523,,0.58\n", "spaced.csv")
    plain = write(tmp_path, HEADER + "\n1,1000,523,,0.58\n", "plain.csv")
    a, b = cli.json(*("settle", "doncaster-pbr", "--observed", str(spaced))), \
        cli.json(*("settle", "doncaster-pbr", "--observed", str(plain)))
    assert a["total_payment"] == b["total_payment"]


# -- cells: one line, printable, short -------------------------------------------------------

@pytest.mark.parametrize("cell, fragment", [
    ('"10\n00"', "a line break inside a cell"),
    ('"10\r\n00"', "a line break inside a cell"),
    ('"1000', "a line break inside a cell"),             # a quote left open
    ("10\x0000", "control character U+0000"),
    ("10\x1b[31m00", "control character U+001B"),
    ("10\x0700", "control character U+0007"),
    ("10\u202e00", "control character U+202E"),
    ("10\u202800", "control character U+2028"),
    ("9" * 300_000, "300,000 characters; at most 200"),
])
def test_an_unreadable_cell_is_refused_with_its_row_and_column(cli, tmp_path, cell, fragment):
    obs = write(tmp_path, HEADER + f"\n1,{cell},523,,0.58\n2,1000,547,,0.58\n")
    errors = cli.error(settle(cli, obs), f"{obs}: line 2, column n: {fragment}")
    assert all(len(e) < 400 for e in errors)


def test_a_control_character_in_the_header_is_refused(cli, tmp_path):
    obs = write(tmp_path, "cohort,n\x1b,reoffenders\n1,2,3\n")
    cli.error(settle(cli, obs), "line 1, header, cell 2: control character U+001B", lines=1)


# -- the file itself --------------------------------------------------------------------------

def _fifo(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make, fragment", [
    (lambda tmp: Path("/dev/zero"), "is not a regular file"),
    (lambda tmp: Path("/dev/urandom"), "is not a regular file"),
    (_fifo, "is not a regular file"),
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: tmp / "missing.csv", "no such file"),
    (lambda tmp: tmp / "missing" / "obs.csv", "no such file"),
    (lambda tmp: write(tmp, GOOD) / "under", "no such file"),
    (lambda tmp: write(tmp, b""), "empty file"),
    (lambda tmp: write(tmp, b"\n\n# only notes\n"), "empty file"),
    (lambda tmp: write(tmp, HEADER + "\n"), "no cohort rows after the header"),
    (lambda tmp: write(tmp, GOOD + "#" + "x" * csvread.MAX_BYTES), "larger than 4,194,304 bytes"),
    (lambda tmp: write(tmp, GOOD.encode("utf-16")), "is UTF-16 text; save it as UTF-8"),
    (lambda tmp: write(tmp, GOOD.encode("utf-16-be")), "looks like UTF-16 text"),  # no BOM
    (lambda tmp: write(tmp, b"PK\x03\x04" + bytes(60)),  # a workbook given as the CSV
     "is a zip archive (an Excel workbook?), not CSV text; save it as UTF-8 (in Excel: "
     "'CSV UTF-8')"),
    (lambda tmp: write(tmp, (GOOD + "3,9\xe9,1,,0.5\n").encode("latin-1")),
     "line 4: byte 0xe9 is not UTF-8 text"),
    (lambda tmp: write(tmp, HEADER.replace(",", ";") + "\n1;1000;523;;0.58\n"),
     "separated by semicolons"),
    (lambda tmp: write(tmp, HEADER + ",n\n1,1000,523,,0.58,1000\n"), "column 'n' appears twice"),
    (lambda tmp: write(tmp, "cohort,n,,reoffenders,reoffences\n1,1000,,523,\n"),
     "header cell 3 is empty"),
    (lambda tmp: write(tmp, "cohort,n,reoffenders\n1,1000,523\n"), "missing column 'reoffences'"),
    (lambda tmp: write(tmp, HEADER + "," + ",".join(f"x{i}" for i in range(2000)) + "\n"),
     "2,005 cells; at most 1,000"),
    (lambda tmp: write(tmp, HEADER + "\n" + "1,1000,523,,0.58\n" * 10_001),
     "more than 10,000 rows after the header"),
])
def test_a_file_that_cannot_be_read_is_refused(cli, tmp_path, make, fragment):
    path = make(tmp_path)
    start = time.monotonic()
    cli.error(settle(cli, path), fragment, lines=None)
    assert time.monotonic() - start < 5


def test_a_utf8_bom_is_fine(cli, tmp_path):
    cli.ok(settle(cli, write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())))


def test_an_unreadable_file_is_refused(cli, tmp_path, monkeypatch):
    obs = write(tmp_path, GOOD)
    real = open

    def denied(file, *args, **kwargs):
        if str(file) == str(obs):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)
    cli.error(settle(cli, obs), f"{obs}: cannot be read (permission denied)", lines=1)


def test_at_most_max_bytes_are_read(tmp_path, monkeypatch):
    """A file whose size is not known in advance (it grows, or /proc reports 0) is read
    only to the ceiling and one byte more."""
    monkeypatch.setattr(csvread, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="larger than 10 bytes"):
        csvread.read_bytes(write(tmp_path, "x" * 11), 10)
    assert csvread.read_bytes(write(tmp_path, "x" * 10), 10) == b"x" * 10


@pytest.mark.skipif(shutil.which("pbr") is None and not Path(sys.executable).with_name("pbr")
                    .exists(), reason="the installed pbr is needed")
def test_the_installed_pbr_refuses_dev_zero_quickly():
    pbr = shutil.which("pbr") or str(Path(sys.executable).with_name("pbr"))
    start = time.monotonic()
    res = subprocess.run([pbr, "settle", "doncaster-pbr", "--observed", "/dev/zero"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr == "Error: /dev/zero: is not a regular file (a pipe, device or socket); " \
                         "give a CSV file\n"
    assert time.monotonic() - start < 30
