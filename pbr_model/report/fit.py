"""Terminal tables that never cut a figure, at any width.

rich shrinks a table too wide for the terminal by cutting its cells to ``…``: a money
column at 80 columns (the width of a pipe, of most terminals) loses its digits.
:class:`FitTable` takes the same ``add_column``/``add_row`` calls as ``rich.table.Table``
and lays itself out when printed, at the console's width:

* every column gets the width of its longest line when that fits;
* else the columns that can wrap (text, headers of several words) are narrowed, the widest
  first, never below their longest word, so a figure (one word, ``£55.26m``) is never split;
* else the columns are printed as several tables one after the other, each repeating the
  first ``keys`` columns (the row labels), so each row's figures read across;
* a single word wider than the whole screen (a long name or path) folds onto the next line
  rather than being cut.

So a table prints whole at 80 columns and through a pipe (rich's width there is 80, or
``COLUMNS``), and a wider terminal shows it as one table.
"""

from __future__ import annotations

from typing import Any

from rich import box as boxes
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


class FitTable:
    """A table laid out at print time so that no cell is cut (see the module notes).

    Parameters
    ----------
    keys : how many leading columns label a row; repeated in each part when the table is
        split across widths
    **table : ``rich.table.Table`` keywords (``title``, ``caption``, ``box``, ...); the
        title opens each part (``(continued)`` after the first) and the caption closes the
        last, each across the screen and left-aligned
    """

    def __init__(self, *, keys: int = 1, **table: Any) -> None:
        self.keys, self.table = keys, table
        self.columns: list[tuple[Any, dict]] = []
        self.rows: list[tuple[tuple, dict]] = []

    def add_column(self, header: Any = "", **kwargs: Any) -> None:
        """As ``Table.add_column``; cells fold (never ``…``) if a word is wider than the screen."""
        kwargs.setdefault("overflow", "fold")
        self.columns.append((header, kwargs))

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        """As ``Table.add_row``."""
        self.rows.append((cells, kwargs))

    def whole(self) -> Table:
        """The table as one ``rich.table.Table``, every column, title and caption (for
        views that are not a terminal's: the HTML page)."""
        table = Table(**self.table)
        for header, kw in self.columns:
            table.add_column(header, **kw)
        for cells, kw in self.rows:
            table.add_row(*cells, **kw)
        return table

    def _sizes(self, console: Console, options: ConsoleOptions) -> list[tuple[int, int]]:
        """Each column's (narrowest, widest) content width: its longest word, its longest line."""
        sizes = []
        for i, (header, kw) in enumerate(self.columns):
            cells = [header if self.table.get("show_header", True) else ""]
            cells += [c[i] for c, _ in self.rows if i < len(c)]
            m = [Measurement.get(console, options, c if c is not None else "") for c in cells]
            low, high = max(x.minimum for x in m), max(x.maximum for x in m)
            if kw.get("no_wrap"):
                low = high
            low, high = max(low, kw.get("min_width") or 0), max(high, kw.get("min_width") or 0)
            sizes.append((low, max(low, high)))
        return sizes

    def _overhead(self, n: int) -> int:
        """Characters a table of ``n`` columns spends on padding and rules (an upper bound)."""
        padding = self.table.get("padding", (0, 1))
        pad = 2 * (padding if isinstance(padding, int) else padding[-1])
        rules = (n - 1) + 2 * bool(self.table.get("show_edge", True))
        if self.table.get("box", boxes.HEAVY_HEAD) is None:
            rules = 0
        return n * pad + rules

    def parts(self, width: int, sizes: list[tuple[int, int]]) -> list[list[int]]:
        """The column numbers of each part: one part when the narrowest layout fits."""
        keys = list(range(min(self.keys, len(sizes))))
        rest = list(range(len(keys), len(sizes)))
        parts, part = [], list(keys)
        for i in rest:
            trial = part + [i]
            if (len(part) > len(keys)
                    and sum(sizes[j][0] for j in trial) + self._overhead(len(trial)) > width):
                parts.append(part)
                part = keys + [i]
            else:
                part = trial
        parts.append(part)
        return parts

    def widths(self, width: int, sizes: list[tuple[int, int]], part: list[int]) -> list[int]:
        """Each column's width in ``part``: as wide as its longest line, then the widest
        wrapping columns narrowed one character at a time, never below their longest word
        (unless a word is wider than the room left: then the widest column that may wrap is
        narrowed and that word folds)."""
        have = max(width - self._overhead(len(part)), len(part))
        w = {j: sizes[j][1] for j in part}
        excess = sum(w.values()) - have
        while excess > 0:
            slack = [j for j in part if w[j] > sizes[j][0]]
            if not slack:
                break
            widest = max(slack, key=lambda j: w[j])
            w[widest] -= 1
            excess -= 1
        while excess > 0 and max(w.values()) > 1:  # a word wider than the room: it folds,
            folds = [j for j in part if w[j] > 1 and not self.columns[j][1].get("no_wrap")]
            w[max(folds or part, key=lambda j: w[j])] -= 1  # in a column that may wrap
            excess -= 1
        return [w[j] for j in part]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        sizes = self._sizes(console, options)
        parts = self.parts(width, sizes)
        # The title and caption span the screen, not a part's width (a narrow part would
        # wrap them mid-phrase).
        kw = dict(self.table)
        title, caption = kw.pop("title", None), kw.pop("caption", None)
        for key in ("title_justify", "caption_justify", "title_style", "caption_style"):
            kw.pop(key, None)
        for n, part in enumerate(parts):
            if title:
                yield Text(f"{title} (continued)" if n else str(title), style="table.title")
            table = Table(**kw)
            for j, w in zip(part, self.widths(width, sizes, part)):
                header, ckw = self.columns[j]
                table.add_column(header, **{**ckw, "width": w, "min_width": None})
            for cells, rkw in self.rows:
                table.add_row(*(cells[j] if j < len(cells) else "" for j in part), **rkw)
            yield table
        if caption:
            yield Text(str(caption), style="table.caption")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        sizes = self._sizes(console, options)
        keys = sizes[:self.keys]
        low = sum(s[0] for s in keys) + max((s[0] for s in sizes[self.keys:]), default=0)
        high = sum(s[1] for s in sizes) + self._overhead(len(sizes))
        return Measurement(min(low + self._overhead(self.keys + 1), options.max_width),
                           min(high, options.max_width))

