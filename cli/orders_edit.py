"""`orderhub orders edit|remark|flag|hold|release|new|tag`: changing orders by hand (改单).

- `edit ORDER_NO --phone … --address …`: the receiver of an imported or manual order not
  yet printed; `--expect-version N` (the version `orders show` gave) refuses the edit if
  someone changed the order since.
- `remark ORDER_NO TEXT` and `flag ORDER_NO COLOUR|none`: the local seller remark and flag.
- `hold ORDER_NO… --reason TEXT` and `release ORDER_NO…`: stop orders and let them go.
- `new --shop SHOP --name … --line "TITLE|OUTER_ID|QTY|PRICE_YUAN" …`: a manual order.
- `tag ORDER_NO… --add NAME --remove NAME`: set and unset tags (see `orderhub tags`).

The receiver is never printed in clear here: output shows masked values only.
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
)
from cli.order_selection import add_order_selection, selected_orders
from core.desk import edits, holds, manual, tags
from core.errors import ValidationError


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    edit = verbs.add_parser("edit", help="change the receiver of an imported or manual order")
    edit.add_argument("order", metavar="ORDER_NO")
    for name in edits.RECEIVER_FIELDS:
        edit.add_argument(f"--{name}", help=f"new receiver {name}")
    edit.add_argument(
        "--expect-version",
        type=count,
        metavar="N",
        help="refuse if the order is no longer at this version (from `orders show`)",
    )
    edit.set_defaults(handler=_edit)

    remark = verbs.add_parser("remark", help="set the local seller remark ('' clears it)")
    remark.add_argument("order", metavar="ORDER_NO")
    remark.add_argument("text", metavar="TEXT")
    remark.add_argument("--expect-version", type=count, metavar="N")
    remark.set_defaults(handler=_remark)

    flag = verbs.add_parser("flag", help="set the local flag: red|yellow|green|blue|purple|none")
    flag.add_argument("order", metavar="ORDER_NO")
    flag.add_argument("colour", metavar="COLOUR")
    flag.add_argument("--expect-version", type=count, metavar="N")
    flag.set_defaults(handler=_flag)

    hold = verbs.add_parser("hold", help="put orders on hold (挂起) with a reason")
    add_order_selection(hold)
    hold.add_argument("--reason", required=True, help="why they must wait")
    hold.set_defaults(handler=_hold)

    release = verbs.add_parser("release", help="release held orders (not those being refunded)")
    add_order_selection(release)
    release.set_defaults(handler=_release)

    new = verbs.add_parser("new", help="enter a manual order (手工订单 / 补发)")
    new.add_argument("--shop", required=True, help="shop id, name or platform shop id")
    for name in edits.RECEIVER_FIELDS:
        new.add_argument(f"--{name}", required=True, help=f"receiver {name}")
    new.add_argument(
        "--line",
        action="append",
        required=True,
        metavar="TITLE|OUTER_ID|QTY|PRICE_YUAN",
        help="a goods line; repeatable",
    )
    new.add_argument("--postage", default="0", help="postage in yuan (default 0)")
    new.add_argument("--memo", default="", help="a remark kept on the order")
    new.add_argument("--number", help="order number (default: M<yyyymmdd>-<n>)")
    new.set_defaults(handler=_new)

    tag = verbs.add_parser("tag", help="add tags to and remove tags from orders")
    add_order_selection(tag)
    tag.add_argument("--add", action="append", default=[], metavar="NAME", help="repeatable")
    tag.add_argument("--remove", action="append", default=[], metavar="NAME", help="repeatable")
    tag.set_defaults(handler=_tag)

    for name in ("edit", "remark", "flag", "hold", "release", "new", "tag"):
        parser = verbs.choices[name]
        add_actor_options(parser)


def _edit(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    changes = {name: getattr(args, name) for name in edits.RECEIVER_FIELDS}
    done = edits.edit_receiver(
        app,
        acting_actor(app, args),
        args.order,
        expected_version=args.expect_version,
        **changes,
    )
    return _show_edit(args, done)


def _remark(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    done = edits.set_remark(
        app, acting_actor(app, args), args.order, args.text, expected_version=args.expect_version
    )
    return _show_edit(args, done)


def _flag(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    done = edits.set_flag(
        app, acting_actor(app, args), args.order, args.colour, expected_version=args.expect_version
    )
    return _show_edit(args, done)


def _show_edit(args: argparse.Namespace, done: edits.Edit) -> int:
    data = {
        "order": done.order_number,
        "version": done.version,
        "changed": bool(done.after),
        "before": done.before,
        "after": done.after,
    }
    if getattr(args, "json", False):
        emit(args, data)
    elif not done.after:
        print(f"order {done.order_number}: nothing to change (version {done.version})")
    else:
        fields = [k for k in done.after if k != "version"]
        rows = [(k, done.before.get(k, ""), done.after[k]) for k in fields]
        emit(args, data, rows, ("FIELD", "BEFORE", "AFTER"))
        print(f"order {done.order_number} is now at version {done.version}", file=sys.stderr)
    return 0


def _hold(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    result = holds.hold_orders(app, actor, selected_orders(app, actor, args), reason=args.reason)
    return _show_holds(args, result, "held", "already on hold")


def _release(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    result = holds.release_orders(app, actor, selected_orders(app, actor, args))
    return _show_holds(args, result, "released", "not on hold")


def _show_holds(args: argparse.Namespace, result: holds.HoldResult, done: str, same: str) -> int:
    data = {done: result.changed, "unchanged": result.unchanged, "refused": result.refused}
    rows = (
        [(n, done, "") for n in result.changed]
        + [(n, same, "") for n in result.unchanged]
        + [(n, "refused", why) for n, why in result.refused.items()]
    )
    emit(args, data, rows, ("ORDER", "OUTCOME", "WHY"))
    return EXIT_ERROR if result.refused else 0


def _new(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    made = manual.create_manual_order(
        app,
        acting_actor(app, args),
        args.shop,
        name=args.name,
        phone=args.phone,
        province=args.province,
        city=args.city,
        district=args.district,
        address=args.address,
        lines=[_line(text, n) for n, text in enumerate(args.line, start=1)],
        postage=args.postage,
        memo=args.memo,
        number=args.number,
    )
    data = {
        "order": made.order_number,
        "order_id": made.order_id,
        "shop_id": made.shop_id,
        "lines": made.lines,
        "goods_fen": made.goods_fen,
        "postage_fen": made.postage_fen,
        "pay_fen": made.pay_fen,
        "receiver": made.receiver,
    }
    emit(args, data)
    return 0


def _line(text: str, number: int) -> manual.ManualLine:
    """`TITLE|OUTER_ID|QTY|PRICE_YUAN` (OUTER_ID may be empty)."""
    parts = text.split("|")
    if len(parts) != 4:
        raise ValidationError(
            f"--line {number}: write TITLE|OUTER_ID|QTY|PRICE_YUAN (4 parts, got {len(parts)})",
            field="line",
        )
    title, outer_id, quantity, price = (p.strip() for p in parts)
    if not (quantity.isascii() and quantity.isdigit()) or len(quantity) > 6:
        raise ValidationError(
            f"--line {number}: quantity {quantity[:20]!r} is not a whole number", field="quantity"
        )
    return manual.ManualLine(title, outer_id, int(quantity), price)


def _tag(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    result = tags.tag_orders(
        app, actor, selected_orders(app, actor, args), add=args.add, remove=args.remove
    )
    data = {"orders": result.orders, "added": result.added, "removed": result.removed}
    rows = [("+" + name, len(numbers)) for name, numbers in result.added.items()] + [
        ("-" + name, len(numbers)) for name, numbers in result.removed.items()
    ]
    emit(args, data, rows, ("TAG", "ORDERS CHANGED"))
    return 0
