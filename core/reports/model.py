"""What every report returns: a typed table with what a chart of it needs.

A `Report` is data, not text: columns with their kind (count, money in fen, percent,
hours), rows of plain values, and a `Chart` naming the label column and the series
columns. Front ends format it (`display_rows`), exports write `export_rows` (money as
yuan numbers, so a spreadsheet can sum them), and `chart_data` gives labels and series
as lists of floats, which matplotlib (core.reports.output) and a terminal chart
(textual-plotext) both draw directly.

Money columns need `finance.view`: without it they are left out of the report, not
refused (every report has something to show without money), and `hidden` names them so
front ends can say why they are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from core.money import fen_to_yuan_text
from core.reports.period import Period

Value = str | int | float | date | None
KINDS = ("text", "count", "fen", "percent", "hours", "kg", "rate")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "count"  # one of KINDS; "fen" columns are money (finance.view)

    @property
    def money(self) -> bool:
        return self.kind == "fen"


@dataclass(frozen=True)
class Chart:
    kind: str  # bar | stacked | line | pie
    x: str  # key of the label column
    y: tuple[str, ...]  # keys of the series columns (those hidden are left out)


@dataclass(frozen=True)
class ChartData:
    kind: str
    title: str
    labels: list[str]
    series: list[tuple[str, list[float]]]  # (name, one value per label)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    period: Period
    by: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    chart: Chart | None = None
    hidden: tuple[str, ...] = ()  # titles of the money columns left out
    notes: tuple[str, ...] = field(default=())

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.columns]

    def values(self, key: str) -> list[Value]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def display_rows(self) -> list[list[str]]:
        """Rows as text for a terminal table: yuan with two decimals, percents, hours."""
        return [[_shown(c, v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows]

    def export_rows(self) -> list[list[Value]]:
        """Rows for CSV/XLSX: numbers stay numbers, money as yuan (2 decimals)."""
        return [
            [_exported(c, v) for c, v in zip(self.columns, row, strict=True)] for row in self.rows
        ]

    def export_titles(self) -> list[str]:
        return [f"{c.title} (元)" if c.money else c.title for c in self.columns]

    def chart_data(self) -> ChartData | None:
        """Labels and series of the chart, or None when the report has no chart (or every
        series is hidden)."""
        if self.chart is None:
            return None
        keys = [c.key for c in self.columns]
        shown = [k for k in self.chart.y if k in keys]
        if not shown or self.chart.x not in keys:
            return None
        labels = [str(v) for v in self.values(self.chart.x)]
        series = []
        for key in shown:
            column = self.columns[keys.index(key)]
            scale = 100 if column.money else 1
            name = f"{column.title} (元)" if column.money else column.title
            series.append((name, [float(v or 0) / scale for v in self.values(key)]))
        return ChartData(self.chart.kind, self.title, labels, series)


def build(
    name: str,
    title: str,
    period: Period,
    by: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Value]],
    *,
    money: bool,
    chart: Chart | None = None,
    notes: Sequence[str] = (),
) -> Report:
    """The report, without its money columns when the reader lacks finance.view."""
    keep = [i for i, c in enumerate(columns) if money or not c.money]
    hidden = tuple(c.title for c in columns if c.money and not money)
    return Report(
        name=name,
        title=title,
        period=period,
        by=by,
        columns=tuple(columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in rows),
        chart=chart,
        hidden=hidden,
        notes=tuple(notes),
    )


def _shown(column: Column, value: Value) -> str:
    if value is None:
        return "—"
    if column.kind == "fen":
        return fen_to_yuan_text(int(value))  # type: ignore[arg-type]
    if column.kind == "percent":
        return f"{float(value):.1f} %"  # type: ignore[arg-type]
    if column.kind == "hours":  # the middle of a half-hour bin: 14.75
        return f"{float(value):.2f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return str(value)


def _exported(column: Column, value: Value) -> Value:
    if value is None:
        return None
    if column.kind == "fen":
        return round(int(value) / 100, 2)  # type: ignore[arg-type]
    if column.kind == "percent":
        return round(float(value), 1)  # type: ignore[arg-type]
    if column.kind == "hours":
        return round(float(value), 2)  # type: ignore[arg-type]
    return value
