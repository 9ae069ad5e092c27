"""`/v1/reports`: the reports (报表) by name, as JSON rows, a CSV or XLSX table, or a PNG
chart (`format=`).

Running one needs `report.view`. Money columns need `finance.view` too: without it core
leaves them out (never refuses), and the JSON's `hidden` names them, with
`hidden_needs` saying why; the files leave them out the same way. In JSON rows a money
column's key ends in `_fen` and holds integer fen (the files hold yuan, as a spreadsheet
sums them). Days are Asia/Shanghai days, both ends included; without `from` and `to` the
last 30 days up to today.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

import msgspec

from api.contract import Call, Operation, Raw
from core.reports import catalog, output
from core.reports.model import Report

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"

Value = str | int | float | None


class ReportSummary(msgspec.Struct):
    name: str
    title: str
    by: list[str]  # the groupings; the first is the default
    money: bool  # has money columns (shown with finance.view)
    shop: bool  # takes a shop filter


class ReportList(msgspec.Struct):
    items: list[ReportSummary]
    next_cursor: str | None = None


class ReportQuery(msgspec.Struct, forbid_unknown_fields=True):
    first: date | None = msgspec.field(default=None, name="from")  # YYYY-MM-DD, included
    last: date | None = msgspec.field(default=None, name="to")  # YYYY-MM-DD, included
    by: Annotated[str, msgspec.Meta(max_length=32)] | None = None  # default: the first
    shop: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # a shop's name or id
    format: Literal["json", "csv", "xlsx", "png"] = "json"


class ReportColumn(msgspec.Struct):
    key: str  # the row's key (money: ending in `_fen`)
    title: str
    kind: str  # text, count, fen (integer fen), percent, hours, kg, rate


class ReportTable(msgspec.Struct):
    report: str
    title: str
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    by: str
    columns: list[ReportColumn]
    rows: list[dict[str, Value]]
    hidden: list[str]  # titles of the money columns left out
    hidden_needs: str | None  # "finance.view" when some are hidden
    notes: list[str]


def _key(column_key: str, kind: str) -> str:
    return f"{column_key}_fen" if kind == "fen" else column_key


def _plain(value: object) -> Value:
    return value.isoformat() if isinstance(value, date) else value  # type: ignore[return-value]


def _table(report: Report) -> ReportTable:
    keys = [_key(c.key, c.kind) for c in report.columns]
    return ReportTable(
        report=report.name,
        title=report.title,
        first=report.period.first,
        last=report.period.last,
        by=report.by,
        columns=[
            ReportColumn(k, c.title, c.kind) for k, c in zip(keys, report.columns, strict=True)
        ],
        rows=[{k: _plain(v) for k, v in zip(keys, row, strict=True)} for row in report.rows],
        hidden=list(report.hidden),
        hidden_needs="finance.view" if report.hidden else None,
        notes=list(report.notes),
    )


def _list_reports(call: Call) -> ReportList:
    return ReportList(
        [
            ReportSummary(info.name, info.title, list(info.groupings), info.money, info.shop_filter)
            for info in catalog.REPORTS.values()
        ]
    )


def _run_report(call: Call) -> ReportTable | Raw:
    q: ReportQuery = call.query
    assert call.actor is not None
    report = catalog.run_report(
        call.app, call.actor, call.path["name"], q.first, q.last, by=q.by, shop=q.shop
    )
    if q.format == "json":
        return _table(report)
    out = io.BytesIO()
    stem = quote(f"{report.name}-{report.period.first}-{report.period.last}", safe="-")
    if q.format == "png":
        output.render_png(report, out)
        return Raw(out.getvalue(), PNG, filename=f"{stem}.png")
    output.write_report(report, out, q.format)
    return Raw(out.getvalue(), CSV if q.format == "csv" else XLSX, filename=f"{stem}.{q.format}")


OPERATIONS = (
    Operation(
        "GET",
        "/v1/reports",
        "The reports by name, with their groupings and whether they have money columns",
        _list_reports,
        ReportList,
        tags=("reports",),
    ),
    Operation(
        "GET",
        "/v1/reports/{name}",
        "Run a report: JSON rows, or format=csv|xlsx (the table) or png (the chart)",
        _run_report,
        ReportTable,
        query=ReportQuery,
        permission="report.view",
        errors=(404,),
        produces=(CSV, XLSX, PNG),
        tags=("reports",),
    ),
)
