"""Small input types and helpers the resource modules share."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call
from core.errors import NotFound

#: The largest id a row can have (32-bit primary keys on PostgreSQL).
MAX_ID = 2**31 - 1
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=500)]


def path_id(call: Call, name: str, what: str) -> int:
    """A numeric id from the path; anything else names nothing (404)."""
    raw = call.path[name]
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise NotFound(f"no {what} {raw!r}")
    return int(raw)
