"""`TopBar`: one line naming the app, the screen and who is working for which org.

Textual's `Header` takes three lines with its clock; a terminal of 24 rows needs them for
orders, so every screen has this single line instead.
"""

from __future__ import annotations

from textual.widgets import Static

from tui.i18n import t


class TopBar(Static):
    def __init__(self, screen_title: str) -> None:
        super().__init__(classes="top-bar")
        self.screen_title = screen_title

    def on_mount(self) -> None:
        session = getattr(self.app, "session", None)
        who = ""
        if session is not None:
            user = session.actor.label
            if session.actor.is_system:
                user = t("app.system_user")
            who = t("app.signed_in", user=user, org=session.org_name)
        self.update(f"[b]{t('app.title')}[/b] │ {self.screen_title}  [dim]{who}[/dim]")
