"""Seeded, realistic orders — deterministic for a seed, fast enough for 100k+.

Each order is built as a small history (created → paid → 成交 → maybe shipped → maybe
received; refunds, remarks and late remark changes on the way) with every event at or
before the "as of" time, and `updated_at` is the last event. Amounts are integer fen
obeying pinduoduo.md §3.4: goods_amount = Σ price × count − order_change_amount,
discount_amount = platform + seller + capital_free, pay_amount = goods − discount + postage.

Speed matters (100k orders in a few seconds), hence `Dice`: plain `random()` arithmetic
instead of `randint`/`choices`, which cost several times more per draw.
"""

from __future__ import annotations

import base64
import hashlib
import random
import zlib
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, TypeVar

from plugins.platforms.pinduoduo.sandbox import orders as lc
from plugins.platforms.pinduoduo.sandbox.ciphers import Cipher
from plugins.platforms.pinduoduo.sandbox.clock import beijing_text, date_code
from plugins.platforms.pinduoduo.sandbox.data_catalogue import (
    BUYER_MEMOS,
    CATALOGUE,
    GIVEN_CHARS,
    MOBILE_PREFIXES,
    ORDER_TAGS,
    SELLER_REMARKS,
    SHOP_NAMES,
    SURNAMES,
)
from plugins.platforms.pinduoduo.sandbox.data_logistics import (
    CARRIERS_BY_CODE,
    SHIPPING_CARRIERS,
    SHIPPING_WEIGHTS,
)
from plugins.platforms.pinduoduo.sandbox.data_regions import (
    COMMUNITIES,
    DISTRICTS,
    REGION_WEIGHTS,
    STREETS,
)

T = TypeVar("T")
HOUR, DAY = 3600, 86400
_SN_MULTIPLIER = 25_214_903_917  # odd, not a multiple of 5: a bijection modulo 10**15
_REGION_CUM = list(accumulate(REGION_WEIGHTS))
_CARRIER_CUM = list(accumulate(SHIPPING_WEIGHTS))
_SHIPPING = [CARRIERS_BY_CODE[c] for c in SHIPPING_CARRIERS]
_LINES, _LINES_CUM = (1, 2, 3), list(accumulate((85, 11, 4)))
_COUNTS, _COUNTS_CUM = (1, 2, 3), list(accumulate((80, 15, 5)))
_REFUNDS, _REFUNDS_CUM = (4, 3, 2, 1), list(accumulate((45, 15, 20, 20)))
_REMARK_TAGS = (1, 2, 3, 4, 5, None)
_CLOSED_AFTER_SALES = (6, 11)  # a closed after-sale was rejected or withdrawn, never "none"
# Shared by every order that has them (100k orders × 5 small dicts is real memory); a
# change replaces an order's list instead of editing it (orders.set_tag).
_DEFAULT_TAGS = tuple({"name": name, "value": 0} for name in ORDER_TAGS)
_ONE_DAY_TAGS = tuple({"name": n, "value": int(n == "delivery_one_day")} for n in ORDER_TAGS)
_NONE = ()  # the empty lists of the wire object, shared likewise


class Dice:
    """Fast seeded draws; `rng` is kept so its state can be saved and restored."""

    __slots__ = ("random", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def between(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cum: Sequence[float]) -> T:
        return items[bisect(cum, self.random() * cum[-1])]


@dataclass(frozen=True)
class Shop:
    owner_id: str
    owner_name: str


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    district: int  # index into DISTRICTS
    detail: str
    open_address_id: str


def make_shops(seed: int, count: int) -> tuple[Shop, ...]:
    rng = random.Random(f"shops:{seed}")
    ids = rng.sample(range(100_000_000, 999_999_999), count)
    names = len(SHOP_NAMES)
    return tuple(
        Shop(str(owner_id), SHOP_NAMES[i % names] + (str(i // names + 1) if i >= names else ""))
        for i, owner_id in enumerate(ids)
    )


class OrderFactory:
    """Makes orders for a set of shops; `serial` numbers every order ever made."""

    def __init__(self, seed: int, shops: Sequence[Shop], cipher: Cipher) -> None:
        self.seed = seed
        self.shops = tuple(shops)
        self.cipher = cipher
        self.serial = 0
        # The first shop is the busiest: weights 1, 1/2, 1/3, …
        self._shop_cum = list(accumulate(1.0 / (i + 1) for i in range(len(self.shops))))
        self._buyers: dict[str, list[Buyer]] = {s.owner_id: [] for s in self.shops}

    def seed_orders(self, count: int, as_of: int, history_days: float) -> list[lc.SandboxOrder]:
        """The initial orders, created within `history_days` before `as_of`."""
        dice = Dice(random.Random(f"orders:{self.seed}"))
        span = max(120, int(history_days * DAY))
        out = []
        for _ in range(count):
            shop = dice.weighted(self.shops, self._shop_cum)
            out.append(self.build(dice, shop.owner_id, as_of - dice.between(60, span), as_of))
        return out

    def pick_shop(self, dice: Dice) -> Shop:
        return dice.weighted(self.shops, self._shop_cum)

    def order_sn(self, created: int) -> str:
        n = (self.serial * _SN_MULTIPLIER + self.seed * 7_777_777) % 10**15
        self.serial += 1
        return f"{date_code(created)}-{n:015d}"

    def buyer(self, dice: Dice, owner_id: str) -> Buyer:
        """A buyer of this shop; about one order in eight comes from a returning buyer at
        the same address (the orders a merchant merges into one package)."""
        known = self._buyers.setdefault(owner_id, [])
        if known and dice.random() < 0.12:
            return dice.pick(known)
        between, pick = dice.between, dice.pick
        name = (
            pick(SURNAMES) + pick(GIVEN_CHARS) + (pick(GIVEN_CHARS) if dice.random() < 0.66 else "")
        )
        phone = f"{pick(MOBILE_PREFIXES)}{between(0, 99_999_999):08d}"
        district = bisect(_REGION_CUM, dice.random() * _REGION_CUM[-1])
        detail = (
            f"{pick(STREETS)}{between(1, 999)}号{pick(COMMUNITIES)}"
            f"{between(1, 30)}栋{between(1, 6)}单元{between(1, 32)}{between(1, 4):02d}"
        )
        # The merge key: equal for equal receivers, ciphertext-shaped and opaque (it is
        # never decrypted, so a digest in the general shape does, at a fraction of the cost).
        digest = hashlib.md5(f"{self.seed}|{name}|{phone}|{district}|{detail}".encode()).digest()
        body = base64.b64encode(b"\x02\x00\x00\x00\x00" + digest).decode()
        key = f"~{body}~{base64.b64encode(digest[:9]).decode()}~1~~"
        buyer = Buyer(name, phone, district, detail, key)
        known.append(buyer)
        if len(known) > 500:
            del known[:100]
        return buyer

    def build(self, dice: Dice, owner_id: str, pay: int, as_of: int) -> lc.SandboxOrder:
        """One order paid at `pay` whose history runs up to `as_of`. Events that would
        fall after `as_of` have not happened yet (no timestamps piled up at `as_of`)."""
        rand, between = dice.random, dice.between
        created = pay - between(5, 300)
        events = [pay]
        confirm: int | None = pay + between(0, 600)
        if confirm > as_of:  # most groups form at once (joining an open group), some later
            confirm = as_of if rand() < 0.85 else None
        if confirm is not None and rand() < 0.02 and as_of - pay < DAY:
            confirm = None  # 拼团中: the group has not formed, the order is not 成交 yet
        if confirm is not None:
            events.append(confirm)
        data, pii = self._skeleton(dice, owner_id, created, pay, confirm)
        order = lc.SandboxOrder(data["order_sn"], owner_id, data, pii, created, confirm)
        if confirm is not None:
            self._history(dice, order, confirm, as_of, events)
        if rand() < 0.22:
            events.append(between(confirm or pay, as_of))
            lc.set_remark(order, dice.pick(SELLER_REMARKS), dice.pick(_REMARK_TAGS))
            if as_of - created > 3 * DAY and rand() < 0.25:  # a late change to an old order
                events.append(between(as_of - DAY, as_of))
                lc.set_remark(order, dice.pick(SELLER_REMARKS) + "（已更新）", between(1, 5))
        order.updated_ts = max(events)
        return order

    def _history(
        self, dice: Dice, order: lc.SandboxOrder, confirm: int, as_of: int, events: list[int]
    ) -> None:
        """Shipment, receipt and refunds between 成交 and `as_of`."""
        rand, between = dice.random, dice.between
        age = as_of - confirm
        shipped_at: int | None = None
        if age > HOUR and rand() < min(0.96, (age - HOUR) / (30 * HOUR)):
            shipped_at = confirm + between(min(1800, age), min(age, 47 * HOUR))
        refund_at = None
        if rand() < 0.10:
            refund_at = between(confirm, as_of)
            if shipped_at is not None and refund_at < shipped_at and rand() < 0.7:
                shipped_at = None  # refunded before shipping: it never shipped
        if shipped_at is not None:
            carrier = dice.weighted(_SHIPPING, _CARRIER_CUM)
            lc.ship(order, carrier, carrier.make_number(dice.rng), shipped_at)
            events.append(shipped_at)
            since = as_of - shipped_at
            if since > 2 * DAY and rand() < min(0.9, (since - 2 * DAY) / (3 * DAY)):
                received = shipped_at + between(2 * DAY, min(since, 6 * DAY))
                lc.receive(order, received)
                events.append(received)
        if refund_at is not None:
            status = dice.weighted(_REFUNDS, _REFUNDS_CUM)
            choices = _CLOSED_AFTER_SALES if status == 1 else lc.AFTER_SALES_FOR_REFUND[status]
            lc.set_refund(order, status, dice.pick(choices))
            events.append(refund_at)
            if status in (1, 4):  # the request and its outcome are two updates
                settled = refund_at + between(HOUR, 2 * DAY)
                if settled <= as_of:
                    events.append(settled)
                else:  # not settled yet: still with the merchant
                    lc.set_refund(order, lc.AFTER_SALE, 2 if shipped_at is None else 3)
        if order.order_status == lc.AWAITING_SHIPMENT and order.refund_status == lc.NO_REFUND:
            if rand() < 0.01:
                order.data["risk_control_status"] = 1
            if rand() < 0.01:
                lc.set_tag(order, "ship_hold", 1)

    def _skeleton(
        self, dice: Dice, owner_id: str, created: int, pay: int, confirm: int | None
    ) -> tuple[dict[str, Any], tuple[str, str, str]]:
        rand, between, pick = dice.random, dice.between, dice.pick
        buyer = self.buyer(dice, owner_id)
        d = DISTRICTS[buyer.district]
        items, gross = _items(dice)
        change = min(between(1, 5) * 100, gross // 5) if rand() < 0.05 else 0
        goods_amount = gross - change
        seller = min(pick((100, 200, 300, 500, 1000)), goods_amount // 3) if rand() < 0.3 else 0
        platform = min(between(1, 10) * 100, goods_amount // 4) if rand() < 0.2 else 0
        capital_free = min(between(10, 200), goods_amount // 10) if rand() < 0.03 else 0
        discount = seller + platform + capital_free
        postage = 0 if rand() < 0.85 else pick((500, 600, 800, 1000))
        tags = _ONE_DAY_TAGS if rand() < 0.05 else _DEFAULT_TAGS
        data = {
            "order_sn": self.order_sn(created),
            "created_time": beijing_text(created),
            "pay_time": beijing_text(pay),
            "confirm_time": beijing_text(confirm),
            "shipping_time": "",
            "receive_time": "",
            "updated_at": "",
            "last_ship_time": beijing_text(confirm + lc.SHIP_BY_SECONDS) if confirm else "",
            "urge_shipping_time": "",
            "pre_sale_time": "",
            "promise_delivery_time": "",
            "order_status": lc.AWAITING_SHIPMENT,
            "refund_status": lc.NO_REFUND,
            "after_sales_status": 0,
            "confirm_status": 1 if confirm else 0,
            "group_status": 1 if confirm else 0,
            "risk_control_status": 0,
            "trade_type": 0,
            "is_lucky_flag": 2 if rand() < 0.01 else 1,
            "is_pre_sale": 0,
            "is_stock_out": 0,
            "stock_out_handle_status": -1,
            "goods_amount": goods_amount / 100,
            "pay_amount": (goods_amount - discount + postage) / 100,
            "discount_amount": discount / 100,
            "platform_discount": platform / 100,
            "seller_discount": seller / 100,
            "capital_free_discount": capital_free / 100,
            "postage": postage / 100,
            "order_change_amount": change / 100,
            "duo_duo_pay_reduction": 0,
            "trade_in_national_subsidy_amount": 0,
            "service_fee_detail": _NONE,
            "item_list": items,
            "gift_list": _NONE,
            "country": "中国",
            "country_id": 1,
            "province": d.province,
            "province_id": d.province_id,
            "city": d.city,
            "city_id": d.city_id,
            "town": d.town,
            "town_id": d.town_id,
            "buyer_memo": pick(BUYER_MEMOS) if rand() < 0.15 else "",
            "remark": "",
            "remark_tag": None,
            "remark_tag_name": "",
            "logistics_id": 0,
            "tracking_number": "",
            "extra_delivery_list": _NONE,
            "gift_delivery_list": _NONE,
            "resend_delivery_list": _NONE,
            "order_tag_list": tags,
            "pay_type": "",
            "pay_no": "",
            "inner_transaction_id": "",
            "open_address_id": buyer.open_address_id,
        }
        if _in_development_zone(buyer.open_address_id):
            # Buyers pick zones Pinduoduo lists that are no county-level division (an
            # address 审单 cannot recognise); chosen by the buyer's address key, so a
            # returning buyer keeps the address and no random draw moves.
            data["town"] = d.city.removesuffix("市") + "经济技术开发区"
        return data, (buyer.name, buyer.phone, buyer.detail)


def _in_development_zone(address_key: str) -> bool:
    """About three addresses in a hundred (by a hash of the address key)."""
    return zlib.crc32(address_key.encode()) % 100 < 3


def _items(dice: Dice) -> tuple[list[dict[str, Any]], int]:
    """1 line (most orders), 2 or 3 distinct goods; the lines and Σ price × count in fen."""
    lines = dice.weighted(_LINES, _LINES_CUM)
    chosen: list[int] = []
    while len(chosen) < lines:
        index = int(dice.random() * len(CATALOGUE))
        if index not in chosen:
            chosen.append(index)
    items, gross = [], 0
    for index in chosen:
        goods = CATALOGUE[index]
        sku = dice.pick(goods.skus)
        count = dice.weighted(_COUNTS, _COUNTS_CUM)
        gross += sku.price_fen * count
        items.append(
            {
                "goods_id": goods.goods_id,
                "sku_id": sku.sku_id,
                "goods_name": goods.name,
                "goods_count": count,
                "goods_price": sku.price_fen / 100,
                "goods_spec": sku.spec,
                "goods_img": goods.image,
                "outer_id": sku.outer_id,
                "outer_goods_id": goods.outer_goods_id,
            }
        )
    return items, gross
