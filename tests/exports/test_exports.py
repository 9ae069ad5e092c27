"""core.exports: orders, packages, waybills and print history, through the services, each
file read back through core.tabular."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from core import masking, tabular
from core.accounts import roles
from core.errors import PermissionDenied, ValidationError
from core.exports import orders, prints, scope, shipments
from core.models import AuditEvent, PrintJobItem
from tests.desk.world import BASE, CARRIERS, LineSpec, OrderSpec, store_world

TWO_LINES = (LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R"), LineSpec("杯盖", "sku-2", "LID"))
SPECS = [
    OrderSpec(hub="pending", paid=BASE, lines=TWO_LINES, memo="请发顺丰", tags=frozenset({"紧急"})),
    OrderSpec(hub="audited", paid=BASE + timedelta(days=1), place=2, flag="red", waybill=0),
    OrderSpec(hub="printed", paid=BASE + timedelta(days=2), waybill=1, print_state="done"),
    OrderSpec(hub="shipped", paid=None, on_hold=False, waybill=0, waybill_active=False),
    OrderSpec(hub="pending", paid=BASE - timedelta(days=3), local_remark="=1+1"),
]


def read(data: bytes, fmt: str = "csv") -> list[dict[str, str]]:
    table = tabular.read_table(io.BytesIO(data), f"export.{fmt}")
    return [dict(zip(table.header, row.cells, strict=False)) for row in table.rows]


def export(call, app, actor, fmt: str = "csv", **options) -> tuple[scope.Exported, list[dict]]:
    out = io.BytesIO()
    done = call(app, actor, out, fmt, **options)
    return done, read(out.getvalue(), fmt)


def audit_events(app) -> int:
    with app.tx() as session:
        return session.scalar(select(func.count()).where(AuditEvent.action == "export.reveal"))


@pytest.fixture
def world(app, acme):
    return store_world(app, acme.org_id, SPECS)


def test_orders_are_one_row_per_line_masked_with_money_once(app, acme, world) -> None:
    before = audit_events(app)
    done, rows = export(orders.export_orders, app, acme.admin)
    assert (done.kind, done.rows, done.revealed) == ("orders", 6, False)
    first = [r for r in rows if r["订单号"] == world.orders[0].number]
    assert [r["商品"] for r in first] == ["保温杯 500ml 红色 L", "杯盖"]
    assert [r.get("实付(元)", "") for r in first] == ["74.8", ""]  # the order's amount once
    assert [r["单价(元)"] for r in first] == ["39.9", "39.9"]
    assert first[0]["收货人"] == "王**" and first[0]["手机"] == "138****5678"
    assert first[0]["详细地址"] == masking.mask_address("文三路 90 号") != "文三路 90 号"
    assert (first[0]["状态"], first[0]["买家留言"], first[0]["标签"]) == (
        "待审",
        "请发顺丰",
        "紧急",
    )
    assert first[0]["付款时间"] == "2026-11-20 00:00:00"  # Beijing
    second = next(r for r in rows if r["订单号"] == world.orders[1].number)
    assert (second["省"], second["旗帜"], second["运单号"]) == ("广东省", "红", "YT00100001")
    last = next(r for r in rows if r["订单号"] == world.orders[4].number)
    assert last["本地备注"] == "'=1+1"  # neutralised, never a formula
    assert audit_events(app) == before  # a masked export writes nothing


def test_the_desk_filter_and_the_payment_range_select_orders(app, acme, world) -> None:
    _, rows = export(orders.export_orders, app, acme.admin, query="status:audited,printed")
    assert {r["订单号"] for r in rows} == {world.orders[1].number, world.orders[2].number}
    _, rows = export(orders.export_orders, app, acme.admin, since="2026-11-20", until="2026-11-21")
    assert {r["订单号"] for r in rows} == {world.orders[0].number, world.orders[1].number}
    _, rows = export(orders.export_orders, app, acme.admin, query="-status:pending province:浙江省")
    assert {r["订单号"] for r in rows} == {world.orders[2].number, world.orders[3].number}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query": "stauts:pending"}, "unknown key 'stauts' at column 1; did you mean 'status'"),
        ({"query": "paid:>2026-13-01"}, "is not a date"),
        ({"query": "sort:paid"}, "an export goes by id"),
        ({"since": "20.11.2026"}, "--from '20.11.2026' is not a date"),
        ({"since": "2026-11-21", "until": "2026-11-20"}, "the range ends"),
    ],
)
def test_bad_filters_and_ranges_are_the_desks_clear_errors(app, acme, options, message) -> None:
    out = io.BytesIO()
    with pytest.raises(ValidationError, match=message):
        orders.export_orders(app, acme.admin, out, "csv", **options)
    assert out.getvalue() == b""  # refused before a byte is written


def test_an_unknown_format_is_refused(app, acme) -> None:
    with pytest.raises(ValidationError, match="format must be csv or xlsx"):
        orders.export_orders(app, acme.admin, io.BytesIO(), "ods")


def test_batches_walk_every_order_once_both_ways_and_limit_stops(
    app, acme, world, monkeypatch
) -> None:
    monkeypatch.setattr(scope, "BATCH", 2)
    numbers = [o.number for o in world.orders]
    _, rows = export(orders.export_orders, app, acme.admin)
    assert list(dict.fromkeys(r["订单号"] for r in rows)) == numbers
    _, rows = export(orders.export_orders, app, acme.admin, query="sort:-id")
    assert list(dict.fromkeys(r["订单号"] for r in rows)) == numbers[::-1]
    done, rows = export(orders.export_orders, app, acme.admin, query="limit:3")
    assert list(dict.fromkeys(r["订单号"] for r in rows)) == numbers[:3] and done.rows == 4


def test_revealed_receivers_need_pii_view_and_are_audited_once(app, acme, world) -> None:
    viewer = acme.staff("viewer", "只读")
    with pytest.raises(PermissionDenied):
        orders.export_orders(app, viewer, io.BytesIO(), "csv", reveal=True)
    _, rows = export(orders.export_orders, app, viewer)  # masked: order.view is enough
    assert rows[0]["收货人"] == "王**"
    before = audit_events(app)
    done, rows = export(
        orders.export_orders, app, acme.admin, "xlsx", query="status:pending", reveal=True
    )
    assert {(r["收货人"], r["手机"], r["详细地址"]) for r in rows} == {
        ("王小明", "13812345678", "文三路 90 号")
    }
    assert done.revealed and audit_events(app) == before + 1
    with app.tx() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.reveal")
        ).one()
        assert event.after == {
            "export": "orders",
            "filter": "status:pending",
            "rows": 3,
            "format": "xlsx",
        }
        assert "status:pending" in event.detail and "3 rows" in event.detail


def test_another_orgs_orders_are_never_exported(app, acme, globex, world) -> None:
    store_world(app, globex.org_id, SPECS[:2], prefix="G")
    _, rows = export(orders.export_orders, app, globex.admin)
    assert {r["订单号"][:1] for r in rows} == {"G"}
    _, rows = export(shipments.export_waybills, app, acme.admin)
    assert all(r["订单号"].startswith("T") for r in rows)


def test_packages_and_waybills_of_the_filtered_orders(app, acme, world) -> None:
    done, rows = export(shipments.export_packages, app, acme.admin, "xlsx")
    assert done.rows == 3
    assert {r["订单号"] for r in rows} == {o.number for o in world.orders[1:4]}
    _, rows = export(shipments.export_waybills, app, acme.admin)
    by_number = {r["运单号"]: r for r in rows}
    assert set(by_number) == {"YT00100001", "YT00100002", "YT00100003"}
    cancelled = by_number["YT00100003"]
    assert (cancelled["状态"], cancelled["收货人"], cancelled["快递公司"]) == (
        "已取消",
        "王**",
        "ZTO",
    )
    _, rows = export(shipments.export_waybills, app, acme.admin, query="status:printed")
    assert [r["运单号"] for r in rows] == ["YT00100002"]
    _, rows = export(shipments.export_waybills, app, acme.admin, reveal=True)
    assert {r["收货人"] for r in rows} == {"王小明"}


def test_print_history_export_uses_the_history_permission(app, acme, world) -> None:
    sent = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    with app.tx() as session:
        session.execute(update(PrintJobItem).values(sent_at=sent, done_at=sent))
    done, rows = export(prints.export_prints, app, acme.admin)
    assert done.rows == 1 and rows[0]["订单号"] == world.orders[2].number
    assert rows[0]["打印时间"] == "2026-11-21 10:00:00" and rows[0]["状态"] == "已打印"
    roles.create_role(app, acme.admin, "printer-only", ("print.run",))
    printer = acme.staff("printer", "printer-only")
    assert export(prints.export_prints, app, printer, query="status:printed")[0].rows == 1
    with pytest.raises(PermissionDenied):
        orders.export_orders(app, printer, io.BytesIO(), "csv")
    _, rows = export(prints.export_prints, app, acme.admin, since="2026-11-22")
    assert rows == []


def test_a_revealing_export_that_fails_is_audited_with_the_rows_written(
    app, acme, world, monkeypatch
) -> None:
    from core.tabular import writing

    monkeypatch.setattr(writing, "MAX_XLSX_DATA_ROWS", 2)
    with pytest.raises(ValidationError, match="an XLSX sheet cannot hold them"):
        orders.export_orders(app, acme.admin, io.BytesIO(), "xlsx", reveal=True)
    with app.tx() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export.reveal")
        ).one()
    assert event.after["rows"] == 3  # the third row was taken, then refused
    assert "stopped by ValidationError" in event.detail


def test_exception_reasons_hold_and_assigned_carrier_are_in_the_row(app, acme) -> None:
    world = store_world(
        app,
        acme.org_id,
        [
            OrderSpec(reasons=("地址不全", "重复下单"), on_hold=True, assigned=1, waybill=0),
            OrderSpec(hub="audited", waybill=0),
            OrderSpec(hub="audited"),
        ],
    )
    _, rows = export(orders.export_orders, app, acme.admin, "xlsx")
    by_number = {r["订单号"]: r for r in rows}
    odd, waybilled, plain = (by_number[o.number] for o in world.orders)
    assert (odd["异常"], odd["挂起原因"]) == ("地址不全, 重复下单", "查地址")
    assert odd["快递"] == CARRIERS[1][0] != waybilled["快递"]  # assigned beats the waybill's
    assert waybilled["快递"] == CARRIERS[0][0] and waybilled["运单号"]
    assert (plain.get("异常", ""), plain.get("快递", ""), plain.get("运单号", "")) == ("", "", "")


def test_a_batch_is_exactly_its_orders_whether_dense_or_sparse(app, acme) -> None:
    """A batch's ids (and its packages' ids) filling their range are read by range, the
    others by list: either way the file holds exactly the filtered orders, each with its
    own lines and waybills."""
    hubs = ["printed", "printed", "audited", "printed", "pending", "pending", "audited"]
    world = store_world(
        app,
        acme.org_id,
        [
            OrderSpec(
                hub=h,
                lines=TWO_LINES if i == 2 else TWO_LINES[1:],
                waybill=0 if i >= 2 else None,  # packages: audited ones 1 and 5 (sparse)
            )
            for i, h in enumerate(hubs)
        ],
    )
    numbers = [o.number for o in world.orders]
    waybills = [o.waybill_number or "" for o in world.orders]
    for query, wanted in (("status:printed", [0, 1, 3]), ("status:audited", [2, 6])):
        for sort in ("", " sort:-id"):
            _, rows = export(orders.export_orders, app, acme.admin, query=query + sort)
            got = [(r["订单号"], r["商品"], r.get("运单号", "")) for r in rows]
            expected = [
                (numbers[i], line.title, waybills[i])
                for i in wanted
                for line in (TWO_LINES if i == 2 else TWO_LINES[1:])
            ]
            assert got == (expected if not sort else _reversed_orders(expected)), query + sort
    assert all(waybills[2:]) and waybills[2] != waybills[6]


def _reversed_orders(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The rows with the orders in reverse, each order's lines still in their order."""
    by_order: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        by_order.setdefault(row[0], []).append(row)
    return [row for number in reversed(by_order) for row in by_order[number]]
