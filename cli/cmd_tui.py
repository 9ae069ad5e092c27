"""`orderhub tui` — the terminal UI (`tui.app.make_app`), in the user's language: Chinese
unless they chose English (`orderhub user language`, or the palette's switch) or `--lang`.

Without `--as` the operator signs in (password, then the TOTP code when enrolled) and the
session expires like any other. `--as USER` acts as that user of the org from the host,
as the other commands do (`cli.common.acting_actor`); `--org` picks the org when there
are several. Without a terminal (a pipe, a script) it says so and exits 1.
"""

from __future__ import annotations

import argparse
import sys

from cli.common import acting_actor, add_org_option, settings_from
from core.errors import OrderhubError
from core.startup import open_app
from tui.app import make_app
from tui.i18n import LANGUAGES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tui", help="the terminal UI: order desk, printing, pack station")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of the UI (default: the user's choice, `orderhub user language`, else zh)",
    )
    parser.add_argument("--as", dest="as_user", metavar="USER", help="act as this user")
    add_org_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise OrderhubError(
            "the terminal UI needs a terminal on stdin and stdout (over SSH: ssh -t HOST)"
        )
    settings = settings_from(args)
    core = open_app(settings)
    try:
        actor = acting_actor(core, args) if args.as_user else None
        make_app(settings, actor, lang=args.lang, core=core).run()
    finally:
        core.close()
    return 0
