"""Changing a carrier account after it was added: its name, the sender printed on labels,
its default template, and whether it is in use.

What ties the account to the carrier — plugin, carrier code, branch, shop, logistics
company — stays as `create_account` checked it against the carrier's subscriptions; a
different branch or carrier is a new account. Changing needs `settings.manage` and is
audited with the account before and after; another org's account is simply not found.
"""

from __future__ import annotations

from sqlalchemy import select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.types import Contact
from core.errors import Conflict, ValidationError
from core.models import CarrierAccount
from core.waybills.carrier_accounts import NAME_MAX, AccountInfo, account_row

TEMPLATE_MAX = 64


def update_account(
    app: App,
    actor: Actor,
    ref: int | str,
    *,
    name: str | None = None,
    sender: Contact | None = None,
    default_template: str | None = None,
    enabled: bool | None = None,
) -> AccountInfo:
    """Change what is given (None: unchanged) of the account `ref` (id or name)."""
    if name is not None:
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise ValidationError(f"account name must be 1 to {NAME_MAX} characters", field="name")
    if sender is not None and (not sender.name.strip() or not sender.phone.strip()):
        raise ValidationError("the sender's name and phone are required", field="sender")
    if sender is not None and not (
        sender.province and sender.city and sender.district and sender.address
    ):
        raise ValidationError(
            "the sender address (province, city, district and street) is required",
            field="sender",
        )
    if default_template is not None and len(default_template.strip()) > TEMPLATE_MAX:
        raise ValidationError(
            f"template name must be at most {TEMPLATE_MAX} characters", field="default_template"
        )
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        row = account_row(session, actor, ref)
        before = AccountInfo.of(row)
        if name is not None and name != row.name:
            taken = session.scalars(
                select(CarrierAccount.id).where(
                    CarrierAccount.org_id == actor.org_id, CarrierAccount.name == name
                )
            ).first()
            if taken is not None:
                raise Conflict(f"a carrier account named {name!r} already exists", field="name")
            row.name = name
        if sender is not None:
            row.sender_name, row.sender_phone = sender.name.strip(), sender.phone.strip()
            row.sender_province, row.sender_city = sender.province, sender.city
            row.sender_district, row.sender_town = sender.district, sender.town
            row.sender_address = sender.address
        if default_template is not None:
            row.default_template = default_template.strip()
        if enabled is not None:
            row.enabled = bool(enabled)
        session.flush()
        after = AccountInfo.of(row)
        if after != before:
            audit.record(
                session,
                "carrier_account.update",
                actor=actor,
                target_type="carrier_account",
                target_id=row.id,
                before=_view(before),
                after=_view(after),
            )
        return after


def _view(info: AccountInfo) -> dict[str, object]:
    """What the audit trail says about an account: the sender's phone is the merchant's,
    not a buyer's, and is shown as the account shows it."""
    return {
        "name": info.name,
        "sender": f"{info.sender.name} {info.sender.phone} {info.sender.province}"
        f"{info.sender.city}{info.sender.district}{info.sender.address}",
        "default_template": info.default_template,
        "enabled": info.enabled,
    }
