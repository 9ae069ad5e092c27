"""Pure mapping of Pinduoduo's small answers (order status checks, logistics companies,
decrypted values) to core's boundary types; orders themselves are `mapping`'s job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.contracts import (
    DecryptedValue,
    LogisticsCompany,
    OrderStatus,
    OrderStatusInfo,
    RefundStatus,
)
from plugins.platforms.pinduoduo.mapping import ORDER_STATUS, REFUND_STATUS
from plugins.platforms.pinduoduo.scalars import id_text, small_int, text


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
