"""`orderhub token create|list|revoke` — API tokens for merchants' systems and scripts."""

from __future__ import annotations

import argparse
import sys

from cli.common import add_org_option, cli_actor, count, emit, open_cli_app, record_id
from core import clock
from core.accounts import auth


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("token", help="create, list and revoke API tokens")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    create = verbs.add_parser("create", help="create an API token for a user (shown once)")
    create.add_argument("username", help="the user the token acts as")
    create.add_argument("--name", required=True, help="what will use it, e.g. erp-sync")
    create.add_argument("--days", type=count, help="lifetime in days (default from settings)")
    create.set_defaults(handler=_create)

    lst = verbs.add_parser("list", help="list tokens (never their secrets)")
    lst.add_argument("--user", help="only this user's tokens")
    lst.set_defaults(handler=_list)

    revoke = verbs.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", type=record_id)
    revoke.set_defaults(handler=_revoke)

    for p in verbs.choices.values():
        add_org_option(p)


def _create(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    issued = auth.create_api_token(
        app, cli_actor(app, args.org), args.name, username=args.username, days=args.days
    )
    emit(
        args,
        {
            "id": issued.id,
            "token": issued.token,
            "name": issued.name,
            "expires_at": clock.local_text(issued.expires_at),
        },
    )
    if not args.json:
        print("This token is shown once; store it now.", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    tokens = auth.list_tokens(app, cli_actor(app, args.org), username=args.user)
    data = [
        {
            "id": t.id,
            "user": t.username,
            "kind": t.kind,
            "name": t.name,
            "expires_at": clock.local_text(t.expires_at),
            "revoked": clock.local_text(t.revoked_at) if t.revoked_at else None,
            "last_used": clock.local_text(t.last_used_at) if t.last_used_at else None,
        }
        for t in tokens
    ]
    rows = [
        (
            d["id"],
            d["user"],
            d["kind"],
            d["name"],
            d["expires_at"],
            d["revoked"] or "",
            d["last_used"] or "",
        )
        for d in data
    ]
    emit(args, data, rows, ("ID", "USER", "KIND", "NAME", "EXPIRES", "REVOKED", "LAST USED"))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    row = auth.revoke_token(app, cli_actor(app, args.org), args.token_id)
    emit(args, {"id": row.id, "name": row.name, "revoked": True})
    return 0
