"""FitTable: a terminal table that never cuts a cell, whatever the width."""

from __future__ import annotations

import io

import pytest

from pbr_model.report.fit import FitTable
from pbr_model.report.terminal import LiteralConsole


def printed(renderable, width: int) -> str:
    console = LiteralConsole(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def wide_table() -> tuple[FitTable, list[list[str]]]:
    t = FitTable(title="Money by effect", caption="a caption")
    t.add_column("True effect", justify="right")
    for head in ("Outcome mean", "Outcome P5", "Outcome P95", "Net mean", "NPV mean",
                 "P(loss)", "Financing cost", "Capital for 5%", "Capital for 1%"):
        t.add_column(head, justify="right")
    rows = [[f"{e}.0%", *(f"-£{e}{k}.{k}7m" for k in range(9))] for e in range(11)]
    for row in rows:
        t.add_row(*row)
    return t, rows


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_every_cell_whole_and_within_the_width(width):
    t, rows = wide_table()
    text = printed(t, width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for row in rows:
        for cell in row:
            assert cell in text, (cell, width)  # a figure is never split across lines
    assert text.count("Money by effect") == text.count("10.0%")  # a title on each part
    assert text.count("a caption") == 1


def test_one_table_when_it_fits():
    t, _ = wide_table()
    text = printed(t, 200)
    assert "(continued)" not in text and text.count("10.0%") == 1


def test_split_repeats_the_key_column():
    t, rows = wide_table()
    text = printed(t, 60)
    parts = text.count("10.0%")  # each part labels its rows
    assert parts >= 2 and text.count("(continued)") == parts - 1


def test_text_wraps_at_words_and_an_overlong_word_folds():
    t = FitTable()
    t.add_column("Name")
    t.add_column("Figure", justify="right")
    t.add_row("Reducing Reoffending Partnership (Ingeus)", "£29.82m")
    t.add_row("x" * 70, "£1.00m")
    text = printed(t, 50)
    assert "…" not in text and "£29.82m" in text and "£1.00m" in text
    assert text.count("x") == 70


def test_an_html_page_gets_the_whole_table():
    from rich.console import Group

    from pbr_model.report.html import view_html
    t, rows = wide_table()
    page = view_html(Group(t))
    assert page.count("</th>") == 10 and page.count("<tr>") == 1 + len(rows)
    assert "<caption>Money by effect</caption>" in page and "a caption" in page
    assert all(cell in page for row in rows for cell in row)
