"""The users and roles section: sub-accounts with their roles and status, adding a user
with a role, giving a role, disabling and enabling; the roles with their permissions.

Over `core.accounts.users` (add, list, enable/disable) and `core.accounts.roles` (list,
assign). The core refuses what the actor may not do — hand out permissions they lack,
disable themselves or the last manager — and the app shows why.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Label

from core.accounts import roles, users
from core.accounts.permissions import PERMISSIONS
from tui.actions import ScreenAction
from tui.i18n import LANGUAGES, language, t
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.settings.base import SettingsSection, SettingsTable
from tui.widgets.settings.form import Field, FormDialog

USER_COLUMNS = (
    "settings.col.id",
    "settings.users.col.username",
    "settings.users.col.display",
    "settings.users.col.roles",
    "settings.col.status",
)
ROLE_COLUMNS = ("settings.users.col.role", "settings.users.col.permissions")


def permission_name(permission: str) -> str:
    """The permission's name in the UI's language (`PERMISSIONS` holds "zh / en")."""
    zh, _, en = PERMISSIONS.get(permission, permission).partition(" / ")
    return zh if language() == LANGUAGES[0] or not en else en


class UsersSection(SettingsSection):
    SECTION = "users"
    TITLE = "settings.section.users"
    ACTIONS: ClassVar = (
        ScreenAction("user_add", "a", "settings.users.add", "settings.users.add.help"),
        ScreenAction("user_role", "r", "settings.users.role", "settings.users.role.help"),
        ScreenAction("user_toggle", "d", "settings.users.toggle", "settings.users.toggle.help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.role_names: list[str] = []
        self.status: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="users-table")
        yield Label(t("settings.users.roles"), classes="section-subtitle")
        yield SettingsTable(id="roles-table")

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(
            lambda: (users.list_users(core, actor), roles.list_roles(core, actor)),
            self._show,
            task="load",
        )

    def _show(self, data: tuple[list, list]) -> None:
        found, role_rows = data
        self.role_names = [r.name for r in role_rows]
        self.status = {u.username: u.status for u in found}
        self.query_one("#users-table", SettingsTable).fill(
            USER_COLUMNS,
            (
                (
                    u.username,
                    (
                        u.id,
                        u.username,
                        u.display_name or "—",
                        "、".join(r.name for r in u.roles) or "—",
                        t(f"settings.user.{u.status}"),
                    ),
                )
                for u in found
            ),
        )
        self.query_one("#roles-table", SettingsTable).fill(
            ROLE_COLUMNS,
            (
                (
                    r.name,
                    (r.name, "、".join(permission_name(p) for p in sorted(r.permissions))),
                )
                for r in role_rows
            ),
        )

    def _selected(self) -> str | None:
        key = self.query_one("#users-table", SettingsTable).selected
        if key is None:
            self.hub.inform(t("settings.none_selected"))
        return key

    def _roles_dialog(self, title: str) -> ChoiceDialog:
        return ChoiceDialog(title, [(name, name) for name in self.role_names])

    def action_user_add(self) -> None:
        fields = [
            Field("username", t("settings.users.col.username")),
            Field("password", t("settings.users.password"), password=True),
            Field("display", t("settings.users.col.display"), placeholder=t("settings.optional")),
        ]
        self.app.push_screen(FormDialog(t("settings.users.add"), fields), self._ask_role)

    def _ask_role(self, answer: dict[str, str] | None) -> None:
        if answer is None:
            return
        self.app.push_screen(
            self._roles_dialog(t("settings.users.pick_role", name=answer["username"])),
            lambda role: self._add(answer, role) if role else None,
        )

    def _add(self, answer: dict[str, str], role: str) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.change(
            lambda: users.add_user(
                core,
                actor,
                answer["username"],
                answer["password"],
                display_name=answer["display"].strip(),
                roles=(role,),
            ),
            t("settings.users.added", name=answer["username"].strip(), role=role),
        )

    def action_user_role(self) -> None:
        username = self._selected()
        if username is None:
            return
        core, actor = self.hub.core, self.hub.actor

        def picked(role: str | None) -> None:
            if role:
                self.change(
                    lambda: roles.assign(core, actor, username, role),
                    t("settings.users.assigned", name=username, role=role),
                )

        self.app.push_screen(
            self._roles_dialog(t("settings.users.pick_role", name=username)), picked
        )

    def action_user_toggle(self) -> None:
        username = self._selected()
        if username is None:
            return
        core, actor = self.hub.core, self.hub.actor
        enable = self.status.get(username) == "disabled"
        self.change(
            lambda: users.set_user_enabled(core, actor, username, enable),
            t("settings.users.enabled" if enable else "settings.users.disabled", name=username),
        )
