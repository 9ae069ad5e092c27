"""Pinduoduo-style export files for import tests: the committed realistic fixture, and
small files built from one valid row with changes (CSV in any encoding, or XLSX)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "pdd_export.csv"
FIXTURE_ORDERS = 8

HEADER = [
    "商品",
    "订单号",
    "订单状态",
    "商品总价(元)",
    "店铺优惠折扣(元)",
    "平台优惠折扣(元)",
    "邮费(元)",
    "用户实付金额(元)",
    "商品数量(件)",
    "收货人",
    "手机",
    "省",
    "市",
    "区",
    "街道",
    "支付时间",
    "拼单成功时间",
    "订单确认时间",
    "承诺发货时间",
    "发货时间",
    "确认收货时间",
    "商品id",
    "商品规格",
    "样式ID",
    "商家编码-SKU维度",
    "商家备注",
    "售后状态",
    "买家留言",
]


def row(number: str = "231125-100000000000001", **changes: str) -> dict[str, str]:
    """A valid export row (clear receiver, awaiting shipment) with `changes` by header."""
    values = {
        "商品": "加厚保温杯 500ml",
        "订单号": "\t" + number,
        "订单状态": "待发货",
        "商品总价(元)": "\t39.90",
        "店铺优惠折扣(元)": "\t0.00",
        "平台优惠折扣(元)": "0.00\t",
        "邮费(元)": "\t0.00",
        "用户实付金额(元)": "\t39.90",
        "商品数量(件)": "\t1",
        "收货人": "王小明",
        "手机": "13812345678",
        "省": "浙江省",
        "市": "杭州市",
        "区": "西湖区",
        "街道": "文三路90号",
        "支付时间": "2023-11-25 09:15:02",
        "拼单成功时间": "2023-11-25 09:15:10",
        "订单确认时间": "2023-11-25 09:15:10",
        "承诺发货时间": "2023-11-27 09:15:10",
        "发货时间": "",
        "确认收货时间": "",
        "商品id": "\t358812345",
        "商品规格": "墨绿色",
        "样式ID": "\t1234567001",
        "商家编码-SKU维度": "CUP-500-GN",
        "商家备注": "",
        "售后状态": "无售后或售后取消",
        "买家留言": "",
    }
    values.update(changes)
    return values


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    header = header or HEADER
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(h, "") for h in header])
    return out.getvalue()


def csv_bytes(
    rows: list[dict[str, str]], encoding: str = "utf-8-sig", header: list[str] | None = None
) -> bytes:
    return csv_text(rows, header).encode(encoding)


def unterminated_quote_file() -> bytes:
    """Three orders; the second's status cell opens a quote that never closes."""
    text = csv_text([row("231125-1"), row("231125-2"), row("231125-3")])
    lines = text.split("\r\n")
    lines[2] = lines[2].replace(",待发货,", ',"待发货,')
    return "\r\n".join(lines).encode("utf-8-sig")


def xlsx_from_csv_text(text: str, formulas: dict[tuple[int, int], str] | None = None) -> bytes:
    """The same table as a workbook (all cells text); `formulas` puts formulas at
    (row, column), both 1-based as a spreadsheet counts."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for values in csv.reader(io.StringIO(text)):
        sheet.append(values)
    for (r, c), formula in (formulas or {}).items():
        sheet.cell(row=r, column=c, value=formula)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fixture_text() -> str:
    return FIXTURE.read_text(encoding="utf-8-sig")
