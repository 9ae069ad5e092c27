"""Path parameters and ids: one convention for every route.

`id`, names ending in `_id` and `position` (an item's place in a print job) are positive
whole numbers within the database's INTEGER (32-bit on PostgreSQL: anything larger cannot
exist, and would make PostgreSQL refuse the query rather than find nothing); every other
path parameter is text
without control characters. `api.app` decodes the path by this convention before a
handler runs (a 422 naming the parameter), and the OpenAPI document types each parameter
from it; handlers read the decoded value with `path_id`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec

if TYPE_CHECKING:
    from api.contract import Call

MAX_ID = 2**31 - 1
RecordId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
PathText = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]

#: Text a client sends that core stores or looks up: PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"


def path_type(name: str) -> Any:
    return RecordId if name in ("id", "position") or name.endswith("_id") else PathText


def path_id(call: Call, name: str = "id") -> int:
    """The record id in the path parameter `name` (already decoded by `api.app`)."""
    value = call.path[name]
    assert isinstance(value, int), f"path parameter {name} is not named as an id"
    return value
