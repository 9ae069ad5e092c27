"""Importing an order again with the same update time (formats derive it from the row's own
times, so a corrected price or receiver keeps it): a copy that differs from what an earlier
import stored is a correction and is applied; one that differs from a newer copy, or from
the platform's own, is not applied and the report says so. Never a silent "unchanged".
Both backends; the dry run classifies as the import does."""

from __future__ import annotations

import io

from core.importing import service as importing
from core.orders import store as order_store
from plugins.platforms.pinduoduo.export_format import PinduoduoExportFormat
from tests.importing.builders import csv_bytes, row
from tests.importing.conftest import import_events, run_import, stored_orders

A, B, C = "231125-1", "231125-2", "231125-3"


def file(*rows: dict[str, str]) -> bytes:
    return csv_bytes(list(rows))


def warnings(report) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(i.row, i.message) for i in report.issues if i.severity == "warning"]


def test_a_corrected_price_is_applied_counted_and_audited(app, acme, shop) -> None:
    run_import(app, acme.admin, shop, file(row(A), row(B)))
    fixed = file(row(A), row(B, **{"用户实付金额(元)": "35.90", "店铺优惠折扣(元)": "4.00"}))
    report = run_import(app, acme.admin, shop, fixed)
    assert report.outcome == "imported"
    assert (report.new, report.updated, report.unchanged, report.corrected) == (0, 1, 1, 1)
    ((where, message),) = warnings(report)
    assert where == 3 and B in message and "corrected" in message
    stored = stored_orders(app, shop)[B]
    assert (stored.pay_amount_fen, stored.discount_fen) == (3590, 400)
    event = import_events(app, acme.org_id)[-1]
    assert (event.after["updated"], event.after["corrected"]) == (1, 1)


def test_a_corrected_receiver_address_is_applied(app, acme, shop) -> None:
    run_import(app, acme.admin, shop, file(row(A)))
    report = run_import(app, acme.admin, shop, file(row(A, 街道="文二路18号 3单元")))
    assert (report.updated, report.unchanged, report.corrected) == (1, 0, 1)
    stored = stored_orders(app, shop)[A]
    assert stored.receiver_address == "文二路18号 3单元"  # read back decrypted
    assert "文二路18号" not in report.issues[0].message  # buyer data stays out of reports


def test_a_corrected_line_is_applied(app, acme, shop) -> None:
    run_import(app, acme.admin, shop, file(row(A)))
    report = run_import(app, acme.admin, shop, file(row(A, 商品="加厚保温杯 750ml")))
    assert (report.updated, report.corrected) == (1, 1)
    assert [ln.title for ln in stored_orders(app, shop)[A].lines] == ["加厚保温杯 750ml"]


def test_an_identical_reimport_is_unchanged_and_quiet(app, acme, shop) -> None:
    data = file(row(A), row(B, 买家留言="请尽快发货"))
    run_import(app, acme.admin, shop, data)
    before = {n: o.updated_at for n, o in stored_orders(app, shop).items()}
    report = run_import(app, acme.admin, shop, data)
    assert (report.new, report.updated, report.unchanged, report.corrected) == (0, 0, 2, 0)
    assert report.not_applied == 0 and report.issues == []
    assert {n: o.updated_at for n, o in stored_orders(app, shop).items()} == before


def sync_copy(app, acme, shop, data: bytes, **changes) -> None:  # type: ignore[no-untyped-def]
    """Store the file's orders as the platform's sync would, same times, `changes` made."""
    import dataclasses

    orders = [
        dataclasses.replace(i.order, **changes)
        for i in PinduoduoExportFormat().parse(io.BytesIO(data), "x.csv")
    ]
    with app.tx() as session:
        order_store.upsert_orders(
            session, app.keyring, org_id=acme.org_id, shop_id=shop, orders=orders, source="sync"
        )


def test_a_different_copy_of_a_synced_order_is_not_applied_and_said(app, acme, shop) -> None:
    data = file(row(A, **{"用户实付金额(元)": "\t30.00"}))
    sync_copy(app, acme, shop, file(row(A)), paid_fen=3390)
    report = run_import(app, acme.admin, shop, data)
    assert report.outcome == "imported"
    assert (report.updated, report.unchanged, report.corrected, report.not_applied) == (0, 1, 0, 1)
    ((where, message),) = warnings(report)
    assert where == 2 and A in message and "platform" in message and "not applied" in message
    assert stored_orders(app, shop)[A].pay_amount_fen == 3390
    assert import_events(app, acme.org_id)[-1].after["not_applied"] == 1


def test_a_different_copy_of_a_synced_order_with_equal_content_is_unchanged(
    app, acme, shop
) -> None:
    sync_copy(app, acme, shop, file(row(A)))
    report = run_import(app, acme.admin, shop, file(row(A)))
    assert (report.updated, report.unchanged, report.not_applied, report.issues) == (0, 1, 0, [])


def test_an_older_different_copy_is_not_applied_and_said(app, acme, shop) -> None:
    shipped = row(A, 发货时间="2023-11-26 10:00:00", 订单状态="已发货，待签收")
    run_import(app, acme.admin, shop, file(shipped))
    report = run_import(app, acme.admin, shop, file(row(A, 街道="文二路18号")))
    assert (report.updated, report.unchanged, report.not_applied) == (0, 1, 1)
    ((where, message),) = warnings(report)
    assert where == 2 and "newer" in message and "not applied" in message
    stored = stored_orders(app, shop)[A]
    assert stored.hub_status == "shipped" and stored.receiver_address == "文三路90号"


def test_the_dry_run_classifies_as_the_import_does(app, acme, shop) -> None:
    run_import(app, acme.admin, shop, file(row(A), row(B)))
    sync_copy(app, acme, shop, file(row(C)), paid_fen=100)
    data = file(
        row(A),  # unchanged
        row(B, 收货人="王晓明"),  # corrected
        row(C, **{"用户实付金额(元)": "\t30.00"}),  # the platform's copy is kept
        row("231125-4"),  # new
    )
    dry = run_import(app, acme.admin, shop, data, dry_run=True)
    assert stored_orders(app, shop)[B].receiver_name == "王小明"
    real = run_import(app, acme.admin, shop, data)
    counts = ("new", "updated", "unchanged", "corrected", "not_applied", "warnings")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts]
    assert [getattr(real, c) for c in counts] == [1, 1, 2, 1, 1, 2]
    assert [w for w, _ in warnings(dry)] == [w for w, _ in warnings(real)] == [3, 4]
    assert stored_orders(app, shop)[B].receiver_name == "王晓明"
    assert "dry_run" in dry.summary() and "1 corrected" in real.summary()


def test_reimport_through_the_reader_process_matches(app, acme, shop) -> None:
    """The same rules when a reader process reads (and maybe encodes) the file."""
    numbers = [f"231125-{i:06d}" for i in range(2100)]
    run_import(app, acme.admin, shop, file(*(row(n) for n in numbers)), parallel=True)
    fixed = file(
        *(row(n, 街道="文二路1号") if i % 500 == 7 else row(n) for i, n in enumerate(numbers))
    )
    dry = run_import(app, acme.admin, shop, fixed, dry_run=True, parallel=True)
    alone = run_import(app, acme.admin, shop, fixed, dry_run=True, parallel=False)
    real = importing.import_orders(app, acme.admin, shop, io.BytesIO(fixed), "f.csv", parallel=True)
    for report in (dry, alone, real):
        assert (report.updated, report.corrected, report.unchanged) == (5, 5, 2095)
        assert [w for w, _ in warnings(report)] == [9, 509, 1009, 1509, 2009]
    stored = stored_orders(app, shop)
    assert stored["231125-000507"].receiver_address == "文二路1号"
    assert stored["231125-000508"].receiver_address == "文三路90号"
