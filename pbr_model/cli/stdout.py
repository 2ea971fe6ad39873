"""Standard output that cannot be written, for the ``pbr`` command's process.

A command's own files report a write that fails as an ``OutputError`` naming the file. What
it prints goes to standard output, which can fail too: its reader may go away (``pbr ... |
head``: a broken pipe) or the file it is sent to may not take it (``> file`` on a full
disk). :func:`guard` puts a :class:`GuardedStdout` over ``sys.stdout`` for the command, so
such a failure, and only such a failure, arrives as :class:`StdoutLost` (whatever wrote:
rich, ``print``, click's help): an ``OSError`` anywhere else (a full ``/dev/shm`` under a
worker pool) stays what it was. :func:`lost` says how the command ends: quietly with
:data:`EXIT_PIPE` when the reader went away (there is no one to tell), else one ``Error:``
line and exit code 2. Not imported by the library: a program using ``pbr_model`` keeps its
own ``sys.stdout``.
"""

from __future__ import annotations

import errno
import os
import sys

#: Standard output closed by its reader: what a shell reports for a process ended by
#: SIGPIPE (128 + 13), as a command that never caught the signal would end.
EXIT_PIPE = 141

#: Bad input, or an output that cannot be written (as ``cli.app.EXIT_INPUT``).
EXIT_OUTPUT = 2


class StdoutLost(Exception):
    """Writing standard output failed with ``error`` (an ``OSError``). Not an ``OSError``
    itself, so neither click's own handling of a broken pipe (exit 1, silently) nor rich's
    takes it before the command's boundary does."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class GuardedStdout:
    """A text stream that passes everything to ``stream`` and turns an ``OSError`` raised
    while writing or flushing it into :class:`StdoutLost`."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise StdoutLost(exc) from exc

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise StdoutLost(exc) from exc

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def guard() -> None:
    """Put a :class:`GuardedStdout` over ``sys.stdout`` (once)."""
    if sys.stdout is not None and not isinstance(sys.stdout, GuardedStdout):
        sys.stdout = GuardedStdout(sys.stdout)


def lost(error: OSError) -> tuple[int, str | None]:
    """How a command whose standard output failed with ``error`` ends: its exit code and
    the ``Error:`` line's text (None: nothing to say, the reader went away). What is still
    buffered goes nowhere from now on (``/dev/null`` put over the descriptor), so Python's
    own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    if isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
        return EXIT_PIPE, None
    return EXIT_OUTPUT, f"cannot write to standard output: {error.strerror or error}"
