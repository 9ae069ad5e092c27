"""The assignment rules section (自动分配): the rules in order with their conditions,
carrier account and template; adding one, changing its conditions and what it assigns,
switching it on or off, moving it up or down, removing it (asked first).

Over `core.assignment.service` (list, add, update, move, remove), which checks the
values: the form only splits comma lists and reads the weights as whole grams, naming the
field when one is not a number. Conditions are shown as the core stores them (shops by
name); the CLI's `orderhub assign-rules` does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from core.assignment import service
from core.assignment.service import RuleInfo
from core.errors import ValidationError
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.dialogs import ConfirmDialog
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


#: Conditions given as comma lists (any of the values), then as whole grams.
LIST_CONDITIONS = ("provinces", "shops", "skus", "tags", "platforms")
WEIGHT_CONDITIONS = ("min_weight_g", "max_weight_g")


def _rule_fields(rule: RuleInfo | None) -> list[Field]:
    """What a rule assigns, then its conditions, filled from `rule` when editing one."""
    given = rule.conditions if rule is not None else {}
    fields = [
        Field("account", t("settings.rules.col.account"), rule.carrier_account if rule else ""),
        Field("template", t("settings.rules.col.template"), rule.template if rule else ""),
    ]
    for key in (*LIST_CONDITIONS, *WEIGHT_CONDITIONS):
        value = given.get(key, "")
        shown = ",".join(str(v) for v in value) if isinstance(value, list | tuple) else value
        hint = t(
            "settings.rules.hint.grams" if key in WEIGHT_CONDITIONS else "settings.rules.hint.any"
        )
        fields.append(Field(key, t(f"settings.rules.field.{key}"), str(shown), placeholder=hint))
    return fields


class AssignmentRulesSection(SettingsSection):
    SECTION = "assignment_rules"
    TITLE = "settings.section.assignment_rules"
    ACTIONS: ClassVar = (
        ScreenAction("rule_add", "a", "settings.rules.add", "settings.rules.add.help"),
        ScreenAction("rule_remove", "x", "settings.rules.remove", "settings.rules.remove.help"),
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

    def action_rule_add(self) -> None:
        core, actor = self.hub.core, self.hub.actor

        def save(answer: dict[str, str], assigns: dict[str, Any]) -> str:
            service.add_rule(core, actor, answer["name"], **assigns)
            return t("settings.rules.added", name=answer["name"].strip())

        fields = [Field("name", t("settings.col.name")), *_rule_fields(None)]
        self._ask(t("settings.rules.add"), fields, save)

    def action_rule_edit(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        core, actor = self.hub.core, self.hub.actor

        def save(answer: dict[str, str], assigns: dict[str, Any]) -> str:
            service.update_rule(core, actor, rule.name, **assigns)
            return t("settings.saved")

        self._ask(t("settings.rules.edit"), _rule_fields(rule), save)

    def _ask(
        self,
        title: str,
        fields: list[Field],
        save: Callable[[dict[str, str], dict[str, Any]], str],
    ) -> None:
        """The rule form; `save(answer, assigns)` stores it (conditions, carrier account,
        template as the service takes them) and says what was done."""

        def answered(answer: dict[str, str] | None) -> None:
            conditions = self._conditions(answer) if answer is not None else None
            if answer is None or conditions is None:
                return
            assigns = {
                "conditions": conditions,
                "carrier_account": answer["account"].strip() or None,
                "template": answer["template"].strip(),
            }
            done = self.hub.attempt(lambda: save(answer, assigns))
            if isinstance(done, str):
                self.hub.inform(done)
                self.load()

        self.app.push_screen(FormDialog(title, fields), answered)

    def action_rule_remove(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        core, actor = self.hub.core, self.hub.actor

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change(
                    lambda: service.remove_rule(core, actor, rule.name),
                    t("settings.rules.removed", name=rule.name),
                )

        ask = t("settings.rules.remove.ask", name=rule.name)
        self.app.push_screen(ConfirmDialog(t("settings.rules.remove"), ask), confirmed)

    def _conditions(self, answer: dict[str, str]) -> dict[str, Any] | None:
        """The form's conditions for the core; None (the operator told which field is
        wrong) when a weight is not a whole number of grams."""
        conditions: dict[str, Any] = {}
        for key in LIST_CONDITIONS:
            values = [v.strip() for v in answer[key].replace("，", ",").split(",") if v.strip()]
            if values:
                conditions[key] = values
        for key in WEIGHT_CONDITIONS:
            text = answer[key].strip()
            if not text:
                continue
            if not text.isdigit():
                label = t(f"settings.rules.field.{key}")
                message = t("settings.rules.bad_weight", field=label, value=text)
                self.hub.report(ValidationError(message, field=f"conditions.{key}"))
                return None
            conditions[key] = int(text)
        return conditions

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
