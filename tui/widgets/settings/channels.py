"""The alert channels section: the notifiers in force — loaded or not, whether they reach
the person or only operators, which carry messages and which forward alerts, the option
names set — the forwarding threshold and recipient, and a test message through one.

Over `core.alertdesk.channels`; channels themselves are changed in the configuration
file (`[plugins] notifiers`, `[alerts]`, `[notifiers.NAME]`), as the section says.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from core.alertdesk import channels
from core.alertdesk.channels import ChannelSettings
from tui.actions import ScreenAction
from tui.i18n import t
from tui.widgets.settings.base import SettingsSection, SettingsTable

COLUMNS = (
    "settings.col.name",
    "settings.channels.col.loaded",
    "settings.channels.col.direct",
    "settings.channels.col.messages",
    "settings.channels.col.alerts",
    "settings.channels.col.options",
)


def yes_no(value: bool) -> str:
    return t("settings.yes") if value else t("settings.no")


class ChannelsSection(SettingsSection):
    SECTION = "channels"
    TITLE = "settings.section.channels"
    ACTIONS: ClassVar = (
        ScreenAction("channel_test", "t", "settings.channels.test", "settings.channels.test.help"),
    )

    def compose(self) -> ComposeResult:
        yield Static("", id="channels-summary", markup=False)
        yield SettingsTable(id="channels-table")
        yield Static(t("settings.channels.where"), classes="section-note", markup=False)

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: channels.list_channels(core, actor), self._show, task="load")

    def _show(self, view: ChannelSettings) -> None:
        self.query_one("#channels-summary", Static).update(
            t(
                "settings.channels.summary",
                severity=t(f"settings.severity.{view.forward_severity}"),
                recipient=view.recipient,
            )
        )
        self.query_one("#channels-table", SettingsTable).fill(
            COLUMNS,
            (
                (
                    c.name,
                    (
                        c.name,
                        yes_no(c.loaded),
                        yes_no(c.direct),
                        yes_no(c.sends_messages),
                        yes_no(c.forwards_alerts),
                        ", ".join(c.options) or "—",
                    ),
                )
                for c in view.channels
            ),
        )

    def action_channel_test(self) -> None:
        name = self.query_one("#channels-table", SettingsTable).selected
        if name is None:
            self.hub.inform(t("settings.none_selected"))
            return
        core, actor = self.hub.core, self.hub.actor
        self.fetch(
            lambda: channels.send_test(core, actor, name),
            lambda delivered: self.hub.inform(t("settings.channels.sent", name=name)),
        )
