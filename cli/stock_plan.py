"""`orderhub stock threshold|plan|replenish`: low-stock thresholds and the replenishment
report (registered by `cli/cmd_stock.py` under `orderhub stock`).

    orderhub stock threshold set CUP-500-RED 20 [--warehouse 主仓]   # 库存预警 at ≤ 20
    orderhub stock threshold clear CUP-500-RED [--warehouse 主仓]
    orderhub stock threshold list
    orderhub stock plan CUP-500-RED --lead-time 10 --safety 30        # per SKU
    orderhub stock replenish [--window 30] [--lead-time 7] [--review 7] [--warehouse 主仓]
    orderhub stock replenish --xlsx 补货建议.xlsx      # or --csv FILE (UTF-8 with BOM)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

from cli.common import acting_actor, add_actor_options, count, emit, file_path, open_cli_app
from core.errors import ValidationError
from core.money import fen_to_yuan_text
from core.stock import policies, replenishment


def register_verbs(verbs: argparse._SubParsersAction) -> None:
    threshold = verbs.add_parser("threshold", help="库存预警: low-stock thresholds per SKU")
    actions = threshold.add_subparsers(dest="action", metavar="ACTION", required=True)
    put = actions.add_parser("set", help="alert when available stock is at or below N")
    put.add_argument("code", metavar="CODE")
    put.add_argument("threshold", type=count, metavar="N")
    put.add_argument("--warehouse", help="only this warehouse (default: each warehouse)")
    put.set_defaults(handler=_threshold_set)
    clear = actions.add_parser("clear", help="remove a threshold")
    clear.add_argument("code", metavar="CODE")
    clear.add_argument("--warehouse")
    clear.set_defaults(handler=_threshold_clear)
    actions.add_parser("list", help="thresholds, lead times, safety stocks").set_defaults(
        handler=_policy_list
    )
    plan = verbs.add_parser("plan", help="a SKU's lead time and safety stock for replenishment")
    plan.add_argument("code", metavar="CODE")
    plan.add_argument("--lead-time", type=count, metavar="DAYS", help="omitted: the default")
    plan.add_argument("--safety", type=count, metavar="UNITS", help="omitted: the default")
    plan.add_argument("--warehouse", help="only this warehouse (default: every warehouse)")
    plan.set_defaults(handler=_plan)
    replenish = verbs.add_parser("replenish", help="补货建议: what to order, from sales velocity")
    replenish.add_argument("--window", type=count, metavar="DAYS", help="sales window (30)")
    replenish.add_argument("--lead-time", type=count, metavar="DAYS", help="default lead time")
    replenish.add_argument("--review", type=count, metavar="DAYS", help="review period (7)")
    replenish.add_argument("--safety", type=count, metavar="UNITS", help="default safety stock")
    replenish.add_argument("--warehouse")
    target = replenish.add_mutually_exclusive_group()
    target.add_argument("--csv", type=file_path, metavar="FILE", help="write CSV (UTF-8, BOM)")
    target.add_argument("--xlsx", type=file_path, metavar="FILE", help="write an XLSX workbook")
    replenish.set_defaults(handler=_replenish)
    for parser in (*actions.choices.values(), plan, replenish):
        add_actor_options(parser)


def _threshold_set(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = policies.set_threshold(
        app, acting_actor(app, args), args.code, args.threshold, warehouse=args.warehouse
    )
    _emit_policies(args, [found])
    return 0


def _threshold_clear(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    policies.clear_threshold(app, acting_actor(app, args), args.code, warehouse=args.warehouse)
    emit(args, {"cleared": args.code, "warehouse": args.warehouse})
    return 0


def _policy_list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    _emit_policies(args, policies.list_policies(app, acting_actor(app, args)))
    return 0


def _plan(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = policies.set_plan(
        app,
        acting_actor(app, args),
        args.code,
        lead_time_days=args.lead_time,
        safety_stock=args.safety,
        warehouse=args.warehouse,
    )
    _emit_policies(args, [found])
    return 0


def _emit_policies(args: argparse.Namespace, found: list[policies.PolicyInfo]) -> None:
    data = [
        {
            "code": p.code,
            "warehouse": p.warehouse,
            "low_stock": p.low_stock,
            "lead_time_days": p.lead_time_days,
            "safety_stock": p.safety_stock,
        }
        for p in found
    ]

    def shown(value: int | None) -> str:
        return "—" if value is None else str(value)

    rows = [
        (
            p.code,
            p.warehouse or "(every)",
            shown(p.low_stock),
            shown(p.lead_time_days),
            shown(p.safety_stock),
        )
        for p in found
    ]
    emit(args, data, rows, ("CODE", "WAREHOUSE", "ALERT AT ≤", "LEAD DAYS", "SAFETY"))


def _replenish(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    report = replenishment.replenishment(
        app,
        acting_actor(app, args),
        window_days=args.window,
        lead_time_days=args.lead_time,
        review_days=args.review,
        safety_stock=args.safety,
        warehouse=args.warehouse,
    )
    target = ("csv", args.csv) if args.csv is not None else ("xlsx", args.xlsx)
    if target[1] is not None:
        fmt, path = target
        written = _write_file(path, report, fmt)
        emit(args, {"rows": written, "file": str(path)})
        return 0
    columns, rows = report_table(report)
    data = {
        "window_days": report.window_days,
        "review_days": report.review_days,
        "rows": [dict(zip(COLUMNS, row, strict=False)) for row in data_rows(report)],
    }
    emit(args, data, [["" if c is None else c for c in row] for row in rows], columns)
    return 0


def _write_file(path: Path, report: replenishment.Report, fmt: str) -> int:
    """Write to a temporary file beside `path`, then put it in place: on any failure
    `path` is as it was (as `orderhub export` does)."""
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"{path}: there is no folder {str(folder)!r}", field="file")
    if path.is_dir():
        raise ValidationError(f"{path}: is a folder; name the file to write", field="file")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            written = replenishment.write_report(report, out, fmt)  # type: ignore[arg-type]
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return written


COLUMNS = (
    "warehouse",
    "code",
    "name",
    "sold",
    "per_day",
    "available",
    "days_of_cover",
    "lead_time_days",
    "safety_stock",
    "suggested",
    "cost_fen",
    "value_fen",
)


def data_rows(report: replenishment.Report) -> list[tuple[object, ...]]:
    """One tuple per suggestion, in `COLUMNS` order (money in fen)."""
    return [
        (
            r.warehouse,
            r.code,
            r.name,
            r.sold,
            r.velocity,
            r.available,
            r.days_of_cover,
            r.lead_time_days,
            r.safety_stock,
            r.suggested,
            r.cost_fen,
            r.value_fen,
        )
        for r in report.rows
    ]


def report_table(report: replenishment.Report) -> tuple[list[str], list[list[object]]]:
    """Headers and rows for people: the cost columns (in yuan) only when the report has
    them (the actor has finance.view)."""
    with_cost = any(r.cost_fen is not None for r in report.rows)
    headers = [
        "WAREHOUSE",
        "CODE",
        "NAME",
        f"SOLD {report.window_days}D",
        "PER DAY",
        "AVAILABLE",
        "DAYS COVER",
        "LEAD",
        "SAFETY",
        "SUGGESTED",
    ]
    if with_cost:
        headers += ["COST ¥", "VALUE ¥"]
    rows = []
    for r in report.rows:
        row: list[object] = [
            r.warehouse,
            r.code,
            r.name,
            r.sold,
            r.velocity,
            r.available,
            "∞" if r.days_of_cover is None else r.days_of_cover,
            r.lead_time_days,
            r.safety_stock,
            r.suggested,
        ]
        if with_cost:
            row += [fen_to_yuan_text(r.cost_fen or 0), fen_to_yuan_text(r.value_fen or 0)]
        rows.append(row)
    return headers, rows
