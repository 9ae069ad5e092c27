"""`orderhub role list|create|grant|revoke|assign|unassign|delete|permissions`."""

from __future__ import annotations

import argparse

from cli.common import add_org_option, cli_actor, emit, open_cli_app
from core.accounts import roles
from core.accounts.permissions import PERMISSIONS


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("role", help="manage roles and their permissions")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    verbs.add_parser("list", help="list roles with their permissions").set_defaults(handler=_list)
    verbs.add_parser("permissions", help="list every permission").set_defaults(handler=_perms)

    create = verbs.add_parser("create", help="create a custom role")
    create.add_argument("name")
    create.add_argument("permission", nargs="*", help="permissions such as order.view")
    create.add_argument("--based-on", help="start from another role's permissions")
    create.add_argument("--description", default="")
    create.set_defaults(handler=_create)

    for verb, handler, text in (
        ("grant", _grant, "add a permission to a custom role"),
        ("revoke", _revoke, "remove a permission from a custom role"),
    ):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("role")
        p.add_argument("permission")
        p.set_defaults(handler=handler)

    for verb, handler, text in (
        ("assign", _assign, "give a user a role"),
        ("unassign", _unassign, "take a role from a user"),
    ):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("username")
        p.add_argument("role")
        p.set_defaults(handler=handler)

    delete = verbs.add_parser("delete", help="delete an unused custom role")
    delete.add_argument("role")
    delete.set_defaults(handler=_delete)

    for p in verbs.choices.values():
        add_org_option(p)


def _describe(role: roles.Role) -> dict[str, object]:
    return {
        "name": role.name,
        "builtin": role.builtin_key or "",
        "permissions": sorted(role.permissions),
        "description": role.description,
    }


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    data = [_describe(r) for r in roles.list_roles(app, cli_actor(app, args.org))]
    rows = [(d["name"], d["builtin"] or "custom", " ".join(d["permissions"])) for d in data]
    emit(args, data, rows, ("ROLE", "KIND", "PERMISSIONS"))
    return 0


def _perms(args: argparse.Namespace) -> int:
    emit(args, PERMISSIONS, sorted(PERMISSIONS.items()), ("PERMISSION", "MEANING"))
    return 0


def _create(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    role = roles.create_role(
        app,
        cli_actor(app, args.org),
        args.name,
        tuple(args.permission),
        based_on=args.based_on,
        description=args.description,
    )
    emit(args, _describe(role))
    return 0


def _grant(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    emit(args, _describe(roles.grant(app, cli_actor(app, args.org), args.role, args.permission)))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    emit(args, _describe(roles.revoke(app, cli_actor(app, args.org), args.role, args.permission)))
    return 0


def _assign(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    roles.assign(app, cli_actor(app, args.org), args.username, args.role)
    emit(args, {"username": args.username, "role": args.role, "assigned": True})
    return 0


def _unassign(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    roles.unassign(app, cli_actor(app, args.org), args.username, args.role)
    emit(args, {"username": args.username, "role": args.role, "assigned": False})
    return 0


def _delete(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    roles.delete_role(app, cli_actor(app, args.org), args.role)
    emit(args, {"role": args.role, "deleted": True})
    return 0
