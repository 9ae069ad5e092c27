"""Stock over HTTP: levels (filters, lowest first, the cursor), receipts, counts and
transfers through core's ledger; permissions (403, nothing posted), another org's
warehouses and SKUs (404), bad input (422 naming the field), short stock (409)."""

from __future__ import annotations

from typing import get_args

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY
from api.routes import stock as stock_routes
from core.stock import catalogue, ledger, levels, policies, warehouses
from tests.api.conftest import assert_problem, login


def _world(app, org) -> None:  # type: ignore[no-untyped-def]
    warehouses.add_warehouse(app, org.admin, "主仓")
    warehouses.add_warehouse(app, org.admin, "北仓")
    for code, name in (("CUP", "保温杯 红"), ("LID", "杯盖"), ("MUG", "Mug")):
        catalogue.add_sku(app, org.admin, code, name)


def _levels(app, actor) -> list[tuple[str, str, int, int]]:  # type: ignore[no-untyped-def]
    return [
        (lv.warehouse, lv.code, lv.on_hand, lv.reserved) for lv in levels.list_levels(app, actor)
    ]


def test_receive_count_transfer_and_list(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    r = client.post(
        "/v1/stock/receipts",
        json={"lines": [{"code": "CUP", "quantity": 40}, {"code": "LID", "quantity": 7}],
              "reference": "RK-001"},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json() == {"moves": 2, "units": 47}
    r = client.post(
        "/v1/stock/counts",
        json={"lines": [{"code": "LID", "quantity": 5}], "warehouse": "主仓"},
        headers=headers,
    )
    assert r.json() == {"moves": 1, "units": 2}
    r = client.post(
        "/v1/stock/transfers",
        json={"source": "主仓", "destination": "北仓", "lines": [{"code": "CUP", "quantity": 10}]},
        headers=headers,
    )
    assert r.json() == {"moves": 2, "units": 10}
    r = client.get("/v1/stock", headers=headers)
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {"warehouse": "主仓", "code": "CUP", "name": "保温杯 红", "on_hand": 30,
             "reserved": 0, "available": 30},
            {"warehouse": "主仓", "code": "LID", "name": "杯盖", "on_hand": 5,
             "reserved": 0, "available": 5},
            {"warehouse": "北仓", "code": "CUP", "name": "保温杯 红", "on_hand": 10,
             "reserved": 0, "available": 10},
        ],
        "next_cursor": None,
    }  # fmt: skip
    assert _levels(app, acme.admin) == [
        ("主仓", "CUP", 30, 0),
        ("主仓", "LID", 5, 0),
        ("北仓", "CUP", 10, 0),
    ]
    r = client.get("/v1/stock?warehouse=北仓", headers=headers)
    assert [(i["warehouse"], i["code"]) for i in r.json()["items"]] == [("北仓", "CUP")]
    r = client.get("/v1/stock?text=杯盖", headers=headers)
    assert [i["code"] for i in r.json()["items"]] == ["LID"]
    r = client.get("/v1/stock?order=available", headers=headers)
    assert [i["available"] for i in r.json()["items"]] == [5, 10, 30]


def test_pages_follow_the_cursor_in_both_orders(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    lines = [{"code": c, "quantity": q} for c, q in (("CUP", 3), ("LID", 1), ("MUG", 2))]
    client.post("/v1/stock/receipts", json={"lines": lines}, headers=headers)
    client.post(
        "/v1/stock/receipts", json={"lines": lines[:2], "warehouse": "北仓"}, headers=headers
    )
    main, north = "主仓", "北仓"
    by_house = [(main, "CUP"), (main, "LID"), (main, "MUG"), (north, "CUP"), (north, "LID")]
    by_available = [(main, "LID"), (north, "LID"), (main, "MUG"), (main, "CUP"), (north, "CUP")]
    for order, expected in (("warehouse", by_house), ("available", by_available)):
        seen, url, pages = [], f"/v1/stock?limit=2&order={order}", 0
        while url:
            body = client.get(url, headers=headers).json()
            seen += [(i["warehouse"], i["code"]) for i in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            url = f"/v1/stock?limit=2&order={order}&after={cursor}" if cursor else ""
        assert seen == expected and pages == 3


def test_low_lists_only_levels_at_or_below_their_threshold(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    lines = [{"code": "CUP", "quantity": 5}, {"code": "LID", "quantity": 50}]
    client.post("/v1/stock/receipts", json={"lines": lines}, headers=headers)
    policies.set_threshold(app, acme.admin, "CUP", 5)
    policies.set_threshold(app, acme.admin, "LID", 10)
    r = client.get("/v1/stock?low=true", headers=headers)
    assert [(i["code"], i["available"]) for i in r.json()["items"]] == [("CUP", 5)]


def test_permissions_and_nothing_posted(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    acme.staff("viewer", "read_only")
    acme.staff("guest")
    viewer, guest = login(client, "viewer"), login(client, "guest")
    assert client.get("/v1/stock", headers=viewer).status_code == 200
    assert_problem(client.get("/v1/stock", headers=guest), 403, "permission_denied")
    one = [{"code": "CUP", "quantity": 1}]
    for path, body in (
        ("/v1/stock/receipts", {"lines": one}),
        ("/v1/stock/counts", {"lines": one}),
        ("/v1/stock/transfers", {"lines": one, "source": "主仓", "destination": "北仓"}),
    ):
        body_ = assert_problem(
            client.post(path, json=body, headers=viewer), 403, "permission_denied"
        )
        assert body_["permission"] == "stock.adjust"
    assert _levels(app, acme.admin) == []


def test_another_orgs_warehouses_and_skus_are_not_found(
    client: ApiClient, app, acme, globex
) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    warehouses.add_warehouse(app, globex.admin, "外仓")
    catalogue.add_sku(app, globex.admin, "GLOBEX-ONLY")
    headers = login(client, "boss")
    r = client.post(
        "/v1/stock/receipts",
        json={"lines": [{"code": "CUP", "quantity": 1}], "warehouse": "外仓"},
        headers=headers,
    )
    assert assert_problem(r, 404, "not_found")["field"] == "warehouse"
    r = client.post(
        "/v1/stock/receipts",
        json={"lines": [{"code": "CUP", "quantity": 1}, {"code": "GLOBEX-ONLY", "quantity": 1}]},
        headers=headers,
    )
    body = assert_problem(r, 404, "not_found")
    assert (body["field"], body["row"]) == ("code", 2)
    r = client.get("/v1/stock?warehouse=外仓", headers=headers)
    assert r.json()["items"] == []
    assert _levels(app, acme.admin) == []


def test_bad_input_names_the_field(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    one = [{"code": "CUP", "quantity": 1}]
    cases = [
        # msgspec names the body's top-level field (the detail has `lines[0].quantity`)
        ({"lines": [{"code": "CUP", "quantity": 0}]}, "/v1/stock/receipts", "lines"),
        ({"lines": [{"code": "CUP", "quantity": -1}]}, "/v1/stock/counts", "lines"),
        ({"lines": []}, "/v1/stock/receipts", "lines"),
        ({"lines": [{"code": "", "quantity": 1}]}, "/v1/stock/receipts", "lines"),
        ({"lines": [{"code": "CUP", "quantity": 1}], "extra": 1}, "/v1/stock/receipts", "extra"),
        ({"lines": one, "source": "主仓"}, "/v1/stock/transfers", "destination"),
        ({"lines": one, "source": "主仓", "destination": "主仓"}, "/v1/stock/transfers",
         "destination"),
    ]  # fmt: skip
    for body, path, name in cases:
        r = client.post(path, json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, (body, r.text)
    for query, name in (
        ("limit=0", "limit"),
        ("after=%25%25", "after"),
        ("after=WyJ4Il0", "after"),  # ["x"]: not a key of this order
        ("order=available&after=WzEwMDAwMDAwMDAwMDAwMDAwMDAwMCwxLDFd", "after"),  # [1e20,1,1]
        ("order=random", "order"),
        ("low=perhaps", "low"),
        ("text=" + "+w" * 11, "text"),
    ):
        r = client.get(f"/v1/stock?{query}", headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, query
    assert _levels(app, acme.admin) == []


def test_a_transfer_short_of_stock_is_a_conflict(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    client.post(
        "/v1/stock/receipts", json={"lines": [{"code": "CUP", "quantity": 2}]}, headers=headers
    )
    r = client.post(
        "/v1/stock/transfers",
        json={"source": "主仓", "destination": "北仓", "lines": [{"code": "CUP", "quantity": 3}]},
        headers=headers,
    )
    assert_problem(r, 409, "insufficient_stock")
    assert _levels(app, acme.admin) == [("主仓", "CUP", 2, 0)]


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    headers = login(client, "boss")
    one = [{"code": "CUP", "quantity": 4}]
    bodies = {
        "/v1/stock/receipts": {"lines": one},
        "/v1/stock/counts": {"lines": one, "warehouse": "北仓"},
        "/v1/stock/transfers": {"lines": one, "source": "主仓", "destination": "北仓"},
    }
    checked = 0
    for op in REGISTRY.operations:
        if op.path == "/v1/stock" or op.path in bodies:
            if op.method == "GET":
                r = client.get(op.path + "?limit=1", headers=headers)
            else:
                r = client.post(op.path, json=bodies[op.path], headers=headers)
            assert r.status_code == op.status, r.text
            msgspec.json.decode(r.content, type=op.response, strict=True)
            checked += 1
    assert checked == 4


def test_moves_list_the_ledger_newest_first(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    _world(app, globex)
    warehouses.add_warehouse(app, globex.admin, "外仓")
    headers = login(client, "boss")
    one = [{"code": "CUP", "quantity": 3}]
    client.post("/v1/stock/receipts", json={"lines": one, "reference": "RK-1"}, headers=headers)
    transfer = {"lines": one, "source": "主仓", "destination": "北仓", "reference": "DB-1"}
    client.post("/v1/stock/transfers", json=transfer, headers=headers)
    r = client.get("/v1/stock/moves", headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [
        (m["warehouse"], m["code"], m["on_hand_delta"], m["reserved_delta"], m["reason"],
         m["reference"], m["actor"])
        for m in items
    ] == [
        ("北仓", "CUP", 3, 0, "transfer_in", "DB-1", "boss"),
        ("主仓", "CUP", -3, 0, "transfer_out", "DB-1", "boss"),
        ("主仓", "CUP", 3, 0, "receipt", "RK-1", "boss"),
    ]  # fmt: skip
    assert r.json()["next_cursor"] is None
    seen, url = [], "/v1/stock/moves?limit=2"
    while url:
        body = client.get(url, headers=headers).json()
        seen += [m["id"] for m in body["items"]]
        url = f"/v1/stock/moves?limit=2&after={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == [m["id"] for m in items]
    r = client.get("/v1/stock/moves?warehouse=北仓&reason=transfer_in&code=CUP", headers=headers)
    assert [m["reference"] for m in r.json()["items"]] == ["DB-1"]
    r = client.get("/v1/stock/moves?reference=RK-1", headers=headers)
    assert [m["reason"] for m in r.json()["items"]] == ["receipt"]
    # Another org's warehouse or SKU is not found; a user without stock.view is refused.
    assert_problem(client.get("/v1/stock/moves?warehouse=外仓", headers=headers), 404, "not_found")
    globex_sku = "GLOBEX-ONLY"
    catalogue.add_sku(app, globex.admin, globex_sku)
    r = client.get(f"/v1/stock/moves?code={globex_sku}", headers=headers)
    assert_problem(r, 404, "not_found")
    acme.staff("guest")
    r = client.get("/v1/stock/moves", headers=login(client, "guest"))
    assert assert_problem(r, 403, "permission_denied")["permission"] == "stock.view"
    for query, name in (
        ("reason=theft", "reason"),
        ("after=WyJ4IiwxXQ", "after"),
        ("limit=0", "limit"),
    ):
        r = client.get(f"/v1/stock/moves?{query}", headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, query
    r = client.get("/v1/stock/moves?limit=1", headers=headers)
    msgspec.json.decode(r.content, type=stock_routes.MovePage, strict=True)


def test_the_reasons_are_cores() -> None:
    assert get_args(stock_routes.Reason) == ledger.REASONS
