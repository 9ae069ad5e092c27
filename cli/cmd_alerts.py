"""`orderhub alerts list|ack|run`: what an operator must see, and saying it was seen.

`list` shows the open alerts of your org, newest first (`--all` adds acknowledged ones;
`--severity warning` shows warning and critical; `--kind order.*` a family; `--since`
a Beijing time or date). `ack ID…` acknowledges alerts, `ack --kind KIND` every open
alert of a kind (audited). `run` runs now what the worker runs every minute: the
"overdue to ship" check and forwarding new alerts to the notifiers.
Installation-wide alerts show to admins (`settings.manage`); see docs/guide.md.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time

from cli.common import acting_actor, add_actor_options, count, emit, open_cli_app, record_id
from core import clock
from core.alertdesk import listing, passes
from core.alertdesk.listing import AckResult, AlertView
from core.alerts.raising import SEVERITIES
from core.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "alerts",
        help="alerts to see and acknowledge: list, ack, run",
        description=__doc__.split("\n\n", 1)[0],
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    lister = verbs.add_parser("list", help="open alerts, newest first")
    lister.add_argument("--all", action="store_true", help="acknowledged ones too")
    lister.add_argument("--severity", choices=SEVERITIES, help="this severity and higher")
    lister.add_argument("--kind", help="one kind (sync.failing) or a family (order.*)")
    lister.add_argument("--since", type=_since, help="raised at or after (Beijing time)")
    lister.add_argument("--limit", type=count, default=100, metavar="N")
    lister.set_defaults(handler=_list)

    ack = verbs.add_parser("ack", help="acknowledge alerts by id, or all open of a kind")
    ack.add_argument("ids", type=record_id, nargs="*", metavar="ID")
    ack.add_argument("--kind", help="every open alert of this kind (or family: order.*)")
    ack.set_defaults(handler=_ack)

    run = verbs.add_parser("run", help="run the overdue check and forward new alerts now")
    run.set_defaults(handler=_run)

    for p in verbs.choices.values():
        add_actor_options(p)


def _list(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    found = listing.list_alerts(
        app,
        acting_actor(app, args),
        include_acked=args.all,
        severity=args.severity,
        kind=args.kind,
        since=args.since,
        limit=args.limit,
    )
    emit(
        args,
        [_data(a) for a in found],
        [
            (
                a.id,
                clock.local_text(a.created_at),
                a.severity,
                a.kind,
                _state(a),
                a.message.replace("\n", " / "),
            )
            for a in found
        ],
        ("ID", "RAISED", "SEVERITY", "KIND", "STATE", "MESSAGE"),
    )
    return 0


def _ack(args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.kind):
        raise ValidationError("give alert ids or --kind KIND (not both)", field="ids")
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    if args.kind:
        result = listing.ack_kind(app, actor, args.kind)
    else:
        result = listing.ack_alerts(app, actor, args.ids)
    _print_ack(args, result)
    return 0


def _run(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    report = passes.run_now(app, acting_actor(app, args))
    emit(
        args,
        report.as_dict(),
        [
            ("overdue alerts raised", len(report.raised)),
            ("alerts forwarded", report.forwarded),
            ("forwarding failed", report.forward_error or "-"),
        ],
    )
    return 0


def _print_ack(args: argparse.Namespace, result: AckResult) -> None:
    data = {"acked": [_data(a) for a in result.acked], "already": list(result.already)}
    rows = [(a.id, a.kind, "acknowledged") for a in result.acked]
    rows += [(i, "", "already acknowledged") for i in result.already]
    if not rows:
        rows = [("-", "", "no open alert of that kind")]
    emit(args, data, rows, ("ID", "KIND", "RESULT"))


def _state(alert: AlertView) -> str:
    if alert.acked_at is None:
        return "open"
    who = f" by {alert.acked_by}" if alert.acked_by else ""
    return f"acked {clock.local_text(alert.acked_at)}{who}"


def _data(alert: AlertView) -> dict[str, object]:
    return {
        "id": alert.id,
        "org_id": alert.org_id,
        "installation_wide": alert.installation_wide,
        "kind": alert.kind,
        "severity": alert.severity,
        "message": alert.message,
        "created_at": alert.created_at.isoformat(),
        "acked_at": alert.acked_at.isoformat() if alert.acked_at else None,
        "acked_by": alert.acked_by,
    }


def _since(text: str) -> datetime:
    """YYYY-MM-DD (from that day's start) or an ISO time; no zone means Beijing time."""
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(), clock.SHANGHAI)
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give YYYY-MM-DD or a time like 2026-11-27T08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=clock.SHANGHAI)
