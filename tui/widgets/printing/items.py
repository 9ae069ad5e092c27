"""`JobItems`: a print job's items by position — orders, waybill, printer, state, error —
with each state changed as the runner reports it. A very large job shows its first
`MAX_ROWS` items (the counters above cover the rest).

A runner reports a chunk of labels sent as one `done` event naming the chunk's last
position (a PDF printer takes several labels as one document); each printer sends its
items in position order, so that event settles every item of that printer up to the
position that is still waiting."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.printing.history import ItemInfo
from tui.i18n import t

MAX_ROWS = 1000
STATE_STYLES = {
    "done": "green",
    "failed": "bold red",
    "uncertain": "bold yellow",
    "sending": "bold",
    "queued": "dim",
    "cancelled": "dim strike",
}
COLUMNS = ("position", "orders", "waybill", "printer", "state", "error")


class JobItems(DataTable[object]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows_now: dict[int, tuple[str, str]] = {}  # position → (printer, state)

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key in COLUMNS:
            self.add_column(t(f"printing.col.{key}"), key=key)

    def show(self, items: list[ItemInfo]) -> None:
        self.clear()
        self.rows_now = {i.position: (i.printer, i.state) for i in items[:MAX_ROWS]}
        for item in items[:MAX_ROWS]:
            self.add_row(
                str(item.position),
                " ".join(item.orders),
                item.waybill,
                item.printer,
                state_text(item.state),
                item.error,
                key=str(item.position),
            )

    def set_state(self, position: int, state: str, message: str = "", printer: str = "") -> None:
        """An item's new state; `done` settles the printer's waiting items up to it."""
        settled = [position]
        if state == "done":
            settled = [
                p
                for p, (on, now) in self.rows_now.items()
                if p <= position and on == printer and now in ("queued", "sending")
            ]
        for at in settled:
            self._set(at, state, message)

    def _set(self, position: int, state: str, message: str) -> None:
        if position not in self.rows_now:  # past MAX_ROWS, or a reprint item added since
            return
        self.rows_now[position] = (self.rows_now[position][0], state)
        self.update_cell(str(position), "state", state_text(state))
        if state in ("failed", "uncertain") and message:
            self.update_cell(str(position), "error", message)

    def current_position(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def state_at(self, position: int) -> str:
        return self.rows_now.get(position, ("", ""))[1]


def state_text(state: str) -> Text:
    return Text(t(f"printing.state.{state}"), style=STATE_STYLES.get(state, ""))
