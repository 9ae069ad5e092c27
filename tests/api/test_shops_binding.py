"""Binding shops over HTTP against the Pinduoduo sandbox gateway: the authorisation URL,
the unauthenticated callback (state checked: unknown, expired, reused, another
platform's), shop detail, sync settings and unbinding; both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import msgspec
import pytest
from httpx import Client as ApiClient
from sqlalchemy import func, select, update

from core import clock
from core.config import Settings
from core.models import OAuthState, Shop
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.api.conftest import assert_problem, login
from tests.api.sandbox import consent, sandbox_settings
from tests.packages.desk import Desk

CALLBACK = "/v1/oauth/callback/pinduoduo"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=10, history_days=1.0, rate_limits=False)) as server:
        yield server


@pytest.fixture
def settings(settings: Settings, database_url: str, sandbox: SandboxServer) -> Settings:
    # `database_url` named again: pytest keeps its backends' parameters on an override.
    return sandbox_settings(settings, sandbox)


def _start(client: ApiClient, headers: dict[str, str], **body: object) -> dict:
    r = client.post(
        "/v1/shops/authorizations", json={"platform": "pinduoduo", **body}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _owner(sandbox: SandboxServer, index: int = 0) -> str:
    return sandbox.sandbox.shops[index].owner_id


def _bind(client: ApiClient, sandbox: SandboxServer, headers: dict[str, str]) -> dict:
    start = _start(client, headers)
    path, code, state = consent(start["url"], _owner(sandbox))
    r = client.get(path, params={"code": code, "state": state})
    assert r.status_code == 200, r.text
    return r.json()


def test_binding_through_the_api(client: ApiClient, app, sandbox, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    start = _start(client, headers)
    # The default redirect URI is this API's own callback, as the client reached it.
    assert start["redirect_uri"] == f"http://testserver{CALLBACK}"
    host = urlsplit(sandbox.gateway_url).netloc
    assert start["url"].startswith(f"http://{host}/service-market/auth?")
    assert start["state"] in start["url"] and len(start["state"]) == 64

    path, code, state = consent(start["url"], _owner(sandbox))
    assert (path, state) == (CALLBACK, start["state"])
    r = client.get(path, params={"code": code, "state": state})  # no bearer token
    assert r.status_code == 200, r.text
    shop = r.json()
    assert shop["platform"] == "pinduoduo" and shop["platform_shop_id"] == _owner(sandbox)
    assert shop["name"] == sandbox.sandbox.shops[0].owner_name
    assert shop["status"] == "active" and shop["sync_enabled"] is True
    assert "token" not in r.text.replace("token_expires_at", "")
    assert "credentials" not in r.text

    detail = client.get(f"/v1/shops/{shop['id']}", headers=headers)
    assert detail.status_code == 200 and detail.json() == shop
    listed = client.get("/v1/shops", headers=headers).json()["items"]
    assert [s["id"] for s in listed] == [shop["id"]]

    # The same link again: used up.
    again = client.get(path, params={"code": code, "state": state})
    body = assert_problem(again, 401, "authentication_failed")
    assert "already used" in body["detail"]


def test_a_redirect_uri_of_the_client_is_kept(client: ApiClient, sandbox, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    start = _start(client, headers, redirect_uri="https://hub.example.cn/pdd/back")
    assert start["redirect_uri"] == "https://hub.example.cn/pdd/back"
    path, _code, _state = consent(start["url"], _owner(sandbox))
    assert path == "/pdd/back"
    # Behind a TLS-terminating proxy the default follows X-Forwarded-Proto.
    behind = _start(client, {**headers, "X-Forwarded-Proto": "https"})
    assert behind["redirect_uri"] == f"https://testserver{CALLBACK}"


def test_bad_states_are_clear_problems(client: ApiClient, app, sandbox, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    body = assert_problem(
        client.get(CALLBACK, params={"code": "x", "state": "f" * 64}), 401, "authentication_failed"
    )
    assert "unknown" in body["detail"]
    body = assert_problem(client.get(CALLBACK, params={"code": "x"}), 401, "authentication_failed")
    assert "missing or malformed" in body["detail"]

    # Expired: the link is older than its 10 minutes.
    start = _start(client, headers)
    _, code, state = consent(start["url"], _owner(sandbox))
    with app.tx() as session:
        session.execute(update(OAuthState).values(expires_at=clock.now() - timedelta(seconds=1)))
    body = assert_problem(
        client.get(CALLBACK, params={"code": code, "state": state}), 401, "authentication_failed"
    )
    assert "expired" in body["detail"]

    # Another platform's callback path: refused (and the state is used up).
    start = _start(client, headers)
    _, code, state = consent(start["url"], _owner(sandbox))
    body = assert_problem(
        client.get("/v1/oauth/callback/taobao", params={"code": code, "state": state}),
        401,
        "authentication_failed",
    )
    assert "issued for pinduoduo" in body["detail"]

    # The merchant declined on the platform's page.
    body = assert_problem(
        client.get(
            CALLBACK,
            params={"error": "access_denied", "error_description": "用户拒绝", "state": state},
        ),
        401,
        "authentication_failed",
    )
    assert "用户拒绝" in body["detail"]
    # A valid state with an empty code names the field.
    start = _start(client, headers)
    body = assert_problem(
        client.get(CALLBACK, params={"state": start["state"]}), 422, "validation_error"
    )
    assert body["field"] == "code"
    with app.tx() as session:
        assert session.scalar(select(func.count()).select_from(Shop)) == 0


def test_binding_needs_shop_bind(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("clerk", "print_operator")
    r = client.post(
        "/v1/shops/authorizations", json={"platform": "pinduoduo"}, headers=login(client, "clerk")
    )
    assert_problem(r, 403, "permission_denied")
    with app.tx() as session:
        assert session.scalar(select(func.count()).select_from(OAuthState)) == 0


def test_authorization_input_is_checked(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for body, name in (
        ({}, "platform"),
        ({"platform": ""}, "platform"),
        ({"platform": "pinduoduo", "redirect_uri": "ftp://x/y"}, "redirect_uri"),
        ({"platform": "pinduoduo", "extra": 1}, "extra"),
    ):
        r = client.post("/v1/shops/authorizations", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.post("/v1/shops/authorizations", json={"platform": "taobao"}, headers=headers)
    assert "unknown platform" in assert_problem(r, 422, "validation_error")["detail"]


def test_shop_settings_unbind_and_other_orgs(client: ApiClient, app, sandbox, acme, globex) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    shop = _bind(client, sandbox, headers)
    theirs = Desk(app, globex).shop(platform_shop_id="7001")
    url = f"/v1/shops/{shop['id']}"

    r = client.patch(url, json={"sync_interval_minutes": 10}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["sync_interval_minutes"] == 10 and r.json()["sync_enabled"] is True
    r = client.patch(url, json={"sync_enabled": False}, headers=headers)
    assert r.json()["sync_enabled"] is False and r.json()["sync_interval_minutes"] == 10
    body = assert_problem(
        client.patch(url, json={"sync_interval_minutes": 61}, headers=headers),
        422,
        "validation_error",
    )
    assert body["field"] == "sync_interval_minutes"
    body = assert_problem(client.get("/v1/shops/abc", headers=headers), 422, "validation_error")
    assert body["field"] == "shop_id"

    # Another org's shop: not found, whatever the verb.
    for r in (
        client.get(f"/v1/shops/{theirs}", headers=headers),
        client.patch(f"/v1/shops/{theirs}", json={"sync_enabled": True}, headers=headers),
        client.post(f"/v1/shops/{theirs}/unbind", headers=headers),
    ):
        assert_problem(r, 404, "not_found")

    # Without shop.bind / shop.unbind: refused, nothing changed.
    acme.staff("clerk", "print_operator")
    clerk = login(client, "clerk")
    assert_problem(
        client.patch(url, json={"sync_enabled": True}, headers=clerk), 403, "permission_denied"
    )
    assert_problem(client.post(f"{url}/unbind", headers=clerk), 403, "permission_denied")
    assert client.get(url, headers=headers).json()["status"] == "active"

    r = client.post(f"{url}/unbind", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unbound" and r.json()["token_expires_at"] is None
    assert_problem(client.post(f"{url}/unbind", headers=headers), 409, "conflict")
    assert_problem(client.patch(url, json={"sync_enabled": True}, headers=headers), 409, "conflict")


def test_answers_decode_as_their_declared_response_types(client: ApiClient, sandbox, acme) -> None:  # type: ignore[no-untyped-def]
    from api.routes import REGISTRY

    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    start = client.post("/v1/shops/authorizations", json={"platform": "pinduoduo"}, headers=headers)
    msgspec.json.decode(
        start.content, type=ops["POST", "/v1/shops/authorizations"].response, strict=True
    )
    path, code, state = consent(start.json()["url"], _owner(sandbox))
    bound = client.get(path, params={"code": code, "state": state})
    msgspec.json.decode(
        bound.content,
        type=ops["GET", CALLBACK.replace("pinduoduo", "{platform}")].response,
        strict=True,
    )
    shop_id = bound.json()["id"]
    for method, path, url, body in (
        ("GET", "/v1/shops/{shop_id}", f"/v1/shops/{shop_id}", None),
        ("PATCH", "/v1/shops/{shop_id}", f"/v1/shops/{shop_id}", {"sync_interval_minutes": 5}),
        ("POST", "/v1/shops/{shop_id}/unbind", f"/v1/shops/{shop_id}/unbind", None),
    ):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == ops[method, path].status, r.text
        msgspec.json.decode(r.content, type=ops[method, path].response, strict=True)
