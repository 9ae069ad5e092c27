"""The `/_sandbox` control endpoints (JSON over HTTP), as out-of-process tests use them."""

from __future__ import annotations

from plugins.platforms.pinduoduo.sandbox.clock import parse_beijing
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts


def test_summary_names_the_clock_shops_and_counts(gw: Gateway) -> None:
    summary = gw.control("GET", "")
    assert summary["now"] == "2026-11-27 10:00:00" and summary["orders"] == 400
    assert [s["owner_id"] for s in summary["shops"]] == [
        s.owner_id for s in gw.server.sandbox.shops
    ]
    assert summary["faults"]["counts"] == {}


def test_ground_truth_lists_every_order_with_its_receiver(gw: Gateway) -> None:
    truth = gw.control("GET", "/orders")
    assert truth["count"] == 400 == len(truth["orders"])
    first = truth["orders"][0]
    assert set(first) == {"owner_id", "order", "receiver"}
    assert set(first["receiver"]) == {"name", "phone", "address", "full_address"}
    owner_id = gw.server.sandbox.shops[1].owner_id
    theirs = gw.control("GET", "/orders", params={"owner_id": owner_id, "summary": "1"})
    assert theirs["count"] == sum(1 for o in truth["orders"] if o["owner_id"] == owner_id)
    assert {"order_sn", "updated_at", "refund_status"} <= set(theirs["orders"][0])


def test_orders_are_added_and_changed_through_the_control_api(gw: Gateway, token: str) -> None:
    owner_id = gw.server.sandbox.shops[0].owner_id
    [sn] = gw.control("POST", "/orders", json={"count": 1, "owner_id": owner_id})["order_sns"]
    changed = gw.control(
        "POST",
        f"/orders/{sn}/update",
        json={"remark": "加急", "remark_tag": 1, "buyer_memo": "周末送"},
    )
    order = changed["order"]
    assert (order["remark"], order["remark_tag_name"], order["buyer_memo"]) == (
        "加急",
        "红色",
        "周末送",
    )
    refunded = gw.control("POST", f"/orders/{sn}/refund", json={"refund_status": 2})["order"]
    assert (refunded["refund_status"], refunded["after_sales_status"]) == (2, 2)
    shipped = gw.control("POST", f"/orders/{sn}/ship", json={"logistics_id": 85})["order"]
    assert shipped["order_status"] == 2 and shipped["tracking_number"].startswith("YT")
    received = gw.control("POST", f"/orders/{sn}/receive")["order"]
    assert received["order_status"] == 3
    stamps = [parse_beijing(o["updated_at"]) for o in (order, refunded, shipped, received)]
    assert stamps == sorted(set(stamps))  # every change moves updated_at forward
    assert gw.control("GET", f"/orders/{sn}")["order"] == received
    now = now_ts()
    window = gw.ok(INCREMENT, token, start_updated_at=now - 60, end_updated_at=now + 60, **ALL)
    assert sn in {o["order_sn"] for o in window["order_sn_list"]}


def test_advancing_the_clock_and_resetting(gw: Gateway) -> None:
    assert gw.control("POST", "/clock/advance", json={"seconds": 7200})["now"] == (
        "2026-11-27 12:00:00"
    )
    assert gw.ok("pdd.time.get")["time"] == "2026-11-27 12:00:00"
    summary = gw.control("POST", "/reset", json={"seed": 9, "orders": 50, "shops": 3})
    assert summary["orders"] == 50 and len(summary["shops"]) == 3
    assert summary["now"] == "2026-11-27 10:00:00"  # a reset starts the clock over too


def test_moving_data_is_switched_on_and_off(gw: Gateway) -> None:
    assert gw.control("PUT", "/moving", json={"per_page": 2, "mode": "mixed"}) == {
        "per_page": 2,
        "mode": "mixed",
    }
    assert gw.server.sandbox.mutate_per_page == 2


def test_bad_requests_get_400_and_unknown_orders_404(gw: Gateway) -> None:
    base = gw.server.control_url
    cases = [
        ("POST", "/orders/200101-000000000000000/refund", {"refund_status": 2}, 404),
        ("POST", f"/orders/{gw.server.sandbox.store.sns[0]}/refund", {"refund_status": 9}, 400),
        ("POST", f"/orders/{gw.server.sandbox.store.sns[0]}/update", {"colour": "red"}, 400),
        ("POST", "/clock/advance", {"seconds": -5}, 400),
        ("POST", "/reset", {"client_secret": "x"}, 400),
        ("POST", "/codes", {"owner_id": "1"}, 404),
        ("PUT", "/rate-limits", {"enabled": "yes"}, 400),
    ]
    for method, path, body, status in cases:
        response = gw.http.request(method, base + path, json=body)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]
    assert gw.http.request("POST", base + "/orders", content=b"[1]").status_code == 400


def test_codes_from_the_control_api_exchange_for_tokens(gw: Gateway) -> None:
    owner_id = gw.server.sandbox.shops[1].owner_id
    code = gw.control("POST", "/codes", json={"owner_id": owner_id})
    grant = gw.ok("pdd.pop.auth.token.create", code=code["code"])
    assert grant["owner_id"] == owner_id
    direct = gw.control("POST", "/grants", json={})
    assert direct["owner_id"] == gw.server.sandbox.shops[0].owner_id


def test_an_unreadable_order_is_planted_and_removed(gw: Gateway) -> None:
    """`garble` gives an order a price with three decimals (the client refuses it), in
    place (`touch: false`) or as a platform change; `on: false` puts the real lines back."""
    owner_id = gw.server.sandbox.shops[0].owner_id
    [sn] = gw.control("POST", "/orders", json={"count": 1, "owner_id": owner_id})["order_sns"]
    before = gw.control("GET", f"/orders/{sn}")["order"]
    planted = gw.control("POST", f"/orders/{sn}/garble", json={"touch": False})["order"]
    assert planted["item_list"][0]["goods_price"] == 12.345
    assert planted["updated_at"] == before["updated_at"]
    mended = gw.control("POST", f"/orders/{sn}/garble", json={"on": False})["order"]
    assert mended["item_list"] == before["item_list"]
    assert parse_beijing(mended["updated_at"]) > parse_beijing(before["updated_at"])
