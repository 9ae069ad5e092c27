"""One sandbox order and the ways it can change (the platform's order lifecycle).

`data` holds the wire object of pinduoduo.md §3.4 except the receiver ciphertexts and
masks, which `render` derives from `pii` because they depend on the status (ciphertext
only while 待发货 and not under review). Every transition stamps the time it happened;
the store then moves `updated_at`, which is the only way `updated_at` changes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from plugins.platforms.pinduoduo.sandbox.ciphers import (
    Cipher,
    mask_address,
    mask_name,
    mask_phone,
)
from plugins.platforms.pinduoduo.sandbox.clock import beijing_text
from plugins.platforms.pinduoduo.sandbox.data_catalogue import REMARK_TAG_NAMES
from plugins.platforms.pinduoduo.sandbox.data_logistics import Carrier

_NO_CIPHERTEXT = {
    "receiver_name": "",
    "receiver_phone": "",
    "receiver_address": "",
    "address": "",
    "contact_mobile": "",
}
SHIP_BY_SECONDS = 48 * 3600  # Pinduoduo's default promise: ship within 48 h of 成交

# order_status
AWAITING_SHIPMENT, SHIPPED, RECEIVED = 1, 2, 3
# refund_status
NO_REFUND, AFTER_SALE, REFUNDING, REFUNDED = 1, 2, 3, 4
# after_sales_status that belongs to each refund_status (the first is the usual one)
AFTER_SALES_FOR_REFUND = {
    NO_REFUND: (0, 6, 11, 9),  # none, rejected, buyer cancelled, platform closed
    AFTER_SALE: (2, 3, 8),  # buyer asked, return pending merchant, platform handling
    REFUNDING: (4, 5, 7),  # merchant agreed, platform agreed, return agreed
    REFUNDED: (10,),
}


class SandboxOrder:
    """A platform order as the sandbox keeps it; `json` is rendered once per change."""

    __slots__ = (
        "_json",
        "_sealed",
        "confirm_ts",
        "data",
        "owner_id",
        "pii",
        "sn",
        "updated_ts",
    )

    def __init__(
        self,
        sn: str,
        owner_id: str,
        data: dict[str, Any],
        pii: tuple[str, str, str],
        updated_ts: int,
        confirm_ts: int | None,
    ) -> None:
        self.sn = sn
        self.owner_id = owner_id
        self.data = data
        self.pii = pii  # (receiver name, phone, street address without province/city/town)
        self.updated_ts = updated_ts
        self.confirm_ts = confirm_ts
        self._json: bytes | None = None
        # Ciphertexts of `pii` (which never changes), made on the first render that needs them.
        self._sealed: dict[str, str] | None = None

    @property
    def order_status(self) -> int:
        return self.data["order_status"]

    @property
    def refund_status(self) -> int:
        return self.data["refund_status"]

    def receiver_visible(self) -> bool:
        """Ciphertext is handed out only for 待发货 orders that are not under review."""
        return (
            self.data["order_status"] == AWAITING_SHIPMENT and not self.data["risk_control_status"]
        )

    def full_address(self) -> str:
        d = self.data
        return f"{d['province']}{d['city']}{d['town']}{self.pii[2]}"

    def changed(self) -> None:
        self._json = None

    def render(self, cipher: Cipher) -> bytes:
        """The wire JSON of this order (cached until the next change); orjson writes the
        same compact UTF-8 JSON as `json.dumps(separators=(",", ":"), ensure_ascii=False)`,
        ten times faster."""
        if self._json is None:
            # The copy matters at 100k orders: orjson's own result keeps an oversized
            # allocation alive (3× the memory); an exact-size copy lets it go.
            self._json = bytes(memoryview(orjson.dumps(self.wire(cipher))))
        return self._json

    def wire(self, cipher: Cipher) -> dict[str, Any]:
        out = dict(self.data)
        if self.receiver_visible():
            if self._sealed is None:
                name, phone, detail = self.pii
                self._sealed = {
                    "receiver_name": cipher.encrypt(name),
                    "receiver_phone": cipher.encrypt_phone(phone),
                    "receiver_address": cipher.encrypt(detail),
                    "address": cipher.encrypt(self.full_address()),
                    "contact_mobile": cipher.encrypt_phone(phone),
                }
            out.update(self._sealed)
        else:
            out.update(_NO_CIPHERTEXT)
        name, phone, detail = self.pii
        out["receiver_name_mask"] = mask_name(name)
        out["receiver_phone_mask"] = mask_phone(phone)
        out["receiver_address_mask"] = mask_address(detail)
        out["address_mask"] = mask_address(self.full_address())
        out["updated_at"] = beijing_text(self.updated_ts)
        return out

    def ground_truth(self, cipher: Cipher) -> dict[str, Any]:
        """The wire object plus what only the platform knows (shop, receiver in clear)."""
        name, phone, detail = self.pii
        return {
            "owner_id": self.owner_id,
            "order": json.loads(self.render(cipher)),
            "receiver": {
                "name": name,
                "phone": phone,
                "address": detail,
                "full_address": self.full_address(),
            },
        }


# -- transitions (called through OrderStore.mutate, which moves updated_at) ---------------


def confirm(order: SandboxOrder, ts: int) -> None:
    """The group formed: the order is 成交 and the ship-by clock starts."""
    d = order.data
    d["confirm_status"] = 1
    d["group_status"] = 1
    d["confirm_time"] = beijing_text(ts)
    d["last_ship_time"] = beijing_text(ts + SHIP_BY_SECONDS)
    order.confirm_ts = ts


def ship(order: SandboxOrder, carrier: Carrier, tracking_number: str, ts: int) -> None:
    d = order.data
    d["order_status"] = SHIPPED
    d["shipping_time"] = beijing_text(ts)
    d["logistics_id"] = carrier.id
    d["tracking_number"] = tracking_number


def receive(order: SandboxOrder, ts: int) -> None:
    d = order.data
    d["order_status"] = RECEIVED
    d["receive_time"] = beijing_text(ts)


def set_refund(order: SandboxOrder, refund_status: int, after_sales_status: int | None) -> None:
    if refund_status not in AFTER_SALES_FOR_REFUND:
        raise ValueError(f"refund_status must be 1–4, not {refund_status}")
    if after_sales_status is None:
        after_sales_status = AFTER_SALES_FOR_REFUND[refund_status][0]
    order.data["refund_status"] = refund_status
    order.data["after_sales_status"] = after_sales_status


def set_remark(order: SandboxOrder, remark: str, tag: int | None) -> None:
    if tag is not None and tag not in REMARK_TAG_NAMES:
        raise ValueError(f"remark_tag must be 1–5 or null, not {tag}")
    order.data["remark"] = remark
    order.data["remark_tag"] = tag
    order.data["remark_tag_name"] = REMARK_TAG_NAMES.get(tag, "") if tag else ""


def set_tag(order: SandboxOrder, name: str, value: int) -> None:
    """Replace (never edit) the tag list: seeded orders share theirs."""
    tags = [
        t if t["name"] != name else {"name": name, "value": value}
        for t in order.data["order_tag_list"]
    ]
    if all(t["name"] != name for t in tags):
        tags.append({"name": name, "value": value})
    order.data["order_tag_list"] = tags


def wants_ship_hold(order: SandboxOrder) -> bool:
    return any(t["name"] == "ship_hold" and t["value"] for t in order.data["order_tag_list"])
