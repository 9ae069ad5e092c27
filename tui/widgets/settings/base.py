"""What every section of the settings screen shares.

A section is a widget in the screen's content area with its `ACTIONS` (`ScreenAction`,
one line each, like a screen's) and an `action_<name>` method per action. The screen
(`tui.screens.settings`) offers the actions of the section on show — footer and command
palette — and forwards them here. `load` (re)reads the section's data through
`OrderhubApp.in_background`, so a slow service never freezes the screen and a refusal is
reported in the one place errors are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable

from core import clock
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t

if TYPE_CHECKING:
    from tui.app import OrderhubApp

T = TypeVar("T")


class SettingsSection(Vertical):
    """One section: `SECTION` is its id, `TITLE` the catalogue key of its name."""

    SECTION: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    ACTIONS: ClassVar[tuple[ScreenAction, ...]] = ()

    def __init__(self) -> None:
        super().__init__(id=f"section-{self.SECTION}", classes="settings-section")

    @property
    def hub(self) -> OrderhubApp:
        return cast("OrderhubApp", self.app)

    def load(self) -> None:
        """Read the section's data again (when shown, and after each change)."""

    def run(self, name: str) -> None:
        getattr(self, f"action_{name}")()

    def offers(self, action: str) -> bool:
        """Whether `action` can run now (e.g. not while nothing is listed)."""
        return True

    def focus_first(self) -> None:
        """Put the focus on the section's main table."""
        tables = self.query(SettingsTable)
        if tables:
            tables.first().focus()

    def fetch(self, call: Callable[[], T], then: Callable[[T], None], *, task: str = "act") -> None:
        """`call` (a service call) in a thread, `then` with its answer on the screen.

        The newest call of a section's `task` wins; reading (`load`) is a task of its own,
        so an action's answer may load the section again without cancelling itself.
        """
        self.hub.in_background(call, then, group=f"settings-{self.SECTION}-{task}")

    def change(self, call: Callable[[], object], done: str) -> bool:
        """Run a change now; on success say `done` and load again. False when refused."""
        answer = self.hub.attempt(call)
        if isinstance(answer, Reported):
            return False
        self.hub.inform(done)
        self.load()
        return True


class SettingsTable(DataTable[str]):
    """A table of one row per record, keyed by the record's id or name."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def fill(self, columns: Sequence[str], rows: Iterable[tuple[str, Sequence[object]]]) -> None:
        """Columns (catalogue keys) and `(key, cells)` rows; the cursor stays where it was."""
        row = self.cursor_row
        self.clear(columns=True)
        self.add_columns(*(t(c) for c in columns))
        for key, cells in rows:
            self.add_row(*(Text(str(c)) for c in cells), key=key)  # data, never markup
        if self.row_count:
            self.move_cursor(row=min(max(row, 0), self.row_count - 1))

    @property
    def selected(self) -> str | None:
        """The key of the row under the cursor, None when the table is empty."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return cast(str, key.value)


def when(value: datetime | None) -> str:
    """A time for people: Asia/Shanghai to the minute, or a dash."""
    return clock.local_text(value) if value is not None else "—"


def on_off(value: bool) -> str:
    return t("settings.on") if value else t("settings.off")
