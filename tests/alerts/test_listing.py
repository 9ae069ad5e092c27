"""Listing and acknowledging alerts: org scope, visibility, permissions, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.alertdesk import listing
from core.alerts.raising import raise_alert
from core.errors import NotFound, PermissionDenied, ValidationError
from tests.alerts.helpers import audit_actions, stored_alerts


@pytest.fixture
def raised(app, acme, globex, frozen_clock):
    """Alerts of acme at three times, one of globex, one installation-wide, one copy of
    a registration notification."""
    frozen_clock[0] = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    ids = {"sync": raise_alert(app, acme.org_id, "sync.failing", "warning", "shop 1 failing").id}
    frozen_clock[0] += timedelta(hours=1)
    ids["hold"] = raise_alert(app, acme.org_id, "order.refund_hold", "critical", "已拦截").id
    ids["info"] = raise_alert(app, acme.org_id, "order.ship_due", "info", "due soon").id
    ids["note"] = raise_alert(app, acme.org_id, "notification.register", "info", "To x").id
    ids["globex"] = raise_alert(app, globex.org_id, "sync.failing", "critical", "other").id
    ids["install"] = raise_alert(app, None, "backup.failed", "critical", "disk full").id
    return ids


def kinds(views) -> list[str]:
    return [v.kind for v in views]


def test_admin_sees_own_org_and_installation_alerts_newest_first(app, acme, raised) -> None:
    views = listing.list_alerts(app, acme.admin)
    ids = [v.id for v in views]
    assert raised["globex"] not in ids
    assert set(ids) == {raised[k] for k in ("sync", "hold", "info", "note", "install")}
    assert ids[-1] == raised["sync"]  # the oldest last
    assert [v.installation_wide for v in views if v.id == raised["install"]] == [True]


def test_staff_see_neither_notifications_nor_installation_alerts(app, acme, raised) -> None:
    clerk = acme.staff("clerk", "print_operator")
    assert set(kinds(listing.list_alerts(app, clerk))) == {
        "sync.failing",
        "order.refund_hold",
        "order.ship_due",
    }


def test_filters_severity_kind_since_and_limit(app, acme, raised) -> None:
    admin = acme.admin
    assert kinds(listing.list_alerts(app, admin, severity="critical")) == [
        "backup.failed",
        "order.refund_hold",
    ]
    assert set(kinds(listing.list_alerts(app, admin, severity="warning"))) == {
        "backup.failed",
        "order.refund_hold",
        "sync.failing",
    }
    assert set(kinds(listing.list_alerts(app, admin, kind="order.*"))) == {
        "order.refund_hold",
        "order.ship_due",
    }
    assert kinds(listing.list_alerts(app, admin, kind="sync.failing")) == ["sync.failing"]
    since = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
    assert raised["sync"] not in [v.id for v in listing.list_alerts(app, admin, since=since)]
    assert len(listing.list_alerts(app, admin, limit=2)) == 2
    with pytest.raises(ValidationError, match="limit"):
        listing.list_alerts(app, admin, limit=0)
    with pytest.raises(ValidationError, match="severity"):
        listing.list_alerts(app, admin, severity="fatal")
    with pytest.raises(ValidationError, match="time zone"):
        listing.list_alerts(app, admin, since=datetime(2026, 11, 27))


def test_ack_one_is_audited_and_leaves_the_open_list(app, acme, raised) -> None:
    clerk = acme.staff("clerk", "print_operator")
    result = listing.ack_alerts(app, clerk, [raised["hold"]])
    [view] = result.acked
    assert view.acked_by == "clerk" and view.acked_at is not None
    assert raised["hold"] not in [v.id for v in listing.list_alerts(app, clerk)]
    everything = listing.list_alerts(app, clerk, include_acked=True)
    assert [v.acked_by for v in everything if v.id == raised["hold"]] == ["clerk"]
    [event] = audit_actions(app, "alert.ack")
    assert (event.target_type, event.target_id, event.actor_user_id) == (
        "alert",
        str(raised["hold"]),
        clerk.user_id,
    )
    again = listing.ack_alerts(app, clerk, [raised["hold"]])
    assert again.acked == () and again.already == (raised["hold"],)
    assert len(audit_actions(app, "alert.ack")) == 1


def test_another_orgs_alert_is_not_found_and_nothing_changes(app, acme, raised) -> None:
    with pytest.raises(NotFound, match=f"no alert {raised['globex']}"):
        listing.ack_alerts(app, acme.admin, [raised["sync"], raised["globex"]])
    assert all(a.acked_at is None for a in stored_alerts(app))
    with pytest.raises(NotFound):
        listing.ack_alerts(app, acme.admin, [999_999])


def test_staff_cannot_ack_what_they_cannot_see(app, acme, raised) -> None:
    clerk = acme.staff("clerk", "print_operator")
    for hidden in (raised["note"], raised["install"]):
        with pytest.raises(NotFound):
            listing.ack_alerts(app, clerk, [hidden])


def test_read_only_sees_but_cannot_ack(app, acme, raised) -> None:
    viewer = acme.staff("viewer", "read_only")
    assert len(listing.list_alerts(app, viewer)) == 3
    with pytest.raises(PermissionDenied, match=r"order\.edit or ship\.confirm"):
        listing.ack_alerts(app, viewer, [raised["sync"]])
    with pytest.raises(PermissionDenied):
        listing.ack_kind(app, viewer, "sync.failing")
    assert all(a.acked_at is None for a in stored_alerts(app))


def test_warehouse_may_ack_a_hold(app, acme, raised) -> None:
    keeper = acme.staff("keeper", "warehouse")
    assert [v.id for v in listing.ack_alerts(app, keeper, [raised["hold"]]).acked] == [
        raised["hold"]
    ]


def test_ack_all_open_of_a_kind_in_own_org_only(app, acme, globex, raised) -> None:
    raise_alert(app, acme.org_id, "sync.failing", "warning", "shop 2 failing")
    result = listing.ack_kind(app, acme.admin, "sync.failing")
    assert len(result.acked) == 2
    [globex_alert] = [a for a in stored_alerts(app) if a.id == raised["globex"]]
    assert globex_alert.acked_at is None
    assert listing.ack_kind(app, acme.admin, "sync.failing").acked == ()
    assert len(audit_actions(app, "alert.ack")) == 2


def test_no_view_permission_no_list(app, acme, raised) -> None:
    from core.accounts import roles

    roles.create_role(app, acme.admin, "nothing", ("stock.view",))
    nobody = acme.staff("nobody", "nothing")
    with pytest.raises(PermissionDenied, match=r"order\.view"):
        listing.list_alerts(app, nobody)


def test_open_counts_cover_the_installation(app, acme, raised) -> None:
    with app.engine.connect() as connection:
        assert listing.open_counts(connection) == {"info": 2, "warning": 1, "critical": 3}


def test_alerts_page_by_state_and_keyset(app, acme, raised) -> None:
    """`alerts_page`: the HTTP API's list, newest id first, a page at a time."""
    mine = [raised[k] for k in ("install", "note", "info", "hold", "sync")]
    first = listing.alerts_page(app, acme.admin, limit=3)
    rest = listing.alerts_page(app, acme.admin, limit=3, after=first.next_cursor)
    assert [v.id for v in (*first.items, *rest.items)] == mine and rest.next_cursor is None
    listing.ack_alerts(app, acme.admin, [raised["hold"]])
    assert [v.id for v in listing.alerts_page(app, acme.admin, state="acked").items] == [
        raised["hold"]
    ]
    assert raised["hold"] not in [v.id for v in listing.alerts_page(app, acme.admin).items]
    assert len(listing.alerts_page(app, acme.admin, state="all").items) == 5
    for bad in ({"state": "closed"}, {"after": "-1"}, {"limit": 0}):
        with pytest.raises(ValidationError):
            listing.alerts_page(app, acme.admin, **bad)


def test_ack_alert_answers_the_alert_as_it_is(app, acme, raised) -> None:
    view = listing.ack_alert(app, acme.admin, raised["sync"])
    assert (view.id, view.acked_by) == (raised["sync"], "boss") and view.acked_at is not None
    assert listing.ack_alert(app, acme.admin, raised["sync"]) == view  # again: unchanged
    assert len(audit_actions(app, "alert.ack")) == 1
    with pytest.raises(NotFound):
        listing.ack_alert(app, acme.admin, raised["globex"])
    with pytest.raises(PermissionDenied):
        listing.ack_alert(app, acme.staff("viewer", "read_only"), raised["hold"])
