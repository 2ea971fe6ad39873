"""The one-page HTML report (``--html FILE``) and the notebook card (``_repr_html_``).

A page is one self-contained file: its styles are inline, its charts inline SVG
(:mod:`pbr_model.report.charts`), and it names no script, stylesheet, font or image to
fetch, so it opens the same with no network, attached to an e-mail or years later. It
holds, in order: the headline figures (the command's terminal view, as HTML tables), the
plain-English reading (the workbook's), the charts, every figure of ``--json`` and the
provenance. It reads the result's figures; it computes none.

All text the user gave (a contract named ``<script>``, a file name) is escaped, and
control characters are shown as their escapes, as on the terminal
(:func:`pbr_model.report.terminal.visible`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..files import atomic_write, check_output
from .fit import FitTable
from .format import money, number, pct
from .terminal import visible

#: The page's styles: system fonts only (nothing to fetch), readable on screen and paper.
STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: #1d2327; background: #fff; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d0d7de;
     padding-bottom: .2rem; }
.sub, .note { color: #57606a; font-size: .9rem; }
.note { white-space: pre-wrap; }
p.lines { white-space: pre-wrap; margin: .6rem 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.r, th.r { text-align: right; white-space: nowrap; }
td:first-child, th:first-child { white-space: pre-wrap; }
table.pairs th { background: none; font-weight: 600; }
table.pairs th, table.pairs td { border: 0; padding: .1rem .8rem .1rem 0; }
td.k { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
.scroll { overflow-x: auto; }
figure { margin: 1rem 0 1.5rem; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: .9rem; }
ol.reading li { margin: .3rem 0; }
details summary { cursor: pointer; color: #0b5cad; }
footer { margin-top: 2.5rem; color: #57606a; font-size: .85rem; }
@page { size: A4 landscape; margin: 10mm; }
@media print { main { max-width: none; padding: 0; } .scroll { overflow: visible; }
  table { font-size: 7.5pt; } th, td { padding: .1rem .3rem; }
  td.r, th.r { white-space: normal; } figure { break-inside: avoid; }
  details::details-content { content-visibility: visible; display: block; } }
"""


def esc(value: Any) -> str:
    """User text made safe for HTML: special characters escaped, control characters
    (and bidirectional overrides) shown as escapes."""
    return html.escape(visible(str(value)), quote=True)


@dataclass
class Page:
    """What one page holds; :func:`render` lays it out.

    Attributes
    ----------
    title : the contract's (or portfolio's) name
    command : the command that made it, e.g. ``"pbr simulate"``
    headline : the command's terminal view (a rich renderable), shown as HTML tables
    reading : the plain-English sentences
    charts : ``(title, svg, caption)`` for each chart, in order
    figures : the ``--json`` object, every figure listed under "All figures"
    skip : top-level keys of ``figures`` left out of that list (long lists shown elsewhere)
    formats : cell formats by key where the key alone cannot tell (as the workbook's Summary)
    provenance : ``(label, value)`` rows: how the run was made
    extra : further ``(heading, html)`` sections after the charts (html already escaped)
    """

    title: str
    command: str
    headline: Any
    reading: list[str]
    charts: list[tuple[str, str, str]]
    figures: dict
    provenance: list[tuple[str, Any]]
    skip: tuple[str, ...] = ()
    formats: dict = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)


def render(page: Page) -> str:
    """The page as one HTML document (a string)."""
    from .._version import __version__
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="pbr-model {esc(__version__)}">',
        # an empty icon, so a browser asks for no favicon.ico beside the file
        '<link rel="icon" href="data:,">',
        f"<title>{esc(page.title)} \u00b7 {esc(page.command)}</title>",
        f"<style>{STYLE}</style>", "</head>", "<body>", "<main>",
        f"<header><h1>{esc(page.title)}</h1>"
        f'<p class="sub">{esc(page.command)} \u00b7 pbr-model {esc(__version__)}</p></header>',
        '<section id="headline"><h2>Headline figures</h2>', view_html(page.headline),
        "</section>",
    ]
    if page.reading:
        parts += ['<section id="reading"><h2>In plain English</h2><ol class="reading">',
                  *(f"<li>{esc(line)}</li>" for line in page.reading), "</ol></section>"]
    if page.charts:
        parts.append('<section id="charts"><h2>Charts</h2>')
        for title, svg, caption in page.charts:
            parts.append(figure(title, svg, caption))
        parts.append("</section>")
    for heading, body in page.extra:
        parts.append(f"<section><h2>{esc(heading)}</h2>{body}</section>")
    parts += ['<section id="figures"><h2>All figures</h2>',
              "<details><summary>Every figure of <code>--json</code>, by key</summary>",
              figures_html(page.figures, page.skip, page.formats), "</details></section>",
              '<section id="provenance"><h2>Provenance</h2>',
              rows_html(page.provenance), "</section>",
              "<footer>Made by pbr-model: the same spec, seed and version give the same "
              "figures. This page is self-contained: it loads nothing from the network."
              "</footer>", "</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def figure(title: str, svg: str, caption: str = "") -> str:
    """One chart: its title, the inline SVG and a caption."""
    cap = f"<figcaption><strong>{esc(title)}</strong>"
    cap += f" {esc(caption)}</figcaption>" if caption else "</figcaption>"
    return f'<figure class="chart">{svg}{cap}</figure>'


def write_page(page: Page, path: str | Path, *, force: bool = False,
               inputs: Iterable[str] = ()) -> Path:
    """Write ``page`` to ``path`` atomically (never over an input; over an existing file
    only with ``force``).

    Raises
    ------
    OutputError
        If ``path`` exists and ``force`` is false, is an input, or cannot be written.
    """
    path = check_html(path, force=force, inputs=inputs)
    data = render(page).encode("utf-8")

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
    atomic_write(path, write, "write the HTML report")
    return path


def check_html(path: str | Path, *, force: bool = False, inputs: Iterable[str] = ()) -> Path:
    """Check an ``--html`` path before any work (see :func:`pbr_model.files.check_output`):
    it must end in ``.html``."""
    return check_output(path, force=force, suffix=".html", kind="an HTML page", inputs=inputs)


# -- a rich view as HTML -----------------------------------------------------------------------

def view_html(renderable: Any) -> str:
    """A terminal view (a rich ``Group`` of tables and text) as HTML: each ``Table`` as a
    table (title, header, rows, caption), each ``Text`` as lines, bold kept."""
    if isinstance(renderable, Group):
        return "\n".join(view_html(r) for r in renderable.renderables)
    if isinstance(renderable, (Table, FitTable)):
        return table_html(renderable if isinstance(renderable, Table) else renderable.whole())
    if isinstance(renderable, Text):
        if "dim" in str(renderable.style):
            return f'<p class="note">{text_html(renderable)}</p>'
        return lines_html(renderable)
    return f'<p class="lines">{esc(renderable)}</p>'


def _pair(line: Text) -> tuple[Text, Text] | None:
    """A line laid out as a bold label padded to a column, then its value (the views'
    ``Text.assemble((label.ljust(width), "bold"), value)``), split in two; else None."""
    plain = line.plain
    label = next((s for s in line.spans if s.start == 0 and "bold" in str(s.style)), None)
    if label is None or label.end >= len(plain) or not plain[:label.end].endswith("  "):
        return None
    return line[:label.end], line[label.end:]


def lines_html(text: Text) -> str:
    """A view's lines: runs of label-and-value lines as a two-column table (a terminal lines
    them up with spaces, a page with a table), the other lines as text."""
    out, pairs, plain = [], [], []

    def flush() -> None:
        if pairs:
            rows = "".join(f"<tr><th>{text_html(k.plain.rstrip())}</th><td>{text_html(v)}"
                           "</td></tr>" for k, v in pairs)
            out.append(f'<table class="pairs"><tbody>{rows}</tbody></table>')
            pairs.clear()
        if plain:
            out.append(f'<p class="lines">{"<br>".join(text_html(t) for t in plain)}</p>')
            plain.clear()

    for line in text.split("\n"):
        pair = _pair(line)
        if (pair is None and pairs) or (pair is not None and plain):  # the kind changes
            flush()
        if pair is None:
            plain.append(line)
        else:
            pairs.append(pair)
    flush()
    return "\n".join(out)


def text_html(text: Text | str) -> str:
    """A rich ``Text``'s characters, escaped, with its bold spans in ``<strong>``."""
    if isinstance(text, str):
        return esc(text)
    plain = text.plain
    bold = [False] * len(plain)
    for span in text.spans:
        if "bold" in str(span.style):
            for i in range(span.start, min(span.end, len(plain))):
                bold[i] = True
    out, i = [], 0
    while i < len(plain):
        j = i
        while j < len(plain) and bold[j] == bold[i]:
            j += 1
        piece = esc(plain[i:j])
        out.append(f"<strong>{piece}</strong>" if bold[i] else piece)
        i = j
    return "".join(out)


def _cell(value: Any) -> str:
    return text_html(value) if isinstance(value, (Text, str)) else esc(value)


def table_html(t: Table) -> str:
    """A rich ``Table`` as an HTML table: its title as the caption, its caption below."""
    head = "".join(f'<th class="{"r" if c.justify == "right" else ""}">'
                   f'{_cell(c.header).replace(chr(10), "<br>")}</th>' for c in t.columns)
    cells = [list(c.cells) for c in t.columns]
    rows = []
    for i in range(t.row_count):
        tds = "".join(f'<td class="{"r" if c.justify == "right" else ""}">'
                      f"{_cell(cells[j][i])}</td>" for j, c in enumerate(t.columns))
        rows.append(f"<tr>{tds}</tr>")
    title = f"<caption>{_cell(t.title)}</caption>" if t.title else ""
    note = f'<p class="note">{_cell(t.caption)}</p>' if t.caption else ""
    return (f'<div class="scroll"><table>{title}<thead><tr>{head}</tr></thead>'
            f'<tbody>{chr(10).join(rows)}</tbody></table></div>{note}')


# -- figures and provenance --------------------------------------------------------------------

def _show(value: Any, fmt: str | None, currency: str) -> str:
    """A figure as on screen, from the cell format the workbook gives its key."""
    from .sheets import COUNT_FORMAT, PCT_FORMAT, RATIO_FORMAT
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, str):
        return esc(value)
    if fmt == PCT_FORMAT:
        return esc(pct(value))
    if fmt in (COUNT_FORMAT, "0"):
        return esc(number(value))
    if fmt == RATIO_FORMAT:
        return esc(number(value, 2))
    if fmt == "0.000":
        return esc(number(value, 3))
    if fmt is None:
        return esc(value)
    return esc(money(value, currency))


def figures_html(d: dict, skip: Iterable[str] = (), formats: dict | None = None) -> str:
    """Every figure of the JSON object ``d`` (less its provenance keys and ``skip``), one
    row each: Mean/P5/P50/P95 for a distribution, Value for one number; formats as the
    workbook's Summary reads its keys."""
    from .sheets import STATS, money_format, summary_figures
    cur = d.get("currency") or ""
    rows = []
    for key, value, fmt, name, its_unit in summary_figures(d, money_format(cur), skip, formats):
        if isinstance(value, dict):
            cells = "".join(f'<td class="r">{_show(value[s], fmt, cur)}</td>' for s in STATS)
            cells += '<td class="r"></td>'
        else:
            cells = '<td class="r"></td>' * len(STATS)
            cells += f'<td class="r">{_show(value, fmt, cur)}</td>'
        rows.append(f"<tr><td>{esc(name)}</td><td>{esc(its_unit)}</td>"
                    f'{cells}<td class="k">{esc(key)}</td></tr>')
    head = "".join(f'<th class="r">{h}</th>' for h in ("Mean", "P5", "P50", "P95", "Value"))
    return (f'<div class="scroll"><table><thead><tr><th>Figure</th><th>Unit</th>{head}'
            f'<th>Key (--json)</th></tr></thead><tbody>{chr(10).join(rows)}</tbody></table>'
            "</div>")


def rows_html(rows: list[tuple[str, Any]]) -> str:
    """``(label, value)`` rows as a two-column table."""
    body = "\n".join(f"<tr><th>{esc(label)}</th><td>{esc('-' if v is None else v)}</td></tr>"
                   for label, v in rows)
    return f'<div class="scroll"><table><tbody>{body}</tbody></table></div>'


def card(title: str, headline: Any, chart: tuple[str, str, str] | None) -> str:
    """A result's notebook display: its headline figures and one chart, no page around
    them (what Jupyter shows for ``_repr_html_``)."""
    parts = [f'<div class="pbr-result"><style>{CARD_STYLE}</style>',
             f"<h3>{esc(title)}</h3>", view_html(headline)]
    if chart is not None:
        parts.append(figure(*chart))
    parts.append("</div>")
    return "\n".join(parts)


#: The card's styles, scoped to it so a notebook's own styles are untouched.
CARD_STYLE = """
.pbr-result table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.pbr-result th, .pbr-result td { padding: .15rem .5rem; }
.pbr-result td.r, .pbr-result th.r { text-align: right; white-space: nowrap; }
.pbr-result .note { color: #57606a; font-size: .85em; white-space: pre-wrap; }
.pbr-result p.lines { white-space: pre-wrap; }
.pbr-result figure svg { max-width: 100%; height: auto; }
"""
