"""Alerts over HTTP: the list (open, acknowledged or all; by severity and kind; keyset
pages), acknowledging one or many (audited, idempotent), who sees and acknowledges what
(`core.alertdesk.access`), another org's alerts, bad input; both backends."""

from __future__ import annotations

import msgspec
from httpx import Client as ApiClient

from core.accounts import audit
from core.alerts.raising import raise_alert
from tests.api.conftest import assert_problem, login

ALERTS = "/v1/alerts"


def _raise(app, org, kind: str, severity: str = "warning", message: str = "") -> int:  # type: ignore[no-untyped-def]
    org_id = org.org_id if org is not None else None
    return raise_alert(app, org_id, kind, severity, message or f"{kind} happened").id


def test_list_filters_and_pages(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    info = _raise(app, acme, "sync.recovered", "info")
    warning = _raise(app, acme, "order.overdue", "warning", "订单 A-1 超时未发货")
    critical = _raise(app, acme, "shipback.held", "critical")
    _raise(app, globex, "sync.failing", "critical")  # another org's
    _raise(app, acme, "notification.sent", "info")  # a copy of a message: user.manage only
    headers = login(client, "boss")

    r = client.get(ALERTS, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [a["id"] for a in body["items"]][-3:] == [critical, warning, info]
    assert body["next_cursor"] is None
    first = body["items"][-2]
    assert first == {
        "id": warning,
        "org_id": acme.org_id,
        "kind": "order.overdue",
        "severity": "warning",
        "message": "订单 A-1 超时未发货",
        "created_at": first["created_at"],
        "acked_at": None,
        "acked_by": None,
    }

    ids = lambda url: [a["id"] for a in client.get(url, headers=headers).json()["items"]]  # noqa: E731
    assert ids(f"{ALERTS}?severity=warning") == [critical, warning]
    assert ids(f"{ALERTS}?kind=order.*") == [warning]
    assert ids(f"{ALERTS}?kind=shipback.held&severity=critical") == [critical]

    # Keyset pages of one walk every alert once, newest first.
    everything = ids(ALERTS)
    seen, url = [], f"{ALERTS}?limit=1"
    while url:
        page = client.get(url, headers=headers).json()
        seen += [a["id"] for a in page["items"]]
        url = f"{ALERTS}?limit=1&after={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == everything

    # A read-only user sees the org's alerts, but not the notification copies.
    acme.staff("viewer", "read_only")
    viewer = login(client, "viewer")
    assert [a["id"] for a in client.get(ALERTS, headers=viewer).json()["items"]] == [
        critical,
        warning,
        info,
    ]


def test_acknowledge_one_and_many(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    a1 = _raise(app, acme, "order.overdue")
    a2 = _raise(app, acme, "order.overdue")
    a3 = _raise(app, acme, "sync.failing", "critical")
    a4 = _raise(app, acme, "sync.failing", "critical")
    headers = login(client, "boss")

    r = client.post(f"{ALERTS}/{a1}/acknowledge", headers=headers)
    assert r.status_code == 200, r.text
    acked = r.json()
    assert (acked["id"], acked["acked_by"]) == (a1, "boss") and acked["acked_at"]
    # Again: unchanged, and no second audit event.
    assert client.post(f"{ALERTS}/{a1}/acknowledge", headers=headers).json() == acked
    with app.tx() as session:
        assert len(audit.events(session, acme.org_id, action="alert.ack", limit=10)) == 1

    r = client.post(f"{ALERTS}/acknowledgements", json={"ids": [a1, a2]}, headers=headers)
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()["acked"]] == [a2] and r.json()["already"] == [a1]
    r = client.post(f"{ALERTS}/acknowledgements", json={"kind": "sync.*"}, headers=headers)
    assert sorted(a["id"] for a in r.json()["acked"]) == [a3, a4]

    assert client.get(ALERTS, headers=headers).json()["items"] == []
    acked_ids = [
        a["id"] for a in client.get(f"{ALERTS}?state=acked", headers=headers).json()["items"]
    ]
    assert acked_ids == [a4, a3, a2, a1]
    assert len(client.get(f"{ALERTS}?state=all", headers=headers).json()["items"]) == 4


def test_permissions_and_other_orgs(client: ApiClient, app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    mine = _raise(app, acme, "order.overdue")
    theirs = _raise(app, globex, "order.overdue")
    wide = _raise(app, None, "installation.disk", "critical")  # settings.manage only
    acme.staff("viewer", "read_only")
    viewer = login(client, "viewer")
    assert_problem(
        client.post(f"{ALERTS}/{mine}/acknowledge", headers=viewer), 403, "permission_denied"
    )
    assert_problem(
        client.post(f"{ALERTS}/acknowledgements", json={"ids": [mine]}, headers=viewer),
        403,
        "permission_denied",
    )
    assert [a["id"] for a in client.get(ALERTS, headers=viewer).json()["items"]] == [mine]
    acme.staff("guest")
    assert_problem(client.get(ALERTS, headers=login(client, "guest")), 403, "permission_denied")

    boss = login(client, "boss")
    assert_problem(client.post(f"{ALERTS}/{theirs}/acknowledge", headers=boss), 404, "not_found")
    assert_problem(
        client.post(f"{ALERTS}/acknowledgements", json={"ids": [mine, theirs]}, headers=boss),
        404,
        "not_found",
    )
    # The warehouse works orders but is no operator of the installation.
    acme.staff("cangku", "warehouse")
    cangku = login(client, "cangku")
    assert_problem(client.post(f"{ALERTS}/{wide}/acknowledge", headers=cangku), 404, "not_found")
    # Nothing was acknowledged by any of that.
    assert [a["id"] for a in client.get(ALERTS, headers=boss).json()["items"]] == [wide, mine]
    assert client.post(f"{ALERTS}/{wide}/acknowledge", headers=boss).status_code == 200


def test_alerts_input_is_checked(client: ApiClient, acme) -> None:  # type: ignore[no-untyped-def]
    headers = login(client, "boss")
    for url, name in (
        (f"{ALERTS}?state=closed", "state"),
        (f"{ALERTS}?severity=fatal", "severity"),
        (f"{ALERTS}?limit=0", "limit"),
        (f"{ALERTS}?after=x", "after"),
        (f"{ALERTS}?after=99999999999", "after"),
        (f"{ALERTS}?nope=1", "nope"),
    ):
        body = assert_problem(client.get(url, headers=headers), 422, "validation_error")
        assert body["field"] == name, url
    for body, name in (
        ({}, "ids"),
        ({"ids": [1], "kind": "sync.*"}, "ids"),
        ({"ids": ["one"]}, "ids"),
        ({"kind": ""}, "kind"),
    ):
        r = client.post(f"{ALERTS}/acknowledgements", json=body, headers=headers)
        assert assert_problem(r, 422, "validation_error")["field"] == name, body
    r = client.post(f"{ALERTS}/abc/acknowledge", headers=headers)
    assert assert_problem(r, 422, "validation_error")["field"] == "alert_id"
    assert_problem(client.post(f"{ALERTS}/99999/acknowledge", headers=headers), 404, "not_found")


def test_answers_decode_as_their_declared_response_types(client: ApiClient, app, acme) -> None:  # type: ignore[no-untyped-def]
    from api.routes import REGISTRY

    a1 = _raise(app, acme, "order.overdue")
    a2 = _raise(app, acme, "order.overdue")
    headers = login(client, "boss")
    ops = {(op.method, op.path): op for op in REGISTRY.operations}
    for method, path, url, body in (
        ("GET", ALERTS, ALERTS, None),
        ("POST", f"{ALERTS}/{{alert_id}}/acknowledge", f"{ALERTS}/{a1}/acknowledge", None),
        ("POST", f"{ALERTS}/acknowledgements", f"{ALERTS}/acknowledgements", {"ids": [a1, a2]}),
        ("GET", ALERTS, f"{ALERTS}?state=acked", None),
    ):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == ops[method, path].status, r.text
        msgspec.json.decode(r.content, type=ops[method, path].response, strict=True)
