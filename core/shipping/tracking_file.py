"""Tracking numbers in batch (批量回填单号): a CSV or XLSX file, validated whole first.

Columns (header names in Chinese or English, any order; `template` writes them):
订单号/order_no or 包裹号/package_id (one of the two per row), 快递账号/carrier_account
(name or id), 快递单号/tracking_number. Files are read by `core.tabular` (encodings,
formulas as data, spreadsheet row numbers), so an issue names the row as the merchant's
spreadsheet shows it, and the column.

Every row is tried exactly as `set_tracking_number` would store it, each in a savepoint
of one transaction: the checks are the service's own, not a copy. Then, if any row failed
and `partial` is off, or on a dry run, the whole transaction is rolled back: nothing is
written. With `partial` the good rows are kept and the bad ones reported. A number given
twice in the file, or a package named twice, is refused at its second row.

Orders named that have no package yet get their default package first (`print.run`,
like `orderhub waybill allocate`), in a transaction of its own, before the file is tried
again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import BinaryIO

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import OrderhubError, ValidationError
from core.orders import packages as packing
from core.shipping import numbers, targets
from core.shipping.tracking import PERMISSION, TrackingResult, assign, usable_account
from core.tabular import Table, TableRow, read_table

MAX_ROWS = 10_000
MAX_ISSUES = 1000
#: Column → the header names accepted (compared without spaces, case-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "order": ("订单号", "订单编号", "order", "order_no", "ordernumber", "order_number"),
    "package": ("包裹号", "包裹id", "package", "package_id", "packageid"),
    "account": ("快递账号", "物流账号", "carrier_account", "carrieraccount", "account"),
    "number": ("快递单号", "运单号", "物流单号", "tracking_number", "trackingnumber", "number"),
}
TEMPLATE_HEADER = ("订单号 order_no", "包裹号 package_id", "快递账号 carrier_account")
TEMPLATE_HEADER += ("快递单号 tracking_number",)


@dataclass(frozen=True)
class TrackingIssue:
    row: int
    column: str
    message: str
    severity: str = "error"  # error | warning


@dataclass
class TrackingFileReport:
    """`written` is True when the transaction was committed with `stored` rows."""

    filename: str
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    stored: int = 0
    written: bool = False
    partial: bool = False
    dry_run: bool = False
    results: list[tuple[int, TrackingResult]] = field(default_factory=list)
    issues: list[TrackingIssue] = field(default_factory=list)
    issues_left_off: int = 0
    packed_orders: int = 0
    unpacked: set[int] = field(default_factory=set)  # orders named that have no package

    def add(self, issue: TrackingIssue) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)
        else:
            self.issues_left_off += 1

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error") + self.issues_left_off


@dataclass(frozen=True)
class _Row:
    number: int
    target: targets.Target
    account: str
    tracking: str


class _Rollback(Exception):
    """Raised inside the transaction to undo every row (a failed or dry run)."""


def import_tracking(
    app: App,
    actor: Actor,
    stream: BinaryIO,
    *,
    filename: str,
    partial: bool = False,
    dry_run: bool = False,
) -> TrackingFileReport:
    """Set the file's tracking numbers (`ship.confirm`); see the module docstring."""
    with app.tx() as session:
        authz.require(session, actor, PERMISSION)
    table = read_table(stream, filename)
    shape = TrackingFileReport(filename, partial=partial, dry_run=dry_run)
    rows = _rows(table, filename, shape)
    report = _try(app, actor, rows, _copy(shape), dry_run)
    unpacked = report.unpacked
    if unpacked and not dry_run and (partial or report.invalid == len(unpacked)):
        packed = packing.ensure_packages(app, actor, sorted(unpacked))
        report = _try(app, actor, rows, _copy(shape), dry_run)
        report.packed_orders = packed.created
    return report


def _copy(shape: TrackingFileReport) -> TrackingFileReport:
    """A report holding only what reading the file found (rows, shape errors)."""
    fresh = TrackingFileReport(shape.filename, partial=shape.partial, dry_run=shape.dry_run)
    fresh.rows, fresh.invalid = shape.rows, shape.invalid
    fresh.issues, fresh.issues_left_off = list(shape.issues), shape.issues_left_off
    return fresh


def _try(
    app: App, actor: Actor, rows: list[_Row], report: TrackingFileReport, dry_run: bool
) -> TrackingFileReport:
    """Every row in its savepoint; commit or roll back as the module docstring says."""
    try:
        with app.tx() as session:
            authz.require(session, actor, PERMISSION)
            open_write_transaction(session)
            accounts: dict[str, object] = {}
            seen_numbers: dict[str, int] = {}
            seen_packages: dict[int, int] = {}
            for row in rows:
                savepoint = session.begin_nested()
                try:
                    result = _one(app, session, actor, row, accounts, seen_numbers, seen_packages)
                except _NoPackage as missing:
                    savepoint.rollback()
                    _no_package(report, row, missing.order_id, dry_run)
                    continue
                except OrderhubError as exc:
                    savepoint.rollback()
                    report.invalid += 1
                    report.add(TrackingIssue(row.number, _column(exc), str(exc)))
                    continue
                savepoint.commit()
                report.valid += 1
                report.results.append((row.number, result))
                if result.warning:
                    report.add(TrackingIssue(row.number, "快递单号", result.warning, "warning"))
            if dry_run or report.unpacked or (report.invalid and not report.partial):
                raise _Rollback
            report.stored = sum(1 for _, r in report.results if r.outcome != "kept")
            report.written = True
    except _Rollback:
        report.written = False
    return report


def _no_package(report: TrackingFileReport, row: _Row, order_id: int, dry_run: bool) -> None:
    """A dry run says a package will be made; a real run packs the order and tries again
    (and reports the row only if that cannot happen)."""
    if dry_run:
        report.valid += 1
        report.add(
            TrackingIssue(
                row.number,
                "订单号",
                f"{row.target.label()} has no package yet: it gets one on import",
                "warning",
            )
        )
        return
    report.unpacked.add(order_id)
    report.invalid += 1
    report.add(
        TrackingIssue(
            row.number, "订单号", f"{row.target.label()} has no package (fix the other rows first)"
        )
    )


class _NoPackage(Exception):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id


def _one(
    app: App,
    session,  # type: ignore[no-untyped-def]
    actor: Actor,
    row: _Row,
    accounts: dict[str, object],
    seen_numbers: dict[str, int],
    seen_packages: dict[int, int],
) -> TrackingResult:
    target_column = "订单号" if row.target.order_number else "包裹号"
    try:
        if row.account not in accounts:
            accounts[row.account] = usable_account(session, actor, row.account)
    except OrderhubError as exc:
        exc.details.setdefault("field", "carrier_account")
        raise
    account = accounts[row.account]
    try:
        found = targets.resolve(session, actor.org_id, row.target, lock=True)
    except OrderhubError as exc:
        exc.details.setdefault("field", target_column)
        raise
    if found.package is None:
        assert found.order_id is not None
        raise _NoPackage(found.order_id)
    package = found.package
    if row.tracking in seen_numbers:
        raise ValidationError(
            f"{row.tracking} is also on row {seen_numbers[row.tracking]} of this file",
            field="快递单号",
        )
    if package.id in seen_packages:
        raise ValidationError(
            f"package {package.id} is also on row {seen_packages[package.id]} of this file",
            field="订单号",
        )
    try:
        result = assign(app, session, actor, package, account, row.tracking)  # type: ignore[arg-type]
    except OrderhubError as exc:
        exc.details.setdefault("field", target_column)
        raise
    seen_numbers[row.tracking] = row.number
    seen_packages[package.id] = row.number
    return result


def _column(exc: OrderhubError) -> str:
    name = str(exc.details.get("field", ""))
    return {
        "order": "订单号",
        "package": "包裹号",
        "target": "订单号",
        "carrier_account": "快递账号",
        "number": "快递单号",
    }.get(name, name or "")


def _rows(table: Table, filename: str, report: TrackingFileReport) -> list[_Row]:
    """The file's rows, checked for shape; rows with a shape error are reported (and
    counted invalid) and left out."""
    where = _header(table, filename)
    out: list[_Row] = []
    for row in table.rows:
        if not any(c.strip() for c in row.cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ValidationError(
                f"{filename}: more than {MAX_ROWS} rows; split the file", field="file"
            )
        try:
            out.append(_row(row, where))
        except ValidationError as exc:
            report.invalid += 1
            report.add(TrackingIssue(row.number, _column(exc), str(exc)))
    return out


def _header(table: Table, filename: str) -> dict[str, int | None]:
    keys = [k.lower() for k in table.keys]
    where: dict[str, int | None] = {}
    for column, names in COLUMNS.items():
        at = [i for i, k in enumerate(keys) if _matches(k, names)]
        if len(at) > 1:
            raise ValidationError(
                f"{filename}: two columns could be the {column} column "
                f"({table.header[at[0]]}, {table.header[at[1]]}); keep one",
                field="header",
            )
        where[column] = at[0] if at else None
    missing = [c for c in ("account", "number") if where[c] is None]
    if where["order"] is None and where["package"] is None:
        missing.insert(0, "order or package")
    if missing:
        raise ValidationError(
            f"{filename}: the header (row {table.header_number}) lacks the column(s) "
            f"{', '.join(missing)}; download the template: orderhub track template",
            field="header",
        )
    return where


def _matches(key: str, names: tuple[str, ...]) -> bool:
    """`订单号`, `order_no`, or both as the template writes them (`订单号 order_no`)."""
    return key in names or any(key == a + b for a in names for b in names if a != b)


def _row(row: TableRow, where: dict[str, int | None]) -> _Row:
    for column, label in (("order", "订单号"), ("package", "包裹号"), ("account", "快递账号")):
        index = where[column]
        if index is not None and index in row.formulas:
            raise ValidationError(f"row {row.number}: {label} holds a formula", field=label)
    if where["number"] in row.formulas:
        raise ValidationError(f"row {row.number}: 快递单号 holds a formula", field="快递单号")
    order = row.cell(where["order"]).strip()
    package = row.cell(where["package"]).strip()
    account = row.cell(where["account"]).strip()
    number = row.cell(where["number"])
    if order and package:
        raise ValidationError(
            f"row {row.number}: give the order number or the package id, not both",
            field="订单号",
        )
    if not order and not package:
        raise ValidationError(f"row {row.number}: no order number or package id", field="订单号")
    if not account:
        raise ValidationError(f"row {row.number}: no carrier account", field="快递账号")
    try:
        named = targets.target(order or None, package or None)
        tracking = numbers.checked(number, field="快递单号")
    except ValidationError as exc:
        raise ValidationError(f"row {row.number}: {exc}", field=_column(exc)) from None
    return _Row(row.number, named, account, tracking)


def template(kind: str = "csv") -> bytes:
    """The batch file's template: its header (and, in a workbook, column widths)."""
    if kind == "csv":
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerow(TEMPLATE_HEADER)
        return "\ufeff".encode() + text.getvalue().encode()  # a BOM: Excel reads UTF-8
    if kind == "xlsx":
        from openpyxl import Workbook  # late: only a workbook pays for openpyxl

        book = Workbook()
        sheet = book.active
        sheet.title = "回填单号"
        sheet.append(list(TEMPLATE_HEADER))
        for letter in "ABCD":
            sheet.column_dimensions[letter].width = 28
            # Text cells: a long tracking number must not become 7.3E+13.
        for column in ("A", "B", "C", "D"):
            for cell in sheet[column][1:200]:
                cell.number_format = "@"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise ValidationError(f"template kind must be csv or xlsx, not {kind!r}", field="kind")
