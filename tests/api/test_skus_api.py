"""SKUs and SKU mappings over HTTP: the catalogue's pages, adding and changing SKUs (the
cost only with finance.view), platform SKU → merchant SKUs (bundles), the unmapped list;
permissions, another org's SKUs (404), bad input (422 naming the field)."""

from __future__ import annotations

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY
from core.stock import catalogue, mapping
from tests.api.conftest import assert_problem, login
from tests.packages.desk import Desk, make_order


def _codes(app, actor) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.code for s in catalogue.list_skus(app, actor)]


def test_add_list_and_change_skus(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    r = client.post(
        "/v1/skus",
        json={"code": "CUP-500-RED", "name": "保温杯 500ml 红", "barcode": "6901234567892",
              "weight_g": 350, "cost_fen": 1250},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/skus/CUP-500-RED"
    sku_id = r.json()["id"]
    assert r.json() == {
        "id": sku_id, "code": "CUP-500-RED", "name": "保温杯 500ml 红",
        "barcode": "6901234567892", "weight_g": 350, "cost_fen": 1250,
    }  # fmt: skip
    for code in ("LID", "BOX", "杯套"):
        assert client.post("/v1/skus", json={"code": code}, headers=headers).status_code == 201
    r = client.patch("/v1/skus/LID", json={"name": "杯盖", "cost_fen": 80}, headers=headers)
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["cost_fen"], r.json()["weight_g"]) == ("杯盖", 80, 0)
    seen, url = [], "/v1/skus?limit=3"
    while url:
        body = client.get(url, headers=headers).json()
        seen += [s["code"] for s in body["items"]]
        url = f"/v1/skus?limit=3&after={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == _codes(app, acme.admin) == ["BOX", "CUP-500-RED", "LID", "杯套"]
    r = client.get("/v1/skus?text=杯盖", headers=headers)
    assert [s["code"] for s in r.json()["items"]] == ["LID"]


def test_the_cost_needs_finance_view(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, acme.admin, "CUP", cost_fen=1250)
    acme.staff("keeper", "warehouse")  # stock.adjust, no finance.view
    keeper = login(client, "keeper")
    r = client.get("/v1/skus", headers=keeper)
    assert r.json()["items"][0]["cost_fen"] is None
    r = client.patch("/v1/skus/CUP", json={"cost_fen": 1}, headers=keeper)
    assert assert_problem(r, 403, "permission_denied")["permission"] == "finance.view"
    r = client.post("/v1/skus", json={"code": "NEW", "cost_fen": 1}, headers=keeper)
    assert_problem(r, 403, "permission_denied")
    r = client.patch("/v1/skus/CUP", json={"weight_g": 300}, headers=keeper)
    assert (r.json()["weight_g"], r.json()["cost_fen"]) == (300, None)
    assert catalogue.list_skus(app, acme.admin)[0].cost_fen == 1250
    assert _codes(app, acme.admin) == ["CUP"]


def test_permissions_and_nothing_changed(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, acme.admin, "CUP", "杯")
    acme.staff("viewer", "read_only")
    acme.staff("guest")
    viewer, guest = login(client, "viewer"), login(client, "guest")
    assert client.get("/v1/skus", headers=viewer).status_code == 200
    for path in ("/v1/skus", "/v1/sku-mappings", "/v1/sku-mappings/unmapped"):
        assert_problem(client.get(path, headers=guest), 403, "permission_denied")
    writes = (
        client.post("/v1/skus", json={"code": "X"}, headers=viewer),
        client.patch("/v1/skus/CUP", json={"name": "改"}, headers=viewer),
        client.put(
            "/v1/sku-mappings/pinduoduo/111", json={"parts": [{"code": "CUP"}]}, headers=viewer
        ),
        client.delete("/v1/sku-mappings/pinduoduo/111", headers=viewer),
    )
    for r in writes:
        assert assert_problem(r, 403, "permission_denied")["permission"] == "stock.adjust"
    assert [(s.code, s.name) for s in catalogue.list_skus(app, acme.admin)] == [("CUP", "杯")]
    assert mapping.list_mappings(app, acme.admin) == []


def test_another_orgs_skus_are_not_found(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, globex.admin, "GLOBEX-ONLY", "theirs")
    mapping.map_platform_sku(app, globex.admin, "pinduoduo", "999", [mapping.Part("GLOBEX-ONLY")])
    headers = login(client, "boss")
    assert_problem(
        client.patch("/v1/skus/GLOBEX-ONLY", json={"name": "mine"}, headers=headers),
        404,
        "not_found",
    )
    r = client.put(
        "/v1/sku-mappings/pinduoduo/1", json={"parts": [{"code": "GLOBEX-ONLY"}]}, headers=headers
    )
    assert_problem(r, 404, "not_found")
    assert_problem(
        client.delete("/v1/sku-mappings/pinduoduo/999", headers=headers), 404, "not_found"
    )
    assert client.get("/v1/skus", headers=headers).json()["items"] == []
    assert client.get("/v1/sku-mappings", headers=headers).json()["items"] == []
    assert catalogue.list_skus(app, globex.admin)[0].name == "theirs"
    assert len(mapping.list_mappings(app, globex.admin)) == 1


def test_bad_input_names_the_field(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, acme.admin, "CUP")
    headers = login(client, "boss")
    for body, name in (
        ({"name": "x"}, "code"),
        ({"code": "A B"}, "code"),
        ({"code": "X", "weight_g": -1}, "weight_g"),
        ({"code": "X", "cost_fen": -5}, "cost_fen"),
        ({"code": "X", "colour": "red"}, "colour"),
    ):
        r = client.post("/v1/skus", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.post("/v1/skus", json={"code": "CUP"}, headers=headers)
    assert assert_problem(r, 409, "conflict")["field"] == "code"
    r = client.patch("/v1/skus/CUP", json={"weight_g": "heavy"}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "weight_g"
    for body, name in (
        ({"parts": []}, "parts"),
        ({"parts": [{"code": "CUP", "quantity": 0}]}, "parts"),
        ({}, "parts"),
    ):
        r = client.put("/v1/sku-mappings/pinduoduo/1", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.put(
        "/v1/sku-mappings/pinduoduo/1", json={"parts": [{"code": "NOPE"}]}, headers=headers
    )
    assert_problem(r, 404, "not_found")
    r = client.get("/v1/skus?limit=501", headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "limit"
    assert _codes(app, acme.admin) == ["CUP"]
    assert mapping.list_mappings(app, acme.admin) == []


def test_mappings_bundles_and_the_unmapped_list(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    for code in ("CUP", "LID"):
        catalogue.add_sku(app, acme.admin, code)
    desk = Desk(app, acme)
    shop = desk.shop()
    order = make_order("A-1")
    desk.store(shop, order)  # one line: platform SKU sku-1, outer_id SKU-杯子
    headers = login(client, "boss")
    r = client.get("/v1/sku-mappings/unmapped", headers=headers)
    assert r.status_code == 200
    assert r.json()["items"] == [
        {"platform": "pinduoduo", "platform_sku_id": "sku-1", "outer_id": "SKU-杯子",
         "title": "杯子", "orders": 1}
    ]  # fmt: skip
    r = client.put(
        "/v1/sku-mappings/pinduoduo/sku-1",
        json={"parts": [{"code": "CUP"}, {"code": "LID", "quantity": 2}]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    bundle = {
        "platform": "pinduoduo",
        "platform_sku_id": "sku-1",
        "parts": [{"code": "CUP", "quantity": 1}, {"code": "LID", "quantity": 2}],
    }
    assert r.json() == bundle
    assert client.get("/v1/sku-mappings", headers=headers).json() == {
        "items": [bundle],
        "next_cursor": None,
    }
    assert client.get("/v1/sku-mappings/unmapped", headers=headers).json()["items"] == []
    r = client.delete("/v1/sku-mappings/pinduoduo/sku-1", headers=headers)
    assert r.status_code == 204
    assert mapping.list_mappings(app, acme.admin) == []


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, acme.admin, "CUP", cost_fen=5)
    headers = login(client, "boss")
    calls = {
        ("GET", "/v1/skus"): lambda: client.get("/v1/skus", headers=headers),
        ("POST", "/v1/skus"): lambda: client.post("/v1/skus", json={"code": "N"}, headers=headers),
        ("PATCH", "/v1/skus/{code}"): lambda: client.patch(
            "/v1/skus/CUP", json={"name": "n"}, headers=headers
        ),
        ("PUT", "/v1/sku-mappings/{platform}/{platform_sku}"): lambda: client.put(
            "/v1/sku-mappings/pinduoduo/1", json={"parts": [{"code": "CUP"}]}, headers=headers
        ),
        ("GET", "/v1/sku-mappings"): lambda: client.get("/v1/sku-mappings", headers=headers),
        ("GET", "/v1/sku-mappings/unmapped"): lambda: client.get(
            "/v1/sku-mappings/unmapped", headers=headers
        ),
    }
    checked = 0
    for op in REGISTRY.operations:
        if (op.method, op.path) in calls:
            r = calls[(op.method, op.path)]()
            assert r.status_code == op.status, r.text
            msgspec.json.decode(r.content, type=op.response, strict=True)
            checked += 1
    assert checked == len(calls)
