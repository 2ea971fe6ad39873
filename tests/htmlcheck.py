"""Reading an HTML page or fragment back in tests: every element closed, what it would
fetch, its text (shared by the --html and notebook tests)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
