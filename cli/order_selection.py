"""Naming the orders a desk verb acts on: order numbers, or `--filter QUERY` for every
order the desk's filter language selects (at most 10,000, never silently cut)."""

from __future__ import annotations

import argparse

from core.actor import Actor
from core.app import App
from core.desk.lookup import MAX_ORDERS
from core.desk.search import matching_numbers
from core.errors import ValidationError


def add_order_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("orders", nargs="*", metavar="ORDER_NO", default=[])
    parser.add_argument(
        "--filter",
        metavar="QUERY",
        help='every order of a filter instead, e.g. "exception:buyer_memo shop:旗舰店"',
    )


def selected_orders(app: App, actor: Actor, args: argparse.Namespace) -> list[str]:
    """The order numbers named, or those `--filter` selects; exactly one of the two."""
    if args.filter is not None and args.orders:
        raise ValidationError("name orders or give --filter, not both", field="orders")
    if args.filter is not None:
        numbers = matching_numbers(app, actor, args.filter, most=MAX_ORDERS)
        if not numbers:
            raise ValidationError(f"no order matches the filter {args.filter!r}", field="filter")
        return numbers
    if not args.orders:
        raise ValidationError("name at least one order number, or give --filter", field="orders")
    return list(args.orders)
