"""Low-stock thresholds (`core.stock.policies`, `core.stock.lowstock`): a level at or below
its threshold after any ledger post raises exactly one alert per crossing, which the
forwarding pass sends through the notifiers; recovering above it re-arms the alert;
per-warehouse thresholds override the SKU's; setting and clearing are audited and
permission-checked, and other orgs' SKUs are not found."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.alertdesk import forwarding
from core.auditing import decisions
from core.config import AlertSettings
from core.contracts import Notification, Notifier
from core.errors import NotFound, PermissionDenied, ValidationError
from core.hookspecs import hookimpl
from core.models import Alert, AuditEvent, StockPolicy
from core.startup import open_app
from core.stock import catalogue, mapping, operations, policies, warehouses
from core.stock.lowstock import KIND
from core.stock.mapping import Part
from core.stock.operations import Line
from tests.conftest import OrgFixture
from tests.desk.world import LineSpec, OrderSpec, store_world

SENT: list[Notification] = []


class Recorder(Notifier):
    name = "recorder"

    def send(self, notification: Notification) -> None:
        SENT.append(notification)


@pytest.fixture
def stock_app(settings):  # type: ignore[no-untyped-def]
    """The app with a recording notifier as the alert channel (default forward severity)."""
    SENT.clear()
    application = open_app(replace(settings, alerts=AlertSettings(notifiers=("recorder",))))
    application.plugins.register(
        SimpleNamespace(register_notifiers=hookimpl(lambda: [Recorder])), "recorder"
    )
    yield application
    application.close()


@pytest.fixture
def acme(stock_app) -> OrgFixture:  # type: ignore[no-untyped-def]
    org = OrgFixture(stock_app, "acme", "boss")
    warehouses.add_warehouse(stock_app, org.admin, "主仓")
    warehouses.add_warehouse(stock_app, org.admin, "北仓")
    catalogue.add_sku(stock_app, org.admin, "CUP-R", "保温杯 红")
    catalogue.add_sku(stock_app, org.admin, "LID", "杯盖")
    return org


def low_alerts(app) -> list[Alert]:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == KIND).order_by(Alert.id)))


def test_one_alert_per_crossing_reaches_the_notifier(stock_app, acme: OrgFixture) -> None:
    app, admin = stock_app, acme.admin
    operations.receive(app, admin, [Line("CUP-R", 20)])
    policies.set_threshold(app, admin, "CUP-R", 5)
    assert low_alerts(app) == []
    operations.count(app, admin, [Line("CUP-R", 6)])  # above: nothing
    operations.count(app, admin, [Line("CUP-R", 5)])  # at the threshold: the alert
    operations.count(app, admin, [Line("CUP-R", 3)])  # still low: no second alert
    operations.count(app, admin, [Line("CUP-R", 0)])
    [alert] = low_alerts(app)
    assert alert.severity == "critical" and alert.org_id == acme.org_id
    assert alert.message.startswith("[CUP-R @ 主仓] 库存低于预警值")
    assert "available 5 <= threshold 5" in alert.message
    report = forwarding.run(app)
    assert report.forwarded == 1 and report.error is None
    [sent] = SENT
    assert [a.id for a in sent.alerts] == [alert.id] and "CUP-R" in sent.body
    assert forwarding.run(app).forwarded == 0  # once
    # Recovers above, then falls again: a new alert for the new crossing.
    operations.receive(app, admin, [Line("CUP-R", 10)])
    assert len(low_alerts(app)) == 1
    operations.transfer(app, admin, [Line("CUP-R", 6)], source="主仓", destination="北仓")
    alerts = low_alerts(app)
    assert len(alerts) == 2 and "available 4 <= threshold 5" in alerts[1].message
    # 北仓 got 6 (above 5): nothing there.
    assert all("北仓" not in a.message for a in alerts)


def test_reservations_and_deductions_cross_too_and_warehouse_thresholds_override(
    stock_app, acme: OrgFixture
) -> None:
    app, admin = stock_app, acme.admin
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("CUP-R"), Part("LID", 2)])
    operations.receive(app, admin, [Line("CUP-R", 5), Line("LID", 8)])
    operations.receive(app, admin, [Line("LID", 3)], warehouse="北仓")
    policies.set_threshold(app, admin, "LID", 0, warehouse="北仓")  # 北仓: only at 0 …
    policies.set_threshold(app, admin, "LID", 4)  # … every other warehouse at 4
    assert low_alerts(app) == []  # 北仓 has 3 > 0
    specs = [OrderSpec(lines=(LineSpec("礼盒", "sku-9", ""),)) for _ in range(2)]
    store_world(app, acme.org_id, specs, prefix="LOW")
    from core.desk import search

    numbers = sorted(r.order_no for r in search.search_orders(app, admin, "").rows)
    decisions.approve(app, admin, numbers[:1])  # LID 8 → available 6
    assert low_alerts(app) == []
    decisions.approve(app, admin, numbers[1:])  # available 4: at the threshold
    [alert] = low_alerts(app)
    assert "LID 杯盖 in 主仓" in alert.message and "reserved 4" in alert.message
    # Setting a threshold above what is there raises at once, without waiting for a post.
    policies.set_threshold(app, admin, "LID", 3, warehouse="北仓")
    alerts = low_alerts(app)
    assert len(alerts) == 2 and "[LID @ 北仓]" in alerts[1].message
    # Clearing the every-warehouse threshold re-arms 主仓 (no threshold: not low).
    policies.clear_threshold(app, admin, "LID")
    policies.set_threshold(app, admin, "LID", 4)
    assert len(low_alerts(app)) == 3


def test_a_post_reads_no_other_table_for_the_check(stock_app, acme: OrgFixture) -> None:
    """The check after a post reads only the levels the post locked (each carries its
    threshold): no query of the policies, whether thresholds are set or not."""
    from sqlalchemy import event

    from core.stock import ledger

    app = stock_app
    operations.receive(app, acme.admin, [Line("LID", 3), Line("CUP-R", 3)])  # levels exist
    policies.set_threshold(app, acme.admin, "LID", 1)
    houses = {w.name: w.id for w in warehouses.list_warehouses(app, acme.admin)}
    ids = {s.code: s.id for s in catalogue.list_skus(app, acme.admin)}
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    with app.tx() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            ledger.post(
                session,
                acme.org_id,
                "tests",
                [
                    ledger.Move(houses["主仓"], ids["LID"], on_hand=5),
                    ledger.Move(houses["主仓"], ids["CUP-R"], on_hand=5),
                ],
            )
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in seen if "stock_policies" in s]
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2  # one locked read per level, as before the check existed


def test_a_new_level_takes_its_threshold(stock_app, acme: OrgFixture) -> None:
    """A threshold set before the SKU was ever in a warehouse applies to its first level."""
    app = stock_app
    policies.set_threshold(app, acme.admin, "CUP-R", 4, warehouse="北仓")
    operations.receive(app, acme.admin, [Line("CUP-R", 3)], warehouse="北仓")
    [alert] = low_alerts(app)
    assert "[CUP-R @ 北仓]" in alert.message and "available 3 <= threshold 4" in alert.message


def test_threshold_services_check_permissions_orgs_and_values(stock_app, acme: OrgFixture) -> None:
    app, admin = stock_app, acme.admin
    viewer = acme.staff("viewer", "read_only")
    with pytest.raises(PermissionDenied):
        policies.set_threshold(app, viewer, "LID", 3)
    with pytest.raises(ValidationError):
        policies.set_threshold(app, admin, "LID", -1)
    with pytest.raises(NotFound):
        policies.clear_threshold(app, admin, "LID")
    with pytest.raises(NotFound):
        policies.set_threshold(app, admin, "LID", 3, warehouse="南仓")
    set_ = policies.set_threshold(app, admin, "LID", 3, warehouse="北仓")
    assert (set_.code, set_.warehouse, set_.low_stock) == ("LID", "北仓", 3)
    policies.set_plan(app, admin, "LID", lead_time_days=12, safety_stock=None)
    listed = policies.list_policies(app, viewer)
    assert [(p.code, p.warehouse, p.low_stock, p.lead_time_days) for p in listed] == [
        ("LID", None, None, 12),
        ("LID", "北仓", 3, None),
    ]
    other = OrgFixture(app, "globex", "hank")
    with pytest.raises(NotFound):
        policies.set_threshold(app, other.admin, "LID", 3)
    assert policies.list_policies(app, other.admin) == []
    policies.clear_threshold(app, admin, "LID", warehouse="北仓")
    policies.set_plan(app, admin, "LID", lead_time_days=None, safety_stock=None)
    with app.tx() as session:
        assert session.scalar(select(func.count()).select_from(StockPolicy)) == 0  # emptied
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith("stock."))
        ).all()
    assert {"stock.threshold.set", "stock.threshold.clear", "stock.plan.set"} <= set(actions)


def test_concurrent_deductions_raise_one_alert_per_crossing(stock_app, acme: OrgFixture) -> None:
    """Workers deducting the same SKU at once (row-locked on PostgreSQL, one writer at a
    time on SQLite): the crossing is seen by exactly one of them."""
    from concurrent.futures import ThreadPoolExecutor

    from core.stock import ledger

    app = stock_app
    operations.receive(app, acme.admin, [Line("LID", 40)])
    policies.set_threshold(app, acme.admin, "LID", 20)
    main = {w.name: w.id for w in warehouses.list_warehouses(app, acme.admin)}["主仓"]
    lid = next(s.id for s in catalogue.list_skus(app, acme.admin) if s.code == "LID")

    def deduct(n: int) -> None:
        with app.tx() as session:
            move = ledger.Move(main, lid, on_hand=-1, reason="deduct", reference=f"order:{n}")
            ledger.post(session, acme.org_id, "worker", [move])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(deduct, range(30)))  # 40 → 10: crosses 20 once
    from core.stock import levels

    assert levels.verify(app, acme.admin) == []
    assert len(low_alerts(app)) == 1
    operations.receive(app, acme.admin, [Line("LID", 30)])  # 40: recovered
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(deduct, range(100, 125)))  # 40 → 15: crosses again, once
    assert len(low_alerts(app)) == 2
