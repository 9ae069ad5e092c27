"""`orderhub tags list|create|rename|color|delete`: the org's order tags (标签) and colours.

Colours come from a fixed palette (red, orange, yellow, green, cyan, blue, purple, grey;
红 蓝 … too). Deleting a tag takes it off every order and says how many. Tagging orders is
`orderhub orders tag ORDER_NO… --add NAME --remove NAME`.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import acting_actor, add_actor_options, emit, open_cli_app
from core.desk import tags


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "tags", help="order tags and their colours", description=__doc__.split("\n\n", 1)[0]
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    verbs.add_parser("list", help="tags with their colours and order counts").set_defaults(
        handler=_list
    )

    create = verbs.add_parser("create", help="a new tag")
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--color", default=tags.DEFAULT_COLOUR, help=f"one of {', '.join(tags.PALETTE)}"
    )
    create.set_defaults(handler=_create)

    rename = verbs.add_parser("rename", help="rename a tag (its orders keep it)")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    rename.set_defaults(handler=_rename)

    color = verbs.add_parser("color", help="change a tag's colour")
    color.add_argument("name", metavar="NAME")
    color.add_argument("color", metavar="COLOR")
    color.set_defaults(handler=_color)

    delete = verbs.add_parser("delete", help="delete a tag and take it off every order")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=_delete)

    for p in verbs.choices.values():
        add_actor_options(p)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = tags.list_tags(app, acting_actor(app, args))
    data = [{"id": t.id, "name": t.name, "color": t.colour, "orders": t.orders} for t in found]
    emit(args, data, [(t.name, t.colour, t.orders) for t in found], ("TAG", "COLOR", "ORDERS"))
    return 0


def _create(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    return _show(args, tags.create_tag(app, acting_actor(app, args), args.name, args.color))


def _rename(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    return _show(args, tags.rename_tag(app, acting_actor(app, args), args.old, args.new))


def _color(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    return _show(args, tags.recolour_tag(app, acting_actor(app, args), args.name, args.color))


def _delete(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    untagged = tags.delete_tag(app, acting_actor(app, args), args.name)
    data = {"deleted": args.name.strip(), "orders_untagged": untagged}
    if getattr(args, "json", False):
        emit(args, data)
    else:
        print(f"deleted tag {args.name.strip()}; {untagged} orders lost it", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace, tag: tags.TagInfo) -> int:
    emit(args, {"id": tag.id, "name": tag.name, "color": tag.colour})
    return 0
