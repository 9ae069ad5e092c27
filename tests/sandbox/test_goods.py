"""`pdd.goods.quantity.update` in the sandbox: parameters checked as the platform would,
full and incremental updates, and every applied call recorded."""

from __future__ import annotations

from plugins.platforms.pinduoduo.sandbox.data_catalogue import CATALOGUE
from tests.sandbox.conftest import Gateway

API = "pdd.goods.quantity.update"
GOODS = CATALOGUE[4]  # CUP: three SKUs


def test_full_and_incremental_updates_are_applied_and_recorded(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    sku = GOODS.skus[1]
    body = gw.ok(API, token, goods_id=GOODS.goods_id, sku_id=sku.sku_id, quantity=12, update_type=1)
    assert body["is_success"] is True
    gw.ok(API, token, goods_id=GOODS.goods_id, outer_id=sku.outer_id, quantity=-5, update_type=2)
    owner = sandbox.shops[0].owner_id
    assert sandbox.goods_stock[(owner, GOODS.goods_id, sku.sku_id)] == 7
    assert [(u["sku_id"], u["quantity"], u["update_type"]) for u in sandbox.quantity_updates] == [
        (sku.sku_id, 12, 1),
        (sku.sku_id, -5, 2),
    ]
    # Without update_type it is a full update.
    gw.ok(API, token, goods_id=GOODS.goods_id, sku_id=sku.sku_id, quantity=3)
    assert sandbox.goods_stock[(owner, GOODS.goods_id, sku.sku_id)] == 3


def test_bad_parameters_are_refused_and_not_recorded(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    sku = GOODS.skus[0]
    cases = [
        ({"sku_id": sku.sku_id, "quantity": 1}, 10000, "goods_id"),
        ({"goods_id": GOODS.goods_id, "sku_id": sku.sku_id}, 10000, "quantity"),
        ({"goods_id": GOODS.goods_id, "quantity": 1}, 10000, "sku_id 和 outer_id"),
        ({"goods_id": GOODS.goods_id, "sku_id": sku.sku_id, "quantity": -1}, 10000, "quantity"),
        (
            {"goods_id": GOODS.goods_id, "sku_id": sku.sku_id, "quantity": 1, "update_type": 3},
            10000,
            "update_type",
        ),
        ({"goods_id": 42, "sku_id": sku.sku_id, "quantity": 1}, 50001, "商品 42 不存在"),
        ({"goods_id": GOODS.goods_id, "sku_id": 7, "quantity": 1}, 50001, "没有 SKU 7"),
        (
            {"goods_id": GOODS.goods_id, "sku_id": sku.sku_id, "quantity": -1, "update_type": 2},
            50001,
            "不能小于0",
        ),
    ]
    for params, code, text in cases:
        error = gw.error(API, token, **params)
        assert error["error_code"] == code and text in error["sub_msg"], (params, error)
    assert (
        gw.error(API, None, goods_id=GOODS.goods_id, sku_id=sku.sku_id, quantity=1)["error_code"]
        == 10001
    )  # a merchant API: the token is required
    assert sandbox.quantity_updates == []
