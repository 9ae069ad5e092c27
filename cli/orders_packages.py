"""`orderhub orders candidates|merge|split|unmerge|weight|assign`: 合单/拆单 and 分配.

- `candidates`: orders of one shop going to one receiver (shown masked) that may be merged;
- `merge ORDER_NO ORDER_NO…`: one package, one waybill and one label for them all;
- `split ORDER_NO --part "1:2,2:1" --part "1:1"`: one package per part, `line:quantity`
  pairs adding up exactly to the order's lines;
- `unmerge ORDER_NO` (or `--package ID`): each order back in its own package;
- `weight ORDER_NO GRAMS` (or `--package ID`): the package's weight, typed;
- `assign ORDER_NO… --carrier ACCOUNT [--template NAME]` by hand, or `--clear` to let the
  assignment rules choose again (`orderhub assign-rules`).

Nothing may change once a waybill is drawn or a label printed: cancel the waybill first.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from cli.common import (
    acting_actor,
    add_actor_options,
    count,
    emit,
    open_cli_app,
    record_id,
)
from core.assignment import assigning
from core.desk import packing
from core.errors import ValidationError
from core.orders import merging
from core.orders.repacking import PackageView

MAX_LINE_NO = 100_000


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    candidates = verbs.add_parser("candidates", help="orders of one receiver that may be merged")
    candidates.add_argument("--limit", type=count, default=200, help="at most this many groups")
    candidates.set_defaults(handler=_candidates)

    merge = verbs.add_parser("merge", help="merge orders of one receiver into one package")
    merge.add_argument("orders", nargs="+", metavar="ORDER_NO")
    merge.set_defaults(handler=_merge)

    split = verbs.add_parser("split", help="spread one order over several packages")
    split.add_argument("order", metavar="ORDER_NO")
    split.add_argument(
        "--part",
        action="append",
        type=part,
        required=True,
        metavar="LINE:QTY,…",
        help='one package\'s lines, e.g. "1:2,2:1"; repeat for each package',
    )
    split.set_defaults(handler=_split)

    unmerge = verbs.add_parser("unmerge", help="give each order of a merged package its own")
    target = unmerge.add_mutually_exclusive_group(required=True)
    target.add_argument("order", nargs="?", metavar="ORDER_NO")
    target.add_argument("--package", type=record_id, metavar="ID")
    unmerge.set_defaults(handler=_unmerge)

    weight = verbs.add_parser("weight", help="type a package's weight in grams")
    weight.add_argument("order", nargs="?", metavar="ORDER_NO")
    weight.add_argument("grams", type=count, metavar="GRAMS")
    weight.add_argument("--package", type=record_id, metavar="ID", help="instead of ORDER_NO")
    weight.set_defaults(handler=_weight)

    assign = verbs.add_parser("assign", help="choose orders' carrier account/template by hand")
    assign.add_argument("orders", nargs="+", metavar="ORDER_NO")
    assign.add_argument("--carrier", metavar="ACCOUNT", help="carrier account name")
    assign.add_argument("--template", metavar="NAME", help="label template name")
    assign.add_argument("--clear", action="store_true", help="let the rules choose again")
    assign.set_defaults(handler=_assign)

    for name in ("candidates", "merge", "split", "unmerge", "weight", "assign"):
        parser = verbs.choices[name]
        add_actor_options(parser)


def part(text: str) -> dict[int, int]:
    """argparse type of `--part`: "1:2,2:1" → {1: 2, 2: 1}."""
    found: dict[int, int] = {}
    for pair in text.split(","):
        line, sep, quantity = pair.strip().partition(":")
        if not sep or not _digits(line) or not _digits(quantity):
            raise argparse.ArgumentTypeError(
                f"{pair.strip()[:40]!r} is not LINE:QUANTITY (e.g. 1:2)"
            )
        line_no, qty = int(line), int(quantity)
        if not 1 <= line_no <= MAX_LINE_NO or not 1 <= qty <= MAX_LINE_NO:
            raise argparse.ArgumentTypeError(f"{pair.strip()!r}: line and quantity are 1 or more")
        if line_no in found:
            raise argparse.ArgumentTypeError(f"line {line_no} is named twice in {text[:60]!r}")
        found[line_no] = qty
    return found


def _digits(text: str) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit() and len(text) <= 6


def _candidates(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    groups = merging.merge_candidates(app, acting_actor(app, args), limit=args.limit)
    rows = [
        (n, g.shop_name, g.receiver, " ".join(o.order_number for o in g.orders))
        for n, g in enumerate(groups, start=1)
    ]
    emit(args, [asdict(g) for g in groups], rows, ("GROUP", "SHOP", "RECEIVER", "ORDERS"))
    return 0


def _merge(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    view = packing.merge(app, acting_actor(app, args), args.orders)
    _packages(args, [view])
    return 0


def _split(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    views = packing.split(app, acting_actor(app, args), args.order, args.part)
    _packages(args, views)
    return 0


def _unmerge(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    views = packing.unmerge(
        app, acting_actor(app, args), order_number=args.order, package_id=args.package
    )
    _packages(args, views)
    return 0


def _weight(args: argparse.Namespace) -> int:
    if (args.order is None) == (args.package is None):
        raise ValidationError("name the order (ORDER_NO) or the package (--package ID), not both")
    app = open_cli_app(args)
    view = packing.set_weight(
        app, acting_actor(app, args), args.grams, order_number=args.order, package_id=args.package
    )
    _packages(args, [view])
    return 0


def _assign(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.clear:
        if args.carrier or args.template:
            raise ValidationError("--clear takes no --carrier or --template")
        changed = assigning.clear_assignment(app, actor, args.orders)
        emit(args, {"cleared": changed})
        return 0
    changed = assigning.set_assignment(app, actor, args.orders, args.carrier, args.template)
    emit(
        args,
        {
            "assigned": changed,
            "carrier_account": args.carrier or "",
            "template": args.template or "",
        },
    )
    return 0


def _packages(args: argparse.Namespace, views: list[PackageView]) -> None:
    rows = [
        (
            v.package_id,
            v.status,
            "" if v.weight_g is None else v.weight_g,
            line.order_number,
            line.line_no,
            line.quantity,
            line.title,
        )
        for v in views
        for line in v.lines
    ]
    emit(
        args,
        [asdict(v) for v in views],
        rows,
        ("PACKAGE", "STATUS", "WEIGHT_G", "ORDER", "LINE", "QTY", "TITLE"),
    )
