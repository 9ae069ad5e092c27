"""Pure mapping: Pinduoduo payloads ↔ core's boundary types. No I/O, no clock.

Pinduoduo sends times as Beijing-time text, money as JSON numbers in yuan, ids as strings
or numbers depending on the API version, and buyer name/phone/address as ciphertext
(pinduoduo.md §3.4, §4). Everything here turns that into aware UTC, integer fen, strings
and `Contact(encrypted=True)`, and refuses a payload it cannot read with a
`ValidationError` that names the order number and the field, so one bad order is reported
precisely instead of breaking a page silently.

Single values are read by `scalars` (money through `core.money.yuan_to_fen` only).

Speed: a sync maps every order it reads, so `order_from_payload` reads the usual shapes
(the gateway's JSON types, times as `2024-06-01 12:30:05`) through fast paths and hands
anything else to the checked readers (`beijing_time`, `money`, `line_from_payload` …),
which give the same value or raise the same error: the fast paths change the cost, never
a result (tests compare both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.contracts import (
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.errors import ValidationError
from plugins.platforms.pinduoduo.scalars import (
    bad,
    beijing_time,
    fast_fen,
    fast_id,
    fast_text,
    fast_time,
    id_text,
    is_ciphertext,
    money,
    required_time,
    small_int,
    text,
)

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
#: Order fields that hold buyer personal data or payment secrets, which the platform sends
#: only as ciphertext (empty once the order has shipped): the receiver fields and
#: `contact_mobile` of pinduoduo.md §3.4, the other fields §3.4 lists as encrypted (pay and
#: customs declaration numbers, merge-shipment address keys), and the ID-card name and
#: number (decrypt data types 10/11 in §4; the export's 身份证姓名/身份证号码 columns, §9),
#: whose order-field names our notes do not give: `id_card_name`/`id_card_num` are checked
#: in case the gateway sends them. Anything else in one of these fields is clear text.
PERSONAL_FIELDS = (
    "receiver_name",
    "receiver_phone",
    "receiver_address",
    "address",
    "contact_mobile",
    "id_card_name",
    "id_card_num",
    "pay_no",
    "inner_transaction_id",
    "open_address_id",
    "open_address_id_2",
)
#: The same inside list entries: virtual goods' card numbers and secrets (§3.4).
PERSONAL_LIST_FIELDS = (("card_info_list", ("card_no", "mask_password")),)


# ---------------------------------------------------------------------- orders


def order_number_of(payload: object) -> str:
    """The order number of an order object, or a ValidationError saying it has none."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
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
    - raw: the payload; `raw_personal` is False when its `PERSONAL_FIELDS` hold only
      ciphertext or nothing (see `has_personal_data`).

    Fields are read in the order of `PlatformOrder`'s, so a payload with several bad
    fields is always refused for the same (first) one.
    """
    number = order_number_of(payload)
    get = payload.get
    order_status = get("order_status")
    if type(order_status) is not int:
        order_status = small_int(order_status, "order_status", number)
    refund_status = get("refund_status")
    if type(refund_status) is not int:
        refund_status = small_int(refund_status, "refund_status", number)
    confirm_status = get("confirm_status")
    if type(confirm_status) is not int:
        confirm_status = small_int(confirm_status, "confirm_status", number, default=1)
    cancelled = confirm_status == CONFIRM_CANCELLED
    status = OrderStatus.CANCELLED if cancelled else ORDER_STATUS.get(order_status)
    try:
        created = fast_time(get("created_time")) or required_time(payload, "created_time", number)
        updated = fast_time(get("updated_at")) or required_time(payload, "updated_at", number)
        value = get("pay_time")
        paid_at = fast_time(value) or beijing_time(value, "pay_time", number)
        value = get("last_ship_time")
        ship_by = fast_time(value) or beijing_time(value, "last_ship_time", number)
        receiver = receiver_from_payload(payload)
        lines = lines_from_payload(payload, number)
        goods = fast_fen(get("goods_amount"))
        if goods is None:
            goods = money(payload, "goods_amount", number, required=True)
        paid = fast_fen(get("pay_amount"))
        if paid is None:
            paid = money(payload, "pay_amount", number, required=True)
        discount = discount_fen(payload, number)
        postage = fast_fen(get("postage"))
        if postage is None:
            postage = money(payload, "postage", number, required=False)
        flag = get("remark_tag")
        return PlatformOrder(
            order_number=number,
            status=status or OrderStatus.UNKNOWN,
            refund_status=REFUND_STATUS.get(refund_status, RefundStatus.UNKNOWN),
            created_at=created,
            updated_at=updated,
            paid_at=paid_at,
            ship_by=ship_by,
            receiver=receiver,
            lines=lines,
            goods_fen=goods,
            paid_fen=paid,
            discount_fen=discount,
            postage_fen=postage,
            platform_status=status_text(order_status, refund_status, cancelled),
            buyer_memo=fast_text(get("buyer_memo")),
            seller_remark=fast_text(get("remark")),
            remark_flag="" if flag is None else remark_flag(flag),
            tags=tags_from_payload(payload),
            raw=payload,  # PlatformOrder keeps a read-only copy
            raw_personal=has_personal_data(payload),
        )
    except ValidationError as exc:
        if exc.details.get("order_number"):
            raise
        field = exc.details.get("field", "")
        raise ValidationError(
            f"Pinduoduo order {number}: {exc.message}", field=field, order_number=number
        ) from None


def has_personal_data(payload: Mapping[str, Any]) -> bool:
    """Whether the payload holds buyer personal data in clear: a `PERSONAL_FIELDS` (or
    `PERSONAL_LIST_FIELDS`) value that is neither empty (None or "") nor platform
    ciphertext. A value of an unexpected shape counts as clear: the safe side."""
    get = payload.get
    for value in map(get, PERSONAL_FIELDS):  # `_in_clear`, inline: 11 fields an order
        if value is None or (
            isinstance(value, str)
            and (value == "" or (len(value) > 2 and value[0] in "~$" and value[-1] == value[0]))
        ):
            continue
        return True
    for list_name, names in PERSONAL_LIST_FIELDS:
        entries = get(list_name)
        if not entries:
            continue
        if not isinstance(entries, list):
            return True
        for entry in entries:
            if isinstance(entry, Mapping):
                if any(_in_clear(entry.get(name)) for name in names):
                    return True
            elif _in_clear(entry):
                return True
    return False


def _in_clear(value: object) -> bool:
    """Neither empty (None or "") nor ciphertext (`is_ciphertext`)."""
    if value is None:
        return False
    if isinstance(value, str):
        return not (value == "" or (len(value) > 2 and value[0] in "~$" and value[-1] == value[0]))
    return True


def discount_fen(payload: Mapping[str, Any], number: str) -> int:
    parts = ("platform_discount", "seller_discount", "capital_free_discount")
    get = payload.get
    platform = fast_fen(get("platform_discount"))
    seller = fast_fen(get("seller_discount"))
    capital_free = fast_fen(get("capital_free_discount"))
    if platform is not None and seller is not None and capital_free is not None:
        return platform + seller + capital_free
    if all(get(name) is None for name in parts):
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
    if type(value) is int:
        return REMARK_COLOURS.get(value, "")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return REMARK_COLOURS.get(value, "") if isinstance(value, int) else ""


def tags_from_payload(payload: Mapping[str, Any]) -> tuple[str, ...]:
    tags: list[str] = []
    entries = payload.get("order_tag_list") or []
    for entry in entries if isinstance(entries, list) else []:
        if type(entry) is dict or isinstance(entry, Mapping):
            value = entry.get("value")  # `_is_one`, inline: 5–10 entries an order
            if (value == 1 if type(value) is int else str(value) == "1") and entry.get("name"):
                tags.append(str(entry["name"]))
    if _is_one(payload.get("risk_control_status")):
        tags.append(RISK_CONTROL_TAG)
    if _is_one(payload.get("is_pre_sale")):
        tags.append(PRE_SALE_TAG)
    return tuple(dict.fromkeys(tags)) if tags else ()


def _is_one(value: object) -> bool:
    """`str(value) == "1"`, the flag test, without making text of every integer flag."""
    return value == 1 if type(value) is int else str(value) == "1"


#: Payload fields of the receiver, in the order `receiver_from_payload` unpacks them.
RECEIVER_KEYS = (
    "receiver_name",
    "receiver_phone",
    "receiver_address",
    "province",
    "city",
    "town",
    "receiver_name_mask",
    "receiver_phone_mask",
    "receiver_address_mask",
)


def receiver_from_payload(payload: Mapping[str, Any]) -> Contact:
    """Receiver as Pinduoduo sends it. Shipped or reviewed orders carry empty ciphertext
    fields; that is normal (the ciphertext is kept from when the order was 待发货)."""
    name, phone, address, province, city, district, name_masked, phone_masked, address_masked = [
        "" if value is None else str(value) for value in map(payload.get, RECEIVER_KEYS)
    ]
    return Contact(
        name,
        phone,
        province,
        city,
        district,
        address,
        encrypted=is_ciphertext(name) or is_ciphertext(phone) or is_ciphertext(address),
        name_masked=name_masked,
        phone_masked=phone_masked,
        address_masked=address_masked,
    )


def lines_from_payload(payload: Mapping[str, Any], number: str) -> tuple[PlatformOrderLine, ...]:
    lines = []
    for list_name, prefix in (("item_list", ""), ("gift_list", GIFT_PREFIX)):
        items = payload.get(list_name)
        if not items:  # absent, null or [] (the usual gift_list)
            continue
        if not isinstance(items, list):
            raise bad(number, list_name, f"is not a list: {type(items).__name__}")
        for index, item in enumerate(items):
            line = _fast_line(item, prefix) if type(item) is dict else None
            if line is None:
                line = line_from_payload(item, f"{list_name}[{index}]", number, prefix)
            lines.append(line)
    return tuple(lines)


#: Lines already built, by the values they were built from: a shop sells the same SKUs at
#: the same prices over and over, and a `PlatformOrderLine` is immutable, so orders may
#: share one (≈ 4 µs a line saved). Only exact JSON types go into a key (ids str or int,
#: texts str or None, numbers int or float), so equal keys mean equal inputs: no `True`
#: standing in for `1`, no `1` for `1.0` where that changes the line.
_LINES: dict[tuple[object, ...], PlatformOrderLine] = {}
_LINE_CACHE_SIZE = 4096  # cleared when full
_NUMBER_TYPES = frozenset({int, float})
_ID_TYPES = frozenset({str, int, type(None)})
_TEXT_TYPES = frozenset({str, type(None)})


def _fast_line(item: dict[str, Any], prefix: str) -> PlatformOrderLine | None:
    """`line_from_payload` of a line of the usual JSON types, or None (then that decides)."""
    get = item.get
    quantity, price = get("goods_count"), get("goods_price")
    if type(quantity) is not int or quantity <= 0:
        return None
    sku, goods = get("sku_id"), get("goods_id")
    title, outer_id, spec = get("goods_name"), get("outer_id"), get("goods_spec")
    key = None
    if (
        type(price) in _NUMBER_TYPES
        and type(sku) in _ID_TYPES
        and type(goods) in _ID_TYPES
        and type(title) in _TEXT_TYPES
        and type(outer_id) in _TEXT_TYPES
        and type(spec) in _TEXT_TYPES
    ):
        key = (prefix, quantity, price, sku, goods, title, outer_id, spec)
        line = _LINES.get(key)
        if line is not None:
            return line
    fen, sku_id = fast_fen(price), fast_id(sku)
    goods_id = "" if goods is None else fast_id(goods)
    if fen is None or not sku_id or goods_id is None:
        return None
    line = PlatformOrderLine(
        sku_id,  # sku_id, title, quantity, unit_price_fen
        prefix if title is None else prefix + str(title),
        quantity,
        fen,
        goods_id=goods_id,
        outer_id="" if outer_id is None else str(outer_id),
        spec="" if spec is None else str(spec),
    )
    if key is not None:
        if len(_LINES) >= _LINE_CACHE_SIZE:
            _LINES.clear()
        _LINES[key] = line
    return line


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
