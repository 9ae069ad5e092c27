"""The settings screen: a side list of sections, the chosen section beside it.

Each section is a widget of `tui.widgets.settings` over its core services (shops, carrier
accounts, printers, templates, users and roles, audit rules, assignment rules, alert
channels, shipping). The screen offers the actions of the section on show — the footer
shows their keys, the command palette lists them with a "go to section" entry per section
— and forwards each to the section (`action_<name>` is made below for every section
action). A key such as `a` may mean "add" in several sections: only the section on show
answers it (`check_action`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher, OptionList
from textual.widgets.option_list import Option

from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.settings.assignment_rules import AssignmentRulesSection
from tui.widgets.settings.audit_rules import AuditRulesSection
from tui.widgets.settings.base import SettingsSection
from tui.widgets.settings.carriers import CarriersSection
from tui.widgets.settings.channels import ChannelsSection
from tui.widgets.settings.printers import PrintersSection
from tui.widgets.settings.shipping import ShippingSection
from tui.widgets.settings.shops import ShopsSection
from tui.widgets.settings.templates import TemplatesSection
from tui.widgets.settings.users import UsersSection

SECTIONS: tuple[type[SettingsSection], ...] = (
    ShopsSection,
    CarriersSection,
    PrintersSection,
    TemplatesSection,
    UsersSection,
    AuditRulesSection,
    AssignmentRulesSection,
    ChannelsSection,
    ShippingSection,
)
#: Which section owns each forwarded action.
OWNER = {action.name: cls.SECTION for cls in SECTIONS for action in cls.ACTIONS}


class SettingsScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("close", "escape", "app.back", "settings.close.help"),
        ScreenAction("reload", "ctrl+r", "settings.reload", "settings.reload.help"),
        *(
            ScreenAction(f"show_section('{cls.SECTION}')", None, cls.TITLE, "settings.goto.help")
            for cls in SECTIONS
        ),
        *(action for cls in SECTIONS for action in cls.ACTIONS),
    )

    def __init__(self, section: str = SECTIONS[0].SECTION) -> None:
        super().__init__()
        self.current = section

    def compose(self) -> ComposeResult:
        yield TopBar(t("settings.title"))
        with Horizontal(id="settings-body"):
            yield OptionList(
                *(Option(t(cls.TITLE), id=cls.SECTION) for cls in SECTIONS), id="settings-nav"
            )
            with ContentSwitcher(initial=f"section-{self.current}", id="settings-content"):
                for cls in SECTIONS:
                    yield cls()
        yield KeyBar()

    def on_mount(self) -> None:
        nav = self.query_one("#settings-nav", OptionList)
        nav.highlighted = nav.get_option_index(self.current)
        self.section().load()
        self.section().focus_first()

    def section(self) -> SettingsSection:
        return self.query_one(f"#section-{self.current}", SettingsSection)

    @on(OptionList.OptionHighlighted, "#settings-nav")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.current:
            self.action_show_section(event.option.id)

    @on(OptionList.OptionSelected, "#settings-nav")
    def _selected(self) -> None:
        self.section().focus_first()

    def action_show_section(self, section: str) -> None:
        self.current = section
        self.query_one(ContentSwitcher).current = f"section-{section}"
        nav = self.query_one("#settings-nav", OptionList)
        if nav.highlighted != nav.get_option_index(section):
            nav.highlighted = nav.get_option_index(section)
        self.section().load()
        self.refresh_bindings()

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_reload(self) -> None:
        self.section().load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        owner = OWNER.get(action)
        if owner is None:
            return True
        return owner == self.current and self.section().offers(action)


def _forward(name: str) -> Callable[[SettingsScreen], None]:
    def action(self: SettingsScreen) -> None:
        self.section().run(name)

    action.__name__ = f"action_{name}"
    return action


for _name in OWNER:
    setattr(SettingsScreen, f"action_{_name}", _forward(_name))
