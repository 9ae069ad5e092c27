"""Platform time, the token APIs and logistics (pinduoduo.md §2, §3, §5).

Shipment rules of `pdd.logistics.online.send`, as merchants meet them: a first shipment
(redelivery_type 1) only for a 待发货 order that is 成交, not under review, not on hold and
has no after-sale in progress or completed; the tracking number must have the carrier's
shape. Repeating a shipment that already happened with the same carrier and number
succeeds (so a client may retry a lost answer); a different number needs
redelivery_type 2, which only a shipped, not yet received order accepts.
"""

from __future__ import annotations

from typing import Any

from plugins.platforms.pinduoduo.sandbox import orders as lc
from plugins.platforms.pinduoduo.sandbox.clock import beijing_text
from plugins.platforms.pinduoduo.sandbox.data_logistics import (
    CARRIERS_BY_ID,
    LOGISTICS_COMPANIES,
    TRACKING_PATTERNS,
)
from plugins.platforms.pinduoduo.sandbox.errors import ApiError
from plugins.platforms.pinduoduo.sandbox.gateway import Call
from plugins.platforms.pinduoduo.sandbox.store import UnknownOrder


def time_get(call: Call) -> dict[str, Any]:
    return {"time": beijing_text(call.now)}


def token_create(call: Call) -> dict[str, Any]:
    auth = call.sandbox.auth
    token = auth.exchange(call.text("code"), call.now)
    return auth.grant_body(token, call.sandbox.shop(token.owner_id).owner_name, call.now)


def token_refresh(call: Call) -> dict[str, Any]:
    auth = call.sandbox.auth
    token = auth.refresh(call.text("refresh_token"), call.now)
    return auth.grant_body(token, call.sandbox.shop(token.owner_id).owner_name, call.now)


def companies_get(call: Call) -> dict[str, Any]:
    return {
        "logistics_companies": [
            {"id": c.id, "logistics_company": c.name, "code": c.code, "available": c.available}
            for c in LOGISTICS_COMPANIES
        ]
    }


def online_send(call: Call) -> dict[str, Any]:
    """Counted per order (`Sandbox.send_counts`): applied, repeat or refused."""
    sn = call.params.get("order_sn", "")
    try:
        body, outcome = _online_send(call)
    except ApiError:
        call.sandbox.count_send(sn, "refused")
        raise
    call.sandbox.count_send(sn, outcome)
    return body


def _online_send(call: Call) -> tuple[dict[str, Any], str]:
    sn = call.text("order_sn")
    logistics_id = call.integer("logistics_id", low=1)
    number = call.text("tracking_number").strip()
    redelivery = call.integer("redelivery_type", 1, low=1, high=2)
    carrier = CARRIERS_BY_ID.get(logistics_id)
    if carrier is None:
        raise ApiError.param(
            f"logistics_id={logistics_id} 不存在，请以 pdd.logistics.companies.get 为准"
        )
    if not carrier.available:
        raise ApiError.business(f"{carrier.name}暂不支持发货", sub_code="logistics_unavailable")
    pattern = TRACKING_PATTERNS.get(carrier.code)
    if pattern is not None and not pattern.fullmatch(number):
        raise ApiError.business(
            f"运单号 {number} 不符合{carrier.name}的单号规则", sub_code="tracking_number_invalid"
        )
    try:
        order = call.sandbox.store.get(sn, call.owner_id)
    except UnknownOrder:
        raise ApiError.order_not_found() from None
    d = order.data
    same = d["logistics_id"] == logistics_id and d["tracking_number"] == number
    if redelivery == 1 and order.order_status != lc.AWAITING_SHIPMENT:
        if same:
            return {"is_success": True}, "repeat"  # a repeat of the shipment that happened
        raise ApiError.business(
            "订单已发货，修改物流信息请使用 redelivery_type=2", sub_code="order_already_shipped"
        )
    if redelivery == 1:
        _check_shippable(order)
    elif order.order_status != lc.SHIPPED:
        state = "未发货" if order.order_status == lc.AWAITING_SHIPMENT else "已签收"
        raise ApiError.business(f"订单{state}，不能修改发货信息", sub_code="redelivery_refused")
    elif same:
        return {"is_success": True}, "repeat"
    at = call.now

    def change(o: lc.SandboxOrder) -> None:
        shipped_at = o.data["shipping_time"]
        lc.ship(o, carrier, number, at)
        if redelivery == 2:  # a corrected tracking number keeps the original shipping time
            o.data["shipping_time"] = shipped_at

    call.sandbox.mutate(sn, at, change)
    return {"is_success": True}, "applied"


def _check_shippable(order: lc.SandboxOrder) -> None:
    d = order.data
    refusals = (
        (d["confirm_status"] != 1, "订单未成团，不能发货", "order_not_confirmed"),
        (order.refund_status == lc.REFUNDED, "订单已退款成功，不能发货", "order_refunded"),
        (
            order.refund_status != lc.NO_REFUND,
            "订单售后处理中（退款中），不能发货",
            "order_in_after_sale",
        ),
        (d["risk_control_status"] == 1, "订单审核中，暂不能发货", "order_under_review"),
        (lc.wants_ship_hold(order), "订单已被暂停发货", "order_ship_hold"),
    )
    for refused, why, sub_code in refusals:
        if refused:
            raise ApiError.business(why, sub_code=sub_code)
