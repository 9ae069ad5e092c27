"""Packages over HTTP: an order's packages, merge candidates, 合单, 拆单, unmerge, weight and
typed tracking numbers; 403 changes nothing, another org's orders and packages are 404."""

from __future__ import annotations

from httpx import Client as ApiClient

from tests.api.conftest import assert_problem, login
from tests.api.test_order_actions import _decode
from tests.packages.desk import WANG, Desk, make_order


def _world(app, acme, globex) -> tuple[Desk, Desk]:  # type: ignore[no-untyped-def]
    desk = Desk(app, acme)
    shop = desk.shop()
    desk.store(
        shop,
        make_order("A1", lines=(("杯子", 2), ("盖子", 1))),
        make_order("A2", lines=(("勺子", 3),)),
        make_order("B1", receiver=WANG),
    )
    other = Desk(app, globex)
    theirs = other.shop(platform_shop_id="7001")
    other.store(theirs, make_order("G1"), make_order("G2"))
    return desk, other


def test_merge_list_unmerge_and_weigh(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk, _ = _world(app, acme, globex)
    headers = login(client, "boss")

    r = client.get("/v1/packages/merge-candidates", headers=headers)
    assert r.status_code == 200, r.text
    (group,) = r.json()["items"]
    assert [o["order_number"] for o in group["orders"]] == ["A1", "A2"]
    assert "13912345678" not in r.text and "李小龙" not in r.text
    _decode(client, "GET", "/v1/packages/merge-candidates", r)

    r = client.post("/v1/packages/merge", json={"orders": ["A1", "A2"]}, headers=headers)
    assert r.status_code == 200, r.text
    merged = r.json()
    package_id = merged["package_id"]
    assert merged == {
        "package_id": package_id,
        "status": "new",
        "weight_g": None,
        "order_numbers": ["A1", "A2"],
        "lines": [
            {"order_number": "A1", "line_no": 1, "quantity": 2, "title": "杯子"},
            {"order_number": "A1", "line_no": 2, "quantity": 1, "title": "盖子"},
            {"order_number": "A2", "line_no": 1, "quantity": 3, "title": "勺子"},
        ],
    }
    _decode(client, "POST", "/v1/packages/merge", r)

    r = client.get("/v1/orders/A2/packages", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "items": [
            {
                "id": package_id,
                "status": "new",
                "weight_g": None,
                "lines": [["A1", 1, 2], ["A1", 2, 1], ["A2", 1, 3]],
                "waybills": [],
            }
        ],
        "next_cursor": None,
    }
    _decode(client, "GET", "/v1/orders/{number}/packages", r)

    r = client.put(f"/v1/packages/{package_id}/weight", json={"grams": 1250}, headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["package_id"], r.json()["weight_g"]) == (package_id, 1250)

    r = client.post(f"/v1/packages/{package_id}/unmerge", headers=headers)
    assert r.status_code == 200, r.text
    views = r.json()["items"]
    assert [v["order_numbers"] for v in views] == [["A1"], ["A2"]]
    assert views[0]["package_id"] == package_id
    _decode(client, "POST", "/v1/packages/{id}/unmerge", r)
    assert len(desk.events("order.unmerge")) == 2


def test_split_an_order(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme, globex)
    headers = login(client, "boss")
    r = client.post(
        "/v1/orders/A1/split", json={"parts": [{"1": 1}, {"1": 1, "2": 1}]}, headers=headers
    )
    assert r.status_code == 200, r.text
    views = r.json()["items"]
    assert [[(ln["line_no"], ln["quantity"]) for ln in v["lines"]] for v in views] == [
        [(1, 1)],
        [(1, 1), (2, 1)],
    ]
    _decode(client, "POST", "/v1/orders/{number}/split", r)
    listed = client.get("/v1/orders/A1/packages", headers=headers).json()["items"]
    assert [p["id"] for p in listed] == [v["package_id"] for v in views]

    for body, name in (
        ({"parts": [{"1": 1}]}, "parts"),  # does not add up (core)
        ({"parts": []}, "parts"),
        ({"parts": [{"0": 1}]}, "parts"),
        ({"parts": [{"1": 0}]}, "parts"),
        ({"parts": [{"x": 1}]}, "parts"),
        ({"pieces": []}, "pieces"),
    ):
        problem = assert_problem(
            client.post("/v1/orders/A1/split", json=body, headers=headers), 422, "validation_error"
        )
        assert problem["field"] == name, (body, problem)


def test_tracking_numbers_typed_by_hand(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk, other = _world(app, acme, globex)
    desk.manual_account("sf", "SF")
    other.manual_account("theirs", "SF")
    headers = login(client, "boss")
    body = {"number": "SF1234567890123", "carrier_account": "sf"}
    r = client.put("/v1/orders/B1/tracking", json=body, headers=headers)
    assert r.status_code == 200, r.text
    result = r.json()
    package_id = result["package_id"]
    assert result == {
        "package_id": package_id,
        "order_numbers": ["B1"],
        "number": "SF1234567890123",
        "carrier_code": "SF",
        "account": "sf",
        "outcome": "set",
        "warning": result["warning"],
        "replaced": "",
    }
    _decode(client, "PUT", "/v1/orders/{number}/tracking", r)
    # A typo corrected: the typed, unprinted number is replaced.
    body = {"number": "SF1234567890124", "carrier_account": "sf"}
    r = client.put(f"/v1/packages/{package_id}/tracking", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["replaced"]) == ("replaced", "SF1234567890123")
    (package,) = client.get("/v1/orders/B1/packages", headers=headers).json()["items"]
    assert [(w["number"], w["status"]) for w in package["waybills"]] == [
        ("SF1234567890123", "recycled"),
        ("SF1234567890124", "allocated"),
    ]
    # Another org's account is not found; a number that is no number is a 422.
    body = {"number": "SF1234567890125", "carrier_account": "theirs"}
    assert_problem(
        client.put(f"/v1/packages/{package_id}/tracking", json=body, headers=headers),
        404,
        "not_found",
    )
    body = {"number": "??", "carrier_account": "sf"}
    problem = assert_problem(
        client.put(f"/v1/packages/{package_id}/tracking", json=body, headers=headers),
        422,
        "validation_error",
    )
    assert problem["field"] == "number"


def test_packages_stay_in_the_org(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _, other = _world(app, acme, globex)
    other.manual_account("theirs", "SF")
    hank = login(client, "hank")
    theirs = client.post("/v1/packages/merge", json={"orders": ["G1", "G2"]}, headers=hank)
    assert theirs.status_code == 200, theirs.text
    package_id = theirs.json()["package_id"]
    boss = login(client, "boss")
    for method, url, body in (
        ("get", "/v1/orders/G1/packages", None),
        ("post", "/v1/packages/merge", {"orders": ["G1", "G2"]}),
        ("post", "/v1/packages/merge", {"orders": ["A1", "G1"]}),
        ("post", "/v1/orders/G1/split", {"parts": [{"1": 2}]}),
        ("post", f"/v1/packages/{package_id}/unmerge", None),
        ("put", f"/v1/packages/{package_id}/weight", {"grams": 5}),
        ("put", "/v1/orders/G1/tracking", {"number": "SF1234567890123", "carrier_account": "1"}),
    ):
        kwargs = {"json": body} if body is not None else {}
        r = client.request(method.upper(), url, headers=boss, **kwargs)
        assert_problem(r, 404, "not_found")
    (package,) = client.get("/v1/orders/G1/packages", headers=hank).json()["items"]
    assert (package["id"], package["weight_g"], package["waybills"]) == (package_id, None, [])
    assert [line[0] for line in package["lines"]] == ["G1", "G2"]


def test_packages_need_their_permissions_and_good_input(
    client: ApiClient, app, acme, globex
) -> None:  # type: ignore[no-untyped-def]
    desk, _ = _world(app, acme, globex)
    desk.manual_account("sf", "SF")
    acme.staff("viewer", "read_only")
    acme.staff("guest")
    viewer, boss = login(client, "viewer"), login(client, "boss")
    assert_problem(
        client.get("/v1/orders/A1/packages", headers=login(client, "guest")),
        403,
        "permission_denied",
    )
    for method, url, body in (
        ("post", "/v1/packages/merge", {"orders": ["A1", "A2"]}),
        ("post", "/v1/orders/A1/split", {"parts": [{"1": 2, "2": 1}]}),
        ("put", "/v1/orders/A1/tracking", {"number": "SF1234567890123", "carrier_account": "sf"}),
    ):
        r = client.request(method.upper(), url, headers=viewer, json=body)
        assert_problem(r, 403, "permission_denied")
    assert client.get("/v1/orders/A1/packages", headers=boss).json() == {
        "items": [],
        "next_cursor": None,
    }

    for method, url, body, name in (
        ("post", "/v1/packages/merge", {"orders": ["A1"]}, "orders"),
        ("put", "/v1/packages/0/weight", {"grams": 5}, "id"),
        ("put", "/v1/packages/abc/weight", {"grams": 5}, "id"),
        ("put", "/v1/packages/1/weight", {"grams": 0}, "grams"),
        ("post", "/v1/packages/99999999999/unmerge", None, "id"),
        ("get", "/v1/packages/merge-candidates?limit=0", None, "limit"),
        ("put", "/v1/orders/A1/tracking", {"number": "SF1234567890123"}, "carrier_account"),
    ):
        kwargs = {"json": body} if body is not None else {}
        r = client.request(method.upper(), url, headers=boss, **kwargs)
        assert assert_problem(r, 422, "validation_error")["field"] == name, (url, r.text)
