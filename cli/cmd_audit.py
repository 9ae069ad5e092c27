"""`orderhub audit` — read the org's audit trail (who did what, when)."""

from __future__ import annotations

import argparse

from cli.common import add_org_option, cli_actor, count, emit, open_cli_app
from core import clock
from core.accounts import audit


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="show the audit trail, newest first")
    parser.add_argument("--action", help="only this action, e.g. login.failure")
    parser.add_argument("--limit", type=count, default=50)
    add_org_option(parser)
    parser.set_defaults(handler=_list)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    rows = audit.list_events(app, cli_actor(app, args.org), action=args.action, limit=args.limit)
    data = [
        {
            "id": e.id,
            "at": clock.local_text(e.at),
            "actor": e.actor_label,
            "action": e.action,
            "target": f"{e.target_type}:{e.target_id}" if e.target_type else "",
            "detail": e.detail,
            "before": e.before,
            "after": e.after,
        }
        for e in rows
    ]
    table = [(d["at"], d["actor"], d["action"], d["target"], d["detail"]) for d in data]
    emit(args, data, table, ("AT (Asia/Shanghai)", "ACTOR", "ACTION", "TARGET", "DETAIL"))
    return 0
