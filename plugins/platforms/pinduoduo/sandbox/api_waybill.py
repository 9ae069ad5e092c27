"""E-waybill and cloud-print template APIs (pinduoduo.md §6).

`pdd.waybill.get` checks the whole request before issuing anything (all or nothing): the
carrier is subscribed, the sender address is one of its branches' shipping addresses,
≤ 10 `trade_order_info_dtos`, each with an object_id, orders of this shop (PDD channel),
items, a standard template URL of that carrier and a user_id. The print data is sealed
with the sandbox's key, so a print-component double can open it (`Cipher.open_print_data`).
Beside it each module carries the waybill's `routing_info` in clear (大头笔, 三段码, 集包地
name and code, the issuing branch), the same routing the sealed print data holds, so a
hub that renders its own labels can fill their sort area.
"""

from __future__ import annotations

import hashlib
from typing import Any

from plugins.platforms.pinduoduo.sandbox.ciphers import is_ciphertext
from plugins.platforms.pinduoduo.sandbox.clock import beijing_text
from plugins.platforms.pinduoduo.sandbox.data_logistics import (
    CARRIERS_BY_CODE,
    WAYBILL_CARRIERS,
    standard_templates,
)
from plugins.platforms.pinduoduo.sandbox.errors import ApiError
from plugins.platforms.pinduoduo.sandbox.gateway import Call
from plugins.platforms.pinduoduo.sandbox.waybill import Branch, Waybill

MAX_DTOS = 10
MAX_ORDERS = MAX_ITEMS = 100
ADDRESS_KEYS = ("province", "city", "district", "detail")


def search(call: Call) -> dict[str, Any]:
    wp_code = call.text("wp_code", required=False)
    accounts = call.sandbox.waybills.subscriptions.get(call.owner_id, {})
    cols = [
        {"wp_code": code, "wp_type": 1, "branch_account_cols": [b.wire() for b in branches]}
        for code, branches in accounts.items()
        if not wp_code or code == wp_code
    ]
    return {"waybill_apply_subscription_cols": cols}


def stdtemplates_get(call: Call) -> dict[str, Any]:
    wp_code = call.text("wp_code", required=False)
    if wp_code and wp_code not in CARRIERS_BY_CODE:
        raise ApiError.param(f"wp_code={wp_code} 不存在")
    datas = [
        {
            "wp_code": code,
            "standard_templates": [
                {
                    "standard_template_id": t.id,
                    "standard_template_name": t.name,
                    "standard_template_url": t.url,
                    "standard_waybill_type": t.waybill_type,
                }
                for t in standard_templates(code)
            ],
        }
        for code in WAYBILL_CARRIERS
        if not wp_code or code == wp_code
    ]
    return {"result": {"datas": datas}}


def get(call: Call) -> dict[str, Any]:
    request = call.json_value("param_waybill_cloud_print_apply_new_request")
    if not isinstance(request, dict):
        raise ApiError.param("param_waybill_cloud_print_apply_new_request 必须是JSON对象")
    book = call.sandbox.waybills
    wp_code = str(request.get("wp_code") or "")
    branches = book.branches(call.owner_id, wp_code)
    if not branches:
        raise ApiError.business(
            f"未开通 {wp_code or '(空)'} 电子面单服务", sub_code="wp_not_subscribed"
        )
    sender = _contact(request.get("sender"), "sender")
    branch = next((b for b in branches if b.matches(sender["address"])), None)
    if branch is None:
        raise ApiError.business(
            "发货地址与电子面单网点地址不一致，请以 pdd.waybill.search 为准",
            sub_code="sender_address_mismatch",
        )
    dtos = request.get("trade_order_info_dtos")
    if not isinstance(dtos, list) or not 1 <= len(dtos) <= MAX_DTOS:
        raise ApiError.param(f"trade_order_info_dtos 必须是 1–{MAX_DTOS} 个元素的数组")
    plans = [_plan(call, wp_code, dto, n) for n, dto in enumerate(dtos)]
    seen = [p["object_id"] for p in plans]
    if len(set(seen)) != len(seen):
        raise ApiError.param("trade_order_info_dtos 中 object_id 重复")
    fresh = [p for p in plans if book.active(call.owner_id, wp_code, p["object_id"]) is None]
    if len(fresh) > branch.quantity:
        why = f"网点 {branch.branch_name} 电子面单余额不足（剩余 {branch.quantity}）"
        raise ApiError.business(why, sub_code="waybill_balance_insufficient")
    modules = []
    for plan in plans:
        waybill = book.active(call.owner_id, wp_code, plan["object_id"])
        if waybill is None:
            waybill = _issue(call, wp_code, branch, sender, plan)
        modules.append(
            {
                "object_id": waybill.object_id,
                "waybill_code": waybill.waybill_code,
                "parent_waybill_code": "",
                "print_data": waybill.print_data,
                "routing_info": waybill.routing,
            }
        )
    return {"modules": modules}


def _plan(call: Call, wp_code: str, dto: Any, n: int) -> dict[str, Any]:
    where = f"trade_order_info_dtos[{n}]"
    if not isinstance(dto, dict):
        raise ApiError.param(f"{where} 必须是对象")
    object_id = str(dto.get("object_id") or "")
    if not object_id:
        raise ApiError.param(f"{where}.object_id 不能为空")
    info = dto.get("order_info") or {}
    channel = str(info.get("order_channels_type") or "")
    sns = info.get("trade_order_list")
    if not channel or not isinstance(sns, list) or not 1 <= len(sns) <= MAX_ORDERS:
        raise ApiError.param(f"{where}.order_info 需要 order_channels_type 和 1–100 个订单号")
    items = (dto.get("package_info") or {}).get("items")
    if (
        not isinstance(items, list)
        or not 1 <= len(items) <= MAX_ITEMS
        or not all(
            isinstance(i, dict) and i.get("name") and _positive(i.get("count")) for i in items
        )
    ):
        raise ApiError.param(f"{where}.package_info.items 需要 1–100 个 {{name, count>0}}")
    urls = {t.url for t in standard_templates(wp_code)}
    if dto.get("template_url") not in urls:
        raise ApiError.param(
            f"{where}.template_url 不是 {wp_code} 的标准模板，可选：{sorted(urls)}"
        )
    if not str(dto.get("user_id") or "").isdigit():
        raise ApiError.param(f"{where}.user_id 必须是数字ID")
    orders = []
    if channel == "PDD":
        store = call.sandbox.store
        orders = [store.orders.get(str(sn)) for sn in sns]
        if any(o is None or o.owner_id != call.owner_id for o in orders):
            raise ApiError.business(f"{where}: 订单不属于当前店铺或订单不存在", sub_code="45001")
    recipient = dto.get("recipient")
    if recipient:
        recipient = _contact(recipient, f"{where}.recipient", decrypt=call.sandbox.cipher.decrypt)
    elif orders:
        first = orders[0]
        recipient = {
            "name": first.pii[0],
            "mobile": first.pii[1],
            "phone": "",
            "address": {
                "province": first.data["province"],
                "city": first.data["city"],
                "district": first.data["town"],
                "detail": first.pii[2],
            },
        }
    else:
        raise ApiError.param(f"{where}.recipient 不能为空（非拼多多订单）")
    return {
        "object_id": object_id,
        "order_sns": [str(s) for s in sns],
        "items": items,
        "recipient": recipient,
        "template_url": dto["template_url"],
        "weight": (dto.get("package_info") or {}).get("weight"),
    }


def _positive(value: Any) -> bool:
    """A positive whole count, given as a number or as digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isdigit() and int(value) > 0


def _contact(value: Any, where: str, decrypt: Any = None) -> dict[str, Any]:
    """A sender/recipient block; PDD ciphertext values are opened (the sandbox can)."""
    if not isinstance(value, dict) or not value.get("name"):
        raise ApiError.param(f"{where}.name 不能为空")
    if not (value.get("mobile") or value.get("phone")):
        raise ApiError.param(f"{where} 需要 mobile 或 phone")
    address = value.get("address")
    if not isinstance(address, dict) or any(not address.get(k) for k in ADDRESS_KEYS):
        raise ApiError.param(f"{where}.address 需要 province/city/district/detail")

    def clear(text: Any) -> str:
        text = str(text or "")
        if decrypt is not None and is_ciphertext(text):
            try:
                return decrypt(text)
            except ValueError:
                raise ApiError.param(f"{where} 中的密文无法解析") from None
        return text

    return {
        "name": clear(value["name"]),
        "mobile": clear(value.get("mobile")),
        "phone": clear(value.get("phone")),
        "address": {k: clear(address.get(k)) for k in (*ADDRESS_KEYS, "town")},
    }


def _issue(
    call: Call, wp_code: str, branch: Branch, sender: dict[str, Any], plan: dict[str, Any]
) -> Waybill:
    book, sandbox = call.sandbox.waybills, call.sandbox
    code = book.new_code(wp_code)
    rec = plan["recipient"]["address"]
    routing = _routing(code, rec, branch)
    content = {
        "waybillCode": code,
        "wpCode": wp_code,
        "objectId": plan["object_id"],
        "routingInfo": {
            "bigShotName": routing["big_shot_name"],
            "threeSegmentCode": routing["three_segment_code"],
            "consolidation": routing["consolidation"],
            "originBranchCode": branch.branch_code,
            "originBranchName": branch.branch_name,
        },
        "recipient": plan["recipient"],
        "sender": sender,
        "packageInfo": {"items": plan["items"], "weight": plan["weight"]},
        "orderSns": plan["order_sns"],
        "createdAt": beijing_text(call.now),
    }
    waybill = Waybill(
        waybill_code=code,
        wp_code=wp_code,
        owner_id=call.owner_id,
        object_id=plan["object_id"],
        branch_code=branch.branch_code,
        order_sns=plan["order_sns"],
        print_data=sandbox.cipher.seal_print_data(content, plan["template_url"]),
        template_url=plan["template_url"],
        created_at=call.now,
        routing=routing,
    )
    book.record(waybill, branch)
    return waybill


def _routing(code: str, address: dict[str, Any], branch: Branch) -> dict[str, Any]:
    """Routing as carriers print it, stable per waybill number: 大头笔 from the
    destination (浙江杭州), a 三段码 like "571-K12 06" (destination centre, delivery
    branch, courier), and the destination's consolidation hub."""
    digits = int(hashlib.md5(code.encode()).hexdigest()[:8], 16)
    letter = "ABCDEFGHJKLMNPQRSTWXYZ"[digits % 22]
    return {
        "big_shot_name": f"{address['province'][:2]}{address['city'][:2]}",
        "three_segment_code": (
            f"{digits % 900 + 100}-{letter}{digits // 7 % 90 + 10} {digits // 11 % 99 + 1:02d}"
        ),
        "consolidation": {
            "name": f"{address['city'].removesuffix('市')}转运中心",
            "code": f"{digits // 13 % 9000 + 1000}",
        },
        "origin_branch_code": branch.branch_code,
        "origin_branch_name": branch.branch_name,
    }


def cancel(call: Call) -> dict[str, Any]:
    wp_code, code = call.text("wp_code"), call.text("waybill_code")
    waybill = call.sandbox.waybills.waybills.get(code)
    if waybill is None or waybill.owner_id != call.owner_id or waybill.wp_code != wp_code:
        raise ApiError.business(
            f"面单号 {code} 不存在或不属于当前店铺", sub_code="waybill_not_found"
        )
    call.sandbox.waybills.cancel(waybill)  # cancelling twice is a success, like the first
    return {"cancel_result": True}


def query_by_code(call: Call) -> dict[str, Any]:
    params = call.json_value("param_list")
    if not isinstance(params, list) or not 1 <= len(params) <= MAX_DTOS:
        raise ApiError.param(f"param_list 必须是 1–{MAX_DTOS} 个元素的数组")
    modules = []
    for n, item in enumerate(params):
        code = str((item or {}).get("waybill_code") or "")
        waybill = call.sandbox.waybills.waybills.get(code)
        if (
            waybill is None
            or waybill.owner_id != call.owner_id
            or waybill.wp_code != (item or {}).get("wp_code")
        ):
            raise ApiError.business(
                f"param_list[{n}]: 面单号 {code} 不存在或不属于当前店铺",
                sub_code="waybill_not_found",
            )
        if waybill.status == "cancelled":
            raise ApiError.business(
                f"param_list[{n}]: 面单号 {code} 已取消", sub_code="waybill_cancelled"
            )
        modules.append(
            {
                "waybill_cloud_print_response": {
                    "object_id": str(item.get("object_id") or waybill.object_id),
                    "waybill_code": code,
                    "print_data": waybill.print_data,
                    "routing_info": waybill.routing,
                }
            }
        )
    return {"modules": modules}
