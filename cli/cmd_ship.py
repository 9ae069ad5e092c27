"""`orderhub ship confirm|status|retry|mark-shipped-outside|drain`: ship-back (确认发货).

`confirm` marks packages shipped and queues one confirmation per order for the platform
(named packages, waybill numbers, or every verified/printed package with `--all`);
`orderhub worker` sends them (or `drain`, once, here). `status` shows the queue: counts
by state and the rows that wait, were held (refund found at send time) or need a person;
`retry` sends those again; `mark-shipped-outside` stops rows whose orders left by other
means.
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
from core.shipback import confirm, drain, review
from core.shipback.confirm import ConfirmResult
from core.shipback.review import OutboxRow, ReviewResult


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

    for p in verbs.choices.values():
        add_actor_options(p)


def _confirm(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.all:
        if args.packages or args.waybill:
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
        result = confirm.confirm_packages(
            app, actor, package_ids=args.packages, waybill_numbers=args.waybill
        )
    _show_confirm(args, result)
    return EXIT_ERROR if result.refused and not result.confirmed else 0


def _show_confirm(args: argparse.Namespace, result: ConfirmResult) -> None:
    data = {
        "confirmed": result.confirmed,
        "unchanged": result.unchanged,
        "refused": {str(k): v for k, v in result.refused.items()},
        "outbox_rows": result.outbox_rows,
        "extra_numbers": result.extra_numbers,
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
