"""`orderhub org list|register|verify|resend-code` — merchant accounts on this installation.

Registration is self-service: the new admin receives a one-time code through the configured
notifiers and confirms it with `org verify`. With the default `log` notifier the code is
shown on this console (stderr) for the operator to pass on; it is stored nowhere in clear.
"""

from __future__ import annotations

import argparse

from cli.common import emit, notifications_on_console, open_cli_app, read_password
from core import clock
from core.accounts import actors, registration


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("org", help="list and register merchant accounts (orgs)")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    verbs.add_parser("list", help="list orgs").set_defaults(handler=_list)

    reg = verbs.add_parser("register", help="register a new org and its admin (sends a code)")
    reg.add_argument("name", help="org (merchant) name")
    reg.add_argument("admin", help="the admin's user name")
    reg.add_argument("--contact", required=True, help="e-mail or phone that receives the code")
    reg.add_argument("--password-stdin", action="store_true")
    reg.set_defaults(handler=_register)

    verify = verbs.add_parser("verify", help="confirm a registration with its code")
    verify.add_argument("admin")
    verify.add_argument("code")
    verify.set_defaults(handler=_verify)

    resend = verbs.add_parser("resend-code", help="send a new registration code")
    resend.add_argument("admin")
    resend.set_defaults(handler=_resend)


def _list(args: argparse.Namespace) -> int:
    orgs = actors.list_orgs(open_cli_app(args))
    data = [
        {
            "id": o.id,
            "name": o.name,
            "status": o.status,
            "users": o.users,
            "created": clock.local_text(o.created_at),
        }
        for o in orgs
    ]
    rows = [(d["id"], d["name"], d["status"], d["users"], d["created"]) for d in data]
    emit(args, data, rows, ("ID", "ORG", "STATUS", "USERS", "CREATED"))
    return 0


def _register(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    password = read_password("admin password: ", None, args.password_stdin)
    with notifications_on_console():
        reg = registration.register_org(app, args.name, args.admin, password, args.contact)
    emit(
        args,
        {
            "org_id": reg.org_id,
            "admin": reg.username,
            "code_sent_to": reg.code_sent_to,
            "next": f"orderhub org verify {reg.username} CODE",
        },
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    registration.verify_registration(app, args.admin, args.code)
    emit(args, {"admin": args.admin, "verified": True})
    return 0


def _resend(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    with notifications_on_console():
        registration.resend_registration_code(app, args.admin)
    # Said the same whether or not a registration waits under that name (no enumeration).
    emit(args, {"admin": args.admin, "code": "sent, if a registration waits under that name"})
    return 0
