"""The checks core adds to every import format's rows, apart from the database.

`core.importing.service` runs them in its own process for small files; for big ones a reader
process runs them next to the format's parser (`core.importing.pipeline`), so this module
imports neither SQLAlchemy nor the models: the column lengths come in as arguments.

Per row, in this order: the format's own issues; strings longer than their database column
(PostgreSQL would refuse the batch); an order number seen before, with the same content
(a warning, counted once) or different content (an error); a receiver known only masked
(`张**`): a warning and the `receiver_masked` tag, because our own labels cannot be printed
for it. The counts go into the report's reading side (rows, valid, invalid, duplicates,
masked, issues); storing adds new/updated/unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import BinaryIO

from core.contracts import RECEIVER_MASKED_TAG, ImportFormat, ImportIssue, ImportRow, PlatformOrder
from core.importing.report import ImportReport

#: Orders per upsert: big enough for multi-row INSERTs, small enough to keep memory flat
#: (and, between processes, what one message carries).
BATCH_SIZE = 1000

MASKED_WARNING = (
    "receiver masked — cannot print self-rendered labels: name, phone or address holds "
    "* masks; print it through the platform's print component, or import the full receiver"
)
ORDER_FIELDS = (
    "order number",
    "platform status",
    "flag colour",
    "receiver province",
    "receiver city",
    "receiver district",
    "masked receiver name",
    "masked receiver phone",
    "masked receiver address",
)
LINE_FIELDS = ("line SKU id", "line goods id", "line outer id", "line title", "line spec")


@dataclasses.dataclass(frozen=True)
class Limits:
    """Column lengths for the strings `RowChecker` measures, field for field with
    `ORDER_FIELDS` and `LINE_FIELDS` (core.importing.service reads them off the model)."""

    order: tuple[int, ...]
    line: tuple[int, ...]


class RowChecker:
    """Core's checks for one file's rows, in file order, counted into `report`."""

    def __init__(self, report: ImportReport, limits: Limits) -> None:
        self.report = report
        self.limits = limits
        self.seen: dict[str, tuple[int, int]] = {}  # order number → (row, content hash)

    def take(self, item: ImportRow) -> PlatformOrder | None:
        """The row's order when it is to be stored; None for a row with errors or one
        that repeats an earlier row exactly. Runs once per row: the common row (no
        issues, an order seen once) costs a hash and a few comparisons."""
        report = self.report
        report.rows += 1
        order, row = item.order, item.row
        issues = list(item.issues)
        if order is None or (issues and _has_error(issues)):
            report.add_issues(issues)
            report.invalid += 1
            return None
        issues += self._too_long(row, order)
        if issues and _has_error(issues):
            report.add_issues(issues)
            report.invalid += 1
            return None
        content = hash(order)  # every field `==` compares: not `raw`
        first = self.seen.get(order.order_number)
        if first is not None:
            if first[1] == content:
                issues.append(
                    ImportIssue(
                        row, f"same order as row {first[0]}; imported once", severity="warning"
                    )
                )
                report.add_issues(issues)
                report.duplicates += 1
                return None
            issues.append(
                ImportIssue(
                    row,
                    f"order {order.order_number} is also in row {first[0]} with different content",
                )
            )
            report.add_issues(issues)
            report.invalid += 1
            return None
        self.seen[order.order_number] = (row, content)
        if issues:
            report.add_issues(issues)
        r = order.receiver
        if not r.encrypted and (
            (r.name_masked and not r.name)
            or (r.phone_masked and not r.phone)
            or (r.address_masked and not r.address)
        ):
            report.add_warning(row, MASKED_WARNING)
            if RECEIVER_MASKED_TAG not in order.tags:
                order = dataclasses.replace(order, tags=(*order.tags, RECEIVER_MASKED_TAG))
        report.valid += 1
        if RECEIVER_MASKED_TAG in order.tags:
            report.masked += 1
        return order

    def _too_long(self, row: int, order: PlatformOrder) -> list[ImportIssue]:
        """Strings longer than their database column (PostgreSQL would refuse the batch)."""
        if self._fits(order):
            return []
        r = order.receiver
        values = (
            order.order_number,
            order.platform_status,
            order.remark_flag,
            r.province,
            r.city,
            r.district,
            r.name_masked,
            r.phone_masked,
            r.address_masked,
        )
        lines = [(ln.sku_id, ln.goods_id, ln.outer_id, ln.title, ln.spec) for ln in order.lines]
        order_limits, line_limits = self.limits.order, self.limits.line
        found = [
            ImportIssue(row, f"{what} is longer than {limit} characters")
            for what, value, limit in zip(ORDER_FIELDS, values, order_limits, strict=True)
            if len(value) > limit
        ]
        for texts in lines:
            found += [
                ImportIssue(row, f"{what} is longer than {limit} characters")
                for what, value, limit in zip(LINE_FIELDS, texts, line_limits, strict=True)
                if len(value) > limit
            ]
        return found

    def _fits(self, order: PlatformOrder) -> bool:
        """The common case of `_too_long`, as plain comparisons: once per row, and the
        cheapest way to ask Python (no iterators or tuples built)."""
        o, line_limits = self.limits.order, self.limits.line
        r = order.receiver
        if (
            len(order.order_number) > o[0]
            or len(order.platform_status) > o[1]
            or len(order.remark_flag) > o[2]
            or len(r.province) > o[3]
            or len(r.city) > o[4]
            or len(r.district) > o[5]
            or len(r.name_masked) > o[6]
            or len(r.phone_masked) > o[7]
            or len(r.address_masked) > o[8]
        ):
            return False
        for ln in order.lines:
            if (
                len(ln.sku_id) > line_limits[0]
                or len(ln.goods_id) > line_limits[1]
                or len(ln.outer_id) > line_limits[2]
                or len(ln.title) > line_limits[3]
                or len(ln.spec) > line_limits[4]
            ):
                return False
        return True


def checked_batches(
    chosen: ImportFormat, stream: BinaryIO, report: ImportReport, limits: Limits
) -> Iterator[tuple[list[PlatformOrder], list[int]]]:
    """The file's orders as the format reads them and core's checks pass them, in batches
    of `BATCH_SIZE`, each with the orders' rows (for what storing reports), counting
    every row into `report`. Only batches that will be stored (or classified, on a dry
    run) are yielded: once an error makes an all-or-nothing import fail, the rest is only
    checked — it is rolled back anyway."""
    checker = RowChecker(report, limits)
    take = checker.take
    batch: list[PlatformOrder] = []
    rows: list[int] = []
    for item in chosen.parse(stream, report.filename):
        order = take(item)
        if order is not None:
            batch.append(order)
            rows.append(item.row)
            if len(batch) >= BATCH_SIZE:
                if _wanted(report):
                    yield batch, rows
                batch, rows = [], []
    if batch and _wanted(report):
        yield batch, rows


def _wanted(report: ImportReport) -> bool:
    """Whether valid orders are stored: never on a dry run (but classified), and no more
    once an error makes an all-or-nothing import fail."""
    return report.dry_run or report.partial or report.invalid == 0


def _has_error(issues: list[ImportIssue]) -> bool:
    return any(i.severity == "error" for i in issues)
