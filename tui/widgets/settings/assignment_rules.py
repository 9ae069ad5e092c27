"""The assignment rules section (自动分配): the rules in order with their conditions,
carrier account and template; switching one on or off, changing what it assigns, moving
it up or down.

Over `core.assignment.service` (list, update, move). Conditions are shown as the core
stores them (shops by name); writing new conditions stays with `orderhub assign-rules`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from core.assignment import service
from core.assignment.service import RuleInfo
from tui.actions import ScreenAction
from tui.i18n import t
from tui.widgets.settings.base import SettingsSection, SettingsTable, on_off
from tui.widgets.settings.form import Field, FormDialog

COLUMNS = (
    "settings.rules.col.position",
    "settings.col.name",
    "settings.rules.col.conditions",
    "settings.rules.col.account",
    "settings.rules.col.template",
    "settings.col.enabled",
)


def conditions_text(conditions: dict[str, Any]) -> str:
    if not conditions:
        return t("settings.rules.default")
    parts = []
    for key, value in conditions.items():
        shown = ",".join(str(v) for v in value) if isinstance(value, list | tuple) else value
        parts.append(f"{key}={shown}")
    return "; ".join(parts)


class AssignmentRulesSection(SettingsSection):
    SECTION = "assignment_rules"
    TITLE = "settings.section.assignment_rules"
    ACTIONS: ClassVar = (
        ScreenAction("rule_toggle", "t", "settings.rules.toggle", "settings.rules.toggle.help"),
        ScreenAction("rule_edit", "e", "settings.rules.edit", "settings.rules.edit.help"),
        ScreenAction("rule_up", "u", "settings.rules.up", "settings.rules.up.help"),
        ScreenAction("rule_down", "n", "settings.rules.down", "settings.rules.down.help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.rules: dict[str, RuleInfo] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="rules-table")
        yield Static(t("settings.rules.where"), classes="section-note", markup=False)

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: service.list_rules(core, actor), self._show, task="load")

    def _show(self, found: list[RuleInfo]) -> None:
        self.rules = {r.name: r for r in found}
        self.query_one("#rules-table", SettingsTable).fill(
            COLUMNS,
            (
                (
                    r.name,
                    (
                        r.position,
                        r.name,
                        conditions_text(r.conditions),
                        r.carrier_account or "—",
                        r.template or "—",
                        on_off(r.enabled),
                    ),
                )
                for r in found
            ),
        )

    def _selected(self) -> RuleInfo | None:
        key = self.query_one("#rules-table", SettingsTable).selected
        if key is None:
            self.hub.inform(t("settings.none_selected"))
            return None
        return self.rules[key]

    def action_rule_toggle(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        core, actor, enabled = self.hub.core, self.hub.actor, not rule.enabled
        self.change(
            lambda: service.update_rule(core, actor, rule.name, enabled=enabled),
            t("settings.toggled", name=rule.name, state=on_off(enabled)),
        )

    def action_rule_edit(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        fields = [
            Field("account", t("settings.rules.col.account"), rule.carrier_account),
            Field("template", t("settings.rules.col.template"), rule.template),
        ]
        core, actor = self.hub.core, self.hub.actor

        def answered(answer: dict[str, str] | None) -> None:
            if answer is not None:
                self.change(
                    lambda: service.update_rule(
                        core,
                        actor,
                        rule.name,
                        carrier_account=answer["account"].strip() or None,
                        template=answer["template"].strip(),
                    ),
                    t("settings.saved"),
                )

        self.app.push_screen(FormDialog(t("settings.rules.edit"), fields), answered)

    def _move(self, step: int) -> None:
        rule = self._selected()
        if rule is None:
            return
        core, actor = self.hub.core, self.hub.actor
        position = max(1, rule.position + step)
        if self.change(
            lambda: service.move_rule(core, actor, rule.name, position),
            t("settings.rules.moved", name=rule.name, position=position),
        ):
            table = self.query_one("#rules-table", SettingsTable)
            table.move_cursor(row=min(position - 1, max(table.row_count - 1, 0)))

    def action_rule_up(self) -> None:
        self._move(-1)

    def action_rule_down(self) -> None:
        self._move(1)
