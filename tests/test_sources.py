"""Source keys: every key cited in the repository is listed in ``docs/sources.md`` and every
key listed there is cited somewhere (no orphans).

A citation is a source key in square brackets, ``[SF14]``, or several side by side,
``[PM18][MoJ21a]``. The scan covers the files git tracks under ``contracts/``, ``docs/``,
``examples/``, ``benchmarks/``, ``pbr_model/`` and ``README.md`` (``docs/sources.md`` itself
excepted); in Python files only comments and strings are read, since code brackets
(``list[Tier]``, ``[None] * n``) are not prose. A key is listed when ``docs/sources.md`` has
a ``### KEY`` heading for it (which is also its anchor: ``docs/sources.md#sf14``).
"""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
SCANNED = ["contracts", "docs", "examples", "benchmarks", "pbr_model", "README.md"]

# A key: a capital, then at least one more letter or digit, then optionally one hyphenated
# part: SF14, MoJ21a, JC14b, Penta, RW-crc, PFS-NYS, Urb-Roca. So TOML tables ([provider],
# [[payments]]) are not keys (lower case), nor are one-letter placeholders ([N]) or regex
# classes ([A-Z]: its first part is one letter).
KEY = r"[A-Z][A-Za-z0-9]+(?:-[A-Za-z0-9]+)?"
# A citation: a run of bracketed keys that does not follow a letter, digit, underscore or
# bracket (that would be indexing or a type: list[Tier], x[0][N], [[payments]]) and is not
# followed by a letter, digit, "(" or "[" (a Markdown link [Text](url) or [Text][ref]).
CITATION = re.compile(r"(?<![\w\[\]])((?:\[" + KEY + r"\])+)(?![\w(\[])")
# Bracketed words that look like keys but are not citations: the command-line placeholders
# in the example scripts' usage lines ("python examples/researcher_tables.py [SIMS] [FOLDER]").
NOT_CITATIONS = {"SIMS", "FOLDER"}
# A listed key: a "### KEY" heading in docs/sources.md.
LISTED = re.compile(r"^### (" + KEY + r")[ \t]*$", re.M)

POINTER = "# Sources: keys in [brackets] are listed in docs/sources.md"


def keys_in(text: str) -> list[str]:
    """The source keys cited in ``text``, in order, repeats kept."""
    keys = []
    for match in CITATION.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        after = text[match.end():match.end() + 1]
        if not text[line_start:match.start()].strip() and after == ":":
            continue  # a Markdown link definition, "[Ref]: https://..."
        keys += [k for k in re.findall(r"\[([^\]]+)\]", match.group(1)) if k not in NOT_CITATIONS]
    return keys


def prose(path: Path) -> list[str]:
    """The parts of a file that can cite: a Python file's comments and strings, or the
    whole of any other text file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return [text]
    kinds = {tokenize.COMMENT, tokenize.STRING}
    kinds |= {getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type in kinds]
    except (tokenize.TokenError, SyntaxError):
        return [text]  # a file that does not tokenize: read it all (may over-report)


def scanned_files() -> list[Path]:
    """The files git tracks under the scanned paths (all files there if git is not at
    hand), without docs/sources.md, binary files or files missing from the work tree."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", *SCANNED], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        paths = [ROOT / p for p in listed.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for name in SCANNED for p in
                 ([ROOT / name] if (ROOT / name).is_file() else (ROOT / name).rglob("*"))
                 if p.is_file() and "__pycache__" not in p.parts]
    files = []
    for path in paths:
        if path == SOURCES or not path.is_file():
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return sorted(files)


def citations() -> dict[str, set[str]]:
    """Each cited key and the files (relative paths) that cite it."""
    cited: dict[str, set[str]] = defaultdict(set)
    for path in scanned_files():
        for part in prose(path):
            for key in keys_in(part):
                cited[key].add(path.relative_to(ROOT).as_posix())
    return cited


def listed_keys() -> list[str]:
    return LISTED.findall(SOURCES.read_text(encoding="utf-8"))


def test_the_scan_finds_citations():
    cited = citations()
    assert {"SF14", "PM18", "MoJ21a", "IND"} <= set(cited), sorted(cited)


def test_every_cited_key_is_listed_in_sources():
    cited, listed = citations(), set(listed_keys())
    missing = {key: sorted(files) for key, files in cited.items() if key not in listed}
    assert not missing, (
        "source keys cited but not listed in docs/sources.md (add a '### KEY' entry with the "
        "full reference and link; if a bracketed word is not a citation, add it to "
        "NOT_CITATIONS in tests/test_sources.py):\n"
        + "\n".join(f"  [{key}] in {', '.join(files)}" for key, files in sorted(missing.items())))


def test_every_listed_key_is_cited():
    cited = citations()
    orphans = sorted(key for key in listed_keys() if key not in cited)
    assert not orphans, (
        "docs/sources.md lists keys that nothing in the repository cites (remove them, or "
        "cite them where their figures are used): " + ", ".join(orphans))


def test_sources_are_listed_once_in_alphabetical_order():
    listed = listed_keys()
    duplicates = sorted({key for key in listed if listed.count(key) > 1})
    assert not duplicates, f"listed more than once in docs/sources.md: {duplicates}"
    assert listed == sorted(listed, key=str.lower), (
        "docs/sources.md entries out of alphabetical order (case-insensitive): "
        + ", ".join(a for a, b in zip(listed, sorted(listed, key=str.lower)) if a != b))


def test_files_that_cite_keys_point_to_sources():
    """Each contract opens with the pointer line; each doc, the README and each observed-
    results CSV that cites a key links or names docs/sources.md."""
    citing = {f for files in citations().values() for f in files}
    missing = []
    for name in sorted(citing):
        text = (ROOT / name).read_text(encoding="utf-8")
        if name.endswith(".toml"):
            if text.splitlines()[0] != POINTER:
                missing.append(f"{name}: first line should be {POINTER!r}")
        elif name.endswith((".md", ".csv")) and "sources.md" not in text:
            missing.append(f"{name}: cites source keys but does not point to docs/sources.md")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("text, keys", [
    ("# 5-point cut vs 2009 [TP][CJA]", ["TP", "CJA"]),
    ("# TR [MoJ21a]: binary paid only if significant", ["MoJ21a"]),
    ("published [RW-crc]. Roca [Urb-Roca], NYS [PFS-NYS]", ["RW-crc", "Urb-Roca", "PFS-NYS"]),
    ("Source keys (`[SF14]`, `[IND]`, ...)", ["SF14", "IND"]),
    ("[provider]\n[[payments]]\n[intervention.costs]", []),
    ("def f(x: list[Tier]) -> dict[str, Path]: return x[0][N]", []),
    ("see [Validation](validation.md) or [Docs][docs]", []),
    ("[Docs]: https://example.org", []),
    ("matches `^[A-Z]{3}$`", []),
    ("Run:  python examples/researcher_tables.py [SIMS] [FOLDER]", []),
])
def test_citation_pattern(text, keys):
    assert keys_in(text) == keys
