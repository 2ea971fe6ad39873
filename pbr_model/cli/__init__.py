"""The ``pbr`` command line: a thin Typer app over the library.

One module per command group; each command parses its options, makes one
library call and renders the result. Library errors (``PbrError``) become one
``Error:`` line per problem on stderr and exit code 2; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

from .app import app, main
from . import breakeven, capital, power, settle, show, simulate, specs, template  # noqa: E402,F401  (each registers its commands on `app`)

__all__ = ["app", "main"]
