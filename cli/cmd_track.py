"""`orderhub track set|import|template|scan` — tracking numbers typed by hand (回填单号).

For parcels whose waybill was not drawn by orderhub: a pre-printed roll, a courier's own
app. Every number is checked against its carrier's pattern (a warning) and refused if
another active package has it (named, with its orders).

  orderhub track set --order 261127-1 --account 顺丰 SF1234567890123
  orderhub track import numbers.xlsx [--partial] [--dry-run]
  orderhub track template [--xlsx] [-o FILE]
  orderhub track scan --account 顺丰      # a scanner: order (or P<package id>), then number

`import` writes nothing when a row is wrong, unless `--partial`. `scan` reads lines from
standard input (a scanner types a burst of characters and Enter); an empty line or end of
input stops it. Exit status: 0 when everything asked was stored, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.common import (
    EXIT_ERROR,
    acting_actor,
    add_actor_options,
    emit,
    file_path,
    open_cli_app,
    record_id,
)
from core.shipping.tracking import TrackingResult, set_tracking_number
from core.shipping.tracking_file import TrackingFileReport, import_tracking, template
from core.shipping.tracking_scan import open_tracking_scanner


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "track",
        help="tracking numbers typed, imported or scanned (回填单号)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    one = verbs.add_parser("set", help="give one package a tracking number")
    which = one.add_mutually_exclusive_group(required=True)
    which.add_argument("--order", metavar="ORDER_NO", help="the order (its one package)")
    which.add_argument("--package", type=record_id, metavar="ID", help="the package id")
    one.add_argument("--account", required=True, help="carrier account (name or id)")
    one.add_argument("number", metavar="TRACKING_NUMBER")
    one.set_defaults(handler=_set)

    batch = verbs.add_parser("import", help="tracking numbers from a CSV or XLSX file")
    batch.add_argument("file", type=file_path, metavar="FILE")
    batch.add_argument("--partial", action="store_true", help="keep the good rows")
    batch.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    batch.set_defaults(handler=_import)

    tpl = verbs.add_parser("template", help="write the import file's template")
    tpl.add_argument("--xlsx", action="store_true", help="an Excel workbook (default CSV)")
    tpl.add_argument("-o", "--output", type=file_path, help="file to write (default: stdout)")
    tpl.set_defaults(handler=_template)

    scan = verbs.add_parser("scan", help="scan order, then tracking number, repeatedly")
    scan.add_argument("--account", required=True, help="carrier account (name or id)")
    scan.set_defaults(handler=_scan)

    for name, p in verbs.choices.items():
        if name != "template":
            add_actor_options(p)


def _result(r: TrackingResult) -> dict[str, object]:
    return {
        "package_id": r.package_id,
        "orders": list(r.order_numbers),
        "number": r.number,
        "carrier_code": r.carrier_code,
        "account": r.account,
        "outcome": r.outcome,
        "warning": r.warning,
        "replaced": r.replaced,
    }


def _set(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    result = set_tracking_number(
        app, actor, args.number, args.account, order_number=args.order, package_id=args.package
    )
    data = _result(result)
    if getattr(args, "json", False):
        emit(args, data)
        return 0
    print(
        f"{result.outcome}: package {result.package_id} ({', '.join(result.order_numbers)}) "
        f"← {result.carrier_code} {result.number}"
        + (f" (replaces {result.replaced})" if result.replaced else "")
    )
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    with Path(args.file).open("rb") as stream:
        report = import_tracking(
            app,
            actor,
            stream,
            filename=Path(args.file).name,
            partial=args.partial,
            dry_run=args.dry_run,
        )
    _show_report(args, report)
    if args.dry_run:
        return 0 if not report.invalid else EXIT_ERROR
    return 0 if report.written and not report.invalid else EXIT_ERROR


def _show_report(args: argparse.Namespace, report: TrackingFileReport) -> None:
    data = {
        "file": report.filename,
        "rows": report.rows,
        "valid": report.valid,
        "invalid": report.invalid,
        "stored": report.stored,
        "written": report.written,
        "dry_run": report.dry_run,
        "partial": report.partial,
        "packed_orders": report.packed_orders,
        "results": [{"row": n, **_result(r)} for n, r in report.results],
        "issues": [
            {"row": i.row, "column": i.column, "severity": i.severity, "message": i.message}
            for i in report.issues
        ],
        "issues_left_off": report.issues_left_off,
    }
    if getattr(args, "json", False):
        emit(args, data)
        return
    for issue in report.issues:
        column = f" [{issue.column}]" if issue.column else ""
        print(f"row {issue.row}{column} {issue.severity}: {issue.message}")
    if report.issues_left_off:
        print(f"… and {report.issues_left_off} more issues")
    if report.dry_run:
        verdict = "dry run: nothing written"
    elif report.written:
        verdict = f"written: {report.stored} numbers stored"
    else:
        verdict = "nothing written (fix the rows above, or import with --partial)"
    print(
        f"{report.rows} rows: {report.valid} valid, {report.invalid} invalid — {verdict}",
        file=sys.stderr,
    )


def _template(args: argparse.Namespace) -> int:
    content = template("xlsx" if args.xlsx else "csv")
    if args.output:
        Path(args.output).write_bytes(content)
        print(f"template written to {args.output}", file=sys.stderr)
        return 0
    if args.xlsx and sys.stdout.isatty():
        print("orderhub: error: a workbook is binary: write it with -o FILE", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.flush()
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()
    return 0


def _scan(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    scanner = open_tracking_scanner(app, actor, args.account)
    as_json = getattr(args, "json", False)
    if not as_json:
        print(
            f"回填单号 · {scanner.account}：扫订单号，再扫快递单号；空行结束 / scan an order, "
            "then its tracking number; an empty line ends",
            flush=True,
        )
    for line in sys.stdin:
        if not line.strip():
            break
        answer = scanner.feed(line)
        if as_json:
            emit_line(
                {
                    "ok": answer.ok,
                    "kind": answer.kind,
                    "message": answer.message,
                    "result": _result(answer.result) if answer.result else None,
                }
            )
        else:
            print(answer.message, flush=True)
    summary = f"{scanner.stored} stored, {scanner.failed} failed"
    if scanner.pending is not None:
        summary += f", {scanner.pending.label()} left without a number"
    print(f"回填结束 / done: {summary}", file=sys.stderr)
    return 0 if not scanner.failed and scanner.pending is None else EXIT_ERROR


def emit_line(data: dict[str, object]) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)
