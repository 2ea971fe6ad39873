"""Errors raised by the library.

Every error a user can cause derives from :class:`PbrError`. The CLI catches
``PbrError`` only, prints one ``Error:`` line per problem to stderr and exits
with code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The most characters of a value an error message echoes: a value of 500 KB must not
#: flood the terminal.
MAX_ECHO = 200


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters with ``...`` when longer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` as given when printable, else its escaped ``repr`` (a control character in
    a file name must not reach the terminal), cut to ``limit`` characters."""
    return clip(text, limit) if text.isprintable() else short(text, limit)


def short(value: object, limit: int = MAX_ECHO) -> str:
    """``repr(value)``, cut to ``limit`` characters with ``...`` when longer; a date or time
    as written in TOML (``2015-02-01T10:00:00``), not as Python shows it."""
    if isinstance(value, (dt.date, dt.time)):
        return clip(value.isoformat(), limit)
    return clip(repr(value), limit)


class PbrError(Exception):
    """Base class for every error caused by bad input.

    ``problems`` holds one human-readable line per problem, so callers can
    report all of them at once.
    """

    def __init__(self, problems: str | list[str]):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


class SpecError(PbrError, ValueError):
    """A contract spec could not be found, read or validated."""


class OverrideError(SpecError):
    """A ``--set PATH=VALUE`` override is malformed or names no field."""


class InputError(PbrError, ValueError):
    """An argument to a library call or CLI option is out of range."""


class OutputError(PbrError, OSError):
    """An output file could not be written."""


class PbrInputWarning(UserWarning):
    """Input that is allowed but most likely a slip (a percent threshold typed as a
    fraction, :mod:`pbr_model.spec.hints`): the command goes on, with one ``Warning:`` line
    naming the file, the field and the value."""


class PbrDeprecationWarning(FutureWarning):
    """Input written in a way that still works but will not for long (a field's old name).

    A ``FutureWarning``, so that Python shows it to the people who write the input, not
    only to developers; the message says what to change, and where.
    """


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is, what was given, what is allowed."""

    source: str
    path: str
    message: str
    value: object = None
    has_value: bool = False

    def __str__(self) -> str:
        where = f"{self.source}: {clip(self.path)}" if self.path else self.source
        given = f" (got {short(self.value)})" if self.has_value else ""
        return f"{where}: {self.message}{given}"
