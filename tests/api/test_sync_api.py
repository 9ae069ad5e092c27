"""Sync over HTTP against the Pinduoduo sandbox gateway: "sync now" marks the shop due
for the workers (nothing fetched in the request), the worker's pass shows in the sync
log, which pages by keyset; permissions, other orgs, bad input; both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest
from httpx import Client as ApiClient
from sqlalchemy import func, select, update

from core import clock
from core.config import Settings
from core.models import Shop, SyncRun
from core.sync import lease as leases
from core.sync.scheduler import run_due
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.api.conftest import assert_problem, login
from tests.api.sandbox import sandbox_settings
from tests.packages.desk import Desk
from tests.shop_rig import bind


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=30, history_days=1.0, rate_limits=False)) as server:
        yield server


@pytest.fixture
def settings(settings: Settings, database_url: str, sandbox: SandboxServer) -> Settings:
    # `database_url` named again: pytest keeps its backends' parameters on an override.
    return sandbox_settings(settings, sandbox)


def _not_due(app, shop_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        session.execute(
            update(Shop)
            .where(Shop.id == shop_id)
            .values(next_sync_at=clock.now() + timedelta(hours=1))
        )


def _next_sync(app, shop_id: int):  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return clock.as_utc(session.get(Shop, shop_id).next_sync_at)


def _runs(app) -> int:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return session.scalar(select(func.count()).select_from(SyncRun))


def test_sync_now_makes_the_shop_due_and_a_worker_syncs_it(
    client: ApiClient, app, sandbox, acme
) -> None:  # type: ignore[no-untyped-def]
    shop = bind(app, acme.admin, sandbox)
    _not_due(app, shop.id)
    assert leases.claim_next_due(app, "w1") is None
    headers = login(client, "boss")

    r = client.post(f"/v1/shops/{shop.id}/sync", headers=headers)
    assert r.status_code == 202, r.text
    asked = r.json()
    assert asked["shop_id"] == shop.id and asked["shop_name"] == shop.name
    assert asked["running_worker"] is None
    assert _runs(app) == 0  # nothing was fetched inside the request

    reports = run_due(app, "w1")  # what `orderhub worker` does next
    assert [(r.shop_id, r.kind, r.status) for r in reports] == [(shop.id, "scheduled", "ok")]
    windows = len(reports[0].windows)
    assert windows >= 2

    page = client.get("/v1/sync/runs", headers=headers)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert len(items) == windows and page.json()["next_cursor"] is None
    assert {(i["shop_id"], i["shop_name"], i["kind"], i["status"]) for i in items} == {
        (shop.id, shop.name, "scheduled", "ok")
    }
    assert sum(i["seen"] for i in items) == reports[0].seen
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)  # newest first

    # Keyset: pages of 1 walk the same rows once each.
    seen: list[int] = []
    url = "/v1/sync/runs?limit=1"
    while url:
        body = client.get(url, headers=headers).json()
        seen += [i["id"] for i in body["items"]]
        url = f"/v1/sync/runs?limit=1&after={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == ids
    filtered = client.get(f"/v1/sync/runs?shop_id={shop.id}&status=failed", headers=headers)
    assert filtered.json() == {"items": [], "next_cursor": None}


def test_a_shop_being_synced_names_its_worker(client: ApiClient, app, sandbox, acme) -> None:  # type: ignore[no-untyped-def]
    shop = bind(app, acme.admin, sandbox)
    headers = login(client, "boss")
    assert client.get("/v1/sync/running", headers=headers).json() == {
        "items": [],
        "next_cursor": None,
    }
    leases.claim_shop(app, shop.id, "host-a:42")
    running = client.get("/v1/sync/running", headers=headers).json()["items"]
    assert [(p["shop_id"], p["worker"]) for p in running] == [(shop.id, "host-a:42")]
    r = client.post(f"/v1/shops/{shop.id}/sync", headers=headers)
    assert r.status_code == 202 and r.json()["running_worker"] == "host-a:42"


def test_sync_now_refusals(client: ApiClient, app, sandbox, acme, globex) -> None:  # type: ignore[no-untyped-def]
    shop = bind(app, acme.admin, sandbox)
    _not_due(app, shop.id)
    theirs = Desk(app, globex).shop(platform_shop_id="7001")
    headers = login(client, "boss")

    acme.staff("kuaiji", "finance")  # order.view, but neither order.import nor shop.bind
    assert_problem(
        client.post(f"/v1/shops/{shop.id}/sync", headers=login(client, "kuaiji")),
        403,
        "permission_denied",
    )
    assert _next_sync(app, shop.id) > clock.now()  # nothing changed
    assert_problem(client.post(f"/v1/shops/{theirs}/sync", headers=headers), 404, "not_found")
    body = assert_problem(client.post("/v1/shops/0/sync", headers=headers), 422, "validation_error")
    assert body["field"] == "shop_id"

    client.patch(f"/v1/shops/{shop.id}", json={"sync_enabled": False}, headers=headers)
    body = assert_problem(
        client.post(f"/v1/shops/{shop.id}/sync", headers=headers), 409, "conflict"
    )
    assert "switched off" in body["detail"]
    client.post(f"/v1/shops/{shop.id}/unbind", headers=headers)
    body = assert_problem(
        client.post(f"/v1/shops/{shop.id}/sync", headers=headers), 409, "conflict"
    )
    assert "unbound" in body["detail"]


def test_sync_log_permissions_and_input(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    theirs = Desk(app, globex).shop(platform_shop_id="7001")
    headers = login(client, "boss")
    acme.staff("guest")  # no role: no permission at all
    guest = login(client, "guest")
    for url in ("/v1/sync/runs", "/v1/sync/running"):
        assert_problem(client.get(url, headers=guest), 403, "permission_denied")
    assert_problem(client.get(f"/v1/sync/runs?shop_id={theirs}", headers=headers), 404, "not_found")
    for url, name in (
        ("/v1/sync/runs?status=done", "status"),
        ("/v1/sync/runs?limit=0", "limit"),
        ("/v1/sync/runs?limit=501", "limit"),
        ("/v1/sync/runs?shop_id=x", "shop_id"),
        ("/v1/sync/runs?after=abc", "after"),
        ("/v1/sync/runs?after=99999999999", "after"),  # over INTEGER: no id of ours
        ("/v1/sync/runs?shop_id=2147483648", "shop_id"),
        ("/v1/sync/runs?nope=1", "nope"),
    ):
        body = assert_problem(client.get(url, headers=headers), 422, "validation_error")
        assert body["field"] == name, (url, body)


def test_answers_decode_as_their_declared_response_types(
    client: ApiClient, app, sandbox, acme
) -> None:  # type: ignore[no-untyped-def]
    from api.routes import REGISTRY

    shop = bind(app, acme.admin, sandbox)
    run_due(app, "w1")
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    for method, path, url in (
        ("GET", "/v1/sync/runs", "/v1/sync/runs?limit=2"),
        ("GET", "/v1/sync/running", "/v1/sync/running"),
        ("POST", "/v1/shops/{shop_id}/sync", f"/v1/shops/{shop.id}/sync"),
    ):
        r = client.request(method, url, headers=headers)
        assert r.status_code == ops[method, path].status, r.text
        msgspec.json.decode(r.content, type=ops[method, path].response, strict=True)
