"""A CLI run's own peak resident memory, for the tests of the memory estimate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def peak_of(argv: list[str], written: Path, timeout: int = 300) -> int:
    """Run ``pbr`` with ``argv`` (``argv[0]`` is ``"pbr"``) in a fresh interpreter and give
    its high-water mark (``VmHWM``) [bytes], after checking it wrote ``written``. VmHWM
    starts afresh at exec, where ``ru_maxrss`` keeps the forking process's (a pytest
    process grown past 1 GB by earlier tests gave every run a "peak" of 1.1 GB)."""
    res = subprocess.run([sys.executable, "-c", "import re, sys; from pbr_model.cli "
                          f"import app; sys.argv = {argv!r}\ntry: app()\n"
                          "except SystemExit: pass\n"
                          "status = open('/proc/self/status').read()\n"
                          "print(re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1), "
                          "file=sys.stderr)"],
                         capture_output=True, text=True, timeout=timeout)
    assert written.exists(), res.stderr
    return int(res.stderr.strip().splitlines()[-1]) * 1024
