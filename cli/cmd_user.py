"""`orderhub user add|list|disable|enable|unlock|reset-password|disable-2fa|language` —
sub-accounts."""

from __future__ import annotations

import argparse

from cli.common import add_org_option, cli_actor, emit, open_cli_app, read_password
from core import clock
from core.accounts import auth, preferences
from core.accounts import users as accounts


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("user", help="manage users (sub-accounts) of an org")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    add = verbs.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--role", action="append", default=[], help="role name (repeatable)")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--contact", default="", help="e-mail or phone for one-time codes")
    _password_options(add)
    add.set_defaults(handler=_add)

    lst = verbs.add_parser("list", help="list users")
    lst.set_defaults(handler=_list)

    for verb, handler, text in (
        ("disable", _disable, "disable a user (ends all their sessions and tokens)"),
        ("enable", _enable, "enable a disabled user"),
        ("unlock", _unlock, "clear a lockout after failed logins"),
        ("disable-2fa", _disable_2fa, "turn off TOTP for a user who lost their phone"),
    ):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("username")
        p.set_defaults(handler=handler)

    language = verbs.add_parser(
        "language", help="set the language a user's terminal UI opens in (zh, en, default)"
    )
    language.add_argument("username")
    language.add_argument("language", metavar="LANG", help="zh, en or default")
    language.set_defaults(handler=_language)

    reset = verbs.add_parser("reset-password", help="set a new password for a user")
    reset.add_argument("username")
    _password_options(reset)
    reset.set_defaults(handler=_reset)

    for p in verbs.choices.values():
        add_org_option(p)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


def _add(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    password = read_password("password for the new user: ", None, args.password_stdin)
    user = accounts.add_user(
        app,
        cli_actor(app, args.org),
        args.username,
        password,
        display_name=args.name,
        contact=args.contact,
        roles=tuple(args.role),
    )
    emit(args, {"id": user.id, "username": user.username, "roles": [r.name for r in user.roles]})
    return 0


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    users = accounts.list_users(app, cli_actor(app, args.org))
    data = [
        {
            "username": u.username,
            "name": u.display_name,
            "status": u.status,
            "roles": [r.name for r in u.roles],
            "totp": u.totp_enabled,
            "failed_logins": u.failed_logins,
            "locked_until": clock.local_text(u.locked_until) if u.locked_until else None,
            "language": u.language,
        }
        for u in users
    ]
    rows = [
        (
            d["username"],
            d["name"],
            d["status"],
            ",".join(d["roles"]),
            "yes" if d["totp"] else "no",
            d["locked_until"] or "",
            d["language"] or "default",
        )
        for d in data
    ]
    headers = ("USER", "NAME", "STATUS", "ROLES", "2FA", "LOCKED UNTIL", "LANGUAGE")
    emit(args, data, rows, headers)
    return 0


def _language(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = cli_actor(app, args.org)
    code = preferences.set_language(app, actor, args.language, username=args.username)
    emit(args, {"username": args.username, "language": code})
    return 0


def _disable(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    user = accounts.set_user_enabled(app, cli_actor(app, args.org), args.username, enabled=False)
    emit(args, {"username": user.username, "status": user.status})
    return 0


def _enable(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    user = accounts.set_user_enabled(app, cli_actor(app, args.org), args.username, enabled=True)
    emit(args, {"username": user.username, "status": user.status})
    return 0


def _unlock(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    user = accounts.unlock_user(app, cli_actor(app, args.org), args.username)
    emit(args, {"username": user.username, "locked": False})
    return 0


def _disable_2fa(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    auth.disable_totp(app, cli_actor(app, args.org), args.username)
    emit(args, {"username": args.username, "totp": False})
    return 0


def _reset(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    password = read_password(f"new password for {args.username}: ", None, args.password_stdin)
    user = accounts.admin_reset_password(app, cli_actor(app, args.org), args.username, password)
    emit(args, {"username": user.username, "password": "changed", "sessions": "ended"})
    return 0
