"""Invariant 1 through the order store: each order once, never going backwards; refund holds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core.contracts.types import (
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.models import Alert, Order, OrderLine, Shop
from core.orders import store as order_store

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make_order(number: str, minutes: int = 0, **changes) -> PlatformOrder:
    values = dict(
        order_number=number,
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status=RefundStatus.NONE,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=minutes),
        receiver=Contact(
            name="王小明",
            phone="13812345678",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address="文三路 90 号 东部软件园 3 号楼",
        ),
        lines=(
            PlatformOrderLine(
                sku_id="sku-1", title="保温杯 500ml", quantity=2, unit_price_fen=3990
            ),
        ),
        goods_fen=7980,
        paid_fen=7480,
        discount_fen=500,
        raw={"order_sn": number, "receiver_name": "王小明"},
    )
    values.update(changes)
    return PlatformOrder(**values)


@pytest.fixture
def shop(app, acme) -> Shop:
    with app.tx() as s:
        row = Shop(org_id=acme.org_id, platform="pinduoduo", platform_shop_id="9001", name="杯子店")
        s.add(row)
        s.flush()
        return row


def store(app, shop, orders, source="sync"):
    with app.tx() as s:
        return order_store.upsert_orders(
            s, app.keyring, org_id=shop.org_id, shop_id=shop.id, orders=orders, source=source
        )


def test_new_orders_are_stored_once_with_lines_and_masked_pii(app, shop) -> None:
    first = store(app, shop, [make_order("A1"), make_order("A2")])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = store(app, shop, [make_order("A1"), make_order("A2")])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    with app.tx() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 2
        order = s.scalars(select(Order).where(Order.platform_order_no == "A1")).one()
        assert order.receiver_name == "王小明"
        assert order.receiver_name_masked == "王**"
        assert order.receiver_phone_masked == "138****5678"
        assert order.hub_status == "pending"
        assert [(ln.title, ln.quantity, ln.unit_price_fen) for ln in order.lines] == [
            ("保温杯 500ml", 2, 3990)
        ]
        assert order.pay_amount_fen == 7480 and order.discount_fen == 500
    with app.engine.connect() as conn:
        raw = " ".join(str(v) for v in conn.exec_driver_sql("SELECT * FROM orders").first())
    assert "王小明" not in raw and "13812345678" not in raw


def test_updates_apply_only_when_newer(app, shop) -> None:
    store(app, shop, [make_order("B1", minutes=10, buyer_memo="v10")])
    older = store(app, shop, [make_order("B1", minutes=5, buyer_memo="v5")])
    assert (older.updated, older.unchanged) == (0, 1)
    newer = store(
        app,
        shop,
        [
            make_order(
                "B1",
                minutes=20,
                buyer_memo="v20",
                lines=(
                    PlatformOrderLine(sku_id="sku-2", title="杯盖", quantity=1, unit_price_fen=500),
                ),
            )
        ],
    )
    assert newer.updated == 1
    with app.tx() as s:
        order = s.scalars(select(Order).where(Order.platform_order_no == "B1")).one()
        assert order.buyer_memo == "v20"
        assert [
            ln.sku_id if hasattr(ln, "sku_id") else ln.platform_sku_id for ln in order.lines
        ] == ["sku-2"]
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 1


def test_duplicates_in_one_batch_keep_the_newest(app, shop) -> None:
    result = store(
        app, shop, [make_order("C1", 1, buyer_memo="old"), make_order("C1", 9, buyer_memo="new")]
    )
    assert (result.seen, result.new) == (2, 1)
    with app.tx() as s:
        assert s.scalar(select(Order.buyer_memo)) == "new"


def test_refund_after_audit_puts_the_order_on_hold_with_an_alert(app, shop) -> None:
    store(app, shop, [make_order("D1"), make_order("D2")])
    with app.tx() as s:
        s.execute(update(Order).where(Order.platform_order_no == "D1").values(hub_status="audited"))
    result = store(
        app,
        shop,
        [
            make_order("D1", 5, refund_status=RefundStatus.IN_PROGRESS),
            make_order("D2", 5, refund_status=RefundStatus.IN_PROGRESS),
        ],
    )
    assert len(result.alerts) == 1
    with app.tx() as s:
        d1, d2 = s.scalars(select(Order).order_by(Order.platform_order_no)).all()
        assert d1.on_hold and "退款中" in d1.hold_reason and d1.hub_status == "audited"
        assert not d2.on_hold and d2.exception_reasons == ["refund_in_progress"]
        alert = s.scalars(select(Alert).where(Alert.kind == "order.refund_hold")).one()
        assert "D1" in alert.message and alert.severity == "critical"
    # The refund is closed: the exception clears, but the hold waits for a person.
    store(app, shop, [make_order("D1", 9), make_order("D2", 9)])
    with app.tx() as s:
        d1, d2 = s.scalars(select(Order).order_by(Order.platform_order_no)).all()
        assert d1.on_hold and d2.exception_reasons == []


def test_platform_state_moves_hub_status_forward_only(app, shop) -> None:
    store(app, shop, [make_order("E1"), make_order("E2"), make_order("E3")])
    store(
        app,
        shop,
        [
            make_order("E1", 5, status=OrderStatus.SHIPPED),
            make_order("E2", 5, status=OrderStatus.CANCELLED),
            make_order("E3", 5, refund_status=RefundStatus.REFUNDED),
        ],
    )
    with app.tx() as s:
        statuses = dict(s.execute(select(Order.platform_order_no, Order.hub_status)).all())
    assert statuses == {"E1": "shipped", "E2": "cancelled", "E3": "refunded"}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_writers_store_each_order_once_and_newest_wins(app, shop) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            barrier.wait()
            for round_ in range(5):
                batch = [
                    make_order(
                        f"P{i}", minutes=round_ * 4 + offset, buyer_memo=f"{round_}-{offset}"
                    )
                    for i in range(50)
                ]
                store(app, shop, batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with app.tx() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 50
        memos = set(s.scalars(select(Order.buyer_memo)))
        lines = s.scalar(select(func.count()).select_from(OrderLine))
    assert memos == {"4-3"}  # newest updated_at: round 4, offset 3
    assert lines == 50


def test_an_insert_race_lost_to_another_worker_keeps_their_row_and_updates_it(
    app, shop, monkeypatch
) -> None:
    """Another worker inserts R2 between our look-up and our insert: the batch insert sees
    the conflict, falls back to the exact path, inserts only R1 and R3 as new, and applies
    our newer copy of R2 to their row (one row per order, lines not doubled)."""
    store(app, shop, [make_order("R2", 0)])  # "their" row, an older copy
    real_existing = order_store._existing
    calls = []

    def blind_first_look(session, shop_id, numbers):  # type: ignore[no-untyped-def]
        calls.append(list(numbers))
        return {} if len(calls) == 1 else real_existing(session, shop_id, numbers)

    monkeypatch.setattr(order_store, "_existing", blind_first_look)
    result = store(app, shop, [make_order("R1", 5), make_order("R2", 5), make_order("R3", 5)])
    assert (result.new, result.updated, result.unchanged) == (2, 1, 0)
    assert result.created == {"R1", "R3"}
    assert calls[1] == ["R2"]  # the second look-up is of the raced order only
    with app.tx() as s:
        rows = s.execute(
            select(Order.platform_order_no, func.count(OrderLine.id))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .group_by(Order.platform_order_no)
            .order_by(Order.platform_order_no)
        ).all()
        assert [tuple(r) for r in rows] == [("R1", 1), ("R2", 1), ("R3", 1)]
        r2 = s.scalars(select(Order).where(Order.platform_order_no == "R2")).one()
        assert r2.platform_updated_at == T0 + timedelta(minutes=5)


def test_payloads_are_sealed_unless_the_plugin_says_they_hold_no_personal_data(app, shop) -> None:
    store(
        app,
        shop,
        [
            make_order("P1"),
            make_order("P2", raw={"order_sn": "P2", "x": "~c~"}, raw_personal=False),
        ],
    )
    with app.engine.connect() as conn:
        stored = dict(conn.exec_driver_sql("SELECT platform_order_no, raw FROM orders").all())
    assert bytes(stored["P1"])[:1] == b"s" and "王小明".encode() not in bytes(stored["P1"])
    assert bytes(stored["P2"]) == b'j{"order_sn":"P2","x":"~c~"}'
    with app.tx() as s:
        raws = {n: r for n, r in s.execute(select(Order.platform_order_no, Order.raw))}
    assert raws["P1"] == {"order_sn": "P1", "receiver_name": "王小明"}
    assert raws["P2"] == {"order_sn": "P2", "x": "~c~"}


def test_platform_ciphertext_is_kept_as_the_platform_sent_it(app, shop) -> None:
    """Receiver fields the platform encrypted are stored as they are (marked), not
    encrypted a second time; they read back unchanged, and key rotation leaves them."""
    from core.keys import rotation as keys

    sealed = Contact(
        name="~AgAAAAFq3Yx~",
        phone="$13800$AgAAAAE2r9$1$$",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        address="~AgAAAAJ7c2Fk~",
        encrypted=True,
        name_masked="王*",
        phone_masked="138****5678",
        address_masked="文三路**号",
    )
    store(app, shop, [make_order("E1", receiver=sealed, raw={"order_sn": "E1"})])
    with app.engine.connect() as conn:
        name, phone = conn.exec_driver_sql("SELECT receiver_name, receiver_phone FROM orders").one()
    assert (name, phone) == ("platform:~AgAAAAFq3Yx~", "platform:$13800$AgAAAAE2r9$1$$")
    with app.tx() as s:
        order = s.scalars(select(Order)).one()
        assert (order.receiver_name, order.receiver_address) == ("~AgAAAAFq3Yx~", "~AgAAAAJ7c2Fk~")
        assert order.receiver_is_platform_encrypted and order.receiver_phone_hash is None
    status = {(c.table, c.column): c for c in keys.key_status(app).columns}
    name_status = status[("orders", "receiver_name")]
    assert name_status.clear == 1 and name_status.unreadable == 0
    rotated = keys.reencrypt(app)
    assert all(c.rotated == 0 for c in rotated.columns if c.table == "orders")
