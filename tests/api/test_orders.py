"""Shops and orders over HTTP: the desk's search and cursor, counts, masked detail; the
org's boundary (404 for another org's numbers) and permissions (403)."""

from __future__ import annotations

from httpx import Client as ApiClient

from tests.api.conftest import assert_problem, login
from tests.packages.desk import Desk, make_order


def _orders(app, org, *numbers: str, shop_id: str = "9001") -> None:  # type: ignore[no-untyped-def]
    desk = Desk(app, org)
    shop = desk.shop(platform_shop_id=shop_id)
    desk.store(shop, *(make_order(n) for n in numbers))


def test_shops_list_and_permission(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _orders(app, acme, "A-1")
    _orders(app, globex, "G-1", shop_id="7001")
    r = client.get("/v1/shops", headers=login(client, "boss"))
    assert r.status_code == 200
    assert [s["platform_shop_id"] for s in r.json()["items"]] == ["9001"]
    assert r.json()["next_cursor"] is None
    acme.staff("guest")
    assert_problem(
        client.get("/v1/shops", headers=login(client, "guest")), 403, "permission_denied"
    )
    body = assert_problem(
        client.get("/v1/shops?bound=maybe", headers=login(client, "boss")), 422, "validation_error"
    )
    assert body["field"] == "bound"


def test_search_pages_with_the_cursor(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _orders(app, acme, "A-1", "A-2", "A-3")
    headers = login(client, "boss")
    seen: list[str] = []
    url = "/v1/orders?limit=2"
    for _ in range(3):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [row["order_no"] for row in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/orders?limit=2&after={page['next_cursor']}"
    assert sorted(seen) == ["A-1", "A-2", "A-3"]
    assert all("李小龙" not in row["receiver_name"] for row in page["items"])
    r = client.get("/v1/orders", params={"q": "order:A-2"}, headers=headers)
    assert [row["order_no"] for row in r.json()["items"]] == ["A-2"]


def test_search_rejects_bad_input_naming_the_field(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for url, name in (
        ("/v1/orders?limit=0", "limit"),
        ("/v1/orders?limit=x", "limit"),
        ("/v1/orders?nope=1", "nope"),
    ):
        body = assert_problem(client.get(url, headers=headers), 422, "validation_error")
        assert body["field"] == name, body
    # A query the desk's language rejects is core's ValidationError, also a 422.
    assert_problem(
        client.get("/v1/orders?q=paid:>notadate", headers=headers), 422, "validation_error"
    )
    assert_problem(client.get("/v1/orders?after=garbage", headers=headers), 422, "validation_error")


def test_counts_and_detail(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _orders(app, acme, "A-1", "A-2")
    _orders(app, globex, "G-1", shop_id="7001")
    headers = login(client, "boss")
    counts = client.get("/v1/orders/counts", headers=headers).json()
    assert counts["total"] == 2 and sum(counts["counts"].values()) >= 2
    r = client.get("/v1/orders/A-1", headers=headers)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["row"]["order_no"] == "A-1"
    assert r.headers["etag"] == f'"{detail["version"]}"'
    assert "李小龙" not in r.text and "13912345678" not in r.text
    # Another org's order number is simply not found.
    assert_problem(client.get("/v1/orders/G-1", headers=headers), 404, "not_found")
    assert_problem(client.get("/v1/orders/NOPE", headers=headers), 404, "not_found")


def test_orders_need_order_view(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _orders(app, acme, "A-1")
    acme.staff("guest")
    headers = login(client, "guest")
    for url in ("/v1/orders", "/v1/orders/counts", "/v1/orders/A-1"):
        assert_problem(client.get(url, headers=headers), 403, "permission_denied")


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    import msgspec

    from api.routes import REGISTRY

    _orders(app, acme, "A-1")
    headers = login(client, "boss")
    urls = {
        "/v1/shops": "/v1/shops",
        "/v1/orders": "/v1/orders",
        "/v1/orders/counts": "/v1/orders/counts",
        "/v1/orders/{number}": "/v1/orders/A-1",
    }
    checked = 0
    for op in REGISTRY.operations:
        if op.method == "GET" and op.path in urls:
            r = client.get(urls[op.path], headers=headers)
            assert r.status_code == op.status, r.text
            msgspec.json.decode(r.content, type=op.response, strict=True)
            checked += 1
    assert checked == len(urls)
