"""Pinduoduo's export words for order and after-sale status (pinduoduo.md §9), mapped onto
core's statuses. Unknown words are errors, never guesses: a guessed "no after-sale" could
let a refunding order be printed and shipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from core.contracts import OrderStatus, RefundStatus

A, S, D, C = (
    OrderStatus.AWAITING_SHIPMENT,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
)
#: 订单状态 words (no spaces or commas) → status; refund words may follow (`未发货，退款成功`).
STATUS_WORDS: Mapping[str, OrderStatus] = MappingProxyType(
    {
        "待发货": A,
        "未发货": A,
        "已发货待签收": S,
        "已发货": S,
        "待签收": S,
        "已签收": D,
        "已收货": D,
        "交易成功": D,
        "已取消": C,
        "交易已取消": C,
        "交易取消": C,
        "订单已取消": C,
        "已关闭": C,
        "交易关闭": C,
    }
)
NO_AFTER_SALE = frozenset(
    {
        "",
        "无售后或售后取消",
        "无售后或售后关闭",
        "无售后",
        "售后取消",
        "售后关闭",
        "售后已关闭",
        "退款关闭",
        "退款取消",
        "退款失败",
    }
)
REFUNDED_WORDS = frozenset({"退款成功", "已退款", "退款完成"})
IN_PROGRESS_MARKS = ("中", "待", "申请")
CANONICAL_STATUS = MappingProxyType({A: "待发货", S: "已发货待签收", D: "已签收", C: "已取消"})
CANONICAL_REFUND = MappingProxyType(
    {RefundStatus.IN_PROGRESS: "售后处理中", RefundStatus.REFUNDED: "退款成功"}
)
#: Order of progress, for the update time's tie-break and for combining two refund sources.
STATUS_RANK = MappingProxyType({A: 0, OrderStatus.UNKNOWN: 0, S: 1, D: 2, C: 3})
REFUND_RANK = MappingProxyType(
    {
        RefundStatus.NONE: 0,
        RefundStatus.UNKNOWN: 0,
        RefundStatus.IN_PROGRESS: 1,
        RefundStatus.REFUNDED: 2,
    }
)
_SEPARATORS = re.compile(r"[，,、;；/]")


@lru_cache(maxsize=512)  # a handful of distinct texts repeat over every row
def status_from_text(text: str) -> tuple[OrderStatus, RefundStatus]:
    """`已发货，待签收` → shipped; `未发货，退款成功` → awaiting shipment + refunded."""
    parts = [p for p in _SEPARATORS.split("".join(text.split())) if p]
    for cut in range(len(parts), 0, -1):
        status = STATUS_WORDS.get("".join(parts[:cut]))
        if status is not None:
            return status, refund_from_text("".join(parts[cut:]))
    known = "、".join(STATUS_WORDS)
    raise ValueError(
        f"订单状态 {text.strip()!r} is not a status we know ({known})"
        if text.strip()
        else "订单状态 is empty"
    )


@lru_cache(maxsize=512)
def refund_from_text(text: str) -> RefundStatus:
    """售后状态 words → refund status; unknown words are an error, never a guess that
    could let a refunding order be printed."""
    compact = "".join(text.split())
    if compact in NO_AFTER_SALE:
        return RefundStatus.NONE
    if compact in REFUNDED_WORDS or "退款成功" in compact:
        return RefundStatus.REFUNDED
    if any(mark in compact for mark in IN_PROGRESS_MARKS):
        return RefundStatus.IN_PROGRESS
    raise ValueError(
        f"售后状态 {text.strip()!r} is not an after-sale state we know "
        "(无售后或售后取消, 售后处理中, 退款中, 退款成功 …)"
    )


def platform_status_text(status: OrderStatus, refund: RefundStatus) -> str:
    """The status as the API mapping words it (`已发货待签收，退款成功`), ≤ 20 characters."""
    main = CANONICAL_STATUS.get(status, "异常")
    extra = CANONICAL_REFUND.get(refund)
    return f"{main}，{extra}" if extra else main


class RowStatus(NamedTuple):
    """What a row's 订单状态 and 售后状态 texts say together, or why they do not."""

    status: OrderStatus | None
    refund: RefundStatus | None  # the further along of the two columns' refund states
    status_error: str  # "" or the message for 订单状态
    after_sale_error: str  # "" or the message for 售后状态
    platform_status: str  # `platform_status_text` of the pair
    progress: timedelta  # the update time's tie-break: further along is later


@lru_cache(maxsize=1024)  # the pair repeats over every row: one lookup instead of five steps
def row_status(status_text: str, after_sale_text: str) -> RowStatus:
    """Both status columns of an export row at once (see `status_from_text`,
    `refund_from_text`): the same answers and the same error messages."""
    status = refund = None
    status_error = after_sale_error = ""
    try:
        status, refund = status_from_text(status_text)
    except ValueError as exc:
        status_error = str(exc)
    try:
        after_sale = refund_from_text(after_sale_text)
        if refund is not None:
            refund = max(refund, after_sale, key=REFUND_RANK.__getitem__)
    except ValueError as exc:
        after_sale_error = str(exc)
    if status is None or refund is None:
        return RowStatus(status, refund, status_error, after_sale_error, "", timedelta())
    progress = timedelta(microseconds=STATUS_RANK[status] * 10 + REFUND_RANK[refund])
    text = platform_status_text(status, refund)
    return RowStatus(status, refund, status_error, after_sale_error, text, progress)
