"""商品档案 from a merchant's CSV or XLSX: new SKUs added, known ones updated, in one go.

Columns, named in Chinese or English: code (编码 / 商家编码 / SKU, required), name (名称 /
商品名称), barcode (条码 / 条形码), weight in grams (重量 / 重量(克)), cost in yuan (成本 /
成本价; it needs `finance.view`). A column the file lacks leaves that field as it is on
known SKUs. Every row is read and checked before anything is written — an empty or
malformed code, a code given twice, a weight or cost that is not a number, a formula —
and the first bad one fails the import naming its row and column: all or nothing.
Needs `stock.adjust`; the import is one audit event with its counts.

`export_catalogue` writes the same columns (`EXPORT_HEADERS`), so its file imports back
unchanged: text the writer neutralised against formulas (`'=…`) is restored on the way in,
the cost is in yuan and only there for `finance.view` (without it the column is left out,
and an import of that file leaves costs as they are). It needs `stock.view`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from sqlalchemy import select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku
from core.money import yuan_to_fen
from core.stock.catalogue import clean_code
from core.stock.sheets import CODE_HEADERS, MAX_ROWS, column_of, rows_of
from core.tabular import read_table
from core.tabular.cells import parse_count
from core.tabular.model import TableRow
from core.tabular.writing import Cell, restore, write_table

HEADERS = {
    "code": CODE_HEADERS,
    "name": ("名称", "商品名称", "name"),
    "barcode": ("条码", "条形码", "barcode"),
    "weight_g": ("重量", "重量(克)", "重量(g)", "weight", "weight(g)", "weight_g"),
    "cost_fen": ("成本", "成本价", "成本(元)", "cost", "cost(yuan)"),
}


EXPORT_HEADERS = ("编码", "名称", "条码", "重量(克)", "成本(元)")
FORMATS = ("csv", "xlsx")
#: SKUs read per query while exporting.
BATCH = 1000


@dataclass(frozen=True)
class CatalogueImport:
    added: int
    updated: int
    unchanged: int


def import_catalogue(app: App, actor: Actor, stream: BinaryIO, filename: str) -> CatalogueImport:
    table = read_table(stream, filename)
    keys = [key.lower() for key in table.keys]
    columns = {field: column_of(keys, names) for field, names in HEADERS.items()}
    if columns["code"] is None:
        raise ValidationError(
            f"{filename}: no code (编码) column in the header (row {table.header_number}); "
            f"name it one of {', '.join(CODE_HEADERS)}",
            field="file",
            row=table.header_number,
        )
    with rows_of(table) as table_rows:
        rows = _read(table_rows, filename, columns)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        if any("cost_fen" in values for values in rows.values()):
            authz.require(session, actor, "finance.view")
        known = {
            sku.code: sku
            for sku in session.scalars(
                select(Sku).where(Sku.org_id == actor.org_id, Sku.code.in_(list(rows)))
            )
        }
        added = updated = unchanged = 0
        for code, values in rows.items():
            sku = known.get(code)
            if sku is None:
                session.add(Sku(org_id=actor.org_id, code=code, **_defaults(values)))
                added += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(sku, k) != v}
            for key, value in changed.items():
                setattr(sku, key, value)
            updated += bool(changed)
            unchanged += not changed
        result = CatalogueImport(added, updated, unchanged)
        audit.record(
            session,
            "sku.import",
            actor=actor,
            target_type="org",
            target_id=actor.org_id,
            after={"file": filename, "added": added, "updated": updated},
        )
        return result


def _defaults(values: dict[str, object]) -> dict[str, object]:
    return {"name": "", "barcode": "", "weight_g": 0, "cost_fen": 0, **values}


def _read(
    rows: Iterator[TableRow], filename: str, columns: dict[str, int | None]
) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    first_row: dict[str, int] = {}
    for row in rows:
        if row.blank:
            continue
        if len(found) >= MAX_ROWS:
            raise ValidationError(f"{filename}: more than {MAX_ROWS:,} rows", field="file")
        values: dict[str, object] = {}
        for field, at in columns.items():
            if at is None:
                continue
            where = f"{filename} row {row.number}"
            if at in row.formulas:
                raise ValidationError(
                    f"{where}: the {field} is a formula; paste it as a value",
                    field=field,
                    row=row.number,
                )
            values[field] = _value(field, row.cell(at), where, row.number)
        code = str(values.pop("code"))
        if code in found:
            raise ValidationError(
                f"{filename} row {row.number}: {code} is on row {first_row[code]} already",
                field="code",
                row=row.number,
            )
        first_row[code] = row.number
        found[code] = {k: v for k, v in values.items() if v is not None}
    if not found:
        raise ValidationError(f"{filename}: no SKUs below the header", field="file")
    return found


def _value(field: str, text: str, where: str, number: int) -> object:
    """A cell as the SKU's value; None for an empty optional number (left as it is)."""
    try:
        if field == "code":
            return clean_code(restore(text.strip()))
        if field in ("name", "barcode"):
            return restore(text.strip())
        if not text.strip():
            return None
        if field == "weight_g":
            return parse_count(text)
        fen = yuan_to_fen(text.strip(), field="cost")
        if fen < 0:
            raise ValueError(f"the cost must be 0 or more, not {text.strip()}")
        return fen
    except (ValueError, ValidationError) as exc:
        raise ValidationError(f"{where}: {exc}", field=field, row=number) from exc


def export_catalogue(app: App, actor: Actor, out: BinaryIO, fmt: str) -> int:
    """The org's SKUs by code, written to `out` as `fmt` (csv or xlsx); the rows written."""
    check_format(fmt)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        with_cost = authz.has(session, actor, "finance.view")
    columns = EXPORT_HEADERS if with_cost else EXPORT_HEADERS[:-1]
    return write_table(out, fmt, columns, _sku_rows(app, actor.org_id, with_cost), sheet="商品档案")  # type: ignore[arg-type]


def check_format(fmt: str) -> Literal["csv", "xlsx"]:
    if fmt not in FORMATS:
        raise ValidationError(f"format must be csv or xlsx, not {fmt!r}", field="format")
    return fmt  # type: ignore[return-value]


def _sku_rows(app: App, org_id: int, with_cost: bool) -> Iterator[list[Cell]]:
    """SKU rows by code, `BATCH` a query (keyset on the code, unique in the org)."""
    last = None
    while True:
        stmt = select(Sku).where(Sku.org_id == org_id)
        if last is not None:
            stmt = stmt.where(Sku.code > last)
        with app.tx() as session:
            skus = list(session.scalars(stmt.order_by(Sku.code).limit(BATCH)))
            rows: list[list[Cell]] = [
                [sku.code, sku.name, sku.barcode, sku.weight_g]
                + ([sku.cost_fen / 100] if with_cost else [])
                for sku in skus
            ]
        yield from rows
        if len(skus) < BATCH:
            return
        last = skus[-1].code
