"""`ReportTable`: a report's rows as `Report.display_rows()` formats them (yuan with two
decimals, percents, hours), numbers right-aligned; the column titles are the report's."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.reports.model import Report


class ReportTable(DataTable[Text]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self.rows_shown: list[list[str]] = []  # what the table holds, as text

    def show(self, report: Report | None) -> None:
        self.clear(columns=True)
        self.rows_shown = report.display_rows() if report is not None else []
        if report is None:
            return
        right = [c.kind != "text" for c in report.columns]
        for column, to_right in zip(report.columns, right, strict=True):
            self.add_column(Text(column.title, justify="right" if to_right else "left"))
        self.add_rows(
            [
                Text(cell, justify="right" if to_right else "left")
                for cell, to_right in zip(row, right, strict=True)
            ]
            for row in self.rows_shown
        )
