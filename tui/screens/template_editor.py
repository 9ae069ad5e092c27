"""The template editor: a template's elements in a list, the chosen element's position,
size and text in fields, and the label redrawn with sample data after each change.

The template is read as its JSON file form (`template_store.export_template`) and edited
in memory; the preview renders it (`core.printing.preview.preview_template`), so a value
the template model refuses is named at once; saving imports it as the org's next version
(`template_store.import_template`: a built-in becomes the org's own template of that
name, shadowing the built-in for this org only).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Static

from core.printing import template_store
from core.printing.preview import Preview, preview_template
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.widgets.common.halfblocks import image_lines
from tui.widgets.common.header import TopBar
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar

#: The keys of an element the editor offers, in this order, where the element has them.
NUMBER_KEYS = ("x", "y", "width", "height", "size", "x1", "y1", "x2", "y2", "font_size")
TEXT_KEYS = ("text", "format", "field")


def editable(element: dict[str, Any]) -> list[str]:
    return [k for k in (*NUMBER_KEYS, *TEXT_KEYS) if k in element]


def summary(element: dict[str, Any]) -> str:
    for key in TEXT_KEYS:
        if key in element:
            return str(element[key])
    return ""


def number(text: str) -> float | int | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


class TemplateEditorScreen(OrderhubScreen[bool]):
    ACTIONS: ClassVar = (
        ScreenAction("close", "escape", "app.back", "settings.editor.close.help"),
        ScreenAction(
            "save", "ctrl+s", "settings.editor.save", "settings.editor.save.help", priority=True
        ),
    )

    def __init__(self, name: str) -> None:
        super().__init__()
        self.template_name = name
        self.template: dict[str, Any] = {}
        self.changed = False

    def compose(self) -> ComposeResult:
        yield TopBar(t("settings.editor.title", name=self.template_name))
        with Horizontal(id="editor-body"):
            with Vertical(id="editor-left"):
                yield DataTable(id="editor-elements", cursor_type="row", zebra_stripes=True)
                yield Label(t("settings.editor.fields"), classes="section-subtitle")
                yield VerticalScroll(id="editor-fields")
            yield Static("", id="editor-preview", classes="picture")
        yield KeyBar()

    def on_mount(self) -> None:
        hub = self.hub
        text = hub.attempt(
            lambda: template_store.export_template(hub.core, hub.actor, self.template_name)
        )
        if isinstance(text, Reported):
            return
        self.template = json.loads(text)
        table = self.query_one("#editor-elements", DataTable)
        table.add_columns(
            *(
                t(k)
                for k in (
                    "settings.editor.col.n",
                    "settings.editor.col.type",
                    "settings.editor.col.place",
                    "settings.editor.col.text",
                )
            )
        )
        self._fill()
        table.focus()
        self._redraw()

    @property
    def elements(self) -> list[dict[str, Any]]:
        return self.template.get("elements", [])

    def _fill(self) -> None:
        table = self.query_one("#editor-elements", DataTable)
        row = table.cursor_row
        table.clear()
        for n, element in enumerate(self.elements):
            place = ", ".join(f"{element[k]:g}" for k in NUMBER_KEYS[:4] if k in element)
            table.add_row(str(n), element.get("type", "?"), place, summary(element), key=str(n))
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))

    @on(DataTable.RowHighlighted, "#editor-elements")
    async def _element_chosen(self, event: DataTable.RowHighlighted) -> None:
        index = int(event.row_key.value or 0)
        fields = self.query_one("#editor-fields", VerticalScroll)
        await fields.remove_children()
        element = self.elements[index]
        widgets = []
        for key in editable(element):
            widgets.append(Label(t("settings.editor.key", name=key), classes="field-label"))
            widgets.append(FieldInput(str(element[key]), id=f"edit-{key}", classes="element-field"))
        await fields.mount_all(widgets)

    @on(FieldInput.Submitted, ".element-field")
    def _apply(self) -> None:
        table = self.query_one("#editor-elements", DataTable)
        if not table.row_count:
            return
        element = self.elements[table.cursor_row]
        for field in self.query(".element-field").results(FieldInput):
            key = (field.id or "").removeprefix("edit-")
            if key in TEXT_KEYS:
                element[key] = field.value
            else:
                value = number(field.value)
                if value is None:
                    self.hub.inform(t("settings.editor.number", name=key))
                    return
                element[key] = value
        self.changed = True
        self._fill()
        self._redraw()

    def _redraw(self) -> None:
        hub, template = self.hub, json.loads(json.dumps(self.template))
        hub.in_background(
            lambda: preview_template(hub.core, hub.actor, template),
            self._draw,
            group="settings-editor",
        )

    def _draw(self, preview: Preview) -> None:
        picture = self.query_one("#editor-preview", Static)
        columns = max(picture.size.width, 20)
        rows = max(picture.size.height, 10)
        picture.update("\n".join(image_lines(preview.png, columns, rows)))

    def action_save(self) -> None:
        hub, text = self.hub, json.dumps(self.template, ensure_ascii=False)
        saved = hub.attempt(
            lambda: template_store.import_template(
                hub.core, hub.actor, text, name=self.template_name
            )
        )
        if isinstance(saved, Reported):
            return
        self.changed = False
        hub.inform(t("settings.editor.saved", name=saved.name, version=saved.current_version))

    def action_close(self) -> None:
        self.dismiss(True)
