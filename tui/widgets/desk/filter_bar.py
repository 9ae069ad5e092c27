"""The desk's filter bar: the filter language typed with completion (`completion`).

Enter applies the filter (`FilterBar.Applied`); Tab accepts the completion shown, or moves
on when there is none; Escape returns to the table.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label

from tui.i18n import t
from tui.widgets.common.inputs import FieldInput
from tui.widgets.desk.completion import FilterSuggester, Known


class FilterInput(FieldInput):
    BINDINGS: ClassVar = [
        Binding("tab", "complete", show=False),
        Binding("escape", "leave", show=False),
    ]

    def action_complete(self) -> None:
        before = self.value
        if self.cursor_position == len(self.value):
            self.action_cursor_right()  # accepts the suggestion at the end of the text
        if self.value == before:
            self.screen.focus_next()

    def action_leave(self) -> None:
        self.screen.focus_next()


class FilterBar(Horizontal):
    class Applied(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, known: Known, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.known = known

    def compose(self) -> ComposeResult:
        yield Label(t("desk.filter.label"), id="filter-label")
        yield FilterInput(
            id="filter",
            placeholder=t("desk.filter.placeholder"),
            suggester=FilterSuggester(self.known),
        )

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def on_input_submitted(self, event: FilterInput.Submitted) -> None:
        event.stop()
        self.post_message(self.Applied(event.value.strip()))

    def set_text(self, text: str) -> None:
        self.input.value = text
        self.input.cursor_position = len(text)
