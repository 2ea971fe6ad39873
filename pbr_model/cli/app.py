"""The Typer app, shared consoles and the error boundary."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import traceback
import warnings
from typing import Annotated, Callable, Iterator, Optional

import typer
import typer.exceptions

from .. import files, stopping
from .._version import __version__
from ..errors import OutputError, PbrDeprecationWarning, PbrError, PbrInputWarning
from .stdout import EXIT_PIPE, StdoutLost, lost  # noqa: F401 (EXIT_PIPE: the exit codes' home)

# Plain (non-rich) click errors: one "Error: ..." line, as for our own errors.
app = typer.Typer(
    name="pbr",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class LazyConsole:
    """A :class:`~pbr_model.report.terminal.LiteralConsole` made when first used, so rich is
    imported only by a run that prints through it (``--json`` and a run that only writes
    files never do); every attribute is the console's."""

    def __init__(self, **kwargs) -> None:
        # rich reads COLUMNS and LINES once, when a console is made: read them now, when
        # the console used to be made (at import), so the first print does not fix the
        # size of every later one to whatever the environment holds then (a test runner's)
        size = {key: os.environ.get(name) for name, key in (("COLUMNS", "width"),
                                                            ("LINES", "height"))}
        object.__setattr__(self, "_kwargs", kwargs)
        object.__setattr__(self, "_size", size)
        object.__setattr__(self, "_console", None)

    def unwrap(self):
        """The console itself (made now if not yet)."""
        if self._console is None:
            from ..report.terminal import LiteralConsole
            console = LiteralConsole(**self._kwargs)
            if not console.is_jupyter:   # (a notebook keeps rich's own size)
                # as rich sets them when made: COLUMNS less a legacy Windows console's
                # column, LINES; None (read at each print) where they were not set
                for key, value in self._size.items():
                    if key not in self._kwargs:
                        number = int(value) if value is not None and value.isdigit() else None
                        if number is not None and key == "width":
                            number -= console.legacy_windows
                        setattr(console, f"_{key}", number)
            object.__setattr__(self, "_console", console)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.unwrap(), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.unwrap(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.unwrap(), name)


# Everything printed is printed literally: user text is never markup and its control
# characters are shown as escapes (report/terminal.py).
out = LazyConsole()
err = LazyConsole(stderr=True)

#: Exit codes: bad input (and a write that fails), Ctrl-C, SIGTERM, a bug in pbr.
EXIT_INPUT, EXIT_INTERRUPT, EXIT_SIGTERM, EXIT_BUG = 2, 130, 143, 1


def fail(problems: list[str]) -> None:
    for p in problems:
        err.print(f"Error: {p}", markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_INPUT)


class Terminated(BaseException):
    """SIGTERM, raised wherever the program is when it arrives, so the run unwinds as on
    Ctrl-C: temporary files removed, the progress bar stopped and the cursor shown. A
    ``BaseException``, so no ``except Exception`` takes it for an error."""


class _Stops:
    """Ctrl-C or SIGTERM held back while a :func:`signals_wait` block runs; the first stop
    of the run, once its watchdog is started."""
    waiting = 0
    pending: type[BaseException] | None = None
    watched: threading.Event | None = None  # set when the stopped run has unwound


#: Seconds a stopped run may take to unwind (temporary files removed, worker processes
#: shut down) before it ends without waiting further: a process pool whose workers died
#: can leave its shutdown waiting on a lock or pipe that nothing will free.
UNWIND_SECONDS = 20.0


def _watchdog(how: str, code: int, done: threading.Event) -> None:
    """End the process with ``code`` if the run has not unwound (``done`` is set when it
    has) ``UNWIND_SECONDS`` after a stop, saying so in one line."""
    def end() -> None:
        if done.wait(UNWIND_SECONDS):
            return
        with contextlib.suppress(Exception):
            sys.stderr.write(f"Interrupted ({how}): stopping took more than "
                             f"{UNWIND_SECONDS:g} s; ended without waiting further.\n")
            sys.stderr.flush()
        os._exit(code)

    threading.Thread(target=end, name="pbr-stop-watchdog", daemon=True).start()


def _stop(signum, frame) -> None:
    stop = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    if _Stops.watched is None:
        _Stops.watched = threading.Event()
        _watchdog(*(("SIGTERM", EXIT_SIGTERM) if stop is Terminated
                    else ("Ctrl-C", EXIT_INTERRUPT)), _Stops.watched)
    if signum == signal.SIGTERM:  # a second SIGTERM while unwinding ends the process
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _Stops.waiting:
        _Stops.pending = _Stops.pending or stop
        return
    raise stop


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """While a command runs, SIGTERM raises :class:`Terminated` and Ctrl-C
    ``KeyboardInterrupt`` (each held back inside :func:`signals_wait`)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can be set in the main thread only
        return
    _Stops.waiting, _Stops.pending, _Stops.watched = 0, None, None
    stopping.forget_lost()
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    hook = sys.unraisablehook

    def unraisable(info) -> None:
        """A stop raised where Python reports it and goes on (a weakref callback during an
        import, a ``__del__``) is kept to be raised again (stopping.lose), not reported."""
        if info.exc_type is not None and issubclass(info.exc_type, (Terminated,
                                                                    KeyboardInterrupt)):
            stopping.lose(info.exc_type)
        else:
            hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = hook
        stopping.forget_lost()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if _Stops.watched is not None:  # unwound in time: the watchdog stands down
            _Stops.watched.set()


@contextlib.contextmanager
def signals_wait() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done, then act on them: for the
    progress bar, whose start, update and stop must not be cut half-way (rich would be
    left with the cursor hidden or its render hooks out of step)."""
    _Stops.waiting += 1
    try:
        yield
    finally:
        _Stops.waiting -= 1
    if not _Stops.waiting and _Stops.pending is not None:
        stop, _Stops.pending = _Stops.pending, None
        raise stop


def interrupted(how: str, code: int) -> None:
    """One line on stderr saying the run stopped and what it left, then exit ``code``."""
    done = _written()
    left = (": no file was written." if done is None
            else f" after writing {done}; nothing else was written.")
    err.print(f"Interrupted ({how}){left}", markup=False, soft_wrap=True)
    raise typer.Exit(code=code)


def _left_by(exc: PbrError) -> list[str]:
    """After an output that could not be written, what the run had already written (each
    file whole: written under a temporary name, then renamed), so no one takes the outputs
    beside it for the whole set."""
    return _written_before() if isinstance(exc, OutputError) else []


def _written_before() -> list[str]:
    """The problem line saying what the run wrote before a write failed, if anything."""
    done = _written()
    return [] if done is None else [
        f"written before that, each whole: {done}; nothing else was written"]


def _written() -> str | None:
    """The files this run renamed into place, the first three by name ("a, b, c and 2
    more"), or None if there are none."""
    done = [str(p) for p in files.written]
    if not done:
        return None
    return ", ".join(done[:3]) + (f" and {len(done) - 3} more" if len(done) > 3 else "")


def bug(exc: BaseException) -> None:
    """A last resort for an exception that is not an input problem: say plainly it is a
    bug in pbr and how to report it; ``PBR_TRACEBACK=1`` shows the traceback."""
    shown = bool(os.environ.get("PBR_TRACEBACK"))
    if shown:
        traceback.print_exception(exc)
    where = "" if shown else "; run again with PBR_TRACEBACK=1 to see where"
    err.print(f"Error: internal error, a bug in pbr {__version__} (not a problem with your "
              f"input): {type(exc).__name__}: {exc}{where}. Please report it with the command "
              "line and this message.", markup=False, soft_wrap=True)
    raise typer.Exit(code=EXIT_BUG)


@contextlib.contextmanager
def deprecations() -> Iterator[None]:
    """Show the library's deprecation warnings (an old field name in a spec) and input
    warnings (a likely slip, :mod:`pbr_model.spec.hints`) as one ``Warning:`` line each on
    stderr; other warnings are shown as Python shows them."""
    shown = warnings.showwarning

    said: set[str] = set()   # a portfolio reads one spec once per area: say each once

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, (PbrDeprecationWarning, PbrInputWarning)):
            if str(message) not in said:
                said.add(str(message))
                err.print(f"Warning: {message}", markup=False, soft_wrap=True)
        else:
            shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", PbrDeprecationWarning)
        warnings.simplefilter("always", PbrInputWarning)
        warnings.showwarning = show
        yield


def handles_errors(fn: Callable) -> Callable:
    """The error boundary of every command: ``PbrError`` becomes ``Error:`` lines and
    exit code 2; Ctrl-C and SIGTERM one ``Interrupted`` line and exit codes 130 and 143
    (after temporary files are removed and the cursor restored); running out of memory
    one ``Error:`` line and exit code 2; any other exception, a bug, one ``Error:`` line
    saying so and exit code 1 (see :func:`bug`); deprecations ``Warning:`` lines."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        files.written.clear()
        with deprecations(), signals_unwind():
            try:
                result = fn(*args, **kwargs)
                stopping.raise_lost()   # a stop lost where it arrived ends the run here
                sys.stdout.flush()      # a closed or full standard output is found here
                return result
            except PbrError as exc:
                fail(exc.problems + _left_by(exc))
            except KeyboardInterrupt:
                interrupted("Ctrl-C", EXIT_INTERRUPT)
            except Terminated:
                interrupted("SIGTERM", EXIT_SIGTERM)
            except MemoryError:  # the estimate before the run (memory.py) was not enough
                fail(["out of memory: the run needed more memory than this machine could give; "
                      "use fewer --sims (or a smaller --chunk-size)"])
            except (typer.Exit, typer.Abort, typer.exceptions.TyperException):  # click's own
                raise
            except StdoutLost as exc:   # what it prints could not be written (cli/stdout.py)
                code, message = lost(exc.error)
                if message is not None:   # (exit code 2, as for any output not written)
                    fail([message, *_written_before()])
                raise typer.Exit(code=code)
            except Exception as exc:
                bug(exc)

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
