"""Pure mapping: Pinduoduo payloads ↔ core's boundary types. No I/O, no clock.

Pinduoduo sends times as Beijing-time text, money as JSON numbers in yuan, ids as strings
or numbers depending on the API version, and buyer name/phone/address as ciphertext
(pinduoduo.md §3.4, §4). Everything here turns that into aware UTC, integer fen, strings
and `Contact(encrypted=True)`, and refuses a payload it cannot read with a
`ValidationError` that names the order number and the field, so one bad order is reported
precisely instead of breaking a page silently.

Money goes through `core.money.yuan_to_fen` only: JSON floats are passed as they are and
money reads them via their shortest repr, which is exactly the digits the gateway sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from core.clock import SHANGHAI
from core.contracts import (
    Contact,
    DecryptedValue,
    LogisticsCompany,
    OrderStatus,
    OrderStatusInfo,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.errors import ValidationError
from core.money import yuan_to_fen

ORDER_STATUS = {1: OrderStatus.AWAITING_SHIPMENT, 2: OrderStatus.SHIPPED, 3: OrderStatus.DELIVERED}
ORDER_STATUS_TEXT = {1: "待发货", 2: "已发货待签收", 3: "已签收", 0: "异常"}
REFUND_STATUS = {
    1: RefundStatus.NONE,
    2: RefundStatus.IN_PROGRESS,
    3: RefundStatus.IN_PROGRESS,
    4: RefundStatus.REFUNDED,
}
REFUND_STATUS_TEXT = {1: "无售后或售后关闭", 2: "售后处理中", 3: "退款中", 4: "退款成功", 0: "异常"}
CONFIRM_CANCELLED = 2
REMARK_COLOURS = {1: "red", 2: "yellow", 3: "green", 4: "blue", 5: "purple"}
GIFT_PREFIX = "【赠品】"
#: Tags derived from flags outside `order_tag_list` (documented in `order_from_payload`).
RISK_CONTROL_TAG = "risk_control"
PRE_SALE_TAG = "pre_sale"


def bad(order_number: str, field: str, problem: str) -> ValidationError:
    """The error for an unreadable field of one order."""
    return ValidationError(
        f"Pinduoduo order {order_number}: {field} {problem}",
        field=field,
        order_number=order_number,
    )


# ---------------------------------------------------------------------- scalars


def beijing_time(value: object, field: str, order_number: str = "?") -> datetime | None:
    """Beijing-time text (`2024-06-01 12:30:05` or ISO `2024-06-01T12:30:05`, an explicit
    offset wins) or Unix seconds → aware UTC; empty text or None → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise bad(order_number, field, f"is not a time text: {value!r}")
    text = value.strip()
    try:
        if len(text) < 16:  # a bare date would silently become midnight
            raise ValueError(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad(
            order_number, field, f"is not a time like 2024-06-01 12:30:05: {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(UTC)


def required_time(payload: Mapping[str, Any], field: str, order_number: str) -> datetime:
    value = beijing_time(payload.get(field), field, order_number)
    if value is None:
        raise bad(order_number, field, "is missing")
    return value


def money(
    payload: Mapping[str, Any],
    key: str,
    order_number: str,
    *,
    required: bool,
    label: str | None = None,
) -> int:
    """Integer fen of the yuan amount at `key`; an absent optional amount is 0. `label`
    names the field in errors when it is nested (`item_list[0].goods_price`)."""
    field = label or key
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad(order_number, field, "is missing")
        return 0
    try:
        fen = _fen(value) if isinstance(value, str | int | float) else yuan_to_fen(value)
    except ValidationError as exc:
        problem = exc.message.split(": ", 1)[-1]  # drop yuan_to_fen's own field label
        raise bad(order_number, field, f"is not an amount: {problem}") from None
    if fen < 0:
        raise bad(order_number, field, f"is negative: {value!r}")
    return fen


@lru_cache(maxsize=8192, typed=True)
def _fen(value: object) -> int:
    """`yuan_to_fen`, memoised: a shop's prices and amounts repeat on every page, and
    parsing a float through its repr and `Decimal` is the mapping's hottest step. Errors
    are not cached (they propagate), so a bad amount is reported every time."""
    return yuan_to_fen(value, field="amount")


def small_int(value: object, field: str, order_number: str, *, default: int | None = None) -> int:
    """An enum-like integer the gateway sends as a number or as digit text."""
    if value is None or value == "":
        if default is None:
            raise bad(order_number, field, "is missing")
        return default
    if isinstance(value, bool):
        raise bad(order_number, field, f"is not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise bad(order_number, field, f"is not a number: {value!r}")


def id_text(value: object, field: str, order_number: str, *, required: bool = True) -> str:
    """Ids arrive as strings (2026 docs) or numbers (2023 SDK); both become text."""
    if isinstance(value, bool):
        raise bad(order_number, field, f"is not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or value == "":
        if required:
            raise bad(order_number, field, "is missing")
        return ""
    raise bad(order_number, field, f"is not an id: {value!r}")


def text(payload: Mapping[str, Any], field: str) -> str:
    value = payload.get(field)
    return "" if value is None else str(value)


def is_ciphertext(value: str) -> bool:
    """Pinduoduo ciphertext starts and ends with `~` (names, addresses) or `$` (phones)."""
    return len(value) > 2 and value[0] in "~$" and value[-1] == value[0]


# ---------------------------------------------------------------------- orders


def order_number_of(payload: object) -> str:
    """The order number of an order object, or a ValidationError saying it has none."""
    if not isinstance(payload, Mapping):
        raise ValidationError(f"Pinduoduo order must be an object, not {type(payload).__name__}")
    value = payload.get("order_sn")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"Pinduoduo order without order_sn (got {value!r}); keys: "
            + ", ".join(sorted(payload)[:12]),
            field="order_sn",
        )
    return value.strip()


def order_from_payload(payload: Mapping[str, Any]) -> PlatformOrder:
    """One order object (§3.4) → `PlatformOrder`.

    - status: `confirm_status` 2 (已取消) → CANCELLED, else `order_status` 1/2/3 →
      awaiting shipment / shipped / delivered, anything else UNKNOWN; `refund_status`
      1 → none, 2/3 → in progress, 4 → refunded, anything else UNKNOWN.
    - money: goods = `goods_amount`, paid = `pay_amount`, postage = `postage`,
      discount = `platform_discount + seller_discount + capital_free_discount` (or
      `discount_amount` when none of the three is sent).
    - lines: `item_list` then `gift_list` (gift titles prefixed 【赠品】).
    - receiver: province/city/district(`town`) in clear; name/phone/address ciphertext
      with `encrypted=True` when they look like ciphertext; masked copies from `*_mask`.
    - tags: names of `order_tag_list` entries whose value is 1, plus `risk_control`
      (`risk_control_status` 1, under review: must not ship) and `pre_sale` (`is_pre_sale`).
    """
    number = order_number_of(payload)
    order_status = small_int(payload.get("order_status"), "order_status", number)
    refund_status = small_int(payload.get("refund_status"), "refund_status", number)
    confirm_status = small_int(payload.get("confirm_status"), "confirm_status", number, default=1)
    cancelled = confirm_status == CONFIRM_CANCELLED
    status = OrderStatus.CANCELLED if cancelled else ORDER_STATUS.get(order_status)
    try:
        return PlatformOrder(
            order_number=number,
            status=status or OrderStatus.UNKNOWN,
            refund_status=REFUND_STATUS.get(refund_status, RefundStatus.UNKNOWN),
            created_at=required_time(payload, "created_time", number),
            updated_at=required_time(payload, "updated_at", number),
            paid_at=beijing_time(payload.get("pay_time"), "pay_time", number),
            ship_by=beijing_time(payload.get("last_ship_time"), "last_ship_time", number),
            receiver=receiver_from_payload(payload),
            lines=lines_from_payload(payload, number),
            goods_fen=money(payload, "goods_amount", number, required=True),
            paid_fen=money(payload, "pay_amount", number, required=True),
            discount_fen=discount_fen(payload, number),
            postage_fen=money(payload, "postage", number, required=False),
            platform_status=status_text(order_status, refund_status, cancelled),
            buyer_memo=text(payload, "buyer_memo"),
            seller_remark=text(payload, "remark"),
            remark_flag=remark_flag(payload.get("remark_tag")),
            tags=tags_from_payload(payload),
            raw=payload,  # PlatformOrder keeps a read-only copy
        )
    except ValidationError as exc:
        if exc.details.get("order_number"):
            raise
        field = exc.details.get("field", "")
        raise ValidationError(
            f"Pinduoduo order {number}: {exc.message}", field=field, order_number=number
        ) from None


def discount_fen(payload: Mapping[str, Any], number: str) -> int:
    parts = ("platform_discount", "seller_discount", "capital_free_discount")
    if all(payload.get(name) is None for name in parts):
        return money(payload, "discount_amount", number, required=False)
    return sum(money(payload, name, number, required=False) for name in parts)


def status_text(order_status: int, refund_status: int, cancelled: bool) -> str:
    """The platform's status in its own words, for display ("待发货，退款中")."""
    main = "已取消" if cancelled else ORDER_STATUS_TEXT.get(order_status, f"状态{order_status}")
    if refund_status == 1:
        return main
    refund = REFUND_STATUS_TEXT.get(refund_status, f"售后{refund_status}")
    return f"{main}，{refund}"


def remark_flag(value: object) -> str:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return REMARK_COLOURS.get(value, "") if isinstance(value, int) else ""


def tags_from_payload(payload: Mapping[str, Any]) -> tuple[str, ...]:
    tags: list[str] = []
    entries = payload.get("order_tag_list") or []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and str(entry.get("value")) == "1" and entry.get("name"):
            tags.append(str(entry["name"]))
    if str(payload.get("risk_control_status")) == "1":
        tags.append(RISK_CONTROL_TAG)
    if str(payload.get("is_pre_sale")) == "1":
        tags.append(PRE_SALE_TAG)
    return tuple(dict.fromkeys(tags))


def receiver_from_payload(payload: Mapping[str, Any]) -> Contact:
    """Receiver as Pinduoduo sends it. Shipped or reviewed orders carry empty ciphertext
    fields; that is normal (the ciphertext is kept from when the order was 待发货)."""
    name, phone = text(payload, "receiver_name"), text(payload, "receiver_phone")
    address = text(payload, "receiver_address")
    return Contact(
        name=name,
        phone=phone,
        province=text(payload, "province"),
        city=text(payload, "city"),
        district=text(payload, "town"),
        address=address,
        encrypted=any(is_ciphertext(v) for v in (name, phone, address)),
        name_masked=text(payload, "receiver_name_mask"),
        phone_masked=text(payload, "receiver_phone_mask"),
        address_masked=text(payload, "receiver_address_mask"),
    )


def lines_from_payload(payload: Mapping[str, Any], number: str) -> tuple[PlatformOrderLine, ...]:
    lines = []
    for list_name, prefix in (("item_list", ""), ("gift_list", GIFT_PREFIX)):
        items = payload.get(list_name) or []
        if not isinstance(items, list):
            raise bad(number, list_name, f"is not a list: {type(items).__name__}")
        for index, item in enumerate(items):
            lines.append(line_from_payload(item, f"{list_name}[{index}]", number, prefix))
    return tuple(lines)


def line_from_payload(item: object, where: str, number: str, prefix: str) -> PlatformOrderLine:
    if not isinstance(item, Mapping):
        raise bad(number, where, f"is not an object: {item!r}")
    quantity = small_int(item.get("goods_count"), f"{where}.goods_count", number)
    if quantity <= 0:
        raise bad(number, f"{where}.goods_count", f"must be positive, got {quantity}")
    return PlatformOrderLine(
        sku_id=id_text(item.get("sku_id"), f"{where}.sku_id", number),
        title=prefix + text(item, "goods_name"),
        quantity=quantity,
        unit_price_fen=money(
            item, "goods_price", number, required=True, label=f"{where}.goods_price"
        ),
        goods_id=id_text(item.get("goods_id"), f"{where}.goods_id", number, required=False),
        outer_id=text(item, "outer_id"),
        spec=text(item, "goods_spec"),
    )


# ---------------------------------------------------------------------- small answers


def status_info_from_payload(item: Mapping[str, Any]) -> OrderStatusInfo:
    """One `order_status_list` entry (camelCase `orderSn`); 0 (异常) → UNKNOWN."""
    number = id_text(item.get("orderSn") or item.get("order_sn"), "orderSn", "?")
    order_status = small_int(item.get("order_status"), "order_status", number, default=0)
    refund_status = small_int(item.get("refund_status"), "refund_status", number, default=0)
    return OrderStatusInfo(
        order_number=number,
        status=ORDER_STATUS.get(order_status, OrderStatus.UNKNOWN),
        refund_status=REFUND_STATUS.get(refund_status, RefundStatus.UNKNOWN),
    )


def logistics_company_from_payload(item: Mapping[str, Any]) -> LogisticsCompany:
    """One `logistics_companies` entry; `available` 1 = the platform accepts it."""
    company_id = id_text(item.get("id"), "id", "-")
    return LogisticsCompany(
        id=company_id,
        code=text(item, "code"),
        name=text(item, "logistics_company"),
        available=str(item.get("available", 1)) == "1",
    )


def decrypted_from_payload(item: Mapping[str, Any]) -> DecryptedValue:
    """One `data_decrypt_list` entry; a non-zero per-item `error_code` becomes `error`."""
    code = item.get("error_code")
    failed = code not in (None, 0, "0")
    return DecryptedValue(
        tag=text(item, "data_tag"),
        ciphertext=text(item, "encrypted_data"),
        plaintext="" if failed else text(item, "decrypted_data"),
        error=f"{text(item, 'error_msg') or 'decrypt failed'} (error {code})" if failed else "",
    )


def decrypt_request(values: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """`data_list` for `pdd.open.decrypt.batch` from (tag, ciphertext) pairs."""
    return [{"data_tag": tag, "encrypted_data": ciphertext} for tag, ciphertext in values]
