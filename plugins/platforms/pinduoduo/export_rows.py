"""How one row of the Pinduoduo back-office export becomes an order (pinduoduo.md §9).

The export's layout (which header holds what, which columns are required) and the row
reader. Money goes through `core.money.yuan_to_fen` after trimming the tabs the export
puts around numbers; times are Beijing time; the update time is derived from the row's
own times so the same row always gives the same order (idempotent re-import).

Performance matters here (100,000 rows in well under 10 s): a row's fields are taken in
a few groups by C calls; money and quantity texts, which repeat (prices), are parsed once
each, and so is the pair of status texts; times go through `tabular.TimeReader`.

`raw` keeps the row's other columns for support; whether it holds the receiver in clear
(`PlatformOrder.raw_personal`) is judged from the receiver columns it keeps: an export
whose receivers are all masked gives orders whose raw copy needs no encryption.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import compress
from operator import itemgetter
from types import MappingProxyType

from core import tabular
from core.clock import SHANGHAI
from core.contracts import (
    RECEIVER_MASKED_TAG,
    Contact,
    ImportIssue,
    ImportRow,
    PlatformOrder,
    PlatformOrderLine,
)
from core.errors import ValidationError
from core.money import yuan_to_fen
from plugins.platforms.pinduoduo.export_status import row_status
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
    "order_number",
    "status",
    "goods",
    "paid",
    "quantity",
    "paid_at",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "street",
)
MONEY = ("goods", "shop_discount", "platform_discount", "postage", "paid")
#: Times that record something happening to the order; the latest is its update time.
EVENT_TIMES = ("paid_at", "grouped_at", "confirmed_at", "shipped_at", "received_at")
TIMES = (*EVENT_TIMES, "ship_by")
EVENTS = len(EVENT_TIMES)
#: The other fields a row reader takes, in groups (`RowReader.read` unpacks them).
ORDER_TEXTS = ("order_number", "status", "after_sale", "quantity", "buyer_memo", "seller_remark")
RECEIVER = ("receiver_name", "receiver_phone", "province", "city", "district", "street")
LINE = ("sku_id", "title", "goods_id", "outer_id", "spec")
#: Columns never kept in the raw copy: identity documents and the buyer's own phone.
NOT_KEPT = frozenset(tabular.header_key(h) for h in ("身份证姓名", "身份证号码", "用户购买手机号"))
#: Fields whose columns hold the buyer's personal data (any of their accepted headers).
PERSONAL = ("receiver_name", "receiver_phone", "street")
PERSONAL_KEYS = frozenset(tabular.header_key(h) for f in PERSONAL for h in COLUMNS[f])
FLAG_TAGS = (
    ("under_review", RISK_CONTROL_TAG),
    ("lottery", "lottery"),
    ("sf_upgrade", "sf_upgrade"),
)
TAGS = tuple(tag for _, tag in FLAG_TAGS)
YES = frozenset({"是", "yes", "y", "1", "true"})
#: First characters of Pinduoduo ciphertext (`is_ciphertext` decides).
CIPHER_MARKS = frozenset("~$")
MAX_QUANTITY = 1_000_000

CACHE_SIZE = 10_000  # distinct money and quantity texts remembered


def header_key_of(field: str) -> str:
    """The normalised header the current export uses for `field`."""
    return tabular.header_key(COLUMNS[field][0])


def resolve(table: tabular.Table, filename: str) -> dict[str, int]:
    """field → column index; a missing required column is a file-level error naming it."""
    index = table.columns(filename, (tabular.header_key(n) for ns in COLUMNS.values() for n in ns))
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
    """Turns export rows into `ImportRow`s; holds the column lookups and the caches."""

    def __init__(self, table: tabular.Table, columns: dict[str, int]) -> None:
        self.header = table.header
        self.width = len(table.header)
        self.columns = columns
        self.heading = {field: table.header[i] for field, i in columns.items()}
        self.used = frozenset(columns.values())
        # One C call per group of fields; absent optional columns read the "" appended
        # to every row (index -1).
        self.pick_order = self._picker(ORDER_TEXTS)
        self.pick_money = self._picker(MONEY)
        self.pick_times = self._picker(TIMES)
        self.pick_receiver = self._picker(RECEIVER)
        self.pick_line = self._picker(LINE)
        self.pick_flags = self._picker(tuple(field for field, _ in FLAG_TAGS))
        self.kept = tuple(i for i, key in enumerate(table.keys) if key not in NOT_KEPT)
        self.kept_headers = tuple(table.header[i] for i in self.kept)
        self.pick_kept = itemgetter(*self.kept) if len(self.kept) > 1 else None
        # Every kept column that can hold the receiver, mapped or not (an export with both
        # 街道 and 详细地址 keeps both in `raw`): what `raw_personal` looks at.
        self.personal_headers = tuple(
            {table.header[i] for i in self.kept if table.keys[i] in PERSONAL_KEYS}
        )
        self.fen: dict[str, int] = {}  # money text → fen, for texts that parsed
        self.counts: dict[str, int] = {}  # quantity text → pieces, for texts in range
        self.flag_tags: dict[tuple[str, ...], tuple[str, ...]] = {}  # flag texts → tags
        self.times = tabular.TimeReader(SHANGHAI)

    def _picker(self, fields: tuple[str, ...]) -> Callable[[list[str]], tuple[str, ...]]:
        return itemgetter(*(self.columns.get(field, -1) for field in fields))

    def read(self, row: tabular.TableRow) -> ImportRow:
        """One row → its order, or its issues. Runs once per row of exports of 100,000
        rows: what repeats (money and quantity texts, the status pair, an hour's time
        offset) is looked up, and a good row builds nothing it does not return."""
        n = row.number
        cells = list(map(str.strip, row.cells))  # the export pads numbers with tabs
        if len(cells) < self.width:
            cells += [""] * (self.width - len(cells))
        issues = self._structure(row, cells) if row.formulas or len(cells) > self.width else []
        if issues and _has_error(issues):
            return ImportRow(n, None, issues)  # one clear message, not parse errors on top
        cells.append("")  # what absent optional columns read
        number, status_text, after_sale, quantity_text, memo, remark = self.pick_order(cells)
        if not number:
            self._error(issues, n, "order_number", "order number (订单号) is empty")
        money_texts = self.pick_money(cells)
        amounts = list(map(self.fen.get, money_texts))
        if None in amounts:
            amounts = self._money(money_texts, issues, n)
        goods, shop_discount, platform_discount, postage, paid = amounts
        quantity = self.counts.get(quantity_text) or self._quantity(quantity_text, issues, n)
        time_texts = self.pick_times(cells)
        times, bad_times = self.times.read(time_texts)
        for position, message in bad_times:
            self._error(issues, n, TIMES[position], message)
        paid_at, grouped_at, confirmed_at = times[:3]
        state = row_status(status_text, after_sale)
        if state.status_error:
            self._error(issues, n, "status", state.status_error)
        if state.after_sale_error:
            self._error(issues, n, "after_sale", state.after_sale_error)
        created = paid_at or grouped_at or confirmed_at
        if created is None and time_texts[0] == "":
            self._error(issues, n, "paid_at", "支付时间 is empty: the order has no time")
        if issues and _has_error(issues):
            return ImportRow(n, None, issues)
        assert state.status is not None and state.refund is not None
        unit, leftover = divmod(goods, quantity)
        if leftover:
            self._error(
                issues,
                n,
                "goods",
                f"商品总价 is not a whole multiple of the quantity {quantity}; the line's unit "
                f"price is rounded down to {unit} fen (the order total stays exact)",
                "warning",
            )
        receiver, masked = _receiver(*self.pick_receiver(cells))
        tags = self._tags(self.pick_flags(cells))
        if masked:
            tags += (RECEIVER_MASKED_TAG,)
        sku_id, title, goods_id, outer_id, spec = self.pick_line(cells)
        raw = self._raw(n, cells, row.formulas)
        try:
            line = PlatformOrderLine(sku_id, title, quantity, unit, goods_id, outer_id, spec)
            order = PlatformOrder(
                order_number=number,
                status=state.status,
                refund_status=state.refund,
                created_at=created,
                # Same content → same time (idempotent re-import); a newer export → a later
                # time. The microseconds order what the export dates nowhere (an after-sale
                # that starts without any new time column) by progress.
                updated_at=max(filter(None, times[:EVENTS])) + state.progress,
                paid_at=paid_at,
                ship_by=times[EVENTS],
                receiver=receiver,
                lines=(line,),
                goods_fen=goods,
                paid_fen=paid,
                discount_fen=shop_discount + platform_discount,
                postage_fen=postage,
                platform_status=state.platform_status,
                buyer_memo=memo,
                seller_remark=remark,
                tags=tags,
                raw=raw,
                raw_personal=self._personal(raw),
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
            issues.append(
                ImportIssue(
                    n,
                    f"the row has {len(cells)} cells but the header has {self.width}: "
                    "does a value hold an unquoted comma?",
                )
            )
        for i in sorted(row.formulas):
            read = i in self.used
            issues.append(
                ImportIssue(
                    n,
                    "holds a spreadsheet formula; formulas are never evaluated: paste the value"
                    if read
                    else "holds a spreadsheet formula; the column is not imported",
                    self.header[i] if i < self.width else f"column {i + 1}",
                    "error" if read else "warning",
                )
            )
        return issues

    def _money(self, texts: tuple[str, ...], issues: list[ImportIssue], n: int) -> list[int]:
        """The `MONEY` amounts in fen, in that order, when a text is not in the cache
        (0 for an amount in error: the row is refused anyway)."""
        amounts = []
        for field, text in zip(MONEY, texts, strict=True):
            fen = self.fen.get(text)
            if fen is None:
                fen = 0
                if text or field in REQUIRED:
                    try:
                        fen = yuan_to_fen(text, field=self.heading[field])
                    except ValidationError as exc:
                        self._error(issues, n, field, exc.message)
                        fen = 0
                    else:
                        if fen < 0:
                            self._error(issues, n, field, f"{text!r} is negative")
                            fen = 0
                        elif len(self.fen) < CACHE_SIZE:
                            self.fen[text] = fen
            amounts.append(fen)
        return amounts

    def _quantity(self, text: str, issues: list[ImportIssue], n: int) -> int:
        """The pieces of a quantity text not seen before (`read` looks in `counts` first)."""
        try:
            quantity = tabular.parse_count(text)
        except ValueError as exc:
            self._error(issues, n, "quantity", str(exc))
            return 1
        if not 1 <= quantity <= MAX_QUANTITY:
            self._error(issues, n, "quantity", f"quantity {quantity} is outside 1..{MAX_QUANTITY}")
            return quantity or 1
        if len(self.counts) < CACHE_SIZE:
            self.counts[text] = quantity
        return quantity

    def _tags(self, flags: tuple[str, ...]) -> tuple[str, ...]:
        """The tags the flag columns (是否审核中 …) give; their texts are a few words."""
        tags = self.flag_tags.get(flags)
        if tags is None:
            tags = tuple(tag for text, tag in zip(flags, TAGS, strict=True) if text.lower() in YES)
            if len(self.flag_tags) < CACHE_SIZE:
                self.flag_tags[flags] = tags
        return tags

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

    def _personal(self, raw: dict[str, object]) -> bool:
        """Whether `raw` holds a receiver value in clear: False only when every receiver
        column it keeps is empty or masked (`张**`, `138****5678`) — then core may store
        the copy without encrypting it (`PlatformOrder.raw_personal`)."""
        for header in self.personal_headers:
            value = raw.get(header)
            if value is not None and "*" not in value:  # type: ignore[operator]
                return True
        return False


def _has_error(issues: list[ImportIssue]) -> bool:
    return any(i.severity == "error" for i in issues)


def _receiver(
    name: str, phone: str, province: str, city: str, district: str, street: str
) -> tuple[Contact, bool]:
    """Clear values go to the fields core encrypts; masked ones (with `*`) only to the
    masked copies; Pinduoduo ciphertext (rare in exports) stays ciphertext."""
    if (name[:1] in CIPHER_MARKS or phone[:1] in CIPHER_MARKS or street[:1] in CIPHER_MARKS) and (
        is_ciphertext(name) or is_ciphertext(phone) or is_ciphertext(street)
    ):
        contact = Contact(name, phone, province, city, district, street, encrypted=True)
        return contact, False
    name_masked, phone_masked, street_masked = "*" in name, "*" in phone, "*" in street
    contact = Contact(
        name="" if name_masked else name,
        phone="" if phone_masked else phone,
        province=province,
        city=city,
        district=district,
        address="" if street_masked else street,
        name_masked=name if name_masked else "",
        phone_masked=phone if phone_masked else "",
        address_masked=street if street_masked else "",
    )
    return contact, name_masked or phone_masked or street_masked
