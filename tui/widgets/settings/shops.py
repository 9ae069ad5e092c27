"""The shops section: bound shops, binding and unbinding, sync interval and switch, the
sync log, and the progress of a pass — one a worker is running, or "sync now" from here.

Over `core.shops.binding` (list, start and finish a binding, unbind, sync settings),
`core.sync.log` (recent runs, passes running now) and `core.sync.scheduler.sync_shop`
(a manual pass in a thread, its windows reported through core's progress protocol).
"""

from __future__ import annotations

import sys
from multiprocessing import resource_tracker
from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Label, ProgressBar, Static

from core.runtime.progress import Progress
from core.shops import binding
from core.shops.binding import ShopInfo
from core.sync import log as sync_log
from core.sync.scheduler import Control, PassReport, sync_shop
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from tui.widgets.settings.base import SettingsSection, SettingsTable, when
from tui.widgets.settings.shop_bind import REDIRECT_URI, BindDialog

SHOP_COLUMNS = (
    "settings.col.id",
    "settings.col.name",
    "settings.col.platform",
    "settings.col.status",
    "settings.shops.col.sync",
    "settings.shops.col.cursor",
    "settings.shops.col.token",
)
LOG_COLUMNS = (
    "settings.shops.col.started",
    "settings.col.name",
    "settings.shops.col.kind",
    "settings.col.status",
    "settings.shops.col.counts",
    "settings.shops.col.error",
)
LOG_LENGTH = 30


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr.

    A long pass reads windows in reader processes (`core.sync.parallel`), and their pool
    starts the tracker, handing it `sys.stderr.fileno()`; inside a Textual app stderr is
    captured with a file number of -1, which the spawn refuses. Started once, here, on
    the UI's thread with the process's own stderr, the tracker is simply reused.
    """
    captured = sys.stderr
    try:
        sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


class SectionProgress(Progress):
    """Core's progress protocol, drawn on the section from the sync's thread."""

    def __init__(self, section: ShopsSection) -> None:
        self.section = section
        self.done = 0
        self.total: int | None = None
        self.counts: dict[str, int] = {}

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        self.total, self.done = total, done
        self._show()

    def advance(self, n: int = 1, **counts: int) -> None:
        self.done += n
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self._show()

    def finish(self) -> None:
        self._show()

    def _show(self) -> None:
        self.section.app.call_from_thread(
            self.section.show_progress, self.done, self.total, dict(self.counts)
        )


class ShopsSection(SettingsSection):
    SECTION = "shops"
    TITLE = "settings.section.shops"
    ACTIONS: ClassVar = (
        ScreenAction("shop_bind", "b", "settings.shops.bind", "settings.shops.bind.help"),
        ScreenAction("shop_sync", "s", "settings.shops.sync", "settings.shops.sync.help"),
        ScreenAction(
            "shop_interval", "i", "settings.shops.interval", "settings.shops.interval.help"
        ),
        ScreenAction("shop_toggle", "e", "settings.shops.toggle", "settings.shops.toggle.help"),
        ScreenAction("shop_unbind", "u", "settings.shops.unbind", "settings.shops.unbind.help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.shops: dict[str, ShopInfo] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="shops-table")
        yield Static("", id="shops-running", markup=False)
        yield ProgressBar(id="shops-progress", show_eta=False)
        yield Label(t("settings.shops.log"), classes="section-subtitle")
        yield SettingsTable(id="shops-log")

    def load(self) -> None:
        core = self.hub.core
        actor = self.hub.actor

        def read() -> tuple[list[ShopInfo], list[sync_log.RunningPass], list]:
            return (
                binding.list_shops(core, actor),
                sync_log.running_passes(core, actor),
                sync_log.recent_runs(core, actor, limit=LOG_LENGTH),
            )

        self.fetch(read, self._show, task="load")

    def _show(self, data: tuple[list[ShopInfo], list[sync_log.RunningPass], list]) -> None:
        shops, running, runs = data
        self.shops = {str(s.id): s for s in shops}
        busy = {p.shop_id: p for p in running}
        self.query_one("#shops-table", SettingsTable).fill(
            SHOP_COLUMNS,
            (
                (
                    str(s.id),
                    (
                        s.id,
                        s.name,
                        s.platform,
                        t("settings.shops.syncing")
                        if s.id in busy
                        else t(f"settings.shop.{s.status}"),
                        t("settings.shops.every", minutes=s.sync_interval_minutes)
                        if s.sync_enabled
                        else t("settings.off"),
                        when(s.sync_cursor),
                        when(s.token_expires_at),
                    ),
                )
                for s in shops
            ),
        )
        lines = [
            t("settings.shops.running", shop=p.shop_name, worker=p.worker, cursor=when(p.cursor))
            for p in running
        ]
        self.query_one("#shops-running", Static).update(
            "\n".join(lines) or t("settings.shops.idle")
        )
        self.query_one("#shops-log", SettingsTable).fill(
            LOG_COLUMNS,
            (
                (
                    str(r.id),
                    (
                        when(r.started_at),
                        r.shop_name,
                        t(f"settings.run.{r.kind}"),
                        t(f"settings.run.{r.status}"),
                        t("settings.shops.counts", seen=r.seen, new=r.new, updated=r.updated),
                        r.error,
                    ),
                )
                for r in runs
            ),
        )

    def show_progress(self, done: int, total: int | None, counts: dict[str, int]) -> None:
        bar = self.query_one("#shops-progress", ProgressBar)
        bar.update(total=total, progress=done)
        bar.add_class("running")
        self.query_one("#shops-running", Static).update(
            t("settings.shops.progress", done=done, total=total if total is not None else "?")
            + "  "
            + t(
                "settings.shops.counts",
                seen=counts.get("seen", 0),
                new=counts.get("new", 0),
                updated=counts.get("updated", 0),
            )
        )

    def _selected(self) -> ShopInfo | None:
        key = self.query_one("#shops-table", SettingsTable).selected
        if key is None:
            self.hub.inform(t("settings.none_selected"))
            return None
        return self.shops[key]

    # ------------------------------------------------------------ actions

    def action_shop_bind(self) -> None:
        platforms = sorted(self.hub.core.plugins.platforms())
        if len(platforms) == 1:
            self._bind(platforms[0])
            return
        choices = [(name, name) for name in platforms]
        self.app.push_screen(
            ChoiceDialog(
                t("settings.shops.platform"), choices, empty=t("settings.shops.no_platform")
            ),
            lambda name: self._bind(name) if name else None,
        )

    def _bind(self, platform: str) -> None:
        hub = self.hub
        start = hub.attempt(
            lambda: binding.start_authorization(hub.core, hub.actor, platform, REDIRECT_URI)
        )
        if isinstance(start, Reported):
            return
        self.app.push_screen(BindDialog(start), self._bound)

    def _bound(self, shop: ShopInfo | None) -> None:
        if shop is not None:
            self.hub.inform(t("settings.shops.bound", name=shop.name))
            self.load()

    def action_shop_unbind(self) -> None:
        shop = self._selected()
        if shop is None:
            return
        hub = self.hub

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change(
                    lambda: binding.unbind_shop(hub.core, hub.actor, shop.id),
                    t("settings.shops.unbound", name=shop.name),
                )

        self.app.push_screen(
            ConfirmDialog(
                t("settings.shops.unbind"), t("settings.shops.unbind.ask", name=shop.name)
            ),
            confirmed,
        )

    def action_shop_interval(self) -> None:
        shop = self._selected()
        if shop is None:
            return
        hub = self.hub

        def answered(text: str | None) -> None:
            if text is None:
                return
            minutes = int(text) if text.isdigit() else -1
            self.change(
                lambda: binding.update_sync_settings(
                    hub.core, hub.actor, shop.id, interval_minutes=minutes
                ),
                t("settings.shops.interval.done", name=shop.name, minutes=text),
            )

        self.app.push_screen(
            TextDialog(
                t("settings.shops.interval"),
                t("settings.shops.interval.ask", name=shop.name),
                value=str(shop.sync_interval_minutes),
            ),
            answered,
        )

    def action_shop_toggle(self) -> None:
        shop = self._selected()
        if shop is None:
            return
        hub, enabled = self.hub, not shop.sync_enabled
        self.change(
            lambda: binding.update_sync_settings(hub.core, hub.actor, shop.id, enabled=enabled),
            t(
                "settings.shops.toggled",
                name=shop.name,
                state=t("settings.on" if enabled else "settings.off"),
            ),
        )

    def action_shop_sync(self) -> None:
        shop = self._selected()
        if shop is None:
            return
        hub = self.hub
        start_resource_tracker()
        control = Control(progress=SectionProgress(self))
        self.show_progress(0, None, {})
        self.fetch(lambda: sync_shop(hub.core, hub.actor, shop.id, control=control), self._synced)

    def _synced(self, report: PassReport) -> None:
        self.query_one("#shops-progress", ProgressBar).remove_class("running")
        if report.status == "ok":
            self.hub.inform(
                t("settings.shops.synced", name=report.shop_name, seen=report.seen, new=report.new)
            )
        else:
            self.hub.inform(
                t("settings.shops.sync_failed", name=report.shop_name, error=report.error)
            )
        self.load()
