"""How one row of the Pinduoduo back-office export becomes an order (pinduoduo.md §9).

The export's layout (which header holds what, which columns are required) and the row
reader. Money goes through `core.money.yuan_to_fen` after trimming the tabs the export
puts around numbers; times are Beijing time; the update time is derived from the row's
own times so the same row always gives the same order (idempotent re-import).

Performance matters here (100,000 rows in well under 10 s): each row is turned into a
field → text dict once, and money texts, which repeat (prices), are parsed once each.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import compress
from operator import itemgetter
from types import MappingProxyType

from core import tabular
from core.clock import SHANGHAI
from core.contracts import (
    Contact,
    ImportIssue,
    ImportRow,
    PlatformOrder,
    PlatformOrderLine,
)
from core.errors import ValidationError
from core.import_report import RECEIVER_MASKED_TAG
from core.money import yuan_to_fen
from plugins.platforms.pinduoduo.export_status import (
    REFUND_RANK,
    STATUS_RANK,
    platform_status_text,
    refund_from_text,
    status_from_text,
)
from plugins.platforms.pinduoduo.mapping import RISK_CONTROL_TAG, is_ciphertext

#: field → accepted headers (first is what the current export writes). Matched by
#: `tabular.header_key`, so full-width parentheses and stray spaces do not matter.
COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "order_number": ("订单号",),
        "status": ("订单状态",),
        "goods": ("商品总价(元)",),
        "shop_discount": ("店铺优惠折扣(元)",),
        "platform_discount": ("平台优惠折扣(元)",),
        "postage": ("邮费(元)",),
        "paid": ("用户实付金额(元)",),
        "quantity": ("商品数量(件)", "商品数量"),
        "receiver_name": ("收货人",),
        "receiver_phone": ("手机", "收货人手机"),
        "province": ("省",),
        "city": ("市",),
        "district": ("区",),
        "street": ("街道", "详细地址", "收货地址"),
        "paid_at": ("支付时间",),
        "grouped_at": ("拼单成功时间",),
        "confirmed_at": ("订单确认时间", "订单成交时间"),
        "ship_by": ("承诺发货时间",),
        "shipped_at": ("发货时间",),
        "received_at": ("确认收货时间",),
        "title": ("商品", "商品名称"),
        "goods_id": ("商品id",),
        "spec": ("商品规格",),
        "sku_id": ("样式ID",),
        "outer_id": ("商家编码-SKU维度",),
        "outer_goods_id": ("商家编码-商品维度",),
        "after_sale": ("售后状态",),
        "seller_remark": ("商家备注",),
        "buyer_memo": ("买家留言",),
        "under_review": ("是否审核中", "是否异常"),
        "lottery": ("是否抽奖或0元试用",),
        "sf_upgrade": ("是否顺丰加价",),
    }
)
REQUIRED = (
    "order_number", "status", "goods", "paid", "quantity", "paid_at",
    "receiver_name", "receiver_phone", "province", "city", "district", "street",
)  # fmt: skip
MONEY = ("goods", "shop_discount", "platform_discount", "postage", "paid")
#: Times that record something happening to the order; the latest is its update time.
EVENT_TIMES = ("paid_at", "grouped_at", "confirmed_at", "shipped_at", "received_at")
TIMES = (*EVENT_TIMES, "ship_by")
#: Columns never kept in the raw copy: identity documents and the buyer's own phone.
NOT_KEPT = frozenset(tabular.header_key(h) for h in ("身份证姓名", "身份证号码", "用户购买手机号"))
FLAG_TAGS = (
    ("under_review", RISK_CONTROL_TAG),
    ("lottery", "lottery"),
    ("sf_upgrade", "sf_upgrade"),
)
YES = frozenset({"是", "yes", "y", "1", "true"})
MAX_QUANTITY = 1_000_000

MONEY_CACHE_SIZE = 10_000


def header_key_of(field: str) -> str:
    """The normalised header the current export uses for `field`."""
    return tabular.header_key(COLUMNS[field][0])


def resolve(table: tabular.Table, filename: str) -> dict[str, int]:
    """field → column index; a missing required column is a file-level error naming it."""
    index = {key: i for i, key in reversed(list(enumerate(table.keys)))}  # first one wins
    found: dict[str, int] = {}
    for field, names in COLUMNS.items():
        hit = next((index[k] for k in map(tabular.header_key, names) if k in index), None)
        if hit is not None:
            found[field] = hit
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in found]
    if missing:
        raise ValidationError(
            f"{filename}: not a Pinduoduo order export: missing column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(read as {table.encoding_label}; header row {table.header_number})",
            field=missing[0],
            row=table.header_number,
        )
    return found


class RowReader:
    """Turns export rows into `ImportRow`s; holds the column lookups and a money cache."""

    def __init__(self, table: tabular.Table, columns: dict[str, int]) -> None:
        self.header = table.header
        self.width = len(table.header)
        self.columns = columns
        # Absent optional columns read the "" appended to every row (index -1).
        self.fields = tuple(COLUMNS)
        self.pick = itemgetter(*(columns.get(field, -1) for field in COLUMNS))
        self.heading = {field: table.header[i] for field, i in columns.items()}
        self.used = frozenset(columns.values())
        self.kept = tuple(i for i, key in enumerate(table.keys) if key not in NOT_KEPT)
        self.kept_headers = tuple(table.header[i] for i in self.kept)
        self.pick_kept = itemgetter(*self.kept) if len(self.kept) > 1 else None
        self.fen: dict[str, int] = {}  # money text → fen, for texts that parsed

    def read(self, row: tabular.TableRow) -> ImportRow:
        n = row.number
        cells = list(map(str.strip, row.cells))  # the export pads numbers with tabs
        if len(cells) < self.width:
            cells += [""] * (self.width - len(cells))
        issues = self._structure(row, cells) if row.formulas or len(cells) > self.width else []
        if issues and any(i.severity == "error" for i in issues):
            return ImportRow(n, None, issues)  # one clear message, not parse errors on top
        cells.append("")  # what absent optional columns read
        v = dict(zip(self.fields, self.pick(cells), strict=True))
        number = v["order_number"]
        if not number:
            self._error(issues, n, "order_number", "order number (订单号) is empty")
        money = self._money(v, issues, n)
        quantity = self._quantity(v, issues, n)
        times = self._times(v, issues, n)
        status = refund = None
        try:
            status, refund = status_from_text(v["status"])
        except ValueError as exc:
            self._error(issues, n, "status", str(exc))
        try:
            after_sale = refund_from_text(v["after_sale"])
            if refund is not None:
                refund = max(refund, after_sale, key=REFUND_RANK.__getitem__)
        except ValueError as exc:
            self._error(issues, n, "after_sale", str(exc))
        created = times.get("paid_at") or times.get("grouped_at") or times.get("confirmed_at")
        if created is None and v["paid_at"] == "":
            self._error(issues, n, "paid_at", "支付时间 is empty: the order has no time")
        if issues and any(i.severity == "error" for i in issues):
            return ImportRow(n, None, issues)
        assert status is not None and refund is not None and created is not None
        unit, leftover = divmod(money["goods"], quantity)
        if leftover:
            self._error(
                issues, n, "goods",
                f"商品总价 is not a whole multiple of the quantity {quantity}; the line's unit "
                f"price is rounded down to {unit} fen (the order total stays exact)",
                "warning",
            )  # fmt: skip
        # Same content → same time (idempotent re-import); a newer export → a later time.
        # The microseconds order what the export dates nowhere (an after-sale that starts
        # without any new time column) by progress.
        latest = max(times[f] for f in EVENT_TIMES if f in times)
        updated = latest + timedelta(microseconds=STATUS_RANK[status] * 10 + REFUND_RANK[refund])
        receiver, masked = _receiver(v)
        tags = [tag for field, tag in FLAG_TAGS if v[field].lower() in YES]
        if masked:
            tags.append(RECEIVER_MASKED_TAG)
        try:
            order = PlatformOrder(
                order_number=number,
                status=status,
                refund_status=refund,
                created_at=created,
                updated_at=updated,
                paid_at=times.get("paid_at"),
                ship_by=times.get("ship_by"),
                receiver=receiver,
                lines=(
                    PlatformOrderLine(
                        sku_id=v["sku_id"],
                        title=v["title"],
                        quantity=quantity,
                        unit_price_fen=unit,
                        goods_id=v["goods_id"],
                        outer_id=v["outer_id"],
                        spec=v["spec"],
                    ),
                ),
                goods_fen=money["goods"],
                paid_fen=money["paid"],
                discount_fen=money["shop_discount"] + money["platform_discount"],
                postage_fen=money["postage"],
                platform_status=platform_status_text(status, refund),
                buyer_memo=v["buyer_memo"],
                seller_remark=v["seller_remark"],
                tags=tags,
                raw=self._raw(n, cells, row.formulas),
            )
        except ValidationError as exc:
            field = str(exc.details.get("field", ""))
            return ImportRow(n, None, [*issues, ImportIssue(n, exc.message, field)])
        return ImportRow(n, order, issues)

    def _error(
        self, issues: list[ImportIssue], n: int, field: str, message: str, severity: str = "error"
    ) -> None:
        issues.append(ImportIssue(n, message, self.heading.get(field, ""), severity))

    def _structure(self, row: tabular.TableRow, cells: list[str]) -> list[ImportIssue]:
        """Cells past the header, and formulas (errors where we read, warnings elsewhere)."""
        issues: list[ImportIssue] = []
        n = row.number
        if len(cells) > self.width and any(cells[self.width :]):
            issues.append(ImportIssue(
                n, f"the row has {len(cells)} cells but the header has {self.width}: "
                "does a value hold an unquoted comma?",
            ))  # fmt: skip
        for i in sorted(row.formulas):
            read = i in self.used
            issues.append(ImportIssue(
                n,
                "holds a spreadsheet formula; formulas are never evaluated: paste the value"
                if read else "holds a spreadsheet formula; the column is not imported",
                self.header[i] if i < self.width else f"column {i + 1}",
                "error" if read else "warning",
            ))  # fmt: skip
        return issues

    def _money(self, v: dict[str, str], issues: list[ImportIssue], n: int) -> dict[str, int]:
        money: dict[str, int] = {}
        cache = self.fen
        for field in MONEY:
            text = v[field]
            fen = cache.get(text)
            if fen is None:
                if not text and field not in REQUIRED:
                    money[field] = 0
                    continue
                try:
                    fen = yuan_to_fen(text, field=self.heading[field])
                except ValidationError as exc:
                    self._error(issues, n, field, exc.message)
                    continue
                if fen < 0:
                    self._error(issues, n, field, f"{text!r} is negative")
                    continue
                if len(cache) < MONEY_CACHE_SIZE:
                    cache[text] = fen
            money[field] = fen
        return money

    def _quantity(self, v: dict[str, str], issues: list[ImportIssue], n: int) -> int:
        try:
            quantity = tabular.parse_count(v["quantity"])
        except ValueError as exc:
            self._error(issues, n, "quantity", str(exc))
            return 1
        if not 1 <= quantity <= MAX_QUANTITY:
            self._error(issues, n, "quantity", f"quantity {quantity} is outside 1..{MAX_QUANTITY}")
        return quantity or 1

    def _times(self, v: dict[str, str], issues: list[ImportIssue], n: int) -> dict[str, datetime]:
        times: dict[str, datetime] = {}
        for field in TIMES:
            text = v[field]
            if text:
                try:
                    times[field] = tabular.parse_time(text, SHANGHAI)
                except ValueError as exc:
                    self._error(issues, n, field, str(exc))
        return times

    def _raw(self, number: int, cells: list[str], formulas: frozenset[int]) -> dict[str, object]:
        """The row as the export wrote it (non-empty cells, no formulas, no identity
        documents), for support and for re-mapping after a fix."""
        values = self.pick_kept(cells) if self.pick_kept else [cells[i] for i in self.kept]
        raw: dict[str, object] = {"_row": number}
        raw.update(compress(zip(self.kept_headers, values, strict=True), values))  # non-empty
        for i in formulas:
            if i < self.width:
                raw.pop(self.header[i], None)
        return raw


def _receiver(v: dict[str, str]) -> tuple[Contact, bool]:
    """Clear values go to the fields core encrypts; masked ones (with `*`) only to the
    masked copies; Pinduoduo ciphertext (rare in exports) stays ciphertext."""
    name, phone, street = v["receiver_name"], v["receiver_phone"], v["street"]
    if any(is_ciphertext(x) for x in (name, phone, street)):
        contact = Contact(name, phone, v["province"], v["city"], v["district"], street,
                          encrypted=True)  # fmt: skip
        return contact, False
    masks = ["*" in name, "*" in phone, "*" in street]
    contact = Contact(
        name="" if masks[0] else name,
        phone="" if masks[1] else phone,
        province=v["province"],
        city=v["city"],
        district=v["district"],
        address="" if masks[2] else street,
        name_masked=name if masks[0] else "",
        phone_masked=phone if masks[1] else "",
        address_masked=street if masks[2] else "",
    )
    return contact, any(masks)
