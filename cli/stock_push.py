"""`orderhub stock push|push-settings`: pushing available quantities to the platforms
(registered by `cli/cmd_stock.py` under `orderhub stock`). Off by default.

    orderhub stock push-settings --on [--warehouse 主仓] [--shop 3 --shop 4]
    orderhub stock push-settings                   # show them
    orderhub stock push [--shop 3] [--all]         # now (the worker does it every minute)
"""

from __future__ import annotations

import argparse

from cli.common import acting_actor, add_actor_options, emit, open_cli_app, record_id
from core.stockpush import passes, settings


def register_verbs(verbs: argparse._SubParsersAction) -> None:
    push = verbs.add_parser("push", help="库存同步: push changed available quantities now")
    push.add_argument("--shop", type=record_id, metavar="ID", help="only this shop")
    push.add_argument(
        "--all", dest="everything", action="store_true", help="every listing, changed or not"
    )
    push.set_defaults(handler=_push)
    configure = verbs.add_parser(
        "push-settings", help="turn the quantity push on or off; which shops and warehouse"
    )
    switch = configure.add_mutually_exclusive_group()
    switch.add_argument("--on", dest="enabled", action="store_const", const=True)
    switch.add_argument("--off", dest="enabled", action="store_const", const=False)
    configure.add_argument(
        "--shop",
        dest="shops",
        type=record_id,
        action="append",
        metavar="ID",
        help="push for this shop (repeat; default: every shop)",
    )
    configure.add_argument("--all-shops", action="store_true", help="every shop again")
    where = configure.add_mutually_exclusive_group()
    where.add_argument("--warehouse", help="count this warehouse's stock only")
    where.add_argument("--all-warehouses", action="store_true", help="sum every warehouse")
    configure.set_defaults(handler=_settings)
    for parser in (push, configure):
        add_actor_options(parser)


def _push(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    report = passes.push_now(
        app, acting_actor(app, args), shop_id=args.shop, everything=args.everything
    )
    data = {
        "pushed": report.pushed,
        "failed": report.failed,
        "unchanged": report.unchanged,
        "unmapped": report.unmapped,
        "new_listings": report.discovered,
        "skipped": report.skipped,
        "errors": report.errors,
    }
    if getattr(args, "json", False):
        emit(args, data)
    else:
        emit(
            args,
            data,
            [(report.pushed, report.failed, report.unchanged, report.unmapped)],
            ("PUSHED", "FAILED", "UNCHANGED", "UNMAPPED"),
        )
        for line in [*report.skipped, *report.errors]:
            print(line)
    return 1 if report.failed else 0


def _settings(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    changes: dict[str, object] = {}
    if args.enabled is not None:
        changes["enabled"] = args.enabled
    if args.all_shops:
        changes["shops"] = []
    elif args.shops:
        changes["shops"] = args.shops
    if args.all_warehouses:
        changes["warehouse"] = None
    elif args.warehouse:
        changes["warehouse"] = args.warehouse
    if changes:
        found = settings.update_push_settings(app, actor, **changes)  # type: ignore[arg-type]
    else:
        found = settings.show_push_settings(app, actor)
    emit(
        args,
        {"enabled": found.enabled, "shops": list(found.shops), "warehouse": found.warehouse},
        [
            (
                "on" if found.enabled else "off",
                ", ".join(map(str, found.shops)) or "(every shop)",
                found.warehouse or "(every warehouse)",
            )
        ],
        ("PUSH", "SHOPS", "WAREHOUSE"),
    )
    return 0
