"""The `mapped` format: mapping files checked up front, rows read through them, one row
per order or per goods line; and its import through the service (both backends)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from core.contracts import RECEIVER_MASKED_TAG, OrderStatus, RefundStatus
from core.errors import ValidationError
from core.importing import service as importing
from plugins.importers.generic.format import MappedFormat
from plugins.importers.generic.spec import spec_from
from tests.importing.builders import xlsx_from_csv_text
from tests.importing.conftest import order_count, run_import, stored_orders

MAPPING_TOML = """
lines = "line"

[columns]
order_number = "单号"
quantity = "数量"
unit_price = "单价"
postage = "运费"
title = "商品"
outer_id = "编码"
receiver_name = "收件人"
receiver_phone = "电话"
province = "省份"
city = "城市"
district = "区县"
address = "地址"
status = "状态"
paid_at = "付款时间"
buyer_memo = "留言"

[constants]
refund_status = "none"

[times]
format = "%Y/%m/%d %H:%M"
timezone = "Asia/Shanghai"

[status_values]
"未发货" = "awaiting_shipment"
"已寄出" = "shipped"
"""

HEADER = "单号,数量,单价,运费,商品,编码,收件人,电话,省份,城市,区县,地址,状态,付款时间,留言\r\n"
WANG = "王小明,13812345678,浙江省,杭州市,西湖区,文三路90号,未发货,2024/3/1 10:05,"
ROWS = (
    f"W1,2,19.90,6,保温杯,CUP-1,{WANG}\r\n"
    f"W1,1,5.00,6,杯套,SLV-1,{WANG}\r\n"
    "W2,1,49.00,0,T恤,TS-1,李**,139****0000,上海市,上海市,浦东新区,张江路****,已寄出,"
    "2024/3/2 08:00,快点\r\n"
)


def mapping() -> dict:
    import tomllib

    return tomllib.loads(MAPPING_TOML)


def parse(data: bytes, spec: dict | None = None, name: str = "shop.csv"):  # type: ignore[no-untyped-def]
    return list(MappedFormat({"mapping": spec or mapping()}).parse(io.BytesIO(data), name))


def test_rows_of_one_order_become_its_lines() -> None:
    first, second = parse((HEADER + ROWS).encode("gbk"))
    assert first.ok and second.ok and first.row == 2 and second.row == 4
    w1 = first.order
    assert [(ln.title, ln.quantity, ln.unit_price_fen, ln.outer_id) for ln in w1.lines] == [
        ("保温杯", 2, 1990, "CUP-1"),
        ("杯套", 1, 500, "SLV-1"),
    ]
    assert (w1.goods_fen, w1.postage_fen, w1.paid_fen) == (4480, 600, 5080)
    assert w1.paid_at == datetime(2024, 3, 1, 2, 5, tzinfo=UTC)
    assert w1.status is OrderStatus.AWAITING_SHIPMENT and w1.refund_status is RefundStatus.NONE
    w2 = second.order
    assert w2.status is OrderStatus.SHIPPED and w2.buyer_memo == "快点"
    assert (w2.receiver.name, w2.receiver.name_masked) == ("", "李**")


def test_order_level_columns_must_agree_across_an_orders_rows() -> None:
    rows = ROWS.replace(
        "文三路90号,未发货,2024/3/1 10:05,\r\nW2", "文三路91号,未发货,2024/3/1 10:05,\r\nW2"
    )
    first, _ = parse((HEADER + rows).encode())
    assert first.order is None
    assert [(i.row, i.column) for i in first.issues] == [(3, "地址")]


def test_bad_cells_name_the_mapped_column() -> None:
    rows = (
        ROWS.replace("19.90", "19.9x").replace("已寄出", "路上").replace("2024/3/2 08:00", "明天")
    )
    first, second = parse((HEADER + rows).encode())
    assert [(i.row, i.column) for i in first.issues] == [(2, "单价")]
    assert {(i.row, i.column) for i in second.issues} == {(4, "付款时间"), (4, "状态")}


@pytest.mark.parametrize(
    ("unit", "price", "problem"),
    [
        ("yuan", '"19,90"', "'19,90' is not an amount in yuan"),  # a decimal comma
        ("yuan", "1_990", "'1_990' is not an amount in yuan"),
        ("yuan", "2e1", "'2e1' is not an amount in yuan"),
        ("yuan", "19.900", "'19.900' has more than two decimals"),
        ("fen", "1990.0", "'1990.0' is not a whole number of fen"),
        ("fen", "--5", "'--5' is not a whole number of fen"),
        ("fen", "²", "'²' is not a whole number of fen"),
        ("fen", "1_990", "'1_990' is not a whole number of fen"),
        ("fen", "9" * 30, "is implausibly large"),
    ],
)
def test_bad_amounts_are_row_errors_in_either_unit(unit, price, problem) -> None:  # type: ignore[no-untyped-def]
    spec = mapping()
    spec["money"] = {"unit": unit}
    rows = ROWS.replace("W1,2,19.90", f"W1,2,{price}")
    if unit == "fen":
        rows = rows.replace(",5.00,", ",500,").replace(",49.00,", ",4900,")
    first, second = parse((HEADER + rows).encode(), spec)
    assert second.ok and first.order is None
    [issue] = first.issues
    assert (issue.row, issue.column) == (2, "单价")
    assert problem in issue.message and "单价" not in issue.message


def test_fen_amounts_are_read_as_fen() -> None:
    spec = mapping()
    spec["money"] = {"unit": "fen"}
    rows = ROWS.replace(",19.90,", ",1990,").replace(",5.00,", ",500,").replace(",49.00,", ",4900,")
    first, _ = parse((HEADER + rows).encode(), spec)
    assert [ln.unit_price_fen for ln in first.order.lines] == [1990, 500]


def test_a_total_beyond_what_the_database_holds_is_a_row_error() -> None:
    """Each amount is in range, but the goods total worked out from the lines is not:
    10**6 pieces at 10**14 - 1 fen would overflow the BIGINT column when stored."""
    spec = mapping()
    spec["money"] = {"unit": "fen"}
    rows = ROWS.replace("W1,2,19.90", f"W1,1000000,{10**14 - 1}").replace(",5.00,", ",500,")
    rows = rows.replace(",49.00,", ",4900,")
    first, second = parse((HEADER + rows).encode(), spec)
    assert second.ok and first.order is None
    [issue] = first.issues
    assert issue.row == 2 and "goods_fen" in issue.message and "at most" in issue.message


def test_xlsx_and_one_row_per_order() -> None:
    spec = mapping()
    spec["lines"] = "order"
    items = parse(xlsx_from_csv_text(HEADER + ROWS), spec, "shop.xlsx")
    assert [i.row for i in items] == [2, 3, 4]
    assert items[0].ok and items[1].order is not None  # W1 twice: core decides (conflict)


def test_extra_cells_are_an_error() -> None:
    rows = ROWS.replace("T恤,TS-1", "T恤,TS-1,extra")
    _, second = parse((HEADER + rows).encode())
    assert second.order is None and "unquoted comma" in second.issues[0].message


def test_missing_mapped_headers_are_a_file_error() -> None:
    with pytest.raises(ValidationError, match="missing columns 单价, 留言"):
        parse("单号,数量,运费,商品,编码,收件人,电话,省份,城市,区县,地址,状态,付款时间\r\n".encode())


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda m: m["columns"].pop("order_number"), "columns.order_number"),
        (lambda m: m["columns"].pop("status"), "columns.status"),
        (lambda m: m["columns"].pop("unit_price"), "columns.unit_price"),
        (lambda m: m["columns"].pop("paid_at"), "columns.created_at"),
        (lambda m: m["columns"].update(colour="颜色"), "columns.colour"),
        (lambda m: m.update(extra={}), "mapping.extra"),
        (lambda m: m["constants"].update(quantity="1"), "constants.quantity"),
        (lambda m: m["constants"].update(refund_status="maybe"), "constants.refund_status"),
        (lambda m: m["times"].update(timezone="Mars/Olympus"), "times.timezone"),
        (lambda m: m["status_values"].update(x="sent"), "status_values.x"),
        (lambda m: m.update(lines="rows"), "lines"),
        (
            lambda m: m["columns"].update(goods_amount=m["columns"].pop("unit_price")),
            "columns.unit_price",
        ),
        (lambda m: m.update(money={"unit": "jiao"}), "money.unit"),
    ],
)
def test_mapping_mistakes_name_their_key(change, key) -> None:  # type: ignore[no-untyped-def]
    spec = mapping()
    change(spec)
    with pytest.raises(ValidationError) as caught:
        spec_from(spec)
    assert caught.value.details["field"] == key, caught.value


def test_sniff_needs_a_mapping_and_its_headers() -> None:
    head = (HEADER + ROWS).encode()
    assert MappedFormat({"mapping": mapping()}).sniff("x.csv", head)
    assert not MappedFormat().sniff("x.csv", head)
    assert not MappedFormat({"mapping": mapping()}).sniff("x.csv", b"a,b\r\n")


def test_mapped_import_through_the_service(app, acme, shop, tmp_path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping(), ensure_ascii=False), encoding="utf-8")
    data = (HEADER + ROWS).encode("utf-8-sig")
    report = run_import(app, acme.admin, shop, data, "shop.csv", mapping=path)
    assert report.format == "mapped" and (report.new, report.masked) == (2, 1)
    orders = stored_orders(app, shop)
    assert [ln.title for ln in orders["W1"].lines] == ["保温杯", "杯套"]
    assert RECEIVER_MASKED_TAG in orders["W2"].tags and orders["W2"].hub_status == "shipped"
    again = run_import(app, acme.admin, shop, data, "shop.csv", mapping=path)
    assert again.unchanged == 2 and again.new == again.updated == 0


def test_a_corrected_mapped_file_updates_what_it_corrects(app, acme, shop) -> None:
    """No updated_at column: the time comes from the row's own times, so a corrected
    price or address keeps it — and is still applied, counted and warned about."""
    run_import(app, acme.admin, shop, (HEADER + ROWS).encode(), mapping=mapping())
    fixed = ROWS.replace("W1,2,19.90", "W1,2,17.90").replace("文三路90号", "文二路18号")
    report = run_import(app, acme.admin, shop, (HEADER + fixed).encode(), mapping=mapping())
    assert (report.updated, report.corrected, report.unchanged) == (1, 1, 1)
    assert [(i.row, i.severity) for i in report.issues if "W1" in i.message] == [(2, "warning")]
    w1 = stored_orders(app, shop)["W1"]
    assert [ln.unit_price_fen for ln in w1.lines] == [1790, 500]
    assert w1.receiver_address == "文二路18号"


def test_bad_mapping_files_are_clear_errors(app, acme, shop, tmp_path) -> None:
    broken = tmp_path / "mapping.toml"
    broken.write_text("[columns\norder_number = 1", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"mapping\.toml: not valid TOML"):
        run_import(app, acme.admin, shop, HEADER.encode(), mapping=broken)
    with pytest.raises(ValidationError, match="cannot read it"):
        run_import(app, acme.admin, shop, HEADER.encode(), mapping=tmp_path / "absent.json")
    with pytest.raises(ValidationError, match=r"column mapping: columns\.order_number is required"):
        run_import(app, acme.admin, shop, HEADER.encode(), mapping={"columns": {}})
    assert order_count(app) == 0


def test_mapped_import_finds_nothing_half_written(app, acme, shop) -> None:
    rows = (
        ROWS
        + "W3,x,1.00,0,杯,C,王五,13800000000,浙江省,杭州市,西湖区,路,未发货,2024/3/3 10:00,\r\n"
    )
    report = importing.import_orders(
        app, acme.admin, shop, io.BytesIO((HEADER + rows).encode()), "s.csv", mapping=mapping()
    )
    errors = [i for i in report.issues if i.severity == "error"]
    assert report.outcome == "rejected" and [(i.row, i.column) for i in errors] == [(5, "数量")]
    assert order_count(app) == 0


def test_mapped_orders_keep_raw_personal_whatever_the_receiver() -> None:
    """The mapped format cannot know which of a merchant's columns hold personal data, so
    its raw copies are always treated as personal (encrypted at rest)."""
    first, second = parse((HEADER + ROWS).encode())
    assert second.order.receiver.name_masked == "李**"  # masked, and still
    assert first.order.raw_personal is True and second.order.raw_personal is True


def test_a_mapped_column_twice_in_the_header_is_a_file_error() -> None:
    header = HEADER.replace("留言\r\n", "留言,数量\r\n")
    with pytest.raises(ValidationError, match="column 数量 is in the header twice") as caught:
        parse((header + ROWS.replace("\r\n", ",9\r\n")).encode())
    assert caught.value.details["field"] == "数量"
    unread = HEADER.replace("留言\r\n", "留言,备注,备注\r\n")
    assert len(parse((unread + ROWS.replace("\r\n", ",a,b\r\n")).encode())) == 2
