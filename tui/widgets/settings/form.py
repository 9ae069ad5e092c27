"""`FormDialog`: a few labelled fields in one dialog, answered as a mapping of texts.

Enter moves to the next field and answers from the last one; Escape cancels. Checking the
values is the service's job: the section passes them on and the app reports a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label

from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.common.inputs import FieldInput


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # already translated
    value: str = ""
    placeholder: str = ""
    password: bool = False


class FormDialog(OrderhubModal[dict[str, str] | None]):
    def __init__(self, title: str, fields: Sequence[Field]) -> None:
        super().__init__()
        self.title_text, self.fields = title, list(fields)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            for field in self.fields:
                yield Label(field.label, classes="field-label")
                yield FieldInput(
                    value=field.value,
                    placeholder=field.placeholder,
                    password=field.password,
                    id=f"field-{field.key}",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.ok"), variant="primary", id="ok")
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query(FieldInput).first().focus()

    @on(FieldInput.Submitted)
    def _next(self, event: FieldInput.Submitted) -> None:
        inputs = list(self.query(FieldInput))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._answer()

    @on(Button.Pressed, "#ok")
    def _answer(self) -> None:
        self.dismiss(
            {f.key: self.query_one(f"#field-{f.key}", FieldInput).value for f in self.fields}
        )

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
