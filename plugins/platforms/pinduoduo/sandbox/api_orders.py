"""Order APIs: incremental list, confirm-time list, detail, status, decrypt (§3, §4).

Windows are inclusive at both ends (the real gateway's boundary rule is undocumented;
a client using half-open windows then sees a boundary order twice, never zero times).
Lists are newest first by the window's time; orders 成交 more than 90 days ago are left
out, as the platform does.
"""

from __future__ import annotations

from typing import Any

from plugins.platforms.pinduoduo.sandbox.ciphers import mask_address, mask_name, mask_phone
from plugins.platforms.pinduoduo.sandbox.errors import ORDER_NOT_FOUND_TEXT, ApiError
from plugins.platforms.pinduoduo.sandbox.gateway import Call, Raw, RawList
from plugins.platforms.pinduoduo.sandbox.orders import SandboxOrder
from plugins.platforms.pinduoduo.sandbox.store import UnknownOrder

HISTORY_SECONDS = 90 * 86400
MAX_INCREMENT_SPAN = 30 * 60
MAX_CONFIRM_SPAN = 24 * 3600
MAX_BATCH = 100


def increment_get(call: Call) -> dict[str, Any]:
    """pdd.order.number.list.increment.get: full orders by update time, ≤ 30 min windows."""
    start, end = _window(call, "start_updated_at", "end_updated_at", MAX_INCREMENT_SPAN)
    body = _page(call, start, end, by="updated", list_key="order_sn_list")
    call.sandbox.move_during_paging(call.owner_id, start, end)
    return body


def list_get(call: Call) -> dict[str, Any]:
    """pdd.order.list.get: full orders by 成交 time, ≤ 24 h windows."""
    start, end = _window(call, "start_confirm_at", "end_confirm_at", MAX_CONFIRM_SPAN)
    return _page(call, start, end, by="confirm", list_key="order_list")


def _window(call: Call, start_name: str, end_name: str, span: int) -> tuple[int, int]:
    start = call.integer(start_name, low=0)
    end = call.integer(end_name, low=0)
    if start >= end:
        raise ApiError.param(f"{start_name} 必须小于 {end_name}")
    if end - start > span:
        raise ApiError.param(f"{end_name} 与 {start_name} 相差不能超过 {span // 60} 分钟")
    return start, end


def _page(call: Call, start: int, end: int, *, by: str, list_key: str) -> dict[str, Any]:
    order_status = call.integer("order_status")
    if order_status not in (1, 2, 3, 5):
        raise ApiError.param(f"order_status={order_status} 无效，取值 1/2/3/5")
    refund_status = call.integer("refund_status", low=1, high=5)
    lucky = call.integer("is_lucky_flag", 0 if by == "confirm" else None, low=0, high=2)
    trade_type = call.integer("trade_type", -1, low=0, high=1)  # -1: not given, all
    page = call.integer("page", 1, low=1)
    page_size = call.integer("page_size", 100, low=1, high=100)
    use_has_next = call.boolean("use_has_next")

    sandbox = call.sandbox
    view = sandbox.store.window(call.owner_id, start, end, by=by)
    cutoff = call.now - HISTORY_SECONDS
    offset = (page - 1) * page_size
    needs_filter = (order_status, refund_status, lucky, trade_type) != (5, 5, 0, -1)
    if needs_filter or sandbox.store.oldest_confirm(call.owner_id) < cutoff:
        orders = sandbox.store.orders
        keep = [
            sn
            for _, sn in reversed(view.keys())
            if _matches(orders[sn], order_status, refund_status, lucky, trade_type, cutoff)
        ]
        total, page_sns = len(keep), keep[offset : offset + page_size]
    else:
        total = len(view)
        page_sns = view.newest_first(offset, page_size) if offset < total else []
    cipher = sandbox.cipher
    body: dict[str, Any] = {} if use_has_next else {"total_count": total}
    body["has_next"] = offset + len(page_sns) < total
    body[list_key] = RawList(sandbox.store.orders[sn].render(cipher) for sn in page_sns)
    return body


def _matches(
    order: SandboxOrder,
    order_status: int,
    refund_status: int,
    lucky: int,
    trade_type: int,
    cutoff: int,
) -> bool:
    d = order.data
    return (
        (order_status == 5 or d["order_status"] == order_status)
        and (refund_status == 5 or d["refund_status"] == refund_status)
        and (lucky == 0 or d["is_lucky_flag"] == lucky)
        and (trade_type == -1 or d["trade_type"] == trade_type)
        and (order.confirm_ts if order.confirm_ts is not None else order.updated_ts) >= cutoff
    )


def information_get(call: Call) -> dict[str, Any]:
    """pdd.order.information.get: one order; another shop's or unknown → the FAQ text."""
    sn = call.text("order_sn")
    try:
        order = call.sandbox.store.get(sn, call.owner_id)
    except UnknownOrder:
        raise ApiError.order_not_found() from None
    return {"order_info": Raw(order.render(call.sandbox.cipher))}


def status_get(call: Call) -> dict[str, Any]:
    """pdd.order.status.get: `orderSn` (sic), order/refund status; 0/0 for unknown orders."""
    sns = [s.strip() for s in call.text("order_sns").split(",") if s.strip()]
    if len(sns) > MAX_BATCH:
        raise ApiError.param(f"order_sns 最多 {MAX_BATCH} 个，收到 {len(sns)} 个")
    out = []
    for sn in sns:
        order = call.sandbox.store.orders.get(sn)
        mine = order is not None and order.owner_id == call.owner_id
        out.append(
            {
                "orderSn": sn,
                "order_status": order.order_status if mine else 0,
                "refund_status": order.refund_status if mine else 0,
            }
        )
    return {"order_status_list": out}


def decrypt_batch(call: Call) -> dict[str, Any]:
    """pdd.open.decrypt.batch: clear text per item, with a per-item error code."""
    return {"data_decrypt_list": _decrypt(call, masked=False)}


def decrypt_mask_batch(call: Call) -> dict[str, Any]:
    """pdd.open.decrypt.mask.batch: the masked clear text."""
    return {"data_decrypt_list": _decrypt(call, masked=True)}


def _decrypt(call: Call, *, masked: bool) -> list[dict[str, Any]]:
    items = call.json_value("data_list")
    if not isinstance(items, list) or not items:
        raise ApiError.param("data_list 必须是非空数组")
    if len(items) > MAX_BATCH:
        raise ApiError.param(f"data_list 最多 {MAX_BATCH} 条，收到 {len(items)} 条")
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("data_tag") or not item.get("encrypted_data"):
            raise ApiError.param(f"data_list[{n}] 需要 data_tag 和 encrypted_data")
        out.append(_decrypt_one(call, str(item["data_tag"]), str(item["encrypted_data"]), masked))
    return out


def _decrypt_one(call: Call, tag: str, encrypted: str, masked: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"data_tag": tag, "encrypted_data": encrypted}
    order = call.sandbox.store.orders.get(tag)
    if order is None or order.owner_id != call.owner_id:
        return {
            **result,
            "decrypted_data": "",
            "data_type": 0,
            "error_code": 1001,
            "error_msg": ORDER_NOT_FOUND_TEXT,
        }
    try:
        plain = call.sandbox.cipher.decrypt(encrypted)
    except ValueError:
        return {
            **result,
            "decrypted_data": "",
            "data_type": 0,
            "error_code": 1002,
            "error_msg": "密文格式错误或不属于该订单",
        }
    name, phone, detail = order.pii
    kinds = {
        name: (5, mask_name),
        phone: (6, mask_phone),
        order.full_address(): (7, mask_address),
        detail: (8, mask_address),
    }
    if plain not in kinds:
        return {
            **result,
            "decrypted_data": "",
            "data_type": 0,
            "error_code": 1002,
            "error_msg": "密文格式错误或不属于该订单",
        }
    data_type, mask = kinds[plain]
    result.update(
        decrypted_data=mask(plain) if masked else plain,
        data_type=data_type,
        error_code=0,
        error_msg="",
    )
    if not masked:
        result.update(virtual_number_type=0, virtual_identify_number="")
    return result
