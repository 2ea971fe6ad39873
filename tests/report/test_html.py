"""``--html FILE``: one self-contained page per computing command, escaped, the same bytes
for the same run (but its date), checked like the other outputs."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from htmlcheck import PAGES, check_page, write_pages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Each command run once with --html (and --json, to compare)."""
    return {name: (path.read_text(encoding="utf-8"), d) for name, (path, d)
            in write_pages(tmp_path_factory.mktemp("pages")).items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_every_computing_command_writes_a_self_contained_page(pages, name):
    text, d = pages[name]
    page = check_page(text)
    # the sections, in order
    ids = [m for m in re.findall(r'<section id="(\w+)"', text)]
    assert ids[:2] == ["headline", "reading"] and ids[-2:] == ["figures", "provenance"]
    assert text.count("<svg") == PAGES[name][1]
    for svg in re.findall(r"<svg .*?</svg>", text, flags=re.S):
        assert re.search(r'width="[1-9][\d.]*pt"', svg[:300]), svg[:300]
        assert "<path" in svg
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "an id used twice on one page"
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', text):
        assert ref in ids, ref                   # every reference has its element
    plain = "".join(page.text)
    assert d["contract"] in plain
    assert d["spec_sha256"] in plain           # the provenance
    assert "Run date (UTC)" in plain


@pytest.mark.slow
def test_the_page_shows_the_runs_own_figures(pages):
    """The headline and the reading are the terminal view's and workbook's: the page's
    figures are the --json figures, formatted."""
    from pbr_model.report.format import money, pct
    text, d = pages["simulate"]
    cur = d["currency"]
    assert money(d["payments"]["total"]["p50"], cur) in text
    before = money(d["provider"]["peak_funding_before_financing"]["p50"], cur)
    assert f"peak funding need before financing, P50 {before}" in text   # on the fan
    assert money(d["provider"]["peak_funding"]["p50"], cur) in text     # in the table
    assert pct(d["provider"]["prob_loss"]) in text
    from pbr_model.report.labels import label      # every figure by its readable name, as
    row = re.search(r"<tr><td>([^<]*)</td><td>([^<]*)</td>(?:<td[^>]*>[^<]*</td>){5}"
                    r'<td class="k">provider\.prob_loss</td></tr>', text)   # on the Summary
    assert row and row.groups() == (html.escape(label("provider.prob_loss")), "%"), row
    text, d = pages["capital"]
    for party in d["providers"]:
        assert f">{party['name']}<" in text               # a column and a panel each
    text, d = pages["breakeven"]                # the answer in its own unit (an effect)
    row = re.search(r'<td class="r">([^<]*)</td><td class="k">value</td>', text)
    assert row and row.group(1) == html.escape(pct(d["value"])), row
    text, d = pages["settle-indigo"]
    assert "Actual outcome payments (INDIGO) beside this settlement" in text   # as on screen
    text, d = pages["power"]
    assert f"break-even at {100 * d['break_even_effect']:.1f}%" in text


def _page(cli, tmp_path, *args) -> str:
    path = tmp_path / "p.html"
    cli.ok(cli.run(*args, "--html", str(path), "--force"))
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_user_text_is_escaped(cli, tmp_path):
    name = '<script>alert("x")</script> & <b>bold</b>'
    text = _page(cli, tmp_path, "simulate", "--sims", "50", "--set", f"contract.name={name}")
    page = check_page(text)                       # no script element: the name is text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" \
        in text
    assert "<b>" not in text
    assert name in "".join(page.text)


@pytest.mark.slow
def test_the_same_run_gives_the_same_page_but_its_date(cli, tmp_path):
    first = _page(cli, tmp_path, "simulate", "--sims", "200")
    second = _page(cli, tmp_path, "simulate", "--sims", "200")
    date = re.compile(r"(Run date \(UTC\)</th><td>)[^<]*")
    assert first != second or date.search(first)
    assert date.sub(r"\1", first) == date.sub(r"\1", second)
    other = _page(cli, tmp_path, "simulate", "--sims", "200", "--seed", "7")
    assert date.sub(r"\1", other) != date.sub(r"\1", first)


def test_html_is_checked_like_the_other_outputs(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = lambda *a: cli.run("simulate", "--sims", "10", *a)  # noqa: E731
    cli.error(run("--html", "page.htm"), "--html page.htm: an HTML page must end in .html")
    cli.error(run("--html", "none/page.html"), "--html none/page.html: folder none does not")
    empty = run("--html", "")   # as --xlsx "": typer's usage error
    assert empty.exit_code == 2 and "Invalid value for '--html': an empty path" in empty.stderr
    Path("old.html").write_text("mine")
    cli.error(run("--html", "old.html"), "--html old.html: file exists; use --force")
    assert Path("old.html").read_text() == "mine"
    cli.error(run("--html", "o.html", "--xlsx", "o.html"), "--xlsx")
    cli.error(run("--html", "o.html", "--csv", "o.html"),
              "--csv o.html: --html writes the file o.html there")
    spec = tmp_path / "spec.html"   # an input is never replaced, --force or not
    spec.write_text((ROOT / "contracts" / "doncaster_pbr.toml").read_text())
    result = cli.run("simulate", str(spec), "--sims", "10", "--html", str(spec), "--force")
    assert result.exit_code == 2 and "--html" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.html", "spec.html"]


def test_the_installed_pbr_refuses_a_bad_html_path(tmp_path):
    import subprocess
    import sys
    pbr = str(Path(sys.executable).with_name("pbr"))
    proc = subprocess.run([pbr, "simulate", "--sims", "10", "--html", str(tmp_path / "x.txt")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"Error: --html {tmp_path / 'x.txt'}: an HTML page must end "
                                  "in .html")
    assert not (tmp_path / "x.txt").exists()


def test_a_views_label_and_value_lines_become_a_table_and_other_lines_text():
    from rich.console import Group
    from rich.text import Text

    from pbr_model.report.html import view_html
    lines = Text("\n").join([Text("Heading <1>", style="bold"),
                             Text.assemble(("P(loss)".ljust(14), "bold"), "43.8%"),
                             Text.assemble(("  first <m>".ljust(14), "bold"), "Jun 2017"),
                             Text("a closing line & more")])
    shown = view_html(Group(lines, Text("a note", style="dim")))
    page = check_page("<!DOCTYPE html>" + shown)
    assert page.stack == []
    assert ('<table class="pairs"><tbody><tr><th>P(loss)</th><td>43.8%</td></tr>'
            "<tr><th>  first &lt;m&gt;</th><td>Jun 2017</td></tr></tbody></table>") in shown
    assert '<p class="lines"><strong>Heading &lt;1&gt;</strong></p>' in shown
    assert '<p class="lines">a closing line &amp; more</p>' in shown
    assert '<p class="note">a note</p>' in shown


@pytest.mark.slow
def test_a_portfolio_of_several_owners_has_a_panel_per_owner(cli, tmp_path):
    d = cli.json("capital", "tr-national", "--sims", "50")
    text = _page(cli, tmp_path, "capital", "tr-national", "--sims", "50")
    check_page(text)
    charts = re.findall(r"<svg .*?</svg>", text, flags=re.S)
    assert len(charts) == 2
    assert len(d["owners"]) > 1
    for owner in d["owners"]:          # a panel each, titled with the owner's name
        assert f">{html.escape(owner['name'], quote=False)}<" in charts[0], owner["name"]
