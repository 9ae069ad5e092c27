"""Inputs the desk's routes share: order numbers, a batch's selection (numbers or a
filter of the desk's query language), ids in the path. Constraints are msgspec's, so a
bad value is a 422 naming the field before any core service runs."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from api.contract import Call, decode_error
from core.actor import Actor

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
#: An order number as typed (`SHOP_ID:NUMBER` when two shops share it).
OrderNumber = Annotated[
    str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")
]
MAX_BATCH = 10_000


class Selection(msgspec.Struct, forbid_unknown_fields=True):
    """The orders of a batch: `orders` by number, or every order `filter` selects (the
    desk's query language, at most 10,000 orders); exactly one of the two."""

    orders: Annotated[list[OrderNumber], msgspec.Meta(max_length=MAX_BATCH)] = []
    filter: Annotated[str, msgspec.Meta(max_length=1000, pattern=NO_CONTROL)] | None = None


def actor_of(call: Call) -> Actor:
    assert call.actor is not None  # every desk route is authenticated
    return call.actor


def path_param(call: Call, name: str, kind: Any) -> Any:
    """A path parameter as `kind`, checked by msgspec (a 422 naming `name`)."""
    try:
        return msgspec.convert(call.path[name], kind, strict=False)
    except msgspec.ValidationError as error:
        raise decode_error(error, name) from None


def path_number(call: Call) -> str:
    """The order number in the path."""
    return path_param(call, "number", OrderNumber)
