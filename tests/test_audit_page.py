"""`core.accounts.audit.audit_page`: the org's trail newest first, a keyset page at a time,
filtered by action, target and time; settings.manage; bad cursors and naive times refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.accounts import audit
from core.errors import PermissionDenied, ValidationError

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _record(app, org, n: int) -> None:  # type: ignore[no-untyped-def]
    clock.set_clock(lambda: T0 + timedelta(minutes=n))
    try:
        with app.tx() as session:
            audit.record(
                session, "t.x", actor=org.admin, target_type="order", target_id=n, detail=str(n)
            )
    finally:
        clock.set_clock(None)


def test_audit_pages(app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        _record(app, acme, n)
    _record(app, globex, 9)
    page = audit.audit_page(app, acme.admin, limit=3, action="t.x")
    assert [e.detail for e in page.entries] == ["4", "3", "2"]
    assert page.next_cursor == str(page.entries[-1].id)
    rest = audit.audit_page(app, acme.admin, limit=3, action="t.x", after=page.next_cursor)
    assert ([e.detail for e in rest.entries], rest.next_cursor) == (["1", "0"], None)
    found = audit.audit_page(
        app,
        acme.admin,
        target_type="order",
        since=T0 + timedelta(minutes=1),
        until=T0 + timedelta(minutes=3),
    )
    assert [e.detail for e in found.entries] == ["2", "1"]
    assert [e.detail for e in audit.audit_page(app, acme.admin, target_id="4").entries] == ["4"]
    assert audit.audit_page(app, globex.admin, action="t.x").entries[0].detail == "9"

    for kwargs, field in (
        ({"after": "x1"}, "after"),
        ({"limit": 0}, "limit"),
        ({"since": datetime(2026, 12, 1)}, "since"),  # naive on purpose
    ):
        with pytest.raises(ValidationError) as caught:
            audit.audit_page(app, acme.admin, **kwargs)
        assert caught.value.details["field"] == field
    with pytest.raises(PermissionDenied):
        audit.audit_page(app, acme.staff("clerk", "print_operator"))
