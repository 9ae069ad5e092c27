"""`orderhub print jobs | show | history | templates`: reading print jobs, their items,
the print history (底单) and the stored templates. Nothing here prints; `cmd_print` wires
these verbs and runs the batches.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta

from cli.common import acting_actor, emit, open_cli_app
from core import clock
from core.printing import history as print_history
from core.printing import template_store
from core.templates import read_template_file


def list_jobs(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = print_history.list_jobs(
        app, acting_actor(app, args), status=args.status, limit=args.limit
    )
    data = [
        {
            "job": j.id,
            "kind": j.kind,
            "status": j.status,
            "done": j.done,
            "total": j.total,
            "failed": j.failed,
            "uncertain": j.uncertain,
            "printers": list(j.printers),
            "user": j.user,
            "created": clock.local_text(j.created_at),
            "error": j.error,
            "running_on": j.running_on,
        }
        for j in found
    ]
    rows = [
        (
            d["job"],
            d["kind"],
            d["status"],
            f"{d['done']}/{d['total']}",
            d["failed"],
            d["uncertain"],
            ",".join(d["printers"]),
            d["user"],
            d["created"],
            d["error"][:60],
        )
        for d in data
    ]
    headers = (
        "JOB",
        "KIND",
        "STATUS",
        "DONE",
        "FAILED",
        "UNCERTAIN",
        "PRINTERS",
        "USER",
        "CREATED",
        "NOTE",
    )
    emit(args, data, rows, headers)
    return 0


def show_job(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    info = print_history.get_job(app, actor, args.job)
    items = print_history.job_items(
        app, actor, args.job, states=tuple(args.state), limit=args.limit
    )
    data = [
        {
            "position": i.position,
            "kind": i.kind,
            "state": i.state,
            "orders": list(i.orders),
            "waybill": i.waybill,
            "printer": i.printer,
            "attempts": i.attempts,
            "reprint": i.reprint,
            "error": i.error,
        }
        for i in items
    ]
    if not getattr(args, "json", False):
        summary = f"job {info.id} ({info.kind}) {info.status}: {info.done}/{info.total} done, "
        print(summary + f"{info.failed} failed, {info.uncertain} uncertain {info.error}".rstrip())
    rows = [
        (
            d["position"],
            d["state"],
            ",".join(d["orders"]),
            d["waybill"],
            d["printer"],
            d["attempts"],
            "reprint" if d["reprint"] else "",
            d["error"][:80],
        )
        for d in data
    ]
    emit(args, data, rows, ("POS", "STATE", "ORDERS", "WAYBILL", "PRINTER", "TRIES", "", "NOTE"))
    return 0


def history(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    until = args.until
    if until is not None and getattr(until, "_whole_day", False):
        until = until + timedelta(days=1)
    rows = print_history.print_history(
        app,
        acting_actor(app, args),
        order_number=args.order,
        waybill_number=args.waybill,
        user=args.user,
        since=args.since,
        until=until,
        limit=args.limit,
    )
    data = [
        {
            "at": clock.local_text(r.at) if r.at else "",
            "job": r.job_id,
            "position": r.position,
            "kind": r.kind,
            "state": r.state,
            "waybill": r.waybill,
            "orders": list(r.orders),
            "printer": r.printer,
            "template": r.template,
            "user": r.user,
            "reprint": r.reprint,
            "reason": r.reason,
        }
        for r in rows
    ]
    table = [
        (
            d["at"],
            d["job"],
            d["kind"],
            d["state"],
            d["waybill"],
            ",".join(d["orders"]),
            d["printer"],
            d["user"],
            ("reprint: " + d["reason"]) if d["reprint"] else "",
        )
        for d in data
    ]
    headers = ("AT", "JOB", "KIND", "STATE", "WAYBILL", "ORDERS", "PRINTER", "USER", "")
    emit(args, data, table, headers)
    return 0


def templates(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.import_file:
        info = template_store.import_template(
            app, actor, read_template_file(args.import_file), name=args.name
        )
        emit(args, dict(template_store.as_mapping(info)))
        return 0
    if args.export:
        sys.stdout.write(template_store.export_template(app, actor, args.export, args.version))
        return 0
    found = [dict(template_store.as_mapping(t)) for t in template_store.list_templates(app, actor)]
    rows = [
        (t["name"], t["kind"], t["version"], t["size_mm"], "built-in" if t["builtin"] else "")
        for t in found
    ]
    emit(args, found, rows, ("NAME", "KIND", "VERSION", "SIZE", ""))
    return 0


# ---------------------------------------------------------------- argument types


class _Day(datetime):
    """A date given without a time: `--until` includes the whole day."""

    _whole_day = True


def when(text: str) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return _Day.combine(day, time(), tzinfo=clock.SHANGHAI)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give YYYY-MM-DD or an ISO time") from None
    return value if value.tzinfo else value.replace(tzinfo=clock.SHANGHAI)
