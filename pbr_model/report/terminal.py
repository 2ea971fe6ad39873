"""What reaches the terminal: every piece of text printed literally.

A spec's names, a profile's or portfolio's, a file name, a ``--set`` value: this text
is the user's, and the terminal must show it as it is, never act on it. So it is never
read as rich markup (a contract named ``[/]`` or ``[link=https://...]Click[/link]`` prints
those characters), and a control character in it (C0 such as ESC, DEL, the C1 controls,
the bidirectional overrides and isolates such as U+202E, the line and paragraph
separators) is shown as its Python escape (``\\x1b``, ``\\u202e``), so no escape sequence
(colour, cursor movement, screen clearing, an OSC 8 hyperlink) reaches the terminal.
Tab and line feed are kept: they only lay text out.

The report layer builds its views from plain strings and ``Text`` and uses no markup;
:class:`LiteralConsole` prints them so. It is the one place this is done: the
consoles of the command line are literal consoles, and a library user printing a view
should print it with one too.
"""

from __future__ import annotations

import errno
import os
from typing import Any, Iterable, Optional

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Span, Text

from ..text import SEPARATORS, unsafe

#: Characters never sent to a terminal as they are: C0 controls but tab and line feed,
#: DEL and the C1 controls, the bidirectional marks, embeddings, overrides and isolates,
#: and the Unicode line and paragraph separators.
UNSAFE = unsafe("\x00-\x08\x0b-\x1f", SEPARATORS)


def visible(text: str) -> str:
    """``text`` with each unsafe character (:data:`UNSAFE`) as its Python escape, e.g.
    ``"a\\x1b[2J"`` for ``"a" + chr(27) + "[2J"``; other text unchanged."""
    return UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def visible_text(text: Text) -> Text:
    """A rich ``Text`` with its unsafe characters shown as escapes, styles kept."""
    if not UNSAFE.search(text.plain):
        return text
    cuts = sorted({i for m in UNSAFE.finditer(text.plain) for i in (m.start(), m.end())})
    out = text.blank_copy()
    for piece in text.divide(cuts):
        if piece.plain and UNSAFE.fullmatch(piece.plain):
            shown = visible(piece.plain)
            piece = Text(shown, style=piece.style,
                         spans=[Span(0, len(shown), s.style) for s in piece.spans])
        out.append_text(piece)
    return out


class LiteralConsole(Console):
    """A rich ``Console`` that prints all text literally: no markup, no emoji codes, no
    highlighting, and control characters shown as escapes (see the module notes).

    Strings are made visible before they are laid out (:meth:`render_str`), ``Text``
    objects when rendered (:meth:`render`); and every plain segment leaving the console
    is checked again, so text that reaches the screen by any other route is shown the
    same way. rich's own control segments (cursor, screen) pass untouched."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(markup=False, emoji=False, highlight=False)
        super().__init__(**kwargs)

    def on_broken_pipe(self) -> None:
        """Its reader closed the stream (``... | head``): raise the error, where rich would
        end the whole process with exit code 1 (a program using this console decides what
        a closed pipe means; the ``pbr`` command guards standard output itself, so there it
        arrives as ``pbr_model.cli.stdout.StdoutLost`` and never reaches here)."""
        if not self.quiet:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False)
        return super().render_str(visible(text), **kwargs)

    def render(self, renderable: RenderableType,
               options: Optional[ConsoleOptions] = None) -> Iterable[Segment]:
        if isinstance(renderable, Text):
            renderable = visible_text(renderable)
        for segment in super().render(renderable, options):
            if not segment.control and UNSAFE.search(segment.text):
                segment = Segment(visible(segment.text), segment.style)
            yield segment
