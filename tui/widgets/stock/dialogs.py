"""The stock screen's dialogs: `EntryDialog` (a receipt, a count, a transfer or a mapping:
a few fields, one line each, so it fits an 80×24 terminal) and `VerifyDialog` (the
ledger's proof, or the levels that differ).

`EntryDialog` hands what was typed to its `submit` callback and closes only when that
answers True: a refusal (a bad quantity, an unknown code, no `stock.adjust`) is told in
a notice and the dialog stays, with what was typed, to be corrected or cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Static

from core.stock.levels import Difference
from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.common.inputs import FieldInput
from tui.widgets.settings.form import Field

SHOWN_DIFFERENCES = 100


class EntryDialog(OrderhubModal[None]):
    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        submit: Callable[[dict[str, str]], bool],
        *,
        intro: str = "",
    ) -> None:
        super().__init__()
        self.title_text, self.fields, self.submit, self.intro = title, list(fields), submit, intro

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog entry-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.intro:
                yield Static(Text(self.intro), classes="entry-intro")
            with Grid(classes="entry-fields"):
                for field in self.fields:
                    yield Label(field.label, classes="entry-label")
                    yield FieldInput(
                        value=field.value,
                        placeholder=field.placeholder,
                        id=f"field-{field.key}",
                        compact=True,
                    )
            yield Label(t("stock.dialog.keys"), classes="entry-keys")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.ok"), variant="primary", id="ok")
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        """The focus on the first field still empty: what the row did not fill in."""
        inputs = list(self.query(FieldInput))
        empty = [i for i in inputs if not i.value]
        (empty or inputs)[0].focus()

    def values(self) -> dict[str, str]:
        return {f.key: self.query_one(f"#field-{f.key}", FieldInput).value for f in self.fields}

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
        if self.submit(self.values()):
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class VerifyDialog(OrderhubModal[None]):
    """`core.stock.levels.verify`'s answer: all agree, or the first differences."""

    def __init__(self, differences: Sequence[Difference], checked: str) -> None:
        super().__init__()
        self.differences, self.checked = list(differences), checked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog verify-dialog"):
            yield Label(t("stock.verify.title"), classes="dialog-title")
            if not self.differences:
                yield Static(t("stock.verify.ok", checked=self.checked), id="verify-answer")
            else:
                said = t("stock.verify.differs", count=len(self.differences))
                yield Static(Text(said, style="bold red"), id="verify-answer")
                yield DataTable(id="verify-table", cursor_type="row")
                hidden = len(self.differences) - SHOWN_DIFFERENCES
                if hidden > 0:
                    yield Static(t("stock.verify.more", count=hidden), classes="dialog-empty")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("app.ok"), variant="primary", id="ok")

    def on_mount(self) -> None:
        if self.differences:
            table = self.query_one("#verify-table", DataTable)
            for key in ("warehouse", "code", "level", "ledger"):
                table.add_column(t(f"stock.col.{key}"), key=key)
            for d in self.differences[:SHOWN_DIFFERENCES]:
                level, moved = f"{d.level[0]}/{d.level[1]}", f"{d.ledger[0]}/{d.ledger[1]}"
                table.add_row(Text(d.warehouse), Text(d.code), level, moved)
        self.query_one("#ok", Button).focus()

    @on(Button.Pressed, "#ok")
    def _close(self) -> None:
        self.dismiss(None)
