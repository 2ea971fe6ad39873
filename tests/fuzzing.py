"""What the fuzz tests share (``tests/fuzz/``): the ``pbr`` command line run in process under
a time and memory bound, the one assertion every fuzzed run must pass ("exit 0, or exit 2 with
``Error:`` lines; never a traceback"), hypothesis settings that scale with an environment
variable, and mutators for specs, CSV files and values.

Settings: ``derandomize=True`` and no example database, so a CI run tries the same cases every
time. ``PBR_FUZZ_EXAMPLES=N`` runs N examples per fuzz test instead of the small default (a long
run); ``PBR_FUZZ_COLLECT=FILE`` records every outcome as a JSON line in FILE instead of failing on
the first bad one, so a long run counts every traceback (the figures in the note come from it).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import resource
import signal
import tempfile
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pbr_model.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = sorted((ROOT / "contracts").glob("*.toml"))
PORTFOLIOS = sorted((ROOT / "contracts" / "portfolios").glob("*.toml"))
PROVIDERS = sorted((ROOT / "contracts" / "providers").glob("*.toml"))
OBSERVED = ROOT / "examples" / "observed"

#: Seconds one command may take before it counts as a hang (the slowest valid run fuzzed,
#: the three-area portfolio at 20 simulations, takes about half a second).
HANG_SECONDS = float(os.environ.get("PBR_FUZZ_HANG_SECONDS", "10"))
#: Extra memory one command may take [bytes] before numpy's allocation fails
#: (so a flag that asks for gigabytes is a MemoryError traceback, not a dead machine; and
#: the test process's peak memory, which Linux counts in the peak of a child it starts
#: later, as tests/report/test_workbooks.py measures, stays low).
MEMORY_MARGIN = 1024**3


def _warm_up() -> None:
    """Let pyarrow's allocator (behind pandas' strings) reserve its arena before any
    command runs under :func:`bounded`: the reservation is the allocator's, once per
    process, not the command's."""
    import pandas as pd

    pd.Index(["warm", "up"])


_warm_up()

_EXAMPLES = int(os.environ.get("PBR_FUZZ_EXAMPLES", "0") or 0)
COLLECT = os.environ.get("PBR_FUZZ_COLLECT")


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible settings: ``max_examples`` (or ``PBR_FUZZ_EXAMPLES``) derandomized cases,
    no database, no deadline (the hang bound is ours: :data:`HANG_SECONDS`)."""
    return settings(max_examples=_EXAMPLES or max_examples, derandomize=True, database=None,
                    deadline=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])


class Hang(BaseException):
    """A command ran past :data:`HANG_SECONDS` (a BaseException, so no ``except Exception``
    in the code under test, nor CliRunner, swallows it)."""


@contextmanager
def bounded(seconds: float = HANG_SECONDS, margin: int = MEMORY_MARGIN):
    """Interrupt the block after ``seconds`` with :class:`Hang`, and cap the process's
    data at its current size plus ``margin`` while it runs (restored after)."""
    def alarm(signum, frame):
        raise Hang(f"still running after {seconds:g} s")

    old_handler = signal.signal(signal.SIGALRM, alarm)
    # the data limit counts memory written to (heap, anonymous maps), not address space
    # merely reserved (as pyarrow's allocator reserves gigabytes it never touches)
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    try:
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f
                        if line.startswith("VmData:"))
        cap = size + margin
        if hard == resource.RLIM_INFINITY or cap < hard:
            resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (OSError, ValueError, StopIteration):
        pass  # no /proc or no limit to set: the time bound still holds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


@contextmanager
def elsewhere():
    """Work in a fresh empty folder for the block (removed after)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(here)


@dataclass
class Outcome:
    """What one fuzzed command did: ``kind`` is ``ok`` (exit 0), ``error`` (exit 2 with only
    ``Error:``/``Warning:`` lines), or a failure: ``traceback`` (an exception out of the
    command, or the CLI's exit 1 for a bug with the exception it caught), ``hang``, ``bad-exit`` (any
    other exit code or stderr) or ``warning`` (a numeric RuntimeWarning, overflow or NaN,
    on the way to an answer); ``cause`` names a failure's exception and where it was raised
    (the innermost frame in ``pbr_model``)."""

    kind: str
    argv: list[str]
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    cause: str = ""
    trace: str = ""

    @property
    def failed(self) -> bool:
        return self.kind not in ("ok", "error")

    def explain(self) -> str:
        short = [a if len(a) < 200 else a[:60] + f"...({len(a)} chars)" for a in self.argv]
        return (f"pbr {' '.join(short)}\n-> {self.kind} (exit {self.exit_code}) "
                f"{self.cause}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}\n"
                f"{self.trace}")


def _cause(exc: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "pbr_model" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}" if ours else "?"
    return f"{type(exc).__name__} at {where}", "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)[-12:])


#: Lines a failed command may print on stderr: its errors, the library's warnings, and the
#: usage lines click prints above an error in the command line itself.
ERROR_PREFIXES = ("Error: ", "Warning: ", "Usage: pbr", "Try 'pbr")


def classify(argv: list[str], result) -> Outcome:
    """Judge one CliRunner result by the rule every input must meet."""
    out = Outcome("ok", argv, result.exit_code, result.stdout, result.stderr)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        out.kind = "traceback"
        out.cause, out.trace = _cause(exc)
        return out
    if result.exit_code == 1:  # the CLI's last resort: "Error: internal error, a bug ..."
        inner = exc  # the exception the CLI caught, behind its exit's context chain
        while inner is not None and (isinstance(inner, SystemExit)
                                     or type(inner).__name__ == "Exit"):
            inner = inner.__context__
        out.kind = "traceback"
        out.cause, out.trace = _cause(inner) if inner is not None else (
            "a bug reported (exit 1)", "")
        return out
    if "Traceback" in result.stdout or "Traceback" in result.stderr:
        out.kind, out.cause = "traceback", "a traceback printed"
        return out
    if result.exit_code == 0:
        if "Error:" in result.stderr:
            out.kind, out.cause = "bad-exit", "exit 0 with an Error: line"
        return out
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        stray = [line for line in lines if not line.startswith(ERROR_PREFIXES)]
        if stray or not any(line.startswith("Error: ") for line in lines):
            out.kind = "bad-exit"
            out.cause = f"exit 2, stderr not Error: lines: {(stray or ['(no Error: line)'])[0]!r}"
        else:
            out.kind = "error"
        return out
    out.kind, out.cause = "bad-exit", f"exit code {result.exit_code}"
    return out


def run(argv: list[str], seconds: float = HANG_SECONDS) -> Outcome:
    """Run ``pbr ARGV`` in process under :func:`bounded` and classify it."""
    argv = [str(a) for a in argv]
    runner = CliRunner()
    try:
        # in a fresh working folder, so an output path that means "here" ("", ".") lands
        # there, not in the repository
        with elsewhere(), warnings.catch_warnings(record=True) as caught, \
                bounded(seconds):
            warnings.simplefilter("always")
            result = runner.invoke(app, argv, catch_exceptions=True)
    except Hang as exc:
        return Outcome("hang", argv, None, cause=str(exc), trace="".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)[-8:]))
    outcome = classify(argv, result)
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric and not outcome.failed:
        # overflow or NaN in the sums: a result computed from an input that should have
        # been refused (a count of 1e300) or maths that is not safe at the schema's edges
        w = numeric[0]
        outcome.kind = "warning"
        outcome.cause = (f"{w.category.__name__} at {Path(w.filename).name}:{w.lineno}: "
                         f"{w.message}")
    return outcome


def record(fuzzer: str, outcome: Outcome, files: dict[str, bytes] | None = None) -> None:
    """Fail on a bad outcome, or (``PBR_FUZZ_COLLECT``) write it down and go on."""
    if COLLECT:
        line = {"fuzzer": fuzzer, "kind": outcome.kind, "exit": outcome.exit_code,
                "argv": outcome.argv, "cause": outcome.cause}
        if outcome.failed:
            line["stderr"] = outcome.stderr[-500:]
            line["files"] = {k: v[:3000].decode("utf-8", "replace") for k, v in
                             (files or {}).items()}
        with open(COLLECT, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        return
    assert not outcome.failed, outcome.explain() + "".join(
        f"\n--- {name} ---\n{data[:3000].decode('utf-8', 'replace')}"
        for name, data in (files or {}).items())


def check(fuzzer: str, argv: list[str], files: dict[str, bytes] | None = None,
          seconds: float = HANG_SECONDS) -> Outcome:
    """Run ``pbr ARGV`` and hold it to the rule (``files`` are shown if it fails)."""
    outcome = run(argv, seconds)
    record(fuzzer, outcome, files)
    return outcome


# --- values ---------------------------------------------------------------------------------

#: Strings a careless or hostile user might type: markup, escapes, paths, numbers as text.
NASTY_TEXT = ["", " ", "x" * 5000, "[/]", "[bold]x", "[link=https://example.com]Click[/link]",
              "\x1b[31mred\x1b[0m", "\x1b]8;;https://x\x1b\\y", "\r\n", "a\x00b", "\u202egnp.",
              "nan", "inf", "-inf", "1e400", "1_000", "0x10", "true", "null", "None",
              "2020-13-45", "9999-12-31", "0000-01-01", "../../etc/passwd", "/dev/zero",
              "tr-crc-example", "national-prime", "{}", "[]", "=", "é" * 300, "🙂"]

NASTY_NUMBERS = [0, -1, 1, 2, -(2**63), 2**63 - 1, 2**63, 10**30, 0.0, -0.0, 1e-320, 5e-324,
                 1e-17, 1e-160, 1e300, 1.7976931348623157e308, -1e300, math.nan, math.inf,
                 -math.inf, 0.5, 0.999999999, 1.000000001, 12, 1000, 10**9]

scalars = st.one_of(
    st.sampled_from(NASTY_NUMBERS),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=30),
    st.booleans(),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30)),
    st.times(),
)
#: Any TOML value: scalars, lists and tables of them.
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
                      max_leaves=6)


def shifted(value: Any) -> list[Any]:
    """The same value in other types and sizes: what a typo or a wrong unit would give."""
    out: list[Any] = [str(value), [value], {"value": value}]
    if isinstance(value, bool):
        out += [int(value), "yes"]
    elif isinstance(value, (int, float)):
        out += [float(value), -value, value * 1000, value * 1e300, value / 1e300, 0, value + 1]
        if isinstance(value, float) and math.isfinite(value):
            out += [int(value)]
    elif isinstance(value, str):
        out += [value * 200, value.upper(), "", 1, value + "\x1b[2J"]
    elif isinstance(value, dt.date):
        out += [value.isoformat(), dt.date(9999, 12, 31), dt.date(1, 1, 1), 2020]
    elif isinstance(value, list):
        out += [value * 50, [], value[:1], value[::-1], {}]
    elif isinstance(value, dict):
        out += [[value], [], {}, {**value, **{f"unknown_{k}": v for k, v in value.items()}}]
    return out


# --- spec mutation --------------------------------------------------------------------------

def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a TOML tree (keys and list indices), parents before children."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, prefix + (i,))
    return out


def _parent(tree: Any, path: tuple) -> Any:
    node = tree
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated(draw, tree: dict, donors: list[dict] = ()) -> dict:
    """``tree`` with one to three structural mutations: a key dropped, a value replaced
    by another type or a nasty value, an unknown key added, a list item dropped or repeated,
    a subtree swapped for one from ``donors`` (another contract) or nested in a list."""
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, 3))):
        where = paths(tree)
        if not where:
            break
        path = draw(st.sampled_from(where))
        parent, key = _parent(tree, path), path[-1]
        op = draw(st.sampled_from(
            ["drop", "replace", "shift", "shift", "unknown", "list", "donor", "wrap"]))
        if op == "drop":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "shift":
            parent[key] = draw(st.sampled_from(shifted(parent[key])))
        elif op == "unknown":
            host = parent[key] if isinstance(parent[key], dict) else tree
            host[draw(st.sampled_from(["extra", "typo_field", "payments", "Name", "x.y", ""]))] \
                = draw(values)
        elif op == "list":
            items = parent[key] if isinstance(parent[key], list) else None
            if items:
                i = draw(st.integers(0, len(items) - 1))
                if draw(st.booleans()):
                    del items[i]
                else:
                    items.insert(i, copy.deepcopy(items[i]))
            else:
                parent[key] = [parent[key], parent[key]]
        elif op == "donor" and donors:
            donor = draw(st.sampled_from(list(donors)))
            section = draw(st.sampled_from(sorted(donor)))
            tree[section] = copy.deepcopy(donor[section])
        else:
            parent[key] = {"nested": parent[key]} if draw(st.booleans()) else [parent[key]]
    return tree


def dump_toml(tree: dict) -> str:
    """TOML text for ``tree``; values TOML cannot hold (a time with a zone...) are written
    as strings."""
    try:
        return tomlkit.dumps(tree)
    except Exception:  # noqa: BLE001 - tomlkit refuses some values; the text form still fuzzes
        return tomlkit.dumps(json.loads(json.dumps(tree, default=str)))


@st.composite
def text_mutated(draw, text: str) -> bytes:
    """``text`` as bytes, perhaps with a line-level or byte-level change TOML may not
    accept: a line repeated (a duplicate key) or dropped, cut short, deep nesting, stray
    bytes, another encoding."""
    lines = text.splitlines(keepends=True)
    op = draw(st.sampled_from(["none", "none", "none", "dup", "drop", "cut", "nest",
                               "bytes", "bom", "utf16", "latin1", "control"]))
    if op == "dup" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    elif op == "drop" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif op == "cut":
        return text.encode()[: draw(st.integers(0, len(text.encode())))]
    elif op == "nest":
        depth = draw(st.sampled_from([10, 100, 1000, 5000, 50_000]))
        lines.insert(0, "deep = " + "[" * depth + "1" + "]" * depth + "\n")
    elif op == "bytes":
        raw = bytearray(text.encode())
        at = draw(st.integers(0, len(raw)))
        raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        return bytes(raw)
    elif op == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    elif op == "utf16":
        return text.encode("utf-16")
    elif op == "latin1":
        return text.replace("name = \"", "name = \"caf\u00e9 ").encode("latin-1", "replace")
    elif op == "control":
        return text.replace("name = \"", "name = \"\\u001b[2J\\u0007").encode()
    return "".join(lines).encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def load_tree(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


Fuzzer = Callable[..., None]
