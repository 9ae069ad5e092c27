"""`orderhub orders approve|reject|recheck`: a person's 审单 decisions.

`approve ORDER_NO...` approves pending orders (clearing their exceptions), `reject
ORDER_NO... --reason TEXT` sends orders back to pending (驳回) — both also take `--filter
QUERY` for every order of a filter instead of numbers — `recheck ORDER_NO...` or
`recheck --pending` runs the audit rules again now. An order that may not be decided is
refused with the reason and the others are applied; exit status 1 when any was refused.
Name an order number two shops share as SHOP_ID:NUMBER.
"""

from __future__ import annotations

import argparse

from cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    acting_actor,
    add_actor_options,
    emit,
    open_cli_app,
)
from cli.order_selection import add_order_selection, selected_orders
from core.auditing import decisions


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    approve = verbs.add_parser("approve", help="审单: approve orders (pending → audited)")
    add_order_selection(approve)
    approve.set_defaults(handler=_approve)

    reject = verbs.add_parser("reject", help="驳回: send orders back to pending with a reason")
    add_order_selection(reject)
    reject.add_argument("--reason", required=True, help="why (shown in the exception queue)")
    reject.set_defaults(handler=_reject)

    recheck = verbs.add_parser("recheck", help="run the audit rules again on orders")
    recheck.add_argument("orders", nargs="*", metavar="ORDER_NO", default=[])
    recheck.add_argument("--pending", action="store_true", help="every pending order")
    recheck.set_defaults(handler=_recheck)

    for parser in (approve, reject, recheck):
        add_actor_options(parser)


def _approve(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    return _show(args, decisions.approve(app, actor, selected_orders(app, actor, args)))


def _reject(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    numbers = selected_orders(app, actor, args)
    return _show(args, decisions.reject(app, actor, numbers, args.reason))


def _recheck(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    return _show(args, decisions.recheck(app, actor, args.orders, pending=args.pending))


def _show(args: argparse.Namespace, report: decisions.DecisionReport) -> int:
    data = {
        "decisions": [
            {
                "order": d.number,
                "order_id": d.order_id,
                "outcome": d.outcome,
                "hub_status": d.hub_status,
                "reasons": list(d.reasons),
                "note": d.note,
            }
            for d in report.decisions
        ],
        "applied": len(report.applied),
        "refused": len(report.refused),
    }
    rows = [
        (d.number, d.outcome, d.hub_status, ",".join(d.reasons) or "-", d.note)
        for d in report.decisions
    ]
    emit(args, data, rows, ("ORDER", "OUTCOME", "STATUS", "REASONS", "NOTE"))
    return EXIT_ERROR if report.refused else EXIT_OK
