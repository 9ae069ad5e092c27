"""From a package to the `WaybillRequest` a carrier plugin sees.

Kept apart from the allocation flow because it is pure reading: package lines → orders and
their lines → recipient, order numbers and goods; the sender is the carrier account's, or
the warehouse's own sender when the first order's warehouse has one. The recipient is the
first order's receiver as stored; for platform orders that is the platform's ciphertext
(`Contact.encrypted`), which the platform's waybill service opens on its side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from core.contracts.carrier import WaybillItem, WaybillRequest
from core.contracts.types import Contact
from core.models import Order, OrderLine, Package, PackageLine, Shop, Waybill
from core.stock import warehouses
from core.waybills import request_epoch
from core.waybills.carrier_accounts import AccountInfo

#: Platform plugin name → `order_channels_type` of platform waybill services.
ORDER_CHANNELS: Mapping[str, str] = {
    "pinduoduo": "PDD",
    "taobao": "TB",
    "tmall": "TB",
    "jd": "JD",
    "douyin": "DY",
    "kuaishou": "KS",
}
ITEM_NAME_MAX = 100
#: `Waybill.request_id` of a number typed or scanned by hand (`core.shipping.tracking`):
#: no carrier issued it, so none is asked to cancel it or to send its print data again.
TYPED_PREFIX = "typed:"


def is_typed(request_id: str) -> bool:
    """Whether a waybill's number was typed by hand rather than drawn from its carrier."""
    return request_id.startswith(TYPED_PREFIX)


def request_ids(session: Session, package_ids: Iterable[int]) -> dict[int, str]:
    """The request id (PDD `object_id`) for each package's next waybill.

    `<epoch>-<package id>` while the package has never had a waybill, then
    `<epoch>-<package id>-<n>` once `n - 1` earlier waybills exist (cancelled, recycled, or
    recorded for compensation). So a retry after a crash repeats the id — a carrier that
    deduplicates returns the same number — while a waybill requested after a cancellation
    gets a fresh id, never a voided number back. The installation's epoch
    (`core.waybills.request_epoch`) keeps ids apart when package ids come round again: in another
    installation against the same shop, or after a restore of an older backup.
    """
    ids = list(package_ids)
    counts = dict(
        session.execute(
            select(Waybill.package_id, func.count())
            .where(Waybill.package_id.in_(ids))
            .group_by(Waybill.package_id)
        ).all()
    )
    epoch = request_epoch.current(session)
    return {
        pid: f"{epoch}-{pid}" if not counts.get(pid) else f"{epoch}-{pid}-{counts[pid] + 1}"
        for pid in ids
    }


def build_requests(
    session: Session, account: AccountInfo, packages: list[Package]
) -> dict[int, WaybillRequest | str]:
    """package id → its request, or the reason none can be built (empty package …)."""
    ids = [p.id for p in packages]
    lines_by_package: dict[int, list[PackageLine]] = defaultdict(list)
    for line in session.scalars(
        select(PackageLine).where(PackageLine.package_id.in_(ids)).order_by(PackageLine.id)
    ):
        lines_by_package[line.package_id].append(line)
    order_ids = {line.order_id for lines in lines_by_package.values() for line in lines}
    orders = (
        {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}
        if order_ids
        else {}
    )
    keys = {(line.order_id, line.line_no) for lines in lines_by_package.values() for line in lines}
    order_lines = _order_lines(session, keys)
    platforms = _shop_platforms(session, {o.shop_id for o in orders.values()})
    houses = warehouses.of_orders(session, orders.values())
    senders = warehouses.senders(session, houses.values())
    ids_for = request_ids(session, ids)
    built: dict[int, WaybillRequest | str] = {}
    for package in packages:
        lines = lines_by_package.get(package.id, [])
        if not lines:
            built[package.id] = f"package {package.id} has no goods lines"
            continue
        package_orders = list(dict.fromkeys(orders[line.order_id] for line in lines))
        first = package_orders[0]
        missing = _missing_receiver(first)
        if missing:
            built[package.id] = missing
            continue
        items = tuple(_item(order_lines.get((line.order_id, line.line_no)), line) for line in lines)
        channels = {
            ORDER_CHANNELS.get(platforms.get(o.shop_id, ""), "OTHERS") for o in package_orders
        }
        built[package.id] = WaybillRequest(
            request_id=ids_for[package.id],
            carrier_code=account.wp_code,
            # the first order's warehouse's sender, when it has one (core.stock.warehouses)
            sender=senders.get(houses.get(first.id, 0), account.sender),
            recipient=recipient_of(first),
            order_numbers=tuple(o.platform_order_no for o in package_orders),
            items=items,
            template=account.template_url,
            branch_code=account.branch_code,
            order_channel=channels.pop() if len(channels) == 1 else "OTHERS",
            weight_g=package.weight_g,
        )
    return built


def recipient_of(order: Order) -> Contact:
    """The order's receiver as a `Contact` (ciphertext stays ciphertext)."""
    return Contact(
        name=order.receiver_name or "",
        phone=order.receiver_phone or "",
        province=order.receiver_province,
        city=order.receiver_city,
        district=order.receiver_district,
        address=order.receiver_address or "",
        encrypted=order.receiver_is_platform_encrypted,
        name_masked=order.receiver_name_masked,
        phone_masked=order.receiver_phone_masked,
        address_masked=order.receiver_address_masked,
    )


def _missing_receiver(order: Order) -> str:
    """Why the order's receiver cannot go on a label ('' when it can)."""
    absent = [
        name
        for name, value in (
            ("name", order.receiver_name),
            ("phone", order.receiver_phone),
            ("address", order.receiver_address),
            ("province", order.receiver_province),
        )
        if not (value or "").strip()
    ]
    if not absent:
        return ""
    return (
        f"order {order.platform_order_no} has no receiver {'/'.join(absent)} (a platform "
        "hides them while an order is under risk review; sync it again later)"
    )


def _order_lines(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], OrderLine]:
    if not keys:
        return {}
    found: dict[tuple[int, int], OrderLine] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 400):
        chunk = ordered[start : start + 400]
        stmt = select(OrderLine).where(tuple_(OrderLine.order_id, OrderLine.line_no).in_(chunk))
        for line in session.scalars(stmt):
            found[(line.order_id, line.line_no)] = line
    return found


def _shop_platforms(session: Session, shop_ids: set[int]) -> dict[int, str]:
    if not shop_ids:
        return {}
    return dict(session.execute(select(Shop.id, Shop.platform).where(Shop.id.in_(shop_ids))).all())


def _item(order_line: OrderLine | None, line: PackageLine) -> WaybillItem:
    if order_line is None:
        name = f"order {line.order_id} line {line.line_no}"
    else:
        name = order_line.title.strip() or order_line.outer_id or "goods"
        if order_line.spec.strip():
            name = f"{name} {order_line.spec.strip()}"
    return WaybillItem(name=name[:ITEM_NAME_MAX], quantity=line.quantity)
