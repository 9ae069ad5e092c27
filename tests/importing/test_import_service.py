"""core.importing.service.import_orders on SQLite and PostgreSQL: all or nothing, --partial,
--dry-run, idempotent re-import, permissions, tenancy, audit."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from core.contracts import RECEIVER_MASKED_TAG
from core.errors import NotFound, PermissionDenied, ValidationError
from core.hookspecs import hookimpl
from core.importing import service as importing
from core.models import AuditEvent
from tests.importing.builders import (
    FIXTURE,
    FIXTURE_ORDERS,
    HEADER,
    csv_bytes,
    fixture_text,
    row,
    unterminated_quote_file,
    xlsx_from_csv_text,
)
from tests.importing.conftest import import_events, order_count, run_import, stored_orders


def test_realistic_export_imports_with_masked_receivers_tagged(app, acme, shop) -> None:
    report = importing.import_orders(app, acme.admin, shop, FIXTURE)
    assert report.outcome == "imported" and report.format == "pdd-export"
    assert (report.rows, report.new, report.invalid, report.masked) == (FIXTURE_ORDERS, 8, 0, 7)
    assert report.errors == 0 and report.warnings == 7
    orders = stored_orders(app, shop)
    assert len(orders) == FIXTURE_ORDERS
    masked = orders["231125-512345678901234"]
    assert RECEIVER_MASKED_TAG in masked.tags and masked.receiver_name is None
    assert masked.receiver_name_masked == "张**" and masked.source == "import"
    clear = orders["231125-512345678901235"]
    assert clear.receiver_name == "李雷" and clear.receiver_phone_masked == "139****5678"
    assert clear.receiver_phone_hash and RECEIVER_MASKED_TAG not in clear.tags
    assert orders["231125-512345678901238"].hub_status == "refunded"
    assert orders["231124-512345678901236"].hub_status == "shipped"
    assert orders["231120-512345678901237"].hub_status == "completed"
    assert {w.row for w in report.issues} == {2, 4, 5, 6, 7, 8, 9}
    assert all("receiver masked" in w.message for w in report.issues)


def test_reimport_changes_nothing_and_a_newer_export_updates(app, acme, shop, frozen_clock) -> None:
    run_import(app, acme.admin, shop, fixture_text().encode("utf-8-sig"))
    before = {n: (o.updated_at, o.platform_updated_at) for n, o in stored_orders(app, shop).items()}
    frozen_clock[0] = frozen_clock[0].replace(hour=9)
    again = run_import(app, acme.admin, shop, fixture_text().encode("gbk"), "orders-gbk.csv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, FIXTURE_ORDERS)
    after = {n: (o.updated_at, o.platform_updated_at) for n, o in stored_orders(app, shop).items()}
    assert after == before  # not even the row's own updated_at moved

    shipped = (
        fixture_text()
        .replace("待发货,\t79.80", "已发货，待签收,\t79.80")
        .replace("2023-11-27 09:15:10,,,", "2023-11-27 09:15:10,2023-11-25 18:00:00,,")
    )
    newer = run_import(app, acme.admin, shop, shipped.encode("utf-8-sig"))
    assert (newer.new, newer.updated, newer.unchanged) == (0, 1, FIXTURE_ORDERS - 1)
    assert stored_orders(app, shop)["231125-512345678901234"].hub_status == "shipped"
    older = run_import(app, acme.admin, shop, fixture_text().encode("utf-8-sig"))
    assert older.updated == 0  # never backwards: the older export is ignored
    assert stored_orders(app, shop)["231125-512345678901234"].hub_status == "shipped"


@pytest.mark.parametrize("variant", ["gbk", "xlsx"])
def test_gbk_and_xlsx_variants_import_the_same_orders(app, acme, shop, variant) -> None:
    text = fixture_text()
    data = text.encode("gbk") if variant == "gbk" else xlsx_from_csv_text(text)
    report = run_import(
        app, acme.admin, shop, data, f"orders.{'csv' if variant == 'gbk' else 'xlsx'}"
    )
    assert report.outcome == "imported" and report.new == FIXTURE_ORDERS
    assert stored_orders(app, shop)["231125-512345678901235"].receiver_name == "李雷"


def bad_file() -> bytes:
    return csv_bytes(
        [
            row("231125-1"),
            row("231125-2", **{"商品总价(元)": "abc"}),
            row("231125-3"),
            row("231125-4", 订单状态="待成团"),
        ]
    )


def test_a_file_with_errors_imports_nothing(app, acme, shop) -> None:
    report = run_import(app, acme.admin, shop, bad_file())
    assert report.outcome == "rejected" and not report.imported
    assert (report.rows, report.valid, report.invalid, report.new) == (4, 2, 2, 0)
    assert [(i.row, i.column) for i in report.issues] == [(3, "商品总价(元)"), (5, "订单状态")]
    assert order_count(app) == 0
    (event,) = import_events(app, acme.org_id)
    assert event.after["outcome"] == "rejected" and event.after["invalid"] == 2


def test_errors_late_in_a_large_file_roll_back_earlier_batches(app, acme, shop) -> None:
    rows = [row(f"231125-{i}") for i in range(importing.BATCH_SIZE * 2 + 5)]
    rows.append(row("231125-x", 订单状态="?"))
    report = run_import(app, acme.admin, shop, csv_bytes(rows))
    assert report.outcome == "rejected" and order_count(app) == 0


def test_partial_imports_exactly_the_valid_rows(app, acme, shop) -> None:
    report = run_import(app, acme.admin, shop, bad_file(), partial=True)
    assert report.outcome == "imported" and (report.new, report.invalid) == (2, 2)
    assert set(stored_orders(app, shop)) == {"231125-1", "231125-3"}
    (event,) = import_events(app, acme.org_id)
    assert event.after["partial"] is True and event.after["new"] == 2


@pytest.mark.parametrize("partial", [False, True])
def test_an_unterminated_quote_stops_the_import_at_its_row(app, acme, shop, partial) -> None:
    """Read as csv reads it, the rest of the file would become one cell: the report
    counted 2 rows for 3 and, with partial, lost the third order without a word."""
    with pytest.raises(ValidationError) as caught:
        run_import(app, acme.admin, shop, unterminated_quote_file(), partial=partial)
    assert "unterminated quote opened at row 3, column 订单状态 (line 3" in str(caught.value)
    assert (caught.value.details["row"], caught.value.details["field"]) == (3, "订单状态")
    assert order_count(app) == 0


def test_dry_run_classifies_and_writes_nothing(app, acme, shop) -> None:
    run_import(app, acme.admin, shop, csv_bytes([row("231125-1"), row("231125-2")]))
    data = csv_bytes(
        [
            row("231125-1"),
            row("231125-2", 发货时间="2023-11-26 10:00:00", 订单状态="已发货，待签收"),
            row("231125-3"),
        ]
    )
    report = run_import(app, acme.admin, shop, data, dry_run=True)
    assert report.outcome == "dry_run" and not report.imported
    assert (report.new, report.updated, report.unchanged) == (1, 1, 1)
    assert set(stored_orders(app, shop)) == {"231125-1", "231125-2"}
    assert stored_orders(app, shop)["231125-2"].hub_status == "pending"
    assert len(import_events(app, acme.org_id)) == 1  # the real import only


def test_duplicates_in_a_file(app, acme, shop) -> None:
    same = csv_bytes([row("231125-1"), row("231125-1")])
    report = run_import(app, acme.admin, shop, same)
    assert report.outcome == "imported" and (report.new, report.duplicates) == (1, 1)
    assert (
        report.issues[0].severity == "warning" and "same order as row 2" in report.issues[0].message
    )

    conflict = csv_bytes([row("231125-2"), row("231125-2", **{"用户实付金额(元)": "30.00"})])
    report = run_import(app, acme.admin, shop, conflict)
    assert report.outcome == "rejected"
    assert (
        report.issues[0].row == 3
        and "also in row 2 with different content" in report.issues[0].message
    )
    assert "231125-2" not in stored_orders(app, shop)


def test_values_longer_than_the_database_keeps_are_row_errors(app, acme, shop) -> None:
    report = run_import(
        app, acme.admin, shop, csv_bytes([row("9" * 65), row("231125-1", 省="省" * 51)])
    )
    assert [i.message for i in report.issues] == [
        "order number is longer than 64 characters",
        "receiver province is longer than 50 characters",
    ]
    assert report.outcome == "rejected" and order_count(app) == 0


def test_file_level_errors_write_nothing(app, acme, shop) -> None:
    no_number = csv_bytes([row()], header=[h for h in HEADER if h != "订单号"])
    with pytest.raises(ValidationError, match=r"missing column 订单号 \(read as UTF-8 with BOM"):
        run_import(app, acme.admin, shop, no_number, format="pdd-export")
    with pytest.raises(ValidationError, match="no import format recognises"):
        run_import(app, acme.admin, shop, b"a,b\r\n1,2\r\n")
    with pytest.raises(
        ValidationError, match="unknown import format 'nope'; known: mapped, pdd-export"
    ):
        run_import(app, acme.admin, shop, bad_file(), format="nope")
    with pytest.raises(ValidationError, match="needs a column mapping"):
        run_import(app, acme.admin, shop, bad_file(), format="mapped")
    with pytest.raises(ValidationError, match="cannot open"):
        importing.import_orders(app, acme.admin, shop, "/nonexistent/orders.csv")
    assert order_count(app) == 0 and import_events(app, acme.org_id) == []


def test_header_only_file_is_an_empty_report(app, acme, shop) -> None:
    report = run_import(app, acme.admin, shop, csv_bytes([]))
    assert report.outcome == "empty" and report.rows == 0 and order_count(app) == 0


def test_import_needs_the_permission(app, acme, shop) -> None:
    finance = acme.staff("qian", "财务")
    with pytest.raises(PermissionDenied, match=r"order\.import"):
        importing.import_orders(app, finance, shop, FIXTURE)
    clerk = acme.staff("wang", "打单员")
    assert importing.import_orders(app, clerk, shop, FIXTURE).new == FIXTURE_ORDERS


def test_another_orgs_shop_is_not_found(app, acme, globex, shop, other_shop) -> None:
    with pytest.raises(NotFound, match=f"no shop with id {other_shop}"):
        importing.import_orders(app, acme.admin, other_shop, FIXTURE)
    with pytest.raises(NotFound):
        importing.import_orders(app, globex.admin, shop, FIXTURE)
    assert order_count(app) == 0
    importing.import_orders(app, globex.admin, other_shop, FIXTURE)
    assert order_count(app, other_shop) == FIXTURE_ORDERS and order_count(app, shop) == 0


def test_audit_and_logs_carry_counts_never_buyer_data(app, acme, shop, caplog) -> None:
    caplog.set_level("DEBUG", logger="orderhub")
    importing.import_orders(app, acme.admin, shop, FIXTURE, filename="/home/merchant/导出/订单.csv")
    (event,) = import_events(app, acme.org_id)
    assert event.target_type == "shop" and event.target_id == str(shop)
    assert event.after["file"] == "订单.csv" and event.after["new"] == FIXTURE_ORDERS
    text = json.dumps(event.after, ensure_ascii=False) + event.detail + caplog.text
    for secret in ("李雷", "13912345678", "张江", "138****5678", "/home/merchant"):
        assert secret not in text


def test_order_synced_events_follow_the_commit(app, acme, shop) -> None:
    seen = []

    class Listener:
        @hookimpl
        def order_synced(self, org_id, shop_id, order_id, order, created):  # type: ignore[no-untyped-def]
            seen.append((shop_id, order.order_number, created))

    app.plugins.register(Listener(), "listener")
    run_import(app, acme.admin, shop, bad_file())  # rejected: no events
    assert seen == []
    run_import(app, acme.admin, shop, csv_bytes([row("231125-1")]))
    assert seen == [(shop, "231125-1", True)]


def test_a_stream_that_cannot_seek_is_spooled(app, acme, shop) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    report = importing.import_orders(app, acme.admin, shop, Pipe(FIXTURE.read_bytes()), "stdin")
    assert report.new == FIXTURE_ORDERS


def test_audit_rows_are_in_the_org(app, acme, globex, shop) -> None:
    importing.import_orders(app, acme.admin, shop, FIXTURE)
    with app.tx() as session:
        orgs = set(
            session.scalars(select(AuditEvent.org_id).where(AuditEvent.action == "order.import"))
        )
    assert orgs == {acme.org_id}
