"""`orderhub report`: the reports (报表) as a table, CSV, XLSX or a PNG chart.

    orderhub report list
    orderhub report orders --from 2026-11-01 --to 2026-11-30 --by shop
    orderhub report shipped --from 2026-11-01 --to 2026-11-30 --png shipped.png
    orderhub report shipping-cost --from 2026-11-01 --to 2026-11-30 --by province --xlsx 运费.xlsx
    orderhub report handling --by week --shop 旗舰店 --csv handling.csv

Days are Asia/Shanghai days, both included; without --from/--to the last 30 days up to
today. Money columns (amounts, costs, values) are shown only to users with finance.view;
for others they are left out and the output says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import acting_actor, add_actor_options, emit, file_path, open_cli_app
from core.reports import catalog, output
from core.reports.model import Report


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="reports: orders, shipments, exceptions, carriers, costs, times, prints, stock",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "name", metavar="NAME", help=f"list, or one of: {', '.join(catalog.REPORTS)}"
    )
    parser.add_argument("--from", dest="first", metavar="DATE", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", metavar="DATE", help="last day, included")
    parser.add_argument("--by", metavar="GROUPING", help="day, week, month, shop, … (report list)")
    parser.add_argument("--shop", help="only this shop (name or id)")
    parser.add_argument("--csv", type=file_path, metavar="FILE", help="write the table as CSV")
    parser.add_argument("--xlsx", type=file_path, metavar="FILE", help="write the table as XLSX")
    parser.add_argument("--png", type=file_path, metavar="FILE", help="draw the chart as PNG")
    add_actor_options(parser)
    parser.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.name.strip().lower() == "list":
        return _list(args)
    info = catalog.report_info(args.name)  # a bad name fails before the database opens
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    report = catalog.run_report(
        app, actor, info.name, args.first, args.last, by=args.by, shop=args.shop
    )
    written = _write_files(args, report)
    if written and not getattr(args, "json", False):
        for line in written:
            print(line)
        _footer(report)
        return 0
    data = {
        "report": report.name,
        "title": report.title,
        "from": report.period.first.isoformat(),
        "to": report.period.last.isoformat(),
        "by": report.by,
        "columns": [c.key for c in report.columns],
        "titles": report.titles,
        "rows": [
            dict(zip([c.key for c in report.columns], row, strict=True))
            for row in report.export_rows()
        ],
        "hidden": list(report.hidden),
        "notes": list(report.notes),
    }
    if not getattr(args, "json", False):
        print(f"{report.title}  {report.period}  (by {report.by})")
    emit(args, data, report.display_rows(), report.titles)
    if not getattr(args, "json", False):
        _footer(report)
    return 0


def _footer(report: Report) -> None:
    for note in report.notes:
        print(f"note: {note}")
    if report.hidden:
        print(f"hidden without finance.view: {', '.join(report.hidden)}")


def _write_files(args: argparse.Namespace, report: Report) -> list[str]:
    lines = []
    for fmt in ("csv", "xlsx"):
        path: Path | None = getattr(args, fmt)
        if path is not None:
            with path.open("wb") as out:
                rows = output.write_report(report, out, fmt)  # type: ignore[arg-type]
            lines.append(f"wrote {rows} rows to {path}")
    if args.png is not None:
        output.save_png(report, args.png)
        lines.append(f"drew the chart in {args.png}")
    return lines


def _list(args: argparse.Namespace) -> int:
    data = [
        {
            "name": info.name,
            "title": info.title,
            "by": list(info.groupings),
            "money": info.money,
            "shop": info.shop_filter,
        }
        for info in catalog.REPORTS.values()
    ]
    rows = [
        (
            info.name,
            info.title,
            " | ".join(info.groupings),
            "finance.view" if info.money else "",
            "yes" if info.shop_filter else "",
        )
        for info in catalog.REPORTS.values()
    ]
    emit(args, data, rows, ("NAME", "TITLE", "BY (first: default)", "MONEY", "--shop"))
    return 0
