"""The carrier accounts section: list, add, edit, switch on/off, and the subscriptions
(branches and remaining waybills) the carrier reports for an account.

Over `core.waybills.carrier_accounts` (list, create, subscriptions) and
`core.waybills.account_edits` (name, sender, default template, on/off). Adding and the
subscriptions call the carrier, so they run in a thread.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Label, Static

from core.contracts.carrier import WaybillSubscription
from core.contracts.types import Contact
from core.waybills import carrier_accounts
from core.waybills.account_edits import update_account
from core.waybills.carrier_accounts import AccountInfo
from tui.actions import ScreenAction
from tui.i18n import t
from tui.widgets.settings.base import SettingsSection, SettingsTable, on_off
from tui.widgets.settings.form import Field, FormDialog

COLUMNS = (
    "settings.col.id",
    "settings.col.name",
    "settings.carriers.col.carrier",
    "settings.carriers.col.code",
    "settings.carriers.col.branch",
    "settings.carriers.col.sender",
    "settings.carriers.col.template",
    "settings.col.enabled",
)
SENDER_KEYS = ("sender_name", "sender_phone", "province", "city", "district", "address")


def sender_fields(sender: Contact | None = None) -> list[Field]:
    values = (
        (sender.name, sender.phone, sender.province, sender.city, sender.district, sender.address)
        if sender
        else ("",) * len(SENDER_KEYS)
    )
    return [
        Field(key, t(f"settings.carriers.{key}"), value)
        for key, value in zip(SENDER_KEYS, values, strict=True)
    ]


def sender_of(answer: dict[str, str]) -> Contact:
    return Contact(
        name=answer["sender_name"].strip(),
        phone=answer["sender_phone"].strip(),
        province=answer["province"].strip(),
        city=answer["city"].strip(),
        district=answer["district"].strip(),
        address=answer["address"].strip(),
    )


class CarriersSection(SettingsSection):
    SECTION = "carriers"
    TITLE = "settings.section.carriers"
    ACTIONS: ClassVar = (
        ScreenAction("carrier_add", "a", "settings.carriers.add", "settings.carriers.add.help"),
        ScreenAction("carrier_edit", "e", "settings.carriers.edit", "settings.carriers.edit.help"),
        ScreenAction(
            "carrier_toggle", "t", "settings.carriers.toggle", "settings.carriers.toggle.help"
        ),
        ScreenAction(
            "carrier_subscriptions", "s", "settings.carriers.subs", "settings.carriers.subs.help"
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, AccountInfo] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="carriers-table")
        yield Label(t("settings.carriers.subs"), classes="section-subtitle")
        yield Static(t("settings.carriers.subs.none"), id="carriers-subs", markup=False)

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: carrier_accounts.list_accounts(core, actor), self._show, task="load")

    def _show(self, accounts: list[AccountInfo]) -> None:
        self.accounts = {str(a.id): a for a in accounts}
        self.query_one("#carriers-table", SettingsTable).fill(
            COLUMNS,
            (
                (
                    str(a.id),
                    (
                        a.id,
                        a.name,
                        a.carrier,
                        a.wp_code,
                        a.branch_name or a.branch_code or "—",
                        f"{a.sender.name} {a.sender.phone}",
                        a.default_template or "—",
                        on_off(a.enabled),
                    ),
                )
                for a in accounts
            ),
        )

    def _selected(self) -> AccountInfo | None:
        key = self.query_one("#carriers-table", SettingsTable).selected
        if key is None:
            self.hub.inform(t("settings.none_selected"))
            return None
        return self.accounts[key]

    def action_carrier_add(self) -> None:
        carriers = sorted(self.hub.core.plugins.carriers())
        fields = [
            Field("name", t("settings.col.name")),
            Field(
                "carrier",
                t("settings.carriers.col.carrier"),
                carriers[0] if carriers else "",
                " / ".join(carriers),
            ),
            Field("wp_code", t("settings.carriers.col.code"), placeholder="YTO, ZTO, SF …"),
            Field("shop_id", t("settings.carriers.shop"), placeholder=t("settings.optional")),
            *sender_fields(),
        ]
        self.app.push_screen(FormDialog(t("settings.carriers.add"), fields), self._add)

    def _add(self, answer: dict[str, str] | None) -> None:
        if answer is None:
            return
        core, actor = self.hub.core, self.hub.actor
        shop = answer["shop_id"].strip()

        def create() -> AccountInfo:
            return carrier_accounts.create_account(
                core,
                actor,
                name=answer["name"],
                carrier=answer["carrier"].strip(),
                wp_code=answer["wp_code"],
                sender=sender_of(answer),
                shop_id=int(shop) if shop.isdigit() else None,
            )

        self.fetch(create, self._added)

    def _added(self, account: AccountInfo) -> None:
        self.hub.inform(t("settings.carriers.added", name=account.name))
        self.load()

    def action_carrier_edit(self) -> None:
        account = self._selected()
        if account is None:
            return
        fields = [
            Field("name", t("settings.col.name"), account.name),
            *sender_fields(account.sender),
            Field("template", t("settings.carriers.col.template"), account.default_template),
        ]
        core, actor = self.hub.core, self.hub.actor

        def answered(answer: dict[str, str] | None) -> None:
            if answer is not None:
                self.change(
                    lambda: update_account(
                        core,
                        actor,
                        account.id,
                        name=answer["name"],
                        sender=sender_of(answer),
                        default_template=answer["template"],
                    ),
                    t("settings.saved"),
                )

        self.app.push_screen(FormDialog(t("settings.carriers.edit"), fields), answered)

    def action_carrier_toggle(self) -> None:
        account = self._selected()
        if account is None:
            return
        core, actor, enabled = self.hub.core, self.hub.actor, not account.enabled
        self.change(
            lambda: update_account(core, actor, account.id, enabled=enabled),
            t("settings.toggled", name=account.name, state=on_off(enabled)),
        )

    def action_carrier_subscriptions(self) -> None:
        account = self._selected()
        if account is None:
            return
        core, actor = self.hub.core, self.hub.actor
        self.query_one("#carriers-subs", Static).update(t("app.loading"))
        self.fetch(
            lambda: carrier_accounts.subscriptions(core, actor, account=account.id),
            self._subscriptions,
        )

    def _subscriptions(self, found: list[WaybillSubscription]) -> None:
        lines = [
            t(
                "settings.carriers.sub",
                code=s.carrier_code,
                branch=s.branch_name or s.branch_code,
                remaining=s.remaining if s.remaining is not None else "—",
            )
            for s in found
        ]
        self.query_one("#carriers-subs", Static).update(
            "\n".join(lines) or t("settings.carriers.subs.empty")
        )
