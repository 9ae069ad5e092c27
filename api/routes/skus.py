"""`/v1/skus` and `/v1/sku-mappings`: the merchant's SKUs (商品档案) and which of them a
platform SKU is (SKU 对应, bundles included).

Reading needs `stock.view`, changing `stock.adjust`. The cost price (`cost_fen`) is
there only for readers with `finance.view` (null otherwise) and only they may set it:
core decides both. The unmapped list is the platform SKUs on open orders that map to no
merchant SKU, most waiting orders first.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import msgspec

from api.contract import Call, Operation, Reply
from api.routes.stock import MAX_LIMIT, Code, Text
from core.stock import catalogue, mapping
from core.stock.catalogue import SkuInfo
from core.stock.mapping import MappingInfo, Part, UnmappedSku

Grams = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Fen = Annotated[int, msgspec.Meta(ge=0, le=10**15)]
SkuName = Annotated[str, msgspec.Meta(max_length=255)]
Barcode = Annotated[str, msgspec.Meta(max_length=64)]


class SkuQuery(msgspec.Struct, forbid_unknown_fields=True):
    text: Text = ""  # every word in the code, name or barcode
    after: Code | None = None  # a page's next_cursor (the last code)
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 100


class SkuPage(msgspec.Struct):
    items: list[SkuInfo]
    next_cursor: str | None


class NewSku(msgspec.Struct, forbid_unknown_fields=True):
    code: Code  # 商家编码: what order lines carry as outer_id
    name: SkuName = ""
    barcode: Barcode = ""
    weight_g: Grams = 0
    cost_fen: Fen | None = None  # needs finance.view


class SkuChange(msgspec.Struct, forbid_unknown_fields=True):
    name: SkuName | None = None  # null or absent: unchanged
    barcode: Barcode | None = None
    weight_g: Grams | None = None
    cost_fen: Fen | None = None  # needs finance.view


class MappingPart(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1


class MappingBody(msgspec.Struct, forbid_unknown_fields=True):
    parts: Annotated[list[MappingPart], msgspec.Meta(min_length=1, max_length=mapping.MAX_PARTS)]


class MappingList(msgspec.Struct):
    items: list[MappingInfo]
    next_cursor: str | None = None


class UnmappedList(msgspec.Struct):
    items: list[UnmappedSku]
    next_cursor: str | None = None


def _list_skus(call: Call) -> SkuPage:
    q: SkuQuery = call.query
    assert call.actor is not None
    found = catalogue.list_skus(call.app, call.actor, text=q.text, after=q.after, limit=q.limit + 1)
    page = found[: q.limit]
    return SkuPage(page, page[-1].code if len(found) > q.limit else None)


def _add_sku(call: Call) -> Reply:
    body: NewSku = call.body
    assert call.actor is not None
    sku = catalogue.add_sku(
        call.app,
        call.actor,
        body.code,
        body.name,
        barcode=body.barcode,
        weight_g=body.weight_g,
        cost_fen=body.cost_fen,
    )
    return Reply(sku, headers={"Location": f"/v1/skus/{quote(sku.code, safe='')}"})


def _update_sku(call: Call) -> SkuInfo:
    body: SkuChange = call.body
    assert call.actor is not None
    return catalogue.update_sku(
        call.app,
        call.actor,
        call.path["code"],
        name=body.name,
        barcode=body.barcode,
        weight_g=body.weight_g,
        cost_fen=body.cost_fen,
    )


def _list_mappings(call: Call) -> MappingList:
    assert call.actor is not None
    return MappingList(mapping.list_mappings(call.app, call.actor))


def _map_sku(call: Call) -> MappingInfo:
    body: MappingBody = call.body
    assert call.actor is not None
    return mapping.map_platform_sku(
        call.app,
        call.actor,
        call.path["platform"],
        call.path["platform_sku"],
        [Part(p.code, p.quantity) for p in body.parts],
    )


def _unmap_sku(call: Call) -> None:
    assert call.actor is not None
    mapping.unmap_platform_sku(
        call.app, call.actor, call.path["platform"], call.path["platform_sku"]
    )


def _unmapped_skus(call: Call) -> UnmappedList:
    assert call.actor is not None
    return UnmappedList(mapping.unmapped(call.app, call.actor))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/skus",
        "The org's SKUs by code (text filter, keyset pagination); cost only with finance.view",
        _list_skus,
        SkuPage,
        query=SkuQuery,
        permission="stock.view",
        tags=("skus",),
    ),
    Operation(
        "POST",
        "/v1/skus",
        "Add a SKU (a cost needs finance.view)",
        _add_sku,
        SkuInfo,
        request=NewSku,
        permission="stock.adjust",
        status=201,
        errors=(409,),
        tags=("skus",),
    ),
    Operation(
        "PATCH",
        "/v1/skus/{code}",
        "Change a SKU's name, barcode, weight or (with finance.view) cost",
        _update_sku,
        SkuInfo,
        request=SkuChange,
        permission="stock.adjust",
        errors=(404,),
        tags=("skus",),
    ),
    Operation(
        "GET",
        "/v1/sku-mappings",
        "The platform SKUs mapped by hand to merchant SKUs (bundles: several parts)",
        _list_mappings,
        MappingList,
        permission="stock.view",
        tags=("skus",),
    ),
    Operation(
        "GET",
        "/v1/sku-mappings/unmapped",
        "Platform SKUs on open orders that map to no merchant SKU, most orders first",
        _unmapped_skus,
        UnmappedList,
        permission="stock.view",
        tags=("skus",),
    ),
    Operation(
        "PUT",
        "/v1/sku-mappings/{platform}/{platform_sku}",
        "Map a platform SKU to merchant SKUs × quantities (replaces its mapping)",
        _map_sku,
        MappingInfo,
        request=MappingBody,
        permission="stock.adjust",
        errors=(404,),
        tags=("skus",),
    ),
    Operation(
        "DELETE",
        "/v1/sku-mappings/{platform}/{platform_sku}",
        "Remove a platform SKU's mapping",
        _unmap_sku,
        None,
        permission="stock.adjust",
        status=204,
        errors=(404,),
        tags=("skus",),
    ),
)
