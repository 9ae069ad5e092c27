"""Realistic sample data for template previews, the test page and the render benchmark.

Fixed values (no clock, no randomness), so a preview is the same picture every time. The
buyer is fictitious; phone numbers use the 138-0000 range that carriers treat as test data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.templates.data import (
    ItemLine,
    LabelData,
    PackingSlipData,
    Party,
    PickListData,
    ProductLabelData,
    aggregate_pick_lines,
)

PRINT_TIME = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)  # 14:30 in Beijing

SENDER = Party(
    name="王店长",
    phone="13800000001",
    address="浙江省 杭州市 余杭区 仓前街道 文一西路 1818 号 3 号仓",
)
RECEIVER = Party(
    name="张晓明",
    phone="13800001234",
    address="广东省 深圳市 南山区 粤海街道 科技南十二路 2 号 金蝶软件园 B 座 7 楼",
)
ITEMS = (
    ItemLine(
        "纯棉短袖T恤 男款",
        2,
        spec="白色/XL",
        sku="TS-WH-XL",
        location="A-01-03",
        unit_price_fen=4900,
    ),
    ItemLine(
        "加厚保温杯 500ml",
        1,
        spec="墨绿",
        sku="CUP-500-GN",
        location="B-12-01",
        unit_price_fen=8990,
    ),
    ItemLine("手机支架 折叠款", 3, sku="HOLD-F1", location="C-02-07", unit_price_fen=1590),
)


def sample_label(
    waybill_number: str = "YT7500012345678", sort_code: str = "300-A12 058"
) -> LabelData:
    """A 圆通 label for a merged package of two orders."""
    return LabelData(
        waybill_number=waybill_number,
        sort_code=sort_code,
        package_center="深圳转运中心",
        package_center_code="5180",
        route_name="广东深圳",
        carrier_code="YTO",
        carrier_name="圆通速递",
        sender=SENDER,
        receiver=RECEIVER,
        order_numbers=("261127-045612389012345", "261127-045612389012346"),
        items=ITEMS,
        remarks="易碎品 轻拿轻放",
        print_time=PRINT_TIME,
        weight_g=1350,
        shop_name="晓风家居旗舰店",
    )


def sample_packing_slip() -> PackingSlipData:
    return PackingSlipData(
        order_number="261127-045612389012345",
        receiver=RECEIVER,
        sender=SENDER,
        items=ITEMS,
        shop_name="晓风家居旗舰店",
        created_at=datetime(2026, 11, 27, 1, 12, tzinfo=UTC),
        paid_at=datetime(2026, 11, 27, 1, 13, tzinfo=UTC),
        waybill_number="YT7500012345678",
        carrier_name="圆通速递",
        postage_fen=0,
        paid_fen=23560,
        buyer_memo="请尽快发货，谢谢！",
        seller_remark="送小礼品",
        print_time=PRINT_TIME,
    )


def sample_pick_list() -> PickListData:
    picks = [
        ("圆通速递", "261127-0001", ITEMS[0]),
        ("圆通速递", "261127-0002", ITEMS[0]),
        ("圆通速递", "261127-0002", ITEMS[1]),
        ("中通快递", "261127-0003", ITEMS[2]),
        ("中通快递", "261127-0004", ITEMS[1]),
        ("中通快递", "261127-0004", ItemLine("收纳盒 大号", 4, sku="BOX-L", location="A-03-02")),
    ]
    return PickListData(
        batch_number="PB20261127-003",
        lines=aggregate_pick_lines(picks),
        order_count=4,
        operator="李拣货",
        print_time=PRINT_TIME,
    )


def sample_product_label() -> ProductLabelData:
    return ProductLabelData(
        code="TS-WH-XL",
        name="纯棉短袖T恤 男款",
        spec="白色/XL",
        barcode="6901234567892",
        price_fen=4900,
        location="A-01-03",
        print_time=PRINT_TIME,
    )


def sample_data(kind: str) -> dict[str, Any]:
    """The render mapping of the sample for template kind `kind`."""
    builders = {
        "label": sample_label,
        "packing_slip": sample_packing_slip,
        "pick_list": sample_pick_list,
        "product_label": sample_product_label,
    }
    return builders[kind]().to_mapping()
