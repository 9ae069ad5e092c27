"""自动分配 rules as values: their conditions, validated, and matching an order against them.

Pure: no database, so the matcher is tested against every combination (hypothesis) and the
service (core.assignment.service) only gathers each order's facts. A rule's conditions all
must hold; within one condition any listed value will do (provinces 浙江省 or 江苏省). A
rule without conditions is the default rule and matches every order. The first enabled
rule by position wins.

- `provinces`: the receiver's province; "浙江" and "浙江省" are the same province;
- `shop_ids`: the order's shop (the service turns shop names into ids);
- `min_weight_g`/`max_weight_g`: the package's weight, inclusive; an order whose weight is
  not known yet matches no weight condition;
- `skus`: any line's merchant code (outer_id) or platform SKU id;
- `tags`: any of the order's tags (the operators' tags and the platform's markers);
- `platforms`: the shop's platform (pinduoduo, …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import ValidationError
from core.regions import province_key

MAX_VALUES = 200
MAX_WEIGHT_G = 1_000_000
LIST_KEYS = {"provinces": 50, "skus": 100, "tags": 32, "platforms": 32}
KEYS = (*LIST_KEYS, "shop_ids", "min_weight_g", "max_weight_g")


@dataclass(frozen=True)
class Conditions:
    provinces: tuple[str, ...] = ()
    shop_ids: tuple[int, ...] = ()
    min_weight_g: int | None = None
    max_weight_g: int | None = None
    skus: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self == Conditions()

    def to_json(self) -> dict[str, Any]:
        """Only the conditions set, as stored in `assignment_rules.conditions`."""
        out: dict[str, Any] = {}
        for key in KEYS:
            value = getattr(self, key)
            if value not in ((), None):
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Conditions:
        """Validated conditions from JSON-like data; errors name the condition."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ValidationError(
                f"unknown condition {unknown[0]!r}; conditions are {', '.join(KEYS)}",
                field="conditions",
            )
        values: dict[str, Any] = {
            key: _texts(key, data.get(key), limit) for key, limit in LIST_KEYS.items()
        }
        values["platforms"] = tuple(p.lower() for p in values["platforms"])
        values["shop_ids"] = _ids(data.get("shop_ids"))
        low = _weight("min_weight_g", data.get("min_weight_g"))
        high = _weight("max_weight_g", data.get("max_weight_g"))
        if low is not None and high is not None and low > high:
            raise ValidationError(
                f"the minimum weight {low} g is above the maximum {high} g",
                field="conditions.min_weight_g",
            )
        return cls(min_weight_g=low, max_weight_g=high, **values)


def _texts(key: str, value: object, limit: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"{key} must be a list", field=f"conditions.{key}")
    found: list[str] = []
    for item in value:
        text = item.strip() if isinstance(item, str) else ""
        if not text or len(text) > limit or any(ord(c) < 32 for c in text):
            raise ValidationError(
                f"{key}: {str(item)[:40]!r} is not a value (1 to {limit} characters)",
                field=f"conditions.{key}",
            )
        found.append(text)
    if len(found) > MAX_VALUES:
        raise ValidationError(f"{key}: at most {MAX_VALUES} values", field=f"conditions.{key}")
    return tuple(dict.fromkeys(found))


def _ids(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value
    ):
        raise ValidationError("shop_ids must be a list of shop ids", field="conditions.shop_ids")
    return tuple(dict.fromkeys(value))


def _weight(key: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT_G:
        raise ValidationError(f"{key} must be 0 to {MAX_WEIGHT_G} grams", field=f"conditions.{key}")
    return value


@dataclass(frozen=True)
class OrderFacts:
    """What a rule may look at, gathered per order by the service."""

    province: str
    shop_id: int
    platform: str = ""
    weight_g: int | None = None
    skus: frozenset[str] = field(default_factory=frozenset)
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rule:
    name: str
    position: int
    conditions: Conditions
    carrier_account_id: int | None = None
    template: str = ""
    enabled: bool = True


def matches(conditions: Conditions, facts: OrderFacts) -> bool:
    """True when every condition set holds for the order."""
    c = conditions
    if c.provinces and province_key(facts.province) not in {province_key(p) for p in c.provinces}:
        return False
    if c.shop_ids and facts.shop_id not in c.shop_ids:
        return False
    if c.platforms and facts.platform.lower() not in c.platforms:
        return False
    if c.min_weight_g is not None or c.max_weight_g is not None:
        weight = facts.weight_g
        if weight is None:
            return False
        if c.min_weight_g is not None and weight < c.min_weight_g:
            return False
        if c.max_weight_g is not None and weight > c.max_weight_g:
            return False
    if c.skus and not set(c.skus) & facts.skus:
        return False
    return not (c.tags and not set(c.tags) & facts.tags)


def first_match(rules: Sequence[Rule], facts: OrderFacts) -> Rule | None:
    """The first enabled rule, by position then name, whose conditions hold."""
    for rule in sorted(rules, key=lambda r: (r.position, r.name)):
        if rule.enabled and matches(rule.conditions, facts):
            return rule
    return None
