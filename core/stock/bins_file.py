"""库位表 from a merchant's CSV or XLSX: each SKU's bin in one warehouse, in one go.

Columns, named in Chinese or English: code (编码 / 商家编码 / SKU) and bin (库位 / 货位 /
bin / location). Every row is read and checked before anything is written — an empty
code or bin, a code given twice, a code the catalogue lacks, a bin too long, a formula —
and the first bad one fails the import naming its row and column: all or nothing. (An
empty bin is an error rather than a removal, so a column left empty by mistake wipes
nothing; `set_bin` with "" removes one.) Needs `stock.adjust`; the import is one audit
event with its counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.bound_lists import among
from core.errors import NotFound, ValidationError
from core.models import Sku
from core.stock.bins import clean_bin, store_bins
from core.stock.catalogue import clean_code
from core.stock.sheets import CODE_HEADERS, MAX_ROWS, column_of, rows_of
from core.stock.warehouses import warehouse_named
from core.tabular import read_table
from core.tabular.model import TableRow

BIN_HEADERS = ("库位", "货位", "库位号", "bin", "location")


@dataclass(frozen=True)
class BinImport:
    warehouse: str
    changed: int  # bins set or moved
    unchanged: int


def import_bins(
    app: App, actor: Actor, stream: BinaryIO, filename: str, *, warehouse: str | None = None
) -> BinImport:
    """Set the bins the file lists, in `warehouse` (the default when None)."""
    table = read_table(stream, filename)
    keys = [key.lower() for key in table.keys]
    columns = {"code": column_of(keys, CODE_HEADERS), "bin": column_of(keys, BIN_HEADERS)}
    for field, names in (("code", CODE_HEADERS), ("bin", BIN_HEADERS)):
        if columns[field] is None:
            raise ValidationError(
                f"{filename}: no {field} column in the header (row {table.header_number}); "
                f"name it one of {', '.join(names)}",
                field="file",
                row=table.header_number,
            )
    with rows_of(table) as table_rows:
        rows = _read(table_rows, filename, columns["code"] or 0, columns["bin"] or 0)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        house = warehouse_named(session, actor.org_id, warehouse)
        dialect = session.get_bind().dialect.name
        ids = dict(
            session.execute(
                select(Sku.code, Sku.id).where(
                    Sku.org_id == actor.org_id, among(Sku.code, dialect, values=list(rows))
                )
            ).all()
        )
        for code, (number, _) in rows.items():
            if code not in ids:
                raise NotFound(
                    f"{filename} row {number}: no SKU with code {code!r} (add it to the "
                    "catalogue first)",
                    field="code",
                    row=number,
                )
        wanted = {ids[code]: place for code, (_, place) in rows.items()}
        before = store_bins(session, actor.org_id, house.id, wanted)
        changed = sum(before.get(sku_id) != place for sku_id, place in wanted.items())
        result = BinImport(house.name, changed, len(wanted) - changed)
        audit.record(
            session,
            "sku.bin_import",
            actor=actor,
            target_type="warehouse",
            target_id=house.id,
            after={"file": filename, "changed": changed, "unchanged": result.unchanged},
        )
        return result


def _read(
    rows: Iterator[TableRow], filename: str, code_at: int, bin_at: int
) -> dict[str, tuple[int, str]]:
    """Code → (its row number, its bin); the first bad row raises, naming row and column."""
    found: dict[str, tuple[int, str]] = {}
    for row in rows:
        if row.blank:
            continue
        if len(found) >= MAX_ROWS:
            raise ValidationError(f"{filename}: more than {MAX_ROWS:,} rows", field="file")
        where = f"{filename} row {row.number}"
        for at, field in ((code_at, "code"), (bin_at, "bin")):
            if at in row.formulas:
                raise ValidationError(
                    f"{where}: the {field} is a formula; paste it as a value",
                    field=field,
                    row=row.number,
                )
        try:
            code = clean_code(row.cell(code_at))
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc}", field="code", row=row.number) from exc
        try:
            place = clean_bin(row.cell(bin_at))
        except ValidationError as exc:
            raise ValidationError(f"{where} ({code}): {exc}", field="bin", row=row.number) from exc
        if not place:
            raise ValidationError(
                f"{where} ({code}): the bin is empty", field="bin", row=row.number
            )
        if code in found:
            raise ValidationError(
                f"{where}: {code} is on row {found[code][0]} already; keep one bin per SKU",
                field="code",
                row=row.number,
            )
        found[code] = (row.number, place)
    if not found:
        raise ValidationError(f"{filename}: no bins below the header", field="file")
    return found
