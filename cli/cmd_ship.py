"""`orderhub ship confirm|status|retry|mark-shipped-outside|drain`: ship-back (确认发货).

`confirm` marks packages shipped and queues one confirmation per order for the platform
(named packages, waybill numbers, or every verified/printed package with `--all`);
`orderhub worker` sends them (or `drain`, once, here). `status` shows the queue: counts
by state and the rows that wait, were held (refund found at send time) or need a person;
`retry` sends those again; `mark-shipped-outside` stops rows whose orders left by other
means. `intercepted` lists held packages (a refund after the label) whose waybill is still
live — the parcels to pull — and `recycle` cancels those waybills once the parcels are back
in hand.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import (
    EXIT_ERROR,
    acting_actor,
    add_actor_options,
    count,
    emit,
    open_cli_app,
    record_id,
)
from cli.progress import progress_for
from core.clock import local_text
from core.desk.search import matching_numbers
from core.shipback import confirm, drain, review
from core.shipback.confirm import ConfirmResult
from core.shipback.review import OutboxRow, ReviewResult
from core.shipping import intercepted


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ship",
        help="ship-back: confirm packages shipped, see and steer the platform confirmations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    conf = verbs.add_parser("confirm", help="mark packages shipped; queue their confirmations")
    conf.add_argument("packages", nargs="*", type=record_id, metavar="PACKAGE_ID")
    conf.add_argument(
        "--waybill", action="append", default=[], metavar="NUMBER", help="by tracking number"
    )
    conf.add_argument(
        "--order", action="append", default=[], metavar="ORDER_NO", help="by order number"
    )
    conf.add_argument(
        "--filter",
        metavar="QUERY",
        help='the packages of every order a desk filter selects, e.g. "status:printed shop:旗舰店"',
    )
    conf.add_argument(
        "--all",
        choices=("verified", "printed"),
        help="every verified package (printed: printed or verified ones)",
    )
    conf.add_argument("--shop", type=record_id, metavar="SHOP_ID", help="with --all: one shop")
    conf.add_argument(
        "--carrier", type=record_id, metavar="ACCOUNT_ID", help="with --all: one carrier account"
    )
    conf.add_argument("--limit", type=count, default=confirm.MAX_PACKAGES, metavar="N")
    conf.set_defaults(handler=_confirm)

    status = verbs.add_parser("status", help="the confirmation queue: counts and rows")
    status.add_argument("--state", help="only rows in this state (default: unsettled ones)")
    status.add_argument("--limit", type=count, default=50, metavar="N")
    status.set_defaults(handler=_status)

    again = verbs.add_parser("retry", help="send held or failed confirmations again")
    again.add_argument("orders", nargs="+", metavar="ORDER_NO")
    again.set_defaults(handler=_retry)

    outside = verbs.add_parser(
        "mark-shipped-outside", help="these orders were shipped by other means; stop their rows"
    )
    outside.add_argument("orders", nargs="+", metavar="ORDER_NO")
    outside.add_argument("--note", default="", help="how they were shipped")
    outside.set_defaults(handler=_outside)

    once = verbs.add_parser("drain", help="send every due confirmation now, once")
    once.add_argument("--max", type=count, metavar="N", help="at most N rows")
    once.set_defaults(handler=_drain)

    held = verbs.add_parser(
        "intercepted", help="held packages whose waybill is still live (拦截件): pull them"
    )
    held.add_argument("--limit", type=count, default=100, metavar="N")
    held.set_defaults(handler=_intercepted)

    recycle = verbs.add_parser(
        "recycle", help="cancel the waybills of intercepted parcels you have in hand"
    )
    recycle.add_argument("packages", nargs="+", type=record_id, metavar="PACKAGE_ID")
    recycle.add_argument("--reason", default="", help="noted on the waybill and the audit trail")
    recycle.add_argument(
        "--yes", action="store_true", help="the parcels are here, not handed over: do not ask"
    )
    recycle.set_defaults(handler=_recycle)

    for p in verbs.choices.values():
        add_actor_options(p)


def _confirm(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    named = args.packages or args.waybill or args.order or args.filter is not None
    if args.all:
        if named:
            print("orderhub: error: name packages or use --all, not both", file=sys.stderr)
            return EXIT_ERROR
        result = confirm.confirm_ready(
            app,
            actor,
            status=args.all,
            shop_id=args.shop,
            carrier_account_id=args.carrier,
            limit=args.limit,
        )
    else:
        orders = list(args.order)
        if args.filter is not None:
            orders += matching_numbers(app, actor, args.filter, most=confirm.MAX_PACKAGES)
            if not orders:
                print(f"orderhub: error: no order matches {args.filter!r}", file=sys.stderr)
                return EXIT_ERROR
        result = confirm.confirm_packages(
            app,
            actor,
            package_ids=args.packages,
            waybill_numbers=args.waybill,
            order_numbers=orders,
        )
    _show_confirm(args, result)
    return EXIT_ERROR if (result.refused or result.unpacked) and not result.confirmed else 0


def _show_confirm(args: argparse.Namespace, result: ConfirmResult) -> None:
    data = {
        "confirmed": result.confirmed,
        "unchanged": result.unchanged,
        "refused": {str(k): v for k, v in result.refused.items()},
        "outbox_rows": result.outbox_rows,
        "extra_numbers": result.extra_numbers,
        "unpacked": result.unpacked,
    }
    if getattr(args, "json", False):
        emit(args, data)
        return
    print(
        f"{len(result.confirmed)} package(s) shipped, {result.outbox_rows} confirmation(s) "
        f"queued for the platform"
        + (f", {result.extra_numbers} extra number(s) recorded" if result.extra_numbers else "")
        + (f"; {len(result.unchanged)} already shipped" if result.unchanged else "")
    )
    for package_id, why in result.refused.items():
        print(f"refused {package_id}: {why}")
    if result.unpacked:
        shown = ", ".join(result.unpacked[:10]) + (" …" if len(result.unpacked) > 10 else "")
        print(f"{len(result.unpacked)} order(s) have no package to ship: {shown}")


def _status(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = review.outbox_status(app, acting_actor(app, args), state=args.state, limit=args.limit)
    if getattr(args, "json", False):
        emit(
            args,
            {
                "counts": found.counts,
                "oldest_open": found.oldest_open.isoformat() if found.oldest_open else None,
                "rows": [_row_data(r) for r in found.rows],
            },
        )
        return 0
    print("  ".join(f"{state} {n}" for state, n in found.counts.items()))
    if found.oldest_open:
        print(f"oldest waiting since {local_text(found.oldest_open)}")
    if found.rows:
        emit(
            args,
            None,
            [
                (
                    r.order_number,
                    r.package_id,
                    r.tracking_number,
                    r.state,
                    r.attempts,
                    local_text(r.next_attempt_at)
                    if r.state == "pending" and r.next_attempt_at
                    else "",
                    f"[{r.last_error_class}] {r.last_error}"[:120] if r.last_error_class else "",
                )
                for r in found.rows
            ],
            ("ORDER", "PACKAGE", "TRACKING", "STATE", "TRIES", "NEXT", "LAST ERROR"),
        )
    return 0


def _retry(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    result = review.retry(app, acting_actor(app, args), args.orders)
    return _show_review(args, result, "queued again")


def _outside(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    result = review.mark_shipped_outside(app, acting_actor(app, args), args.orders, note=args.note)
    return _show_review(args, result, "marked shipped outside")


def _show_review(args: argparse.Namespace, result: ReviewResult, done: str) -> int:
    emit(
        args,
        {"changed": result.changed, "refused": result.refused},
        [*((n, done) for n in result.changed), *((n, why) for n, why in result.refused.items())],
    )
    return EXIT_ERROR if result.refused and not result.changed else 0


def _drain(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    with progress_for(args) as progress:
        report = drain.drain_now(app, acting_actor(app, args), max_rows=args.max, progress=progress)
    data = {
        "claimed": report.claimed,
        "sent": report.sent,
        "already_shipped": report.already_shipped,
        "held": report.held,
        "needs_person": report.needs_person,
        "retrying": report.retrying,
        "released": report.released,
        "errors": report.errors,
    }
    if getattr(args, "json", False):
        emit(args, data)
    else:
        print(
            f"{report.sent} sent, {report.already_shipped} already shipped, {report.held} held, "
            f"{report.needs_person} need a person, {report.retrying} to retry later"
        )
        for error in report.errors:
            print(f"  {error}")
    return 0


def _row_data(r: OutboxRow) -> dict[str, object]:
    return {
        "order": r.order_number,
        "package_id": r.package_id,
        "tracking_number": r.tracking_number,
        "logistics_company_id": r.logistics_company_id,
        "extra_numbers": list(r.extra_numbers),
        "state": r.state,
        "outcome": r.outcome,
        "attempts": r.attempts,
        "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
        "last_error_class": r.last_error_class,
        "last_error": r.last_error,
        "created_at": r.created_at.isoformat(),
        "done_at": r.done_at.isoformat() if r.done_at else None,
    }


def _intercepted(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = intercepted.intercepted_packages(app, acting_actor(app, args), limit=args.limit)
    data = [
        {
            "package_id": p.package_id,
            "orders": list(p.order_numbers),
            "waybill": p.waybill_number,
            "waybill_status": p.waybill_status,
            "carrier_account": p.carrier_account,
            "held_since": p.held_since.isoformat(),
            "reason": p.hold_reason,
        }
        for p in found
    ]
    emit(
        args,
        data,
        [
            (
                p.package_id,
                " ".join(p.order_numbers),
                p.waybill_number,
                p.waybill_status,
                local_text(p.held_since),
                p.hold_reason[:60],
            )
            for p in found
        ],
        ("PACKAGE", "ORDERS", "WAYBILL", "STATUS", "HELD SINCE", "REASON"),
    )
    if found and not getattr(args, "json", False):
        print("(拦截件: pull these parcels; then orderhub ship recycle PACKAGE_ID …)")
    return 0


def _recycle(args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "orderhub: error: recycling cancels the waybills for good; confirm the parcels "
                "are back in hand with --yes",
                file=sys.stderr,
            )
            return EXIT_ERROR
        answer = input(
            f"回收 {len(args.packages)} 个包裹的面单？包裹已取回、未交快递 / the parcels are "
            "here, not handed over? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes", "是"):
            print("nothing recycled")
            return EXIT_ERROR
    app = open_cli_app(args)
    outcomes = intercepted.recycle_waybills(
        app, acting_actor(app, args), args.packages, reason=args.reason
    )
    emit(
        args,
        [
            {
                "package_id": o.package_id,
                "waybill": o.waybill_number,
                "outcome": o.outcome,
                "error": o.error,
            }
            for o in outcomes
        ],
        [(o.package_id, o.waybill_number, o.outcome, o.error) for o in outcomes],
        ("PACKAGE", "WAYBILL", "OUTCOME", "ERROR"),
    )
    return EXIT_ERROR if any(o.outcome == "failed" for o in outcomes) else 0
