"""E-waybill accounts and the waybills issued from them (the platform's ledger).

Each shop subscribes to a few carriers; each subscription has branches (网点) with a
shipping address and a balance. Issuing takes one from the balance, cancelling gives it
back. One waybill per (shop, carrier, object_id) while it is active, so a client that
retries `pdd.waybill.get` after a lost answer gets the same number back.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from plugins.platforms.pinduoduo.sandbox.data_logistics import CARRIERS_BY_CODE
from plugins.platforms.pinduoduo.sandbox.data_regions import DISTRICTS
from plugins.platforms.pinduoduo.sandbox.generator import Shop

_SUBSCRIBED = ("YTO", "ZTO", "YUNDA", "JTSD")


@dataclass
class Branch:
    branch_code: str
    branch_name: str
    address: dict[str, str]
    quantity: int
    allocated_quantity: int = 0
    cancel_quantity: int = 0
    recycled_quantity: int = 0

    def matches(self, address: dict[str, Any]) -> bool:
        return all(
            str(address.get(k, "")).strip() == self.address[k]
            for k in ("province", "city", "district", "detail")
        )

    def wire(self) -> dict[str, Any]:
        return {
            "branch_code": self.branch_code,
            "branch_name": self.branch_name,
            "quantity": self.quantity,
            "allocated_quantity": self.allocated_quantity,
            "cancel_quantity": self.cancel_quantity,
            "recycled_quantity": self.recycled_quantity,
            "shipp_address_cols": [{**self.address, "country": "中国"}],
            "service_info_cols": [
                {
                    "service_code": "SVC-INSURE",
                    "service_name": "保价服务",
                    "service_desc": "按声明价值保价",
                    "required": False,
                    "service_attributes": [
                        {
                            "attribute_code": "value",
                            "attribute_name": "保价金额",
                            "attribute_type": "number",
                            "type_desc": "元",
                        }
                    ],
                },
            ],
        }


@dataclass
class Waybill:
    waybill_code: str
    wp_code: str
    owner_id: str
    object_id: str
    branch_code: str
    order_sns: list[str]
    print_data: str
    template_url: str
    created_at: int
    status: str = "allocated"  # or "cancelled"
    routing: dict[str, Any] = field(default_factory=dict)  # routing_info of the answer


@dataclass
class WaybillBook:
    seed: int
    quantity: int
    subscriptions: dict[str, dict[str, list[Branch]]] = field(default_factory=dict)
    waybills: dict[str, Waybill] = field(default_factory=dict)
    by_object: dict[str, str] = field(default_factory=dict)  # "owner|wp|object" → code

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(f"waybills:{self.seed}")

    def open_accounts(self, shops: tuple[Shop, ...]) -> None:
        """Subscriptions for each shop: four carriers, ZTO with two branches."""
        rng = random.Random(f"subscriptions:{self.seed}")
        for shop in shops:
            place = rng.choice(DISTRICTS)
            address = {
                "province": place.province,
                "city": place.city,
                "district": place.town,
                "detail": f"{rng.choice(('工业园', '物流园', '产业园'))}{rng.randint(1, 30)}号仓库",
            }
            accounts: dict[str, list[Branch]] = {}
            for code in _SUBSCRIBED:
                carrier = CARRIERS_BY_CODE[code]
                branches = []
                for n in range(2 if code == "ZTO" else 1):
                    branches.append(
                        Branch(
                            branch_code=f"{rng.randint(100000, 999999)}",
                            branch_name=f"{place.city}{place.town}{carrier.name[:2]}{'一二'[n]}部",
                            address=dict(address),
                            quantity=self.quantity,
                        )
                    )
                accounts[code] = branches
            self.subscriptions[shop.owner_id] = accounts

    def branches(self, owner_id: str, wp_code: str) -> list[Branch]:
        return self.subscriptions.get(owner_id, {}).get(wp_code, [])

    def new_code(self, wp_code: str) -> str:
        carrier = CARRIERS_BY_CODE[wp_code]
        while True:
            code = carrier.make_number(self._rng)
            if code not in self.waybills:
                return code

    def active(self, owner_id: str, wp_code: str, object_id: str) -> Waybill | None:
        code = self.by_object.get(f"{owner_id}|{wp_code}|{object_id}")
        return self.waybills.get(code) if code else None

    def record(self, waybill: Waybill, branch: Branch) -> None:
        self.waybills[waybill.waybill_code] = waybill
        self.by_object[f"{waybill.owner_id}|{waybill.wp_code}|{waybill.object_id}"] = (
            waybill.waybill_code
        )
        branch.quantity -= 1
        branch.allocated_quantity += 1

    def cancel(self, waybill: Waybill) -> None:
        if waybill.status == "cancelled":
            return
        waybill.status = "cancelled"
        self.by_object.pop(f"{waybill.owner_id}|{waybill.wp_code}|{waybill.object_id}", None)
        for branch in self.branches(waybill.owner_id, waybill.wp_code):
            if branch.branch_code == waybill.branch_code:
                branch.quantity += 1
                branch.cancel_quantity += 1

    def dump(self) -> dict[str, Any]:
        return {
            "subscriptions": {
                owner: {wp: [asdict(b) for b in branches] for wp, branches in accounts.items()}
                for owner, accounts in self.subscriptions.items()
            },
            "waybills": [asdict(w) for w in self.waybills.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.subscriptions = {
            owner: {wp: [Branch(**b) for b in branches] for wp, branches in accounts.items()}
            for owner, accounts in data.get("subscriptions", {}).items()
        }
        self.waybills = {w["waybill_code"]: Waybill(**w) for w in data.get("waybills", [])}
        self.by_object = {
            f"{w.owner_id}|{w.wp_code}|{w.object_id}": w.waybill_code
            for w in self.waybills.values()
            if w.status == "allocated"
        }
