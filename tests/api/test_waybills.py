"""Waybills and carriers over HTTP: the keyset list, allocating for orders or packages
(typed numbers, a manual carrier), re-allocating with a reason, cancelling by number;
the carrier plugins and accounts (never credentials); 403, 404 and 422 naming the field."""

from __future__ import annotations

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY, carriers
from tests.api.conftest import assert_problem, login
from tests.packages.desk import Desk, make_order


def _desk(app, org, *numbers: str, shop_id: str = "9001") -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(app, org)
    shop = desk.shop(platform_shop_id=shop_id)
    desk.store(shop, *(make_order(n) for n in numbers))
    desk.manual_account()
    return desk


def _allocate(client: ApiClient, headers, **body):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/waybills/allocate", json={"account": "manual-SF", **body}, headers=headers
    )


def test_allocate_list_and_cancel(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _desk(app, acme, "A-1", "A-2", "A-3")
    headers = login(client, "boss")
    numbers = {"A-1": "SF3000000001", "A-2": "SF3000000002", "A-3": "SF3000000003"}
    r = _allocate(client, headers, orders=list(numbers), numbers=numbers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account"] == "manual-SF" and body["refused"] == []
    assert [(o["orders"], o["outcome"], o["number"]) for o in body["outcomes"]] == [
        (["A-1"], "allocated", "SF3000000001"),
        (["A-2"], "allocated", "SF3000000002"),
        (["A-3"], "allocated", "SF3000000003"),
    ]
    again = _allocate(client, headers, orders=["A-1"]).json()
    assert [(o["outcome"], o["number"]) for o in again["outcomes"]] == [("kept", "SF3000000001")]

    seen, url = [], "/v1/waybills?limit=2"
    while url:
        page = client.get(url, headers=headers).json()
        seen += [(w["number"], w["status"], w["order_numbers"]) for w in page["items"]]
        url = page["next_cursor"] and f"/v1/waybills?limit=2&after={page['next_cursor']}"
    assert seen == [
        ("SF3000000003", "allocated", ["A-3"]),
        ("SF3000000002", "allocated", ["A-2"]),
        ("SF3000000001", "allocated", ["A-1"]),
    ]
    r = client.get("/v1/waybills", params={"order": "A-2"}, headers=headers)
    assert [w["number"] for w in r.json()["items"]] == ["SF3000000002"]

    r = client.post(
        "/v1/waybills/cancel", json={"numbers": ["SF3000000002"], "reason": "x"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert [(c["number"], c["outcome"]) for c in r.json()["items"]] == [
        ("SF3000000002", "recycled")
    ]
    r = client.get("/v1/waybills", params={"status": "recycled"}, headers=headers)
    assert [w["number"] for w in r.json()["items"]] == ["SF3000000002"]


def test_allocate_for_packages_and_reallocate(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    package_id = desk.waybill("A-1", "SF4000000001")
    headers = login(client, "boss")
    body = assert_problem(
        _allocate(client, headers, packages=[package_id], reallocate=True), 422, "validation_error"
    )
    assert body["field"] == "reason"
    r = _allocate(
        client,
        headers,
        packages=[package_id],
        numbers={str(package_id): "SF4000000002"},
        reallocate=True,
        reason="label torn",
    )
    assert r.status_code == 200, r.text
    assert [(o["package_id"], o["outcome"], o["number"]) for o in r.json()["outcomes"]] == [
        (package_id, "allocated", "SF4000000002")
    ]
    assert [c["number"] for c in r.json()["cancelled"]] == ["SF4000000001"]


def test_bad_input_names_the_field(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _desk(app, acme, "A-1")
    headers = login(client, "boss")
    for body, name in (
        ({"orders": ["A-1"]}, "account"),
        ({"account": "manual-SF", "orders": ["A-1"], "packages": [1]}, "orders"),
        ({"account": "manual-SF"}, "orders"),
        ({"account": "manual-SF", "packages": [0]}, "packages"),
        ({"account": "manual-SF", "orders": ["A-1"], "numbers": {"Z-9": "SF1"}}, "numbers"),
        ({"account": "manual-SF", "orders": ["A-1"], "extra": 1}, "extra"),
    ):
        r = client.post("/v1/waybills/allocate", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.post("/v1/waybills/cancel", json={"numbers": []}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "numbers"
    for url, name in (("/v1/waybills?status=lost", "status"), ("/v1/waybills?limit=0", "limit")):
        assert (
            assert_problem(client.get(url, headers=headers), 422, "validation_error")["field"]
            == name
        )
    assert_problem(_allocate(client, headers, orders=["Z-9"]), 404, "not_found")
    r = client.post("/v1/waybills/cancel", json={"numbers": ["SF9"]}, headers=headers)
    assert_problem(r, 404, "not_found")


def test_permissions_and_other_orgs(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1", "A-2")
    desk.waybill("A-1", "SF5000000001")
    _desk(app, globex, "G-1", shop_id="7001")
    acme.staff("guest")
    acme.staff("reader", "read_only")
    guest, reader = login(client, "guest"), login(client, "reader")
    assert_problem(client.get("/v1/waybills", headers=guest), 403, "permission_denied")
    assert client.get("/v1/waybills", headers=reader).status_code == 200
    numbers = {"A-2": "SF5000000002"}
    r = _allocate(client, reader, orders=["A-2"], numbers=numbers)
    assert_problem(r, 403, "permission_denied")
    r = client.post("/v1/waybills/cancel", json={"numbers": ["SF5000000001"]}, headers=reader)
    assert_problem(r, 403, "permission_denied")
    boss = login(client, "boss")
    assert [w["number"] for w in client.get("/v1/waybills", headers=boss).json()["items"]] == [
        "SF5000000001"
    ]
    hank = login(client, "hank")
    assert client.get("/v1/waybills", headers=hank).json()["items"] == []
    assert_problem(_allocate(client, hank, orders=["A-2"], numbers=numbers), 404, "not_found")
    r = client.post("/v1/waybills/cancel", json={"numbers": ["SF5000000001"]}, headers=hank)
    assert_problem(r, 404, "not_found")
    r = _allocate(client, hank, packages=[1], numbers={"1": "SF5000000003"})
    assert r.json()["outcomes"][0]["outcome"] == "failed"  # not globex's package
    assert [w["status"] for w in client.get("/v1/waybills", headers=boss).json()["items"]] == [
        "allocated"
    ]


def test_carriers_and_accounts_without_secrets(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _desk(app, acme, "A-1")
    headers = login(client, "boss")
    r = client.get("/v1/carriers", headers=headers)
    assert r.status_code == 200, r.text
    manual = next(c for c in r.json()["items"] if c["name"] == "manual")
    assert manual["supports_cancel"] is False and manual["max_batch"] == 100
    r = client.get("/v1/carrier-accounts", headers=headers)
    assert r.status_code == 200, r.text
    [account] = r.json()["items"]
    assert (account["name"], account["carrier"], account["wp_code"]) == (
        "manual-SF",
        "manual",
        "SF",
    )
    assert account["sender"]["name"] == "王仓管"
    assert "credentials" not in account and "settings" not in account
    assert client.get("/v1/carrier-accounts", headers=login(client, "hank")).json()["items"] == []
    acme.staff("reader", "read_only")
    reader = login(client, "reader")
    for url in ("/v1/carriers", "/v1/carrier-accounts"):
        assert_problem(client.get(url, headers=reader), 403, "permission_denied")


def test_add_a_carrier_account(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    body = {
        "name": "手工-中通",
        "carrier": "manual",
        "wp_code": "zto",
        "sender": {
            "name": "王仓管",
            "phone": "13800138000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "余杭区",
            "address": "仓前街道 1 号",
        },
    }
    r = client.post("/v1/carrier-accounts", json=body, headers=headers)
    assert r.status_code == 201, r.text
    made = msgspec.json.decode(r.content, type=carriers.CarrierAccount)
    assert (made.name, made.carrier, made.wp_code, made.sender.city) == (
        "手工-中通",
        "manual",
        "ZTO",
        "杭州市",
    )
    listed = client.get("/v1/carrier-accounts", headers=headers).json()["items"]
    assert [a["name"] for a in listed] == ["手工-中通"]
    assert client.get("/v1/carrier-accounts", headers=login(client, "hank")).json()["items"] == []
    # The same name again is a conflict; bad input names the field; no permission: 403.
    assert_problem(client.post("/v1/carrier-accounts", json=body, headers=headers), 409, "conflict")
    problem = assert_problem(
        client.post(
            "/v1/carrier-accounts", json={**body, "name": "x", "carrier": "nope"}, headers=headers
        ),
        422,
        "validation_error",
    )
    assert problem["field"] == "carrier" and "nope" in problem["detail"]
    problem = assert_problem(
        client.post(
            "/v1/carrier-accounts", json={**body, "sender": {"name": "王"}}, headers=headers
        ),
        422,
        "validation_error",
    )
    assert problem["field"] == "phone"
    acme.staff("printer", "print_operator")
    assert_problem(
        client.post(
            "/v1/carrier-accounts", json={**body, "name": "y"}, headers=login(client, "printer")
        ),
        403,
        "permission_denied",
    )
    assert len(client.get("/v1/carrier-accounts", headers=headers).json()["items"]) == 1


def test_answers_decode_as_their_declared_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _desk(app, acme, "A-1")
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    answers = {
        ("POST", "/v1/waybills/allocate"): _allocate(
            client, headers, orders=["A-1"], numbers={"A-1": "SF6000000001"}
        ),
        ("GET", "/v1/waybills"): client.get("/v1/waybills", headers=headers),
        ("POST", "/v1/waybills/cancel"): client.post(
            "/v1/waybills/cancel", json={"numbers": ["SF6000000001"]}, headers=headers
        ),
        ("GET", "/v1/carriers"): client.get("/v1/carriers", headers=headers),
        ("GET", "/v1/carrier-accounts"): client.get("/v1/carrier-accounts", headers=headers),
    }
    for key, answer in answers.items():
        assert answer.status_code == ops[key].status, answer.text
        msgspec.json.decode(answer.content, type=ops[key].response, strict=True)
