"""`ReportChart`: a report's chart in the terminal, drawn by plotext (textual-plotext).

It draws what `Report.chart_data()` gives — labels and float series, the same data the
PNG export hands to matplotlib — as the kind it names: `bar` (several series side by
side), `stacked`, `line`, `barh` (biggest on top) and `pie`. plotext has no pie, so a
pie is drawn as horizontal bars of each label's share in percent: the same reading
(who has how much of the whole) in a form a character grid draws legibly.

Wide characters: plotext lays out text one character per cell, but a Chinese character
takes two terminal cells, so a shop name such as 旗舰店 would push the rest of its line
(the frame, the next tick labels) three cells to the right. Every wide character is
given to plotext followed by a private-use placeholder (`MARK`), so plotext reserves two
cells for it, and the placeholders are taken out of plotext's output before it is shown
(`_Plot.build`): every line is then exactly the widget's width. Labels are also cut to
a width (with …), day labels within one year lose the year, and a long axis shows every
n-th label only, so labels never run into each other.
"""

from __future__ import annotations

import math
import re

from rich.cells import cell_len
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from core.reports.model import ChartData
from tui.i18n import t

MARK = "\ue000"  # private use: never in a label, one plotext cell, taken out after drawing
ELLIPSIS = "…"
CHART_ROWS = 20  # bars of a horizontal chart at most, as the PNG export draws
TICK_CELLS = 10  # an x label at most (a day is 5 cells once its year is dropped)
SIDE_CELLS = 14  # a label of a horizontal chart at most
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def plotext_text(text: str) -> str:
    """`text` as plotext must be given it: a placeholder after each wide character."""
    return "".join(ch + MARK if cell_len(ch) == 2 else ch for ch in text)


def cut(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells, ending with … when it was cut."""
    if cell_len(text) <= cells:
        return text
    kept = ""
    for ch in text:
        if cell_len(kept + ch) > cells - 1:
            break
        kept += ch
    return kept + ELLIPSIS


def short_labels(labels: list[str], cells: int) -> list[str]:
    """Labels fit for an axis: days of one year as MM-DD, anything longer cut."""
    one_year = len({label[:4] for label in labels}) == 1
    if labels and one_year and all(DAY.match(label) for label in labels):
        labels = [label[5:] for label in labels]
    return [cut(label, cells) for label in labels]


def tick_step(count: int, label_cells: int, width: int) -> int:
    """Show every n-th of `count` labels so that each has its width and two cells apart."""
    room = max(width - 10, 1)  # the y axis' numbers and the frame
    fits = max(room // (label_cells + 2), 1)
    return max(math.ceil(count / fits), 1)


def whole_ticks(values: list[float], slots: int) -> list[int] | None:
    """Whole-number ticks 0 … top for a value axis of counts (plotext would label 0.50
    orders), at most `slots` of them; None when a value is not whole (money, hours)."""
    if not values or any(v != int(v) or v < 0 for v in values):
        return None
    top = int(max(values))
    if top == 0:
        return None
    step = max(math.ceil(top / max(slots - 1, 1)), 1)
    return list(range(0, top + step, step))


class _Plot(Plot):
    def build(self) -> str:  # type: ignore[override]
        return str(super().build()).replace(MARK, "")


class ReportChart(PlotextPlot):
    """The chart of the report shown; `show(data, title)` replaces it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plot = _Plot()
        self.data: ChartData | None = None
        self.chart_title = ""
        self.message = ""  # shown instead of a chart (no chart, no rows)
        self.ticks: list[str] = []  # the labels drawn on the axis, as drawn

    def show(self, data: ChartData | None, title: str, message: str = "") -> None:
        self.data, self.chart_title, self.message = data, title, message
        self.ticks = []
        if data is not None and data.labels:
            self._draw(data, self.size.width or 80, self.size.height or 20)
        self.refresh()

    def on_resize(self) -> None:
        if self.data is not None and self.data.labels:
            self._draw(self.data, self.size.width, self.size.height)

    def render(self) -> RenderResult:
        if self.data is None or not self.data.labels:
            return Text(self.message, justify="center", style="dim")
        return super().render()

    # ------------------------------------------------------------ drawing

    def _draw(self, data: ChartData, width: int, height: int) -> None:
        plt = self.plt
        plt.clear_figure()
        if data.kind in ("barh", "pie"):
            self._draw_side(data, width, height)
        else:
            self._draw_upright(data, width)
        single = len(data.series) == 1
        title = f"{self.chart_title} · {data.series[0][0]}" if single else self.chart_title
        if data.kind == "pie":
            title = f"{self.chart_title} · {t('reports.chart.share')}"
        plt.title(plotext_text(cut(title, max(width - 2, 10))))

    def _draw_upright(self, data: ChartData, width: int) -> None:
        plt = self.plt
        labels = short_labels(data.labels, TICK_CELLS)
        positions = list(range(1, len(labels) + 1))
        names = [plotext_text(cut(name, 24)) for name, _ in data.series]
        values = [list(v) for _, v in data.series]
        if data.kind == "line":
            for name, series in zip(names, values, strict=True):
                plt.plot(positions, series, label=name if len(names) > 1 else None)
        elif data.kind == "stacked" and len(values) > 1:
            plt.stacked_bar(positions, values, labels=names)
        elif len(values) > 1:
            plt.multiple_bar(positions, values, labels=names)
        else:
            plt.bar(positions, values[0])
        tops = [sum(v) for v in zip(*values, strict=True)] if data.kind == "stacked" else []
        ticks = whole_ticks(tops or [v for series in values for v in series], 6)
        if ticks is not None:
            plt.yticks(ticks)
        step = tick_step(len(labels), max(cell_len(label) for label in labels), width)
        shown = list(range(0, len(labels), step))
        self.ticks = [labels[i] for i in shown]
        plt.xticks([positions[i] for i in shown], [plotext_text(labels[i]) for i in shown])

    def _draw_side(self, data: ChartData, width: int, height: int) -> None:
        plt = self.plt
        rows = min(CHART_ROWS, max(height - 4, 3))
        _, values = data.series[0]
        labels = list(data.labels)
        if data.kind == "pie":
            total = sum(values) or 1.0
            values = [round(v * 100 / total, 1) for v in values]
        labels, values = labels[:rows], values[:rows]
        cells = min(SIDE_CELLS, max(width // 4, 6))
        if data.kind == "pie":
            pairs = zip(labels, values, strict=True)
            labels = [f"{cut(label, cells - 4)} {v:.0f}%" for label, v in pairs]
        else:
            labels = [cut(label, cells) for label in labels]
        self.ticks = labels
        ticks = whole_ticks(values, max(width // 12, 2))
        if ticks is not None and data.kind != "pie":
            plt.xticks(ticks)
        # plotext puts the first bar at the bottom; the reports sort the biggest first
        plt.bar(
            [plotext_text(label) for label in reversed(labels)],
            list(reversed(values)),
            orientation="horizontal",
        )
