"""The characters text from a user may not carry as they are, defined once.

Three places read them: spec text refuses them (``spec/_base.py``), an observed CSV's
cells refuse them (``csvread.py``), and the terminal shows them as escapes
(``report/terminal.py``). Each differs only in which layout characters it keeps (tab, line
feed, carriage return, the Unicode line and paragraph separators); the controls and the
bidirectional-text characters are the same everywhere.
"""

from __future__ import annotations

import re

#: DEL and the C1 controls (a regular-expression class body).
DEL_C1 = "\x7f-\x9f"
#: The bidirectional marks, embeddings, overrides and isolates, which make text show in an
#: order other than the one it is read in (a regular-expression class body).
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: The Unicode line and paragraph separators.
SEPARATORS = "\u2028\u2029"


def unsafe(c0: str, extra: str = "") -> re.Pattern[str]:
    """A pattern matching one refused character: the C0 controls in ``c0`` (a class body,
    e.g. ``"\\x00-\\x08\\x0b-\\x1f"`` to keep tab and line feed), DEL, the C1 controls,
    the bidirectional-text characters and ``extra``."""
    return re.compile(f"[{c0}{DEL_C1}{BIDI}{extra}]")


#: Byte-order marks of encodings other than UTF-8, longest first (UTF-32 LE starts as
#: UTF-16 LE does).
OTHER_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32",
              b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


def other_encoding(raw: bytes) -> str | None:
    """The encoding other than UTF-8 that ``raw`` is text in, told by its byte-order mark
    ("UTF-32", "UTF-16"), or None. A UTF-16 mark counts only where the text decodes and is
    mostly ASCII, as a spec or a CSV of counts is: binary bytes that happen to start with
    it decode to CJK characters, or not at all."""
    for bom, name in OTHER_BOMS.items():
        if raw.startswith(bom):
            break
    else:
        return None
    if name == "UTF-32":
        return name
    try:
        text = raw.decode("utf-16")
    except UnicodeDecodeError:
        return None
    return name if text and sum(c < "\x80" for c in text) >= 0.9 * len(text) else None
