"""The desk's actions over HTTP: reveal (pii.view, audited), edits with ETag/If-Match
(409 on a stale ETag, nothing overwritten), 审单 decisions and holds for one order or a
batch by numbers or filter, tags; 403 changes nothing, another org's orders are 404."""

from __future__ import annotations

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY
from tests.api.conftest import assert_problem, login
from tests.packages.desk import Desk, make_order


def _desk(app, org, *numbers: str, shop_id: str = "9001") -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(app, org)
    shop = desk.shop(platform_shop_id=shop_id)
    desk.store(shop, *(make_order(n) for n in numbers))
    return desk


def _decode(client: ApiClient, method: str, path: str, response) -> None:  # type: ignore[no-untyped-def]
    """The answer decodes as the type its operation declares."""
    (op,) = [o for o in REGISTRY.operations if (o.method, o.path) == (method, path)]
    msgspec.json.decode(response.content, type=op.response, strict=True)


# --- reveal -------------------------------------------------------------------------------


def test_reveal_shows_the_receiver_in_clear_and_is_audited(client, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    _desk(app, globex, "G-1", shop_id="7001")
    r = client.post("/v1/orders/A-1/reveal", headers=login(client, "boss"))
    assert r.status_code == 200, r.text
    receiver = r.json()["receiver"]
    assert (receiver["name"], receiver["phone"], receiver["address"]) == (
        "李小龙",
        "13912345678",
        "文三路 90 号 3 号楼",
    )
    assert receiver["revealed"] is True
    assert r.headers["etag"] == f'"{r.json()["version"]}"'
    assert r.headers["cache-control"] == "no-store"
    _decode(client, "POST", "/v1/orders/{number}/reveal", r)
    (event,) = desk.events("order.reveal")
    assert event.actor_label == "boss" and event.target_id == str(desk.order("A-1").id)
    # Another org's order: not found, and nothing revealed.
    assert_problem(
        client.post("/v1/orders/G-1/reveal", headers=login(client, "boss")), 404, "not_found"
    )
    body = assert_problem(
        client.post("/v1/orders/A-1/reveal?nope=1", headers=login(client, "boss")),
        422,
        "validation_error",
    )
    assert body["field"] == "nope"
    assert len(desk.events("order.reveal")) == 1


def test_reveal_needs_pii_view(client, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    acme.staff("clerk", "print_operator")  # order.view and order.edit, no pii.view
    r = client.post("/v1/orders/A-1/reveal", headers=login(client, "clerk"))
    assert_problem(r, 403, "permission_denied")
    assert "李小龙" not in r.text
    assert desk.events("order.reveal") == []


# --- edits with ETag / If-Match ---------------------------------------------------------------


def test_two_edits_with_one_etag_the_second_is_a_conflict(client, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    headers = login(client, "boss")
    seen = client.get("/v1/orders/A-1", headers=headers)
    tag = seen.headers["etag"]
    version = seen.json()["version"]

    first = client.patch(
        "/v1/orders/A-1/receiver",
        json={"phone": "13700001111"},
        headers={**headers, "If-Match": tag},
    )
    assert first.status_code == 200, first.text
    now = desk.order("A-1").version  # the edit, then the rules judged the order again
    assert now > version
    assert first.json() == {
        "order_number": "A-1",
        "version": now,
        "changed": True,
        "before": {"receiver_phone": "139****5678", "version": version},
        "after": {"receiver_phone": "137****1111", "version": version + 1},
    }
    assert first.headers["etag"] == f'"{now}"'
    _decode(client, "PATCH", "/v1/orders/{number}/receiver", first)

    second = client.patch(
        "/v1/orders/A-1/receiver",
        json={"phone": "13600002222"},
        headers={**headers, "If-Match": tag},
    )
    assert_problem(second, 409, "conflict")
    order = desk.order("A-1")
    assert (order.receiver_phone, order.version) == ("13700001111", now)

    # The new ETag works; so does an edit without If-Match (core's version column).
    third = client.put(
        "/v1/orders/A-1/remark",
        json={"remark": "发顺丰"},
        headers={**headers, "If-Match": first.headers["etag"]},
    )
    assert third.status_code == 200, third.text
    assert third.json()["before"] == {"local_remark": "", "version": now}
    assert third.json()["after"] == {"local_remark": "发顺丰", "version": now + 1}
    fourth = client.put("/v1/orders/A-1/flag", json={"flag": "red"}, headers=headers)
    assert fourth.status_code == 200, fourth.text
    assert fourth.json()["before"]["local_flag"] == ""
    assert fourth.json()["after"]["local_flag"] == "red"
    last = fourth.json()["version"]
    assert fourth.headers["etag"] == f'"{last}"'
    # The same value again changes nothing and keeps the version.
    again = client.put("/v1/orders/A-1/flag", json={"flag": "red"}, headers=headers)
    assert again.json() == {
        "order_number": "A-1",
        "version": last,
        "changed": False,
        "before": {},
        "after": {},
    }
    order = desk.order("A-1")
    assert (order.local_remark, order.local_flag, order.version) == ("发顺丰", "red", last)
    assert len(desk.events("order.edit_receiver")) == 1


def test_edits_refuse_bad_input_naming_the_field(client, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    headers = login(client, "boss")
    cases = [
        ("put", "/v1/orders/A-1/flag", {"flag": "pink"}, {}, "flag"),
        ("put", "/v1/orders/A-1/flag", {}, {}, "flag"),
        ("put", "/v1/orders/A-1/remark", {"remark": "x", "extra": 1}, {}, "extra"),
        ("patch", "/v1/orders/A-1/receiver", {"phone": "12"}, {}, "phone"),
        ("patch", "/v1/orders/A-1/receiver", {}, {}, "receiver"),
        ("patch", "/v1/orders/A-1/receiver", {"name": "x" * 51}, {}, "name"),
        ("put", "/v1/orders/A-1/remark", {"remark": "x"}, {"If-Match": "abc"}, "If-Match"),
    ]
    for method, url, body, extra, name in cases:
        r = getattr(client, method)
        answer = r(url, json=body, headers={**headers, **extra}) if method != "get" else None
        problem = assert_problem(answer, 422, "validation_error")
        assert problem["field"] == name, (url, body, problem)
    order = desk.order("A-1")
    assert (order.local_flag, order.local_remark, order.receiver_phone) == ("", "", "13912345678")


def test_edits_need_order_edit_and_stay_in_the_org(client, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    other = _desk(app, globex, "G-1", shop_id="7001")
    acme.staff("viewer", "read_only")
    viewer = login(client, "viewer")
    for method, url, body in (
        ("patch", "/v1/orders/A-1/receiver", {"phone": "13700001111"}),
        ("put", "/v1/orders/A-1/remark", {"remark": "x"}),
        ("put", "/v1/orders/A-1/flag", {"flag": "red"}),
    ):
        assert_problem(
            getattr(client, method)(url, json=body, headers=viewer), 403, "permission_denied"
        )
        other_url = url.replace("A-1", "G-1")
        boss = login(client, "boss")
        assert_problem(
            getattr(client, method)(other_url, json=body, headers=boss), 404, "not_found"
        )
    order, theirs = desk.order("A-1"), other.order("G-1")
    assert (order.receiver_phone, order.local_remark, order.local_flag) == ("13912345678", "", "")
    assert (theirs.local_remark, theirs.local_flag) == ("", "")


# --- 审单 decisions --------------------------------------------------------------------------


def test_approve_reject_recheck_one_order(client, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    order_id = desk.order("A-1").id
    headers = login(client, "boss")
    r = client.post("/v1/orders/A-1/approve", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "items": [
            {
                "number": "A-1",
                "order_id": order_id,
                "outcome": "approved",
                "hub_status": "audited",
                "reasons": [],
                "note": "",
            }
        ],
        "applied": 1,
        "refused": 0,
    }
    _decode(client, "POST", "/v1/orders/{number}/approve", r)
    # Approving it again is refused, with the reason, and nothing changes.
    again = client.post("/v1/orders/A-1/approve", headers=headers).json()
    assert (again["applied"], again["refused"]) == (0, 1)
    assert again["items"][0]["note"] == "order A-1 is audited already"

    r = client.post("/v1/orders/A-1/reject", json={"reason": "地址不全"}, headers=headers)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["outcome"], item["hub_status"], item["reasons"], item["note"]) == (
        "rejected",
        "pending",
        ["rejected"],
        "地址不全",
    )
    order = desk.order("A-1")
    assert (order.hub_status, order.reject_reason) == ("pending", "地址不全")

    r = client.post("/v1/orders/A-1/recheck", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["number"] == "A-1"
    assert r.json()["items"][0]["outcome"] in ("checked", "approved")


def test_batch_decisions_by_numbers_or_filter(client, app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1", "A-2", "A-3")
    desk.change("A-3", on_hold=True, hold_reason="缺货")
    headers = login(client, "boss")
    r = client.post("/v1/orders/approve", json={"filter": "order:A-1"}, headers=headers)
    assert r.status_code == 200, r.text
    assert [(i["number"], i["outcome"]) for i in r.json()["items"]] == [("A-1", "approved")]
    r = client.post("/v1/orders/approve", json={"orders": ["A-2", "A-3"]}, headers=headers)
    assert [(i["number"], i["outcome"]) for i in r.json()["items"]] == [
        ("A-2", "approved"),
        ("A-3", "refused"),
    ]
    r = client.post(
        "/v1/orders/reject",
        json={"orders": ["A-1", "A-2"], "reason": "重新核对"},
        headers=headers,
    )
    assert r.json()["applied"] == 2
    assert [desk.order(n).hub_status for n in ("A-1", "A-2", "A-3")] == ["pending"] * 3
    r = client.post("/v1/orders/recheck", json={"orders": ["A-1"]}, headers=headers)
    assert r.status_code == 200 and r.json()["items"][0]["number"] == "A-1"

    for body, name in (
        ({"orders": ["A-1"], "filter": "order:A-1"}, "orders"),
        ({}, "orders"),
        ({"filter": "province:西藏自治区"}, "filter"),
        ({"orders": [""]}, "orders"),
        ({"orders": ["A-1"], "reason": ""}, "reason"),
        ({"orders": ["A-1"]}, "reason"),
    ):
        url = (
            "/v1/orders/reject"
            if "reason" in body or body == {"orders": ["A-1"]}
            else ("/v1/orders/approve")
        )
        problem = assert_problem(
            client.post(url, json=body, headers=headers), 422, "validation_error"
        )
        assert problem["field"] == name, (body, problem)
    r = client.post("/v1/orders/A-1/reject", json={"reason": "x" * 501}, headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "reason"


def test_decisions_need_order_audit_and_stay_in_the_org(client, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1")
    _desk(app, globex, "G-1", shop_id="7001")
    acme.staff("viewer", "read_only")
    viewer, boss = login(client, "viewer"), login(client, "boss")
    for url, body in (
        ("/v1/orders/A-1/approve", None),
        ("/v1/orders/A-1/reject", {"reason": "x"}),
        ("/v1/orders/A-1/recheck", None),
        ("/v1/orders/approve", {"orders": ["A-1"]}),
    ):
        assert_problem(client.post(url, json=body, headers=viewer), 403, "permission_denied")
    assert_problem(client.post("/v1/orders/G-1/approve", headers=boss), 404, "not_found")
    r = client.post("/v1/orders/approve", json={"orders": ["A-1", "G-1"]}, headers=boss)
    assert_problem(r, 404, "not_found")
    assert desk.order("A-1").hub_status == "pending"
    assert desk.events("order.approve") == []


# --- holds ------------------------------------------------------------------------------------


def test_hold_and_release(client, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme, "A-1", "A-2")
    _desk(app, globex, "G-1", shop_id="7001")
    headers = login(client, "boss")
    r = client.post("/v1/orders/A-1/hold", json={"reason": "买家要改地址"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": ["A-1"], "unchanged": [], "refused": {}}
    _decode(client, "POST", "/v1/orders/{number}/hold", r)
    order = desk.order("A-1")
    assert (order.on_hold, order.hold_reason) == (True, "买家要改地址")
    r = client.post(
        "/v1/orders/hold", json={"orders": ["A-1", "A-2"], "reason": "盘点"}, headers=headers
    )
    assert r.json() == {"changed": ["A-2"], "unchanged": ["A-1"], "refused": {}}
    assert desk.order("A-1").hold_reason == "买家要改地址"
    r = client.post("/v1/orders/A-1/release", headers=headers)
    assert r.json() == {"changed": ["A-1"], "unchanged": [], "refused": {}}
    r = client.post("/v1/orders/release", json={"filter": "hold:yes"}, headers=headers)
    assert r.json() == {"changed": ["A-2"], "unchanged": [], "refused": {}}
    assert [desk.order(n).on_hold for n in ("A-1", "A-2")] == [False, False]

    for url, body, name in (
        ("/v1/orders/A-1/hold", {}, "reason"),
        ("/v1/orders/A-1/hold", {"reason": ""}, "reason"),
        ("/v1/orders/hold", {"orders": ["A-1"]}, "reason"),
        ("/v1/orders/hold", {"reason": "x"}, "orders"),
    ):
        problem = assert_problem(
            client.post(url, json=body, headers=headers), 422, "validation_error"
        )
        assert problem["field"] == name, (url, body, problem)
    assert_problem(
        client.post("/v1/orders/G-1/hold", json={"reason": "x"}, headers=headers), 404, "not_found"
    )
    acme.staff("viewer", "read_only")
    r = client.post("/v1/orders/A-1/hold", json={"reason": "x"}, headers=login(client, "viewer"))
    assert_problem(r, 403, "permission_denied")
    assert desk.order("A-1").on_hold is False


# --- tags -------------------------------------------------------------------------------------


def test_tags_list_and_tagging(client, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    from core.desk import tags

    desk = _desk(app, acme, "A-1", "A-2")
    _desk(app, globex, "G-1", shop_id="7001")
    urgent = tags.create_tag(app, acme.admin, "紧急", "red")
    tags.create_tag(app, globex.admin, "他们的", "blue")
    headers = login(client, "boss")

    r = client.put("/v1/orders/A-1/tags/紧急", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"orders": 1, "added": {"紧急": ["A-1"]}, "removed": {}}
    _decode(client, "PUT", "/v1/orders/{number}/tags/{tag}", r)
    r = client.get("/v1/tags", headers=headers)
    assert r.json() == {
        "items": [{"id": urgent.id, "name": "紧急", "colour": "red", "orders": 1}],
        "next_cursor": None,
    }
    _decode(client, "GET", "/v1/tags", r)
    r = client.post(
        "/v1/orders/tags", json={"filter": "order:A-2", "add": ["紧急"]}, headers=headers
    )
    assert r.json() == {"orders": 1, "added": {"紧急": ["A-2"]}, "removed": {}}
    r = client.delete("/v1/orders/A-1/tags/紧急", headers=headers)
    assert r.json() == {"orders": 1, "added": {}, "removed": {"紧急": ["A-1"]}}
    r = client.post(
        "/v1/orders/tags", json={"orders": ["A-1", "A-2"], "remove": ["紧急"]}, headers=headers
    )
    assert r.json() == {"orders": 2, "added": {}, "removed": {"紧急": ["A-2"]}}

    assert_problem(client.put("/v1/orders/A-1/tags/他们的", headers=headers), 404, "not_found")
    assert_problem(client.put("/v1/orders/G-1/tags/紧急", headers=headers), 404, "not_found")
    problem = assert_problem(
        client.post("/v1/orders/tags", json={"orders": ["A-1"]}, headers=headers),
        422,
        "validation_error",
    )
    assert problem["field"] == "tags"
    problem = assert_problem(
        client.put("/v1/orders/A-1/tags/" + "x" * 33, headers=headers), 422, "validation_error"
    )
    assert problem["field"] == "tag"
    acme.staff("guest")
    acme.staff("viewer", "read_only")
    assert_problem(client.get("/v1/tags", headers=login(client, "guest")), 403, "permission_denied")
    r = client.put("/v1/orders/A-1/tags/紧急", headers=login(client, "viewer"))
    assert_problem(r, 403, "permission_denied")
    assert tags.list_tags(app, acme.admin)[0].orders == 0
    assert desk.order("A-1").tags == []
