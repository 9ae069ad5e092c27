"""`/v1/shops`: the org's platform shops (never their credentials)."""

from __future__ import annotations

import msgspec

from api.contract import Call, Operation
from core.shops import binding
from core.shops.binding import ShopInfo


class ShopQuery(msgspec.Struct, forbid_unknown_fields=True):
    bound: bool = False  # leave out unbound shops


class ShopList(msgspec.Struct):
    items: list[ShopInfo]
    next_cursor: str | None = None


def _list_shops(call: Call) -> ShopList:
    q: ShopQuery = call.query
    assert call.actor is not None
    return ShopList(binding.list_shops(call.app, call.actor, include_unbound=not q.bound))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/shops",
        "List the org's shops",
        _list_shops,
        ShopList,
        query=ShopQuery,
        permission="order.view or shop.bind",
        tags=("shops",),
    ),
)
