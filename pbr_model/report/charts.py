"""The HTML report's charts: matplotlib figures rendered to inline SVG.

Why matplotlib: it is the most widely used and longest-kept plotting library in
scientific Python, draws the whole chart at write time (no JavaScript runtime in the
page, so nothing to fetch, nothing to fail in the browser's console) and writes SVG that
scales, prints and stays small. It is imported here only, inside the functions, so a
command that writes no HTML never loads it.

Each function takes the figures a result already has (monthly percentiles, per-simulation
values, a curve) and draws them; none computes a figure the analyses do not, except
the bars of a histogram (:func:`pbr_model.report.run_sheets.histogram`, the workbook's).
The SVG is the same bytes for the same figures: no date in it, and its element ids come
from a fixed salt (``svg.hashsalt``) and the chart's key, so two charts on a page never
share an id.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
from typing import Callable, Sequence

import numpy as np

from .format import money

#: Colours: one blue for the contract's figures, and a few for parties and series.
BLUE, DARK, RED, GREY = "#2b6cb0", "#1a365d", "#c53030", "#718096"
PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f"]

#: matplotlib settings for every chart: text kept as text (small, searchable), system
#: sans-serif fonts, no date in the file.
RC = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10,
      "font.family": "sans-serif",
      "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
      "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
      "grid.color": "#e2e8f0", "grid.linewidth": 0.6, "legend.frameon": False,
      "legend.fontsize": 8}


def styled(draw: Callable[..., str]) -> Callable[..., str]:
    """Run a chart function under :data:`RC` (matplotlib's settings are read as each
    element is made, so the whole drawing runs inside them; nothing global changes)."""
    @functools.wraps(draw)
    def run(*args, **kwargs) -> str:
        import matplotlib
        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)
    return run


def new_figure(width: float = 9.0, height: float = 3.6, rows: int = 1, cols: int = 1,
               **kwargs):
    """A matplotlib ``Figure`` (no pyplot, so no global state or GUI) and its axes."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)


def to_svg(fig, key: str) -> str:
    """``fig`` as an inline ``<svg>`` element: no XML prolog, no metadata, no namespace
    declarations (HTML needs none), ids salted with ``key``."""
    import matplotlib
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"pbr-{key}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None,
                                                    "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"^\s*<!--.*?-->\s*$", "", svg, flags=re.M)
    svg = _unique_ids(svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{key}" ', 1).strip()


def _unique_ids(svg: str) -> str:
    """Every id in ``svg`` (and every reference to one) prefixed by a digest of the chart:
    matplotlib names each chart's parts ``figure_1``, ``axes_1``... and its clip paths from
    ``svg.hashsalt``, so two charts on one page (or two results' cards in one notebook)
    would share ids, and one chart could clip to another's path. Same chart, same bytes."""
    tag = "c" + hashlib.sha256(svg.encode()).hexdigest()[:10] + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{tag}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{tag}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{tag}{m.group(1)}"', svg)


def _money_axis(ax, currency: str, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    which = ax.yaxis if axis == "y" else ax.xaxis
    which.set_major_formatter(FuncFormatter(lambda v, _pos: money(v, currency)))
    if axis == "x":  # money labels are wide: fewer of them, so they never overlap
        which.set_major_locator(MaxNLocator(nbins=4))


def _pct_axis(ax, axis: str = "y", decimals: int | None = None) -> None:
    from matplotlib.ticker import PercentFormatter
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(
        PercentFormatter(1.0, decimals=decimals))


def _fan(ax, months: np.ndarray, band: dict, colour: str, label: str = "") -> None:
    """A band from P5 to P95, the median as a line and the mean dashed."""
    ax.fill_between(months, band["p5"], band["p95"], color=colour, alpha=0.18, lw=0,
                    label=f"{label}P5 to P95")
    ax.plot(months, band["p50"], color=colour, lw=1.8, label=f"{label}P50 (median)")
    if "mean" in band:
        ax.plot(months, band["mean"], color=colour, lw=1, ls="--", label=f"{label}mean")
    ax.axhline(0, color=GREY, lw=0.8)


@styled
def cash_fan(months: np.ndarray, band: dict, currency: str, *,
             need: tuple[float, str] | None = None,
             limit: tuple[float, str] | None = None, key: str = "cash") -> str:
    """Cumulative cash by month: the P5 to P95 band, P50 and mean (``band``: arrays by
    those keys), with the median peak funding need marked as a level (``need``: the cash
    level, below zero, and its label) and an available-funds line (``limit``: a level below
    zero and its label)."""
    fig, axes = new_figure()
    ax = axes[0][0]
    _fan(ax, months, band, BLUE)
    if limit is not None and limit[0] < 0:
        ax.axhline(limit[0], color=RED, lw=1, ls=":", label=limit[1])
    if need is not None and need[0] < 0:
        ax.axhline(need[0], color=RED, lw=1.2, ls="--", label=need[1])
    ax.set_xlabel("Month from contract start")
    ax.set_ylabel(f"Cumulative cash ({currency})")
    _money_axis(ax, currency)
    ax.legend(loc="best")
    return to_svg(fig, key)


@styled
def party_panels(panels: Sequence[tuple[str, np.ndarray, dict, float | None]],
                 currency: str, key: str = "parties") -> str:
    """One panel per party, each on its own scale (a charity's line never vanishes beside a
    prime a hundred times larger): ``(name, months, band, available)`` with the balance's
    P5 to P95 band, P50 and mean, and ``-available`` (reserves and credit) dotted."""
    n = len(panels)
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    fig, axes = new_figure(9.0, 2.9 * rows, rows, cols, sharex=True)
    flat = [ax for row in axes for ax in row]
    for i, (name, months, band, available) in enumerate(panels):
        ax = flat[i]
        _fan(ax, months, band, PALETTE[i % len(PALETTE)])
        if available is not None and available > 0:
            ax.axhline(-available, color=RED, lw=1, ls=":", label="-(reserves + credit)")
        ax.set_title(name, loc="left")
        _money_axis(ax, currency)
        if i == 0:
            ax.legend(loc="best")
    for ax in flat[n:]:
        ax.set_visible(False)
    for ax in flat[-cols:]:
        ax.set_xlabel("Month from contract start")
    return to_svg(fig, key)


@styled
def histograms(series: Sequence[tuple[str, np.ndarray, str]], currency: str,
               key: str = "hist") -> str:
    """A panel per ``(title, values, kind)``: the share of simulations in each of the
    workbook's bars; ``kind`` ``"money"`` or ``"pct"`` for the x axis. NaN is left out."""
    from .run_sheets import histogram
    n = len(series)
    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = new_figure(9.0, 2.6 * rows, rows, cols)
    flat = [ax for row in axes for ax in row]
    for i, (title, values, kind) in enumerate(series):
        ax = flat[i]
        counts, edges = histogram(values)
        if counts.size:
            total = counts.sum()
            widths = np.diff(edges)
            widths = np.where(widths > 0, widths, max(abs(edges[0]) * 0.02, 1e-9))
            ax.bar(edges[:-1], counts / total, width=widths, align="edge", color=BLUE,
                   edgecolor="white", lw=0.3)
        else:
            ax.text(0.5, 0.5, "no simulation has a value", ha="center", va="center",
                    transform=ax.transAxes, color=GREY)
        ax.set_title(title, loc="left")
        _pct_axis(ax, "y", 0)
        if kind == "pct":
            _pct_axis(ax, "x")
        else:
            _money_axis(ax, currency, "x")
        ax.set_ylabel("Share of simulations")
    for ax in flat[n:]:
        ax.set_visible(False)
    return to_svg(fig, key)


@styled
def power_curves(effects: np.ndarray, probs: Sequence[tuple[str, np.ndarray]],
                 money_lines: Sequence[tuple[str, np.ndarray]], currency: str, *,
                 break_even: float | None, for_90: float | None, key: str = "power") -> str:
    """Two panels against the true effect: the chances (``probs``) with the 90% line and
    the effect that reaches it, and expected payments and net (``money_lines``) with the
    break-even effect marked where expected net crosses zero."""
    fig, axes = new_figure(9.0, 3.4, 1, 2)
    left, right = axes[0]
    for i, (label, values) in enumerate(probs):
        left.plot(effects, values, marker="o", ms=3, color=PALETTE[i % len(PALETTE)],
                  label=label)
    left.axhline(0.9, color=GREY, lw=0.8, ls=":")
    if for_90 is not None:
        left.axvline(for_90, color=RED, lw=1, ls="--", label=f"90% at {_pct(for_90)}")
    left.set_ylim(0, 1.02)
    _pct_axis(left, "y", 0)
    left.set_title("Chance of being paid", loc="left")
    for i, (label, values) in enumerate(money_lines):
        right.plot(effects, values, marker="o", ms=3, color=PALETTE[i % len(PALETTE)],
                   label=label)
    right.axhline(0, color=GREY, lw=0.8)
    if break_even is not None:
        right.axvline(break_even, color=RED, lw=1, ls="--",
                      label=f"break-even at {_pct(break_even)}")
    _money_axis(right, currency)
    right.set_title(f"Expected payments and net ({currency})", loc="left")
    for ax in (left, right):
        _pct_axis(ax, "x")
        ax.set_xlabel("True effect (relative reduction)")
        ax.legend(loc="best")
    return to_svg(fig, key)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


@styled
def trials_chart(values: np.ndarray, nets: np.ndarray, losses: np.ndarray, currency: str,
                 parameter: str, show: Callable[[float], str], *, answer: float | None,
                 current: float | None, key: str = "trials") -> str:
    """Every value breakeven tried: expected net (left) and P(loss) (right) against the
    value, the trials numbered in order, the answer and the spec as it stands marked."""
    from matplotlib.ticker import FuncFormatter
    fig, axes = new_figure(9.0, 3.4, 1, 2)
    order = np.argsort(values, kind="stable")
    for ax, ys, title in ((axes[0][0], nets, "Expected net"), (axes[0][1], losses, "P(loss)")):
        ax.plot(values[order], ys[order], color=GREY, lw=0.8)
        ax.plot(values, ys, marker="o", ms=5, color=BLUE, ls="none", label="value tried")
        for i, (x, y) in enumerate(zip(values, ys), 1):
            ax.annotate(str(i), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7,
                        color=DARK)
        if answer is not None:
            ax.axvline(answer, color=RED, lw=1.2, ls="--", label=f"answer {show(answer)}")
        if current is not None:
            ax.axvline(current, color=GREY, lw=1, ls=":", label=f"spec now {show(current)}")
        ax.set_title(title, loc="left")
        ax.set_xlabel(parameter)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: show(v)))
        ax.legend(loc="best")
    axes[0][0].axhline(0, color=GREY, lw=0.8)
    _money_axis(axes[0][0], currency)
    _pct_axis(axes[0][1], "y", 0)
    return to_svg(fig, key)


@styled
def cohort_bars(cohorts: np.ndarray, payments: Sequence[tuple[str, np.ndarray]],
                changes: Sequence[tuple[str, np.ndarray]], currency: str,
                key: str = "cohorts") -> str:
    """Per cohort: each mechanism's payment (bars side by side, left) and each measure's
    change, treated minus comparison (right)."""
    panels = 2 if changes else 1
    fig, axes = new_figure(9.0, 3.2, 1, panels)
    left = axes[0][0]
    n = max(len(payments), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(payments):
        left.bar(cohorts + (i - (n - 1) / 2) * width, values, width=width,
                 color=PALETTE[i % len(PALETTE)], label=label)
    left.axhline(0, color=GREY, lw=0.8)
    if not any(np.any(values != 0) for _, values in payments):  # all nil: one tick at zero
        left.set_ylim(-1, 1)
        left.set_yticks([0])
    left.set_title(f"Outcome payment by cohort ({currency})", loc="left")
    _money_axis(left, currency)
    for ax in axes[0]:
        ax.set_xlabel("Cohort")
        ax.set_xticks(cohorts)
    if changes:
        right = axes[0][1]
        for i, (label, values) in enumerate(changes):
            right.plot(cohorts, values, marker="o", color=PALETTE[i % len(PALETTE)],
                       label=label)
        right.axhline(0, color=GREY, lw=0.8)
        right.set_title("Measured change (treated minus comparison)", loc="left")
        right.legend(loc="best")
    if payments:
        left.legend(loc="best")
    return to_svg(fig, key)
