"""`orderhub waybill allocate|cancel|list` — e-waybill numbers (取号 / 回收).

`allocate --account ACCOUNT --orders N …` packs each order (one package per order) and
draws a waybill for every package without one; a package that has one keeps it, so the
command can be repeated safely. `--reallocate --reason …` cancels a package's waybill at
the carrier first and draws a new one (needs print.reprint; audited). For carriers
without an API (`manual`), give the numbers: `--number ORDER=TRACKING …`.

While waybills are drawn, a progress bar on stderr counts the packages (plain lines
when stderr is not a terminal, nothing with `--json`).

Exit status: 0 when every package has a waybill, 1 when some failed or were busy.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import (
    EXIT_ERROR,
    add_json_option,
    add_org_option,
    cli_actor,
    count,
    emit,
    open_cli_app,
    record_id,
)
from cli.progress import progress_for
from core import clock
from core.errors import ValidationError
from core.orders import packages
from core.waybills import allocation
from core.waybills.query import list_waybills, waybill_ids_by_number


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("waybill", help="draw, cancel and list e-waybill numbers")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    allocate = verbs.add_parser(
        "allocate",
        help="draw waybills for orders or packages (idempotent)",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    allocate.add_argument("--account", required=True, help="carrier account (name or id)")
    target = allocate.add_mutually_exclusive_group(required=True)
    target.add_argument("--orders", nargs="+", metavar="ORDER_NO", help="platform order numbers")
    target.add_argument("--packages", nargs="+", type=record_id, metavar="ID", help="package ids")
    allocate.add_argument(
        "--number",
        action="append",
        default=[],
        metavar="ORDER=TRACKING",
        help="a typed or scanned number (manual carriers); repeatable",
    )
    allocate.add_argument("--reallocate", action="store_true", help="cancel and draw anew")
    allocate.add_argument("--reason", default="", help="why (required with --reallocate)")
    allocate.set_defaults(handler=_allocate)

    cancel = verbs.add_parser("cancel", help="cancel (recycle) waybills by number")
    cancel.add_argument("numbers", nargs="+", metavar="NUMBER")
    cancel.add_argument("--reason", default="")
    cancel.set_defaults(handler=_cancel)

    lst = verbs.add_parser("list", help="list waybills, newest first")
    lst.add_argument("--status", help="allocated, printed, cancelling, cancelled, recycled")
    lst.add_argument("--order", help="only this order's waybills")
    lst.add_argument("--number", help="only this number")
    lst.add_argument("--limit", type=count, default=100)
    lst.set_defaults(handler=_list)

    for p in verbs.choices.values():
        add_org_option(p)
        add_json_option(p)


def _allocate(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = cli_actor(app, args.org)
    refused: list[dict[str, object]] = []
    order_of_package: dict[int, str] = {}
    if args.orders:
        order_ids = packages.packages_for_orders(app, actor, args.orders)
        packed = packages.ensure_packages(app, actor, list(order_ids.values()))
        number_of = {order_id: number for number, order_id in order_ids.items()}
        refused = [{"order": r.order_number, "error": r.reason} for r in packed.refused]
        order_of_package = {p: number_of[o] for o, p in packed.package_of_order.items()}
        package_ids = list(dict.fromkeys(packed.package_of_order.values()))
    else:
        package_ids = args.packages
    typed = _typed_numbers(args.number, order_of_package)
    if not package_ids:
        emit(args, {"outcomes": [], "refused": refused}, [], ("ORDER", "ERROR"))
        return EXIT_ERROR
    with progress_for(args) as progress:
        if args.reallocate:
            report = allocation.reallocate(
                app,
                actor,
                package_ids,
                args.account,
                reason=args.reason,
                typed_numbers=typed,
                progress=progress,
            )
        else:
            report = allocation.allocate(
                app, actor, package_ids, args.account, typed_numbers=typed, progress=progress
            )
    data = {
        "account": report.account,
        "outcomes": [
            {
                "package_id": o.package_id,
                "order": order_of_package.get(o.package_id, ""),
                "outcome": o.outcome,
                "number": o.number,
                "error": o.error,
                "warning": o.warning,
            }
            for o in report.outcomes
        ],
        "refused": refused,
        "compensated": report.compensated,
    }
    rows = [
        (d["package_id"], d["order"], d["outcome"], d["number"], d["error"] or d["warning"])
        for d in data["outcomes"]  # type: ignore[union-attr]
    ] + [("-", r["order"], "refused", "", r["error"]) for r in refused]
    emit(args, data, rows, ("PACKAGE", "ORDER", "OUTCOME", "NUMBER", "NOTE"))
    if not getattr(args, "json", False):
        counts = {k: len(report.of(k)) for k in ("allocated", "kept", "busy", "failed")}
        print(", ".join(f"{n} {k}" for k, n in counts.items()), file=sys.stderr)
    ok = not refused and all(o.outcome in ("allocated", "kept") for o in report.outcomes)
    return 0 if ok else EXIT_ERROR


def _typed_numbers(pairs: list[str], order_of_package: dict[int, str]) -> dict[int, str]:
    """`ORDER=TRACKING` (or `PACKAGE_ID=TRACKING` with --packages) → package id → number."""
    package_of_order = {order: package for package, order in order_of_package.items()}
    typed: dict[int, str] = {}
    for pair in pairs:
        key, sep, number = pair.partition("=")
        key, number = key.strip(), number.strip()
        if not sep or not key or not number:
            raise ValidationError(f"--number {pair!r}: write ORDER=TRACKING", field="number")
        if key in package_of_order:
            typed[package_of_order[key]] = number
        elif not order_of_package and key.isdigit():
            typed[int(key)] = number
        else:
            raise ValidationError(f"--number {pair!r}: {key} is not one of the orders given")
    return typed


def _cancel(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = cli_actor(app, args.org)
    ids = waybill_ids_by_number(app, actor, args.numbers)
    outcomes = allocation.cancel(app, actor, ids, args.reason)
    data = [
        {"number": o.number, "package_id": o.package_id, "outcome": o.outcome, "error": o.error}
        for o in outcomes
    ]
    emit(
        args,
        data,
        [(d["number"], d["package_id"], d["outcome"], d["error"]) for d in data],
        ("NUMBER", "PACKAGE", "OUTCOME", "ERROR"),
    )
    return 0 if all(o.outcome != "failed" for o in outcomes) else EXIT_ERROR


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = list_waybills(
        app,
        cli_actor(app, args.org),
        status=args.status,
        order_number=args.order,
        number=args.number,
        limit=args.limit,
    )
    data = [
        {
            "id": w.id,
            "number": w.number,
            "carrier_code": w.carrier_code,
            "account": w.account,
            "status": w.status,
            "package_id": w.package_id,
            "orders": list(w.order_numbers),
            "allocated_at": clock.local_text(w.allocated_at),
            "warning": w.warning,
        }
        for w in found
    ]
    rows = [
        (
            d["number"],
            d["carrier_code"],
            d["status"],
            d["package_id"],
            ",".join(d["orders"]),
            d["allocated_at"],
            d["warning"],
        )
        for d in data
    ]  # type: ignore[arg-type]
    emit(args, data, rows, ("NUMBER", "CODE", "STATUS", "PACKAGE", "ORDERS", "ALLOCATED", "NOTE"))
    return 0
