"""core.importing.checks on its own (no database): each string the database limits is
measured against its own column, and an order that fits passes untouched."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from core.contracts import Contact, ImportRow, OrderStatus, PlatformOrder, PlatformOrderLine
from core.importing.checks import LINE_FIELDS, ORDER_FIELDS, RowChecker
from core.importing.report import ImportReport
from core.importing.service import LIMITS

WHEN = datetime(2026, 11, 1, tzinfo=UTC)
ORDER_ATTRIBUTES = (
    "order_number",
    "platform_status",
    "remark_flag",
    "receiver.province",
    "receiver.city",
    "receiver.district",
    "receiver.name_masked",
    "receiver.phone_masked",
    "receiver.address_masked",
)
LINE_ATTRIBUTES = ("sku_id", "goods_id", "outer_id", "title", "spec")


def order(**changes: str) -> PlatformOrder:
    receiver = Contact("王小明", "13812345678", "浙江省", "杭州市", "西湖区", "文三路90号")
    line = PlatformOrderLine("1234567001", "保温杯", 1, 3990, "358812345", "CUP-500", "墨绿色")
    made = PlatformOrder(
        order_number="231125-1",
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status="none",
        created_at=WHEN,
        updated_at=WHEN,
        receiver=receiver,
        lines=(line,),
        goods_fen=3990,
        paid_fen=3990,
        platform_status="待发货",
    )
    for path, value in changes.items():
        if path.startswith("receiver."):
            receiver = dataclasses.replace(made.receiver, **{path.split(".")[1]: value})
            made = dataclasses.replace(made, receiver=receiver)
        elif path.startswith("line."):
            line = dataclasses.replace(made.lines[0], **{path.split(".")[1]: value})
            made = dataclasses.replace(made, lines=(made.lines[0], line))
        else:
            made = dataclasses.replace(made, **{path: value})
    return made


def messages(made: PlatformOrder) -> list[str]:
    report = ImportReport("o.csv", "test", 1)
    taken = RowChecker(report, LIMITS).take(ImportRow(2, made))
    assert (taken is None) == bool(report.errors)
    return [i.message for i in report.issues if i.severity == "error"]


@pytest.mark.parametrize("index", range(len(ORDER_FIELDS)))
def test_every_order_string_is_held_to_its_own_column(index: int) -> None:
    path, limit = ORDER_ATTRIBUTES[index], LIMITS.order[index]
    assert messages(order(**{path: "x" * limit})) == []
    assert messages(order(**{path: "x" * (limit + 1)})) == [
        f"{ORDER_FIELDS[index]} is longer than {limit} characters"
    ]


@pytest.mark.parametrize("index", range(len(LINE_FIELDS)))
def test_every_line_string_is_held_to_its_own_column(index: int) -> None:
    """The second line is the long one: every line is measured, not only the first."""
    path, limit = f"line.{LINE_ATTRIBUTES[index]}", LIMITS.line[index]
    assert messages(order(**{path: "x" * limit})) == []
    assert messages(order(**{path: "x" * (limit + 1)})) == [
        f"{LINE_FIELDS[index]} is longer than {limit} characters"
    ]
