"""`orderhub audit-rules show|set|run`: the org's 审单 rule set.

`show` prints every switch and parameter; `set KEY=VALUE...` changes some (on/off for
switches, whole numbers, `none` for no bound, colours comma-separated: `stop_flags=red,
purple`), needs settings.manage and is audited; `run` is the periodic pass the worker
makes: it approves pending orders whose wait after payment has ended and checks orders
nothing has checked yet.
"""

from __future__ import annotations

import argparse

from cli.common import acting_actor, add_actor_options, emit, open_cli_app
from core.auditing import engine, settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit-rules", help="审单 rules: show, set, run the periodic pass")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    show = verbs.add_parser("show", help="the rule set's switches and parameters")
    show.set_defaults(handler=_show)
    change = verbs.add_parser("set", help="change settings: KEY=VALUE ...")
    change.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    change.set_defaults(handler=_set)
    run = verbs.add_parser("run", help="approve orders whose wait has ended; check unchecked")
    run.set_defaults(handler=_run)
    for p in verbs.choices.values():
        add_actor_options(p)


def _show(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    view = settings.show(app, acting_actor(app, args))
    _print(args, view)
    return 0


def _set(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    view = settings.update(app, actor, settings.parse_assignments(args.assignments))
    _print(args, view)
    return 0


def _run(args: argparse.Namespace) -> int:
    app = open_cli_app(args)
    actor = acting_actor(app, args)
    report = engine.run_pass(app, actor)
    data = {
        "checked": report.checked,
        "approved": len(report.approved),
        "in_exception": len(report.failures),
    }
    emit(args, data)
    return 0


def _print(args: argparse.Namespace, view: settings.RuleSetView) -> None:
    data = {"version": view.version, "settings": view.settings}
    rows = [(key, _text(value)) for key, value in view.settings.items()]
    emit(args, data, [("version", view.version), *rows], ("SETTING", "VALUE"))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(value) or "-"
    return "none" if value is None else str(value)
