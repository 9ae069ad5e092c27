"""What gets printed: plain data for each template kind, and its render mapping.

Print jobs build these from packages, waybills and orders; previews use `samples`. Each
`to_mapping()` gives the nested dict of strings (and row lists) that templates bind with
field paths such as `receiver.name` — exactly the catalogue in `core.templates.fields`.
Rendering is pure, so times arrive here already decided (the job's print time), and are
printed in Beijing time; money is integer fen, printed as yuan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clock import local_text
from core.contracts.types import Contact
from core.errors import ValidationError
from core.masking import mask_address, mask_name, mask_phone
from core.money import fen_to_yuan_text


def yuan(fen: int | None) -> str:
    """1290 → "¥12.90"; None → ""."""
    return "" if fen is None else f"¥{fen_to_yuan_text(fen)}"


def _time(value: datetime | None) -> str:
    return "" if value is None else local_text(value)


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key of a bin location (库位) as people read it: the digit runs compare as
    numbers, so A-2 comes before A-10 and 货架2 before 货架10; case is ignored. Texts
    and numbers alternate at fixed positions of the key, so any two keys compare."""
    parts = _DIGITS.split(text.strip())
    return tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))


@dataclass(frozen=True)
class Party:
    """A sender or receiver as printed: name, phone and the full address on one line."""

    name: str = ""
    phone: str = ""
    address: str = ""

    @classmethod
    def from_contact(cls, contact: Contact, *, masked: bool = False) -> Party:
        """From a platform contact. Encrypted contacts (Pinduoduo ciphertext) always give
        their masked copies; clear ones are masked here when `masked` is asked for."""
        region = " ".join(p for p in (contact.province, contact.city, contact.district) if p)
        if contact.town:
            region = f"{region} {contact.town}".strip()
        if contact.encrypted:
            name, phone, street = contact.name_masked, contact.phone_masked, contact.address_masked
        elif masked:
            name = contact.name_masked or mask_name(contact.name)
            phone = contact.phone_masked or mask_phone(contact.phone)
            street = contact.address_masked or mask_address(contact.address)
        else:
            name, phone, street = contact.name, contact.phone, contact.address
        return cls(name=name, phone=phone, address=f"{region} {street}".strip())

    def to_mapping(self) -> dict[str, str]:
        return {"name": self.name, "phone": self.phone, "address": self.address}


@dataclass(frozen=True)
class ItemLine:
    """One goods line: title, spec, merchant SKU code, quantity, bin location, unit price."""

    title: str
    quantity: int
    spec: str = ""
    sku: str = ""
    location: str = ""
    unit_price_fen: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError(f"item {self.title!r}: quantity must be an int", field="quantity")
        if self.quantity <= 0:
            raise ValidationError(
                f"item {self.title!r}: quantity must be positive, got {self.quantity}",
                field="quantity",
            )

    def to_mapping(self) -> dict[str, str]:
        amount = None if self.unit_price_fen is None else self.unit_price_fen * self.quantity
        return {
            "title": self.title,
            "spec": self.spec,
            "sku": self.sku,
            "quantity": str(self.quantity),
            "location": self.location,
            "unit_price": yuan(self.unit_price_fen),
            "amount": yuan(amount),
        }


def items_summary(items: Iterable[ItemLine]) -> str:
    """ "连衣裙 红色/M ×2；T恤 ×1": what fits on a label's goods line."""
    parts = []
    for item in items:
        name = f"{item.title} {item.spec}".strip()
        parts.append(f"{name} ×{item.quantity}")
    return "；".join(parts)


@dataclass(frozen=True)
class LabelData:
    """One e-waybill label (电子面单): one package, one waybill number. The receiver is
    as clear as the order allows (see `core.printing.documents.label_data`): a template
    element masks it with `mask`."""

    waybill_number: str
    receiver: Party
    sender: Party
    sort_code: str = ""  # 三段码 / 大头笔, as the carrier returned it
    package_center: str = ""  # 集包地
    package_center_code: str = ""  # 集包地 code
    route_name: str = ""  # 大头笔 text (浙江杭州)
    carrier_code: str = ""
    carrier_name: str = ""
    order_numbers: tuple[str, ...] = ()
    items: tuple[ItemLine, ...] = ()
    remarks: str = ""
    print_time: datetime | None = None
    package_index: int = 1
    package_count: int = 1
    weight_g: int | None = None
    shop_name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.waybill_number, str) or not self.waybill_number.strip():
            raise ValidationError("a label needs a waybill number", field="waybill_number")
        if not 1 <= self.package_index <= self.package_count:
            raise ValidationError(
                f"package {self.package_index} of {self.package_count} is impossible",
                field="package_index",
            )
        object.__setattr__(self, "order_numbers", tuple(self.order_numbers))
        object.__setattr__(self, "items", tuple(self.items))

    def to_mapping(self) -> dict[str, Any]:
        weight = "" if self.weight_g is None else f"{self.weight_g / 1000:.2f}kg"
        return {
            "waybill_number": self.waybill_number,
            "sort_code": self.sort_code,
            "package_center": self.package_center,
            "package_center_code": self.package_center_code,
            "route_name": self.route_name,
            "carrier": {"code": self.carrier_code, "name": self.carrier_name},
            "sender": self.sender.to_mapping(),
            "receiver": self.receiver.to_mapping(),
            "order": {
                "number": ",".join(self.order_numbers),
                "count": str(len(self.order_numbers)),
            },
            "items_summary": items_summary(self.items),
            "items": [item.to_mapping() for item in self.items],
            "total_quantity": str(sum(item.quantity for item in self.items)),
            "remarks": self.remarks,
            "print_time": _time(self.print_time),
            "package": {
                "index": str(self.package_index),
                "count": str(self.package_count),
                "weight": weight,
            },
            "shop": {"name": self.shop_name},
        }


@dataclass(frozen=True)
class PackingSlipData:
    """A packing slip (发货单) for one order or one package of merged orders."""

    order_number: str
    receiver: Party
    items: tuple[ItemLine, ...]
    sender: Party = field(default_factory=Party)
    shop_name: str = ""
    created_at: datetime | None = None
    paid_at: datetime | None = None
    waybill_number: str = ""
    carrier_name: str = ""
    postage_fen: int = 0
    paid_fen: int | None = None
    buyer_memo: str = ""
    seller_remark: str = ""
    print_time: datetime | None = None

    def to_mapping(self) -> dict[str, Any]:
        goods = sum((i.unit_price_fen or 0) * i.quantity for i in self.items)
        return {
            "shop": {"name": self.shop_name},
            "order": {
                "number": self.order_number,
                "created_at": _time(self.created_at),
                "paid_at": _time(self.paid_at),
            },
            "receiver": self.receiver.to_mapping(),
            "sender": self.sender.to_mapping(),
            "waybill_number": self.waybill_number,
            "carrier": {"name": self.carrier_name},
            "items": [item.to_mapping() for item in self.items],
            "total_quantity": str(sum(i.quantity for i in self.items)),
            "total_amount": yuan(goods),
            "postage": yuan(self.postage_fen),
            "paid_amount": yuan(self.paid_fen),
            "buyer_memo": self.buyer_memo,
            "seller_remark": self.seller_remark,
            "print_time": _time(self.print_time),
        }


@dataclass(frozen=True)
class PickLine:
    """One SKU to pick for one carrier: total quantity over `orders` orders, bin location."""

    carrier: str
    sku: str
    title: str
    quantity: int
    spec: str = ""
    location: str = ""
    orders: int = 1

    def to_mapping(self) -> dict[str, str]:
        return {
            "carrier": self.carrier,
            "sku": self.sku,
            "title": self.title,
            "spec": self.spec,
            "quantity": str(self.quantity),
            "location": self.location,
            "orders": str(self.orders),
        }


def aggregate_pick_lines(
    picks: Iterable[tuple[str, str, ItemLine]],
) -> tuple[PickLine, ...]:
    """Sum `(carrier, order number, item)` triples by carrier, SKU (or title + spec when
    an item has no SKU code) and bin location — the same SKU on two shelves (orders of
    two warehouses) is two lines — counting distinct orders; sorted by carrier, then bin
    location in natural order (A-2 before A-10; lines without a bin last), then SKU, so
    a picker walks the shelves once per carrier."""
    totals: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for carrier, order_number, item in picks:
        name = "" if item.sku else f"{item.title}\x00{item.spec}"
        key = (carrier, item.sku or "", name, item.location)
        entry = totals.setdefault(key, {"item": item, "quantity": 0, "orders": set()})
        entry["quantity"] += item.quantity
        entry["orders"].add(order_number)
    lines = [
        PickLine(
            carrier=carrier,
            sku=e["item"].sku,
            title=e["item"].title,
            spec=e["item"].spec,
            quantity=e["quantity"],
            location=e["item"].location,
            orders=len(e["orders"]),
        )
        for (carrier, _sku, _name, _bin), e in totals.items()
    ]
    lines.sort(
        key=lambda p: (p.carrier, not p.location, natural_key(p.location), p.sku, p.title, p.spec)
    )
    return tuple(lines)


@dataclass(frozen=True)
class PickListData:
    """A pick list (拣货单) for one print batch: SKUs aggregated and grouped by carrier."""

    batch_number: str
    lines: tuple[PickLine, ...]
    order_count: int = 0
    operator: str = ""
    print_time: datetime | None = None

    def to_mapping(self) -> dict[str, Any]:
        return {
            "batch": {"number": self.batch_number},
            "pick_lines": [line.to_mapping() for line in self.lines],
            "total_quantity": str(sum(line.quantity for line in self.lines)),
            "sku_count": str(len({(line.sku, line.title, line.spec) for line in self.lines})),
            "order_count": str(self.order_count),
            "operator": self.operator,
            "print_time": _time(self.print_time),
        }


@dataclass(frozen=True)
class ProductLabelData:
    """A product / shelf label: merchant SKU code, name, spec, barcode, price, location."""

    code: str
    name: str
    barcode: str = ""
    spec: str = ""
    price_fen: int | None = None
    location: str = ""
    print_time: datetime | None = None

    def to_mapping(self) -> dict[str, Any]:
        return {
            "sku": {
                "code": self.code,
                "name": self.name,
                "spec": self.spec,
                "barcode": self.barcode or self.code,
                "price": yuan(self.price_fen),
                "location": self.location,
            },
            "print_time": _time(self.print_time),
        }
