"""The API in process: an httpx client over `httpx.ASGITransport` (`tests.api.asgi_client`)
runs the lifespan (the core App opens and closes) and calls the ASGI app directly, on
both backends through `settings`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from httpx import Client as ApiClient

from api.app import create_app
from core.config import Settings
from tests.api.asgi_client import asgi_client
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def client(settings: Settings, app) -> Iterator[ApiClient]:  # type: ignore[no-untyped-def]
    # `app` first: the fixture orgs (acme, globex) are made through it.
    with asgi_client(create_app(settings)) as c:
        yield c


def login(client: ApiClient, username: str, password: str = ADMIN_PASSWORD) -> dict[str, str]:
    """Bearer headers of a fresh session of `username`."""
    r = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def assert_problem(response, status: int, kind: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://orderhub.dev/problems/{kind}"
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body
