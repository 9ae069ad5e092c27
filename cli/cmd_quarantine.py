"""`orderhub quarantine list|discard`: orders a shop's sync could not read (the plugin
could not map them), kept aside so the sync moves on.

`list` shows each with why it could not be read and how often it was seen and retried;
the sync retries them on every pass. `discard SHOP_ID ORDER_NO --reason TEXT` gives up on
one for good (audited); should the platform serve it again and it reads, it is stored.
"""

from __future__ import annotations

import argparse

from cli.common import acting_actor, add_actor_options, count, emit, open_cli_app, record_id
from core.clock import local_text
from core.orders import quarantine_review
from core.orders.quarantine_review import QuarantinedInfo


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "quarantine",
        help="orders a sync could not read: list, discard",
        description=__doc__.split("\n\n", 1)[0],
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    lister = verbs.add_parser("list", help="quarantined orders, newest sighting first")
    lister.add_argument("--shop", type=record_id, metavar="SHOP_ID", help="one shop's only")
    lister.add_argument("--limit", type=count, default=100, metavar="N")
    lister.set_defaults(handler=_list)

    discard = verbs.add_parser("discard", help="give up on one quarantined order (audited)")
    discard.add_argument("shop", type=record_id, metavar="SHOP_ID")
    discard.add_argument("order", metavar="ORDER_NO")
    discard.add_argument("--reason", required=True, help="why it is given up")
    discard.set_defaults(handler=_discard)

    for p in verbs.choices.values():
        add_actor_options(p)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = quarantine_review.list_quarantined(
        app, acting_actor(app, args), shop_id=args.shop, limit=args.limit
    )
    emit(
        args,
        [_data(q) for q in found],
        [
            (
                q.shop_id,
                q.shop,
                q.order_number,
                q.times_seen,
                q.retries,
                local_text(q.last_seen_at),
                q.reason,
            )
            for q in found
        ],
        ("SHOP", "NAME", "ORDER", "SEEN", "RETRIES", "LAST SEEN", "WHY"),
    )
    return 0


def _discard(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    gone = quarantine_review.discard_quarantined(
        app, acting_actor(app, args), args.shop, args.order, reason=args.reason
    )
    emit(args, {"discarded": _data(gone)}, [(gone.shop_id, gone.order_number, "discarded")])
    return 0


def _data(q: QuarantinedInfo) -> dict[str, object]:
    return {
        "shop_id": q.shop_id,
        "shop": q.shop,
        "order": q.order_number,
        "reason": q.reason,
        "times_seen": q.times_seen,
        "retries": q.retries,
        "first_seen_at": q.first_seen_at.isoformat(),
        "last_seen_at": q.last_seen_at.isoformat(),
    }
