"""The shipping screen's tables, each filled from one service answer and keyed so the
screen can say which row the cursor is on: outbox rows by order number, failure classes,
alerts by id. Times are shown in Beijing time (`core.clock.local_text`)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from core import clock
from core.alertdesk.listing import AlertView
from core.shipback.overview import FailureClass
from core.shipback.review import OutboxRow
from tui.i18n import t

STATE_STYLES = {
    "pending": "",
    "sending": "bold cyan",
    "done": "green",
    "held": "bold red",
    "needs_person": "bold yellow",
    "shipped_outside": "dim",
}
SEVERITY_STYLES = {"info": "", "warning": "bold yellow", "critical": "bold white on red"}
ERROR_WIDTH = 80


class KeyedTable(DataTable[object]):
    """A row-cursor table whose rows carry a key (`current_key`)."""

    COLUMNS: tuple[str, ...] = ()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key in self.COLUMNS:
            self.add_column(t(f"shipping.col.{key}"), key=key)

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value


class OutboxTable(KeyedTable):
    COLUMNS = ("order", "package", "tracking", "state", "tries", "next", "error")

    def show(self, rows: Sequence[OutboxRow]) -> None:
        self.clear()
        for r in rows:
            waiting = r.state == "pending" and r.next_attempt_at is not None
            error = f"[{r.last_error_class}] {r.last_error}" if r.last_error_class else ""
            self.add_row(
                r.order_number,
                str(r.package_id),
                r.tracking_number,
                Text(t(f"shipping.state.{r.state}"), style=STATE_STYLES.get(r.state, "")),
                str(r.attempts),
                clock.local_text(r.next_attempt_at) if waiting and r.next_attempt_at else "",
                error[:ERROR_WIDTH],
                key=r.order_number,
            )


class ClassesTable(KeyedTable):
    COLUMNS = ("state", "class", "count", "meaning")

    def show(self, classes: Sequence[FailureClass]) -> None:
        self.clear()
        for c in classes:
            self.add_row(
                Text(t(f"shipping.state.{c.state}"), style=STATE_STYLES.get(c.state, "")),
                c.error_class,
                str(c.count),
                t(f"shipping.class.{c.error_class}"),
                key=f"{c.state}:{c.error_class}",
            )


class AlertsTable(KeyedTable):
    COLUMNS = ("id", "raised", "severity", "kind", "message")

    def show(self, alerts: Sequence[AlertView]) -> None:
        self.clear()
        for a in alerts:
            self.add_row(
                str(a.id),
                clock.local_text(a.created_at),
                Text(
                    t(f"shipping.severity.{a.severity}"), style=SEVERITY_STYLES.get(a.severity, "")
                ),
                a.kind,
                a.message.replace("\n", " / "),
                key=str(a.id),
            )
