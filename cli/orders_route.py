"""`orderhub orders route ORDER_NO… --warehouse NAME`: move orders to another warehouse.

The routing rules (`orderhub warehouse rule …`) chose each order's warehouse when it
arrived; this overrides them. Approved orders take their reservation along (released in
the old warehouse, reserved in the new one); one the new warehouse cannot fill is held
for insufficient stock. Shipped and closed orders are refused (exit 1, named).
"""

from __future__ import annotations

import argparse

from cli.common import EXIT_ERROR, acting_actor, add_actor_options, emit, open_cli_app
from cli.order_selection import add_order_selection, selected_orders
from core.desk import rerouting


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    route = verbs.add_parser("route", help="move orders to another warehouse (改仓)")
    add_order_selection(route)
    route.add_argument("--warehouse", required=True, metavar="NAME", help="where they ship from")
    route.set_defaults(handler=_route)
    add_actor_options(route)


def _route(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    result = rerouting.route_orders(app, actor, selected_orders(app, actor, args), args.warehouse)
    data = {
        "warehouse": result.warehouse,
        "moved": result.changed,
        "unchanged": result.unchanged,
        "refused": result.refused,
        "held": result.held,
    }
    short = f"held: not enough stock in {result.warehouse}"
    rows = (
        [(n, "moved", short if n in result.held else "") for n in result.changed]
        + [(n, f"already in {result.warehouse}", "") for n in result.unchanged]
        + [(n, "refused", why) for n, why in result.refused.items()]
    )
    emit(args, data, rows, ("ORDER", "OUTCOME", "NOTE"))
    return EXIT_ERROR if result.refused else 0
