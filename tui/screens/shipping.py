"""The shipping screen (发货): confirming packages shipped, the ship-back outbox, its
failures, and the alerts people must see.

Everything here is a call to `core.shipback` or `core.alertdesk`, as `orderhub ship` and
`orderhub alerts` make them:

- the summary: `review.outbox_status` counts, the oldest waiting row, and
  `overview.ready_counts` (packages verified, or printed, waiting to be confirmed);
- `c` confirms every ready package (`confirm.confirm_ready`: verified ones, or printed
  ones too unless the org ships verified packages only), after a confirmation dialog;
- `d` drains the org's due confirmations now (`drain.drain_now`, in the background; its
  progress reports move a bar through `DrainWatch`);
- the failures tab: `overview.failure_classes` (many rows of one cause read as one line)
  and the held and needs-a-person rows; `r` retries the row under the cursor
  (`review.retry`), `o` marks its order shipped by other means (`mark_shipped_outside`,
  with a note, after a confirmation);
- the alerts tab: open alerts (`listing.list_alerts`); `a` acknowledges the one under
  the cursor (`listing.ack_alerts`, audited).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import ProgressBar, TabbedContent, TabPane

from core.alertdesk.listing import ack_alerts, list_alerts
from core.shipback import confirm, drain, overview, review
from core.shipback.review import ReviewResult
from tui.actions import ScreenAction
from tui.errors import REPORTED, Notice, Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ConfirmDialog, TextDialog
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.shipping.summary import DrainProgressed, DrainWatch, ShippingSummary
from tui.widgets.shipping.tables import AlertsTable, ClassesTable, OutboxTable

ROWS = 200
TABS = ("outbox", "failures", "alerts")


class ShippingScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("confirm_ready", "c", "shipping.confirm", "shipping.confirm.help"),
        ScreenAction("drain", "d", "shipping.drain", "shipping.drain.help"),
        ScreenAction("retry", "r", "shipping.retry", "shipping.retry.help"),
        ScreenAction("outside", "o", "shipping.outside", "shipping.outside.help"),
        ScreenAction("ack", "a", "shipping.ack", "shipping.ack.help"),
        ScreenAction("refresh", "g", "shipping.refresh", "shipping.refresh.help"),
        *(
            ScreenAction(f"tab('{name}')", str(n), f"shipping.tab.{name}", footer=False)
            for n, name in enumerate(TABS, 1)
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.draining = False
        self.ready: overview.ReadyCounts | None = None

    def compose(self) -> ComposeResult:
        yield TopBar(t("shipping.title"))
        yield ShippingSummary(id="ship-summary")
        yield ProgressBar(show_eta=False, id="drain-bar")
        with TabbedContent(id="ship-tabs"):
            with TabPane(t("shipping.tab.outbox"), id="outbox"):
                yield OutboxTable(id="outbox-table")
            with TabPane(t("shipping.tab.failures"), id="failures"):
                yield ClassesTable(id="classes-table")
                yield OutboxTable(id="failed-table")
            with TabPane(t("shipping.tab.alerts"), id="alerts"):
                yield AlertsTable(id="alerts-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#drain-bar").display = False
        self.action_refresh()
        self.query_one("#outbox-table").focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    @property
    def tab(self) -> str:
        return str(self.query_one(TabbedContent).active)

    def on_tabbed_content_tab_activated(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry", "outside"):
            return self.tab == "failures"
        if action == "ack":
            return self.tab == "alerts"
        if action == "drain":
            return not self.draining
        return True

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        table = {"outbox": "#outbox-table", "failures": "#failed-table", "alerts": "#alerts-table"}
        self.query_one(table[name]).focus()

    # ------------------------------------------------------------ reading

    def action_refresh(self) -> None:
        hub = self.hub
        core, actor = hub.core, hub.actor

        def read() -> tuple:  # type: ignore[type-arg]
            status = review.outbox_status(core, actor, limit=ROWS)
            held = review.outbox_status(core, actor, state="held", limit=ROWS).rows
            stuck = review.outbox_status(core, actor, state="needs_person", limit=ROWS).rows
            classes = overview.failure_classes(core, actor)
            ready = overview.ready_counts(core, actor)
            return status, [*held, *stuck], classes, ready, list_alerts(core, actor, limit=ROWS)

        found = hub.attempt(read)
        if isinstance(found, Reported):
            return
        status, failed, classes, ready, alerts = found
        self.ready = ready
        self.query_one(ShippingSummary).show(status.counts, status.oldest_open, ready)
        self.query_one("#outbox-table", OutboxTable).show(status.rows)
        self.query_one("#classes-table", ClassesTable).show(classes)
        self.query_one("#failed-table", OutboxTable).show(failed)
        self.query_one("#alerts-table", AlertsTable).show(alerts)
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("failures").label = t("shipping.tab.failures_n", count=len(failed))
        tabs.get_tab("alerts").label = t("shipping.tab.alerts_n", count=len(alerts))

    # ------------------------------------------------------------ confirming and draining

    def action_confirm_ready(self) -> None:
        hub, ready = self.hub, self.ready
        if ready is None or not ready.confirmable:
            hub.inform(t("shipping.nothing_ready"))
            return
        status = "verified" if ready.require_verification else "printed"

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            done = hub.attempt(lambda: confirm.confirm_ready(hub.core, hub.actor, status=status))
            if isinstance(done, Reported):
                return
            said = t("shipping.confirmed", count=len(done.confirmed), rows=done.outbox_rows)
            if done.refused:
                package, why = next(iter(done.refused.items()))
                said += "\n" + t(
                    "shipping.refused", count=len(done.refused), package=package, why=why
                )
                hub.tell(Notice(t("shipping.confirm"), said, "warning"))
            else:
                hub.inform(said, t("shipping.confirm"))
            self.action_refresh()

        message = t("shipping.confirm.ask", count=ready.confirmable)
        self.app.push_screen(ConfirmDialog(t("shipping.confirm"), message), confirmed)

    def action_drain(self) -> None:
        hub = self.hub
        core, actor, watch = hub.core, hub.actor, DrainWatch(self)
        self.draining = True
        self.refresh_bindings()
        hub.in_background(
            lambda: drain.drain_now(core, actor, progress=watch),
            self._drained,
            group="ship-drain",
            failed=lambda: self._drained(REPORTED),
        )

    def on_drain_progressed(self, message: DrainProgressed) -> None:
        bar = self.query_one("#drain-bar", ProgressBar)
        bar.display = not message.finished
        bar.update(total=message.total or None, progress=message.done)

    def _drained(self, report: drain.DrainReport | Reported) -> None:
        self.draining = False
        self.query_one("#drain-bar").display = False
        if not isinstance(report, Reported):
            said = t(
                "shipping.drained",
                sent=report.sent,
                already=report.already_shipped,
                held=report.held,
                person=report.needs_person,
                retrying=report.retrying,
            )
            self.hub.inform("\n".join([said, *report.errors]), t("shipping.drain"))
        self.refresh_bindings()
        self.action_refresh()

    # ------------------------------------------------------------ failures and alerts

    def _failed_order(self) -> str | None:
        return self.query_one("#failed-table", OutboxTable).current_key()

    def action_retry(self) -> None:
        number, hub = self._failed_order(), self.hub
        if number is None:
            return
        done = hub.attempt(lambda: review.retry(hub.core, hub.actor, [number]))
        if not isinstance(done, Reported):
            self._reviewed(done, "shipping.retried")

    def action_outside(self) -> None:
        number, hub = self._failed_order(), self.hub
        if number is None:
            return

        def noted(note: str | None) -> None:
            if not note:
                return
            done = hub.attempt(
                lambda: review.mark_shipped_outside(hub.core, hub.actor, [number], note=note)
            )
            if not isinstance(done, Reported):
                self._reviewed(done, "shipping.marked_outside")

        prompt = t("shipping.outside.ask", order=number)
        self.app.push_screen(TextDialog(t("shipping.outside"), prompt), noted)

    def _reviewed(self, done: ReviewResult, key: str) -> None:
        for number in done.changed:
            self.hub.inform(t(key, order=number))
        for why in done.refused.values():
            self.hub.inform(why, t("shipping.not_changed"))
        self.action_refresh()

    def action_ack(self) -> None:
        key, hub = self.query_one("#alerts-table", AlertsTable).current_key(), self.hub
        if key is None:
            return
        done = hub.attempt(lambda: ack_alerts(hub.core, hub.actor, [int(key)]))
        if not isinstance(done, Reported):
            hub.inform(t("shipping.acked", id=key))
            self.action_refresh()
