"""`/v1/stock`: levels (on hand, reserved, available; paged by core's keyset), and the
ledger operations by hand: receipts (入库), counts (盘点), transfers (调拨).

Reading needs `stock.view`, the operations `stock.adjust` (core checks both, and audits
each operation). An operation is all or nothing: a bad line (unknown code, a quantity
out of range, more than is available for a transfer) fails the whole request, naming the
line (`row`), and nothing is posted. `/v1/stock/moves` is the ledger (库存流水), newest
first.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation
from core.errors import ValidationError
from core.stock import history, levels, operations
from core.stock.operations import Line, Posted

MAX_LIMIT = 500
MAX_LINES = 5000

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=128)]
Note = Annotated[str, msgspec.Meta(max_length=255)]
Units = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
Counted = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
#: core.stock.ledger.REASONS (a test keeps the two equal)
Reason = Literal["receipt", "count", "transfer_out", "transfer_in", "reserve", "release", "deduct"]


class LevelQuery(msgspec.Struct, forbid_unknown_fields=True):
    warehouse: Name | None = None  # one warehouse, by name
    text: Text = ""  # every word in the code, name or warehouse name
    low: bool = False  # only levels at or below their low-stock threshold
    order: Literal["warehouse", "available"] = "warehouse"  # available: lowest first
    after: Annotated[str, msgspec.Meta(max_length=512)] | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 100


class StockLevel(msgspec.Struct):
    warehouse: str
    code: str
    name: str
    on_hand: int
    reserved: int
    available: int


class LevelPage(msgspec.Struct):
    items: list[StockLevel]
    next_cursor: str | None


class MoveQuery(msgspec.Struct, forbid_unknown_fields=True):
    warehouse: Name | None = None
    code: Code | None = None  # one SKU
    reason: Reason | None = None
    reference: Text | None = None  # a document or order number, exactly
    after: Annotated[str, msgspec.Meta(max_length=512)] | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 100


class StockMove(msgspec.Struct):
    id: int
    at: datetime
    warehouse: str
    code: str
    on_hand_delta: int
    reserved_delta: int
    reason: str
    reference: str
    note: str
    actor: str  # who posted it


class MovePage(msgspec.Struct):
    items: list[StockMove]
    next_cursor: str | None


class ReceiptLine(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    quantity: Units


class CountLine(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    quantity: Counted  # what the shelf holds; the difference is posted


class Receipt(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[ReceiptLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    warehouse: Name | None = None  # default: the org's default warehouse
    reference: Text = ""  # 入库单号 …
    note: Note = ""


class Count(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[CountLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    warehouse: Name | None = None
    reference: Text = ""
    note: Note = ""


class Transfer(msgspec.Struct, forbid_unknown_fields=True):
    source: Name  # the warehouse the stock leaves
    destination: Name  # the warehouse it arrives in
    lines: Annotated[list[ReceiptLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    reference: Text = ""
    note: Note = ""


_KeyInt = Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)]  # ids and quantities fit


def encode_cursor(key: tuple[object, ...]) -> str:
    """A row's keyset key as an opaque cursor (base64url of its JSON)."""
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[object, ...]:
    """The key back; core checks that it fits the list and order (`bad_key`)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = msgspec.json.decode(raw, type=list[str | _KeyInt])
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ValidationError(
            "after: not a next_cursor of this list; start from the first page", field="after"
        ) from None
    return tuple(key)


def _levels(call: Call) -> LevelPage:
    q: LevelQuery = call.query
    assert call.actor is not None
    found = levels.list_levels(
        call.app,
        call.actor,
        warehouse=q.warehouse,
        text=q.text,
        order=q.order,
        low=q.low,
        after=None if q.after is None else decode_cursor(q.after),
        limit=q.limit + 1,  # one more tells whether a next page exists
    )
    page = found[: q.limit]
    rows = [
        StockLevel(lv.warehouse, lv.code, lv.name, lv.on_hand, lv.reserved, lv.available)
        for lv in page
    ]
    more = len(found) > q.limit
    return LevelPage(rows, encode_cursor(page[-1].key) if more else None)


def _moves(call: Call) -> MovePage:
    q: MoveQuery = call.query
    assert call.actor is not None
    found = history.list_moves(
        call.app,
        call.actor,
        warehouse=q.warehouse,
        code=q.code,
        reason=q.reason,
        reference=q.reference,
        after=None if q.after is None else decode_cursor(q.after),
        limit=q.limit + 1,
    )
    page = found[: q.limit]
    rows = [
        StockMove(
            m.id, m.at, m.warehouse, m.code, m.on_hand_delta, m.reserved_delta, m.reason,
            m.reference, m.note, m.actor,
        )
        for m in page
    ]  # fmt: skip
    more = len(found) > q.limit
    return MovePage(rows, encode_cursor(page[-1].key) if more else None)


def _receive(call: Call) -> Posted:
    body: Receipt = call.body
    assert call.actor is not None
    return operations.receive(
        call.app,
        call.actor,
        [Line(line.code, line.quantity) for line in body.lines],
        warehouse=body.warehouse,
        reference=body.reference,
        note=body.note,
    )


def _count(call: Call) -> Posted:
    body: Count = call.body
    assert call.actor is not None
    return operations.count(
        call.app,
        call.actor,
        [Line(line.code, line.quantity) for line in body.lines],
        warehouse=body.warehouse,
        reference=body.reference,
        note=body.note,
    )


def _transfer(call: Call) -> Posted:
    body: Transfer = call.body
    assert call.actor is not None
    return operations.transfer(
        call.app,
        call.actor,
        [Line(line.code, line.quantity) for line in body.lines],
        source=body.source,
        destination=body.destination,
        reference=body.reference,
        note=body.note,
    )


OPERATIONS = (
    Operation(
        "GET",
        "/v1/stock",
        "Stock levels per warehouse and SKU (filter, lowest first, keyset pagination)",
        _levels,
        LevelPage,
        query=LevelQuery,
        permission="stock.view",
        tags=("stock",),
    ),
    Operation(
        "GET",
        "/v1/stock/moves",
        "The stock ledger (库存流水), newest first (filters, keyset pagination)",
        _moves,
        MovePage,
        query=MoveQuery,
        permission="stock.view",
        errors=(404,),
        tags=("stock",),
    ),
    Operation(
        "POST",
        "/v1/stock/receipts",
        "入库: stock arrives in a warehouse (all lines or none)",
        _receive,
        Posted,
        request=Receipt,
        permission="stock.adjust",
        errors=(404, 409),
        tags=("stock",),
    ),
    Operation(
        "POST",
        "/v1/stock/counts",
        "盘点: what the shelf holds; the differences are posted",
        _count,
        Posted,
        request=Count,
        permission="stock.adjust",
        errors=(404, 409),
        tags=("stock",),
    ),
    Operation(
        "POST",
        "/v1/stock/transfers",
        "调拨: stock moves from one warehouse to another, from what is available",
        _transfer,
        Posted,
        request=Transfer,
        permission="stock.adjust",
        errors=(404, 409),
        tags=("stock",),
    ),
)
