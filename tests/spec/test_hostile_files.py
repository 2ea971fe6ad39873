"""Hostile and pathological spec input, by class: each ends in ``Error:`` lines and exit
code 2 within bounded time and memory, never a traceback (issue 14).

Classes: nesting thousands deep (file and ``--set``), list indexes of a billion (``--set``
and a workbook's Field column), file names over the OS limit, unreadable files and
folders, links that loop, devices, huge files, binary garbage and wrong formats, dates
outside 1900..2200, NaN/inf and huge integers, duplicate keys, control and bidirectional
characters in every kind of text, and echoed values cut short."""

from __future__ import annotations

import builtins
import errno
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pbr_model.errors import MAX_ECHO
from pbr_model.spec._base import MAX_LIST_ITEMS
from pbr_model.spec.load import MAX_DEPTH, MAX_FILE_BYTES
from pbr_model.spec.workbook import MAX_ROWS, MAX_UNZIPPED_BYTES

REPO = Path(__file__).resolve().parents[2]
TR = REPO / "contracts" / "tr_crc_example.toml"
PBR = Path(sys.executable).parent / "pbr"


def timed_error(cli, *args, fragments=(), seconds=5.0):
    """Run ``pbr ARGS``: exit 2 with every fragment in an ``Error:`` line, in a few seconds."""
    start = time.perf_counter()
    result = cli.run(*args)
    took = time.perf_counter() - start
    errors = cli.error(result, *fragments)
    assert took < seconds, f"took {took:.1f} s"
    return errors


# -- structure and size -------------------------------------------------------------------------

DEEP = 5000


@pytest.mark.parametrize("text", [
    "x = " + "[" * DEEP + "]" * DEEP,                          # arrays in arrays
    "x = " + "{a = " * DEEP + "1" + "}" * DEEP,                # inline tables in inline tables
    "[contract]\nname = " + "[" * 40 + "1" + "]" * 40,         # deeper than the schema, parses
], ids=["arrays", "inline-tables", "forty-deep"])
def test_a_file_nested_deep_is_refused(cli, tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text + "\n")
    timed_error(cli, "validate", str(path),
                fragments=[f"deep.toml: tables and lists nest more than {MAX_DEPTH} deep"])


@pytest.mark.parametrize("item", [
    "contract.name=" + "[" * DEEP + "]" * DEEP,
    "contract.name=" + "{a=" * DEEP + "1" + "}" * DEEP,
    ".".join(["a"] * 50) + "=1",
], ids=["value-arrays", "value-tables", "path"])
def test_a_set_nested_deep_is_refused(cli, item):
    errors = timed_error(cli, "simulate", "--sims", "10", "--set", item,
                         fragments=[f"nest more than {MAX_DEPTH} deep"])
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


@pytest.mark.parametrize("index", ["1000000000", str(MAX_LIST_ITEMS), "9" * 150])
def test_a_set_list_index_beyond_the_list_is_refused(cli, index):
    timed_error(cli, "simulate", "--sims", "10", "--set", f"payments.{index}.type=fee",
                fragments=["is not an index of this list (0 to 1)"])


def _template(cli, tmp_path) -> Path:
    path = tmp_path / "t.xlsx"
    cli.ok(cli.run("template", str(path)))
    return path


@pytest.mark.parametrize("index", ["1000000000", str(MAX_LIST_ITEMS), "9" * 150])
def test_a_workbook_list_index_of_a_billion_is_refused(cli, tmp_path, index):
    path = _template(cli, tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["payments"]
    ws.cell(row=ws.max_row + 1, column=1, value=f"payments.{index}.type")
    ws.cell(row=ws.max_row, column=2, value="fee")
    book.save(path)
    timed_error(cli, "validate", str(path), seconds=10,
                fragments=["sheet 'payments', cell A", "is too large; a list in a spec has at "
                           f"most {MAX_LIST_ITEMS:,} items"])


def test_a_workbook_with_a_million_rows_is_refused(cli, tmp_path):
    path = _template(cli, tmp_path)
    book = openpyxl.load_workbook(path)
    book["payments"].cell(row=1_000_000, column=1, value="payments.5.type")
    book.save(path)
    timed_error(cli, "validate", str(path), seconds=10,
                fragments=[f"sheet 'payments': has 1,000,000 rows, more than the {MAX_ROWS:,}"])


def test_a_workbook_that_unzips_to_gigabytes_is_refused(cli, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNZIPPED_BYTES + 1))
    timed_error(cli, "validate", str(path), fragments=["bomb.xlsx: unpacks to"])


def test_a_huge_file_is_refused_without_reading_it(cli, tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as handle:
        handle.truncate(500_000_000)  # sparse: 500 MB of zeros that take no disk
    timed_error(cli, "validate", str(path),
                fragments=[f"huge.toml: larger than {MAX_FILE_BYTES:,} bytes"])


@pytest.mark.parametrize("text, fragment", [
    ("[cohorts]\nentrants_per_period = [" + "1," * (MAX_LIST_ITEMS + 1) + "]\n",
     f"cohorts.entrants_per_period: a list of {MAX_LIST_ITEMS + 1:,} items, more than the "
     f"{MAX_LIST_ITEMS:,}"),
    ('[[payments]]\ntype = "fee"\nannual = "x"\n' * 5000, "payments: a list of 5,000 items"),
    ("x = [" + "1," * 300_000 + "]\n", "x: a list of 300,000 items"),
], ids=["numbers", "tables", "near-the-size-cap"])
def test_a_list_longer_than_any_in_a_spec_is_refused(cli, tmp_path, text, fragment):
    path = tmp_path / "long.toml"
    path.write_text(text)
    assert path.stat().st_size < MAX_FILE_BYTES
    errors = timed_error(cli, "validate", str(path), fragments=[f"long.toml: {fragment}"],
                         seconds=10)
    assert len(errors) == 1


def test_a_set_list_longer_than_any_in_a_spec_is_refused(cli):
    value = "[" + ",".join(["1"] * 5000) + "]"
    timed_error(cli, "show", "--set", f"cohorts.entrants_per_period={value}",
                fragments=["the value: a list of 5,000 items, more than the 1,000"])


# -- paths --------------------------------------------------------------------------------------

def _loop(tmp_path: Path) -> str:
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    return str(tmp_path / "a.toml")


@pytest.mark.parametrize("make, fragment", [
    (lambda d: str(d / ("x" * 300 + ".toml")), "cannot read file (File name too long)"),
    (lambda d: str(d / ("a/" * 3000 + "x.toml")), "cannot read file (File name too long)"),
    (_loop, "a.toml: is a symbolic link that leads to no file"),
    (lambda d: "/dev/zero", "/dev/zero: is not a regular file"),
    (lambda d: str(d), "is a directory, not a contract file"),
    (lambda d: "bad\0name.toml", "not a file name"),
], ids=["long-name", "long-path", "link-loop", "device", "folder", "nul"])
def test_a_path_that_is_no_spec_file_is_refused(cli, tmp_path, make, fragment):
    errors = timed_error(cli, "validate", make(tmp_path), fragments=[fragment])
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


def test_names_too_long_in_a_portfolio_are_refused(cli, tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(f'[portfolio]\nname = "x"\n[owner]\nprofile = "{"b" * 300}"\n'
                    f'[[areas]]\nname = "A"\nspec = "{"a" * 300}"\n')
    for command in (["validate"], ["capital", "--sims", "10"]):
        timed_error(cli, *command, str(path), fragments=[
            f"f.toml: owner.profile: {'b' * 300}: cannot read file (File name too long)"[:60],
            "f.toml: areas.0.spec: aaaa", "cannot read file (File name too long)"])


@pytest.mark.parametrize("command", ["validate", "capital", "simulate", "show", "template"])
def test_a_name_too_long_is_refused_by_every_command(cli, tmp_path, command):
    name = str(tmp_path / ("x" * 300 + ".toml"))
    args = ["template", str(tmp_path / "t.xlsx"), "--from", name] if command == "template" \
        else [command, name]
    timed_error(cli, *args, fragments=["cannot read file (File name too long)"])


@pytest.mark.parametrize("code, message", [
    (errno.EACCES, "Permission denied"), (errno.ENAMETOOLONG, "File name too long")])
@pytest.mark.parametrize("command", ["validate", "simulate"])
def test_a_file_or_folder_that_cannot_be_read_is_refused(cli, tmp_path, monkeypatch, code,
                                                         message, command):
    # Tests may run as root, for whom chmod cannot make a file unreadable: the OS's refusal
    # is made by replacing `open` (reading a file) and `os.stat` (looking into a folder).
    spec = tmp_path / "folder" / "c.toml"
    spec.parent.mkdir()
    spec.write_text(TR.read_text())
    real_open, real_stat = builtins.open, os.stat

    def refuse(path, *args, **kwargs):
        if str(path) == str(spec):
            raise OSError(code, os.strerror(code), str(path))
        return (real_open if refuse.what == "open" else real_stat)(path, *args, **kwargs)

    refuse.what = "open"
    monkeypatch.setattr(builtins, "open", refuse)
    timed_error(cli, command, str(spec), fragments=[f"c.toml: cannot read file ({message})"])
    monkeypatch.setattr(builtins, "open", real_open)
    refuse.what = "stat"
    monkeypatch.setattr(os, "stat", refuse)
    timed_error(cli, command, str(spec), fragments=[f"c.toml: cannot read file ({message})"])


# -- contents -----------------------------------------------------------------------------------

def _xlsx_named_toml(tmp_path, cli) -> Path:
    path = _template(cli, tmp_path)
    return path.rename(tmp_path / "wb.toml")


@pytest.mark.parametrize("make, fragment", [
    (lambda d, cli: d.joinpath("b.toml").write_bytes(b"\xff\xfe\0garbage") and d / "b.toml",
     "b.toml: not a text file (TOML must be UTF-8): byte 1 is not UTF-8"),
    (lambda d, cli: d.joinpath("l.toml").write_bytes(
        TR.read_text().encode("utf-16")) and d / "l.toml", "l.toml: is UTF-16 text"),
    (_xlsx_named_toml, "wb.toml: is a zip archive (an Excel workbook?), not TOML"),
    (lambda d, cli: d.joinpath("t.xlsx").write_text(TR.read_text()) and d / "t.xlsx",
     "t.xlsx: not a readable Excel workbook (.xlsx)"),
    (lambda d, cli: d.joinpath("z.xlsx").write_bytes(b"PK\x03\x04broken") and d / "z.xlsx",
     "z.xlsx: not a readable Excel workbook (.xlsx)"),
    (lambda d, cli: d.joinpath("e.toml").write_text("") or d / "e.toml",
     "e.toml: has none of a contract spec's tables (it has no table at all)"),
    (lambda d, cli: d.joinpath("k.toml").write_text("[contract]\nname = 'a'\nname = 'b'\n")
     and d / "k.toml", "k.toml: not valid TOML: Cannot overwrite a value"),
], ids=["binary", "utf-16", "xlsx-as-toml", "text-as-xlsx", "broken-zip", "empty",
        "duplicate-key"])
def test_a_file_of_the_wrong_kind_is_refused(cli, tmp_path, make, fragment):
    timed_error(cli, "validate", str(make(tmp_path, cli)), fragments=[fragment])


@pytest.mark.parametrize("field", [
    "intervention.effect.binary.mean", "cohorts.entrants_per_period",
    "population.bands.0.binary_rate", "payments.1.rates.0.price", "provider.reserves"])
@pytest.mark.parametrize("value, fragment", [
    ("nan", "Input should be a finite number (got nan)"),
    ("inf", "Input should be a finite number (got inf)"),
    ("-inf", "Input should be a finite number (got -inf)"),
    (str(10**3000), "(got 1000000000"),
])
def test_nan_inf_and_huge_numbers_are_refused_by_every_numeric_field(cli, tmp_path, field,
                                                                      value, fragment):
    errors = timed_error(cli, "simulate", str(TR), "--sims", "10", "--set", f"{field}={value}",
                         fragments=[f"{field}", fragment])
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


@pytest.mark.parametrize("item", [
    "contract.start_date=9999-01-01", "contract.start_date=1899-12-31",
    "contract.start_date=0001-01-01",
    "contract.payment_dates=[2016-01-01, 2300-01-01]"])
def test_dates_outside_1900_to_2200_are_refused(cli, item):
    timed_error(cli, "simulate", str(TR), "--sims", "10", "--set", item,
                fragments=["must be a date from 1900-01-01 to 2200-12-31 (got "])


def test_the_latest_date_allowed_runs_its_whole_calendar(cli):
    cli.ok(cli.run("simulate", str(TR), "--sims", "10", "--set", "contract.start_date=2200-12-31",
                   "--set", "contract.length_months=600"))


def test_a_long_value_is_echoed_short(cli):
    errors = timed_error(cli, "simulate", "--sims", "10", "--set",
                         "contract.name=" + "z" * 500_000,
                         fragments=["contract.name: String should have at most 200 characters "
                                    "(got 'zzz", "...)"])
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


@pytest.mark.parametrize("item, fragment", [
    ("contract." + "a" * 500_000 + "=1", "the path is 500,009 characters long"),
    ("payments." + "1" * 150 + ".type=fee", "is not an index of this list"),
    ("z" * 500_000, "expected PATH=VALUE"),
])
def test_a_long_set_path_is_echoed_short(cli, item, fragment):
    errors = timed_error(cli, "show", "--set", item, fragments=[fragment])
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


@pytest.mark.parametrize("field, value, fragment", [
    (None, "v" * 100_000, "a value ('vvv"),
    ("contract." + "a" * 100_000, "x", "is too long to be a field path"),
    ("contract" + ".a" * 100, "x", "is too long to be a field path"),
    (12345, "x", "the Field cell must be a dotted path typed as text"),
])
def test_a_long_workbook_cell_is_echoed_short(cli, tmp_path, field, value, fragment):
    path = _template(cli, tmp_path)
    book = openpyxl.load_workbook(path)
    ws = book["contract"]
    ws.cell(row=ws.max_row + 2, column=1, value=field)
    ws.cell(row=ws.max_row, column=2, value=value)
    book.save(path)
    errors = timed_error(cli, "validate", str(path), fragments=[fragment], seconds=10)
    assert all(len(line) < 3 * MAX_ECHO for line in errors)


def test_a_cross_field_error_shows_its_value_once(cli, tmp_path):
    text = TR.read_text()
    for band in ('"medium"', '"high"'):
        text = text.replace(f"name = {band}", 'name = "low"')
    path = tmp_path / "dup.toml"
    path.write_text(text)
    (line,) = cli.error(cli.run("validate", str(path)))
    assert line.endswith("population.bands: band names must be unique "
                         "(got ['low', 'low', 'low', 'very high'])")
    assert line.count("(got") == 1


# -- text ---------------------------------------------------------------------------------------

CHARACTERS = ["\x1b", "\x00", "\x07", "\x7f", "\x85", "\x9b", "\u202e", "\u202a", "\u2066",
              "\u2069", "\u200f"]


def _escaped(char: str) -> str:
    return ascii(char)[1:-1]


@pytest.mark.parametrize("char", CHARACTERS, ids=_escaped)
@pytest.mark.parametrize("field", ["contract.name", "population.bands.0.name",
                                   "payments.0.name", "supply_chain.0.name",
                                   "contract.calibrated.0.to", "payments.1.name"])
def test_control_and_bidi_characters_are_refused_in_spec_text(cli, char, field):
    value = f"ab{char}[31mc"
    toml = '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value) + '"'
    timed_error(cli, "simulate", str(TR), "--sims", "10", "--set", f"{field}={toml}",
                fragments=[f"{field}: text must not contain control characters",
                           f" {_escaped(char)} at position 3"])


@pytest.mark.parametrize("char", CHARACTERS[:6:2] + ["\u202e"], ids=_escaped)
def test_control_characters_are_refused_in_profiles_and_portfolios(cli, tmp_path, char):
    bad = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in f"x{char}y")
    profile = tmp_path / "p.toml"
    profile.write_text(f'[provider]\nname = "{bad}"\nreserves = 1\ncost_of_capital = 0.1\n')
    timed_error(cli, "capital", str(TR), "-p", str(profile), "--sims", "10",
                fragments=["p.toml: provider.name: text must not contain control characters",
                           f"{_escaped(char)} at position 2"])
    portfolio = tmp_path / "f.toml"
    portfolio.write_text(f'[portfolio]\nname = "{bad}"\n[owner]\nprofile = "national-prime"\n'
                         f'[[areas]]\nname = "A{bad}"\nspec = "tr-crc-example"\n'
                         f'set = ["contract.name={bad}"]\n')
    timed_error(cli, "capital", str(portfolio), "--sims", "10",
                fragments=["f.toml: portfolio.name: text must not contain",
                           "f.toml: areas.0.name: text must not contain",
                           "f.toml: areas.0.set: item 0: text must not contain"])


# -- the installed command, with its memory bounded ---------------------------------------------

def _one_gib() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.slow
@pytest.mark.skipif(not PBR.is_file(), reason="pbr is not installed in this environment")
def test_the_installed_pbr_refuses_hostile_input_in_bounded_memory(cli, tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")
    book = _template(cli, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["payments"].cell(row=60, column=1, value="payments.1000000000.type")
    wb["payments"].cell(row=60, column=2, value="fee")
    wb.save(book)
    cases = [["validate", str(deep)], ["validate", str(book)],
             ["simulate", "--sims", "10", "--set", "contract.start_date=9999-01-01"],
             ["simulate", "--sims", "10", "--set", "contract.name=" + "{a=" * DEEP + "}" * DEEP]]
    for args in cases:
        proc = subprocess.run([str(PBR), *args], capture_output=True, text=True, timeout=60,
                              preexec_fn=_one_gib, cwd=tmp_path)
        assert proc.returncode == 2, (args[:2], proc.stderr[-2000:])
        assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr
        assert "MemoryError" not in proc.stderr


@pytest.mark.parametrize("name", ["[/]", "[link=https://example.com]Click here[/link]",
                                  "Tab\there", "Two\nlines", "Zürich €5 — “quoted” 中文"])
def test_markup_and_ordinary_text_are_allowed(cli, name):
    toml = '"' + name.replace("\t", "\\t").replace("\n", "\\n") + '"'
    cli.ok(cli.run("show", str(TR), "--set", f"contract.name={toml}", "--json"))


def test_a_utf8_byte_order_mark_is_read_and_utf16_is_named(cli, tmp_path):
    """Notepad and Excel may start UTF-8 text with a byte-order mark: the spec reads as
    without it (the same hash); UTF-16 text is named as such, not as a bad byte."""
    from pbr_model.spec import load_spec
    from pbr_model.spec.load import bundled_dir
    text = (bundled_dir() / "tr_crc_example.toml").read_text()
    marked = tmp_path / "marked.toml"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_spec(marked).sha256 == load_spec("tr-crc-example").sha256
    cli.ok(cli.run("validate", str(marked)))
    for encoding in ("utf-16", "utf-32"):
        wide = tmp_path / f"{encoding}.toml"
        wide.write_bytes(text.encode(encoding))
        name = encoding.upper()
        cli.error(cli.run("validate", str(wide)),
                  f"{wide}: is {name} text (it starts with a {name} byte-order mark); TOML "
                  "must be UTF-8: save it as UTF-8", lines=1)


@pytest.mark.parametrize("text, has", [
    ("# only a comment\n", "it has no table at all"),
    ("[build-system]\nrequires = []\n[project]\nname = 'x'\n",
     "its tables are [build-system], [project]"),
    ("[provder]\nreserves = 1\n", "its tables are [provder]")])
def test_a_toml_file_with_no_spec_table_gets_one_line(cli, tmp_path, text, has):
    """An empty file, another tool's TOML (pyproject.toml) or a misspelt profile: one line
    naming its tables, not a line per missing section (0.13.0 gave 3 to 6)."""
    path = tmp_path / "x.toml"
    path.write_text(text)
    cli.error(cli.run("validate", str(path)), f"{path}: has none of a contract spec's tables "
              f"({has}); a contract spec has [contract]", lines=1)


def test_an_empty_name_is_said_as_such(cli):
    cli.error(cli.run("show", ""), "'': an empty name; give a contract file or a bundled "
              "contract's name (see `pbr list`)", lines=1)
    cli.error(cli.run("capital", "--provider", " ", "--sims", "10"), "--provider ' ': an "
              "empty name; give a provider profile file", lines=1)
