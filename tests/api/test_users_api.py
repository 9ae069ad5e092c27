"""Users, roles and tokens over HTTP: list and add users, give and take roles, disable
(their tokens stop at once) and enable; custom roles; personal API tokens shown once,
listed without secrets, revoked (failing from the next request); logout ends sessions
only. Permissions (403, nothing changed), another org's users and tokens (404), bad
input (422 naming the field)."""

from __future__ import annotations

import msgspec
from httpx import Client as ApiClient

from api.routes import REGISTRY
from core.accounts import auth, roles, users
from tests.api.conftest import assert_problem, login

PASSWORD = "Clerk-Pass-2026!"


def _users(app, actor) -> list[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    return [
        (u.username, u.status, sorted(r.name for r in u.roles))
        for u in users.list_users(app, actor)
    ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_add_list_give_take_disable_enable(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    r = client.post(
        "/v1/users",
        json={"username": "clerk", "password": PASSWORD, "display_name": "小王",
              "roles": ["print_operator"]},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/users/clerk"
    clerk = r.json()
    assert (clerk["username"], clerk["display_name"], clerk["status"], clerk["roles"]) == (
        "clerk", "小王", "active", ["打单员"],
    )  # fmt: skip
    assert (clerk["totp_enabled"], clerk["locked_until"]) == (False, None)
    r = client.post("/v1/users/clerk/roles", json={"role": "warehouse"}, headers=headers)
    assert r.status_code == 204
    r = client.delete("/v1/users/clerk/roles/打单员", headers=headers)
    assert r.status_code == 204
    listed = client.get("/v1/users", headers=headers).json()["items"]
    assert [(u["username"], u["status"], u["roles"]) for u in listed] == [
        ("boss", "active", ["管理员"]),
        ("clerk", "active", ["仓库管理员"]),
    ]
    session = login(client, "clerk", PASSWORD)
    assert client.get("/v1/stock", headers=session).status_code == 200
    r = client.post("/v1/users/clerk/disable", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert_problem(client.get("/v1/stock", headers=session), 401, "authentication_failed")
    r = client.post("/v1/users/clerk/enable", headers=headers)
    assert r.json()["status"] == "active"
    assert _users(app, acme.admin) == [
        ("boss", "active", ["管理员"]),
        ("clerk", "active", ["仓库管理员"]),
    ]


def test_roles_list_and_create(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    r = client.get("/v1/roles", headers=headers)
    assert r.status_code == 200
    builtin = {role["builtin_key"]: role for role in r.json()["items"]}
    assert builtin["finance"]["permissions"] == ["finance.view", "order.view", "report.view"]
    assert builtin["finance"]["name"] == "财务"
    r = client.post(
        "/v1/roles",
        json={"name": "质检", "permissions": ["print.reprint"], "based_on": "read_only",
              "description": "checks parcels"},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    role = r.json()
    assert role == {
        "id": role["id"],
        "name": "质检",
        "description": "checks parcels",
        "builtin_key": None,
        "permissions": ["order.view", "print.reprint", "report.view", "stock.view"],
    }
    names = [role.name for role in roles.list_roles(app, acme.admin)]
    assert names[-1] == "质检"


def test_tokens_shown_once_listed_and_revoked_through_the_api(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("clerk", "warehouse")
    clerk = login(client, "clerk")
    r = client.post("/v1/tokens", json={"name": "erp-sync", "days": 30}, headers=clerk)
    assert r.status_code == 201, r.text
    issued = r.json()
    assert issued["token"].startswith("oh_") and issued["kind"] == "api"
    assert issued["name"] == "erp-sync"
    token = _bearer(issued["token"])
    assert client.get("/v1/stock", headers=token).status_code == 200
    listed = client.get("/v1/tokens", headers=clerk).json()["items"]
    assert [(t["kind"], t["username"], t["revoked_at"]) for t in listed] == [
        ("session", "clerk", None),
        ("api", "clerk", None),
    ]
    assert listed[0]["name"].startswith("api ") and listed[1]["name"] == "erp-sync"
    assert issued["token"] not in client.get("/v1/tokens", headers=clerk).text
    assert all("secret" not in t and "token" not in t for t in listed)
    # Logging out with the personal token refuses, and the token keeps working.
    r = client.post("/v1/auth/logout", headers=token)
    assert assert_problem(r, 409, "conflict")["field"] == "token"
    assert client.get("/v1/stock", headers=token).status_code == 200
    r = client.delete(f"/v1/tokens/{issued['id']}", headers=clerk)
    assert r.status_code == 204
    assert_problem(client.get("/v1/stock", headers=token), 401, "authentication_failed")
    assert_problem(client.delete(f"/v1/tokens/{issued['id']}", headers=clerk), 409, "conflict")
    # The admin sees the org's tokens; the clerk only their own.
    boss = login(client, "boss")
    assert {t["username"] for t in client.get("/v1/tokens", headers=boss).json()["items"]} == {
        "boss",
        "clerk",
    }
    assert {t["username"] for t in client.get("/v1/tokens", headers=clerk).json()["items"]} == {
        "clerk"
    }


def test_permissions_and_nothing_changed(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("clerk", "warehouse")
    boss_token = auth.create_api_token(app, acme.admin, "boss-script")
    clerk = login(client, "clerk")
    for r in (
        client.get("/v1/users", headers=clerk),
        client.post("/v1/users", json={"username": "x", "password": PASSWORD}, headers=clerk),
        client.post("/v1/users/boss/disable", headers=clerk),
        client.post("/v1/users/boss/enable", headers=clerk),
        client.post("/v1/users/clerk/roles", json={"role": "admin"}, headers=clerk),
        client.delete("/v1/users/boss/roles/admin", headers=clerk),
        client.get("/v1/roles", headers=clerk),
        client.post("/v1/roles", json={"name": "mine"}, headers=clerk),
        client.get("/v1/tokens?user=boss", headers=clerk),
        client.post("/v1/tokens", json={"name": "t", "username": "boss"}, headers=clerk),
        client.delete(f"/v1/tokens/{boss_token.id}", headers=clerk),
    ):
        assert assert_problem(r, 403, "permission_denied")["permission"] == "user.manage", r.url
    # A manager cannot hand out a permission they lack.
    acme.staff("lead", "warehouse")
    roles.create_role(app, acme.admin, "组长", ("user.manage", "stock.view"))
    roles.assign(app, acme.admin, "lead", "组长")
    lead = login(client, "lead")
    r = client.post("/v1/users/clerk/roles", json={"role": "finance"}, headers=lead)
    assert_problem(r, 403, "permission_denied")
    assert _users(app, acme.admin) == [
        ("boss", "active", ["管理员"]),
        ("clerk", "active", ["仓库管理员"]),
        ("lead", "active", ["仓库管理员", "组长"]),
    ]
    assert auth.authenticate(app, boss_token.token).token_id == boss_token.id


def test_another_orgs_users_and_tokens_are_not_found(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    theirs = auth.create_api_token(app, globex.admin, "theirs")
    globex.staff("gina", "warehouse")
    headers = login(client, "boss")
    for r in (
        client.post("/v1/users/hank/disable", headers=headers),
        client.post("/v1/users/gina/enable", headers=headers),
        client.post("/v1/users/gina/roles", json={"role": "admin"}, headers=headers),
        client.delete("/v1/users/gina/roles/warehouse", headers=headers),
        client.delete(f"/v1/tokens/{theirs.id}", headers=headers),
        client.get("/v1/tokens?user=hank", headers=headers),
        client.post("/v1/tokens", json={"name": "t", "username": "hank"}, headers=headers),
        client.post("/v1/users/ghost/disable", headers=headers),
    ):
        assert_problem(r, 404, "not_found")
    assert [u["username"] for u in client.get("/v1/users", headers=headers).json()["items"]] == [
        "boss"
    ]
    assert all(
        t["username"] == "boss" for t in client.get("/v1/tokens", headers=headers).json()["items"]
    )
    assert auth.authenticate(app, theirs.token).token_id == theirs.id
    assert _users(app, globex.admin) == [
        ("hank", "active", ["管理员"]),
        ("gina", "active", ["仓库管理员"]),
    ]


def test_bad_input_names_the_field(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("clerk", "warehouse")
    headers = login(client, "boss")
    for path, body, name in (
        ("/v1/users", {"password": PASSWORD}, "username"),
        ("/v1/users", {"username": "x", "password": PASSWORD, "roles": "admin"}, "roles"),
        ("/v1/users", {"username": "x", "password": PASSWORD, "admin": True}, "admin"),
        ("/v1/users/clerk/roles", {}, "role"),
        ("/v1/roles", {"name": ""}, "name"),
        ("/v1/roles", {"name": "r", "permissions": ["fly"]}, "permission"),
        ("/v1/tokens", {"name": ""}, "name"),
        ("/v1/tokens", {"name": "t", "days": 0}, "days"),
        ("/v1/tokens", {"name": "t", "days": 3651}, "days"),
    ):
        r = client.post(path, json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, (path, body)
    r = client.post("/v1/users", json={"username": "x", "password": "short"}, headers=headers)
    assert_problem(r, 422, "validation_error")
    r = client.post("/v1/users", json={"username": "clerk", "password": PASSWORD}, headers=headers)
    assert_problem(r, 409, "conflict")
    r = client.post(
        "/v1/users",
        json={"username": "y", "password": PASSWORD, "roles": ["nope"]},
        headers=headers,
    )
    assert_problem(r, 404, "not_found")
    r = client.post("/v1/roles", json={"name": "管理员"}, headers=headers)
    assert assert_problem(r, 409, "conflict")["field"] == "name"
    r = client.post("/v1/users/clerk/roles", json={"role": "warehouse"}, headers=headers)
    assert_problem(r, 409, "conflict")  # has it already
    r = client.post("/v1/users/boss/disable", headers=headers)
    assert_problem(r, 409, "conflict")  # not yourself
    for bad in ("abc", "0", "-1", "99999999999999999999"):
        r = client.delete(f"/v1/tokens/{bad}", headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == "id", bad
    assert_problem(client.delete("/v1/tokens/999999", headers=headers), 404, "not_found")
    assert [u[0] for u in _users(app, acme.admin)] == ["boss", "clerk"]
    assert [r.name for r in roles.list_roles(app, acme.admin) if r.builtin_key is None] == []
    assert client.get("/v1/users", headers=headers).status_code == 200  # boss still logged in


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    acme.staff("clerk", "warehouse")
    headers = login(client, "boss")
    calls = {
        ("GET", "/v1/users"): lambda: client.get("/v1/users", headers=headers),
        ("POST", "/v1/users"): lambda: client.post(
            "/v1/users", json={"username": "new", "password": PASSWORD}, headers=headers
        ),
        ("POST", "/v1/users/{username}/disable"): lambda: client.post(
            "/v1/users/clerk/disable", headers=headers
        ),
        ("POST", "/v1/users/{username}/enable"): lambda: client.post(
            "/v1/users/clerk/enable", headers=headers
        ),
        ("GET", "/v1/roles"): lambda: client.get("/v1/roles", headers=headers),
        ("POST", "/v1/roles"): lambda: client.post(
            "/v1/roles", json={"name": "r", "permissions": ["order.view"]}, headers=headers
        ),
        ("GET", "/v1/tokens"): lambda: client.get("/v1/tokens", headers=headers),
        ("POST", "/v1/tokens"): lambda: client.post(
            "/v1/tokens", json={"name": "t"}, headers=headers
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
