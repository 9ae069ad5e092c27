"""Ship-back over HTTP against the Pinduoduo sandbox gateway: confirming packages (by id,
tracking number, order; every ready one), the outbox by state with keyset pages, the
drain telling the platform, and retrying a confirmation that needed a person (or
refusing one whose order is held); permissions, other orgs, bad input; both backends."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from httpx import Client as ApiClient

from core.config import Settings
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.api.conftest import assert_problem, login
from tests.api.sandbox import sandbox_settings
from tests.shipback.conftest import SANDBOX
from tests.shipback.rig import SHIPBACK, ShipRig
from tests.waybills.rig import serve_sandbox

CONFIRM = "/v1/shipments/confirm"
OUTBOX = "/v1/shipments/outbox"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def settings(settings: Settings, database_url: str, sandbox: SandboxServer) -> Settings:
    # `database_url` named again: pytest keeps its backends' parameters on an override.
    from dataclasses import replace

    return replace(sandbox_settings(settings, sandbox), shipback=SHIPBACK)


@pytest.fixture
def rig(app, sandbox, acme) -> ShipRig:  # type: ignore[no-untyped-def]
    sandbox.sandbox.reset()
    return ShipRig(app, sandbox, acme)


def test_confirm_then_the_outbox_tells_the_platform(client: ApiClient, rig: ShipRig) -> None:
    ready = rig.ready(3, printed=True)
    (p1, _), (p2, w2), (p3, _) = ready.items()
    n1, n2, n3 = rig.numbers_of([p1, p2, p3])
    headers = login(client, "boss")

    r = client.post(
        CONFIRM, json={"package_ids": [p1], "waybills": [w2], "orders": [n3]}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "confirmed": [p1, p2, p3],
        "unchanged": [],
        "refused": {},
        "outbox_rows": 3,
        "extra_numbers": 0,
        "unpacked": [],
    }
    again = client.post(CONFIRM, json={"package_ids": [p1]}, headers=headers).json()
    assert (again["confirmed"], again["unchanged"], again["outbox_rows"]) == ([], [p1], 0)

    page = client.get(OUTBOX, headers=headers).json()
    assert page["counts"]["pending"] == 3 and page["next_cursor"] is None
    rows = page["items"]
    assert [row["order_number"] for row in rows] == [n3, n2, n1]  # newest first
    assert rows[1]["tracking_number"] == w2 and rows[1]["state"] == "pending"

    # Keyset pages of one.
    seen, url = [], f"{OUTBOX}?limit=1"
    while url:
        body = client.get(url, headers=headers).json()
        seen += [row["id"] for row in body["items"]]
        url = f"{OUTBOX}?limit=1&after={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == [row["id"] for row in rows]

    assert rig.drain().sent == 3  # what `orderhub worker` does
    done = client.get(f"{OUTBOX}?state=done", headers=headers).json()
    assert {row["order_number"] for row in done["items"]} == {n1, n2, n3}
    assert all(row["outcome"] == "sent" for row in done["items"])
    assert done["counts"]["done"] == 3 and done["counts"]["pending"] == 0
    assert client.get(f"{OUTBOX}?state=pending", headers=headers).json()["items"] == []
    assert rig.platform_order(n2)["tracking_number"] == w2


def test_refusals_are_one_by_one(client: ApiClient, app, rig: ShipRig, acme) -> None:  # type: ignore[no-untyped-def]
    from core.desk.holds import hold_orders

    ready = rig.ready(2, printed=True)
    (p1, _), (p2, _) = ready.items()
    (n2,) = rig.numbers_of([p2])
    hold_orders(app, acme.admin, [n2], reason="客户要求暂缓")
    headers = login(client, "boss")
    r = client.post(CONFIRM, json={"package_ids": [p1, p2]}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["confirmed"] == [p1] and body["outbox_rows"] == 1
    assert list(body["refused"]) == [str(p2)] and "on hold" in body["refused"][str(p2)]


def test_confirm_every_ready_package(client: ApiClient, rig: ShipRig) -> None:
    (p1, _), (p2, _) = rig.ready(2, printed=True).items()
    headers = login(client, "boss")
    # Nothing verified yet: the default confirms verified packages only.
    r = client.post("/v1/shipments/confirm-ready", json={}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] == []
    r = client.post(
        "/v1/shipments/confirm-ready", json={"status": "printed", "limit": 1}, headers=headers
    )
    assert (r.json()["confirmed"], r.json()["outbox_rows"]) == ([p1], 1)
    r = client.post("/v1/shipments/confirm-ready", json={"status": "printed"}, headers=headers)
    assert r.json()["confirmed"] == [p2]


def test_retry_a_confirmation_that_needed_a_person(client: ApiClient, rig: ShipRig) -> None:
    (p1, _), (p2, _) = rig.ready(2, printed=True).items()
    n1, n2 = rig.numbers_of([p1, p2])
    headers = login(client, "boss")
    client.post(CONFIRM, json={"package_ids": [p1, p2]}, headers=headers)
    rig.sandbox.update(n1, ship_hold=True)  # 暂停发货 on the platform
    rig.sandbox.refund(n2, 3)  # 退款中, after the confirm
    rig.drain()
    rows = {row["order_number"]: row for row in client.get(OUTBOX, headers=headers).json()["items"]}
    assert (rows[n1]["state"], rows[n1]["last_error_class"]) == ("needs_person", "blocked")
    assert rows[n2]["state"] == "held"

    # Held: its order is on hold until the refund is dealt with.
    body = assert_problem(
        client.post(f"{OUTBOX}/{rows[n2]['id']}/retry", headers=headers), 409, "conflict"
    )
    assert "on hold" in body["detail"]

    rig.sandbox.update(n1, ship_hold=False)  # the merchant lifts the pause
    r = client.post(f"{OUTBOX}/{rows[n1]['id']}/retry", headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["state"]) == (rows[n1]["id"], "pending")
    assert rig.drain().sent == 1
    assert rig.outbox()[n1].state == "done"
    # Done: nothing to retry.
    assert_problem(
        client.post(f"{OUTBOX}/{rows[n1]['id']}/retry", headers=headers), 409, "conflict"
    )


def test_permissions_and_other_orgs(client: ApiClient, rig: ShipRig, acme, globex) -> None:  # type: ignore[no-untyped-def]
    (p1, w1), *_ = rig.ready(1, printed=True).items()
    boss = login(client, "boss")
    acme.staff("kuaiji", "finance")  # order.view, no ship.confirm
    finance = login(client, "kuaiji")
    assert_problem(
        client.post(CONFIRM, json={"package_ids": [p1]}, headers=finance), 403, "permission_denied"
    )
    assert_problem(
        client.post("/v1/shipments/confirm-ready", json={}, headers=finance),
        403,
        "permission_denied",
    )
    assert rig.package_status(p1) == "printed"
    client.post(CONFIRM, json={"package_ids": [p1]}, headers=boss)
    (row,) = client.get(OUTBOX, headers=finance).json()["items"]  # finance may look
    assert_problem(
        client.post(f"{OUTBOX}/{row['id']}/retry", headers=finance), 403, "permission_denied"
    )
    acme.staff("guest")
    assert_problem(client.get(OUTBOX, headers=login(client, "guest")), 403, "permission_denied")

    # Another org: acme's package, waybill, order and outbox row do not exist for globex.
    hank = login(client, "hank")
    (n1,) = rig.numbers_of([p1])
    for body in ({"package_ids": [p1]}, {"waybills": [w1]}, {"orders": [n1]}):
        assert_problem(client.post(CONFIRM, json=body, headers=hank), 404, "not_found")
    assert_problem(client.post(f"{OUTBOX}/{row['id']}/retry", headers=hank), 404, "not_found")
    assert client.get(OUTBOX, headers=hank).json()["items"] == []


def test_shipments_input_is_checked(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for body, name in (
        ({}, "packages"),
        ({"package_ids": ["x"]}, "package_ids"),
        ({"package_ids": [0]}, "package_ids"),
        ({"package_ids": [2**31]}, "package_ids"),
        ({"waybills": [""]}, "waybills"),
        ({"orders": "A-1"}, "orders"),
        ({"nope": 1}, "nope"),
    ):
        r = client.post(CONFIRM, json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    for body, name in (({"status": "shipped"}, "status"), ({"limit": 0}, "limit")):
        r = client.post("/v1/shipments/confirm-ready", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    for url, name in (
        (f"{OUTBOX}?state=lost", "state"),
        (f"{OUTBOX}?after=abc", "after"),
        (f"{OUTBOX}?after=99999999999", "after"),
        (f"{OUTBOX}/2147483648/retry", "row_id"),
        (f"{OUTBOX}?limit=1001", "limit"),
        (f"{OUTBOX}/abc/retry", "row_id"),
    ):
        method = "POST" if url.endswith("retry") else "GET"
        r = client.request(method, url, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, url
    assert_problem(client.post(f"{OUTBOX}/999999/retry", headers=headers), 404, "not_found")


def test_answers_decode_as_their_declared_response_types(client: ApiClient, rig: ShipRig) -> None:
    from api.routes import REGISTRY

    (p1, _), (_p2, _) = rig.ready(2, printed=True).items()
    (n1,) = rig.numbers_of([p1])
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    rig.sandbox.update(n1, ship_hold=True)
    for method, path, url, body in (
        ("POST", CONFIRM, CONFIRM, {"package_ids": [p1]}),
        (
            "POST",
            "/v1/shipments/confirm-ready",
            "/v1/shipments/confirm-ready",
            {"status": "printed"},
        ),
        ("GET", OUTBOX, OUTBOX, None),
    ):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == ops[method, path].status, r.text
        msgspec.json.decode(r.content, type=ops[method, path].response, strict=True)
    rig.drain()
    rig.sandbox.update(n1, ship_hold=False)
    row = next(row for row in rig.outbox().values() if row.order_number == n1)
    r = client.post(f"{OUTBOX}/{row.id}/retry", headers=headers)
    op = ops["POST", "/v1/shipments/outbox/{row_id}/retry"]
    assert r.status_code == op.status, r.text
    msgspec.json.decode(r.content, type=op.response, strict=True)
