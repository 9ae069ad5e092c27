"""Pure mapping between core's waybill types and Pinduoduo's e-waybill payloads
(pinduoduo.md §6). No I/O: tested against recorded and hand-written JSON.

`pdd.waybill.get` takes one JSON parameter, `param_waybill_cloud_print_apply_new_request`:
the carrier (`wp_code`), the sender, and ≤ 10 `trade_order_info_dtos`, each with our
request id as `object_id`, the orders, the goods, the recipient (for Pinduoduo orders the
platform's ciphertext, passed through), the standard template URL and `user_id` (the
shop's `owner_id`). Answers come back as `modules[]` keyed by `object_id`; `print_data`
is an encrypted JSON string for the print component and is kept byte for byte.

Routing (三段码 / 大头笔, 集包地) is read where the answer gives it in clear: a module's
`routing_info` object, or the `data.routingInfo` of plain (`need_encrypt: false`) print
data (pinduoduo.md §7, the print component's plain-data shape). Both spellings of the
keys are accepted (`three_segment_code` / `threeSegmentCode`, `big_shot_name` /
`bigShotName`, `consolidation{name, code}`), and the Cainiao-style `short_address`,
`package_center_name` / `package_center_code` seen in carrier answers (printing.md). Which
of these a production answer carries outside the ciphertext is [uncertain]; encrypted
print data yields no routing and the print component prints it from there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from core.contracts.carrier import (
    SortCode,
    Waybill,
    WaybillRef,
    WaybillRequest,
    WaybillResult,
    WaybillSubscription,
)
from core.contracts.types import Contact
from core.errors import ValidationError

#: `standard_waybill_type` of one-part labels (一联单, 76×130 mm) in the sources seen.
ONE_PART_TYPE = 1


def contact_payload(contact: Contact, where: str) -> dict[str, Any]:
    """A sender/recipient block. A value is sent as stored: ciphertext stays ciphertext."""
    for name in ("name", "province", "city", "district", "address"):
        if not str(getattr(contact, name) or "").strip():
            raise ValidationError(f"{where}: {name} is empty", field=f"{where}.{name}")
    if not contact.phone.strip():
        raise ValidationError(f"{where}: phone is empty", field=f"{where}.phone")
    address = {
        "province": contact.province,
        "city": contact.city,
        "district": contact.district,
        "detail": contact.address,
    }
    if contact.town:
        address["town"] = contact.town
    return {"name": contact.name, "mobile": contact.phone, "address": address}


def apply_request(
    requests: Sequence[WaybillRequest], template_url: str, user_id: str, *, need_encrypt: bool
) -> dict[str, Any]:
    """The `param_waybill_cloud_print_apply_new_request` object for one call."""
    first = requests[0]
    dtos = []
    for request in requests:
        package: dict[str, Any] = {
            "id": request.request_id,
            "items": [{"name": item.name, "count": item.quantity} for item in request.items],
        }
        if request.weight_g:
            package["weight"] = request.weight_g
        dto: dict[str, Any] = {
            "object_id": request.request_id,
            "order_info": {
                "order_channels_type": request.order_channel or "OTHERS",
                "trade_order_list": list(request.order_numbers),
            },
            "package_info": package,
            "recipient": contact_payload(
                request.recipient, f"request {request.request_id} recipient"
            ),
            "template_url": request.template or template_url,
            "user_id": user_id,
        }
        if request.services:
            dto["logistics_services"] = {k: {"value": v} for k, v in request.services.items()}
        dtos.append(dto)
    return {
        "wp_code": first.carrier_code,
        "need_encrypt": need_encrypt,
        "sender": contact_payload(first.sender, "sender"),
        "trade_order_info_dtos": dtos,
    }


def results_from_modules(
    requests: Sequence[WaybillRequest], body: Mapping[str, Any]
) -> list[WaybillResult]:
    """One result per request, in order; a request the answer left out is a retryable
    error (asking again with the same object_id returns the same number)."""
    found: dict[str, Waybill] = {}
    for module in body.get("modules") or []:
        if not isinstance(module, Mapping):
            continue
        object_id = str(module.get("object_id") or "")
        number = str(module.get("waybill_code") or "").strip()
        if not object_id or not number:
            continue
        code = next((r.carrier_code for r in requests if r.request_id == object_id), "")
        found[object_id] = Waybill(
            carrier_code=code,
            number=number,
            print_data=_text(module.get("print_data")),
            parent_number=str(module.get("parent_waybill_code") or ""),
            request_id=object_id,
            routing=routing_from(module),
        )
    return [
        WaybillResult(r.request_id, waybill=found[r.request_id])
        if r.request_id in found
        else WaybillResult(
            r.request_id, error="Pinduoduo returned no waybill for it", retryable=True
        )
        for r in requests
    ]


def subscriptions_from(body: Mapping[str, Any]) -> list[WaybillSubscription]:
    """`pdd.waybill.search` → one subscription per (carrier, branch)."""
    out = []
    for col in body.get("waybill_apply_subscription_cols") or []:
        if not isinstance(col, Mapping):
            continue
        code = str(col.get("wp_code") or "")
        for branch in col.get("branch_account_cols") or []:
            if not isinstance(branch, Mapping):
                continue
            addresses = tuple(
                Contact(
                    name="",
                    phone="",
                    province=str(a.get("province") or ""),
                    city=str(a.get("city") or ""),
                    district=str(a.get("district") or ""),
                    address=str(a.get("detail") or ""),
                )
                for a in branch.get("shipp_address_cols") or []
                if isinstance(a, Mapping)
            )
            remaining = branch.get("quantity")
            out.append(
                WaybillSubscription(
                    carrier_code=code,
                    branch_code=str(branch.get("branch_code") or ""),
                    branch_name=str(branch.get("branch_name") or ""),
                    remaining=int(remaining) if str(remaining).lstrip("-").isdigit() else None,
                    sender_addresses=addresses,
                )
            )
    return out


def standard_templates_from(body: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """`pdd.cloudprint.stdtemplates.get` → wp_code → its standard templates."""
    out: dict[str, list[dict[str, Any]]] = {}
    for data in (body.get("result") or {}).get("datas") or []:
        if not isinstance(data, Mapping):
            continue
        out[str(data.get("wp_code") or "")] = [
            {
                "id": t.get("standard_template_id"),
                "name": str(t.get("standard_template_name") or ""),
                "url": str(t.get("standard_template_url") or ""),
                "waybill_type": t.get("standard_waybill_type"),
            }
            for t in data.get("standard_templates") or []
            if isinstance(t, Mapping)
        ]
    return out


def default_template(templates: Sequence[Mapping[str, Any]]) -> str:
    """The one-part template when there is one, else the first; '' when none."""
    for template in templates:
        if str(template.get("waybill_type")) == str(ONE_PART_TYPE) and template.get("url"):
            return str(template["url"])
    return next((str(t["url"]) for t in templates if t.get("url")), "")


def query_params(refs: Sequence[WaybillRef]) -> list[dict[str, str]]:
    return [
        {"object_id": ref.number, "wp_code": ref.carrier_code, "waybill_code": ref.number}
        for ref in refs
    ]


def waybills_from_query(refs: Sequence[WaybillRef], body: Mapping[str, Any]) -> list[Waybill]:
    """`pdd.waybill.query.by.waybillcode` → one waybill per reference, in order; a
    number the answer left out keeps empty print data."""
    found: dict[str, Mapping[str, Any]] = {}
    for module in body.get("modules") or []:
        inner = module.get("waybill_cloud_print_response") if isinstance(module, Mapping) else None
        if isinstance(inner, Mapping) and inner.get("waybill_code"):
            found[str(inner["waybill_code"])] = inner
    return [
        Waybill(
            ref.carrier_code,
            ref.number,
            print_data=_text(found.get(ref.number, {}).get("print_data")),
            routing=routing_from(found.get(ref.number, {})),
        )
        for ref in refs
    ]


#: Key spellings of each routing field, compared without `_` and case.
_ROUTING_KEYS = {
    "sort_code": ("threesegmentcode", "sortcode", "shortaddress"),
    "route_name": ("bigshotname", "routename"),
    "consolidation_name": ("packagecentername", "consolidationname"),
    "consolidation_code": ("packagecentercode", "consolidationcode"),
}


def routing_from(module: Mapping[str, Any]) -> SortCode | None:
    """The routing of one answer module: its `routing_info`, else the `routingInfo` of
    plain print data; None when neither gives any (encrypted print data)."""
    info = module.get("routing_info")
    if not isinstance(info, Mapping):
        info = _plain_print_routing(module.get("print_data"))
    if not isinstance(info, Mapping):
        return None
    flat = {_key(k): v for k, v in info.items() if not isinstance(v, Mapping)}
    hub = next((v for k, v in info.items() if _key(k) == "consolidation"), None)
    if isinstance(hub, Mapping):
        flat.setdefault("consolidationname", hub.get("name"))
        flat.setdefault("consolidationcode", hub.get("code"))
    values = {
        field: next((_scalar(flat.get(k)) for k in keys if _scalar(flat.get(k))), "")
        for field, keys in _ROUTING_KEYS.items()
    }
    values["sort_code"] = values["sort_code"] or values["route_name"]
    return SortCode(**values) or None


def _plain_print_routing(print_data: object) -> object:
    """`data.routingInfo` of unencrypted print data (a JSON string or an object)."""
    data = print_data
    if isinstance(data, str):
        if "routingInfo" not in data:
            return None
        try:
            data = json.loads(data)
        except ValueError:
            return None
    inner = data.get("data") if isinstance(data, Mapping) else None
    return inner.get("routingInfo") if isinstance(inner, Mapping) else None


def _key(name: object) -> str:
    return str(name).replace("_", "").lower()


def _scalar(value: object) -> str:
    """Text or a number as text; anything else (objects, lists, booleans) is nothing."""
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip() if isinstance(value, str | int) else ""


def _text(value: object) -> str:
    """print_data as the gateway sent it: a JSON string (kept verbatim) or, from some
    gateways, an object (serialised compactly)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
