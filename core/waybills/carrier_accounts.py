"""Carrier accounts: where waybills come from, and the carrier plugin instance for one.

An account names a carrier plugin (`pinduoduo-waybill`, `manual`, …), the carrier code
(`wp_code`: YTO, ZTO, …), a branch (网点), the sender printed on labels, the carrier's
standard template, and — for a platform waybill service — the shop whose subscription is
used. Creating one (`settings.manage`) checks the subscription through the plugin when it
reports any, and resolves the platform's logistics company id for the carrier code
(`SalesPlatform.logistics_companies`, matching `code` to `wp_code`), which ship-back needs.

The carrier plugin instance for an account, and the settings it receives: see
`core.waybills.carrier_session`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.carrier import WaybillSubscription
from core.contracts.platform import LogisticsCompany
from core.contracts.types import Contact
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import CarrierAccount, Shop
from core.shops.tokens import access_token_for, using_platform
from core.waybills.carrier_session import CarrierTarget, carrier_class, carrier_session

NAME_MAX = 64
READ_PERMISSIONS = ("print.run", "print.reprint", "settings.manage")


@dataclass(frozen=True)
class AccountInfo:
    """An account as services hand it around: everything but the credentials."""

    id: int
    org_id: int
    name: str
    carrier: str
    platform: str
    shop_id: int | None
    wp_code: str
    logistics_company_id: str
    logistics_company_name: str
    branch_code: str
    branch_name: str
    sender: Contact
    template_url: str
    default_template: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: CarrierAccount) -> AccountInfo:
        sender = Contact(
            name=row.sender_name,
            phone=row.sender_phone,
            province=row.sender_province,
            city=row.sender_city,
            district=row.sender_district,
            address=row.sender_address,
            town=row.sender_town,
        )
        return cls(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            carrier=row.carrier,
            platform=row.platform,
            shop_id=row.shop_id,
            wp_code=row.wp_code,
            logistics_company_id=row.logistics_company_id,
            logistics_company_name=row.logistics_company_name,
            branch_code=row.branch_code,
            branch_name=row.branch_name,
            sender=sender,
            template_url=row.template_url,
            default_template=row.default_template,
            settings=dict(row.settings or {}),
            enabled=row.enabled,
            created_at=row.created_at,
        )


# ---------------------------------------------------------------- permissions and lookup


def require_any(session: Session, actor: Actor, permissions: tuple[str, ...]) -> None:
    held = authz.permissions_of(session, actor)
    if not held.intersection(permissions):
        raise PermissionDenied(
            f"{actor.label} lacks permission {' or '.join(permissions)}",
            permission=permissions[0],
        )


#: The largest id a row can have (`Integer` primary keys: 32 bits on PostgreSQL).
MAX_ID = 2**31 - 1


def _digits(ref: str) -> int | None:
    text = ref.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def account_row(session: Session, actor: Actor, ref: int | str) -> CarrierAccount:
    """An account of the actor's org by id or name; another org's is simply not found."""
    number = ref if isinstance(ref, int) else _digits(ref)
    if number is not None and not 1 <= number <= MAX_ID:  # no such row; nor a driver error
        raise NotFound(f"no carrier account with id {ref}")
    if number is not None:
        row = session.get(CarrierAccount, number)
        if row is not None and row.org_id == actor.org_id:
            return row
        if isinstance(ref, int):
            raise NotFound(f"no carrier account with id {ref}")
    row = session.scalars(
        select(CarrierAccount).where(
            CarrierAccount.org_id == actor.org_id, CarrierAccount.name == str(ref).strip()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no carrier account named {ref!r} (see `orderhub carrier list`)")
    return row


def list_accounts(app: App, actor: Actor) -> list[AccountInfo]:
    with app.tx() as session:
        require_any(session, actor, READ_PERMISSIONS)
        rows = session.scalars(
            select(CarrierAccount)
            .where(CarrierAccount.org_id == actor.org_id)
            .order_by(CarrierAccount.id)
        )
        return [AccountInfo.of(r) for r in rows]


@dataclass(frozen=True)
class CarrierKind:
    """A loaded carrier plugin and what it can do."""

    name: str
    max_batch: int
    supports_cancel: bool
    supports_reprint_query: bool
    carrier_codes: tuple[str, ...]  # codes whose tracking numbers it recognises


def list_carriers(app: App, actor: Actor) -> list[CarrierKind]:
    """The carrier plugins accounts can use (`print.run`, `print.reprint` or
    `settings.manage`)."""
    with app.tx() as session:
        require_any(session, actor, READ_PERMISSIONS)
    return [
        CarrierKind(
            name=name,
            max_batch=cls.MAX_BATCH,
            supports_cancel=cls.SUPPORTS_CANCEL,
            supports_reprint_query=cls.SUPPORTS_REPRINT_QUERY,
            carrier_codes=tuple(sorted(cls.TRACKING_NUMBER_PATTERNS)),
        )
        for name, cls in sorted(app.plugins.carriers().items())
    ]


def get_account(app: App, actor: Actor, ref: int | str) -> AccountInfo:
    with app.tx() as session:
        require_any(session, actor, READ_PERMISSIONS)
        return AccountInfo.of(account_row(session, actor, ref))


# ---------------------------------------------------------------- subscriptions


def subscriptions(
    app: App,
    actor: Actor,
    *,
    carrier: str | None = None,
    shop_id: int | None = None,
    account: int | str | None = None,
    wp_code: str = "",
) -> list[WaybillSubscription]:
    """The branches and remaining balances a carrier reports, for an account (its carrier
    code unless `wp_code` says otherwise) or for a carrier plugin and a shop (before an
    account exists). Needs print.run, print.reprint or settings.manage."""
    with app.tx() as session:
        require_any(session, actor, READ_PERMISSIONS)
        if account is not None:
            row = account_row(session, actor, account)
            target = CarrierTarget.of(session, row)
            wp_code = wp_code or row.wp_code
        else:
            if not carrier:
                raise ValidationError("name a carrier plugin or an account", field="carrier")
            target = _target_for(session, actor, carrier, shop_id, {}, {})
    with carrier_session(app, target) as carrier_calls:
        found = carrier_calls.call(lambda c: c.subscriptions())
    code = wp_code.strip().upper()
    return [s for s in found if not code or s.carrier_code.upper() == code]


def _target_for(
    session: Session,
    actor: Actor,
    carrier: str,
    shop_id: int | None,
    settings: Mapping[str, Any],
    credentials: Mapping[str, Any],
    platform: str = "",
) -> CarrierTarget:
    shop = None
    if shop_id is not None:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.org_id != actor.org_id:
            raise NotFound(f"no shop with id {shop_id}")
        if shop.status != "active":
            raise Conflict(f"shop {shop.id} ({shop.name}) is {shop.status}; bind it again")
        if platform and platform != shop.platform:
            raise ValidationError(
                f"shop {shop.id} is a {shop.platform} shop, not {platform}", field="platform"
            )
    return CarrierTarget(
        carrier=carrier,
        platform=shop.platform if shop else platform,
        shop_id=shop.id if shop else None,
        platform_shop_id=shop.platform_shop_id if shop else "",
        settings=dict(settings),
        credentials=dict(credentials),
    )


# ---------------------------------------------------------------- creating accounts


def create_account(
    app: App,
    actor: Actor,
    *,
    name: str,
    carrier: str,
    wp_code: str,
    sender: Contact,
    shop_id: int | None = None,
    platform: str = "",
    branch_code: str = "",
    template_url: str = "",
    default_template: str = "",
    logistics_company_id: str = "",
    settings: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
) -> AccountInfo:
    """Add a carrier account (`settings.manage`).

    When the plugin reports subscriptions, `wp_code` must be one of them; the branch is
    `branch_code`, or the only branch; an empty sender address takes the branch's
    shipping address (PDD refuses a sender that is not one of them). With a platform
    (the shop's, or `platform`), the carrier code must map to a platform logistics
    company, or `logistics_company_id` must name one.
    """
    name, code = name.strip(), wp_code.strip().upper()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(f"account name must be 1 to {NAME_MAX} characters", field="name")
    if not code:
        raise ValidationError("the carrier code (wp_code, e.g. YTO) is required", field="wp_code")
    if not sender.name.strip() or not sender.phone.strip():
        raise ValidationError("the sender's name and phone are required", field="sender")
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        carrier_class(app, carrier)
        if _name_taken(session, actor, name):
            raise Conflict(f"a carrier account named {name!r} already exists", field="name")
        target = _target_for(
            session, actor, carrier, shop_id, settings or {}, credentials or {}, platform
        )
    with carrier_session(app, target) as carrier_calls:
        found = carrier_calls.call(lambda c: c.subscriptions())
    branch = _pick_branch(found, code, branch_code.strip())
    sender = _complete_sender(sender, branch)
    company = resolve_logistics_company(app, target, code, logistics_company_id.strip())
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        if _name_taken(session, actor, name):
            raise Conflict(f"a carrier account named {name!r} already exists", field="name")
        row = CarrierAccount(
            org_id=actor.org_id,
            name=name,
            carrier=carrier,
            platform=target.platform,
            shop_id=target.shop_id,
            wp_code=code,
            logistics_company_id=company.id if company else "",
            logistics_company_name=company.name if company else "",
            branch_code=branch.branch_code if branch else branch_code.strip(),
            branch_name=branch.branch_name if branch else "",
            sender_name=sender.name.strip(),
            sender_phone=sender.phone.strip(),
            sender_province=sender.province,
            sender_city=sender.city,
            sender_district=sender.district,
            sender_town=sender.town,
            sender_address=sender.address,
            template_url=template_url.strip(),
            default_template=default_template.strip(),
            settings=dict(settings or {}),
            credentials=dict(credentials) if credentials else None,
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        info = AccountInfo.of(row)
        audit.record(
            session,
            "carrier_account.create",
            actor=actor,
            target_type="carrier_account",
            target_id=row.id,
            after=_audit_view(info),
        )
        return info


def _name_taken(session: Session, actor: Actor, name: str) -> bool:
    return (
        session.scalars(
            select(CarrierAccount.id).where(
                CarrierAccount.org_id == actor.org_id, CarrierAccount.name == name
            )
        ).first()
        is not None
    )


def _pick_branch(
    found: list[WaybillSubscription], code: str, branch_code: str
) -> WaybillSubscription | None:
    if not found:
        return None  # the plugin reports no subscriptions (manual numbers): nothing to check
    mine = [s for s in found if s.carrier_code.upper() == code]
    if not mine:
        codes = ", ".join(sorted({s.carrier_code for s in found}))
        raise ValidationError(
            f"no {code} waybill subscription on this account; subscribed: {codes}",
            field="wp_code",
        )
    if branch_code:
        match = [s for s in mine if s.branch_code == branch_code]
        if not match:
            raise ValidationError(
                f"{code} has no branch {branch_code!r}; branches: "
                + ", ".join(f"{s.branch_code} ({s.branch_name})" for s in mine),
                field="branch_code",
            )
        return match[0]
    if len(mine) > 1:
        raise ValidationError(
            f"{code} has {len(mine)} branches; choose one with branch_code: "
            + ", ".join(f"{s.branch_code} ({s.branch_name})" for s in mine),
            field="branch_code",
        )
    return mine[0]


def _complete_sender(sender: Contact, branch: WaybillSubscription | None) -> Contact:
    """The sender as given, or with the branch's shipping address when none was given."""
    has_address = sender.province and sender.city and sender.district and sender.address
    if has_address:
        return sender
    if branch is None or not branch.sender_addresses:
        raise ValidationError(
            "the sender address (province, city, district and street) is required",
            field="sender",
        )
    place = branch.sender_addresses[0]
    return Contact(
        name=sender.name,
        phone=sender.phone,
        province=place.province,
        city=place.city,
        district=place.district,
        address=place.address,
        town=place.town,
    )


def resolve_logistics_company(
    app: App, target: CarrierTarget, wp_code: str, wanted_id: str = ""
) -> LogisticsCompany | None:
    """The platform's logistics company for `wp_code` (or the one with id `wanted_id`);
    None when the account has no platform. No match is a `ValidationError`."""
    if not target.platform:
        return None
    token = access_token_for(app, target.shop_id) if target.shop_id is not None else ""
    with using_platform(app, target.platform) as platform:
        companies = platform.logistics_companies(token)
    if wanted_id:
        chosen = next((c for c in companies if c.id == wanted_id), None)
        if chosen is None:
            raise ValidationError(
                f"{target.platform} has no logistics company with id {wanted_id}",
                field="logistics_company_id",
            )
        return chosen
    matches = [c for c in companies if c.code.upper() == wp_code.upper()]
    matches.sort(key=lambda c: not c.available)
    if not matches:
        raise ValidationError(
            f"{target.platform} lists no logistics company with code {wp_code}; "
            "give its id with logistics_company_id",
            field="wp_code",
        )
    return matches[0]


def _audit_view(info: AccountInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "carrier": info.carrier,
        "platform": info.platform,
        "shop_id": info.shop_id,
        "wp_code": info.wp_code,
        "branch_code": info.branch_code,
        "logistics_company_id": info.logistics_company_id,
        "template_url": info.template_url,
    }
