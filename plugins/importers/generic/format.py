"""The `mapped` import format: any CSV/XLSX, read through a merchant's column mapping.

The mapping (see `spec`) comes in the instance's settings as `{"mapping": {...}}`; core's
import service loads it from the `--mapping` file. With `lines = "line"`, rows that follow
each other with the same order number are one order's goods lines; their order-level
columns must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import BinaryIO

from core import tabular
from core.contracts import (
    Contact,
    ImportFormat,
    ImportIssue,
    ImportRow,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.errors import ValidationError
from core.money import whole_fen, yuan_to_fen
from plugins.importers.generic.spec import (
    FLAG_COLOURS,
    LINE_FIELDS,
    MONEY_FIELDS,
    ORDER_FIELDS,
    TIME_FIELDS,
    MappingSpec,
    spec_from,
    word,
)

STATUS_RANK = {OrderStatus.SHIPPED: 1, OrderStatus.DELIVERED: 2, OrderStatus.CANCELLED: 3}
REFUND_RANK = {RefundStatus.IN_PROGRESS: 1, RefundStatus.REFUNDED: 2}
MAX_QUANTITY = 1_000_000


class MappedFormat(ImportFormat):
    """CSV or XLSX with a user-defined column mapping (`--mapping FILE`)."""

    name = "mapped"
    FILE_EXTENSIONS = (".csv", ".xlsx")

    def _spec(self) -> MappingSpec:
        mapping = self.settings.get("mapping")
        if mapping is None:
            raise ValidationError(
                "the mapped format needs a column mapping (--mapping FILE)", field="mapping"
            )
        return spec_from(mapping)

    def sniff(self, filename: str, head: bytes) -> bool:
        """Only with a valid mapping: a CSV that has every mapped header, or an XLSX."""
        try:
            spec = self._spec()
        except ValidationError:
            return False
        if tabular.is_xlsx(filename, head):
            return True
        keys = set(tabular.sniff_header(filename, head) or ())
        return {tabular.header_key(h) for h in spec.columns.values()} <= keys

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ImportRow]:
        spec = self._spec()
        table = tabular.read_table(stream, filename)
        index = table.columns(filename, (tabular.header_key(h) for h in spec.columns.values()))
        columns: dict[str, int] = {}
        missing = []
        for field, header in spec.columns.items():
            key = tabular.header_key(header)
            if key in index:
                columns[field] = index[key]
            else:
                missing.append(header)
        if missing:
            raise ValidationError(
                f"{filename}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} named by the mapping (read as {table.encoding_label}; "
                f"header row {table.header_number})",
                field=missing[0],
                row=table.header_number,
            )
        reader = _Reader(spec, table.header, columns)
        group: list[_Row] = []
        for raw_row in table.rows:
            if raw_row.blank:
                continue
            row = reader.row(raw_row)
            if group and not (
                spec.per_line and row.number_text and row.number_text == group[0].number_text
            ):
                yield reader.order(group)
                group = []
            group.append(row)
        if group:
            yield reader.order(group)


class _Row:
    """One table row's field texts and the issues found reading them."""

    def __init__(
        self,
        number: int,
        get: Callable[[str], str],
        issues: list[ImportIssue],
        raw: dict[str, str],
    ) -> None:
        self.number = number
        self.get = get
        self.issues = issues
        self.raw = raw  # header → text of the non-empty, non-formula cells
        self.number_text = get("order_number")


class _Reader:
    def __init__(self, spec: MappingSpec, header: tuple[str, ...], columns: dict[str, int]) -> None:
        self.spec = spec
        self.header = header
        self.columns = columns
        self.used = frozenset(columns.values())

    def row(self, row: tabular.TableRow) -> _Row:
        cells = [c.strip() for c in row.cells]
        issues = [
            ImportIssue(
                row.number,
                "holds a spreadsheet formula; formulas are never evaluated: paste the value"
                if i in self.used
                else "holds a spreadsheet formula; the column is not imported",
                self.header[i] if i < len(self.header) else f"column {i + 1}",
                "error" if i in self.used else "warning",
            )
            for i in sorted(row.formulas)
        ]
        width = len(self.header)
        if len(cells) > width and any(cells[width:]):
            issues.append(
                ImportIssue(
                    row.number,
                    f"the row has {len(cells)} cells but the header has {width}: "
                    "does a value hold an unquoted comma?",
                )
            )
        constants, columns = self.spec.constants, self.columns

        def get(field: str) -> str:
            if field in constants:
                return constants[field]
            i = columns.get(field)
            return cells[i] if i is not None and i < len(cells) else ""

        raw = {
            self.header[i]: text
            for i, text in enumerate(cells[: len(self.header)])
            if text and i not in row.formulas
        }
        return _Row(row.number, get, issues, raw)

    def order(self, group: list[_Row]) -> ImportRow:
        first = group[0]
        issues = [i for r in group for i in r.issues]
        n = first.number

        def error(row: int, field: str, message: str) -> None:
            issues.append(ImportIssue(row, message, self.spec.source(field)))

        if not first.number_text:
            error(n, "order_number", "order number is empty")
        for later in group[1:]:
            for field in ORDER_FIELDS:
                if field in self.columns and later.get(field) != first.get(field):
                    error(later.number, field, f"differs from row {n}, which holds the same order")
        lines, line_total = [], 0
        for row in group:
            line = self._line(row, lambda f, m, r=row.number: error(r, f, m))
            if line is not None:
                lines.append(line)
                line_total += line.quantity * line.unit_price_fen
        money = {f: self._money(first, f, error) for f in MONEY_FIELDS if f != "unit_price"}
        times = {f: self._time(first, f, error) for f in TIME_FIELDS}
        status = self._status(first, error)
        if any(i.severity == "error" for i in issues) or None in (status[0], status[1]):
            return ImportRow(n, None, issues or [ImportIssue(n, "row could not be read")])
        goods = money["goods_amount"] if money["goods_amount"] is not None else line_total
        discount, postage = money["discount"] or 0, money["postage"] or 0
        paid = (
            money["paid_amount"] if money["paid_amount"] is not None else goods - discount + postage
        )
        created = times["created_at"] or times["paid_at"]
        if created is None:
            error(n, "created_at", "the order has no time (created_at/paid_at are empty)")
            return ImportRow(n, None, issues)
        updated = times["updated_at"] or max(t for k, t in times.items() if t and k != "ship_by")
        if times["updated_at"] is None:  # same content → same time; status changes → later
            rank = STATUS_RANK.get(status[0], 0) * 10 + REFUND_RANK.get(status[1], 0)
            updated += timedelta(microseconds=rank)
        flag = first.get("remark_flag").lower()
        if flag not in ("", *FLAG_COLOURS):
            error(n, "remark_flag", f"flag colour must be one of {', '.join(FLAG_COLOURS)}")
            return ImportRow(n, None, issues)
        try:
            order = PlatformOrder(
                order_number=first.number_text,
                status=status[0],
                refund_status=status[1],
                created_at=created,
                updated_at=updated,
                paid_at=times["paid_at"],
                ship_by=times["ship_by"],
                receiver=_receiver(first.get),
                lines=tuple(lines),
                goods_fen=goods,
                paid_fen=paid,
                discount_fen=discount,
                postage_fen=postage,
                platform_status=first.get("status")[:20],
                buyer_memo=first.get("buyer_memo"),
                seller_remark=first.get("seller_remark"),
                remark_flag=flag,
                raw={"rows": [{"_row": r.number, **r.raw} for r in group]},
                # raw_personal stays True: which of a merchant's columns hold personal
                # data, this format cannot know, so the raw rows are encrypted at rest.
            )
        except ValidationError as exc:
            return ImportRow(n, None, [*issues, ImportIssue(n, exc.message)])
        return ImportRow(n, order, issues)

    def _line(self, row: _Row, error: Callable[[str, str], None]) -> PlatformOrderLine | None:
        try:
            quantity = tabular.parse_count(row.get("quantity"))
        except ValueError as exc:
            error("quantity", str(exc))
            return None
        if not 1 <= quantity <= MAX_QUANTITY:
            error("quantity", f"quantity {quantity} is outside 1..{MAX_QUANTITY}")
            return None
        if "unit_price" in self.columns or "unit_price" in self.spec.constants:
            unit = self._money(row, "unit_price", lambda _r, f, m: error(f, m))
        else:  # only the order total is known: the single line carries it
            total = self._money(row, "goods_amount", lambda _r, f, m: error(f, m))
            unit = None if total is None else total // quantity
        if unit is None:
            return None
        text = {f: row.get(f) for f in LINE_FIELDS if f not in ("quantity", "unit_price")}
        return PlatformOrderLine(quantity=quantity, unit_price_fen=unit, **text)

    def _money(self, row: _Row, field: str, error) -> int | None:  # type: ignore[no-untyped-def]
        text = row.get(field)
        if not text:
            return None
        column = self.spec.source(field) or field
        try:
            if self.spec.fen:
                value = whole_fen(text, field=column)
            else:
                value = yuan_to_fen(text, field=column)
        except ValidationError as exc:
            error(row.number, field, exc.message)
            return None
        if value < 0:
            error(row.number, field, f"{text!r} is negative")
            return None
        return value

    def _time(self, row: _Row, field: str, error) -> datetime | None:  # type: ignore[no-untyped-def]
        text = row.get(field)
        if not text:
            return None
        try:
            return tabular.parse_time(text, self.spec.zone, self.spec.time_format)
        except ValueError as exc:
            error(row.number, field, str(exc))
            return None

    def _status(self, row: _Row, error) -> tuple[OrderStatus | None, RefundStatus | None]:  # type: ignore[no-untyped-def]
        status = self.spec.status_values.get(word(row.get("status")))
        if status is None:
            error(row.number, "status", f"status {row.get('status')!r} is not in status_values")
        refund = self.spec.refund_values.get(word(row.get("refund_status")))
        if refund is None:
            text = row.get("refund_status")
            error(row.number, "refund_status", f"refund status {text!r} is not in refund_values")
        return status, refund


def _receiver(get: Callable[[str], str]) -> Contact:
    """Clear values are stored encrypted; values with `*` masks go to the masked copies."""

    def split(value: str) -> tuple[str, str]:
        return ("", value) if "*" in value else (value, "")

    (name, name_masked), (phone, phone_masked) = (
        split(get("receiver_name")),
        split(get("receiver_phone")),
    )
    address, address_masked = split(get("address"))
    return Contact(
        name=name,
        phone=phone,
        province=get("province"),
        city=get("city"),
        district=get("district"),
        address=address,
        name_masked=name_masked,
        phone_masked=phone_masked,
        address_masked=address_masked,
    )
