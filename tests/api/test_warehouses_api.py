"""Warehouses over HTTP: list, add, change (address, sender, default, rename), bins per
SKU; permissions (403, nothing changed), another org's warehouses (404), bad input (422
naming the field)."""

from __future__ import annotations

from urllib.parse import quote

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY
from core.stock import bins, catalogue, warehouses
from tests.api.conftest import assert_problem, login

MAIN = {
    "name": "主仓",
    "contact": "王仓管",
    "phone": "13800138000",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "address": "文三路 90 号",
}
SENDER = {"province": "浙江省", "city": "杭州市", "district": "余杭区", "address": "仓前街道 1 号"}


def _names(app, actor) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    return [(w.name, w.is_default) for w in warehouses.list_warehouses(app, actor)]


def test_add_list_and_change(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    r = client.post("/v1/warehouses", json={**MAIN, "sender": SENDER}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/warehouses/" + quote("主仓", safe="")
    main = r.json()
    assert main == {
        "id": main["id"],
        "name": "主仓",
        "is_default": True,
        "contact": "王仓管",
        "phone": "13800138000",
        "address": "浙江省杭州市西湖区文三路 90 号",
        "sender": "王仓管 13800138000 浙江省杭州市余杭区仓前街道 1 号",
    }
    r = client.post("/v1/warehouses", json={"name": "北仓"}, headers=headers)
    assert r.status_code == 201 and r.json()["is_default"] is False
    r = client.patch(
        "/v1/warehouses/北仓",
        json={"default": True, "contact": "李", "phone": "139", "sender": SENDER},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["is_default"], r.json()["sender"]) == (
        True,
        "李 139 浙江省杭州市余杭区仓前街道 1 号",
    )
    r = client.patch(
        "/v1/warehouses/主仓",
        json={"name": "南仓", "sender": {"address": ""}},
        headers=headers,
    )
    assert (r.json()["name"], r.json()["sender"]) == ("南仓", "")
    r = client.get("/v1/warehouses", headers=headers)
    assert [(w["name"], w["is_default"]) for w in r.json()["items"]] == [
        ("南仓", False),
        ("北仓", True),
    ]
    assert _names(app, acme.admin) == [("南仓", False), ("北仓", True)]


def test_bins_per_sku(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    warehouses.add_warehouse(app, acme.admin, "主仓")
    for code in ("CUP", "LID"):
        catalogue.add_sku(app, acme.admin, code, code.lower())
    headers = login(client, "boss")
    r = client.put("/v1/warehouses/主仓/bins/CUP", json={"bin": "A-10"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"warehouse": "主仓", "code": "CUP", "name": "cup", "bin": "A-10"}
    client.put("/v1/warehouses/主仓/bins/LID", json={"bin": "A-2"}, headers=headers)
    r = client.get("/v1/warehouses/主仓/bins", headers=headers)
    assert [(b["code"], b["bin"]) for b in r.json()["items"]] == [("LID", "A-2"), ("CUP", "A-10")]
    r = client.put("/v1/warehouses/主仓/bins/LID", json={"bin": ""}, headers=headers)
    assert r.json()["bin"] == ""
    assert [(b.code, b.bin) for b in bins.list_bins(app, acme.admin)] == [("CUP", "A-10")]


def test_permissions_and_nothing_changed(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    warehouses.add_warehouse(app, acme.admin, "主仓")
    catalogue.add_sku(app, acme.admin, "CUP")
    acme.staff("viewer", "read_only")
    acme.staff("guest")
    viewer, guest = login(client, "viewer"), login(client, "guest")
    assert client.get("/v1/warehouses", headers=viewer).status_code == 200
    assert client.get("/v1/warehouses/主仓/bins", headers=viewer).status_code == 200
    for path in ("/v1/warehouses", "/v1/warehouses/主仓/bins"):
        assert_problem(client.get(path, headers=guest), 403, "permission_denied")
    for r in (
        client.post("/v1/warehouses", json={"name": "X"}, headers=viewer),
        client.patch("/v1/warehouses/主仓", json={"name": "Y"}, headers=viewer),
        client.put("/v1/warehouses/主仓/bins/CUP", json={"bin": "A"}, headers=viewer),
    ):
        assert assert_problem(r, 403, "permission_denied")["permission"] == "stock.adjust"
    assert _names(app, acme.admin) == [("主仓", True)]
    assert bins.list_bins(app, acme.admin) == []


def test_another_orgs_warehouses_are_not_found(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    warehouses.add_warehouse(app, acme.admin, "主仓")
    warehouses.add_warehouse(app, globex.admin, "外仓")
    catalogue.add_sku(app, globex.admin, "GLOBEX-ONLY")
    headers = login(client, "boss")
    for r in (
        client.patch("/v1/warehouses/外仓", json={"contact": "me"}, headers=headers),
        client.get("/v1/warehouses/外仓/bins", headers=headers),
        client.put("/v1/warehouses/外仓/bins/GLOBEX-ONLY", json={"bin": "A"}, headers=headers),
        client.put("/v1/warehouses/主仓/bins/GLOBEX-ONLY", json={"bin": "A"}, headers=headers),
    ):
        assert_problem(r, 404, "not_found")
    assert [w["name"] for w in client.get("/v1/warehouses", headers=headers).json()["items"]] == [
        "主仓"
    ]
    assert warehouses.list_warehouses(app, globex.admin)[0].contact == ""


def test_bad_input_names_the_field(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    warehouses.add_warehouse(app, acme.admin, "主仓")
    catalogue.add_sku(app, acme.admin, "CUP")
    headers = login(client, "boss")
    for body, name in (
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "X", "sender": {"province": "浙江省"}}, "sender"),
        ({"name": "X", "default": "yes"}, "default"),
        ({"name": "X", "fax": "1"}, "fax"),
    ):
        r = client.post("/v1/warehouses", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.post("/v1/warehouses", json={"name": "主仓"}, headers=headers)
    assert assert_problem(r, 409, "conflict")["field"] == "name"
    r = client.patch("/v1/warehouses/主仓", json={"default": False}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "default"
    r = client.put("/v1/warehouses/主仓/bins/CUP", json={"bin": "x" * 33}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "bin"
    r = client.put("/v1/warehouses/主仓/bins/NOPE", json={"bin": "A"}, headers=headers)
    assert assert_problem(r, 404, "not_found")["field"] == "code"
    assert _names(app, acme.admin) == [("主仓", True)]


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    catalogue.add_sku(app, acme.admin, "CUP")
    headers = login(client, "boss")
    calls = {
        ("POST", "/v1/warehouses"): lambda: client.post(
            "/v1/warehouses", json={**MAIN, "sender": SENDER}, headers=headers
        ),
        ("GET", "/v1/warehouses"): lambda: client.get("/v1/warehouses", headers=headers),
        ("PATCH", "/v1/warehouses/{name}"): lambda: client.patch(
            "/v1/warehouses/主仓", json={"phone": "1"}, headers=headers
        ),
        ("PUT", "/v1/warehouses/{name}/bins/{code}"): lambda: client.put(
            "/v1/warehouses/主仓/bins/CUP", json={"bin": "B-1"}, headers=headers
        ),
        ("GET", "/v1/warehouses/{name}/bins"): lambda: client.get(
            "/v1/warehouses/主仓/bins", headers=headers
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
