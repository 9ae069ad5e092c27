"""改单: editing one order by hand — the receiver of imported and manual orders, and the
local seller remark and flag of any order.

The receiver of a synced platform order is the platform's (Pinduoduo holds it encrypted
and ships to what it holds), so only orders that came from a file or were typed in
(`source` import or manual) may have it changed, and only before a label exists: a
printed label, or a waybill drawn for the old address, would then be wrong. A new
receiver is stored as the import stores one: encrypted columns, masked copies, the phone's
keyed hash (exact search) and the receiver hash (merge candidates).

Two operators editing the same order: `Order.version` is the ORM's version column, so
the second write fails (`StaleDataError`), and an operator may also name the version
they saw (`expected_version`, from `orders show`); both end in a `Conflict` that says
to reload — never a lost update. A receiver edit also moves the order's update time to
now, so re-importing the file it came from keeps the operator's receiver and the import
report says so (the importer keeps a stored copy that is newer than the file's).

Finding orders by number and what follows every change are `core.desk.lookup`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock, masking
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.import_format import RECEIVER_MASKED_TAG
from core.crypto import Keyring
from core.desk.lookup import after_change, load_orders, order_numbers, write_changes
from core.errors import Conflict, ValidationError
from core.models import Order, PackageLine, Shop, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.orders import status as order_status
from core.orders.receiver import MOBILE, phone_shape_ok, receiver_hash_of

#: Orders whose receiver an operator may change (a synced order's is the platform's).
EDITABLE_SOURCES = ("import", "manual")
#: Before a label exists: later, the printed label would carry the old receiver.
RECEIVER_EDITABLE_STATUSES = (order_status.PENDING, order_status.AUDITED)
FLAG_COLOURS = ("red", "yellow", "green", "blue", "purple")
MAX_NAME = 50
MAX_ADDRESS = 200
MAX_REGION = 50  # the province/city/district columns
MAX_REMARK = 1000
RECEIVER_FIELDS = ("name", "phone", "province", "city", "district", "address")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Edit:
    """What one edit did: the order's new version and each changed field, masked."""

    order_number: str
    order_id: int
    version: int
    before: dict[str, Any]
    after: dict[str, Any]


# --- validation (shared with manual orders) ---------------------------------------------


def check_text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    """`value` stripped; refused when empty (if `required`), too long or holding control
    characters, naming `field`."""
    if not isinstance(value, str):
        raise ValidationError(f"{field}: expected text", field=field)
    text = value.strip()
    if required and not text:
        raise ValidationError(f"{field} must not be empty", field=field)
    if len(text) > limit:
        raise ValidationError(f"{field} is {len(text)} characters; at most {limit}", field=field)
    if _CONTROL.search(text):
        raise ValidationError(f"{field} contains a control character", field=field)
    return text


def check_phone(value: object, field: str = "phone") -> str:
    """A mobile number (11 digits starting with 1, +86 allowed) as its 11 digits, or a
    landline with its area code (`0571-88886666`, an extension after a second dash)."""
    text = check_text(value, field, 30)
    compact = re.sub(r"[\s()（）]", "", text)
    if phone_shape_ok(compact):
        mobile = masking.normalise_phone(compact)
        return mobile if MOBILE.fullmatch(mobile) else compact
    raise ValidationError(
        f"{field}: {masking.mask_phone(text)} is neither a mobile number (11 digits "
        "starting with 1) nor a landline with its area code (0571-88886666)",
        field=field,
    )


def check_receiver(values: dict[str, object]) -> dict[str, str]:
    """The receiver fields given in `values` (None = not given), checked and cleaned."""
    limits = {
        "name": MAX_NAME,
        "province": MAX_REGION,
        "city": MAX_REGION,
        "district": MAX_REGION,
        "address": MAX_ADDRESS,
    }
    checked: dict[str, str] = {}
    for field in RECEIVER_FIELDS:
        value = values.get(field)
        if value is None:
            continue
        if field == "phone":
            checked[field] = check_phone(value)
        else:
            checked[field] = check_text(value, field, limits[field])
    return checked


def check_flag(colour: object) -> str:
    """A flag colour, or "" for none."""
    text = colour.strip().lower() if isinstance(colour, str) else ""
    if text in ("", "none"):
        return ""
    if text not in FLAG_COLOURS:
        raise ValidationError(
            f"flag: {str(colour)[:20]!r} is not a flag colour; use "
            f"{', '.join(FLAG_COLOURS)} or none",
            field="flag",
        )
    return text


# --- the edits ------------------------------------------------------------------------------


def edit_receiver(
    app: App,
    actor: Actor,
    order_number: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    province: str | None = None,
    city: str | None = None,
    district: str | None = None,
    address: str | None = None,
    expected_version: int | None = None,
) -> Edit:
    """Change the receiver of an imported or manual order not yet printed (order.edit)."""
    given = dict(
        name=name, phone=phone, province=province, city=city, district=district, address=address
    )
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        changes = check_receiver(given)
        if not changes:
            raise ValidationError(
                "name at least one receiver field to change: name, phone, province, city, "
                "district or address",
                field="receiver",
            )
        order = _one_order(session, actor, order_number, expected_version)
        _check_receiver_editable(session, order, changes)
        before, after = _apply_receiver(order, app.keyring, changes)
        if not after:
            return Edit(order.platform_order_no, order.id, order.version, {}, {})
        order.platform_updated_at = max(
            clock.now(), clock.as_utc(order.platform_updated_at or clock.now())
        )
        return _finish(session, actor, order, "order.edit_receiver", before, after)


def set_remark(
    app: App, actor: Actor, order_number: str, text: str, *, expected_version: int | None = None
) -> Edit:
    """Set (or with "" clear) the local seller remark of any order (order.edit)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        remark = check_text(text, "remark", MAX_REMARK, required=False)
        order = _one_order(session, actor, order_number, expected_version)
        if order.local_remark == remark:
            return Edit(order.platform_order_no, order.id, order.version, {}, {})
        before, after = {"local_remark": order.local_remark}, {"local_remark": remark}
        order.local_remark = remark
        return _finish(session, actor, order, "order.remark", before, after)


def set_flag(
    app: App, actor: Actor, order_number: str, colour: str, *, expected_version: int | None = None
) -> Edit:
    """Set the local flag colour of any order, or clear it with "none" (order.edit)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        flag = check_flag(colour)
        order = _one_order(session, actor, order_number, expected_version)
        if order.local_flag == flag:
            return Edit(order.platform_order_no, order.id, order.version, {}, {})
        before, after = {"local_flag": order.local_flag}, {"local_flag": flag}
        order.local_flag = flag
        return _finish(session, actor, order, "order.flag", before, after)


def _one_order(
    session: Session, actor: Actor, order_number: str, expected_version: int | None
) -> Order:
    (order,) = load_orders(session, actor.org_id, order_numbers([order_number]))
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            f"order {order.platform_order_no} was changed by someone else since you loaded "
            f"it (version {expected_version}, now {order.version}); reload it",
            version=order.version,
        )
    return order


def _check_receiver_editable(session: Session, order: Order, changes: dict[str, str]) -> None:
    number = order.platform_order_no
    if order.source not in EDITABLE_SOURCES:
        platform = session.scalar(select(Shop.platform).where(Shop.id == order.shop_id))
        raise Conflict(
            f"order {number} was synced from {platform}: its receiver is the platform's and "
            f"cannot be changed here; change the address on {platform} and sync the shop again",
            order=number,
        )
    if order.hub_status not in RECEIVER_EDITABLE_STATUSES:
        raise Conflict(
            f"order {number} is {order.hub_status}: its label already carries the old "
            "receiver, so the receiver can no longer be changed here",
            order=number,
        )
    waybill = session.scalar(
        select(Waybill.number)
        .join(PackageLine, PackageLine.package_id == Waybill.package_id)
        .where(PackageLine.order_id == order.id, Waybill.status.in_(ACTIVE_WAYBILL_STATUSES))
        .limit(1)
    )
    if waybill:
        raise Conflict(
            f"order {number} has waybill {waybill}, drawn for the old receiver; cancel it "
            f"first (orderhub waybill cancel {waybill}), then change the receiver",
            order=number,
        )
    if order.receiver_is_platform_encrypted and not {"name", "phone", "address"} <= set(changes):
        raise ValidationError(
            f"order {number}: its receiver is the platform's ciphertext; give the whole new "
            "receiver (name, phone and address), not a part of it",
            field="receiver",
        )


def _apply_receiver(
    order: Order, keyring: Keyring, changes: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Write `changes` with their masked copies and hashes; (before, after), masked."""
    shown_before = masked_receiver(order)
    current = {
        "name": order.receiver_name,
        "phone": order.receiver_phone,
        "address": order.receiver_address,
        "province": order.receiver_province,
        "city": order.receiver_city,
        "district": order.receiver_district,
    }
    replacing = order.receiver_is_platform_encrypted
    changed = [f for f, v in changes.items() if replacing or current[f] != v]
    if not changed:
        return {}, {}
    current.update(changes)
    if order.receiver_is_platform_encrypted:
        order.receiver_is_platform_encrypted = False
    if "name" in changes:
        order.receiver_name = changes["name"]
        order.receiver_name_masked = masking.mask_name(changes["name"])
    if "phone" in changes:
        order.receiver_phone = changes["phone"]
        order.receiver_phone_masked = masking.mask_phone(changes["phone"])
        order.receiver_phone_hash = keyring.keyed_hash(
            masking.normalise_phone(changes["phone"]), "receiver_phone"
        )
    if "address" in changes:
        order.receiver_address = changes["address"]
        order.receiver_address_masked = masking.mask_address(changes["address"])
    for field in ("province", "city", "district"):
        if field in changes:
            setattr(order, f"receiver_{field}", changes[field])
    order.receiver_hash = receiver_hash_of(
        keyring,
        name=current["name"],
        phone=current["phone"],
        province=current["province"] or "",
        city=current["city"] or "",
        district=current["district"] or "",
        address=current["address"],
    )
    if {"name", "phone", "address"} <= set(changes) and RECEIVER_MASKED_TAG in order.tags:
        order.tags = [t for t in order.tags if t != RECEIVER_MASKED_TAG]
    shown_after = masked_receiver(order)
    keys = [f"receiver_{f}" for f in RECEIVER_FIELDS if f in changed]
    return {k: shown_before[k] for k in keys}, {k: shown_after[k] for k in keys}


def masked_receiver(order: Order) -> dict[str, str]:
    """The receiver as audit events and lists may show it."""
    return {
        "receiver_name": order.receiver_name_masked,
        "receiver_phone": order.receiver_phone_masked,
        "receiver_province": order.receiver_province,
        "receiver_city": order.receiver_city,
        "receiver_district": order.receiver_district,
        "receiver_address": order.receiver_address_masked,
    }


def _finish(
    session: Session,
    actor: Actor,
    order: Order,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> Edit:
    """Write the order (version checked), audit, and run what follows a change."""
    loaded = order.version
    write_changes(session, [order], "edited it")
    before, after = {**before, "version": loaded}, {**after, "version": order.version}
    audit.record(
        session,
        action,
        actor=actor,
        target_type="order",
        target_id=order.id,
        before=before,
        after=after,
        detail=order.platform_order_no,
    )
    after_change(session, actor.org_id, [order.id])
    return Edit(order.platform_order_no, order.id, order.version, before, after)
