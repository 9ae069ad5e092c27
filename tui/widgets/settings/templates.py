"""The templates section: the org's templates and the built-ins it prints with, and the
element editor with a live preview (`tui.screens.template_editor`).

Over `core.printing.template_store` (list, export as JSON; saving imports the edited
template as the org's next version, a built-in becoming the org's own of that name).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from core.printing import template_store
from core.printing.template_store import TemplateInfo
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.template_editor import TemplateEditorScreen
from tui.widgets.settings.base import SettingsSection, SettingsTable

COLUMNS = (
    "settings.col.name",
    "settings.templates.col.kind",
    "settings.templates.col.origin",
    "settings.templates.col.version",
    "settings.templates.col.size",
)


class TemplatesSection(SettingsSection):
    SECTION = "templates"
    TITLE = "settings.section.templates"
    ACTIONS: ClassVar = (
        ScreenAction(
            "template_edit", "e", "settings.templates.edit", "settings.templates.edit.help"
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.templates: dict[str, TemplateInfo] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="templates-table")

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: template_store.list_templates(core, actor), self._show, task="load")

    def _show(self, found: list[TemplateInfo]) -> None:
        self.templates = {i.name: i for i in found}
        self.query_one("#templates-table", SettingsTable).fill(
            COLUMNS,
            (
                (
                    i.name,
                    (
                        i.name,
                        t(f"settings.kind.{i.kind}"),
                        t("settings.templates.builtin" if i.builtin else "settings.templates.own"),
                        i.current_version,
                        f"{i.width_mm:g}×{i.height_mm:g}",
                    ),
                )
                for i in found
            ),
        )

    def action_template_edit(self) -> None:
        name = self.query_one("#templates-table", SettingsTable).selected
        if name is None:
            self.hub.inform(t("settings.none_selected"))
            return
        self.app.push_screen(TemplateEditorScreen(name), lambda saved: self.load())
