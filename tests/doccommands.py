"""The ``pbr`` commands a user can copy from the README, docs/ and ``--help``, found as a
reader finds them, for tests/test_docs_run.py.

A command is a line starting ``pbr `` (after an optional ``$ `` prompt and ``VAR=value``
settings) in a fenced block marked bash, sh, shell or console (or unmarked), or in an
indented (4-space) block; ``\\`` continues it on the next line. Syntax templates
(``pbr power NAME --effects START:STOP:STEP [--json]``) cannot run as written: they belong
in a ``text`` block, and one in a runnable block is reported as a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNABLE = {"", "bash", "sh", "shell", "console"}
ENV = r"(?:[A-Z_][A-Z0-9_]*=\S+\s+)*"
COMMAND = re.compile(rf"^(?:\$\s+)?({ENV}pbr(?:\s.*)?)$")
# what a template has and a command never does: a placeholder in capitals (NAME, FILE,
# START:STOP:STEP, PATH=VALUE), an optional part in brackets, an ellipsis
TEMPLATE = re.compile(r"(?<![\w./-])(?:[A-Z]{3,}(?:[:=][A-Z]+)*)(?![\w.-])|\[--|\s\.\.\.(?:\s|$)")


@dataclass(frozen=True)
class DocCommand:
    source: str        # "README.md:153" or "pbr simulate --help"
    text: str          # the command as written, continuation lines joined

    def template(self) -> bool:
        """Whether it is a syntax template rather than a command (see the module doc)."""
        code = re.sub(rf"^{ENV}", "", self.text.split(" #", 1)[0])
        return bool(TEMPLATE.search(code))


def _join(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join lines ending in a backslash with the next, keeping the first line's number."""
    joined, pending = [], None
    for number, line in lines:
        if pending is not None:
            pending = (pending[0], pending[1] + " " + line.strip())
        else:
            pending = (number, line.strip())
        if pending[1].endswith("\\"):
            pending = (pending[0], pending[1][:-1].rstrip())
            continue
        joined.append(pending)
        pending = None
    if pending is not None:
        joined.append(pending)
    return joined


def markdown_commands(path: Path) -> list[DocCommand]:
    """Every command in a markdown file's runnable blocks, in the order written."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found, block, fence = [], [], None
    previous_blank, in_block = True, False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            fence, block = stripped[3:].strip().lower(), []
            continue
        if fence is not None:
            if stripped.startswith("```"):
                if fence in RUNNABLE:
                    found += [(n, t) for n, t in _join(block)]
                fence = None
            else:
                block.append((number, line))
            continue
        # an indented block starts after a blank line (else it continues a paragraph)
        in_block = line.startswith("    ") and (previous_blank or in_block) and bool(stripped)
        if in_block and COMMAND.match(stripped):
            found.append((number, stripped))
        previous_blank = not stripped
    commands = []
    for number, text in found:
        match = COMMAND.match(text)
        if match:
            commands.append(DocCommand(f"{name}:{number}", match.group(1)))
    return commands


def doc_files() -> list[Path]:
    """The README and every page in docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def help_commands(help_text: str, source: str) -> list[DocCommand]:
    """The example lines of one ``--help`` text (the lines under ``Examples:``)."""
    commands, inside = [], False
    for line in help_text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("Examples:", "Example:")):
            inside = True
            continue
        if inside:
            match = COMMAND.match(stripped.strip("│ ").strip())
            if match:
                commands.append(DocCommand(source, match.group(1)))
            elif stripped and not stripped.startswith("│"):
                inside = False
    return commands
