"""分仓: which warehouse ships an order, chosen by the org's routing rules when it arrives.

Rules are tried in order (`position`); the first that matches gives the warehouse, and
when none does (or the org has no rules) the default warehouse ships it. A rule's
conditions must all hold; an empty one holds for every order:

- `provinces`: the receiver's province ("浙江" and "浙江省" are the same, core.regions);
- `shop_ids`: the order's shop;
- `by_stock`: the first of the rule's warehouses whose available stock (on hand −
  reserved) covers the whole order — every merchant SKU of its lines; when none does the
  rule does not match. Without it the rule's first warehouse is chosen.

`route` runs as orders are stored (core.orders.store, core.desk.manual), before their
insert, which writes the warehouse with the rest of the row: routing costs a few reads
per batch and no write. For a batch it counts what it routes by stock against what it
has left, so two orders competing for the last pieces do not both go to the warehouse
that has them. Routing reserves nothing; reservations come with approval
(core.stock.reservations) in the order's warehouse. An order is moved by hand with
core.desk.rerouting; the rules themselves are core.stock.routing_rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import RoutingRule, StockLevel
from core.regions import province_key
from core.stock.mapping import LineKey, components


@dataclass(frozen=True)
class Rule:
    name: str
    warehouse_ids: tuple[int, ...]
    provinces: tuple[str, ...] = ()
    shop_ids: tuple[int, ...] = ()
    by_stock: bool = False
    #: The provinces as compared (province_key), worked out once per rule, not per order.
    province_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = frozenset(province_key(p) for p in self.provinces)
        object.__setattr__(self, "province_keys", keys)


@dataclass(frozen=True)
class OrderFacts:
    province: str
    shop_id: int
    need: Mapping[int, int] = field(default_factory=dict)  # merchant SKU id → pieces


def choose(
    rules: Sequence[Rule],
    facts: OrderFacts,
    available: Mapping[tuple[int, int], int],
    default: int,
) -> tuple[int, str]:
    """The warehouse for an order and the rule that chose it ("" for the default).
    `available`: (warehouse id, SKU id) → pieces available; pure."""
    province = _province(facts.province)
    for rule in rules:
        if rule.province_keys and province not in rule.province_keys:
            continue
        if rule.shop_ids and facts.shop_id not in rule.shop_ids:
            continue
        if not rule.by_stock:
            return rule.warehouse_ids[0], rule.name
        for house in rule.warehouse_ids:
            if all(available.get((house, sku), 0) >= qty for sku, qty in facts.need.items()):
                return house, rule.name
    return default, ""


#: An order's province as compared: a few dozen names, met thousands of times a batch.
_province = lru_cache(maxsize=256)(province_key)


def load_rules(session: Session, org_id: int) -> list[Rule]:
    rows = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.org_id == org_id)
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return [
        Rule(
            name=r.name,
            warehouse_ids=tuple(r.warehouse_ids),
            provinces=tuple(r.provinces or ()),
            shop_ids=tuple(r.shop_ids or ()),
            by_stock=r.by_stock,
        )
        for r in rows
        if r.warehouse_ids
    ]


@dataclass(frozen=True)
class Arrival:
    """An order about to be stored, as routing sees it: its lines not in the database yet."""

    province: str
    shop_id: int
    lines: tuple[tuple[LineKey, int], ...]  # each line's key and quantity


def route(session: Session, org_id: int, default: int, arrivals: Sequence[Arrival]) -> list[int]:
    """The warehouse of each of `arrivals`, in order — written with the orders' inserts, so
    routing costs reads only. `default`: the org's default warehouse (`default_id`; an org
    without one has nothing to route)."""
    rules = load_rules(session, org_id)
    needs: list[dict[int, int]] = [{} for _ in arrivals]
    available: dict[tuple[int, int], int] = {}
    if any(rule.by_stock for rule in rules):
        resolved = components(session, org_id, {key for a in arrivals for key, _ in a.lines})
        for need, arrival in zip(needs, arrivals, strict=True):
            for key, quantity in arrival.lines:
                for sku, per_unit in resolved[key] or ():
                    need[sku] = need.get(sku, 0) + per_unit * quantity
        houses = {h for rule in rules if rule.by_stock for h in rule.warehouse_ids}
        available = _available(session, houses, {s for need in needs for s in need})
    chosen = []
    for arrival, need in zip(arrivals, needs, strict=True):
        facts = OrderFacts(arrival.province, arrival.shop_id, need)
        house, _rule = choose(rules, facts, available, default)
        chosen.append(house)
        for sku, qty in need.items():  # the next order of the batch sees what is left
            if (house, sku) in available:
                available[(house, sku)] -= qty
    return chosen


def _available(session: Session, houses: set[int], skus: set[int]) -> dict[tuple[int, int], int]:
    if not houses or not skus:
        return {}
    rows = session.execute(
        select(
            StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
        ).where(StockLevel.warehouse_id.in_(houses), StockLevel.sku_id.in_(skus))
    )
    return {(w, s): on_hand - reserved for w, s, on_hand, reserved in rows}
