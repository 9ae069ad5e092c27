"""What each print item prints, read from the database a page of items at a time.

For a label: the package's waybill, its carrier account (sender, carrier name), the orders
in the package (receiver, remarks) and their goods, each with its bin (库位) in the order's
warehouse; the sender is that warehouse's when it has one, else the carrier account's;
for a packing slip the same plus the money; for a pick list, every package of the job
aggregated by SKU and bin, grouped by carrier and sorted by bin;
for a product label, one goods line of the package (one label per unit). Reading is bulk
(a handful of queries per page, never one per item) and skips the raw platform payloads,
so memory depends on the page size, not on the batch.

Two ways a label leaves: rendered by orderhub (`LabelData` → a renderer for the printer's
language), or — for a print-component printer (`pdd-print`) — as the platform's encrypted
`print_data` passed through untouched. Labels orderhub renders carry the receiver as
clear as the order allows — in clear for imported and manual orders, so the courier can
call the buyer; the platform's masked copies where it only gave ciphertext (a Pinduoduo
merchant prints those waybills through the component, which alone opens the ciphertext)
— and a template element with `mask` masks it. Packing slips and pick lists always get
the masked receiver. The clear receiver exists only in the render data in memory: print
items store no document, and `redact` takes it out of every item error before it is
stored or logged. The sort area comes from the waybill's stored routing (`SortCode`).

`problem(…)` says why an item must not print now (order put on hold or refunded after the
job was made, waybill cancelled or replaced): such items fail with that reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from core.contracts.carrier import SortCode
from core.contracts.types import Contact
from core.errors import ValidationError
from core.masking import mask_address, mask_name, mask_phone
from core.models import CarrierAccount, Order, Package, PackageLine, Shop, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.orders.status import blocking_reason
from core.stock import warehouses
from core.stock.bins import line_bins
from core.templates import (
    ItemLine,
    LabelData,
    PackingSlipData,
    Party,
    PickListData,
    ProductLabelData,
    aggregate_pick_lines,
)
from core.waybills.requests import recipient_of

CHUNK = 500
NO_CARRIER = "未分配快递 / no carrier"


@dataclass(frozen=True)
class ItemRef:
    """One queued item as the runner streams it (no ORM row kept across transactions)."""

    id: int
    position: int
    kind: str
    package_id: int | None
    order_id: int | None
    waybill_id: int | None
    printer_id: int | None
    template_version_id: int | None
    reprint: bool
    attempts: int
    line_no: int | None = None  # a product label's goods line (of `order_id`)


@dataclass
class Source:
    """Everything one package's documents need."""

    package: Package
    orders: list[Order] = field(default_factory=list)
    items: list[ItemLine] = field(default_factory=list)
    waybill: Waybill | None = None
    account: CarrierAccount | None = None
    shop_name: str = ""
    sender: Contact | None = None  # the first order's warehouse's, when it has one
    bins: dict[tuple[int, int], str] = field(default_factory=dict)  # (order, line no) → 库位


def load_sources(session: Session, refs: Iterable[ItemRef]) -> dict[int, Source]:
    """package id → its `Source`, for every package the items name."""
    package_ids = sorted({r.package_id for r in refs if r.package_id is not None})
    return dict(_sources(session, package_ids))


def load_packages(session: Session, package_ids: Iterable[int]) -> dict[int, Source]:
    """package id → its `Source`, for packages named directly (a preview)."""
    return dict(_sources(session, sorted(set(package_ids))))


def _sources(session: Session, package_ids: list[int]) -> Iterator[tuple[int, Source]]:
    for start in range(0, len(package_ids), CHUNK):
        ids = package_ids[start : start + CHUNK]
        packages = {p.id: p for p in session.scalars(select(Package).where(Package.id.in_(ids)))}
        lines = [line for p in packages.values() for line in p.lines]
        order_ids = {line.order_id for line in lines}
        orders = {
            o.id: o
            for o in session.scalars(
                select(Order).where(Order.id.in_(order_ids)).options(defer(Order.raw))
            )
        }
        waybills = _active_waybills(session, ids)
        accounts = _accounts(session, {w.carrier_account_id for w in waybills.values()})
        accounts.update(
            _accounts(session, {p.carrier_account_id for p in packages.values()} - set(accounts))
        )
        shops = _shop_names(session, {o.shop_id for o in orders.values()})
        bins = line_bins(session, orders.values())
        houses = warehouses.of_orders(session, orders.values())
        senders = warehouses.senders(session, houses.values())
        for package_id in ids:
            package = packages.get(package_id)
            if package is None:
                continue
            source = Source(package=package, bins=bins)
            by_number: dict[int, Order] = {}
            for line in package.lines:
                order = orders.get(line.order_id)
                if order is None:
                    continue
                by_number.setdefault(order.id, order)
                source.items.append(_item(order, line, bins.get((order.id, line.line_no), "")))
            source.orders = list(by_number.values())
            source.waybill = waybills.get(package_id)
            account_id = (
                source.waybill.carrier_account_id if source.waybill else package.carrier_account_id
            )
            source.account = accounts.get(account_id) if account_id else None
            if source.orders:
                source.shop_name = shops.get(source.orders[0].shop_id, "")
                source.sender = senders.get(houses.get(source.orders[0].id, 0))
            yield package_id, source


def _active_waybills(session: Session, package_ids: list[int]) -> dict[int, Waybill]:
    rows = session.scalars(
        select(Waybill)
        .where(Waybill.package_id.in_(package_ids))
        .where(Waybill.status.in_(("allocated", "printed", "cancelling")))
    )
    return {w.package_id: w for w in rows}


def _accounts(session: Session, ids: set[int | None]) -> dict[int, CarrierAccount]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        a.id: a
        for a in session.scalars(select(CarrierAccount).where(CarrierAccount.id.in_(wanted)))
    }


def _shop_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids))).all())


def _item(order: Order, line: PackageLine, location: str = "") -> ItemLine:
    found = next((o for o in order.lines if o.line_no == line.line_no), None)
    if found is None:
        return ItemLine(title=f"{order.platform_order_no} line {line.line_no}", quantity=1)
    return ItemLine(
        title=found.title or found.outer_id or "goods",
        quantity=line.quantity,
        spec=found.spec,
        sku=found.outer_id,
        location=location,
        unit_price_fen=found.unit_price_fen,
    )


# ---------------------------------------------------------------- checks


def problem(ref: ItemRef, source: Source | None) -> str:
    """Why this item must not print now ('' when it may)."""
    if ref.kind == "pick_list":
        return ""
    if source is None:
        return f"package {ref.package_id} no longer exists"
    package = source.package
    if package.status in ("on_hold", "cancelled"):
        why = f": {package.hold_reason}" if package.hold_reason else ""
        return f"package {package.id} is {package.status}{why}"
    for order in source.orders:
        found = blocking_reason(order)
        if found and not (ref.reprint and order.hub_status in ("shipped", "completed")):
            return found
    if ref.kind != "label":
        return ""
    waybill = source.waybill
    if waybill is None or waybill.id != ref.waybill_id:
        current = f"; its waybill now is {waybill.number}" if waybill else ""
        return (
            f"the waybill of package {package.id} was cancelled or replaced since the job was "
            f"made{current}: print the package again (as a reprint)"
        )
    if waybill.status not in PRINTABLE_WAYBILL_STATUSES:
        return f"waybill {waybill.number} is {waybill.status}; it cannot be printed"
    return ""


# ---------------------------------------------------------------- document data


def sender_of(account: CarrierAccount | None, own: Contact | None = None) -> Party:
    """The sender printed: the warehouse's own (`own`) when it has one, else the carrier
    account's."""
    if own is not None:
        return Party.from_contact(own)
    if account is None:
        return Party()
    contact = Contact(
        name=account.sender_name,
        phone=account.sender_phone,
        province=account.sender_province,
        city=account.sender_city,
        district=account.sender_district,
        address=account.sender_address,
        town=account.sender_town,
    )
    return Party.from_contact(contact)


def carrier_name(source: Source) -> str:
    account = source.account
    if account is None:
        return source.waybill.carrier_code if source.waybill else ""
    return account.logistics_company_name or account.wp_code


def label_data(source: Source, printed_at: datetime) -> LabelData:
    """The label of the package's active waybill (checked by `problem` first)."""
    waybill = source.waybill
    assert waybill is not None
    first = source.orders[0]
    routing = routing_of(waybill)
    remarks = "；".join(
        t for o in source.orders for t in (o.seller_remark.strip(), o.buyer_memo.strip()) if t
    )
    return LabelData(
        waybill_number=waybill.number,
        receiver=Party.from_contact(recipient_of(first)),  # as clear as the order allows
        sender=sender_of(source.account, source.sender),
        sort_code=routing.sort_code,
        package_center=routing.consolidation_name,
        package_center_code=routing.consolidation_code,
        route_name=routing.route_name,
        carrier_code=waybill.carrier_code,
        carrier_name=carrier_name(source),
        order_numbers=tuple(o.platform_order_no for o in source.orders),
        items=tuple(source.items),
        remarks=remarks[:200],
        print_time=printed_at,
        weight_g=source.package.weight_g,
        shop_name=source.shop_name,
    )


def packing_slip_data(source: Source, printed_at: datetime) -> PackingSlipData:
    first = source.orders[0]
    return PackingSlipData(
        order_number=",".join(o.platform_order_no for o in source.orders),
        receiver=Party.from_contact(recipient_of(first), masked=True),
        items=tuple(source.items),
        sender=sender_of(source.account, source.sender),
        shop_name=source.shop_name,
        created_at=first.created_at_platform,
        paid_at=first.paid_at,
        waybill_number=source.waybill.number if source.waybill else "",
        carrier_name=carrier_name(source),
        postage_fen=sum(o.postage_fen for o in source.orders),
        paid_fen=sum(o.pay_amount_fen for o in source.orders),
        buyer_memo="；".join(o.buyer_memo for o in source.orders if o.buyer_memo),
        seller_remark="；".join(o.seller_remark for o in source.orders if o.seller_remark),
        print_time=printed_at,
    )


def pick_list_data(
    session: Session, job_id: int, package_ids: list[int], operator: str, printed_at: datetime
) -> PickListData:
    """SKUs of every package of the batch, summed per carrier (read in chunks)."""
    picks: list[tuple[str, str, ItemLine]] = []
    orders: set[int] = set()
    for _, source in _sources(session, package_ids):
        carrier = carrier_name(source) or NO_CARRIER
        number = ",".join(o.platform_order_no for o in source.orders)
        orders.update(o.id for o in source.orders)
        picks += [(carrier, number, item) for item in source.items]
    return PickListData(
        batch_number=f"P{job_id}",
        lines=aggregate_pick_lines(picks),
        order_count=len(orders),
        operator=operator,
        print_time=printed_at,
    )


def product_label_data(source: Source, ref: ItemRef, printed_at: datetime) -> ProductLabelData:
    """The product label (商品标签) of the item's goods line: title, spec, merchant code
    (outer_id) as text and barcode, unit price."""
    order = next((o for o in source.orders if o.id == ref.order_id), None)
    found = (
        next((line for line in order.lines if line.line_no == ref.line_no), None)
        if order is not None
        else None
    )
    if order is None or found is None:
        raise ValidationError(
            f"goods line {ref.line_no} is no longer in package {source.package.id}: make "
            "the product labels again",
            field="line_no",
        )
    code = found.outer_id or found.outer_goods_id or found.platform_sku_id
    if not code.strip():
        raise ValidationError(
            f"order {order.platform_order_no} line {found.line_no} has no merchant code "
            "(outer_id) for the label's barcode",
            field="outer_id",
        )
    return ProductLabelData(
        code=code,
        name=found.title or code,
        barcode=code,
        spec=found.spec,
        price_fen=found.unit_price_fen or None,
        location=source.bins.get((order.id, found.line_no), ""),
        print_time=printed_at,
    )


def component_payload(source: Source, task_id: str) -> bytes:
    """The `pdd-print` document of the package's waybill: its print data untouched."""
    waybill = source.waybill
    assert waybill is not None
    content = waybill.print_data
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            content = None
    if not isinstance(content, dict) or not content:
        raise ValueError(
            f"waybill {waybill.number} has no platform print data (print it on a label "
            "printer, or fetch it again with a reprint)"
        )
    document = {"documentID": waybill.number, "contents": [content]}
    return json.dumps({"taskID": task_id, "documents": [document]}, ensure_ascii=False).encode()


def routing_of(waybill: Waybill) -> SortCode:
    """The waybill's routing as stored at allocation; for waybills without one, the sort
    code and hub of print data a carrier sent in clear (direct-carrier APIs)."""
    stored = SortCode.from_dict(waybill.routing)
    if stored is not None:
        return stored
    clear = _clear_fields(waybill.print_data)
    return SortCode(
        sort_code=clear.get("sort_code", ""), consolidation_name=clear.get("package_center", "")
    )


_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def redact(source: Source | None, text: str) -> str:
    """`text` without the clear receiver of the source's orders (masked copies instead),
    nor any mobile number: an item's error (a barcode that cannot encode its value …)
    is stored, shown and logged, and never carries buyer data."""
    if not text:
        return text
    for order in source.orders if source is not None else ():
        if order.receiver_is_platform_encrypted:
            continue
        for value, masked in (
            (order.receiver_address or "", mask_address),
            (order.receiver_name or "", mask_name),
            (order.receiver_phone or "", mask_phone),
        ):
            if len(value) >= 2 and value in text:
                text = text.replace(value, masked(value))
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def _clear_fields(print_data: object) -> dict[str, str]:
    """Sort code and hub from print data a carrier sent in clear (direct-carrier APIs);
    platform print data is encrypted and yields nothing."""
    data = print_data
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    if not isinstance(data, dict):
        return {}
    out = {}
    for key in ("sort_code", "package_center"):
        value = data.get(key)
        if isinstance(value, str):
            out[key] = value
    return out
