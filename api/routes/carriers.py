"""`/v1/carriers` and `/v1/carrier-accounts`: the carrier plugins loaded, and the org's
carrier accounts (面单账号) waybills are drawn from. Credentials and plugin settings are
never answered."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.contract import Call, Operation
from core.contracts import Contact
from core.waybills import carrier_accounts
from core.waybills.carrier_accounts import CarrierKind

TAGS = ("carriers",)
READERS = "print.run, print.reprint or settings.manage"


class CarrierList(msgspec.Struct):
    items: list[CarrierKind]


class CarrierAccount(msgspec.Struct):
    id: int
    name: str
    carrier: str  # the plugin
    platform: str
    shop_id: int | None
    wp_code: str  # the carrier code: YTO, ZTO, SF …
    logistics_company_id: str
    logistics_company_name: str
    branch_code: str
    branch_name: str
    sender: Contact  # printed on labels
    template_url: str
    default_template: str
    enabled: bool
    created_at: datetime | None


class AccountList(msgspec.Struct):
    items: list[CarrierAccount]


def _list_carriers(call: Call) -> CarrierList:
    assert call.actor is not None
    return CarrierList(carrier_accounts.list_carriers(call.app, call.actor))


def _list_carrier_accounts(call: Call) -> AccountList:
    assert call.actor is not None
    return AccountList(
        [
            CarrierAccount(
                id=a.id,
                name=a.name,
                carrier=a.carrier,
                platform=a.platform,
                shop_id=a.shop_id,
                wp_code=a.wp_code,
                logistics_company_id=a.logistics_company_id,
                logistics_company_name=a.logistics_company_name,
                branch_code=a.branch_code,
                branch_name=a.branch_name,
                sender=a.sender,
                template_url=a.template_url,
                default_template=a.default_template,
                enabled=a.enabled,
                created_at=a.created_at,
            )
            for a in carrier_accounts.list_accounts(call.app, call.actor)
        ]
    )


OPERATIONS = (
    Operation(
        "GET",
        "/v1/carriers",
        "The carrier plugins loaded and what each can do",
        _list_carriers,
        CarrierList,
        permission=READERS,
        tags=TAGS,
    ),
    Operation(
        "GET",
        "/v1/carrier-accounts",
        "The org's carrier accounts (never their credentials or settings)",
        _list_carrier_accounts,
        AccountList,
        permission=READERS,
        tags=TAGS,
    ),
)
