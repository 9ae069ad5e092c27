"""Small dialogs the screens share: ask for a text, pick one of a list, confirm an action.

Each dismisses with its answer, or None when the operator pressed Escape; the caller
passes a callback to `push_screen`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.common.inputs import FieldInput


class TextDialog(OrderhubModal[str | None]):
    """One line of text (a reason, a tag, a name); Enter answers it."""

    def __init__(self, title: str, prompt: str, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.prompt, self.value, self.placeholder = (
            title,
            prompt,
            value,
            placeholder,
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            yield FieldInput(value=self.value, placeholder=self.placeholder, id="answer")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.ok"), variant="primary", id="ok")
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(FieldInput).focus()

    @on(FieldInput.Submitted)
    @on(Button.Pressed, "#ok")
    def _answer(self) -> None:
        text = self.query_one(FieldInput).value.strip()
        if text:
            self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(OrderhubModal[str | None]):
    """One of `choices` (value, label); Enter picks the highlighted one."""

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], *, empty: str = "") -> None:
        super().__init__()
        self.title_text, self.choices, self.empty = title, list(choices), empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.choices:
                yield OptionList(*(Option(label, id=value) for value, label in self.choices))
            else:
                yield Static(self.empty, classes="dialog-empty")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        if self.choices:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(OrderhubModal[bool | None]):
    """Yes or no to an action described in `message`."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text, self.message = title, message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.ok"), variant="primary", id="ok")
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _no(self) -> None:
        self.dismiss(None)
