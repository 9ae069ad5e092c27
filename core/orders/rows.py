"""Orders as database rows, built apart from the database.

A sync of 100,000 orders spends most of its time turning `PlatformOrder`s into column
values: masking, status derivation, JSON, encryption of buyer data, the datetime format of
the backend. None of that needs the database, so it can run in other processes while one
process writes (`core.sync.pipeline`). An `OrderEncoder` applies each column's own bind
processor for the target dialect — the very function SQLAlchemy would apply — so a row
written from these values reads back through the ORM exactly as if the ORM had written it,
and the writer can hand them to the driver's `executemany` untouched.

Values that depend on the stored order (hub status, hold, exception reasons) are computed
for a new order here; `core.orders.store` recomputes them for the few orders that turn
out to exist already.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from core import clock, masking
from core.contracts.types import PlatformOrder
from core.crypto import Keyring
from core.models import Order, OrderLine
from core.models.base import PLATFORM_PREFIX, EncryptedText, Payload, PlatformCiphertext
from core.orders import status as order_status
from core.orders.receiver import receiver_hash

ORDERS = Order.__table__
LINES = OrderLine.__table__

#: Columns of an inserted order, in the order of `PreparedOrder.row`.
ORDER_COLUMNS: tuple[str, ...] = (
    "org_id",
    "shop_id",
    "platform_order_no",
    "source",
    "hub_status",
    "platform_status",
    "refund_status",
    "on_hold",
    "hold_reason",
    "created_at_platform",
    "paid_at",
    "promised_ship_by",
    "platform_updated_at",
    "goods_amount_fen",
    "discount_fen",
    "postage_fen",
    "pay_amount_fen",
    "buyer_memo",
    "seller_remark",
    "flag_color",
    "tags",
    "exception_reasons",
    "in_exception",
    "rules_checked_at",
    "audited_at",
    "warehouse_id",
    "receiver_province",
    "receiver_city",
    "receiver_district",
    "receiver_name",
    "receiver_phone",
    "receiver_address",
    "receiver_name_masked",
    "receiver_phone_masked",
    "receiver_address_masked",
    "receiver_phone_hash",
    "receiver_hash",
    "receiver_is_platform_encrypted",
    "raw",
    "first_seen_at",
    "updated_at",
)
#: Columns an update rewrites: everything but identity, first sighting, the audit rules'
#: verdict (the checks after the write judge again) and the hold (which only a person
#: lifts; `HOLD_COLUMNS` are added when an update puts the order on hold).
HOLD_COLUMNS: tuple[str, ...] = ("on_hold", "hold_reason")
#: What a new order's audit says, written with its insert (`OrderEncoder.with_encoded`).
VERDICT_COLUMNS: tuple[str, ...] = ("rules_checked_at", "audited_at")
#: The warehouse the routing rules give a new order, written with its insert; an update
#: never moves an order (core.stock.routing, core.desk.rerouting).
ROUTED_COLUMNS: tuple[str, ...] = ("warehouse_id",)
UPDATE_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in ORDER_COLUMNS
    if c
    not in (
        "org_id",
        "shop_id",
        "platform_order_no",
        "source",
        "first_seen_at",
        *VERDICT_COLUMNS,
        *ROUTED_COLUMNS,
        *HOLD_COLUMNS,
    )
)
#: Columns of a goods line after `order_id`, in the order of `PreparedOrder.lines` rows.
LINE_COLUMNS: tuple[str, ...] = (
    "org_id",
    "line_no",
    "platform_goods_id",
    "platform_sku_id",
    "outer_id",
    "outer_goods_id",
    "title",
    "spec",
    "quantity",
    "unit_price_fen",
    "is_gift",
)

#: What an order says, as against what orderhub derived from it or when it wrote it: an
#: import's copy of a stored order with the same update time is compared on the rest of
#: `ORDER_COLUMNS` (and `CONTENT_LINE_COLUMNS`) to tell a corrected file from the same file
#: again. A column added to `ORDER_COLUMNS` counts as content unless it is listed here.
NOT_CONTENT: frozenset[str] = frozenset(
    {
        "org_id",
        "shop_id",
        "platform_order_no",
        "source",
        "hub_status",
        "on_hold",
        "hold_reason",
        "platform_updated_at",
        "exception_reasons",
        "in_exception",  # follows exception_reasons
        *VERDICT_COLUMNS,
        *ROUTED_COLUMNS,
        "receiver_phone_hash",  # follows receiver_phone
        "receiver_hash",  # follows the receiver's name, phone and address
        "raw",  # carries the file's row number
        "first_seen_at",
        "updated_at",
    }
)
CONTENT_COLUMNS: tuple[str, ...] = tuple(c for c in ORDER_COLUMNS if c not in NOT_CONTENT)
CONTENT_LINE_COLUMNS: tuple[str, ...] = LINE_COLUMNS[1:]  # all but org_id
_SEALED_CONTENT = tuple(
    i for i, c in enumerate(CONTENT_COLUMNS) if isinstance(Order.__table__.c[c].type, EncryptedText)
)
_JSON_CONTENT = tuple(
    i for i, c in enumerate(CONTENT_COLUMNS) if isinstance(Order.__table__.c[c].type, JSON)
)

_INDEX = {name: i for i, name in enumerate(ORDER_COLUMNS)}
_UPDATE_POSITIONS = tuple(_INDEX[c] for c in UPDATE_COLUMNS)
_HOLD_POSITIONS = tuple(_INDEX[c] for c in HOLD_COLUMNS)


@dataclass(slots=True)
class PreparedOrder:
    """One order ready to write: `row` holds driver-ready values for `ORDER_COLUMNS` as a
    new order, `lines` driver-ready values for `LINE_COLUMNS`. `order` is kept only when
    the writer must hand the order on (`order_synced` listeners); it costs a pickle.
    `verdict` is what the encoder's `precheck` said of the order (None without one)."""

    number: str
    updated_at: datetime
    status: str
    refund_status: str
    row: tuple[Any, ...]
    lines: tuple[tuple[Any, ...], ...]
    order: PlatformOrder | None = None
    verdict: Any = None


#: Called by `OrderEncoder.encode` with each order and what its status derives to, where
#: the order is encoded (a reader process, often): the audit rules that need only the
#: order itself (`core.auditing.precheck`). Must be picklable.
Precheck = Callable[[PlatformOrder, order_status.Derived], Any]


class OrderEncoder:
    """Column values of orders for one backend, org, shop and source.

    Picklable by its arguments (a process pool builds one per task); the processors are
    looked up once per instance.
    """

    def __init__(
        self,
        dialect: Dialect,
        keyring: Keyring,
        *,
        org_id: int,
        shop_id: int,
        source: str,
        precheck: Precheck | None = None,
    ) -> None:
        self.dialect = dialect
        self.keyring = keyring
        self.org_id, self.shop_id, self.source = org_id, shop_id, source
        self.precheck = precheck
        self._order_processors = _processors(ORDERS, ORDER_COLUMNS, dialect)
        self._line_processors = _processors(LINES, LINE_COLUMNS, dialect)
        stamped = (_INDEX["first_seen_at"], _INDEX["updated_at"])  # "now": encoded once a batch
        unset = tuple(_INDEX[c] for c in VERDICT_COLUMNS)  # None until `with_encoded`
        self._processed = [
            (i, p)
            for i, p in enumerate(self._order_processors)
            if p and i not in stamped and i not in unset
        ]
        self._stamp = self._order_processors[_INDEX["updated_at"]]
        self._line_processed = [(i, p) for i, p in enumerate(self._line_processors) if p]
        self._content: tuple[list[int], list[int]] | None = None  # see `content`

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _encoder,
            (
                self.dialect.name,
                self.keyring.keys,
                self.org_id,
                self.shop_id,
                self.source,
                self.precheck,
            ),
        )

    def encode(self, orders: Iterable[PlatformOrder], *, keep: bool = False) -> list[PreparedOrder]:
        """`orders` as prepared rows stamped now; `keep` keeps each `PlatformOrder` too."""
        now = clock.now()
        stamp = self._stamp(now) if self._stamp else now
        precheck = self.precheck
        out = []
        for order in orders:
            derived = order_status.derive(None, order.status, order.refund_status)
            values = self.values(order, derived, stamp)
            out.append(
                PreparedOrder(
                    order.order_number,
                    order.updated_at,
                    order.status.value,
                    order.refund_status.value,
                    self._row(values),
                    self.lines(order),
                    order if keep else None,
                    precheck(order, derived) if precheck is not None else None,
                )
            )
        return out

    def column(self, row: tuple[Any, ...], name: str) -> Any:
        """The driver-ready value of column `name` in a prepared `row`."""
        return row[_INDEX[name]]

    def encoded(self, name: str, value: Any) -> Any:
        """`value` as the driver takes it for the order column `name`."""
        processor = self._order_processors[_INDEX[name]]
        return processor(value) if processor else value

    def with_encoded(self, row: tuple[Any, ...], values: dict[str, Any]) -> tuple[Any, ...]:
        """`row` with the named columns set to `values`, already `encoded`."""
        out = list(row)
        for name, value in values.items():
            out[_INDEX[name]] = value
        return tuple(out)

    def values(self, order: PlatformOrder, derived: order_status.Derived, now: Any) -> list[Any]:
        """Values of `ORDER_COLUMNS` before the backend's processors — but for `now` (the
        first-seen and updated stamps), which comes already encoded."""
        receiver = order.receiver
        clear = not receiver.encrypted
        phone_hash = None
        if clear and receiver.phone:
            phone_hash = self.keyring.keyed_hash(
                masking.normalise_phone(receiver.phone), "receiver_phone"
            )
        return [
            self.org_id,
            self.shop_id,
            order.order_number,
            self.source,
            derived.hub_status,
            order.platform_status or order.status.value,
            order.refund_status.value,
            derived.hold,
            derived.hold_reason,
            order.created_at,
            order.paid_at,
            order.ship_by,
            order.updated_at,
            order.goods_fen,
            order.discount_fen,
            order.postage_fen,
            order.paid_fen,
            order.buyer_memo,
            order.seller_remark,
            order.remark_flag,
            list(order.tags),
            list(derived.exception_reasons),
            bool(derived.exception_reasons),
            None,  # rules_checked_at
            None,  # audited_at
            None,  # warehouse_id
            receiver.province,
            receiver.city,
            receiver.district,
            _sealable(receiver.name, receiver.encrypted),
            _sealable(receiver.phone, receiver.encrypted),
            _sealable(receiver.address, receiver.encrypted),
            receiver.name_masked or (masking.mask_name(receiver.name) if clear else ""),
            receiver.phone_masked or (masking.mask_phone(receiver.phone) if clear else ""),
            receiver.address_masked or (masking.mask_address(receiver.address) if clear else ""),
            phone_hash,
            receiver_hash(self.keyring, receiver),
            receiver.encrypted,
            Payload(order.raw, personal=order.raw_personal),
            now,
            now,
        ]

    def update_row(
        self,
        prepared: PreparedOrder,
        derived: order_status.Derived,
        now: datetime,
        hold: bool,
    ) -> tuple[Any, ...]:
        """Driver-ready values of `UPDATE_COLUMNS` (then `HOLD_COLUMNS` when `hold`) for a
        stored order: the prepared row with the hub status, hold and exception reasons
        derived from what is stored."""
        row = list(prepared.row)
        patch = {
            "hub_status": derived.hub_status,
            "exception_reasons": list(derived.exception_reasons),
            "in_exception": bool(derived.exception_reasons),
            "updated_at": now,
        }
        if hold:
            patch["on_hold"], patch["hold_reason"] = True, derived.hold_reason
        for name, value in patch.items():
            index = _INDEX[name]
            processor = self._order_processors[index]
            row[index] = processor(value) if processor else value
        positions = _UPDATE_POSITIONS + _HOLD_POSITIONS if hold else _UPDATE_POSITIONS
        return tuple(row[i] for i in positions)

    def content(self, prepared: PreparedOrder) -> tuple[Any, ...]:
        """What `prepared` says — `CONTENT_COLUMNS`, then its lines' `CONTENT_LINE_COLUMNS`
        — comparable with `content_of` of the same columns read from the database without
        SQLAlchemy's result processing (`core.orders.store.judge`). Only for the rare
        order an import brings again, not newer."""
        if self._content is None:
            self._content = (
                [_INDEX[c] for c in CONTENT_COLUMNS],
                [LINE_COLUMNS.index(c) for c in CONTENT_LINE_COLUMNS],
            )
        positions, line_positions = self._content
        row = prepared.row
        lines = tuple(tuple(line[i] for i in line_positions) for line in prepared.lines)
        return self.content_of([row[i] for i in positions], lines)

    def content_of(self, values: list[Any], lines: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
        """Driver values of `CONTENT_COLUMNS` (as bound, or as read back unprocessed) and
        of the lines' `CONTENT_LINE_COLUMNS`, made comparable: our ciphertext decrypted (a
        nonce makes each one different; the platform's, `platform:…`, is kept as it is)
        and JSON as its value (SQLite holds text, psycopg binds a `Json` wrapper and reads
        it back parsed). Text and numbers, times included, compare as the driver has them:
        the same bind processors wrote both."""
        decrypt = self.keyring.decrypt
        for i in _SEALED_CONTENT:
            value = values[i]
            if value and not value.startswith(PLATFORM_PREFIX):
                values[i] = decrypt(value)
        for i in _JSON_CONTENT:
            value = getattr(values[i], "obj", values[i])
            values[i] = json.loads(value) if isinstance(value, str | bytes) else value
        return (*values, lines)

    def lines(self, order: PlatformOrder) -> tuple[tuple[Any, ...], ...]:
        processed = self._line_processed
        rows = []
        for index, line in enumerate(order.lines, start=1):
            values = [
                self.org_id,
                index,
                line.goods_id,
                line.sku_id,
                line.outer_id,
                "",
                line.title,
                line.spec,
                line.quantity,
                line.unit_price_fen,
                False,
            ]
            for position, processor in processed:
                values[position] = processor(values[position])
            rows.append(tuple(values))
        return tuple(rows)

    def _row(self, values: list[Any]) -> tuple[Any, ...]:
        for index, processor in self._processed:
            values[index] = processor(values[index])
        return tuple(values)


def _sealable(value: str, platform_encrypted: bool) -> str | None:
    """A receiver field for its `EncryptedText` column: the platform's ciphertext is kept
    as it is (see `PlatformCiphertext`), anything else is encrypted with our keys."""
    if not value:
        return None
    return PlatformCiphertext(value) if platform_encrypted else value


def _processors(
    table: Any, names: tuple[str, ...], dialect: Dialect
) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor for `dialect`: what SQLAlchemy applies on insert."""
    return [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]


def _encoder(  # type: ignore[no-untyped-def]
    dialect_name: str,
    keys: list[str],
    org_id: int,
    shop_id: int,
    source: str,
    precheck: Precheck | None = None,
):

    dialect = (
        postgresql.psycopg.dialect() if dialect_name == "postgresql" else sqlite.pysqlite.dialect()
    )
    return OrderEncoder(
        dialect, Keyring(keys), org_id=org_id, shop_id=shop_id, source=source, precheck=precheck
    )
