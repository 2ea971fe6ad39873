"""Every command in the README, docs/ and the ``--help`` texts runs as written.

Each file's (or each command's ``--help``'s) commands run in order with the installed
``pbr``, through bash (so ``>``, globs and ``VAR=value`` work as a reader's shell does), in
a fresh folder holding what a reader has beside them: the repository's ``contracts/`` and
``examples/``, and ``my_contract.toml``, ``my_portfolio.toml`` and ``my_profile.toml``
(copies of bundled files, the names the docs use for "your own"). One change is made, for
CI's time: a simulation count above ``SIMS_CAP`` (given, or the command's default) is
lowered to it. Everything else (contract names, paths, flags, values, redirections) runs
as written, and must exit 0 with no ``Error:`` line.

A ``# ... spec 0123456789ab`` comment on a ``--json`` command is checked against the run's
``spec_sha256``, so docs/validation.md cannot cite a stale hash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from doccommands import ROOT, DocCommand, doc_files, help_commands, markdown_commands

PBR = Path(sys.executable).with_name("pbr")
SIMS_CAP = 300
SIMULATING = {"simulate", "capital", "power", "breakeven", "indigo"}
HASH = re.compile(r"#.*\bspec ([0-9a-f]{12})\b")

pytestmark = pytest.mark.slow


def capped(text: str) -> str:
    """The command with its simulation count at most ``SIMS_CAP`` (see the module doc)."""
    def lower(match):
        return f"{match.group(1)}{min(int(match.group(2)), SIMS_CAP)}"
    code, sep, comment = text.partition(" #")
    code = re.sub(r"((?:--sims|-n)[ =])(\d+)", lower, code)
    words = code.split()
    sub = next((w for w in words[words.index("pbr") + 1:] if not w.startswith("-")), None)
    if sub in SIMULATING and not re.search(r"(?:--sims|-n)[ =]\d", code):
        code = re.sub(rf"\bpbr {sub}\b", f"pbr {sub} --sims {SIMS_CAP}", code, count=1)
    return code + sep + comment


def sandbox(folder: Path) -> Path:
    """A reader's folder: the repository's contracts and examples, and their own files."""
    for name in ("contracts", "examples"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    for own, bundled in (("my_contract.toml", "contracts/tr_crc_example.toml"),
                         ("my_portfolio.toml", "contracts/portfolios/working_links_like.toml"),
                         ("my_profile.toml", "contracts/providers/small_charity.toml")):
        shutil.copyfile(ROOT / bundled, folder / own)
    return folder


def run_all(commands: list[DocCommand], folder: Path) -> list[str]:
    """Run the commands in order in ``folder``; every failure, as a readable line."""
    env = {**os.environ, "PATH": f"{PBR.parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "100", "PBR_TRACEBACK": "1"}
    failures = []
    for command in commands:
        if command.template():
            failures.append(f"{command.source}: a syntax template in a runnable block (put it "
                            f"in a ```text block, or write a real command): {command.text}")
            continue
        done = subprocess.run(["bash", "-c", capped(command.text)], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or "Error:" in done.stderr:
            tail = (done.stderr.strip().splitlines() or ["(no stderr)"])[-3:]
            failures.append(f"{command.source}: exit {done.returncode}: {command.text}\n    "
                            + "\n    ".join(tail))
            continue
        cited = HASH.search(command.text)
        if cited and "--json" in command.text:
            got = json.loads(done.stdout)["spec_sha256"][:12]
            if got != cited.group(1):
                failures.append(f"{command.source}: cites spec {cited.group(1)}, the run's "
                                f"spec is {got}: {command.text}")
    return failures


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_doc_commands_run_as_written(page, tmp_path):
    commands = markdown_commands(page)
    failures = run_all(commands, sandbox(tmp_path))
    assert not failures, "\n".join(failures)


def _help_texts() -> list[tuple[str, str]]:
    import typer.main

    from pbr_model.cli import app

    group = typer.main.get_command(app)
    texts = [("pbr --help", group.help or "")]
    texts += [(f"pbr {name} --help", cmd.help or "") for name, cmd in sorted(group.commands.items())]
    return texts


@pytest.mark.parametrize("source,text", _help_texts(), ids=lambda v: v if v.startswith("pbr") else "")
def test_help_examples_run_as_written(source, text, tmp_path):
    failures = run_all(help_commands(text, source), sandbox(tmp_path))
    assert not failures, "\n".join(failures)


def test_every_command_help_has_examples():
    """So the test above has something to run for each command."""
    missing = [source for source, text in _help_texts()[1:] if not help_commands(text, source)]
    assert not missing, missing


def test_finder_sees_blocks_templates_and_continuations(tmp_path):
    """The finder itself: a runnable block, an indented block, a text block (not run), a
    continuation, a prompt and settings, and a template."""
    page = tmp_path / "probe.md"
    page.write_text("Text\n\n```bash\n$ pbr show tr-crc-example  # a comment\npip install x\n"
                    "OPENBLAS_NUM_THREADS=1 pbr list\npbr power --json \\\n  --sims 5\n```\n\n"
                    "```text\npbr show NAME\n```\n\n    pbr simulate --sims 10\n    pbr list\n\n"
                    "A paragraph\n    pbr show wrapped-prose\n\n"
                    "```bash\npbr settle NAME --observed FILE.csv [--json]\n```\n")
    found = markdown_commands(page)
    assert [c.text for c in found] == [
        "pbr show tr-crc-example  # a comment", "OPENBLAS_NUM_THREADS=1 pbr list",
        "pbr power --json --sims 5", "pbr simulate --sims 10", "pbr list",
        "pbr settle NAME --observed FILE.csv [--json]"]
    assert [c.template() for c in found] == [False, False, False, False, False, True]
    assert capped("pbr power --json --sims 5000") == f"pbr power --json --sims {SIMS_CAP}"
    assert capped("pbr capital tr-national  # 5 s") == (f"pbr capital --sims {SIMS_CAP} "
                                                        "tr-national  # 5 s")
    assert capped("pbr show x") == "pbr show x"
