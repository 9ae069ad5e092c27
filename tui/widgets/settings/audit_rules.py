"""The audit rules section (审单规则): every switch and parameter of the org's rule set,
switched with one key, numbers and colours typed; the rule set's version.

Over `core.auditing.settings` (`show`, `update`); a typed value goes through the core's
own reading of `KEY=VALUE` (`parse_assignments`), as the CLI's `audit-rules set` does, so
"none", "on" and "red,yellow" mean the same everywhere.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from core.auditing import settings as rule_settings
from core.auditing.settings import KEYS, RuleSetView
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.dialogs import TextDialog
from tui.widgets.settings.base import SettingsSection, SettingsTable, on_off

COLUMNS = ("settings.audit.col.rule", "settings.audit.col.value", "settings.audit.col.key")


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return on_off(value)
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ",".join(value) or "—"
    return str(value)


def typed(value: Any) -> str:
    """The value as one types it back (`parse_assignments`)."""
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ",".join(value)
    return str(value)


class AuditRulesSection(SettingsSection):
    SECTION = "audit_rules"
    TITLE = "settings.section.audit_rules"
    ACTIONS: ClassVar = (
        ScreenAction("audit_toggle", "t", "settings.audit.toggle", "settings.audit.toggle.help"),
        ScreenAction("audit_edit", "e", "settings.audit.edit", "settings.audit.edit.help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-version")
        yield SettingsTable(id="audit-table")

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: rule_settings.show(core, actor), self._show, task="load")

    def _show(self, view: RuleSetView) -> None:
        self.values = dict(view.settings)
        self.query_one("#audit-version", Static).update(
            t("settings.audit.version", version=view.version)
        )
        self.query_one("#audit-table", SettingsTable).fill(
            COLUMNS,
            ((key, (t(f"settings.audit.{key}"), shown(self.values[key]), key)) for key in KEYS),
        )

    def _selected(self) -> str | None:
        return self.query_one("#audit-table", SettingsTable).selected

    def _update(self, changes: dict[str, Any]) -> None:
        core, actor = self.hub.core, self.hub.actor
        (key,) = changes
        self.change(
            lambda: rule_settings.update(core, actor, changes),
            t("settings.audit.changed", rule=t(f"settings.audit.{key}"), value=shown(changes[key])),
        )

    def action_audit_toggle(self) -> None:
        key = self._selected()
        if key is None:
            return
        value = self.values.get(key)
        if not isinstance(value, bool):
            self.action_audit_edit()
            return
        self._update({key: not value})

    def action_audit_edit(self) -> None:
        key = self._selected()
        if key is None:
            return

        def answered(text: str | None) -> None:
            if text is None:
                return
            parsed = self.hub.attempt(lambda: rule_settings.parse_assignments([f"{key}={text}"]))
            if isinstance(parsed, dict):
                self._update(parsed)

        self.app.push_screen(
            TextDialog(
                t("settings.audit.edit"),
                t("settings.audit.edit.ask", rule=t(f"settings.audit.{key}")),
                value=typed(self.values.get(key)),
            ),
            answered,
        )
