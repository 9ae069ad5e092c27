"""The shipping section: whether ship-back confirms only packages verified at the pack
station ("shipping requires verification"), over `core.shipping.settings`."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from core.shipping import settings as shipping_settings
from core.shipping.settings import ShippingSettings
from tui.actions import ScreenAction
from tui.i18n import t
from tui.widgets.settings.base import SettingsSection, on_off


class ShippingSection(SettingsSection):
    SECTION = "shipping"
    TITLE = "settings.section.shipping"
    ACTIONS: ClassVar = (
        ScreenAction(
            "shipping_toggle", "t", "settings.shipping.toggle", "settings.shipping.toggle.help"
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.current: ShippingSettings | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="shipping-verification", classes="setting-line")
        yield Static(t("settings.shipping.explain"), classes="section-note")

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: shipping_settings.show_settings(core, actor), self._show, task="load")

    def _show(self, current: ShippingSettings) -> None:
        self.current = current
        self.query_one("#shipping-verification", Static).update(
            t("settings.shipping.verification", state=on_off(current.require_verification))
        )

    def action_shipping_toggle(self) -> None:
        if self.current is None:
            return
        core, actor = self.hub.core, self.hub.actor
        wanted = not self.current.require_verification
        self.change(
            lambda: shipping_settings.update_settings(core, actor, require_verification=wanted),
            t("settings.shipping.changed", state=on_off(wanted)),
        )
