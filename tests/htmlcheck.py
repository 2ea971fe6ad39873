"""Reading an HTML page or fragment back in tests: every element closed, what it would
fetch, its text (shared by the --html and notebook tests)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

OBSERVED = Path(__file__).resolve().parents[1] / "examples" / "observed" / "peterborough.csv"

#: Each computing command, small, and how many charts its page holds.
PAGES = {
    "simulate": (["simulate", "--sims", "300"], 2),
    "capital": (["capital", "--sims", "300"], 2),
    "portfolio": (["capital", "working-links-like", "--sims", "200"], 2),
    "power": (["power", "--sims", "200", "--effects", "0:0.1:0.05"], 1),
    "breakeven": (["breakeven", "--solve", "effect", "--sims", "200"], 1),
    "settle": (["settle", "peterborough-sib", "--observed", str(OBSERVED)], 1),
    "settle-indigo": (["settle", "peterborough-sib", "--indigo",
                       str(OBSERVED.with_name("peterborough_indigo.json"))], 1),
}


def write_pages(folder: Path) -> dict[str, tuple[Path, dict]]:
    """Run each of :data:`PAGES` in process with ``--html`` and ``--json``: its page and
    its JSON object, by name."""
    from typer.testing import CliRunner

    from pbr_model.cli import app
    out = {}
    for name, (args, _) in PAGES.items():
        path = folder / f"{name}.html"
        result = CliRunner().invoke(app, [*args, "--html", str(path), "--json"])
        assert result.exit_code == 0, (name, result.stderr, result.exception)
        assert f"Wrote {path}" in result.stderr
        out[name] = (path, json.loads(result.stdout))
    return out

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Checker(HTMLParser):
    """Parses a page: every element closed in order (SVG's self-closing ones too), and the
    attributes that would fetch something (src, href, url() in styles) collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "data"):
                self.fetches.append(f"{tag} {name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_page(text: str) -> Checker:
    """A well-formed, self-contained page: every element closed, no script at all, and
    nothing fetched: each src/href an in-page ``#`` reference or the empty ``data:`` icon,
    no ``url()`` but to an in-page ``#id``, no ``@import``, no http(s) address anywhere."""
    assert text.startswith("<!DOCTYPE html>")
    page = Checker()
    page.feed(text)
    page.close()
    assert page.stack == [], page.stack
    assert "script" not in page.tags
    bad = [f for f in page.fetches if not re.search(r"=(#|data:,$)", f)]
    assert bad == [], bad
    assert re.findall(r"url\((?!#)", text) == []
    assert "@import" not in text
    assert re.findall(r"https?://", text) == []
    return page
