"""A corpus of adversarial inputs, one row per class of issue 14 (and a few more): the files
written, the command line, and what must come out: ``error`` (exit 2, only ``Error:`` lines,
each fragment in one of them), ``ok`` (exit 0, each fragment on stdout) or ``either`` (exit 0
or 2; the class only asks for no traceback). Every row is also held to the fuzz rule (no
traceback, no hang, bounded memory) and may check the files after the run.

A row whose fix is another part of issue 14 not yet on main is a strict xfail naming the
part: when that part lands the row passes, strict xfail fails the suite, and the marker is
removed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import tomlkit

from fuzzing import OBSERVED, ROOT, run
from strategies import MINIMAL

PETERBOROUGH = (ROOT / "contracts" / "peterborough_sib.toml").read_text(encoding="utf-8")
SMALL_CHARITY = (ROOT / "contracts" / "providers" / "small_charity.toml").read_text(
    encoding="utf-8")
DEEP = 5000
CSV_HEAD = "cohort,n,reoffenders,reoffences,events,comparison_n,comparison_reoffenders," \
           "comparison_reoffences,comparison_events\n"


def minimal(name: str = '"Minimal"', extra: str = "") -> str:
    return MINIMAL.replace('name = "Minimal"', f"name = {name}", 1) + extra


def portfolio(change: Callable[[dict], None]) -> str:
    """The bundled three-area portfolio as TOML text, changed by ``change(tree)``."""
    tree = tomllib.loads((ROOT / "contracts" / "portfolios" / "working_links_like.toml")
                         .read_text(encoding="utf-8"))
    change(tree)
    return tomlkit.dumps(tree)


@dataclass
class Case:
    id: str
    part: str                     # the part of issue 14 that owns the class
    argv: list[str]               # "{tmp}" is the run's folder
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: str = "error"         # "error", "ok" or "either"
    fragments: tuple[str, ...] = ()
    after: Callable[[Path], None] | None = None  # checks of the folder after the run
    seconds: float = 10.0
    pending: str | None = None    # the part of issue 14 not yet on main that fixes it (or
                                  # the part and why it is still open)


def _unchanged(name: str, text: str):
    def check(tmp: Path) -> None:
        assert (tmp / name).read_text(encoding="utf-8") == text, f"{name} was changed"
    return check


def _absent(*names: str):
    def check(tmp: Path) -> None:
        left = [n for n in names if (tmp / n).exists()]
        assert not left, f"partial outputs left: {left}"
    return check


CASES = [
    # -- terminal: user text is printed literally ----------------------------------------------
    *[Case(f"markup-name-{cmd}", "term", [cmd, "{tmp}/c.toml", *extra],
           {"c.toml": minimal('"[/]"')}, "ok", ("[/]",))
      for cmd, extra in (("show", []), ("simulate", ["--sims", "20"]),
                         ("capital", ["--sims", "20"]))],
    Case("link-name-show", "term", ["show", "{tmp}/c.toml"],
         {"c.toml": minimal('"[link=https://example.com]Click here[/link]"')}, "ok",
         ("[link=https://example.com]Click here[/link]",)),
    Case("markup-provider-name", "term",
         ["capital", "peterborough-sib", "-p", "{tmp}/p.toml", "--sims", "20"],
         {"p.toml": SMALL_CHARITY.replace('name = "small-charity"', 'name = "[/]"')}, "ok", ("[/]",)),
    Case("escape-in-name", "spec", ["show", "{tmp}/c.toml"],
         {"c.toml": minimal('"red \\u001b[31m name \\u0007"')}, "either", ("contract.name",)),
    # -- structure and sizes -----------------------------------------------------------------
    Case("nested-file", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": "x = " + "[" * DEEP + "]" * DEEP + "\n"}, fragments=("c.toml", "nest")),
    Case("nested-inline-tables", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n"},
         fragments=("c.toml", "nest")),
    Case("nested-set", "spec", ["show", "peterborough-sib", "--set",
                                "contract.name=" + "[" * DEEP + "]" * DEEP],
         fragments=("--set", "nest")),
    Case("set-index-billion", "spec",
         ["show", "peterborough-sib", "--set", "payments.1000000000.type=fee"],
         fragments=("payments.1000000000",)),
    Case("name-over-os-limit", "spec", ["validate", "{tmp}/" + "x" * 300 + ".toml"],
         fragments=("too long",)),
    Case("capital-name-over-os-limit", "spec", ["capital", "x" * 5000, "--sims", "20"],
         fragments=("too long",)),
    Case("provider-name-over-os-limit", "spec",
         ["breakeven", "--solve", "effect", "-p", "x" * 300, "--sims", "20"],
         fragments=("--provider",)),
    Case("spec-is-a-device", "spec", ["validate", "/dev/zero"], fragments=("/dev/zero",)),
    Case("spec-is-a-folder", "spec", ["validate", "{tmp}"], fragments=("directory",)),
    Case("empty-spec", "spec", ["validate", "{tmp}/c.toml"], {"c.toml": ""},
         fragments=("contract",)),
    Case("utf16-spec", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": minimal().encode("utf-16")}, fragments=("c.toml", "UTF-8")),
    Case("duplicate-key", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": minimal(extra='[contract]\nname = "again"\n')}, fragments=("c.toml",)),
    Case("year-9999", "spec", ["simulate", "{tmp}/c.toml", "--sims", "20"],
         {"c.toml": minimal().replace("2020-01-01", "9999-06-01")},
         fragments=("start_date",)),
    # -- every problem at once, across stages ------------------------------------------------
    Case("bad-sims-and-bad-spec", "spec", ["simulate", "{tmp}/c.toml", "--sims", "0"],
         {"c.toml": minimal().replace("length_months = 12", "length_months = -5")},
         fragments=("--sims", "length_months")),
    Case("type-and-cross-field", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": minimal().replace("start_date = 2020-01-01",
                                      'start_date = 2020-01-01\nwaiting_months = "x"')
          .replace("length_months = 12", "length_months = 2\ncohort_months = 3")},
         fragments=("waiting_months", "length_months (2)")),
    Case("required-type-and-cross-field", "spec", ["validate", "{tmp}/c.toml"],
         {"c.toml": minimal().replace("start_date = 2020-01-01", 'start_date = "soon"')
          .replace("length_months = 12", "length_months = 2\ncohort_months = 3")},
         fragments=("start_date", "length_months (2)"),
         pending="spec (a required field's type error still hides its section's checks "
                 "between fields: there is no default to stand in for it)"),
    *[Case(f"{kind}-as-contract-{cmd}", "spec", [cmd, str(ROOT / "contracts" / folder / file),
                                                  *extra],
           fragments=(f"is a {what}", "not a contract spec"))
      for kind, folder, file, what in (
          ("portfolio", "portfolios", "tr_national.toml", "portfolio"),
          ("profile", "providers", "small_charity.toml", "provider profile"))
      for cmd, extra in (("simulate", ["--sims", "20"]), ("show", []),
                         ("power", ["--sims", "20"]))],
    Case("xlsx-named-only-its-ending", "csvflags", ["simulate", "--sims", "20", "--xlsx", "{tmp}/.xlsx"],
         fragments=("needs a name before .xlsx",), after=_absent(".xlsx")),
    Case("validate-portfolio", "spec", ["validate", str(ROOT / "contracts" / "portfolios" /
                                                        "working_links_like.toml")],
         expect="ok", fragments=("OK",)),
    Case("validate-provider", "spec", ["validate", str(ROOT / "contracts" / "providers" /
                                                       "small_charity.toml")],
         expect="ok", fragments=("OK",)),
    # -- values the schema allows must run ---------------------------------------------------
    Case("significance-1e-17", "extremes",
         ["simulate", "tr-crc-example", "--sims", "20", "--set",
          "payments.1.rates.0.significance_level=1e-17"], expect="either",
         fragments=("significance_level",)),
    Case("custody-days-sd-1e-160", "extremes",
         ["simulate", "nyc-able-sib", "--sims", "20", "--set", "outcomes.custody.days_sd=1e-160"],
         expect="either", fragments=("days_sd",)),
    Case("binary-rate-tiny", "extremes",
         ["simulate", "ma-roca-pfs", "--sims", "20", "--set",
          "population.bands.1.binary_rate=5e-324"], expect="either",
         fragments=("binary_rate",)),
    Case("binary-rate-next-to-one", "extremes",
         ["simulate", "ma-roca-pfs", "--sims", "20", "--set",
          "population.bands.0.binary_rate=0.9999999999999999"], expect="either",
         fragments=("binary_rate",)),
    Case("dispersion-tiny", "extremes",
         ["simulate", "nys-ceo-pfs", "--sims", "20", "--set",
          "population.bands.0.dispersion=5e-324"], expect="either",
         fragments=("dispersion",)),
    # -- flags: sizes checked before anything is allocated -----------------------------------
    Case("effects-infinite", "csvflags", ["power", "--effects", "0:inf:1", "--sims", "20"],
         fragments=("--effects",)),
    Case("effects-tiny-step", "csvflags", ["power", "--effects", "0:0.9:1e-15", "--sims", "20"],
         fragments=("--effects",), seconds=3),
    Case("effects-huge-list", "csvflags", ["power", "--effects", "0.1," * 100_000 + "0.1"],
         fragments=("--effects",), seconds=5),
    # capital keeps every simulation's months (a streamed simulate of 10M fits in 24 GiB)
    Case("sims-beyond-memory", "csvflags", ["capital", "--sims", "10000000"],
         fragments=("--sims",), seconds=3),
    Case("seed-too-big", "csvflags", ["simulate", "--sims", "20", "--seed", str(2**64)],
         fragments=("--seed",)),
    # -- observed CSV: wrongly accepted, huge, not a file ------------------------------------
    Case("csv-count-1e300", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": CSV_HEAD + "1,1000,,,1e300,10000,,,15500\n"}, fragments=("o.csv",)),
    Case("csv-count-float-max", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": CSV_HEAD + "1,1.7976931348623157e308,,,1420,10000,,,15500\n"},
         fragments=("o.csv",)),
    Case("csv-quoted-newline", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": CSV_HEAD + '1,"10\n00",,,1420,10000,,,15500\n'}, fragments=("o.csv",)),
    Case("csv-huge-cell", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": CSV_HEAD + "1,1000,,,1420,10000,,," + "9" * 500_000 + "\n"},
         fragments=("o.csv",), seconds=5),
    Case("csv-dev-zero", "csvflags", ["settle", "peterborough-sib", "--observed", "/dev/zero"],
         fragments=("/dev/zero",), seconds=3),
    Case("csv-binary", "csvflags", ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": b"\xff\xfe\x00\x01garbage\x00"}, fragments=("o.csv",)),
    Case("csv-utf16", "csvflags", ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": (OBSERVED / "peterborough.csv").read_text().encode("utf-16")},
         fragments=("o.csv",)),
    Case("csv-folder", "csvflags", ["settle", "peterborough-sib", "--observed", "{tmp}"],
         fragments=("{tmp}",)),
    # -- outputs: conflicts found before the run, inputs never replaced ----------------------
    Case("output-is-the-spec", "csvflags",
         ["simulate", "{tmp}/c.toml", "--sims", "20", "--xlsx", "{tmp}/c.toml", "--force"],
         {"c.toml": PETERBOROUGH}, fragments=("c.toml",),
         after=_unchanged("c.toml", PETERBOROUGH)),
    Case("output-is-the-observed-csv", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv", "--xlsx", "{tmp}/o.csv",
          "--force"],
         {"o.csv": (OBSERVED / "peterborough.csv").read_text()}, fragments=("o.csv",),
         after=_unchanged("o.csv", (OBSERVED / "peterborough.csv").read_text())),
    Case("csv-and-parquet-one-folder", "csvflags",
         ["simulate", "--sims", "20", "--csv", "{tmp}/d", "--parquet", "{tmp}/d"],
         fragments=("--csv", "--parquet"), after=_absent("d/metadata.json")),
    Case("xlsx-inside-csv-folder", "csvflags",
         ["simulate", "--sims", "20", "--csv", "{tmp}/d", "--xlsx", "{tmp}/d/metadata.json"],
         fragments=("--xlsx",), after=_absent("d/metadata.json")),
    Case("xlsx-name-over-os-limit", "fuzz",
         ["simulate", "--sims", "20", "--xlsx", "{tmp}/" + "n" * 300 + ".xlsx"],
         fragments=("--xlsx", "too long")),
    Case("input-name-over-os-limit-with-an-output", "fuzz",
         ["breakeven", "--solve", "effect", "-p", "x" * 300, "--xlsx", "{tmp}/o.xlsx",
          "--sims", "20"], fragments=("--provider",)),
    *[Case(f"empty-{flag[2:]}-path", "csvflags", ["simulate", "--sims", "20", flag, value],
           fragments=(flag, "empty path"))
      for flag, value in (("--csv", ""), ("--parquet", " "), ("--xlsx", ""))],
    Case("csv-folder-name-over-os-limit", "fuzz",
         ["simulate", "--sims", "20", "--csv", "{tmp}/" + "d" * 300],
         fragments=("--csv", "too long")),
    Case("csv-many-rows", "csvflags",
         ["settle", "peterborough-sib", "--observed", "{tmp}/o.csv"],
         {"o.csv": CSV_HEAD + "1,1000,,,1420,10000,,,15500\n" * 100_000},
         fragments=("o.csv",)),
    Case("xlsx-in-missing-folder", "csvflags",
         ["simulate", "--sims", "20", "--xlsx", "{tmp}/no/such/out.xlsx"],
         fragments=("--xlsx",)),
    Case("xlsx-exists-without-force", "csvflags",
         ["simulate", "--sims", "20", "--xlsx", "{tmp}/out.xlsx"], {"out.xlsx": "mine"},
         fragments=("--xlsx", "--force"), after=_unchanged("out.xlsx", "mine")),
    Case("template-over-its-source", "csvflags",
         ["template", "{tmp}/c.xlsx", "--from", "{tmp}/c.xlsx", "--force"],
         {"c.xlsx": "not a workbook"}, fragments=("c.xlsx",),
         after=_unchanged("c.xlsx", "not a workbook")),
    # -- found by the fuzzers ----------------------------------------------------------------
    *[Case(f"portfolio-area-name-{kind}", "fuzz", ["capital", "{tmp}/p.toml", "--sims", "20"],
           {"p.toml": portfolio(lambda t, v=value: t["areas"][1].__setitem__("name", v))},
           fragments=("p.toml", "areas.1.name"))
      for kind, value in (("list", ["Area B", "Area B"]), ("table", {"value": "Area B"}))],
]


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.id, marks=[pytest.mark.xfail(
        strict=True, reason=f"issue 14 {c.pending} not yet landed" if " " not in c.pending
        else f"issue 14, open: {c.pending}")] if c.pending else [])
    for c in CASES])
def test_adversarial_input(case: Case, tmp_path):
    for name, data in case.files.items():
        path = tmp_path / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    outcome = run(argv, seconds=case.seconds)
    assert not outcome.failed, outcome.explain()
    if case.expect == "error":
        assert outcome.kind == "error", outcome.explain()
    elif case.expect == "ok":
        assert outcome.kind == "ok", outcome.explain()
    for fragment in (f.replace("{tmp}", str(tmp_path)) for f in case.fragments):
        if outcome.kind == "error":
            assert any(fragment in line for line in outcome.stderr.splitlines()
                       if line.startswith("Error: ")), (fragment, outcome.stderr)
        elif case.expect == "ok":
            assert fragment in outcome.stdout, (fragment, outcome.stdout[-2000:])
    # text from the user never reaches the terminal as an escape sequence
    assert "\x1b" not in outcome.stdout and "\x1b" not in outcome.stderr, outcome.explain()
    if case.after is not None:
        case.after(tmp_path)


def test_every_class_of_the_issue_has_a_case():
    parts = {c.part for c in CASES}
    assert parts == {"term", "spec", "extremes", "csvflags", "fuzz"}, parts
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.slow
def test_the_installed_pbr_refuses_what_the_fuzzers_found(tmp_path):
    """The classes fixed in this part, through the installed ``pbr`` in a subprocess: a
    portfolio area named by a list, an output name over the system's limit."""
    path = tmp_path / "p.toml"
    path.write_text(portfolio(lambda t: t["areas"][1].__setitem__("name", ["B", "B"])))
    pbr = Path(sys.executable).parent / "pbr"
    long_name = tmp_path / ("n" * 300 + ".xlsx")
    for argv, first in (
            (["capital", str(path), "--sims", "20"], f"Error: {path}: areas.1.name:"),
            (["simulate", "--sims", "20", "--xlsx", str(long_name)], "Error: --xlsx ")):
        done = subprocess.run([str(pbr), *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert done.stderr.startswith(first), done.stderr
        assert all(line.startswith("Error: ") for line in done.stderr.splitlines())
