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
