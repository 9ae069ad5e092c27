"""Goods stock (商品库存): `pdd.goods.quantity.update`, as merchants' ERPs call it.

Checked as the platform would: `goods_id` one of the catalogue's goods (every seeded shop
sells the whole catalogue), `sku_id` one of that goods' SKUs — or, without `sku_id`,
`outer_id` naming one —, `update_type` 1 (full: `quantity` ≥ 0) or 2 (incremental: the
stock may not go below 0). Each applied call is recorded (`Sandbox.quantity_updates`:
shop, goods, SKU, quantity, update type, time) and the SKU's stock kept per shop
(`Sandbox.goods_stock`), so tests can assert what reached the platform.
"""

from __future__ import annotations

from typing import Any

from plugins.platforms.pinduoduo.sandbox.data_catalogue import CATALOGUE
from plugins.platforms.pinduoduo.sandbox.errors import ApiError
from plugins.platforms.pinduoduo.sandbox.gateway import Call

GOODS = {goods.goods_id: goods for goods in CATALOGUE}
FULL, INCREMENTAL = 1, 2


def quantity_update(call: Call) -> dict[str, Any]:
    goods_id = call.integer("goods_id", low=1)
    update_type = call.integer("update_type", FULL, low=FULL, high=INCREMENTAL)
    quantity = call.integer("quantity", low=0 if update_type == FULL else None)
    goods = GOODS.get(goods_id)
    if goods is None:
        raise ApiError.business(
            f"商品 {goods_id} 不存在或不属于当前店铺", sub_code="goods_not_found"
        )
    raw_sku, outer_id = call.params.get("sku_id", ""), call.params.get("outer_id", "")
    if raw_sku:
        sku_id = call.integer("sku_id", low=1)
        sku = next((s for s in goods.skus if s.sku_id == sku_id), None)
    elif outer_id:
        sku = next((s for s in goods.skus if s.outer_id == outer_id), None)
    else:
        raise ApiError.param("sku_id 和 outer_id 必填一个")
    if sku is None:
        which = raw_sku or outer_id
        raise ApiError.business(f"商品 {goods_id} 下没有 SKU {which}", sub_code="sku_not_found")
    key = (call.owner_id, goods_id, sku.sku_id)
    sandbox = call.sandbox
    stock = quantity if update_type == FULL else sandbox.goods_stock.get(key, 0) + quantity
    if stock < 0:
        raise ApiError.business("增量更新后库存不能小于0", sub_code="quantity_below_zero")
    sandbox.goods_stock[key] = stock
    sandbox.quantity_updates.append(
        {
            "owner_id": call.owner_id,
            "goods_id": goods_id,
            "sku_id": sku.sku_id,
            "outer_id": outer_id,
            "quantity": quantity,
            "update_type": update_type,
            "at": call.now,
        }
    )
    return {"is_success": True}
