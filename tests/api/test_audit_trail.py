"""`GET /v1/audit`: the org's trail newest first, keyset pages, filters by action, target
and time; settings.manage only; another org's events never appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from httpx import Client as ApiClient

from core import clock
from core.accounts import audit
from tests.api.conftest import assert_problem, login
from tests.api.test_order_actions import _decode

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _events(app, org, count: int, start: datetime = T0) -> None:  # type: ignore[no-untyped-def]
    """`count` events `test.n` one minute apart, the n-th on target order n."""
    for n in range(count):
        clock.set_clock(lambda n=n: start + timedelta(minutes=n))
        try:
            with app.tx() as session:
                audit.record(
                    session,
                    f"test.{n % 2}",
                    actor=org.admin,
                    target_type="order",
                    target_id=n,
                    before={"n": n - 1},
                    after={"n": n},
                    detail=f"event {n}",
                )
        finally:
            clock.set_clock(None)


def test_pages_newest_first_with_the_cursor(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _events(app, acme, 5)
    _events(app, globex, 3)
    headers = login(client, "boss")  # the login itself is an event too
    r = client.get("/v1/audit", params={"limit": 2, "action": "test.0"}, headers=headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["detail"] for e in page["items"]] == ["event 4", "event 2"]
    first = page["items"][0]
    assert first == {
        "id": first["id"],
        "at": "2026-12-01T08:04:00Z",
        "actor": "boss",
        "action": "test.0",
        "target_type": "order",
        "target_id": "4",
        "detail": "event 4",
        "before": {"n": 3},
        "after": {"n": 4},
    }
    _decode(client, "GET", "/v1/audit", r)
    assert page["next_cursor"] == str(page["items"][1]["id"])
    r = client.get(
        "/v1/audit",
        params={"limit": 2, "action": "test.0", "after": page["next_cursor"]},
        headers=headers,
    )
    assert [e["detail"] for e in r.json()["items"]] == ["event 0"]
    assert r.json()["next_cursor"] is None

    everything = client.get("/v1/audit", params={"limit": 500}, headers=headers).json()
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    assert [e["detail"] for e in everything["items"] if e["action"].startswith("test.")] == [
        f"event {n}" for n in (4, 3, 2, 1, 0)
    ]  # globex's events are not among them
    assert "login.success" in {e["action"] for e in everything["items"]}


def test_filters_by_target_and_time(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _events(app, acme, 5)
    headers = login(client, "boss")
    r = client.get("/v1/audit", params={"target_type": "order", "target_id": "3"}, headers=headers)
    assert [e["detail"] for e in r.json()["items"]] == ["event 3"]
    r = client.get(
        "/v1/audit",
        params={
            "target_type": "order",
            "since": "2026-12-01T16:01:00+08:00",  # 08:01 UTC, inclusive
            "until": "2026-12-01T08:03:00Z",  # exclusive
        },
        headers=headers,
    )
    assert [e["detail"] for e in r.json()["items"]] == ["event 2", "event 1"]


def test_needs_settings_manage_and_good_input(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    _events(app, acme, 1)
    acme.staff("clerk", "print_operator")
    r = client.get("/v1/audit", headers=login(client, "clerk"))
    assert_problem(r, 403, "permission_denied")
    assert "event 0" not in r.text
    headers = login(client, "boss")
    for params, name in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"after": "abc"}, "after"),
        ({"since": "2026-12-01T08:00:00"}, "since"),  # no time zone
        ({"until": "yesterday"}, "until"),
        ({"action": "x" * 65}, "action"),
        ({"target_id": "a\x00b"}, "target_id"),
        ({"order": "1"}, "order"),
    ):
        problem = assert_problem(
            client.get("/v1/audit", params=params, headers=headers), 422, "validation_error"
        )
        assert problem["field"] == name, (params, problem)
