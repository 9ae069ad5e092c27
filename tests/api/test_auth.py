"""Bearer authentication: sessions from login, personal API tokens, logout, lockout, TOTP."""

from __future__ import annotations

from httpx import Client as ApiClient

from core.accounts import auth, totp
from tests.api.conftest import assert_problem, login
from tests.conftest import ADMIN_PASSWORD


def test_login_gives_a_session_token_that_works_until_logout(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/auth/login", json={"username": "boss", "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    assert r.json()["token_type"] == "Bearer" and r.json()["username"] == "boss"
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/v1/shops", headers=headers).status_code == 200
    assert client.post("/v1/auth/logout", headers=headers).status_code == 204
    assert_problem(client.get("/v1/shops", headers=headers), 401, "authentication_failed")


def test_no_token_or_a_wrong_one_is_401(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    assert_problem(client.get("/v1/shops"), 401, "authentication_failed")
    bad = {"Authorization": "Bearer not-a-token"}
    assert_problem(client.get("/v1/orders", headers=bad), 401, "authentication_failed")
    assert_problem(
        client.get("/v1/shops", headers={"Authorization": "Basic x"}), 401, "authentication_failed"
    )


def test_personal_api_token_works_and_revocation_is_immediate(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    issued = auth.create_api_token(app, acme.admin, "erp", username="boss")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/v1/shops", headers=headers).status_code == 200
    auth.revoke_token(app, acme.admin, issued.id)
    assert_problem(client.get("/v1/shops", headers=headers), 401, "authentication_failed")


def test_failed_logins_count_toward_the_lockout(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    threshold = app.settings.auth.lockout_threshold
    for _ in range(threshold):
        r = client.post("/v1/auth/login", json={"username": "boss", "password": "wrong-one-1"})
        assert_problem(r, 401, "authentication_failed")
    # Locked now: even the right password gets the same answer, and no token.
    r = client.post("/v1/auth/login", json={"username": "boss", "password": ADMIN_PASSWORD})
    body = assert_problem(r, 401, "authentication_failed")
    assert "token" not in body
    # An unknown user gets the very same answer (no user-name oracle).
    r = client.post("/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert assert_problem(r, 401, "authentication_failed")["detail"] == body["detail"]


def test_totp_is_asked_for_then_accepted(client: ApiClient, app, acme, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    enrol = auth.start_totp(app, acme.admin)
    auth.confirm_totp(app, acme.admin, totp.code_at(enrol.secret, totp.step_of(frozen_clock[0])))
    r = client.post("/v1/auth/login", json={"username": "boss", "password": ADMIN_PASSWORD})
    assert_problem(r, 401, "second_factor_required")
    frozen_clock[0] = frozen_clock[0].replace(minute=5)
    code = totp.code_at(enrol.secret, totp.step_of(frozen_clock[0]))
    r = client.post(
        "/v1/auth/login", json={"username": "boss", "password": ADMIN_PASSWORD, "totp": code}
    )
    assert r.status_code == 200, r.text


def test_logout_needs_a_token(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    assert_problem(client.post("/v1/auth/logout"), 401, "authentication_failed")
    headers = login(client, "boss")
    assert client.post("/v1/auth/logout", headers=headers).status_code == 204
    assert_problem(client.post("/v1/auth/logout", headers=headers), 401, "authentication_failed")
