"""One order whole, for `orderhub orders show` and the order screens of the TUI and API.

Lines, amounts, memos, flags, tags, packages with their lines and waybills, print history,
assignment, exception and reject reasons, and the order's audit trail — as plain frozen
dataclasses. The receiver is masked unless the caller asks to reveal it: that needs
`pii.view` and records an `order.reveal` audit event (invariant 7). A receiver the
platform encrypted (Pinduoduo) is revealed through the platform plugin's `decrypt` with
the shop's token; a platform that does not offer it says so, and such receivers can only
be printed through the platform's print component.

**The audit trail of an order** is every `AuditEvent` of the org with
`target_type = "order"` and `target_id = str(order.id)` (the row id, not the platform's
number, which is unique only per shop). Every part of the desk records its order events
that way (`ORDER_TARGET`), so they appear here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.platform import EncryptedValue
from core.desk.listing import OrderRow, order_rows
from core.errors import ExternalError, NotFound, NotSupported, ValidationError
from core.models import (
    AuditEvent,
    CarrierAccount,
    Order,
    Package,
    PackageLine,
    PrintJob,
    PrintJobItem,
    Shop,
    User,
    Warehouse,
    Waybill,
)
from core.shops.tokens import access_token_for, using_platform
from core.stock import warehouses

ORDER_TARGET = "order"  # AuditEvent.target_type of an order; target_id = str(order.id)
TRAIL_LIMIT = 200


@dataclass(frozen=True)
class Line:
    line_no: int
    title: str
    spec: str
    sku_id: str
    outer_id: str
    quantity: int
    unit_price_fen: int
    is_gift: bool


@dataclass(frozen=True)
class WaybillView:
    number: str
    carrier_account: str
    carrier_code: str
    status: str
    allocated_at: datetime | None
    printed_at: datetime | None


@dataclass(frozen=True)
class PackageView:
    id: int
    status: str
    weight_g: int | None
    lines: tuple[tuple[str, int, int], ...]  # (order number, line number, quantity)
    waybills: tuple[WaybillView, ...]


@dataclass(frozen=True)
class PrintRecord:
    job_id: int
    kind: str
    state: str
    sent_at: datetime | None
    reprint: bool
    reason: str
    user: str


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    detail: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Receiver:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    revealed: bool  # False: masked copies
    platform_encrypted: bool


@dataclass(frozen=True)
class OrderDetail:
    row: OrderRow  # what the list shows (masked receiver, tab, tags, flag …)
    lines: tuple[Line, ...]
    discount_fen: int
    postage_fen: int
    buyer_memo: str
    seller_remark: str
    local_remark: str
    platform_flag: str
    local_flag: str
    receiver: Receiver
    packages: tuple[PackageView, ...]
    print_history: tuple[PrintRecord, ...]
    assigned_carrier: str
    assigned_template: str
    assigned_by: str
    reject_reason: str
    audited_at: datetime | None
    audited_by: str
    version: int
    trail: tuple[AuditEntry, ...]
    warehouse: str = ""  # the warehouse that ships it (分仓); "" while the org has none


def show_order(
    app: App, actor: Actor, order_no: str, *, shop: str | None = None, reveal: bool = False
) -> OrderDetail:
    """The order numbered `order_no` of the actor's org (`order.view`); `shop` names the
    shop when two shops share a number. `reveal` shows the receiver in clear (`pii.view`,
    audited)."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        if reveal:
            authz.require(session, actor, "pii.view")
        order = _find(session, actor, order_no.strip(), shop)
        detail = _detail(session, actor, order)
        platform = session.get(Shop, order.shop_id)
        encrypted = order.receiver_is_platform_encrypted
        if reveal and not encrypted:
            detail = _replace_receiver(detail, _stored_receiver(order))
            _record_reveal(session, actor, order, "stored receiver decrypted")
    if reveal and encrypted:
        clear = _platform_decrypt(app, order, platform)
        with app.tx() as session:
            _record_reveal(session, actor, order, f"decrypted by platform {platform.platform}")
        detail = _replace_receiver(detail, clear)
    return detail


def order_packages(
    app: App, actor: Actor, order_no: str, *, shop: str | None = None
) -> tuple[PackageView, ...]:
    """The packages of one order (`order.view`), cancelled ones too, each with every order
    line it holds (a merged package holds other orders' lines) and its waybills."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        order = _find(session, actor, order_no.strip(), shop)
        return _packages(session, actor.org_id, order.id)


def _find(session: Session, actor: Actor, order_no: str, shop: str | None) -> Order:
    stmt = select(Order).where(Order.org_id == actor.org_id, Order.platform_order_no == order_no)
    if shop:
        stmt = stmt.join(Shop, Shop.id == Order.shop_id).where(Shop.name == shop)
    found = list(session.scalars(stmt.limit(2)))
    if not found:
        raise NotFound(f"no order {order_no!r}" + (f" in shop {shop!r}" if shop else ""))
    if len(found) > 1:
        raise ValidationError(
            f"order {order_no!r} exists in several shops; name the shop", field="shop"
        )
    return found[0]


def _detail(session: Session, actor: Actor, order: Order) -> OrderDetail:
    (row,) = order_rows(session, actor.org_id, [order.id])
    assigned = (
        session.get(CarrierAccount, order.assigned_carrier_account_id)
        if order.assigned_carrier_account_id
        else None
    )
    auditor = session.get(User, order.audited_by) if order.audited_by else None
    detail = OrderDetail(
        row=row,
        lines=tuple(
            Line(
                ln.line_no,
                ln.title,
                ln.spec,
                ln.platform_sku_id,
                ln.outer_id,
                ln.quantity,
                ln.unit_price_fen,
                ln.is_gift,
            )
            for ln in order.lines
        ),
        discount_fen=order.discount_fen,
        postage_fen=order.postage_fen,
        buyer_memo=order.buyer_memo,
        seller_remark=order.seller_remark,
        local_remark=order.local_remark,
        platform_flag=order.flag_color or "",
        local_flag=order.local_flag,
        receiver=_masked(order),
        packages=_packages(session, actor.org_id, order.id),
        print_history=_prints(session, actor.org_id, order.id),
        assigned_carrier=assigned.name if assigned else "",
        assigned_template=order.assigned_template,
        assigned_by=order.assigned_by,
        reject_reason=order.reject_reason,
        audited_at=_utc(order.audited_at),
        audited_by=auditor.username if auditor else "",
        version=order.version,
        trail=_trail(session, actor.org_id, order.id),
        warehouse=_warehouse(session, order),
    )
    return detail


def _warehouse(session: Session, order: Order) -> str:
    house = warehouses.of_orders(session, [order]).get(order.id)
    return session.get_one(Warehouse, house).name if house is not None else ""


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else clock.as_utc(value)


def _masked(order: Order) -> Receiver:
    return Receiver(
        name=order.receiver_name_masked,
        phone=order.receiver_phone_masked,
        province=order.receiver_province,
        city=order.receiver_city,
        district=order.receiver_district,
        address=order.receiver_address_masked,
        revealed=False,
        platform_encrypted=order.receiver_is_platform_encrypted,
    )


def _stored_receiver(order: Order) -> dict[str, str]:
    """The receiver as stored: our decryption for imported and manual orders, the
    platform's ciphertext for a platform-encrypted one."""
    return {
        "name": order.receiver_name or "",
        "phone": order.receiver_phone or "",
        "address": order.receiver_address or "",
    }


def _replace_receiver(detail: OrderDetail, clear: dict[str, str]) -> OrderDetail:
    old = detail.receiver
    receiver = Receiver(
        clear["name"],
        clear["phone"],
        old.province,
        old.city,
        old.district,
        clear["address"],
        True,
        old.platform_encrypted,
    )
    return OrderDetail(**{**detail.__dict__, "receiver": receiver})


def _record_reveal(session: Session, actor: Actor, order: Order, how: str) -> None:
    audit.record(
        session,
        "order.reveal",
        actor=actor,
        target_type=ORDER_TARGET,
        target_id=order.id,
        detail=f"receiver of order {order.platform_order_no} shown in clear ({how})",
    )


def _platform_decrypt(app: App, order: Order, shop: Shop) -> dict[str, str]:
    fields = _stored_receiver(order)
    wanted = {k: v for k, v in fields.items() if v}
    cannot = (
        f"order {order.platform_order_no}: platform {shop.platform} does not decrypt receivers "
        "for orderhub; its receivers can only be printed through its print component"
    )
    with using_platform(app, shop.platform) as platform:
        if not platform.SUPPORTS_DECRYPT:
            raise NotSupported(cannot, operation="decrypt")
        token = access_token_for(app, shop.id)
        values = [EncryptedValue(order.platform_order_no, v) for v in wanted.values()]
        try:
            answers = platform.decrypt(token, values)
        except NotSupported:
            raise NotSupported(cannot, operation="decrypt") from None
    failed = [a.error for a in answers if a.error]
    if failed:
        raise ExternalError(
            f"order {order.platform_order_no}: platform {shop.platform} refused to decrypt "
            f"the receiver: {failed[0]}"
        )
    clear = dict(zip(wanted, (a.plaintext for a in answers), strict=True))
    return {k: clear.get(k, "") for k in fields}


def _packages(session: Session, org_id: int, order_id: int) -> tuple[PackageView, ...]:
    package_ids = select(PackageLine.package_id).where(
        PackageLine.org_id == org_id, PackageLine.order_id == order_id
    )
    packages = list(
        session.scalars(
            select(Package)
            .where(Package.org_id == org_id, Package.id.in_(package_ids))
            .order_by(Package.id)
        )
    )
    ids = [p.id for p in packages]
    lines: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for package_id, number, line_no, quantity in session.execute(
        select(
            PackageLine.package_id,
            Order.platform_order_no,
            PackageLine.line_no,
            PackageLine.quantity,
        )
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.package_id.in_(ids))
        .order_by(PackageLine.id)
    ):
        lines[package_id].append((number, line_no, quantity))
    waybills: dict[int, list[WaybillView]] = defaultdict(list)
    for waybill, account in session.execute(
        select(Waybill, CarrierAccount.name)
        .join(CarrierAccount, CarrierAccount.id == Waybill.carrier_account_id)
        .where(Waybill.org_id == org_id, Waybill.package_id.in_(ids))
        .order_by(Waybill.id)
    ):
        waybills[waybill.package_id].append(
            WaybillView(
                waybill.number,
                account,
                waybill.carrier_code,
                waybill.status,
                _utc(waybill.allocated_at),
                _utc(waybill.printed_at),
            )
        )
    return tuple(
        PackageView(p.id, p.status, p.weight_g, tuple(lines[p.id]), tuple(waybills[p.id]))
        for p in packages
    )


def _prints(session: Session, org_id: int, order_id: int) -> tuple[PrintRecord, ...]:
    package_ids = select(PackageLine.package_id).where(
        PackageLine.org_id == org_id, PackageLine.order_id == order_id
    )
    rows = session.execute(
        select(PrintJobItem, PrintJob.actor_label)
        .join(PrintJob, PrintJob.id == PrintJobItem.job_id)
        .where(
            PrintJobItem.org_id == org_id,
            (PrintJobItem.package_id.in_(package_ids)) | (PrintJobItem.order_id == order_id),
            PrintJobItem.state.in_(("done", "uncertain", "sending", "failed")),
        )
        .order_by(PrintJobItem.id)
    )
    return tuple(
        PrintRecord(
            item.job_id,
            item.kind,
            item.state,
            _utc(item.sent_at),
            item.reprint,
            item.reprint_reason,
            label,
        )
        for item, label in rows
    )


def _trail(session: Session, org_id: int, order_id: int) -> tuple[AuditEntry, ...]:
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.org_id == org_id,
            AuditEvent.target_type == ORDER_TARGET,
            AuditEvent.target_id == str(order_id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(TRAIL_LIMIT)
    )
    return tuple(
        AuditEntry(_utc(e.at), e.actor_label, e.action, e.detail, e.before, e.after)
        for e in reversed(list(events))
    )
