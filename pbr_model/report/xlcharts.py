"""Native workbook charts drawn so a spreadsheet application shows them right.

openpyxl's defaults leave a marker with no fill (LibreOffice draws nothing), let the axes
cross at zero (tick labels then sit over a negative series) and let a probability axis run
past 100%. These helpers set what a reader needs: tick labels along the bottom and the left
edge whatever the data's sign, markers filled and outlined in a colour, a line's colour and
width, bounds for a share axis, and axes Excel does not hide. openpyxl is imported only
when a chart is made.
"""

from __future__ import annotations

#: Colours of the series [RGB hex]: the median dark, the percentiles lighter and dashed.
DARK, LIGHT, ACCENT, SECOND = "1F4E79", "8FAADC", "C00000", "548235"


def axes(chart, x_title: str, y_title: str, *, y_format: str | None = None,
         y_min: float | None = None, y_max: float | None = None) -> None:
    """Titles, tick labels at the low end (below the plot, left of it: never over the
    data when values go negative), horizontal gridlines, optional number format and
    bounds of the value axis."""
    from openpyxl.chart.axis import ChartLines
    chart.x_axis.title, chart.y_axis.title = x_title, y_title
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False  # openpyxl 3.1 hides axes in Excel unless told
        axis.tickLblPos = "low"
    chart.y_axis.majorGridlines = ChartLines()
    if y_format:
        chart.y_axis.number_format = y_format
        chart.y_axis.numFmt.sourceLinked = False
    if y_min is not None:
        chart.y_axis.scaling.min = y_min
    if y_max is not None:
        chart.y_axis.scaling.max = y_max
    if chart.legend is not None:
        chart.legend.position = "b"


def line(series, color: str, width_pt: float = 1.75, dashed: bool = False) -> None:
    """A series drawn as a solid (or dashed) line of ``color``, with no markers."""
    props = series.graphicalProperties
    props.line.solidFill = color
    props.line.width = int(width_pt * 12700)  # EMU
    if dashed:
        props.line.dashStyle = "dash"
    series.marker.symbol = "none"
    series.smooth = False


def marker(series, color: str, symbol: str = "circle", size: int = 7) -> None:
    """A series drawn as markers only: filled and outlined in ``color``, no line."""
    marker_on_line(series, color, symbol, size)
    series.graphicalProperties.line.noFill = True
    series.smooth = False


def marker_on_line(series, color: str, symbol: str = "circle", size: int = 6) -> None:
    """Filled markers of ``color`` at each point of a line series (its line kept)."""
    from openpyxl.chart.shapes import GraphicalProperties
    series.marker.symbol = symbol
    series.marker.size = size
    series.marker.graphicalProperties = GraphicalProperties(solidFill=color)
    series.marker.graphicalProperties.line.solidFill = color


def fan(chart, colors: tuple[str, str] = (LIGHT, DARK)) -> None:
    """Percentile series (P5, P50, P95 in this order) as a fan: the median solid and
    dark, the outer two light and dashed."""
    outer, median = colors
    for k, series in enumerate(chart.series[:3]):
        line(series, median if k == 1 else outer, 2.25 if k == 1 else 1.25, dashed=k != 1)
