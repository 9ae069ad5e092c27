"""The `pdd-export` format on its own (pure: no database): the realistic fixture, its
encodings and header variants, and what each kind of bad row reports."""

from __future__ import annotations

import codecs
import io
from datetime import UTC, datetime

import pytest

from core.contracts import RECEIVER_MASKED_TAG, ImportRow, OrderStatus, RefundStatus
from core.errors import ValidationError
from plugins.platforms.pinduoduo.export_format import PinduoduoExportFormat
from plugins.platforms.pinduoduo.export_status import refund_from_text, status_from_text
from tests.importing.builders import (
    FIXTURE_ORDERS,
    HEADER,
    csv_bytes,
    fixture_text,
    row,
    xlsx_from_csv_text,
)

FORMAT = PinduoduoExportFormat()


def parse(data: bytes, name: str = "orders.csv") -> list[ImportRow]:
    return list(FORMAT.parse(io.BytesIO(data), name))


def only_issue(item: ImportRow):  # type: ignore[no-untyped-def]
    assert item.order is None and len(item.issues) == 1, item.issues
    return item.issues[0]


@pytest.mark.parametrize(
    "variant",
    ["utf-8-sig", "gbk", "xlsx", "half-width headers", "full-width headers"],
)
def test_the_realistic_fixture_reads_the_same_in_every_variant(variant: str) -> None:
    text = fixture_text()
    if variant == "half-width headers":
        text = text.replace("（元）", "(元)")
    elif variant == "full-width headers":
        first, rest = text.split("\n", 1)
        text = first.replace("(元)", "（元）").replace("(件)", "（件）") + "\n" + rest
    data = (
        xlsx_from_csv_text(text)
        if variant == "xlsx"
        else text.encode("utf-8-sig" if variant != "gbk" else "gbk")
    )
    items = parse(data, "orders.xlsx" if variant == "xlsx" else "orders.csv")
    assert len(items) == FIXTURE_ORDERS and all(i.ok for i in items), [i.issues for i in items]
    orders = {i.order.order_number: i.order for i in items}

    cup = orders["231125-512345678901234"]  # tabs trimmed from the number, money and counts
    assert (cup.goods_fen, cup.discount_fen, cup.postage_fen, cup.paid_fen) == (7980, 800, 0, 7180)
    assert cup.lines[0].quantity == 2 and cup.lines[0].unit_price_fen == 3990
    assert (cup.lines[0].sku_id, cup.lines[0].outer_id, cup.lines[0].spec) == (
        "1234567001",
        "CUP-500-GN",
        "墨绿色,500ml",
    )
    assert cup.status is OrderStatus.AWAITING_SHIPMENT and cup.refund_status is RefundStatus.NONE
    assert cup.paid_at == datetime(2023, 11, 25, 1, 15, 2, tzinfo=UTC)  # Beijing → UTC
    assert cup.ship_by == datetime(2023, 11, 27, 1, 15, 10, tzinfo=UTC)
    assert cup.receiver.name == "" and cup.receiver.name_masked == "张**"
    assert cup.receiver.phone_masked == "138****5678" and RECEIVER_MASKED_TAG in cup.tags
    assert "身份证号码" not in cup.raw and cup.raw["商家编码-SKU维度"] == "CUP-500-GN"

    clear = orders["231125-512345678901235"]
    assert (clear.receiver.name, clear.receiver.phone) == ("李雷", "13912345678")
    assert clear.receiver.address == "张江镇 张江路88弄3号502室"
    assert RECEIVER_MASKED_TAG not in clear.tags
    assert clear.buyer_memo == "请发顺丰,\n谢谢!" and clear.seller_remark == "老客户,送小礼品"

    statuses = {n: (o.status, o.refund_status, o.platform_status) for n, o in orders.items()}
    assert statuses["231124-512345678901236"] == (
        OrderStatus.SHIPPED,
        RefundStatus.NONE,
        "已发货待签收",
    )
    assert statuses["231120-512345678901237"][:2] == (OrderStatus.DELIVERED, RefundStatus.NONE)
    assert statuses["231125-512345678901238"][:2] == (
        OrderStatus.AWAITING_SHIPMENT,
        RefundStatus.REFUNDED,
    )
    assert statuses["231123-512345678901239"] == (
        OrderStatus.SHIPPED,
        RefundStatus.IN_PROGRESS,
        "已发货待签收，售后处理中",
    )
    assert statuses["231125-512345678901240"][:2] == (
        OrderStatus.AWAITING_SHIPMENT,
        RefundStatus.REFUNDED,
    )
    assert {"risk_control", "lottery"} <= set(orders["231125-512345678901241"].tags)
    assert orders["231125-512345678901241"].buyer_memo == "-不要放发票 @店主"  # not a formula


def test_update_time_is_the_latest_event_and_stable() -> None:
    shipped = parse(csv_bytes([row(发货时间="2023-11-25 14:00:00", 订单状态="已发货，待签收")]))[0]
    waiting = parse(csv_bytes([row()]))[0]
    again = parse(csv_bytes([row()]))[0]
    assert waiting.order.updated_at == again.order.updated_at  # same content, same time
    assert waiting.order.updated_at.replace(microsecond=0) == datetime(
        2023, 11, 25, 1, 15, 10, tzinfo=UTC
    )
    assert shipped.order.updated_at > waiting.order.updated_at
    refunding = parse(csv_bytes([row(售后状态="退款中")]))[0]
    assert refunding.order.updated_at > waiting.order.updated_at  # no new time column, still newer


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"订单号": "\t"}, "订单号", "order number"),
        ({"商品总价(元)": "39.9x"}, "商品总价(元)", "not an amount"),
        ({"用户实付金额(元)": "\t"}, "用户实付金额(元)", "empty"),
        ({"店铺优惠折扣(元)": "-5.00"}, "店铺优惠折扣(元)", "negative"),
        ({"邮费(元)": "1.005"}, "邮费(元)", "more than two decimals"),
        ({"商品数量(件)": "1.5"}, "商品数量(件)", "whole number"),
        ({"商品数量(件)": "0"}, "商品数量(件)", "outside"),
        ({"支付时间": "2023-02-30 10:00:00"}, "支付时间", "not a time"),
        ({"支付时间": "0001-01-01 00:00:00"}, "支付时间", "out of range"),
        ({"支付时间": "", "拼单成功时间": "", "订单确认时间": ""}, "支付时间", "no time"),
        ({"订单状态": "待成团"}, "订单状态", "not a status we know"),
        ({"订单状态": ""}, "订单状态", "empty"),
        ({"售后状态": "神秘状态"}, "售后状态", "not an after-sale state"),
    ],
)
def test_bad_cells_are_reported_with_row_and_column(changes, column, message) -> None:  # type: ignore[no-untyped-def]
    good, bad = parse(csv_bytes([row("231125-1"), row("231125-2", **changes)]))
    assert good.ok
    issue = only_issue(bad)
    assert (issue.row, issue.column, issue.severity) == (3, column, "error")
    assert message in issue.message


def test_formulas_are_errors_where_read_and_warnings_elsewhere() -> None:
    header = [*HEADER, "仓库名称"]
    data = csv_bytes(
        [
            row("231125-1", 商品总价="x", **{"用户实付金额(元)": "=1+1"}),
            row("231125-2", 仓库名称='=HYPERLINK("http://evil","仓")'),
            row("231125-3", 商品='=HYPERLINK("http://evil","杯")'),
        ],
        header=header,
    )
    paid, warehouse, title = parse(data)
    assert only_issue(paid).column == "用户实付金额(元)" and "formula" in paid.issues[0].message
    assert warehouse.ok and warehouse.issues[0].severity == "warning"
    assert "仓库名称" not in warehouse.order.raw  # the formula is not stored either
    assert only_issue(title).column == "商品"


def test_xlsx_formula_cells_are_reported_not_evaluated() -> None:
    text = fixture_text()
    data = xlsx_from_csv_text(text, formulas={(2, 11): "=72-0.2", (3, 47): "=1+1"})
    items = parse(data, "orders.xlsx")
    assert only_issue(items[0]).column == "用户实付金额（元）"
    assert items[1].ok and items[1].issues[0].severity == "warning"  # 仓库名称 is not read


def test_missing_required_columns_are_a_file_error_naming_them() -> None:
    header = [h for h in HEADER if h not in ("订单号", "手机")]
    with pytest.raises(ValidationError, match="missing columns 订单号, 手机") as caught:
        parse(csv_bytes([row()], header=header))
    assert caught.value.details["field"] == "订单号"


def test_header_only_and_blank_rows() -> None:
    assert parse(csv_bytes([])) == []
    text = csv_bytes([row("231125-1")]).decode("utf-8-sig") + ",,,\r\n\r\n"
    assert len(parse(text.encode())) == 1


def test_extra_cells_suggest_an_unquoted_comma() -> None:
    text = csv_bytes([row()]).decode("utf-8-sig").rstrip("\r\n") + ",stray\r\n"
    issue = only_issue(parse(text.encode())[0])
    assert "unquoted comma" in issue.message


def test_uneven_unit_price_is_a_warning_and_totals_stay_exact() -> None:
    item = parse(
        csv_bytes(
            [row(**{"商品总价(元)": "10.00", "商品数量(件)": "3", "用户实付金额(元)": "10.00"})]
        )
    )[0]
    assert item.ok and item.order.goods_fen == 1000 and item.order.lines[0].unit_price_fen == 333
    assert item.issues[0].severity == "warning"


def test_ciphertext_receivers_stay_ciphertext() -> None:
    cipher = "~AgAAAACjmWAFZ1vG5ABcHJJ+v1G1LcKH2BRzsYjGe/s=~niqTGhCNifXk~1~~"
    item = parse(csv_bytes([row(收货人=cipher)]))[0]
    assert item.order.receiver.encrypted and item.order.receiver.name == cipher
    assert RECEIVER_MASKED_TAG not in item.order.tags


def test_status_words() -> None:
    assert status_from_text("已发货，待签收") == (OrderStatus.SHIPPED, RefundStatus.NONE)
    assert status_from_text("已发货,待签收") == (OrderStatus.SHIPPED, RefundStatus.NONE)
    assert status_from_text("未发货，退款成功") == (
        OrderStatus.AWAITING_SHIPMENT,
        RefundStatus.REFUNDED,
    )
    assert status_from_text(" 已签收 ") == (OrderStatus.DELIVERED, RefundStatus.NONE)
    assert status_from_text("已取消") == (OrderStatus.CANCELLED, RefundStatus.NONE)
    assert refund_from_text("无售后或售后取消") is RefundStatus.NONE
    assert refund_from_text("") is RefundStatus.NONE
    assert refund_from_text("退款成功") is RefundStatus.REFUNDED
    assert refund_from_text("售后处理中") is RefundStatus.IN_PROGRESS
    assert refund_from_text("买家申请退款，待商家处理") is RefundStatus.IN_PROGRESS


def test_sniff_and_template() -> None:
    data = fixture_text().encode("gbk")
    assert FORMAT.sniff("x.csv", data[:65536])
    assert not FORMAT.sniff("x.csv", b"Order,Status\r\n")
    assert FORMAT.sniff("x.xlsx", b"PK\x03\x04")
    template = FORMAT.blank_template()
    assert template.startswith(b"\xef\xbb\xbf") and parse(template) == []


@pytest.mark.parametrize(
    ("changes", "personal"),
    [
        ({"收货人": "王**", "手机": "138****5678", "街道": "文三路****"}, False),
        ({"收货人": "", "手机": "", "街道": ""}, False),  # nothing to protect either
        ({"收货人": "王**", "手机": "", "街道": "文三路****"}, False),
        ({"收货人": "王小明", "手机": "138****5678", "街道": "文三路****"}, True),
        ({"收货人": "王**", "手机": "13812345678", "街道": "文三路****"}, True),
        ({"收货人": "王**", "手机": "138****5678", "街道": "文三路90号"}, True),
        ({}, True),  # the builders' row: a clear receiver
    ],
)
def test_raw_is_personal_unless_every_receiver_column_is_masked(changes, personal) -> None:  # type: ignore[no-untyped-def]
    """`raw` keeps the row's cells: it may be stored unencrypted only when no receiver
    cell in it is in clear (`PlatformOrder.raw_personal`)."""
    (item,) = parse(csv_bytes([row(**changes)]))
    assert item.ok and item.order.raw_personal is personal


def test_an_unread_receiver_column_kept_in_raw_counts_too() -> None:
    """An export with both 街道 and 详细地址 reads 街道 but keeps 详细地址 in `raw`."""
    masked = {"收货人": "王**", "手机": "138****5678", "街道": "文三路****"}
    header = [*HEADER, "详细地址"]
    clear, hidden = parse(
        csv_bytes(
            [
                row("231125-1", **masked, 详细地址="浙江省杭州市西湖区文三路90号"),
                row("231125-2", **masked, 详细地址="文三路****"),
            ],
            header=header,
        )
    )
    assert clear.order.raw["详细地址"] == "浙江省杭州市西湖区文三路90号"
    assert clear.order.raw_personal is True and hidden.order.raw_personal is False


def test_the_fixture_marks_masked_rows_impersonal() -> None:
    orders = {i.order.order_number: i.order for i in parse(fixture_text().encode("utf-8-sig"))}
    assert orders["231125-512345678901234"].raw_personal is False  # 张**, 138****5678
    assert orders["231125-512345678901235"].raw_personal is True  # 李雷 in clear


def test_a_column_read_twice_in_the_header_is_a_file_error() -> None:
    """Which of two 订单状态 columns holds the status is anybody's guess: never pick one."""
    header = [*HEADER, "订单状态", "", "", "备注", "备注"]  # blank and unread ones are fine
    values = row("231125-1")
    with pytest.raises(ValidationError, match=r"column 订单状态 is in the header twice") as caught:
        parse(csv_bytes([values], header=header))
    assert (caught.value.details["field"], caught.value.details["row"]) == ("订单状态", 1)
    ok = parse(csv_bytes([values], header=[*HEADER, "", "", "备注", "备注"]))
    assert len(ok) == 1 and ok[0].ok


def test_a_byte_order_mark_starting_a_later_row_is_dropped() -> None:
    """Files joined (`cat a.csv b.csv`): the second's BOM starts a row. Kept, it would sit
    invisibly at the start of the row's first cell: in an order number, another order."""
    header = ["订单号", *[h for h in HEADER if h != "订单号"]]
    first = csv_bytes([row("231125-1")], header=header)
    joined = parse(first + csv_bytes([row("231125-2")], header=header))
    assert [(i.row, i.ok) for i in joined] == [(2, True), (3, False), (4, True)]
    rows_only = csv_bytes([row("231125-3")], header=header).split(b"\r\n", 1)[1]
    items = parse(first + codecs.BOM_UTF8 + rows_only)
    assert [i.order.order_number for i in items] == ["231125-1", "231125-3"]
