"""What the tests share: the ``pbr`` command line in process with its checks, the smallest
valid spec, and reading workbooks back. Shared through fixtures, so no test module
imports another; hypothesis strategies and the smallest spec's text live in
``strategies.py`` (as numpy-financial keeps them), where the fuzz corpus reads it too."""

from __future__ import annotations

import gc
import json
import os

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from pbr_model.cli import app
from strategies import MINIMAL

# Property tests try the same cases on every run (CI never fails on a case no earlier run
# met); PBR_HYPOTHESIS=explore draws new ones each run, keeping failures in .hypothesis/.
settings.register_profile("fixed", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("PBR_HYPOTHESIS") == "explore" else "fixed")


class Cli:
    """The ``pbr`` command line run in process (typer's ``CliRunner``), and the checks every
    CLI test makes of what it printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(self, *args: str):
        """Run ``pbr ARGS``; the result has ``exit_code``, ``stdout``, ``stderr``."""
        return self.runner.invoke(app, list(args), catch_exceptions=True)

    @staticmethod
    def ok(result) -> None:
        """Exit 0, no traceback and no ``Error`` on stderr."""
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.output
        assert "Error" not in result.stderr

    @staticmethod
    def error(result, *fragments: str, lines: int | None = None) -> list[str]:
        """Exit 2, only ``Error:`` lines on stderr (one per problem), each fragment in some
        line, nothing on stdout but validate's OK lines, and no traceback."""
        assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
        assert isinstance(result.exception, SystemExit), result.exception  # not a bug
        assert "Traceback" not in result.output
        errors = result.stderr.splitlines()
        assert errors and all(line.startswith("Error: ") for line in errors), result.stderr
        for fragment in fragments:
            assert any(fragment in line for line in errors), (fragment, errors)
        assert "Error" not in result.stdout
        if lines is not None:
            assert len(errors) == lines, errors
        return errors

    def json(self, *args: str) -> dict:
        """Run ``pbr ARGS --json``, check it succeeded and parse the one strict JSON object."""
        result = self.run(*args, "--json")
        self.ok(result)

        def no_nan(name):
            raise AssertionError(f"non-JSON constant {name} in --json output")

        return json.loads(result.stdout, parse_constant=no_nan)


@pytest.fixture(autouse=True)
def _unfrozen():
    """A test that runs ``pbr``'s entry point in this process (``cli.main``) leaves the
    cycle collector as it found it: the command freezes what it imported (gc.freeze),
    which the test process must not keep."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def cli() -> Cli:
    """The command line, in process."""
    return Cli()


@pytest.fixture
def minimal_toml() -> str:
    """The smallest valid spec, as TOML text."""
    return MINIMAL


def find_header_row(ws, first: str) -> int:
    """The row whose first cell is ``first`` (a table's header) in sheet ``ws``."""
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == first:
            return cell.row
    raise AssertionError(f"no row starting {first!r} in {ws.title}")


@pytest.fixture
def header_row():
    """``header_row(ws, first)``: the row of the table whose header starts with ``first``."""
    return find_header_row


def read_summary(ws) -> dict[str, dict]:
    """The Summary sheet's figures: dotted key (its ``Key`` column) -> the row's cells by
    heading, lower-cased: ``figure``, ``unit``, ``mean``, ``p5``, ``p50``, ``p95``,
    ``value``, ``key``."""
    top = find_header_row(ws, "Figure")
    names = [c.value.lower() for c in ws[top] if c.value is not None]
    rows = {}
    for row in ws.iter_rows(min_row=top + 1, max_col=len(names)):
        cells = dict(zip(names, row))
        if cells["key"].value is not None:
            rows[cells["key"].value] = cells
    return rows


@pytest.fixture
def summary_rows():
    """``summary_rows(ws)``: the Summary's figures by key (see :func:`read_summary`)."""
    return read_summary
