"""Intercepted parcels (拦截件), as `orderhub ship intercepted` lists them: held packages
whose waybill is still live — the parcels to pull off the packing table — and recycling
their waybills (`core.shipping.intercepted.recycle_waybills`) once the operator confirms
the parcel is back in hand, not handed to the courier. Nothing is recycled without that
confirmation.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from core import clock
from core.shipping.intercepted import InterceptedPackage, intercepted_packages, recycle_waybills
from tui.actions import ScreenAction
from tui.errors import Notice, Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar

LIMIT = 500


class InterceptedScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("recycle", "r", "packing.recycle", "packing.recycle.help"),
        ScreenAction("refresh", "g", "packing.refresh", "packing.refresh.help"),
        ScreenAction("back", "escape", "app.back"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.found: list[InterceptedPackage] = []

    def compose(self) -> ComposeResult:
        yield TopBar(t("packing.intercepted.title"))
        yield Static(id="held-summary")
        yield DataTable(id="held-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("package", "orders", "waybill", "status", "since", "reason"):
            table.add_column(t(f"packing.held.{key}"), key=key)
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        hub = self.hub
        found = hub.attempt(lambda: intercepted_packages(hub.core, hub.actor, limit=LIMIT))
        if isinstance(found, Reported):
            return
        self.found = found
        table = self.query_one(DataTable)
        table.clear()
        for p in found:
            table.add_row(
                str(p.package_id),
                " ".join(p.order_numbers),
                p.waybill_number,
                t(f"packing.waybill.{p.waybill_status}"),
                clock.local_text(p.held_since),
                p.hold_reason,
                key=str(p.package_id),
            )
        summary = t("packing.held.count", count=len(found)) if found else t("packing.held.none")
        self.query_one("#held-summary", Static).update(summary)

    def _current(self) -> InterceptedPackage | None:
        table = self.query_one(DataTable)
        if not self.found or table.cursor_row >= len(self.found):
            return None
        return self.found[table.cursor_row]

    def action_recycle(self) -> None:
        chosen = self._current()
        if chosen is None:
            return
        message = t(
            "packing.recycle.confirm", package=chosen.package_id, waybill=chosen.waybill_number
        )
        dialog = ConfirmDialog(t("packing.recycle"), message)

        def answered(yes: bool | None) -> None:
            if yes:
                self._recycle(chosen)

        self.app.push_screen(dialog, answered)

    def _recycle(self, chosen: InterceptedPackage) -> None:
        hub = self.hub
        done = hub.attempt(lambda: recycle_waybills(hub.core, hub.actor, [chosen.package_id]))
        if isinstance(done, Reported):
            return
        for outcome in done:
            key = f"packing.recycled.{outcome.outcome}"
            said = t(key, waybill=outcome.waybill_number, error=outcome.error)
            if outcome.outcome == "failed":
                hub.tell(Notice(t("packing.recycle"), said, "warning"))
            else:
                hub.inform(said)
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()
