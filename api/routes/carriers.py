"""`/v1/carriers` and `/v1/carrier-accounts`: the carrier plugins loaded, and the org's
carrier accounts (面单账号) waybills are drawn from. Credentials and plugin settings are
never answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.contract import Call, Operation, Reply
from api.paths import NO_NUL, RecordId
from core.contracts import Contact
from core.waybills import carrier_accounts
from core.waybills.carrier_accounts import CarrierKind

TAGS = ("carriers",)
READERS = "print.run, print.reprint or settings.manage"


class CarrierList(msgspec.Struct):
    items: list[CarrierKind]
    next_cursor: str | None = None  # always null: the whole list in one answer


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
    next_cursor: str | None = None  # always null: the whole list in one answer


Short = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]
Setting = str | int | float | bool


class SenderIn(msgspec.Struct, forbid_unknown_fields=True):
    """Printed on labels; an empty address takes the subscription branch's own (PDD
    refuses any other)."""

    name: Short
    phone: Short
    province: Short = ""
    city: Short = ""
    district: Short = ""
    address: Short = ""
    town: Short = ""


class NewAccount(msgspec.Struct, forbid_unknown_fields=True):
    """A carrier account to add; the carrier plugin checks `settings` and `credentials`."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    carrier: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    wp_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=NO_NUL)]
    sender: SenderIn
    shop_id: RecordId | None = None  # draw through this shop's e-waybill subscription
    platform: Short = ""
    branch_code: Short = ""
    template_url: Short = ""
    default_template: Short = ""
    logistics_company_id: Short = ""
    settings: dict[Short, Setting] = {}
    credentials: dict[Short, Setting] = {}  # stored sealed; never answered


def _account(a: carrier_accounts.AccountInfo) -> CarrierAccount:
    return CarrierAccount(
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


def _list_carriers(call: Call) -> CarrierList:
    assert call.actor is not None
    return CarrierList(carrier_accounts.list_carriers(call.app, call.actor))


def _list_carrier_accounts(call: Call) -> AccountList:
    assert call.actor is not None
    return AccountList([_account(a) for a in carrier_accounts.list_accounts(call.app, call.actor)])


def _add_carrier_account(call: Call) -> Reply:
    assert call.actor is not None
    body: NewAccount = call.body
    account = carrier_accounts.create_account(
        call.app,
        call.actor,
        name=body.name,
        carrier=body.carrier,
        wp_code=body.wp_code,
        sender=Contact(**msgspec.structs.asdict(body.sender)),
        shop_id=body.shop_id,
        platform=body.platform,
        branch_code=body.branch_code,
        template_url=body.template_url,
        default_template=body.default_template,
        logistics_company_id=body.logistics_company_id,
        settings=body.settings,
        credentials=body.credentials,
    )
    return Reply(_account(account), status=201)


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
    Operation(
        "POST",
        "/v1/carrier-accounts",
        "Add a carrier account (面单账号); the carrier plugin checks it",
        _add_carrier_account,
        CarrierAccount,
        request=NewAccount,
        permission="settings.manage",
        status=201,
        errors=(404, 409, 502),
        tags=TAGS,
    ),
)
