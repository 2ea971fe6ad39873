"""User text reaches the terminal literally: never read as rich markup, and its control
characters shown as escapes, whatever route it takes (a spec, --set, a file name, a
portfolio, a provider profile, a CSV header echoed in an error, a flag)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from ptyread import read_to_end
from rich.control import strip_control_codes
from rich.text import Text

from pbr_model.cli.app import err as ERR, out as OUT
from pbr_model.report.terminal import UNSAFE, LiteralConsole, visible, visible_text

ROOT = Path(__file__).resolve().parents[2]
OBSERVED = ROOT / "examples" / "observed"
PBR = Path(sys.executable).with_name("pbr")

#: Markup rich would act on, and text a terminal would act on.
MARKUP = ["[/]", "[bold]x", "[link=https://evil.example]Click here[/link]", "[", "]",
          "[red]a[/red] :warning:"]
CONTROL = ["\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\", "\x1b[2J", "a\u202eb",
           "a\x7fb", "a\x9bb", "a\rb"]
NAMES = MARKUP + CONTROL
#: Names a file may have (no slash).
FILE_NAMES = ["[bold]x", "[link=evil]Click here", "[", "]", "\x1b[2J", "a\u202eb", "a\x9b31mb"]


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    """Consoles wide enough that no name is wrapped over two lines."""
    for console in (OUT, ERR):   # the consoles themselves, not their lazy stand-ins
        monkeypatch.setattr(console.unwrap(), "_width", 2000)


def shown(result) -> str:
    return result.stdout + result.stderr


def literal(result, name: str) -> None:
    """``name`` appears as itself (control characters as escapes), and nothing a terminal
    acts on is in the output."""
    text = shown(result)
    assert "Traceback" not in text
    # as itself, or as Python writes it where an Error: line quotes a value it refuses, or
    # without the carriage return, backspace, bell and form feeds rich's Text drops
    forms = {visible(name), repr(name)[1:-1], visible(strip_control_codes(name))}
    assert any(form in text for form in forms), (name, text[-2000:])
    assert not UNSAFE.search(text), [c for c in text if UNSAFE.match(c)]


def toml_string(name: str) -> str:
    return json.dumps(name)  # a JSON string is a TOML basic string


COMMANDS = {
    "show": ["show", "tr-crc-example"],
    "simulate": ["simulate", "tr-crc-example", "--sims", "20"],
    "capital": ["capital", "tr-crc-example", "--sims", "20"],
    "power": ["power", "tr-crc-example", "--sims", "20", "--effects", "0,0.1"],
    "breakeven": ["breakeven", "tr-crc-example", "--solve", "effect", "--sims", "20"],
    "settle": ["settle", "doncaster-pbr", "--observed", str(OBSERVED / "doncaster.csv")],
}
#: The names every command is run with (show is run with all NAMES: the display code is
#: one, so the other commands need only show they go through it).
CORE = ["[/]", "[link=https://evil.example]Click here[/link]", "a\u202eb"]


def command_names():
    for command in COMMANDS:
        for name in NAMES if command == "show" else CORE:
            yield pytest.param(command, name, id=f"{command}-{name!r}")


@pytest.mark.parametrize(("command", "name"), list(command_names()))
def test_names_in_a_spec_are_printed_literally(cli, command, name):
    """A contract name given with --set: printed as it is (or, where the spec refuses it,
    named as it is in the Error: line); never a crash, a style or a link."""
    result = cli.run(*COMMANDS[command], "--set", f"contract.name={toml_string(name)}")
    assert result.exit_code in ((0,) if name in MARKUP else (0, 2)), shown(result)
    literal(result, name)


@pytest.mark.parametrize("name", MARKUP + ["a\u202eb"], ids=repr)
def test_payment_names_are_printed_literally(cli, name):
    result = cli.run("show", "tr-crc-example",
                     "--set", f"payments.0.name={toml_string(name)}")
    assert result.exit_code in ((0,) if name in MARKUP else (0, 2)), shown(result)
    literal(result, name)


@pytest.mark.parametrize("name", FILE_NAMES, ids=repr)
@pytest.mark.parametrize("command", [["show"], ["validate"]], ids=lambda c: c[0])
def test_file_names_are_printed_literally(cli, minimal_toml, tmp_path, command, name):
    """A spec's file name is shown (Source, OK lines) as it is, control characters as
    escapes: spec validation cannot refuse a file's name."""
    spec = tmp_path / f"{name}.toml"
    spec.write_text(minimal_toml)
    result = cli.run(*command, str(spec))
    cli.ok(result)
    literal(result, name)


@pytest.mark.parametrize("name", FILE_NAMES, ids=repr)
def test_missing_file_names_are_echoed_literally(cli, tmp_path, name):
    result = cli.run("show", str(tmp_path / f"{name}.toml"))
    cli.error(result, "no such file")
    literal(result, name)


@pytest.mark.parametrize("name", ["[/]", "\x1b[2J", "a\u202eb"], ids=repr)
def test_set_keys_and_csv_headers_are_echoed_literally(cli, tmp_path, name):
    """Text echoed in Error: lines: an unknown --set key, an unknown CSV column."""
    result = cli.run("show", "tr-crc-example", "--set", f"contract.{name}=1")
    cli.error(result, "unknown field")
    literal(result, name)
    lines = (OBSERVED / "doncaster.csv").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines[header] += "," + name
    csv = tmp_path / "observed.csv"
    csv.write_text("\n".join(lines) + "\n")
    result = cli.run("settle", "doncaster-pbr", "--observed", str(csv))
    errors = cli.error(result)   # a control character is refused before the column's name
    assert any("unknown column" in e or "control character" in e for e in errors), errors
    literal(result, name)


def renamed_portfolio(tmp_path: Path, name: str) -> Path:
    """working-links-like with its portfolio and areas named ``name``."""
    text = (ROOT / "contracts" / "portfolios" / "working_links_like.toml").read_text()
    for old in ["Working Links-like owner of three CRCs", "Area A (large)"]:
        text = text.replace(f'"{old}"', toml_string(name + old[:4]))
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", CORE, ids=repr)
def test_portfolio_names_are_printed_literally(cli, tmp_path, name):
    result = cli.run("capital", str(renamed_portfolio(tmp_path, name)), "--sims", "20")
    assert result.exit_code in ((0,) if name in MARKUP else (0, 2)), shown(result)
    literal(result, name + "Area")
    literal(result, name + "Work")


@pytest.mark.parametrize("name", CORE, ids=repr)
def test_profile_names_are_printed_literally(cli, tmp_path, name):
    text = (ROOT / "contracts" / "providers" / "small_charity.toml").read_text()
    profile = tmp_path / "profile.toml"
    profile.write_text(text.replace('name = "small-charity"', f"name = {toml_string(name)}"))
    result = cli.run("capital", "tr-crc-example", "--sims", "20", "--provider", str(profile))
    assert result.exit_code in ((0,) if name in MARKUP else (0, 2)), shown(result)
    literal(result, name)


@pytest.mark.parametrize("name", MARKUP + CONTROL, ids=repr)
def test_json_keeps_the_exact_text(cli, name):
    """--json is data, not display: the name is exactly the text given (JSON escapes
    its control characters)."""
    result = cli.run("show", "tr-crc-example", "--json",
                     "--set", f"contract.name={toml_string(name)}")
    if result.exit_code == 0:
        assert json.loads(result.stdout)["contract"] == name
        assert not UNSAFE.search(result.stdout)
    else:  # the spec refuses this text: said so literally
        literal(result, name)


def test_the_installed_pbr_prints_no_escape_sequence_to_a_terminal(minimal_toml, tmp_path):
    """Through a real terminal (a pty, where rich does colour): no hyperlink, no screen
    clearing, no bidi override from a file name or a spec name; rich's own styling only."""
    pty = pytest.importorskip("pty")
    spec = tmp_path / "\x1b[2J\u202e.toml"
    spec.write_text(minimal_toml.replace('"Minimal"',
                                         toml_string("[link=https://evil.example]Click[/link]")))
    pid, fd = pty.fork()
    if pid == 0:  # the child: run pbr on the terminal
        os.environ["COLUMNS"] = "200"
        os.execv(str(PBR), [str(PBR), "show", str(spec)])
    out = read_to_end(fd)
    _, status = os.waitpid(pid, 0)
    text = out.decode()
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "[link=https://evil.example]Click[/link]" in text
    assert "\\x1b[2J\\u202e.toml" in text
    assert "\x1b]8;" not in text and "\x1b[2J" not in text and "\u202e" not in text
    # every escape sequence left is a colour or style (SGR) or rich's cursor show/hide
    assert not re.sub(r"\x1b\[[0-9;]*m|\x1b\[\?25[hl]", "", text).count("\x1b"), repr(text)


def test_click_errors_echo_flags_literally(cli):
    """An unknown option or command is echoed by click: also without escape sequences."""
    for args in (["simulate", "--x\x1b[2J"], ["sim\x1b[2J\u202e"]):
        result = cli.run(*args)
        assert result.exit_code == 2
        assert "\x1b" not in shown(result) and "Traceback" not in shown(result)


@pytest.mark.parametrize("markup", ["[/]", "[bold red]x[/]", "[link=https://e.example]c[/link]"])
def test_the_console_never_reads_markup(markup):
    console = LiteralConsole(width=200, force_terminal=True, color_system="truecolor")
    with console.capture() as capture:
        console.print(markup)
        console.print(markup, markup=True)
        console.print(Text("x ") + Text(markup, style="bold"))
    assert capture.get().count(markup) == 3
    assert "\x1b]8;" not in capture.get()


def test_visible_text_keeps_styles():
    text = Text("a\x1bb", style="bold") + Text("c\u202e", style="red")
    out = visible_text(text)
    assert out.plain == "a\\x1bbc\\u202e"
    assert out.style == text.style
    assert {(s.start, s.end, str(s.style)) for s in out.spans} >= {(7, 13, "red")}


def test_visible_leaves_ordinary_text_alone():
    text = "Peterborough £5m, 7.5%: [cohort 1]\ttab\nnext line, é ü 中"
    assert visible(text) == text
    assert visible("\x00\x1b\x7f\x85\u202e\u2066") == "\\x00\\x1b\\x7f\\x85\\u202e\\u2066"


FORMULA, FORMULA_2 = '=HYPERLINK("https://evil.example","Click")', "=1+1"


@pytest.mark.parametrize("command", [c for k, c in COMMANDS.items() if k != "show"],
                         ids=lambda c: c[0])
def test_workbooks_write_formula_like_names_as_text(cli, tmp_path, command):
    """A name that reads as a formula is a string in every workbook cell that holds it,
    and no cell of the workbook is a formula (the workbooks hold values only)."""
    from openpyxl import load_workbook
    book = tmp_path / "out.xlsx"
    result = cli.run(*command, "--xlsx", str(book), "--set", f"contract.name={toml_string(FORMULA)}",
                     "--set", f"payments.0.name={toml_string(FORMULA_2)}")
    cli.ok(result)
    cells = [c for ws in load_workbook(book).worksheets for row in ws.iter_rows() for c in row]
    for name in (FORMULA, FORMULA_2):
        holding = [c for c in cells if isinstance(c.value, str) and name in c.value]
        assert holding, f"{name} is in no cell"
        assert all(c.data_type == "s" for c in holding)
    assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_portfolio_workbooks_write_formula_like_names_as_text(cli, tmp_path):
    from openpyxl import load_workbook
    book = tmp_path / "out.xlsx"
    cli.ok(cli.run("capital", str(renamed_portfolio(tmp_path, FORMULA)), "--sims", "20",
                   "--xlsx", str(book)))
    cells = [c for ws in load_workbook(book).worksheets for row in ws.iter_rows() for c in row]
    assert [c for c in cells if isinstance(c.value, str) and FORMULA + "Area" in c.value]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
