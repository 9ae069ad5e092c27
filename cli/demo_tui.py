"""The interactive end of `orderhub demo`: sign in as the demo admin, open the order desk.

`orderhub demo` on a terminal builds the installation as the headless run does (the
sandbox in a thread of this process, init, the shop bound, orders synced, a carrier
account and a `file` printer), then hands over here: the admin signs in through the
same path as the login screen (`tui.session.sign_in`: password checked, a session token
issued and audited) and the terminal UI (`tui.app.make_app`) opens on the order desk over
the demo's core handle. When the operator quits, `run` returns and the demo stops the
sandbox, so nothing is left running.

Whether to open the UI at all is `interactive`: both ends of the terminal must be one
(Textual reads keys from stdin and draws on stdout); anything else runs headless.
"""

from __future__ import annotations

import sys
from typing import TextIO

from core.app import App
from tui.app import make_app
from tui.session import sign_in


def interactive(stdin: TextIO | None = None, stdout: TextIO | None = None) -> bool:
    """Whether the demo may open the terminal UI: stdin and stdout are a terminal."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    return _isatty(stdin) and _isatty(stdout)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def open_desk(core: App, username: str, password: str, *, lang: str | None) -> None:
    """Sign `username` in and run the terminal UI on the order desk until they quit."""
    session = sign_in(core, username, password, None)
    tui = make_app(core.settings, session.actor, lang=lang, core=core, session_token=session.token)
    tui.run()
