"""The Typer app, shared consoles and the error boundary."""

from __future__ import annotations

import contextlib
import functools
import warnings
from typing import Annotated, Callable, Iterator, Optional

import typer
from .._version import __version__
from ..errors import PbrDeprecationWarning, PbrError
from ..report.terminal import LiteralConsole

# Plain (non-rich) click errors: one "Error: ..." line, as for our own errors.
app = typer.Typer(
    name="pbr",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Everything printed is printed literally: user text is never markup and its control
# characters are shown as escapes (report/terminal.py).
out = LiteralConsole()
err = LiteralConsole(stderr=True)


def fail(problems: list[str]) -> None:
    for p in problems:
        err.print(f"Error: {p}", markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextlib.contextmanager
def deprecations() -> Iterator[None]:
    """Show the library's deprecation warnings (an old field name in a spec) as one
    ``Warning:`` line each on stderr; other warnings are shown as Python shows them."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, PbrDeprecationWarning):
            err.print(f"Warning: {message}", markup=False, soft_wrap=True)
        else:
            shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", PbrDeprecationWarning)
        warnings.showwarning = show
        yield


def handles_errors(fn: Callable) -> Callable:
    """Turn ``PbrError`` into ``Error:`` lines and exit code 2, and so running out of
    memory (one line, no traceback); deprecations into ``Warning:`` lines."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with deprecations():
            try:
                return fn(*args, **kwargs)
            except PbrError as exc:
                fail(exc.problems)
            except MemoryError:  # the estimate before the run (memory.py) was not enough
                fail(["out of memory: the run needed more memory than this machine could give; "
                      "use fewer --sims (or a smaller --chunk-size)"])

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"pbr-model {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
) -> None:
    """Price and stress-test payment-by-results (PbR) contracts in offender rehabilitation.

    \b
    Examples:
      pbr simulate                      # the bundled default contract
      pbr simulate tr-crc-example --sims 20000 --set cohorts.entrants_per_period=3500
      pbr show tr-crc-example
      pbr list
    """


def main() -> None:
    app()
