"""A report as a file: CSV or XLSX through the shared table writer, or a PNG chart.

Tables go through `core.tabular.writing` (streamed, UTF-8 with BOM, formula-like text
neutralised, money as yuan numbers). Charts are drawn by matplotlib's Agg canvas — no
display, no pyplot state — with the CJK font orderhub ships (`core.templates.fonts`), so
Chinese titles and labels render the same on a bare server as on a desktop. Bar and pie
charts of long reports show the first `CHART_ROWS` rows (the reports sort their biggest
first); the table and the exports always hold every row.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import BinaryIO, Literal

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.errors import ValidationError
from core.reports.model import ChartData, Report
from core.tabular.writing import write_table
from core.templates.fonts import FONT_PATH

CHART_ROWS = 20
FORMATS = ("csv", "xlsx", "png")


def write_report(report: Report, out: BinaryIO, fmt: Literal["csv", "xlsx"]) -> int:
    """The report's table into `out`; the number of rows written."""
    return write_table(
        out, fmt, report.export_titles(), report.export_rows(), sheet=report.name[:31]
    )


@cache
def font_name() -> str:
    """The bundled font's family name, registered with matplotlib once."""
    font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=str(FONT_PATH)).get_name()


def render_png(report: Report, out: BinaryIO, *, width_px: int = 1200, dpi: int = 100) -> None:
    """The report's chart as a PNG."""
    data = report.chart_data()
    if data is None:
        raise ValidationError(
            f"report {report.name} has nothing to chart"
            + (f" without {', '.join(report.hidden)} (finance.view)" if report.hidden else ""),
            field="png",
        )
    if not data.labels:
        raise ValidationError(f"report {report.name} has no rows in {report.period}", field="png")
    style = {"font.family": [font_name()], "axes.unicode_minus": False, "font.size": 10}
    with rc_context(style):
        figure = Figure(figsize=(width_px / dpi, width_px * 0.55 / dpi), dpi=dpi)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        _draw(axes, data)
        axes.set_title(f"{data.title}  {report.period}", fontsize=13)
        figure.tight_layout()
        figure.savefig(out, format="png")


def save_png(report: Report, path: Path) -> None:
    """The chart into `path`, which is written only once the chart is drawn (a report
    with nothing to chart leaves no empty file behind)."""
    drawn = io.BytesIO()
    render_png(report, drawn)
    path.write_bytes(drawn.getvalue())


def _draw(axes, data: ChartData) -> None:  # type: ignore[no-untyped-def]
    labels, series = data.labels, data.series
    if data.kind in ("barh", "pie") and len(labels) > CHART_ROWS:
        labels = labels[:CHART_ROWS]
        series = [(name, values[:CHART_ROWS]) for name, values in series]
    positions = list(range(len(labels)))
    if data.kind == "pie":
        name, values = series[0]
        axes.pie(values, labels=labels, autopct="%1.1f%%", startangle=90, counterclock=False)
        axes.axis("equal")
        return
    if data.kind == "line":
        for name, values in series:
            axes.plot(positions, values, label=name, linewidth=1.2)
    elif data.kind == "barh":
        name, values = series[0]
        axes.barh(positions, values, label=name)
        axes.set_yticks(positions, labels)
        axes.invert_yaxis()
        axes.legend(loc="lower right")
        return
    else:
        width = 0.8 / (1 if data.kind == "stacked" else len(series))
        bottom = [0.0] * len(labels)
        for index, (name, values) in enumerate(series):
            if data.kind == "stacked":
                axes.bar(positions, values, 0.8, bottom=bottom, label=name)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            else:
                offset = (index - (len(series) - 1) / 2) * width
                axes.bar([p + offset for p in positions], values, width, label=name)
    step = max(1, len(labels) // 24)
    axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
