"""Reading what a program wrote to a pseudo-terminal (``pty.fork``), for the tests that run
the installed ``pbr`` on a terminal."""

from __future__ import annotations

import os


def read_to_end(fd: int, seen: bytes = b"") -> bytes:
    """``seen`` and everything else the program writes to ``fd`` until it closes the
    terminal (reading a pty whose other end has closed raises ``OSError`` on Linux)."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return seen
        if not chunk:
            return seen
        seen += chunk
