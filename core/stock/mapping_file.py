"""SKU 对应 from and to a CSV or XLSX file: one row per part of a platform SKU's mapping.

Columns, named in Chinese or English: platform (平台; optional, default pinduoduo),
platform SKU id (平台SKU ID / sku_id, required), merchant SKU code (商家编码 / 编码 /
code, required), quantity (数量 / qty; optional, default 1). A bundle is several rows
with the same platform SKU. Each platform SKU in the file is mapped to exactly its rows,
replacing what it mapped to before; platform SKUs the file does not name are left alone.

Every row is read and checked before anything is written — an empty id or code, a
quantity that is not a whole number of at least 1, a code given twice for one platform
SKU, more than `MAX_PARTS` parts, a formula, a merchant SKU that does not exist — and the
first bad one fails the import naming its row and column: all or nothing, like the
catalogue (`catalogue_file`). Needs `stock.adjust`; one audit event with the counts.

`export_mappings` writes the same columns (`EXPORT_HEADERS`, needs `stock.view`), so its
file imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku, SkuMapping
from core.stock.catalogue_file import check_format
from core.stock.mapping import MAX_PARTS, list_mappings
from core.stock.sheets import MAX_ROWS, column_of, rows_of
from core.tabular import read_table
from core.tabular.cells import parse_count
from core.tabular.model import TableRow
from core.tabular.writing import Cell, restore, write_table

HEADERS = {
    "platform": ("平台", "platform"),
    "platform_sku_id": ("平台skuid", "平台sku", "skuid", "sku_id", "platform_sku_id"),
    "code": ("商家编码", "编码", "sku编码", "code", "skucode"),
    "quantity": ("数量", "qty", "quantity"),
}
EXPORT_HEADERS = ("平台", "平台SKU ID", "商家编码", "数量")
DEFAULT_PLATFORM = "pinduoduo"

Key = tuple[str, str]  # (platform, platform SKU id)


@dataclass(frozen=True)
class MappingImport:
    added: int  # platform SKUs mapped that were not before
    replaced: int  # mapped before, to other parts
    unchanged: int


@dataclass
class _Part:
    row: int
    quantity: int


def import_mappings(app: App, actor: Actor, stream: BinaryIO, filename: str) -> MappingImport:
    table = read_table(stream, filename)
    keys = [key.lower() for key in table.keys]
    columns = {field: column_of(keys, names) for field, names in HEADERS.items()}
    for field in ("platform_sku_id", "code"):
        if columns[field] is None:
            raise ValidationError(
                f"{filename}: no {field} column in the header (row {table.header_number}); "
                f"name it one of {', '.join(HEADERS[field])}",
                field="file",
                row=table.header_number,
            )
    where = _Where(filename, {f: table.header[at] for f, at in columns.items() if at is not None})
    with rows_of(table) as table_rows:
        wanted = _read(table_rows, where, columns)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        codes = {code for parts in wanted.values() for code in parts}
        ids = dict(
            session.execute(
                select(Sku.code, Sku.id).where(Sku.org_id == actor.org_id, Sku.code.in_(codes))
            ).all()
        )
        for parts in wanted.values():
            for code, part in parts.items():
                if code not in ids:
                    raise where.error(part.row, "code", f"no SKU with code {code!r}")
        before = _current(session, actor.org_id, set(wanted))
        added = replaced = unchanged = 0
        for key, parts in wanted.items():
            new = {code: part.quantity for code, part in parts.items()}
            old = before.get(key)
            if old == new:
                unchanged += 1
                continue
            added += old is None
            replaced += old is not None
            session.execute(
                delete(SkuMapping).where(
                    SkuMapping.org_id == actor.org_id,
                    SkuMapping.platform == key[0],
                    SkuMapping.platform_sku_id == key[1],
                )
            )
            session.add_all(
                SkuMapping(
                    org_id=actor.org_id,
                    platform=key[0],
                    platform_sku_id=key[1],
                    sku_id=ids[code],
                    quantity=quantity,
                )
                for code, quantity in new.items()
            )
        audit.record(
            session,
            "sku.map_import",
            actor=actor,
            target_type="org",
            target_id=actor.org_id,
            after={"file": filename, "added": added, "replaced": replaced},
        )
        return MappingImport(added, replaced, unchanged)


def export_mappings(app: App, actor: Actor, out: BinaryIO, fmt: str) -> int:
    """Every mapping set by hand, one row per part, written as `fmt`; the rows written."""
    kind = check_format(fmt)
    found = list_mappings(app, actor)  # stock.view; a few thousand rows at most
    rows: list[list[Cell]] = [
        [m.platform, m.platform_sku_id, part.code, part.quantity] for m in found for part in m.parts
    ]
    return write_table(out, kind, EXPORT_HEADERS, rows, sheet="SKU对应")


def _current(session: Session, org_id: int, keys: set[Key]) -> dict[Key, dict[str, int]]:
    found: dict[Key, dict[str, int]] = {}
    sku_ids = {sku_id for _, sku_id in keys}
    for platform, sku_id, code, quantity in session.execute(
        select(SkuMapping.platform, SkuMapping.platform_sku_id, Sku.code, SkuMapping.quantity)
        .join(Sku, Sku.id == SkuMapping.sku_id)
        .where(SkuMapping.org_id == org_id, SkuMapping.platform_sku_id.in_(sku_ids))
    ):
        if (platform, sku_id) in keys:
            found.setdefault((platform, sku_id), {})[code] = quantity
    return found


@dataclass(frozen=True)
class _Where:
    """The file, and each field's column as its header names it, for errors."""

    filename: str
    headers: dict[str, str]

    def error(self, row: int, field: str, message: str) -> ValidationError:
        column = self.headers.get(field, field)
        return ValidationError(
            f"{self.filename} row {row}, column {column}: {message}", field=field, row=row
        )


def _read(
    rows: Iterator[TableRow], where: _Where, columns: dict[str, int | None]
) -> dict[Key, dict[str, _Part]]:
    found: dict[Key, dict[str, _Part]] = {}
    count = 0
    for row in rows:
        if row.blank:
            continue
        count += 1
        if count > MAX_ROWS:
            raise ValidationError(f"{where.filename}: more than {MAX_ROWS:,} rows", field="file")
        number = row.number
        cells = {}
        for field, at in columns.items():
            if at is not None and at in row.formulas:
                raise where.error(number, field, "a formula; paste it as a value")
            cells[field] = restore(row.cell(at).strip())
        key = _key(cells, where, number)
        code = cells["code"]
        if not code:
            raise where.error(number, "code", "the code is empty")
        parts = found.setdefault(key, {})
        if code in parts:
            raise where.error(
                number, "code", f"{code} is a part of {key[1]} on row {parts[code].row} already"
            )
        if len(parts) >= MAX_PARTS:
            raise where.error(number, "code", f"{key[1]} has more than {MAX_PARTS} parts")
        parts[code] = _Part(number, _quantity(cells["quantity"], where, number))
    if not found:
        raise ValidationError(f"{where.filename}: no mappings below the header", field="file")
    return found


def _key(cells: dict[str, str], where: _Where, number: int) -> Key:
    platform = cells["platform"] or DEFAULT_PLATFORM
    sku_id = cells["platform_sku_id"]
    if not sku_id or len(sku_id) > 64:
        raise where.error(number, "platform_sku_id", "a platform SKU id is 1 to 64 characters")
    if len(platform) > 32:
        raise where.error(number, "platform", "a platform name is at most 32 characters")
    return platform, sku_id


def _quantity(text: str, where: _Where, number: int) -> int:
    if not text:
        return 1
    try:
        quantity = parse_count(text)
    except ValueError as exc:
        raise where.error(number, "quantity", str(exc)) from exc
    if quantity < 1:
        raise where.error(number, "quantity", f"the quantity must be 1 or more, not {quantity}")
    return quantity
