"""The column mapping a merchant writes for the `mapped` import format, checked up front.

A mapping file (TOML or JSON) says which header holds which order field, fixed values for
fields the file lacks, how times and statuses are written, and whether a row is an order
or one goods line of an order. Every mistake is reported with the key that holds it,
before a single row is read. Example (TOML)::

    lines = "order"              # one row per order; "line": rows of one order follow each other

    [columns]                    # field = "header in your file"
    order_number = "订单编号"
    quantity = "数量"
    unit_price = "单价"           # yuan per piece (or goods_amount = order goods total)
    paid_amount = "实付金额"
    title = "商品名称"
    receiver_name = "收货人"
    receiver_phone = "手机号"
    province = "省"
    city = "市"
    district = "区"
    address = "详细地址"
    status = "订单状态"
    paid_at = "付款时间"

    [constants]                  # the same value on every row
    refund_status = "none"

    [times]
    format = "%Y/%m/%d %H:%M"    # strptime; "unix"/"unix_ms"; default yyyy-MM-dd HH:mm:ss
    timezone = "Asia/Shanghai"

    [status_values]              # file text → awaiting_shipment|shipped|delivered|cancelled
    "未发货" = "awaiting_shipment"

    [refund_values]              # file text → none|in_progress|refunded
    "退款中" = "in_progress"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.contracts import OrderStatus, RefundStatus
from core.errors import ValidationError

ORDER_FIELDS = (
    "order_number",
    "status",
    "refund_status",
    "created_at",
    "paid_at",
    "updated_at",
    "ship_by",
    "goods_amount",
    "paid_amount",
    "discount",
    "postage",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "buyer_memo",
    "seller_remark",
    "remark_flag",
)
LINE_FIELDS = ("quantity", "unit_price", "title", "sku_id", "goods_id", "outer_id", "spec")
FIELDS = (*ORDER_FIELDS, *LINE_FIELDS)
MONEY_FIELDS = ("goods_amount", "paid_amount", "discount", "postage", "unit_price")
TIME_FIELDS = ("created_at", "paid_at", "updated_at", "ship_by")
SECTIONS = (
    "name",
    "lines",
    "columns",
    "constants",
    "times",
    "status_values",
    "refund_values",
    "money",
)
FLAG_COLOURS = ("red", "yellow", "green", "blue", "purple")

#: Status words understood without a mapping entry (enum values and common Chinese).
DEFAULT_STATUS: Mapping[str, OrderStatus] = MappingProxyType(
    {
        **{s.value: s for s in OrderStatus if s is not OrderStatus.UNKNOWN},
        "待发货": OrderStatus.AWAITING_SHIPMENT,
        "已发货": OrderStatus.SHIPPED,
        "已签收": OrderStatus.DELIVERED,
        "已取消": OrderStatus.CANCELLED,
    }
)
DEFAULT_REFUND: Mapping[str, RefundStatus] = MappingProxyType(
    {
        **{s.value: s for s in RefundStatus if s is not RefundStatus.UNKNOWN},
        "": RefundStatus.NONE,
        "无": RefundStatus.NONE,
        "无售后": RefundStatus.NONE,
        "退款中": RefundStatus.IN_PROGRESS,
        "退款成功": RefundStatus.REFUNDED,
    }
)


@dataclass(frozen=True)
class MappingSpec:
    """A checked mapping: `columns` field → header, `constants` field → text."""

    columns: Mapping[str, str]
    constants: Mapping[str, str]
    per_line: bool
    time_format: str
    zone: ZoneInfo
    status_values: Mapping[str, OrderStatus]
    refund_values: Mapping[str, RefundStatus]
    fen: bool  # money written in fen instead of yuan

    def source(self, field: str) -> str:
        """Where a field comes from, for messages: the header, or "constant"."""
        return self.columns.get(field, "constant" if field in self.constants else "")


def spec_from(data: object) -> MappingSpec:
    """Check a loaded mapping file; raises `ValidationError` naming the bad key."""
    if not isinstance(data, Mapping):
        raise _bad("mapping", "must be a table of sections (columns, constants, …)")
    _only(data, SECTIONS, "mapping")
    columns = _texts(data.get("columns", {}), "columns", FIELDS)
    constants = _texts(data.get("constants", {}), "constants", FIELDS)
    both = sorted(set(columns) & set(constants))
    if both:
        raise _bad(f"constants.{both[0]}", "is also mapped to a column; keep one of the two")
    given = set(columns) | set(constants)
    if "order_number" not in columns:
        raise _bad("columns.order_number", "is required: the header that holds the order number")
    for need, why in (
        (("status",), "say which column holds the order status, or set constants.status"),
        (("quantity",), "map quantity to a column, or set constants.quantity"),
        (("unit_price", "goods_amount"), "map unit_price or goods_amount"),
        (("created_at", "paid_at"), "map created_at or paid_at (the order's time)"),
    ):
        if not given.intersection(need):
            raise _bad(f"columns.{need[0]}", f"is missing: {why}")
    for name in TIME_FIELDS:
        if name in constants:
            raise _bad(f"constants.{name}", "times cannot be constants: map them to a column")
    lines = data.get("lines", "order")
    if lines not in ("order", "line"):
        raise _bad("lines", f'must be "order" or "line", not {lines!r}')
    if lines == "line" and "unit_price" not in given:
        raise _bad("columns.unit_price", 'is needed with lines = "line" (each row is one line)')
    times = data.get("times", {})
    if not isinstance(times, Mapping):
        raise _bad("times", "must be a table with format and timezone")
    _only(times, ("format", "timezone"), "times")
    money = data.get("money", {})
    if not isinstance(money, Mapping):
        raise _bad("money", 'must be a table, e.g. unit = "yuan"')
    _only(money, ("unit",), "money")
    if money.get("unit", "yuan") not in ("yuan", "fen"):
        raise _bad("money.unit", f'must be "yuan" or "fen", not {money.get("unit")!r}')
    spec = MappingSpec(
        columns=MappingProxyType(columns),
        constants=MappingProxyType(constants),
        per_line=lines == "line",
        time_format=_text(times.get("format", ""), "times.format"),
        zone=_zone(times.get("timezone", "Asia/Shanghai")),
        status_values=_values(data, "status_values", OrderStatus, DEFAULT_STATUS),
        refund_values=_values(data, "refund_values", RefundStatus, DEFAULT_REFUND),
        fen=money.get("unit") == "fen",
    )
    for name in ("status", "refund_status"):
        if name in constants:
            table = spec.status_values if name == "status" else spec.refund_values
            if _word(constants[name]) not in table:
                raise _bad(f"constants.{name}", f"{constants[name]!r} is not a known value")
    return spec


def _bad(key: str, problem: str) -> ValidationError:
    return ValidationError(f"column mapping: {key} {problem}", field=key)


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise _bad(f"{where}.{unknown[0]}", f"is not a known key (known: {', '.join(allowed)})")


def _text(value: object, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(key, f"must be text, not {type(value).__name__}")
    return str(value)


def _texts(table: object, where: str, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(table, Mapping):
        raise _bad(where, "must be a table of field = value")
    _only(table, allowed, where)
    out = {name: _text(value, f"{where}.{name}").strip() for name, value in table.items()}
    empty = [name for name, value in out.items() if where == "columns" and not value]
    if empty:
        raise _bad(f"{where}.{empty[0]}", "names no header")
    return out


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(_text(name, "times.timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad("times.timezone", f"{name!r} is not a time zone (e.g. Asia/Shanghai)") from None


def _word(text: str) -> str:
    """Status words are compared without spaces and case."""
    return "".join(text.split()).lower()


def _values(data: Mapping[str, Any], key: str, enum: type, defaults: Mapping[str, Any]) -> Mapping:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise _bad(key, "must be a table of file text = value")
    out = {_word(k): v for k, v in defaults.items()}
    allowed = [m.value for m in enum if m.value != "unknown"]
    for text, value in table.items():
        if value not in allowed:
            raise _bad(f"{key}.{text}", f"must be one of {', '.join(allowed)}, not {value!r}")
        out[_word(str(text))] = enum(value)
    return MappingProxyType(out)


word = _word
